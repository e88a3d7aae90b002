package drill

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redisplan/redisplan/executors/server"
	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/internal/redisconf"
	"github.com/redisplan/redisplan/internal/secret"
)

// DefaultPITRRuns is how many disasters PITR makes when PITROptions.Runs
// is 0: each takes a base, a restore and a replay.
const DefaultPITRRuns = 3

// PITROptions tunes PITR.
type PITROptions struct {
	// Runs, Duration and Seed are as in RPOOptions.
	Runs     int
	Duration time.Duration
	Seed     int64
	// Flush is the archive's flush: after the kill the archiver gets
	// that long, and half a second more, to commit what it received
	// before it is stopped.
	Flush time.Duration
	// Archive follows the server of t into t's backup destination until
	// ctx ends, committing what it received before it returns; it calls
	// ready once it follows the stream (its base is stored).
	Archive func(ctx context.Context, t *model.Target, ready func()) error
	// Restore restores everything archived into t, whose server is down
	// and whose data dir is gone, and leaves it running.
	Restore func(ctx context.Context, t *model.Target) error
	Emit    progress.Sink
}

// PITRRun is what one disaster lost: as an RPORun, with the writes
// counted on the restored server.
type PITRRun = RPORun

// PITRResult is the outcome of every run.
type PITRResult struct {
	Runs                              []PITRRun
	WorstLost, MedianLost             int64
	WorstLostMillis, MedianLostMillis float64
	ServerVersion                     string
	Flush                             time.Duration
}

// PITR measures what losing a server's host costs when its writes are
// archived: for each run, a scratch redis-server (the target's
// persistence directives, daemonized like a service, its data dir apart
// from its config and log) is archived by Archive into a scratch
// destination; numbered keys are written one at a time, each ack timed;
// at a random moment in [Duration/2, Duration] the server is killed with
// SIGKILL and its data dir removed; the archiver gets Flush and half a
// second to commit, then is stopped; Restore puts everything archived
// back (the server starts through its service start command); every
// acknowledged write is looked up. Servers are killed and directories
// removed before PITR returns.
func PITR(ctx context.Context, t *model.Target, opts PITROptions) (res PITRResult, err error) {
	if t == nil || opts.Archive == nil || opts.Restore == nil {
		return PITRResult{}, errors.New("pitr drill: a target, an archiver and a restore are needed")
	}
	defer func() {
		if err != nil {
			err = secret.New(t.Secrets()...).Errorf("pitr drill of redis.%s: %w", t.Name, err)
		}
	}()
	su, err := setUp(ctx, t, opts.Runs, DefaultPITRRuns, opts.Duration, opts.Seed, "redisplan-pitr-drill-")
	if err != nil {
		return PITRResult{}, err
	}
	defer func() {
		if rerr := os.RemoveAll(su.root); rerr != nil && err == nil {
			err = fmt.Errorf("the drill is done, but its scratch directory could not be removed: %w", rerr)
		}
	}()
	if su.note != "" {
		opts.Emit.Say(progress.Step, "%s", su.note)
	}
	runs, duration, bin, cat, root := su.runs, su.duration, su.bin, su.cat, su.root
	res.Flush, res.ServerVersion = opts.Flush, su.version
	opts.Emit.Say(progress.Step, "scratch %s %s in %s, archived with a flush of %s; %d runs, each killed %s to %s after its first write",
		filepath.Base(bin), res.ServerVersion, root, opts.Flush, runs, duration/2, duration)
	res.Runs, err = su.runEach(func(i int, dir string, killAt time.Duration) (RPORun, error) {
		return disasterOnce(ctx, bin, t, cat, dir, killAt, i, runs, opts)
	})
	if err != nil {
		return res, err
	}
	res.WorstLost, res.MedianLost, res.WorstLostMillis, res.MedianLostMillis = summarize(res.Runs)
	return res, nil
}

// serviceScratch is a scratch server run as a service would run it:
// daemonized, started by a command, known by its pidfile.
type serviceScratch struct {
	bin, conf, pidfile, logfile, data string
	target                            *model.Target
}

func newServiceScratch(bin string, t *model.Target, cat *catalog.Catalog, dir string) (*serviceScratch, error) {
	port, err := server.FreePort()
	if err != nil {
		return nil, err
	}
	s := &serviceScratch{bin: bin, conf: filepath.Join(dir, "redis.conf"), pidfile: filepath.Join(dir, "redis.pid"),
		logfile: filepath.Join(dir, "redis.log"), data: filepath.Join(dir, "data")}
	if err := os.Mkdir(s.data, 0o750); err != nil {
		return nil, err
	}
	conf := scratchConfig(t, cat, port, s.data, s.logfile)
	conf = append(conf, []byte(redisconf.FormatLine("daemonize", "yes")+"\n"+redisconf.FormatLine("pidfile", s.pidfile)+"\n")...)
	if err := os.WriteFile(s.conf, conf, 0o600); err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	s.target = &model.Target{
		Name: t.Name, Connection: model.Connection{Address: addr, Timeout: 10 * time.Second},
		ConfigFile: s.conf, DataDir: s.data, RedisVersion: t.RedisVersion, RPO: t.RPO,
		Service: &model.Service{Start: []string{bin, s.conf}},
		Backup:  scratchBackup(t.Backup, filepath.Join(dir, "archive")),
	}
	return s, nil
}

// scratchBackup is the target's backup settings (compression, archive
// flush) with the scratch destination instead of the target's: no
// copies, no S3, no encryption (the drill keeps no identity to decrypt).
func scratchBackup(b *model.Backup, dest string) *model.Backup {
	c := model.Backup{Compression: "zstd", Method: "bgsave"}
	if b != nil {
		c = *b
		c.CopyTo, c.S3, c.Recipients, c.RequireDestination = nil, nil, nil, false
		if c.Compression == "" {
			c.Compression = "zstd"
		}
		if c.Method == "" {
			c.Method = "bgsave"
		}
	}
	c.Destination = dest
	return &c
}

// start runs the service start command and waits until the server has
// loaded its data.
func (s *serviceScratch) start(ctx context.Context) error {
	if out, err := exec.CommandContext(ctx, s.bin, s.conf).CombinedOutput(); err != nil {
		return fmt.Errorf("start the scratch server: %v: %s", err, out)
	}
	c := server.NewClient(s.target.Connection.Address, "", nil)
	defer c.Close()
	wctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	_, err := server.WaitLoaded(wctx, c, server.Waiting{Name: s.target.Connection.Address})
	return err
}

// kill ends the server the pidfile names with SIGKILL, and waits until
// it is gone.
func (s *serviceScratch) kill() {
	b, err := os.ReadFile(s.pidfile)
	if err != nil {
		return
	}
	if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
		_ = server.KillPID(pid)
	}
	wctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	_ = server.WaitGone(wctx, s.target.Connection.Address, "tcp", s.target.Connection.Address)
}

func (s *serviceScratch) logTail() string {
	b, _ := os.ReadFile(s.logfile)
	if tail := server.LastLines(string(b), 15); tail != "" {
		return "; the end of its log:\n" + tail
	}
	return ""
}

// disasterOnce is one run: start, archive, write, kill and remove the
// data dir, let the archiver commit, restore, count.
func disasterOnce(ctx context.Context, bin string, t *model.Target, cat *catalog.Catalog, dir string, killAt time.Duration, i, runs int, opts PITROptions) (PITRRun, error) {
	s, err := newServiceScratch(bin, t, cat, dir)
	if err != nil {
		return PITRRun{}, err
	}
	defer s.kill()
	if err := s.start(ctx); err != nil {
		return PITRRun{}, err
	}
	actx, stopArchive := context.WithCancel(ctx)
	defer stopArchive()
	ready := make(chan struct{})
	archived := make(chan error, 1)
	go func() {
		var once bool
		archived <- opts.Archive(actx, s.target, func() {
			if !once {
				once = true
				close(ready)
			}
		})
	}()
	select {
	case <-ready:
	case err := <-archived:
		return PITRRun{}, fmt.Errorf("the archiver stopped before it followed the server: %v", err)
	case <-time.After(readyTimeout):
		return PITRRun{}, fmt.Errorf("the archiver did not store a base of the scratch server within %s: its messages above say why", readyTimeout)
	case <-ctx.Done():
		return PITRRun{}, ctx.Err()
	}
	opts.Emit.Say(progress.Step, "run %d/%d: the archiver follows the scratch server on %s", i, runs, s.target.Connection.Address)

	acks, killedAfter, err := writeUntilKilled(ctx, s.target.Connection.Address, s.kill, s.logTail, killAt)
	if err != nil {
		return PITRRun{}, err
	}
	if len(acks) == 0 {
		return PITRRun{}, fmt.Errorf("no write was acknowledged in the %s before the kill; use a longer duration", killedAfter.Round(time.Millisecond))
	}
	if err := os.RemoveAll(s.data); err != nil {
		return PITRRun{}, fmt.Errorf("remove the data dir: %w", err)
	}
	run := PITRRun{Acknowledged: int64(len(acks)), KilledAfterMillis: millis(killedAfter)}
	opts.Emit.Say(progress.Step, "run %d/%d: killed the server after %.0fms with %d writes acknowledged and removed its data dir",
		i, runs, run.KilledAfterMillis, run.Acknowledged)

	// The archiver runs elsewhere and lives on: it commits what it
	// received within its flush. Then it is stopped, and commits the rest.
	select {
	case <-time.After(opts.Flush + 500*time.Millisecond):
	case <-ctx.Done():
		return PITRRun{}, ctx.Err()
	}
	stopArchive()
	if err := <-archived; err != nil && !errors.Is(err, context.Canceled) {
		return PITRRun{}, fmt.Errorf("the archiver: %w", err)
	}

	if err := opts.Restore(ctx, s.target); err != nil {
		return PITRRun{}, fmt.Errorf("restore from the archive: %w", err)
	}
	recovered, firstLost, err := countSurvivors(ctx, s.target.Connection.Address, len(acks))
	if err != nil {
		return PITRRun{}, err
	}
	run.Recovered = recovered
	run.Lost = run.Acknowledged - recovered
	if firstLost >= 0 {
		run.LostMillis = millis(acks[len(acks)-1] - acks[firstLost])
	}
	opts.Emit.Say(progress.Step, "run %d/%d: restored from the archive: %d of %d acknowledged writes back, %d lost (%.0fms of writes)",
		i, runs, run.Recovered, run.Acknowledged, run.Lost, run.LostMillis)
	return run, nil
}

// JudgePITR compares a PITR result with the spec's rpo: without one the
// figures pass; else the worst window of lost writes must not exceed it.
func JudgePITR(r PITRResult, objective time.Duration) Verdict {
	v := Verdict{Objective: objective}
	switch {
	case objective <= 0:
		v.Pass = true
		v.Reason = "the spec sets no rpo, so there is no objective to compare with"
	case r.WorstLostMillis > millis(objective):
		v.Reason = fmt.Sprintf("a lost host cost up to %s of acknowledged writes (%d writes), more than the rpo of %s; "+
			"a shorter archive flush makes it smaller", formatMillis(r.WorstLostMillis), r.WorstLost, objective)
	default:
		v.Pass = true
		v.Reason = fmt.Sprintf("a lost host cost at most %s of acknowledged writes (%d writes), within the rpo of %s",
			formatMillis(r.WorstLostMillis), r.WorstLost, objective)
	}
	return v
}
