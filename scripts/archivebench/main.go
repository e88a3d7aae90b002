// Command archivebench measures the continuous archive under load: it
// starts a scratch redis-server and `redisplan archive` on it (segments
// in a local directory, flush 1s), drives SETs with redis-benchmark
// (pipelined, -P 16), and samples every 100 ms how far the server's
// stream is ahead of the offset the archiver acknowledged (it
// acknowledges only what it committed). It reports the write rate, the
// archive's lag under it, how long the archive took to catch up once the
// load stopped, and the archiver's peak RSS; beside it, the same load
// followed by a plain redis-server replica, the nearest alternative. The
// figures go into docs/performance.md through `make bench`
// (scripts/benchreport runs it with -json).
package main

import (
	"context"
	"flag"
	"fmt"
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
	"github.com/redisplan/redisplan/internal/redisinfo"
	"github.com/redisplan/redisplan/scripts/internal/bench"
)

func main() {
	requests := flag.Int("requests", 3_000_000, "SETs redis-benchmark sends")
	pipeline := flag.Int("pipeline", 16, "redis-benchmark -P")
	asJSON := flag.Bool("json", false, "print the figures as JSON")
	flag.Parse()
	redis.SetLogger(bench.QuietLogger{})
	res, err := run(*requests, *pipeline)
	if bench.Finish("archivebench", res, err, *asJSON) {
		return
	}
	fmt.Printf("redis-benchmark -t set -P %d -n %d -r 1000000 -d 32 -c 50\n\n", *pipeline, *requests)
	fmt.Println("| follower | writes/s | lag p50 (s) | lag max (s) | caught up after the load (s) | peak RSS (MB) |")
	fmt.Println("|---|---:|---:|---:|---:|---:|")
	for _, r := range res.Runs {
		fmt.Printf("| %s | %.0f | %.2f | %.2f | %.2f | %.1f |\n", r.Follower, r.WritesPerSec, r.LagP50, r.LagMax, r.CatchUp, r.RSSMB)
	}
	fmt.Printf("\nSegments: %d, %.1f MB stored for %.1f MB of stream.\n", res.Segments, float64(res.StoredBytes)/1e6, float64(res.StreamBytes)/1e6)
}

// Result is every figure of one run.
type Result struct {
	Requests, Pipeline int
	Runs               []Run
	Segments           int
	StoredBytes        int64
	StreamBytes        int64
}

// Run is one follower under the load.
type Run struct {
	Follower     string
	WritesPerSec float64
	// LagP50 and LagMax are how far behind the server the follower's
	// acknowledged offset was, in seconds, sampled every 100 ms during the
	// load.
	LagP50, LagMax float64
	// CatchUp is the time from the end of the load until the follower
	// acknowledged the server's last offset.
	CatchUp float64
	RSSMB   float64
}

func run(requests, pipeline int) (*Result, error) {
	work, bin, cleanup, err := bench.Workdir("redisplan-archivebench-")
	if err != nil {
		return nil, err
	}
	defer cleanup()
	res := &Result{Requests: requests, Pipeline: pipeline}

	// The archive.
	srv, c, err := scratch(work, "archive")
	if err != nil {
		return nil, err
	}
	defer srv.Kill()
	spec := filepath.Join(work, "spec.hcl")
	backups := filepath.Join(work, "backups")
	if err := os.WriteFile(spec, []byte(fmt.Sprintf("redis \"main\" {\n  address = %q\n  backup {\n    destination = %q\n    archive {\n      flush = \"1s\"\n    }\n  }\n}\n", srv.Addr(), backups)), 0o600); err != nil {
		return nil, err
	}
	arch := exec.Command(bin, "archive", "-config", spec, "-target", "main")
	log, err := os.Create(filepath.Join(work, "archive.log"))
	if err != nil {
		return nil, err
	}
	defer log.Close()
	arch.Stdout, arch.Stderr = log, log
	if err := arch.Start(); err != nil {
		return nil, err
	}
	defer func() {
		if arch.ProcessState == nil {
			arch.Process.Kill()
			arch.Wait()
		}
	}()
	r, err := measure(c, srv.Port(), requests, pipeline)
	if err != nil {
		b, _ := os.ReadFile(log.Name())
		return nil, fmt.Errorf("%w\narchiver's output:\n%s", err, b)
	}
	arch.Process.Signal(syscall.SIGTERM)
	if err := arch.Wait(); err != nil {
		b, _ := os.ReadFile(log.Name())
		return nil, fmt.Errorf("archive exited with %v:\n%s", err, b)
	}
	r.Follower, r.RSSMB = "redisplan archive (flush 1s, local directory)", bench.PeakRSS(arch)
	res.Runs = append(res.Runs, r)
	entries, _ := os.ReadDir(filepath.Join(backups, "main", "archive"))
	for _, e := range entries {
		if info, err := e.Info(); err == nil && strings.HasSuffix(e.Name(), ".aof.zst") {
			res.Segments++
			res.StoredBytes += info.Size()
		}
	}
	info := infoOf(c, "replication")
	res.StreamBytes, _ = strconv.ParseInt(info["master_repl_offset"], 10, 64)

	// The alternative: a redis-server replica of a second scratch server.
	srv2, c2, err := scratch(work, "primary")
	if err != nil {
		return nil, err
	}
	defer srv2.Kill()
	rbin, err := server.Binary()
	if err != nil {
		return nil, err
	}
	rdir := filepath.Join(work, "replica")
	os.MkdirAll(rdir, 0o700)
	port, err := server.FreePort()
	if err != nil {
		return nil, err
	}
	rep := exec.Command(rbin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", rdir, "--save", "", "--appendonly", "no",
		"--replicaof", "127.0.0.1", strconv.Itoa(srv2.Port()), "--logfile", filepath.Join(rdir, "redis.log"))
	if err := rep.Start(); err != nil {
		return nil, err
	}
	defer func() { rep.Process.Kill(); rep.Wait() }()
	r2, err := measure(c2, srv2.Port(), requests, pipeline)
	if err != nil {
		return nil, err
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", rep.Process.Pid)); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
				kb, _ := strconv.ParseFloat(f[1], 64)
				r2.RSSMB = kb / 1024
			}
		}
	}
	r2.Follower = "redis-server replica (in memory, no persistence; its RSS holds the dataset)"
	res.Runs = append(res.Runs, r2)
	return res, nil
}

// scratch starts a redis-server for the load, without persistence.
func scratch(work, name string) (*server.Server, *redis.Client, error) {
	rbin, err := server.Binary()
	if err != nil {
		return nil, nil, err
	}
	dir := filepath.Join(work, name)
	os.MkdirAll(dir, 0o700)
	conf := filepath.Join(dir, "redis.conf")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := server.Start(ctx, server.Spec{
		Bin: rbin, Dir: dir, LogFile: filepath.Join(dir, "redis.log"),
		Args: func(port int) ([]string, error) {
			lines := append(server.LoopbackLines(port, dir, filepath.Join(dir, "redis.log")), `save ""`, "appendonly no")
			return []string{conf}, os.WriteFile(conf, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
		},
	})
	if err != nil {
		return nil, nil, err
	}
	return srv, redis.NewClient(&redis.Options{Addr: srv.Addr(), Protocol: 2, DisableIdentity: true}), nil
}

func infoOf(c *redis.Client, section string) map[string]string {
	s, _ := c.Info(context.Background(), section).Result()
	return redisinfo.Parse(s)
}

// ackedOffset is the offset the server's one replica acknowledged; false
// while it has none online.
func ackedOffset(c *redis.Client) (master, acked int64, ok bool) {
	info := infoOf(c, "replication")
	master, _ = strconv.ParseInt(info["master_repl_offset"], 10, 64)
	v := redisinfo.Values(info["slave0"])
	if v["state"] != "online" {
		return master, 0, false
	}
	acked, err := strconv.ParseInt(v["offset"], 10, 64)
	return master, acked, err == nil
}

var rps = regexp.MustCompile(`SET: ([\d.]+) requests per second`)

// measure waits for the follower to be online, runs the load and samples
// the lag until the follower caught up.
func measure(c *redis.Client, port, requests, pipeline int) (Run, error) {
	var r Run
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, _, ok := ackedOffset(c); ok {
			break
		}
		if time.Now().After(deadline) {
			return r, fmt.Errorf("no replica came online on port %d in 2 minutes", port)
		}
		time.Sleep(100 * time.Millisecond)
	}
	type sample struct {
		at     time.Time
		master int64
	}
	var history []sample
	var lags []float64
	// lagAt is how long ago the server's offset first reached acked.
	lagAt := func(now time.Time, acked int64) float64 {
		for _, s := range history {
			if s.master > acked {
				return max(0, now.Sub(s.at).Seconds())
			}
		}
		return 0
	}
	bm := exec.Command("redis-benchmark", "-p", strconv.Itoa(port), "-t", "set", "-P", strconv.Itoa(pipeline),
		"-n", strconv.Itoa(requests), "-r", "1000000", "-d", "32", "-c", "50", "-q")
	out := &strings.Builder{}
	bm.Stdout, bm.Stderr = out, out
	if err := bm.Start(); err != nil {
		return r, err
	}
	done := make(chan error, 1)
	go func() { done <- bm.Wait() }()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var loadEnd time.Time
	var finalOffset int64
	for {
		select {
		case err := <-done:
			if err != nil {
				return r, fmt.Errorf("redis-benchmark: %v\n%s", err, out)
			}
			loadEnd = time.Now()
			finalOffset, _, _ = ackedOffset(c)
			done = nil
		case now := <-tick.C:
			master, acked, _ := ackedOffset(c)
			history = append(history, sample{now, master})
			if loadEnd.IsZero() {
				lags = append(lags, lagAt(now, acked))
				continue
			}
			if acked >= finalOffset {
				r.CatchUp = now.Sub(loadEnd).Seconds()
				m := rps.FindStringSubmatch(out.String())
				if m == nil {
					return r, fmt.Errorf("redis-benchmark printed no rate:\n%s", out)
				}
				r.WritesPerSec, _ = strconv.ParseFloat(m[1], 64)
				slices.Sort(lags)
				if len(lags) > 0 {
					r.LagP50, r.LagMax = lags[len(lags)/2], lags[len(lags)-1]
				}
				return r, nil
			}
			if now.Sub(loadEnd) > 2*time.Minute {
				return r, fmt.Errorf("the follower did not catch up within 2 minutes of the load's end (acked %d of %d)", acked, finalOffset)
			}
		}
	}
}
