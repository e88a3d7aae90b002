// Command benchbackup measures backups and restores side by side on one
// dataset: BGSAVE alone, the seed scripts' pipeline (BGSAVE, cp, gzip,
// sha256sum) and redisplan backup run; then a bare server load, the seed
// restore (sha256sum -c, gunzip, copy, start) and redisplan restore. It
// prints a markdown table, or with -json every sample for the report
// that `make bench` writes (scripts/benchreport). Run it with
// `make bench-backup` (KEYS=2000000 by default).
package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/server"
	"github.com/redisplan/redisplan/scripts/internal/bench"
)

func main() {
	keys := flag.Int("keys", 2_000_000, "keys to load")
	rounds := flag.Int("rounds", 1, "times to run every step on the loaded dataset")
	asJSON := flag.Bool("json", false, "print every sample as JSON instead of a table")
	baseline := flag.String("baseline", "", "another redisplan binary whose restore runs right after (f) in every round, as step (g), to compare two builds in one run")
	keep := flag.Bool("keep", false, "keep the work directory (the dataset's RDB, the backups, the spec) and print its path, for profiling")
	only := flag.String("steps", "abcdef", "the steps to run (letters a to f); (e) and (f) need a backup, so (b) and (c) run once before them even when left out")
	flag.Parse()
	if strings.Trim(*only, "abcdef") != "" || *only == "" {
		fmt.Fprintln(os.Stderr, "benchbackup: -steps takes letters a to f, such as df for the bare load and the restore")
		os.Exit(2)
	}
	redis.SetLogger(bench.QuietLogger{}) // refused dials while the server restarts are expected
	res, err := run(*keys, *rounds, *only, *keep, *baseline)
	if bench.Finish("benchbackup", res, err, *asJSON) {
		return
	}
	fmt.Printf("Dataset: %d keys, RDB %.0f MB; after the last restore the server holds %d keys.\n\n", res.Keys, float64(res.RDBBytes)/1e6, res.KeysAfterRestore)
	fmt.Println("| step | seconds (median) | unavailable (s, median) | redisplan peak RSS (MB) |")
	fmt.Println("|---|---:|---:|---:|")
	for _, st := range res.Steps {
		rssCol, downCol := "", ""
		if len(st.RSSMB) > 0 {
			rssCol = fmt.Sprintf("%.0f", slices.Max(st.RSSMB))
		}
		if len(st.Unavailable) > 0 {
			downCol = fmt.Sprintf("%.2f", median(st.Unavailable))
		}
		fmt.Printf("| %s | %.2f | %s | %s |\n", st.What, median(st.Seconds), downCol, rssCol)
	}
	for _, st := range res.Steps {
		for _, name := range slices.Sorted(maps.Keys(st.Phases)) {
			fmt.Printf("(%s) %s: %.2fs\n", st.ID, name, median(st.Phases[name]))
		}
	}
}

// Result is every sample of one dataset size.
type Result struct {
	Keys             int
	RDBBytes         int64
	KeysAfterRestore int64
	Steps            []Step
}

// Step is one measured step: its seconds in each round and, for
// redisplan's own commands, its peak RSS in MB. For the steps that stop
// the server, Unavailable is the longest time in each round during which
// a client polling the server every few milliseconds got no answer with
// the data loaded (measured from outside, beside the step). For the
// restore, Phases are the timings redisplan reports of its own phases,
// per round.
type Step struct {
	ID          string // a .. f
	What        string
	Seconds     []float64
	RSSMB       []float64            `json:",omitempty"`
	Unavailable []float64            `json:",omitempty"`
	Phases      map[string][]float64 `json:",omitempty"`
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func run(keys, rounds int, steps string, keep bool, baseline string) (*Result, error) {
	res := &Result{Keys: keys}
	err := measure(res, rounds, steps, keep, baseline)
	return res, err
}

func measure(res *Result, rounds int, only string, keep bool, baseline string) error {
	keys := res.Keys
	ctx := context.Background()
	work, bin, cleanup, err := bench.Workdir("redisplan-bench-")
	if err != nil {
		return err
	}
	if keep {
		defer fmt.Fprintf(os.Stderr, "kept the work directory %s\n", work)
	} else {
		defer cleanup()
	}
	port, err := server.FreePort()
	if err != nil {
		return err
	}
	dataDir := filepath.Join(work, "data")
	os.MkdirAll(dataDir, 0o755)
	conf := filepath.Join(work, "redis.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\ndaemonize yes\npidfile %s/redis.pid\nlogfile %s/redis.log\nsave \"\"\nappendonly no\n",
		port, dataDir, work, work)), 0o644)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	// No retries: SHUTDOWN ends the connection by design, and a retry of it
	// would wait out go-redis's backoff inside the timed steps.
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, ReadTimeout: time.Minute, MaxRetries: -1})
	defer c.Close()
	defer stopServer(ctx, c, work)
	if err := startServer(ctx, c, conf); err != nil {
		return err
	}

	fmt.Fprintf(os.Stderr, "loading %d keys...\n", keys)
	if err := load(ctx, c, keys); err != nil {
		return err
	}
	// Steps are named "(a) what": samples gather under the letter.
	steps := map[string]*Step{}
	var order []string
	var current *Step
	timeIt := func(what string, f func() error) error {
		id := what[1:2]
		if steps[id] == nil {
			steps[id] = &Step{ID: id, What: what[4:]}
			order = append(order, id)
		}
		current = steps[id]
		start := time.Now()
		if err := f(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		current.Seconds = append(current.Seconds, time.Since(start).Seconds())
		fmt.Fprintf(os.Stderr, "%d keys %s: %.2fs\n", keys, what, current.Seconds[len(current.Seconds)-1])
		return nil
	}
	// watchIt is timeIt with a client polling the server beside the
	// step, which measures how long the server was unavailable.
	watchIt := func(what string, f func() error) error {
		done := watchOutage(addr)
		err := timeIt(what, f)
		down := done()
		if err == nil {
			current.Unavailable = append(current.Unavailable, down)
			fmt.Fprintf(os.Stderr, "%d keys %s: unavailable %.2fs\n", keys, what, down)
		}
		return err
	}
	defer func() {
		res.Steps = nil
		for _, id := range order {
			res.Steps = append(res.Steps, *steps[id])
		}
	}()
	rdbPath := filepath.Join(dataDir, "dump.rdb")
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

	for round := 0; round < rounds; round++ {
		phases := func(ph map[string]float64) {
			if current.Phases == nil {
				current.Phases = map[string][]float64{}
			}
			for k, v := range ph {
				current.Phases[k] = append(current.Phases[k], v)
			}
		}
		steps := only
		if round == 0 && strings.Contains(only, "f") && !strings.Contains(only, "c") {
			steps += "c" // the restore needs a backup
		}
		if round == 0 && strings.Contains(only, "e") && !strings.Contains(only, "b") {
			steps += "b" // the seed restore needs the seed's backup
		}
		if err := oneRound(ctx, c, res, steps, timeIt, watchIt, func(rss float64) { current.RSSMB = append(current.RSSMB, rss) }, phases,
			bin, baseline, work, conf, rdbPath, spec); err != nil {
			return err
		}
	}
	n, _ := c.DBSize(ctx).Result()
	res.KeysAfterRestore = n
	return nil
}

// oneRound runs the steps named in steps ((a) to (f)) once on the loaded
// dataset.
func oneRound(ctx context.Context, c *redis.Client, res *Result, steps string, timeIt, watchIt func(string, func() error) error, recordRSS func(float64),
	recordPhases func(map[string]float64), bin, baseline, work, conf, rdbPath, spec string) error {
	only := func(measure func(string, func() error) error) func(string, func() error) error {
		return func(name string, f func() error) error {
			if !strings.Contains(steps, name[1:2]) {
				return nil
			}
			return measure(name, f)
		}
	}
	timeIt, watchIt = only(timeIt), only(watchIt)
	ran := func(id string) bool { return strings.Contains(steps, id) }

	// (a) BGSAVE alone.
	if err := timeIt("(a) BGSAVE alone", func() error { return bgsave(ctx, c) }); err != nil {
		return err
	}
	if !ran("a") {
		if err := bgsave(ctx, c); err != nil { // the RDB the bare load reads
			return err
		}
	}
	if st, err := os.Stat(rdbPath); err == nil {
		res.RDBBytes = st.Size()
	}

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
	var rss float64
	if err := timeIt("(c) redisplan backup run (zstd, verified)", func() (err error) {
		rss, _, err = runMeasured(bin, "backup", "run", "-no-prune", "-config", spec)
		return err
	}); err != nil {
		return err
	}
	if ran("c") {
		recordRSS(rss)
	}

	// (d) a bare server start loading the RDB.
	if err := watchIt("(d) bare load: start redis-server on the RDB until loaded", func() error {
		if err := stopServer(ctx, c, work); err != nil {
			return err
		}
		return startServer(ctx, c, conf)
	}); err != nil {
		return err
	}

	// (e) the seed's restore.
	if err := watchIt("(e) seed restore: sha256sum -c, gunzip, copy, start, PONG", func() error {
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
	var out string
	if err := watchIt("(f) redisplan restore -latest (verify, safety copy, load, key check)", func() (err error) {
		rss, out, err = runMeasured(bin, "restore", "-config", spec, "-target", "bench", "-latest", "-auto-approve")
		return err
	}); err != nil {
		return err
	}
	if err := removeSafetyCopies(filepath.Dir(rdbPath)); err != nil {
		return err
	}
	if !ran("f") {
		return nil
	}
	recordRSS(rss)
	ph, err := restorePhases(out)
	if err != nil {
		return err
	}
	recordPhases(ph)
	if baseline == "" {
		return nil
	}

	// (g) the same restore by another build, for a comparison.
	steps += "g"
	if err := watchIt("(g) baseline redisplan restore -latest", func() (err error) {
		rss, out, err = runMeasured(baseline, "restore", "-config", spec, "-target", "bench", "-latest", "-auto-approve")
		return err
	}); err != nil {
		return err
	}
	if err := removeSafetyCopies(filepath.Dir(rdbPath)); err != nil {
		return err
	}
	recordRSS(rss)
	if ph, err = restorePhases(out); err != nil {
		return err
	}
	recordPhases(ph)
	return nil
}

// timingsLine is the restore's report of its phases (restore.Timings).
var timingsLine = regexp.MustCompile(`timings: checks ([\d.]+)s, staging ([\d.]+)s, stop ([\d.]+)s, swap ([\d.]+)s, load ([\d.]+)s, ` +
	`key check and settings ([\d.]+)s; total ([\d.]+)s; the server answered no one for ([\d.]+)s .* took no write for ([\d.]+)s`)

// stagedCheckLine is the time the check of the staged files took beside
// the stop and the load, when the restore gives it.
var stagedCheckLine = regexp.MustCompile(`timings: .*the staged files' raw digest and RDB check took ([\d.]+)s`)

// streamLine is the time a streamed load's stream took, when the restore
// gives it.
var streamLine = regexp.MustCompile(`timings: .*the stream into the loading server and the restored file, with the raw digest and RDB check, took ([\d.]+)s`)

// restorePhases reads the seconds of each phase from the restore's output.
func restorePhases(out string) (map[string]float64, error) {
	m := timingsLine.FindStringSubmatch(out)
	if m == nil {
		return nil, fmt.Errorf("the restore printed no timings line:\n%s", out)
	}
	ph := map[string]float64{}
	for i, name := range []string{"checks", "staging", "stop", "swap", "load", "key check and settings", "total", "unavailable", "writes held"} {
		ph[name], _ = strconv.ParseFloat(m[i+1], 64)
	}
	if m := stagedCheckLine.FindStringSubmatch(out); m != nil {
		ph["staged check (beside)"], _ = strconv.ParseFloat(m[1], 64)
	}
	if m := streamLine.FindStringSubmatch(out); m != nil {
		ph["stream (beside the load)"], _ = strconv.ParseFloat(m[1], 64)
	}
	return ph, nil
}

// watchOutage polls the server at addr every few milliseconds, on one
// connection while it answers and a new one after each failure, until the
// function it returns is called; that returns the longest time in seconds
// between two answers that said the data is loaded (loading:0).
func watchOutage(addr string) func() float64 {
	stop := make(chan struct{})
	done := make(chan float64, 1)
	go func() {
		ctx := context.Background()
		var c *redis.Client
		last, longest := time.Now(), 0.0
		for {
			select {
			case <-stop:
				if c != nil {
					c.Close()
				}
				done <- max(longest, time.Since(last).Seconds())
				return
			default:
			}
			if c == nil {
				c = redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1, PoolSize: 1,
					DialTimeout: time.Second, ReadTimeout: time.Second})
			}
			s, err := c.Info(ctx, "persistence").Result()
			if err != nil {
				c.Close()
				c = nil
			} else if strings.Contains(s, "\nloading:0") { // not async_loading
				now := time.Now()
				longest = max(longest, now.Sub(last).Seconds())
				last = now
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	return func() float64 {
		close(stop)
		return <-done
	}
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
	// A fresh client for each probe: go-redis's pool, after a burst of
	// refused dials, waits about a second before dialling again, which
	// would be counted as load time.
	opt := *c.Options()
	opt.MaxRetries = -1
	for i := 0; i < 60000; i++ {
		probe := redis.NewClient(&opt)
		l, err := infoField(ctx, probe, "loading")
		probe.Close()
		if err == nil && l == "0" {
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
	for i := 0; i < 3000 && running(pid); i++ {
		time.Sleep(5 * time.Millisecond)
	}
	if running(pid) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	return nil
}

// running tells whether pid is a live process. A zombie is not: the
// daemonized server is nobody's child here, and whoever reaps it may take
// its time, which must not count as the server's.
func running(pid int) bool {
	if pid <= 0 || syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses.
	i := strings.LastIndexByte(string(stat), ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] != 'Z'
}

// runMeasured runs redisplan and returns its peak resident memory in MB
// and its output.
func runMeasured(bin string, args ...string) (float64, string, error) {
	cmd := exec.Command(bin, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, "", fmt.Errorf("%v\n%s", err, out)
	}
	if os.Getenv("BENCH_VERBOSE") != "" {
		os.Stderr.Write(out)
	}
	return bench.PeakRSS(cmd), string(out), nil
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

// removeSafetyCopies removes the safety copies the restores left in the
// bench's own data dir (they keep them, as by default), outside the
// timing: a restore's own cost ends when it has put the original files
// aside.
func removeSafetyCopies(dataDir string) error {
	m, err := filepath.Glob(filepath.Join(dataDir, "redisplan-safety-*"))
	if err != nil {
		return err
	}
	for _, d := range m {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
	}
	return nil
}
