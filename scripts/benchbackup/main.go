// Command benchbackup measures backups and restores side by side on one
// dataset: BGSAVE alone, the seed scripts' pipeline (BGSAVE, cp, gzip,
// sha256sum) and redisplan backup run; then a bare server load, the seed
// restore (sha256sum -c, gunzip, copy, start) and redisplan restore. It
// prints a markdown table for docs/performance.md. Run it with
// `make bench-backup` (KEYS=2000000 by default).
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

func main() {
	keys := flag.Int("keys", 2_000_000, "keys to load")
	flag.Parse()
	redis.SetLogger(quiet{}) // refused dials while the server restarts are expected
	if err := run(*keys); err != nil {
		fmt.Fprintln(os.Stderr, "benchbackup:", err)
		os.Exit(1)
	}
}

type row struct {
	what    string
	seconds float64
	rssMB   float64 // peak RSS of redisplan itself, when it ran
}

func run(keys int) error {
	ctx := context.Background()
	work, err := os.MkdirTemp("", "redisplan-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	bin := filepath.Join(work, "redisplan")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/redisplan").CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	dataDir := filepath.Join(work, "data")
	os.MkdirAll(dataDir, 0o755)
	conf := filepath.Join(work, "redis.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\ndaemonize yes\npidfile %s/redis.pid\nlogfile %s/redis.log\nsave \"\"\nappendonly no\n",
		port, dataDir, work, work)), 0o644)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, ReadTimeout: time.Minute})
	defer c.Close()
	defer stopServer(ctx, c, work)
	if err := startServer(ctx, c, conf); err != nil {
		return err
	}

	fmt.Fprintf(os.Stderr, "loading %d keys...\n", keys)
	if err := load(ctx, c, keys); err != nil {
		return err
	}
	var rows []row
	timeIt := func(what string, f func() error) error {
		start := time.Now()
		if err := f(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		rows = append(rows, row{what: what, seconds: time.Since(start).Seconds()})
		fmt.Fprintf(os.Stderr, "%s: %.2fs\n", what, rows[len(rows)-1].seconds)
		return nil
	}
	rdbPath := filepath.Join(dataDir, "dump.rdb")

	// (a) BGSAVE alone.
	if err := timeIt("(a) BGSAVE alone", func() error { return bgsave(ctx, c) }); err != nil {
		return err
	}
	st, _ := os.Stat(rdbPath)
	rdbSize := st.Size()

	// (b) the seed's pipeline.
	seedDir := filepath.Join(work, "seed")
	os.MkdirAll(seedDir, 0o755)
	if err := timeIt("(b) seed pipeline: BGSAVE, cp, gzip, sha256sum", func() error {
		if err := bgsave(ctx, c); err != nil {
			return err
		}
		return sh(fmt.Sprintf("cp %s %s/dump.rdb && gzip -f %s/dump.rdb && cd %s && sha256sum dump.rdb.gz > dump.rdb.gz.sha256", rdbPath, seedDir, seedDir, seedDir))
	}); err != nil {
		return err
	}

	// (c) redisplan backup run.
	spec := filepath.Join(work, "spec.hcl")
	os.WriteFile(spec, []byte(fmt.Sprintf(`redis "bench" {
  address     = %q
  config_file = %q
  service {
    start = [%q, %q]
  }
  backup {
    destination = %q
    compression = "zstd"
  }
}
`, addr, conf, mustLook("redis-server"), conf, filepath.Join(work, "backups"))), 0o644)
	var rss float64
	if err := timeIt("(c) redisplan backup run (zstd, verified)", func() (err error) {
		rss, err = runMeasured(bin, "backup", "run", "-no-prune", "-config", spec)
		return err
	}); err != nil {
		return err
	}
	rows[len(rows)-1].rssMB = rss

	// (d) a bare server start loading the RDB.
	if err := timeIt("(d) bare load: start redis-server on the RDB until loaded", func() error {
		if err := stopServer(ctx, c, work); err != nil {
			return err
		}
		return startServer(ctx, c, conf)
	}); err != nil {
		return err
	}

	// (e) the seed's restore.
	if err := timeIt("(e) seed restore: sha256sum -c, gunzip, copy, start, PONG", func() error {
		if err := stopServer(ctx, c, work); err != nil {
			return err
		}
		if err := sh(fmt.Sprintf("cd %s && sha256sum -c --quiet dump.rdb.gz.sha256 && gunzip -c dump.rdb.gz > %s.tmp && mv %s.tmp %s", seedDir, rdbPath, rdbPath, rdbPath)); err != nil {
			return err
		}
		return startServer(ctx, c, conf)
	}); err != nil {
		return err
	}

	// (f) redisplan restore.
	if err := timeIt("(f) redisplan restore -latest (verify, safety copy, load, key check)", func() (err error) {
		rss, err = runMeasured(bin, "restore", "-config", spec, "-target", "bench", "-latest", "-auto-approve", "-keep-safety-copy=false")
		return err
	}); err != nil {
		return err
	}
	rows[len(rows)-1].rssMB = rss
	n, _ := c.DBSize(ctx).Result()

	fmt.Printf("Dataset: %d keys, RDB %.0f MB; after the last restore the server holds %d keys.\n\n", keys, float64(rdbSize)/1e6, n)
	fmt.Println("| step | seconds | redisplan peak RSS (MB) |")
	fmt.Println("|---|---:|---:|")
	for _, r := range rows {
		rssCol := ""
		if r.rssMB > 0 {
			rssCol = fmt.Sprintf("%.0f", r.rssMB)
		}
		fmt.Printf("| %s | %.2f | %s |\n", r.what, r.seconds, rssCol)
	}
	return nil
}

// load writes JSON-like values that compress about as well as real
// application data: field names repeat, numbers and ids do not.
func load(ctx context.Context, c *redis.Client, keys int) error {
	r := rand.New(rand.NewPCG(1, 2))
	const batch = 10_000
	for i := 0; i < keys; i += batch {
		p := c.Pipeline()
		for j := i; j < i+batch && j < keys; j++ {
			v := fmt.Sprintf(`{"id":%d,"user":"u%08x","symbol":"%s","price":%.4f,"qty":%d,"ts":%d,"tags":["t%d","t%d"],"note":"%016x%016x"}`,
				j, r.Uint32(), []string{"BTCUSD", "ETHUSD", "EURUSD", "XAUUSD"}[r.IntN(4)], r.Float64()*1e5, r.IntN(1000),
				1700000000000+r.Int64N(1e10), r.IntN(50), r.IntN(50), r.Uint64(), r.Uint64())
			p.Set(ctx, "order:"+strconv.Itoa(j), v, 0)
		}
		if _, err := p.Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

func bgsave(ctx context.Context, c *redis.Client) error {
	before, err := infoField(ctx, c, "rdb_saves")
	if err != nil {
		return err
	}
	if err := c.BgSave(ctx).Err(); err != nil {
		return err
	}
	for {
		saves, _ := infoField(ctx, c, "rdb_saves")
		running, _ := infoField(ctx, c, "rdb_bgsave_in_progress")
		if saves != before && running == "0" {
			status, _ := infoField(ctx, c, "rdb_last_bgsave_status")
			if status != "ok" {
				return fmt.Errorf("bgsave status %s", status)
			}
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func infoField(ctx context.Context, c *redis.Client, name string) (string, error) {
	s, err := c.Info(ctx, "persistence").Result()
	if err != nil {
		return "", err
	}
	for _, l := range strings.Split(s, "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && k == name {
			return v, nil
		}
	}
	return "", fmt.Errorf("no %s in INFO", name)
}

func startServer(ctx context.Context, c *redis.Client, conf string) error {
	if out, err := exec.Command("redis-server", conf).CombinedOutput(); err != nil {
		return fmt.Errorf("start: %v %s", err, out)
	}
	for i := 0; i < 60000; i++ {
		if l, err := infoField(ctx, c, "loading"); err == nil && l == "0" {
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("server did not load")
}

func stopServer(ctx context.Context, c *redis.Client, work string) error {
	b, err := os.ReadFile(filepath.Join(work, "redis.pid"))
	if err != nil {
		return nil
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	_ = c.ShutdownNoSave(ctx).Err()
	for i := 0; i < 3000 && pid > 0 && syscall.Kill(pid, 0) == nil; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if pid > 0 && syscall.Kill(pid, 0) == nil {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	return nil
}

// runMeasured runs redisplan and returns its peak resident memory in MB.
func runMeasured(bin string, args ...string) (float64, error) {
	cmd := exec.Command(bin, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("%v\n%s", err, out)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return float64(ru.Maxrss) / 1024, nil
}

func sh(script string) error {
	out, err := exec.Command("sh", "-c", script).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}

func mustLook(name string) string {
	p, err := exec.LookPath(name)
	if err != nil {
		return name
	}
	return p
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}
