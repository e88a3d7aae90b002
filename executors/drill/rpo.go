package drill

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/executors/server"
	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/internal/secret"
)

const (
	// DefaultRuns is how many crashes RPO makes when RPOOptions.Runs is 0.
	DefaultRuns = 10
	// DefaultDuration is how long each run writes, at most, when
	// RPOOptions.Duration is 0.
	DefaultDuration = 3 * time.Second
	// countBatch is how many keys one MGET asks for when counting what
	// survived.
	countBatch = 1000
	// writeTimeout bounds one write: with appendfsync always on a slow
	// disk a reply can take a while, but a server that stopped answering
	// must not hang the drill.
	writeTimeout = 30 * time.Second
)

// RPOOptions tunes RPO.
type RPOOptions struct {
	// Runs is how many times the server is crashed; 0 means DefaultRuns.
	Runs int
	// Duration is how long writes run before the kill window: the kill
	// happens at a random moment in [Duration/2, Duration] after the
	// first write; 0 means DefaultDuration.
	Duration time.Duration
	// Seed makes the kill moments reproducible; 0 takes one from the
	// clock.
	Seed int64
	// Emit receives progress, one line at a time; nil discards it.
	Emit progress.Sink
}

func (o RPOOptions) emit(format string, args ...any) {
	o.Emit.Say(progress.Step, format, args...)
}

// RPORun is what one crash lost.
type RPORun struct {
	// Acknowledged is how many writes got their OK before the crash;
	// Recovered how many of them the restarted server holds; Lost the
	// rest (Acknowledged - Recovered).
	Acknowledged, Recovered, Lost int64
	// LostMillis is the time span of the lost acknowledged writes: the
	// ack time of the last acknowledged write minus the ack time of the
	// first lost one. 0 when nothing was lost.
	LostMillis float64
	// KilledAfterMillis is when the server was killed, counted from the
	// start of the writes.
	KilledAfterMillis float64
}

// RPOResult is the outcome of every run.
type RPOResult struct {
	Runs []RPORun
	// WorstLost and MedianLost are over the runs' Lost; WorstLostMillis
	// and MedianLostMillis over their LostMillis. With an even number of
	// runs the median is the mean of the two middle values (rounded down
	// for the write counts).
	WorstLost, MedianLost             int64
	WorstLostMillis, MedianLostMillis float64
	// Persistence describes what the scratch server ran with, as CONFIG
	// GET reported it: "appendonly yes, appendfsync everysec", or
	// `appendonly no, save ""`.
	Persistence string
	// AOF and AppendFsync are the server's appendonly and appendfsync.
	AOF         bool
	AppendFsync string
	// ServerVersion is the release of the redis-server binary the drill
	// ran: "7.0.15", "valkey 8.0.1".
	ServerVersion string
	// Binary is the server binary the drill ran: one of the target's
	// release (targetBinary); BinaryNote says why not when it is not.
	Binary     string
	BinaryNote string
}

// targetBinary finds a server binary of the release the target's server
// reports (server.BinaryOf), so that the drill crashes the engine the
// target runs: its INFO's executable, else the binary the spec's start
// command names, else valkey-server or redis-server in PATH.
func targetBinary(ctx context.Context, t *model.Target) (bin, note string, err error) {
	timeout := t.Connection.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	var info map[string]string
	// A plain connection attempt first: go-redis logs a failed dial, and
	// a target that is down only costs the drill its release.
	network, addr := server.Address(t.Connection)
	d := net.Dialer{Timeout: timeout}
	if nc, err := d.DialContext(ctx, network, addr); err == nil {
		nc.Close()
	} else {
		return server.BinaryOf(ctx, "")
	}
	if c, err := live.Dial(t.Connection); err == nil {
		ictx, cancel := context.WithTimeout(ctx, timeout)
		info, _ = live.Info(ictx, c, "server")
		cancel()
		c.Close()
	}
	candidates := []string{info["executable"]}
	if t.Service != nil && len(t.Service.Start) > 0 && filepath.IsAbs(t.Service.Start[0]) {
		candidates = append(candidates, t.Service.Start[0])
	}
	return server.BinaryOf(ctx, catalog.ServerVersion(info), candidates...)
}

// RPO measures how many acknowledged writes a crash loses under the
// target's persistence directives.
//
// It starts a scratch server (a binary of the target's release,
// targetBinary, a free loopback port, a temporary directory) whose config is the
// target's persistence directives as redisconf.Render writes them, and
// nothing else of the target: no rename-command, no password, no memory
// limits. Directives the spec leaves unmanaged keep Redis' defaults.
//
// Each run starts the server in a fresh directory and writes SET n:<i> <i>
// one at a time on one connection, recording when each OK arrived. At a
// random moment in [Duration/2, Duration] another goroutine kills the
// server with SIGKILL (with its fork children); the server then restarts
// from the same files, and once it has loaded them every acknowledged
// write is looked up: an acknowledged write that is absent (or holds
// another value) is lost.
//
// SIGKILL is a process crash: data the server had handed to the kernel
// survives it, because the kernel still writes it out. A power cut or a
// kernel crash also loses what the kernel had not written yet; that loss
// is what appendfsync bounds, and a drill on a running machine cannot
// produce it.
//
// Every server is killed and every directory removed before RPO returns,
// whether it succeeded or not.
func RPO(ctx context.Context, t *model.Target, opts RPOOptions) (res RPOResult, err error) {
	if t == nil {
		return RPOResult{}, errors.New("rpo drill: no target")
	}
	defer func() {
		if err != nil {
			err = secret.New(t.Secrets()...).Errorf("rpo drill of redis.%s: %w", t.Name, err)
		}
	}()
	su, err := setUp(ctx, t, opts.Runs, DefaultRuns, opts.Duration, opts.Seed, "redisplan-rpo-")
	if err != nil {
		return RPOResult{}, err
	}
	defer func() {
		if rerr := os.RemoveAll(su.root); rerr != nil && err == nil {
			err = fmt.Errorf("the drill is done, but its scratch directory could not be removed: %w", rerr)
		}
	}()
	if su.note != "" {
		opts.emit("%s", su.note)
	}
	runs, duration, bin, cat, root := su.runs, su.duration, su.bin, su.cat, su.root
	res.Binary, res.BinaryNote, res.ServerVersion = bin, su.note, su.version
	opts.emit("scratch %s %s in %s; %d runs, each killed %s to %s after its first write",
		filepath.Base(bin), res.ServerVersion, root, runs, duration/2, duration)

	res.Runs, err = su.runEach(func(i int, dir string, killAt time.Duration) (RPORun, error) {
		return crashOnce(ctx, newScratch(bin, t, cat, dir), killAt, &res, i, runs, opts)
	})
	if err != nil {
		return res, err
	}
	res.WorstLost, res.MedianLost, res.WorstLostMillis, res.MedianLostMillis = summarize(res.Runs)
	return res, nil
}

// crashOnce is one run: start, write, kill at killAt, restart, count. The
// first run also records what persistence the server ran with into res.
// The server is dead when crashOnce returns.
func crashOnce(ctx context.Context, s *scratch, killAt time.Duration, res *RPOResult, i, runs int, opts RPOOptions) (RPORun, error) {
	defer s.kill()
	if err := s.start(ctx); err != nil {
		return RPORun{}, err
	}
	opts.emit("run %d/%d: started pid %d on %s in %s", i, runs, s.pid(), s.addr(), s.dir)
	if i == 1 {
		if err := describePersistence(ctx, s.addr(), res); err != nil {
			return RPORun{}, err
		}
	}

	acks, killedAfter, err := writeUntilKilled(ctx, s.addr(), s.kill, s.logTail, killAt)
	if err != nil {
		return RPORun{}, err
	}
	run := RPORun{Acknowledged: int64(len(acks)), KilledAfterMillis: millis(killedAfter)}
	if len(acks) == 0 {
		return RPORun{}, fmt.Errorf("no write was acknowledged in the %s before the kill; use a longer duration", killedAfter.Round(time.Millisecond))
	}

	if err := s.start(ctx); err != nil {
		return RPORun{}, fmt.Errorf("restart after the kill: %w", err)
	}
	recovered, firstLost, err := countSurvivors(ctx, s.addr(), len(acks))
	if err != nil {
		return RPORun{}, err
	}
	run.Recovered = recovered
	run.Lost = run.Acknowledged - recovered
	if firstLost >= 0 {
		run.LostMillis = millis(acks[len(acks)-1] - acks[firstLost])
	}
	opts.emit("run %d/%d: killed after %.0fms with %d writes acknowledged; restarted as pid %d: %d recovered, %d lost (%.0fms of writes)",
		i, runs, run.KilledAfterMillis, run.Acknowledged, s.pid(), run.Recovered, run.Lost, run.LostMillis)
	return run, nil
}

// describePersistence reads what the server runs with.
func describePersistence(ctx context.Context, addr string, res *RPOResult) error {
	c := server.NewClient(addr, "", nil)
	defer c.Close()
	cfg, err := live.ConfigGet(ctx, c, "CONFIG", "appendonly", "appendfsync", "save")
	if err != nil {
		return err
	}
	res.AOF = cfg["appendonly"] == "yes"
	res.AppendFsync = cfg["appendfsync"]
	if res.AOF {
		// With appendonly yes a restart loads the AOF, never the RDB:
		// save points do not change what survives.
		res.Persistence = "appendonly yes, appendfsync " + res.AppendFsync
	} else {
		save := cfg["save"]
		if save == "" {
			save = `""`
		}
		res.Persistence = "appendonly no, save " + save
	}
	return nil
}

// writeUntilKilled writes numbered keys one at a time from one goroutine
// and kills the server from another at killAt. It returns when each OK
// arrived, counted from the first write, and when the kill happened. A
// write that fails before the kill is an error: the server failed on its
// own, and the run would measure that instead.
func writeUntilKilled(ctx context.Context, addr string, kill func(), logTail func() string, killAt time.Duration) ([]time.Duration, time.Duration, error) {
	c := server.NewClient(addr, "", func(o *redis.Options) {
		o.PoolSize = 1
		o.ReadTimeout = writeTimeout
		o.WriteTimeout = writeTimeout
	})
	defer c.Close()
	if err := c.Ping(ctx).Err(); err != nil { // connect before the clock starts
		return nil, 0, fmt.Errorf("connect to the scratch server: %w", err)
	}

	type outcome struct {
		acks []time.Duration
		err  error
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan outcome, 1)
	start := time.Now()
	go func() {
		var acks []time.Duration
		for i := 0; ; i++ {
			if err := c.Set(wctx, key(i), i, 0).Err(); err != nil {
				done <- outcome{acks, err}
				return
			}
			acks = append(acks, time.Since(start))
		}
	}()

	timer := time.NewTimer(killAt)
	defer timer.Stop()
	select {
	case <-timer.C:
		killedAfter := time.Since(start)
		kill()
		// The write in flight fails with the connection: that is the
		// crash, not an error of the run.
		o := <-done
		return o.acks, killedAfter, nil
	case o := <-done:
		if ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		return nil, 0, fmt.Errorf("write %d failed before the drill killed the server: %w%s", len(o.acks)+1, o.err, logTail())
	case <-ctx.Done():
		cancel()
		<-done
		return nil, 0, ctx.Err()
	}
}

func key(i int) string { return "n:" + strconv.Itoa(i) }

// countSurvivors looks up the first n numbered keys and returns how many
// hold their value, and the index of the first one that does not (-1 when
// all do).
func countSurvivors(ctx context.Context, addr string, n int) (recovered int64, firstLost int, err error) {
	c := server.NewClient(addr, "", nil)
	defer c.Close()
	firstLost = -1
	keys := make([]string, 0, countBatch)
	for lo := 0; lo < n; lo += countBatch {
		hi := min(lo+countBatch, n)
		keys = keys[:0]
		for i := lo; i < hi; i++ {
			keys = append(keys, key(i))
		}
		vals, err := c.MGet(ctx, keys...).Result()
		if err != nil {
			return 0, -1, fmt.Errorf("read the keys back after the restart: %w", err)
		}
		for j, v := range vals {
			if s, ok := v.(string); ok && s == strconv.Itoa(lo+j) {
				recovered++
			} else if firstLost < 0 {
				firstLost = lo + j
			}
		}
	}
	return recovered, firstLost, nil
}

// summarize returns the worst and median of the runs' losses, in writes
// and in milliseconds.
func summarize(runs []RPORun) (worst, median int64, worstMillis, medianMillis float64) {
	if len(runs) == 0 {
		return 0, 0, 0, 0
	}
	lost := make([]int64, len(runs))
	ms := make([]float64, len(runs))
	for i, r := range runs {
		lost[i], ms[i] = r.Lost, r.LostMillis
	}
	slices.Sort(lost)
	slices.Sort(ms)
	n := len(runs)
	worst, worstMillis = lost[n-1], ms[n-1]
	if n%2 == 1 {
		return worst, lost[n/2], worstMillis, ms[n/2]
	}
	return worst, (lost[n/2-1] + lost[n/2]) / 2, worstMillis, (ms[n/2-1] + ms[n/2]) / 2
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// setup is what a crash drill settles before its runs.
type setup struct {
	runs     int
	duration time.Duration
	rng      *rand.Rand
	bin      string
	note     string // why bin was chosen, when it is not the target's own engine
	version  string
	cat      *catalog.Catalog
	root     string // the scratch directory; the caller removes it
}

// setUp checks runs and duration (0 takes the defaults), seeds the kill
// moments (0 from the clock), finds the server binary of t's engine
// (targetBinary), its release and catalog, and makes the scratch
// directory.
func setUp(ctx context.Context, t *model.Target, runs, defaultRuns int, duration time.Duration, seed int64, prefix string) (setup, error) {
	switch {
	case runs < 0:
		return setup{}, fmt.Errorf("runs is %d: it must be at least 1", runs)
	case runs == 0:
		runs = defaultRuns
	}
	switch {
	case duration < 0:
		return setup{}, fmt.Errorf("duration is %s: it must be positive", duration)
	case duration == 0:
		duration = DefaultDuration
	}
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	su := setup{runs: runs, duration: duration, rng: rand.New(rand.NewPCG(uint64(seed), uint64(seed)>>17^0x9e3779b97f4a7c15))}
	var err error
	if su.bin, su.note, err = targetBinary(ctx, t); err != nil {
		return setup{}, fmt.Errorf("a drill runs a scratch redis-server, and %w", err)
	}
	if su.version, err = server.Version(ctx, su.bin); err != nil {
		return setup{}, err
	}
	if su.cat, err = catalog.For(su.version); err != nil {
		return setup{}, fmt.Errorf("render the target's persistence directives for %s: %w", su.bin, err)
	}
	if su.root, err = os.MkdirTemp("", prefix); err != nil {
		return setup{}, fmt.Errorf("create the scratch directory: %w", err)
	}
	return su, nil
}

// runEach runs the drill's runs one after the other, each in a directory
// of its own under the scratch directory (removed after it) and with its
// kill moment, a random one in [duration/2, duration]. It returns the
// runs done, and the first error with the run it happened in.
func (su setup) runEach(run func(i int, dir string, killAt time.Duration) (RPORun, error)) ([]RPORun, error) {
	var runs []RPORun
	for i := 1; i <= su.runs; i++ {
		killAt := su.duration/2 + time.Duration(su.rng.Int64N(int64(su.duration-su.duration/2)+1))
		dir := filepath.Join(su.root, fmt.Sprintf("run-%02d", i))
		if err := os.Mkdir(dir, 0o700); err != nil {
			return runs, fmt.Errorf("create the directory of run %d: %w", i, err)
		}
		r, err := run(i, dir, killAt)
		if rerr := os.RemoveAll(dir); rerr != nil && err == nil {
			err = fmt.Errorf("remove the directory of run %d: %w", i, rerr)
		}
		if err != nil {
			return runs, fmt.Errorf("run %d of %d: %w", i, su.runs, err)
		}
		runs = append(runs, r)
	}
	return runs, nil
}
