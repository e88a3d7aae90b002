// Command benchpitr measures a restore to a point in time one hour of
// writes after its base backup, beside its nearest alternatives: a plain
// restore of the base (which loses the hour), and redis-check-aof
// --truncate-to-timestamp on the same multi-part AOF followed by a bare
// load (which puts nothing into a target and checks nothing).
//
// The hour is synthesized, not waited for: -writes commands (1,080,000 by
// default: 300 writes a second, a busy but ordinary primary) spread evenly
// over an hour after the base, 70% SET of a JSON value of about 150 bytes
// over the base's keys, 15% HINCRBY, 10% INCR, 5% DEL, committed as one
// archive segment per second (3,600 segments, what `flush = "1s"` makes
// under steady writes) through the archive's own segment writer. The base
// is a `redisplan backup run`, anchored at the stream's start as an
// archiver's base would be. Run it with `make bench-pitr`.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/archive"
	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/repository"
	"github.com/redisplan/redisplan/executors/server"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/scripts/internal/bench"
)

const replID = "be0c4be0c4be0c4be0c4be0c4be0c4be0c4be0c4"

func main() {
	keys := flag.Int("keys", 200_000, "keys in the base")
	writes := flag.Int("writes", 1_080_000, "writes in the hour after the base")
	asJSON := flag.Bool("json", false, "print the figures as JSON")
	flag.Parse()
	res, err := run(*keys, *writes)
	if bench.Finish("benchpitr", res, err, *asJSON) {
		return
	}
	fmt.Printf("Base: %d keys, RDB %.0f MB; an hour of %d writes after it: %d segments, %.0f MB stored (%.0f MB as AOF).\n\n",
		res.Keys, float64(res.RDBBytes)/1e6, res.Writes, res.Segments, float64(res.SegmentBytes)/1e6, float64(res.AOFBytes)/1e6)
	fmt.Println("| step | seconds | redisplan peak RSS (MB) |")
	fmt.Println("|---|---:|---:|")
	for _, s := range res.Steps {
		rss := ""
		if s.RSSMB > 0 {
			rss = fmt.Sprintf("%.0f", s.RSSMB)
		}
		fmt.Printf("| %s | %.2f | %s |\n", s.What, s.Seconds, rss)
	}
	fmt.Printf("\nOf the restore to the point in time, the replay (load of the base and the hour, SAVE) took %.2fs.\n", res.ReplaySeconds)
}

// Result is one run's figures.
type Result struct {
	Keys, Writes           int
	RDBBytes, AOFBytes     int64
	Segments               int
	SegmentBytes           int64
	Steps                  []Step
	ReplaySeconds          float64
	KeysAfter, KeysAtPoint int64
}

// Step is one measured step.
type Step struct {
	What    string
	Seconds float64
	RSSMB   float64 `json:",omitempty"`
}

func run(keys, writes int) (*Result, error) {
	ctx := context.Background()
	res := &Result{Keys: keys, Writes: writes}
	work, bin, cleanup, err := bench.Workdir("redisplan-benchpitr-")
	if err != nil {
		return nil, err
	}
	defer cleanup()
	redisBin, err := server.Binary()
	if err != nil {
		return nil, err
	}
	port, err := server.FreePort()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(work, "data")
	os.Mkdir(data, 0o755)
	conf := filepath.Join(work, "redis.conf")
	pidfile := filepath.Join(work, "redis.pid")
	os.WriteFile(conf, []byte(fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\ndaemonize yes\npidfile %s\nlogfile %s/redis.log\nsave \"\"\nappendonly no\n",
		port, data, pidfile, work)), 0o644)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	dest := filepath.Join(work, "backups")
	spec := filepath.Join(work, "spec.hcl")
	os.WriteFile(spec, []byte(fmt.Sprintf("redis \"bench\" {\n  address     = %q\n  config_file = %q\n  service {\n    start = [%q, %q]\n  }\n"+
		"  backup {\n    destination = %q\n  }\n}\n", addr, conf, redisBin, conf, dest)), 0o644)
	if out, err := exec.Command(redisBin, conf).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("start: %v %s", err, out)
	}
	c := server.NewClient(addr, "", nil)
	defer c.Close()
	defer func() {
		b, _ := os.ReadFile(pidfile)
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			server.KillPID(pid)
		}
	}()
	if _, err := server.WaitLoaded(ctx, c, server.Waiting{Name: addr}); err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "loading %d keys...\n", keys)
	if err := load(ctx, c, keys); err != nil {
		return nil, err
	}
	if _, err := measured(bin, "backup", "run", "-no-prune", "-config", spec); err != nil {
		return nil, err
	}
	baseRDB := filepath.Join(work, "base.rdb")
	if err := c.Save(ctx).Err(); err != nil {
		return nil, err
	}
	if err := os.Rename(filepath.Join(data, "dump.rdb"), baseRDB); err != nil {
		return nil, err
	}
	st, _ := os.Stat(baseRDB)
	res.RDBBytes = st.Size()

	fmt.Fprintf(os.Stderr, "writing an hour of %d writes as segments...\n", writes)
	repo, err := repository.Open(&model.Target{Name: "bench", Backup: &model.Backup{Destination: dest}}, "")
	if err != nil {
		return nil, err
	}
	base, err := anchorBase(ctx, repo, dest)
	if err != nil {
		return nil, err
	}
	incr := filepath.Join(work, "hour.incr.aof")
	end, err := synthesize(ctx, repo, res, base, keys, incr)
	if err != nil {
		return nil, err
	}

	// (a) a plain restore of the base: the hour is lost.
	out, step, err := timed("plain restore of the base (redisplan restore -latest): the hour is lost", bin,
		"restore", "-config", spec, "-target", "bench", "-latest", "-auto-approve", "-keep-safety-copy=false")
	if err != nil {
		return nil, err
	}
	res.Steps = append(res.Steps, step)
	_ = out

	// (b) the restore to the end of the hour.
	out, step, err = timed("redisplan restore -to-time base+1h (replay in a scratch server, then the restore)", bin,
		"restore", "-config", spec, "-target", "bench", "-to-time", end.UTC().Format(time.RFC3339Nano), "-auto-approve", "-keep-safety-copy=false")
	if err != nil {
		return nil, err
	}
	res.Steps = append(res.Steps, step)
	if m := replayed.FindStringSubmatch(out); m != nil {
		l, _ := strconv.ParseFloat(m[2], 64)
		s, _ := strconv.ParseFloat(m[3], 64)
		res.ReplaySeconds = l + s
		if n, _ := strconv.Atoi(m[1]); n != writes {
			return nil, fmt.Errorf("the restore replayed %d writes, the hour holds %d:\n%s", n, writes, out)
		}
	} else {
		return nil, fmt.Errorf("the restore did not say what it replayed:\n%s", out)
	}
	res.KeysAfter, _ = c.DBSize(ctx).Result()

	// (c) redis-check-aof --truncate-to-timestamp on the same base and
	// hour, then a bare load of it.
	step, keysAt, err := checkAOFAndLoad(ctx, work, redisBin, baseRDB, incr, end)
	if err != nil {
		return nil, err
	}
	res.Steps = append(res.Steps, step)
	res.KeysAtPoint = keysAt
	if keysAt != res.KeysAfter {
		return nil, fmt.Errorf("the bare load of the truncated AOF holds %d keys, the restored server %d", keysAt, res.KeysAfter)
	}
	return res, nil
}

var replayed = regexp.MustCompile(`replayed (\d+) writes \(received .*\) in ([\d.]+)s and saved them with the base in ([\d.]+)s`)

// anchorBase gives the base backup the stream position an archiver's
// base has: offset 0 of the synthesized stream.
func anchorBase(ctx context.Context, repo *repository.Repository, dest string) (*backup.Manifest, error) {
	ms, err := backup.LoadCatalog(ctx, repo.Storage)
	if err != nil || len(ms) != 1 {
		return nil, fmt.Errorf("the base backup: %v (%d backups)", err, len(ms))
	}
	paths, _ := filepath.Glob(filepath.Join(dest, "*", ms[0].ID, backup.ManifestName))
	if len(paths) != 1 {
		return nil, fmt.Errorf("no manifest of %s", ms[0].ID)
	}
	b, err := os.ReadFile(paths[0])
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	m["repl_id"], m["repl_offset"], m["repl_stream_db"] = replID, 0, 0
	if b, err = json.Marshal(m); err != nil {
		return nil, err
	}
	return ms[0], os.WriteFile(paths[0], b, 0o600)
}

// synthesize writes the hour: segments into repo, and the same commands
// with Redis' #TS: annotations into the AOF incr file at incr. It returns
// the time of the last write.
func synthesize(ctx context.Context, repo *repository.Repository, res *Result, base *backup.Manifest, keys int, incr string) (time.Time, error) {
	f, err := os.Create(incr)
	if err != nil {
		return time.Time{}, err
	}
	defer f.Close()
	r := rand.New(rand.NewPCG(3, 4))
	start := base.Finished.Add(time.Second).Truncate(time.Second)
	step := time.Hour / time.Duration(res.Writes)
	var off int64
	var last time.Time
	var buf, aof bytes.Buffer
	var w *archive.SegmentWriter
	segStart, lastSec := int64(0), int64(-1)
	flush := func(at time.Time) error {
		if w == nil {
			return nil
		}
		if _, err := w.Close(at); err != nil {
			return err
		}
		s := archive.Segment{ReplID: replID, Start: segStart, End: off}
		if err := repo.CommitObject(ctx, repository.Archive, s.FileName(), buf.Bytes()); err != nil {
			return err
		}
		res.Segments++
		res.SegmentBytes += int64(buf.Len())
		if _, err := f.Write(aof.Bytes()); err != nil {
			return err
		}
		res.AOFBytes += int64(aof.Len())
		buf.Reset()
		aof.Reset()
		w = nil
		return nil
	}
	for i := 0; i < res.Writes; i++ {
		at := start.Add(time.Duration(i) * step)
		if sec := at.Unix(); sec != lastSec {
			if err := flush(at); err != nil {
				return time.Time{}, err
			}
			lastSec = sec
			segStart = off
			if w, err = archive.NewSegmentWriter(&buf, archive.Header{Version: archive.SegmentVersion, Target: "bench", ReplID: replID,
				StartOffset: off, First: at}); err != nil {
				return time.Time{}, err
			}
			fmt.Fprintf(&aof, "#TS:%d\r\n", sec)
		}
		if err := w.Mark(at); err != nil {
			return time.Time{}, err
		}
		raw := command(r, keys, i)
		_, args, err := archive.ParseCommand(raw)
		if err != nil {
			return time.Time{}, err
		}
		if err := w.Command(raw, args); err != nil {
			return time.Time{}, err
		}
		aof.Write(raw)
		off += int64(len(raw))
		last = at
	}
	return last, flush(last)
}

// command is write i of the hour.
func command(r *rand.Rand, keys, i int) []byte {
	var args []string
	switch n := r.IntN(100); {
	case n < 70:
		args = []string{"SET", "order:" + strconv.Itoa(r.IntN(keys)), value(r, i)}
	case n < 85:
		args = []string{"HINCRBY", "stats:" + strconv.Itoa(r.IntN(1000)), "f" + strconv.Itoa(r.IntN(20)), "1"}
	case n < 95:
		args = []string{"INCR", "counter:" + strconv.Itoa(r.IntN(1000))}
	default:
		args = []string{"DEL", "order:" + strconv.Itoa(r.IntN(keys))}
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.Bytes()
}

func value(r *rand.Rand, i int) string {
	return fmt.Sprintf(`{"id":%d,"user":"u%08x","symbol":"%s","price":%.4f,"qty":%d,"ts":%d,"note":"%016x"}`,
		i, r.Uint32(), []string{"BTCUSD", "ETHUSD", "EURUSD", "XAUUSD"}[r.IntN(4)], r.Float64()*1e5, r.IntN(1000), 1700000000000+r.Int64N(1e10), r.Uint64())
}

// checkAOFAndLoad is the alternative without redisplan: the base and the
// hour as a multi-part AOF, redis-check-aof --truncate-to-timestamp at
// the end of the hour, and a redis-server started on it until loaded.
func checkAOFAndLoad(ctx context.Context, work, redisBin, baseRDB, incr string, end time.Time) (Step, int64, error) {
	dir := filepath.Join(work, "checkaof")
	aofDir := filepath.Join(dir, "appendonlydir")
	if err := os.MkdirAll(aofDir, 0o755); err != nil {
		return Step{}, 0, err
	}
	if err := os.Link(baseRDB, filepath.Join(aofDir, "appendonly.aof.1.base.rdb")); err != nil {
		return Step{}, 0, err
	}
	if err := os.Link(incr, filepath.Join(aofDir, "appendonly.aof.1.incr.aof")); err != nil {
		return Step{}, 0, err
	}
	manifest := filepath.Join(aofDir, "appendonly.aof.manifest")
	os.WriteFile(manifest, []byte("file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"), 0o644)
	checkAOF := filepath.Join(filepath.Dir(redisBin), "redis-check-aof")
	began := time.Now()
	if out, err := exec.Command(checkAOF, "--truncate-to-timestamp", strconv.FormatInt(end.Unix()+1, 10), manifest).CombinedOutput(); err != nil {
		return Step{}, 0, fmt.Errorf("redis-check-aof: %v\n%s", err, out)
	}
	srv, err := server.Start(ctx, server.Spec{Bin: redisBin, Dir: dir, LogFile: filepath.Join(dir, "redis.log"),
		Args: func(port int) ([]string, error) {
			return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--save", ""}, nil
		}})
	if err != nil {
		return Step{}, 0, err
	}
	defer srv.Stop(time.Minute)
	seconds := time.Since(began).Seconds()
	c := server.NewClient(srv.Addr(), "", nil)
	defer c.Close()
	n, err := c.DBSize(ctx).Result()
	return Step{What: "redis-check-aof --truncate-to-timestamp + bare load (nothing restored into a target, nothing checked)", Seconds: seconds}, n, err
}

func load(ctx context.Context, c *redis.Client, keys int) error {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < keys; i += 10_000 {
		p := c.Pipeline()
		for j := i; j < i+10_000 && j < keys; j++ {
			p.Set(ctx, "order:"+strconv.Itoa(j), value(r, j), 0)
		}
		if _, err := p.Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

func measured(bin string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("redisplan %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

func timed(what, bin string, args ...string) (string, Step, error) {
	began := time.Now()
	cmd := exec.Command(bin, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", Step{}, fmt.Errorf("%s: %v\n%s", what, err, out)
	}
	step := Step{What: what, Seconds: time.Since(began).Seconds(), RSSMB: bench.PeakRSS(cmd)}
	fmt.Fprintf(os.Stderr, "%s: %.2fs\n", what, step.Seconds)
	return string(out), step, nil
}
