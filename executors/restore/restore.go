// Package restore puts a backup back into a Redis server and proves that it
// loaded, or puts the original data back.
//
// Restore pauses writes, saves, and stops the server (so that it cannot
// save over the restored files), moves its data files aside into a safety copy in the same
// directory (a rename: nothing is copied, nothing is deleted), writes the
// backup's files, starts the server, waits until it has loaded them and
// compares the keys per database with the backup's manifest; the restored
// server refuses writes until then. When anything fails after the server
// was stopped, it rolls back on its own: the original files go back and
// the server starts with them again. Nothing is deleted before the
// restored server is proven good, and no write a client was told succeeded
// is lost: those taken before the pause are in the safety copy, and no
// other is taken until the restored data is proven good.
//
// Drill proves a backup without touching any target: it loads the backup
// into a scratch redis-server and measures how long that takes.
//
// Nothing here prints: progress goes to Options.Emit as typed events.
package restore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/backup/capture"
	"github.com/redisplan/redisplan/executors/conffile"
	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/executors/server"
	"github.com/redisplan/redisplan/internal/failpoint"
	"github.com/redisplan/redisplan/internal/fsutil"
	"github.com/redisplan/redisplan/internal/interrupt"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/internal/redisconf"
	"github.com/redisplan/redisplan/internal/secret"
	"github.com/redisplan/redisplan/internal/units"
)

// DefaultLoadTimeout is how long a restored server may take to load its
// data when Options.LoadTimeout is 0.
const DefaultLoadTimeout = 10 * time.Minute

const (
	// stopTimeout bounds the wait for a stopped server to stop answering.
	stopTimeout = 2 * time.Minute
	// stopSettle bounds the look at the server after a stop that failed
	// or was interrupted: whether it still answers or went down. It is
	// short, since the user may have pressed Ctrl-C.
	stopSettle = 15 * time.Second
	// rollbackExtra is the time a rollback gets on top of LoadTimeout,
	// for stopping the failed server and moving files.
	rollbackExtra = 3 * time.Minute
	// safetyPrefix starts the name of every safety copy directory.
	safetyPrefix = "redisplan-safety-"
	// failedDir is where a rollback puts the files of the failed restore,
	// inside the safety copy.
	failedDir = "failed-restore"
)

// Source is a backup to restore: its manifest and a way to read each
// artifact's raw bytes. Open's reader returns the file as it was on the
// server (already decompressed, decrypted and checksum-verified: it
// returns an error at EOF when the checksum does not match).
type Source struct {
	Manifest *backup.Manifest
	Open     func(ctx context.Context, f backup.File) (io.ReadCloser, error)
	// OpenWithoutRawDigest, when not nil, is Open without the check of
	// the raw bytes' digest (backup.OpenStreamWithoutRawDigest): the
	// stored bytes' digest and size, the raw size and the decoders' own
	// checksums are checked as with Open. Restore stages through it, so
	// that the pass before the server stops does only what the load
	// needs first, and checks the raw digest and the RDB structure and
	// CRC-64 over the staged files beside the stop and the load, before
	// the restored server takes a write (checkStaged). Nil: every check
	// is made while staging.
	OpenWithoutRawDigest func(ctx context.Context, f backup.File) (io.ReadCloser, error)
	// CheckStored, when not nil, reads the stored bytes of f and checks
	// them against the manifest (backup.CheckStored) without decoding
	// them. With it (and OpenWithoutRawDigest), a restore of one RDB
	// file checks the stored bytes before the server is touched and then
	// streams the backup into the loading server (a streamed load, see
	// stream.go) instead of staging it first.
	CheckStored func(ctx context.Context, f backup.File) error
}

// Options tunes Restore and Drill.
type Options struct {
	// KeepSafetyCopy keeps the moved-aside original files after a
	// successful restore (the CLI's default); without it they are removed
	// once the restored server is proven good.
	KeepSafetyCopy bool
	// Emit receives progress: messages, and the bytes of each file as it
	// is staged (progress.PhaseStage); nil discards it.
	Emit progress.Sink
	// StageFirst writes the backup's files beside the data before the
	// server is stopped even when the source could be streamed into the
	// loading server (Source.CheckStored): the server is unavailable a
	// little less (it loads from a file), the restore takes longer.
	StageFirst bool
	// LoadTimeout is how long the restored server may take to load its
	// data; 0 means DefaultLoadTimeout. It also bounds the SAVE before
	// the server is stopped and the first AOF rewrite after the load.
	LoadTimeout time.Duration
}

func (o Options) loadTimeout() time.Duration {
	if o.LoadTimeout > 0 {
		return o.LoadTimeout
	}
	return DefaultLoadTimeout
}

func (o Options) emit(level progress.Level, format string, args ...any) {
	o.Emit.Say(level, format, args...)
}

// Stats is what INFO says about a server's data.
type Stats struct {
	// Keyspace holds the keys per database (INFO keyspace).
	Keyspace map[int]backup.DBStats
	// UsedMemory is INFO memory's used_memory, in bytes.
	UsedMemory int64
	// Down: nothing answered at the server's address (Check of a server
	// that is down: a restore starts it).
	Down bool
}

// Result reports a restore or a drill.
type Result struct {
	// Before is the target's data before the restore (zero for a drill);
	// After is the restored server's.
	Before, After Stats
	// SafetyCopy is the directory holding the original files; "" when it
	// was removed (Options.KeepSafetyCopy false) or for a drill.
	SafetyCopy string
	// LoadSeconds is the time from starting the server until it had
	// loaded the data (INFO loading:0).
	LoadSeconds float64
	// Timings says where a restore's time went (zero for a drill).
	Timings Timings
}

// Timings is how long each phase of a restore took, and how long the
// server was unavailable. The phases follow each other; Total is from the
// start of Restore to its end.
type Timings struct {
	// Check is the checks made before anything is touched.
	Check time.Duration
	// Stage is the one pass over the backup that decompresses it,
	// checks it (stored and raw digests, sizes, RDB structure and
	// CRC-64) and writes the files beside the data, with the server
	// still running.
	Stage time.Duration
	// Stop is pausing writes, the save when one is needed, and stopping
	// the server until nothing answers.
	Stop time.Duration
	// Swap is the config file's edits for the load and the exchange of
	// the staged files with the server's.
	Swap time.Duration
	// Load is from starting the server until it had loaded the data.
	Load time.Duration
	// StagedCheck is the check of the staged files' raw digest and RDB
	// structure and CRC-64 (Source.OpenWithoutRawDigest), which runs
	// beside the stop, the swap and the load; 0 when they were checked
	// while staging.
	StagedCheck time.Duration
	// Streamed: the backup was streamed into the loading server (a
	// streamed load); Stage is then the check of the stored bytes, and
	// StagedCheck the stream, from the start of the server until every
	// byte was written, checked and fsynced.
	Streamed bool
	// Prove is the key check, AOF turned back on when the restore turned
	// it off, and the user's settings put back.
	Prove time.Duration
	Total time.Duration
	// Unavailable is from the moment the server was told to stop until
	// the restored server answered with its data loaded: the time no
	// client was served at all.
	Unavailable time.Duration
	// WritesHeld is from the pause of writes before the stop until the
	// restored server accepted writes again (readers are served before
	// the stop and after the load).
	WritesHeld time.Duration
}

// String is the timings in one line, for an event.
func (tm Timings) String() string {
	s := func(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }
	line := fmt.Sprintf("checks %s, staging %s, stop %s, swap %s, load %s, key check and settings %s; total %s; "+
		"the server answered no one for %s (stop to loaded) and took no write for %s",
		s(tm.Check), s(tm.Stage), s(tm.Stop), s(tm.Swap), s(tm.Load), s(tm.Prove), s(tm.Total), s(tm.Unavailable), s(tm.WritesHeld))
	switch {
	case tm.Streamed:
		line += fmt.Sprintf("; the stream into the loading server and the restored file, with the raw digest and RDB check, took %s", s(tm.StagedCheck))
	case tm.StagedCheck > 0:
		line += fmt.Sprintf("; the staged files' raw digest and RDB check took %s beside the stop and the load", s(tm.StagedCheck))
	}
	return line
}

// Error is a restore that failed after the server was stopped. Its message
// says why, and either that the original data is back or exactly where the
// original files are.
type Error struct {
	// Target and BackupID name what was restored where.
	Target   string
	BackupID string
	// Cause is why the restore failed.
	Cause error
	// RolledBack is true when the original files are back in place and
	// the server runs with them again.
	RolledBack bool
	// Rollback is why the rollback failed, when it did.
	Rollback error
	// SafetyCopy is the directory holding the original files (when the
	// rollback failed) or what the failed restore left behind (in its
	// failed-restore subdirectory, when it succeeded).
	SafetyCopy string

	message string // built by the rollback, which knows where files are
}

func (e *Error) Error() string { return e.message }

func (e *Error) Unwrap() error { return e.Cause }

// Restore replaces the target's data with the backup's:
//
//  1. Check (above), which also yields Result.Before.
//  2. Write the backup's files into a staging directory beside the data
//     (temp file, fsync, rename), checked on the way; with
//     Source.OpenWithoutRawDigest, the raw digest and the RDB check of
//     the staged files run on a goroutine of their own through steps 3
//     to 7 (checkStaged). With Source.CheckStored (a backup directory),
//     an RDB restore is a streamed load instead (stream.go): the stored
//     bytes are checked here, the file is written from here on through
//     step 6, and the server loads it through a pipe as it is written.
//  3. Pause writes (CLIENT PAUSE WRITE, renewed until the server is
//     gone); BGSAVE unless the RDB already holds everything, so that the
//     safety copy holds what only memory held; then stop the server: its
//     service stop command when it has one, else SHUTDOWN NOSAVE; wait
//     until it no longer answers.
//  4. For an RDB-only backup into a server with appendonly yes, set
//     appendonly no in the config file for the load; set
//     min-replicas-to-write 2147483647 there, so that the restored server
//     refuses writes until step 7 is done.
//  5. Exchange its dbfilename and appenddirname with the staged ones,
//     the originals going into the safety copy
//     <dir>/redisplan-safety-<backup ID>-<unix time>.
//  6. Start the server with the service start command and wait until it
//     has loaded the data (LoadTimeout), and until the check of the
//     staged files passed; a server that dies is noticed through its
//     pidfile.
//  7. Compare the keys per database with the manifest; after step 4, turn
//     AOF on live (waiting for its first rewrite), put the config file
//     back and the server's own min-replicas settings with CONFIG SET.
//  8. Remove the safety copy unless KeepSafetyCopy.
//
// A failure before the server is stopped changes nothing (a staged
// file's check that fails before the stop spares the stop). A failure after
// it is rolled back: whatever runs is stopped, the restored files go into
// <safety>/failed-restore, the original files and config file go back, the
// server starts again; the *Error returned says why the restore failed and
// that the original data is back, or, when the rollback failed too,
// exactly where the original files are.
func Restore(ctx context.Context, t *model.Target, src Source, opts Options) (res Result, err error) {
	secrets := secret.New(t.Secrets()...)
	defer func() { err = secrets.Wrap(err) }()
	if !secrets.Empty() {
		opts.Emit = opts.Emit.Map(func(e progress.Event) progress.Event {
			e.Message = secrets.Redact(e.Message)
			return e
		})
	}
	began := time.Now()
	// A streamed load's check of the stored bytes runs beside the checks
	// of the server, which it does not depend on.
	storedCtx, cancelStored := context.WithCancel(ctx)
	defer cancelStored()
	stored := startStoredCheck(storedCtx, src, opts)
	if err := RecoverInterrupted(ctx, t, opts); err != nil {
		return Result{}, fmt.Errorf("restore %s: %w", t.Name, err)
	}
	p, err := check(ctx, t, src)
	if err != nil {
		return Result{}, fmt.Errorf("restore %s: %w; nothing was changed", t.Name, err)
	}
	r := &run{t: t, src: src, opts: opts, p: p, stored: stored}
	r.tm.Check = time.Since(began)
	res.Before = p.before
	opts.emit(progress.Step, "checked %s at %s: %s", t.Name, t.Connection.Address, p.summary())
	if p.recovered != "" {
		opts.emit(progress.Warning, "%s", p.recovered)
	}
	earlier := p.earlierSafetyCopy()
	if earlier != "" {
		opts.emit(progress.Warning, "the data from before the interrupted restore of backup %s is in its safety copy %s, which is kept: "+
			"what the server holds now goes into a safety copy of this restore's", p.prior.BackupID, earlier)
	}

	// A server that lost its data dir gets it back, empty, before the
	// files are staged in it; a failure before the swap removes it again.
	defer r.removeMadeDir()
	if p.makeDir {
		if err := r.makeDataDir(); err != nil {
			return res, fmt.Errorf("restore %s: %w; nothing was changed", t.Name, err)
		}
	}
	// The backup's files are written next to the data while the server
	// still runs: the server is down only for the swap and the load, and
	// at no moment does the data dir lack a complete set of files.
	defer r.removeStaging()
	defer func() { r.feeder.stop(); r.checks.stop(); r.guard.done() }()
	staging := time.Now()
	if err := r.stage(ctx); err != nil {
		return res, fmt.Errorf("restore %s: %w; nothing was changed", t.Name, err)
	}
	r.tm.Stage = time.Since(staging)

	// The user's values of every setting the restore changes, and how
	// far it got, are on disk before anything is changed: a restore that
	// is killed leaves them for the next one, and for check and apply.
	if err := r.writeRecord(PhaseStopping); err != nil {
		return res, fmt.Errorf("restore %s: %w; nothing was changed", t.Name, err)
	}
	stopping := time.Now()
	if p.down {
		r.pausedAt, r.stopAt = stopping, stopping
		opts.emit(progress.Step, "nothing answers at %s: the server is down, there is nothing to pause, save or stop", t.Connection.Address)
	} else if err := r.stop(ctx); err != nil {
		if r.stopped {
			// It stopped after all, too late: start it again.
			return res, r.rollback(ctx, err)
		}
		if r.stopUnknown {
			// The record (phase stopping) stays: check names the
			// interrupted restore, and the next restore starts the
			// server again if it is down.
			return res, fmt.Errorf("restore %s: %w", t.Name, err)
		}
		r.forgetPrior()
		return res, fmt.Errorf("restore %s: %w", t.Name, err)
	}
	r.tm.Stop = time.Since(stopping)
	if err := r.writeRecord(PhaseStopped); err != nil {
		return res, r.rollback(ctx, err)
	}
	failpoint.Hit(failpoint.RestoreServerStopped)

	loadSeconds, after, err := r.replace(ctx)
	if err != nil {
		return res, r.rollback(ctx, err)
	}
	res.LoadSeconds, res.After = loadSeconds, after
	r.removeRecord()
	r.tm.Total = time.Since(began)
	res.Timings = r.tm
	opts.emit(progress.Step, "timings: %s", r.tm)

	res.SafetyCopy = r.safety
	if len(r.moved) == 0 && os.Remove(r.safety) == nil {
		// Nothing was kept (the data dir held no data files): no safety
		// copy to speak of.
		res.SafetyCopy = ""
	} else if !opts.KeepSafetyCopy {
		if err := os.RemoveAll(r.safety); err != nil {
			opts.emit(progress.Warning, "the restore succeeded but the safety copy %s could not be removed: %v", r.safety, err)
		} else {
			res.SafetyCopy = ""
			opts.emit(progress.Step, "removed the safety copy %s", r.safety)
		}
	}
	if res.SafetyCopy != "" {
		opts.emit(progress.Step, "the original files are kept in %s; remove the directory once you no longer need them", res.SafetyCopy)
	}
	if earlier != "" {
		opts.emit(progress.Warning, "the data from before the interrupted restore of backup %s is in %s", p.prior.BackupID, earlier)
	}
	return res, nil
}

// earlierSafetyCopy is the safety copy of the interrupted restore this
// one carries on, when it holds files: the data from before that restore
// (what the server holds now is that restore's). "" when none.
func (p *plan) earlierSafetyCopy() string {
	if p.prior == nil || p.prior.Safety == "" || len(p.prior.Moved) == 0 {
		return ""
	}
	if _, err := os.Stat(filepath.Join(p.prior.Safety, p.prior.Moved[0])); err != nil {
		return ""
	}
	return p.prior.Safety
}

// run is one restore in progress: what it has done so far, so that the
// rollback knows what to undo.
type run struct {
	t    *model.Target
	src  Source
	opts Options
	p    *plan

	stopped bool // the original server was stopped
	started bool // the start command of the restored server was run
	madeDir bool // the data dir was gone and the restore created it
	// stopUnknown: the stop failed and the server neither answered nor
	// was seen gone afterwards; it may be going down.
	stopUnknown bool
	staging     string   // where the backup's files wait for the swap
	swapped     bool     // the swap began: staging may hold originals now
	safety      string   // the safety copy directory, once created
	moved       []string // names moved from the data dir into safety
	cleared     []string // names whose original is out of the way (moved, or there was none)

	confEdited   bool   // the config file says appendonly no for the load
	confPrevious []byte // its content before

	watch *startWatch // the server started last, to stop it on rollback
	rec   *Record     // what is kept durably beside the lock (RecordName)

	checks *stagedChecks // the staged files' checks left from staging, or a streamed load's writer; nil when none
	stream *streamPlan   // a streamed load's pipe and file; nil when the files are staged
	feeder *stagedChecks // a streamed load's feed of the pipe, from the server's start
	guard  *pipeGuard    // a streamed load's guard of its pipe at the data file's name; nil when none
	stored *storedCheck  // the check of the stored RDB begun with the restore; nil when none

	tm                         Timings
	pausedAt, stopAt, loadedAt time.Time // for tm.WritesHeld and tm.Unavailable
}

// stop persists what only the server's memory holds and stops it. When it
// fails with the server still running, nothing was changed; r.stopped says
// whether the server went down anyway.
//
// Writes are paused (CLIENT PAUSE WRITE, renewed) from before the save
// until the server is gone: a write acknowledged before the pause is in
// the save, and none is acknowledged after it, so the safety copy holds
// every acknowledged write and a rollback drops none. Readers are served
// meanwhile. On every path that leaves the server running the pause is
// lifted; should redisplan die, it ends by itself within pauseTTL.
func (r *run) stop(ctx context.Context) (err error) {
	p, t := r.p, r.t
	c, err := live.Dial(t.Connection)
	if err != nil {
		return err
	}
	defer c.Close()

	pause, err := pauseWrites(ctx, t.Connection, p.clientCmd)
	if err != nil {
		return fmt.Errorf("%w; nothing was changed", err)
	}
	r.pausedAt = time.Now()
	r.opts.emit(progress.Step, "paused writes (CLIENT PAUSE WRITE, renewed every %s): clients that write wait until the server stops, "+
		"readers are served", pauseRenew)
	defer func() {
		if r.stopped || r.stopUnknown {
			// Nothing to lift on a server that is gone; one in an
			// unknown state gets its pause ended by itself (pauseTTL).
			pause.end(ctx, false)
			return
		}
		if uerr := pause.end(ctx, true); uerr != nil {
			r.opts.emit(progress.Warning, "%v", uerr)
		} else {
			r.opts.emit(progress.Step, "lifted the pause of writes: the server runs on as before")
		}
	}()

	// Even with AOF on the RDB is saved: should redisplan die after the
	// config file says appendonly no for the load, the server must find
	// current data in the RDB, not an old one.
	if saved, err := allSaved(ctx, c, p); err == nil && saved {
		r.opts.emit(progress.Step, "the RDB on disk already holds all the data (AOF off, no change since the last save): no SAVE needed")
	} else if err := r.save(ctx, c, pause); err != nil {
		return err
	}

	if err := pause.held(); err != nil {
		return fmt.Errorf("stop the server: %w; nothing was changed: try again", err)
	}
	// The staged files' checks run beside the stop and the load; one
	// that failed already spares the server its stop.
	if err := r.checks.failed(); err != nil {
		return fmt.Errorf("%w; nothing was changed", err)
	}
	stopCtx, cancel := context.WithTimeout(ctx, stopTimeout)
	defer cancel()
	r.stopAt = time.Now()
	how, err := stopServer(stopCtx, t, p, false, nil)
	if err != nil {
		// The stop was asked for: the server may be going down even
		// though the stop failed or was interrupted. Look, with a context
		// of its own (ctx may be the cancelled one), before saying
		// anything about it.
		if ctx.Err() != nil && !strings.Contains(err.Error(), "interrupted") && !strings.Contains(err.Error(), "deadline") {
			// A stop command killed by the cancellation says only
			// "signal: killed".
			err = fmt.Errorf("%w (when %s)", err, interrupt.When(context.Cause(ctx)))
		}
		state, detail := r.afterFailedStop(ctx)
		switch state {
		case serverGone:
			r.stopped = true
			return fmt.Errorf("stop the server: %w; the server went down all the same (it had been told to stop), "+
				"before any data file was moved", err)
		case serverUnknown:
			r.stopUnknown = true
			return fmt.Errorf("stop the server: %w; %s", err, detail)
		}
		return fmt.Errorf("stop the server: %w; nothing was changed: %s", err, detail)
	}
	r.stopped = true
	r.opts.emit(progress.Step, "stopped the server (%s)", how)
	return nil
}

// stopState is what a look at the server found after a failed stop.
type stopState int

const (
	serverRuns    stopState = iota // it answers with the keys it held before
	serverGone                     // nothing answers at its address
	serverUnknown                  // neither, within stopSettle
)

// afterFailedStop looks at the server after its stop failed or was
// interrupted, with a context that is not ctx's cancellation and is
// bounded by stopSettle: a server told to stop may be going down (saving
// first) or gone although the stop command did not return. It reports
// serverRuns only when the server answers and holds at least the keys it
// held before the restore (expiring ones may have gone), with the words
// that say so; serverGone when nothing answers; otherwise serverUnknown
// with the words that say what is known and what to do.
func (r *run) afterFailedStop(ctx context.Context) (stopState, string) {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopSettle)
	defer cancel()
	conn := r.t.Connection
	kept := fmt.Sprintf("the restore's record %s is kept: `redisplan check` reports the interrupted restore, and the next "+
		"`redisplan restore` starts the server again on its original files if it is down; no data file was moved", RecordPath(r.t))
	network, addr := server.Address(conn)
	last := "it did not answer"
	for {
		if gone, _ := server.NotAnswering(lctx, network, addr); gone {
			return serverGone, ""
		}
		now, err := r.statsNow(lctx)
		if err == nil {
			for db, was := range r.p.before.Keyspace {
				if got := now.Keyspace[db].Keys; got < was.Keys-was.Expires {
					return serverUnknown, fmt.Sprintf("the server at %s answers, but db%d holds %d keys where it held %d before the restore: "+
						"look at its data and its log; %s", conn.Address, db, got, was.Keys, kept)
				}
			}
			return serverRuns, fmt.Sprintf("the server at %s still answers with the keys it held before", conn.Address)
		}
		last = err.Error()
		select {
		case <-lctx.Done():
			return serverUnknown, fmt.Sprintf("the server at %s neither answered nor went down within %s after that (%s): "+
				"it may be stopping or stopped; %s", conn.Address, stopSettle, last, kept)
		case <-time.After(pollInterval):
		}
	}
}

// statsNow reads the server's keys and memory on a connection of its
// own, waiting at most a second for the answer.
func (r *run) statsNow(ctx context.Context) (Stats, error) {
	c, err := live.Dial(r.t.Connection)
	if err != nil {
		return Stats{}, err
	}
	defer c.Close()
	qctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	return readStats(qctx, c)
}

// save writes the server's data into its RDB file with writes paused.
// BGSAVE leaves the server answering, so the pause is renewed while the
// child writes; SAVE (when BGSAVE is disabled) blocks the server, so the
// pause is made to last the whole save bound first.
func (r *run) save(ctx context.Context, c *redis.Client, pause *writePause) error {
	p := r.p
	saveCtx, cancel := context.WithTimeout(ctx, r.opts.loadTimeout())
	defer cancel()
	start := time.Now()
	var err error
	switch {
	case p.bgsaveCmd != "":
		_, err = capture.BGSaveNamed(saveCtx, c, p.bgsaveCmd)
	case p.saveCmd != "":
		if err = pause.extend(ctx, r.opts.loadTimeout()+pauseTTL); err == nil {
			err = save(saveCtx, c, p.saveCmd)
		}
	default:
		r.opts.emit(progress.Warning, `SAVE and BGSAVE are disabled on the server (rename-command ""): the safety copy holds its data files as they are, `+
			`without the writes since its last save`)
		return nil
	}
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("save the current data before stopping the server: %s while the save ran; nothing was changed",
			interrupt.When(context.Cause(ctx)))
	}
	if err != nil {
		return fmt.Errorf("save the current data before stopping the server: %w; nothing was changed: "+
			"free disk space in %s or fix its permissions and try again", err, p.dir)
	}
	r.opts.emit(progress.Step, "saved the current data (%.2fs), so that the safety copy holds all of it", time.Since(start).Seconds())
	return nil
}

// replace does steps 3 to 7: safety copy, files, start, load, compare.
//
// No write reaches the restored server before it is proven good: it
// starts with heldSettings in its config file (it refuses writes from its
// first moment) and gets its own values back once the keys are checked
// and AOF is on again, so that a rollback, which stops it with SHUTDOWN
// NOSAVE, drops nothing a client was told was written. Readers are served
// once it has loaded. Where the config file cannot be used for this
// (p.noHold), writes are paused as soon as it answers, with a warning.
func (r *run) replace(ctx context.Context) (loadSeconds float64, after Stats, err error) {
	p, t, opts := r.p, r.t, r.opts
	swapping := time.Now()
	// The config file first: once the AOF directory is out of the way, a
	// start with appendonly yes would come up empty.
	var edits []redisconf.Edit
	if p.enableAOF {
		edits = append(edits, redisconf.Edit{Directive: "appendonly", Lines: redisconf.DirectiveLines(p.catalog, "appendonly", "no")})
	}
	if p.holdWrites {
		for _, s := range heldSettings {
			edits = append(edits, redisconf.Edit{Directive: s[0], Lines: redisconf.DirectiveLines(p.catalog, s[0], s[1])})
		}
	}
	if len(edits) > 0 {
		if err := r.editConfig(edits); err != nil {
			return 0, Stats{}, err
		}
	}
	if p.enableAOF {
		opts.emit(progress.Step, "set appendonly no in %s for the load: with appendonly yes the server would ignore the RDB and start empty", t.ConfigFile)
	}
	if p.holdWrites {
		opts.emit(progress.Step, "set min-replicas-to-write %s in %s for the start: the restored server refuses writes until its data is checked", holdToWrite, t.ConfigFile)
	}
	if r.stream != nil {
		// The files are swapped in once the server has loaded the
		// stream and the checks passed. Nothing may answer before the
		// pipe goes in: a server a supervisor restarted would wait on it.
		if err := nothingAnswers(ctx, t.Connection); err != nil {
			return 0, Stats{}, err
		}
		if err := r.putPipe(); err != nil {
			return 0, Stats{}, err
		}
		failpoint.Hit(failpoint.RestoreFilesSwapped)
	} else {
		if err := r.swapIn(); err != nil {
			return 0, Stats{}, err
		}
		if err := r.writeRecord(PhaseSwapped); err != nil {
			return 0, Stats{}, err
		}
		failpoint.Hit(failpoint.RestoreFilesSwapped)
	}
	if len(p.skipped) > 0 {
		opts.emit(progress.Step, "did not restore %s: the server runs with appendonly no and loads %s", strings.Join(p.skipped, ", "), p.dbfilename)
	}
	if p.rdbLeftOut != "" {
		opts.emit(progress.Step, "%s", p.rdbLeftOut)
	}

	loadCtx, cancel := context.WithTimeout(ctx, opts.loadTimeout())
	defer cancel()
	if err := nothingAnswers(ctx, t.Connection); err != nil {
		return 0, Stats{}, err
	}
	r.watch = newStartWatch(p.pidfile, p.logfile)
	start := time.Now()
	r.tm.Swap = start.Sub(swapping)
	if r.stream != nil {
		r.feeder = r.startFeed(ctx)
		opts.emit(progress.Step, "streaming the backup into the server as it loads, from the file it is written to beside the data")
	}
	r.started = true
	if err := secret.New(t.Connection.Password).Wrap(server.RunCommand(loadCtx, "start", t.Service.Start)); err != nil {
		return 0, Stats{}, r.streamFailure(ctx, err)
	}
	info, err := waitLoaded(loadCtx, t.Connection, r.watch)
	if err != nil {
		return 0, Stats{}, r.streamFailure(ctx, fmt.Errorf("the restored server did not load its data: %w", err))
	}
	r.loadedAt = time.Now()
	r.tm.Load = r.loadedAt.Sub(start)
	r.tm.Unavailable = r.loadedAt.Sub(r.stopAt)
	loadSeconds = r.tm.Load.Seconds()
	if info["process_id"] != "" && info["process_id"] == p.pid {
		return 0, Stats{}, fmt.Errorf("the server at %s is still the process it was before the restore (pid %s): it never stopped", t.Connection.Address, p.pid)
	}
	// A streamed load's file takes its place now, checked and fsynced:
	// from here on a restart finds the restored data, as after a staged
	// swap.
	if r.stream != nil {
		if err := r.finishStream(ctx); err != nil {
			return 0, Stats{}, err
		}
	}
	// Recorded before it is said, so that a kill right after the message
	// finds the record in the phase the message gave.
	if err := r.writeRecord(PhaseStarted); err != nil {
		return 0, Stats{}, err
	}
	opts.emit(progress.Step, "started the server (pid %s); it loaded the data in %.2fs", orUnknown(info["process_id"]), loadSeconds)
	failpoint.Hit(failpoint.RestoreServerStarted)

	c, err := live.Dial(t.Connection)
	if err != nil {
		return 0, Stats{}, err
	}
	defer c.Close()
	pause, err := r.keepWritesOut(ctx, c)
	// A failure from here on is rolled back, which stops the server:
	// the pause is never lifted then.
	defer func() {
		if err != nil {
			pause.end(ctx, false)
		}
	}()
	if err != nil {
		return 0, Stats{}, err
	}
	if r.checks != nil && r.stream == nil {
		if err := r.checks.wait(ctx); err != nil {
			return 0, Stats{}, err
		}
		r.tm.StagedCheck = r.checks.took
		opts.emit(progress.Step, "checked the staged files beside the load (%.2fs): raw SHA-256 as in the manifest, sound RDB structure and CRC-64",
			r.checks.took.Seconds())
		for _, f := range r.checks.noChecksum {
			opts.emit(progress.Warning, "%s", noChecksumWarning(f))
		}
	}

	wantAOF := "0"
	if p.restoreAOF {
		wantAOF = "1"
	}
	if info["aof_enabled"] != wantAOF {
		return 0, Stats{}, fmt.Errorf("the restored server reports aof_enabled:%s, expected %s: appendonly is also set outside %s "+
			"(on its command line or in an included file), so it did not load the restored files",
			info["aof_enabled"], wantAOF, orNone(t.ConfigFile))
	}

	after, err = readStats(ctx, c)
	if err != nil {
		return 0, Stats{}, err
	}
	lines, err := compareKeys(r.src.Manifest.Keyspace, after.Keyspace)
	for _, l := range lines {
		opts.emit(l.kind, "%s", l.text)
	}
	if err != nil {
		return 0, Stats{}, err
	}

	if p.enableAOF {
		aofCtx, cancel := context.WithTimeout(ctx, opts.loadTimeout())
		defer cancel()
		if err := live.EnableAOF(aofCtx, c, p.configCmd); err != nil {
			return 0, Stats{}, fmt.Errorf("turn AOF back on: %w", err)
		}
		opts.emit(progress.Step, "turned AOF on (its first rewrite is done)")
	}
	if r.confEdited {
		if err := r.putBackConfig(); err != nil {
			return 0, Stats{}, err
		}
		r.confEdited = false
		opts.emit(progress.Step, "put back %s as it was before the restore", t.ConfigFile)
	}
	if p.enableAOF {
		if after, err = readStats(ctx, c); err != nil {
			return 0, Stats{}, err
		}
	}

	// Proven good: writes may come in.
	if p.holdWrites {
		if err := live.ConfigSet(ctx, c, p.configCmd, p.heldWas); err != nil {
			return 0, Stats{}, fmt.Errorf("let writes in again (CONFIG SET min-replicas-to-write %s min-replicas-max-lag %s): %w",
				p.heldWas[0][1], p.heldWas[1][1], err)
		}
	}
	if uerr := pause.end(ctx, pause != nil); uerr != nil {
		opts.emit(progress.Warning, "%v", uerr)
	}
	writable := time.Now()
	r.tm.Prove, r.tm.WritesHeld = writable.Sub(r.loadedAt), writable.Sub(r.pausedAt)
	opts.emit(progress.Step, "the restored data is checked: the server accepts writes")
	return loadSeconds, after, nil
}

// streamFailure is err, the failure of the restored server's start or
// load, with what broke a streamed load first when it did: a server that
// read an early end of its data exits, and the reason is the feed's.
func (r *run) streamFailure(ctx context.Context, err error) error {
	if r.stream == nil {
		return err
	}
	r.feeder.stop()
	r.checks.stop()
	if ctx.Err() != nil {
		return fmt.Errorf("%s while the restored server loaded the stream (it then read an early end and exited): %w", interrupt.When(context.Cause(ctx)), err)
	}
	for _, c := range []*stagedChecks{r.checks, r.feeder} {
		if c != nil && c.err != nil && !errors.Is(c.err, context.Canceled) {
			return fmt.Errorf("the stream of the backup into the server broke: %w (the server: %v)", c.err, err)
		}
	}
	return err
}

// keepWritesOut makes sure the restored server takes no write until it is
// proven good. It returns the pause it started, or nil when the config
// file's settings already refuse writes.
func (r *run) keepWritesOut(ctx context.Context, c *redis.Client) (*writePause, error) {
	p, t := r.p, r.t
	if p.holdWrites {
		got, err := live.ConfigGet(ctx, c, p.configCmd, heldSettings[0][0], heldSettings[1][0])
		if err != nil {
			return nil, err
		}
		if got[heldSettings[0][0]] == holdToWrite && got[heldSettings[1][0]] != "0" {
			return nil, nil
		}
		r.opts.emit(progress.Warning, "the restored server does not run with min-replicas-to-write %s from %s (it is also set on its command line "+
			"or in an included file): it may have taken writes before redisplan paused them; a rollback would lose those", holdToWrite, t.ConfigFile)
	} else {
		r.opts.emit(progress.Warning, "the restored server could not be started refusing writes (%s), so it accepted writes from its start "+
			"until redisplan paused them just now, and a rollback would lose those; docs/backup.md says what refusing them from "+
			"the start needs", p.noHold)
	}
	pause, err := pauseWrites(ctx, t.Connection, p.clientCmd)
	if err != nil {
		return nil, err
	}
	r.opts.emit(progress.Step, "paused writes on the restored server until its data is checked")
	return pause, nil
}

// stage writes every artifact of the backup into a staging directory in
// the data dir (same filesystem, so the swap is a rename), checked and
// fsynced, while the server still runs.
func (r *run) stage(ctx context.Context) error {
	p := r.p
	staging := filepath.Join(p.dir, tempPrefix+safeName(r.src.Manifest.ID))
	if p.prior == nil {
		// With no interrupted restore on record no swap was begun, so
		// staging directories hold only what a restore killed while
		// staging wrote (the target's lock keeps out a running one).
		r.removeLeftoverStaging()
	}
	os.RemoveAll(staging) // a leftover of an earlier, interrupted restore
	if err := os.Mkdir(staging, 0o700); err != nil {
		return fmt.Errorf("create the staging directory: %w", err)
	}
	r.staging = staging
	if uid, gid := owner(p.dir); uid >= 0 {
		_ = os.Chown(staging, uid, gid)
	}
	if r.streams() {
		if err := r.prepareStream(ctx, staging); err != nil {
			return err
		}
		return fsutil.SyncDir(staging)
	}
	var deferred []stagedFile
	defer func() {
		if r.checks == nil {
			for _, sf := range deferred {
				sf.fh.Close()
			}
		}
	}()
	for _, pl := range p.placements {
		staged := pl
		staged.dir = staging
		staged.deferChecks = r.src.OpenWithoutRawDigest != nil
		crc, err := place(ctx, r.src, staged, r.opts.Emit.With(progress.Event{Operation: progress.OpRestore, Phase: progress.PhaseStage}))
		if err != nil {
			return err
		}
		r.opts.emit(progress.Step, "wrote %s (%s), ready to swap in", pl.dest, units.FormatBytes(pl.file.RawSize))
		if staged.deferChecks {
			// Opened now: the check reads the file the swap puts in
			// place, whatever its name then.
			fh, err := os.Open(staged.path())
			if err != nil {
				return fmt.Errorf("open the staged %s to check it: %w", pl.dest, err)
			}
			deferred = append(deferred, stagedFile{file: pl.file, fh: fh})
		} else if crc == crcMissing && pl.file.RawSHA256 == "" {
			r.opts.emit(progress.Warning, "%s", noChecksumWarning(pl.file))
		}
	}
	// Once for every file placed: the AOF directory, then staging.
	if p.restoreAOF {
		if err := fsutil.SyncDir(filepath.Join(staging, p.appenddirname)); err != nil {
			return err
		}
	}
	if err := fsutil.SyncDir(staging); err != nil {
		return err
	}
	if len(deferred) > 0 {
		r.checks = checkStaged(ctx, deferred)
	}
	return nil
}

// removeLeftoverStaging removes the staging directories of restores that
// were killed while staging, whatever backup they restored.
func (r *run) removeLeftoverStaging() {
	dirs, _ := filepath.Glob(filepath.Join(r.p.dir, tempPrefix+"*"))
	for _, d := range dirs {
		if st, err := os.Lstat(d); err != nil || !st.IsDir() {
			continue
		}
		if err := os.RemoveAll(d); err != nil {
			r.opts.emit(progress.Warning, "could not remove %s, which a restore killed while staging left: %v", d, err)
			continue
		}
		r.opts.emit(progress.Step, "removed %s, which a restore killed while staging left", d)
	}
}

// removeStaging removes the staging directory unless the swap began: from
// then on it may hold original files, which are never deleted.
func (r *run) removeStaging() {
	if r.stream != nil {
		r.stream.file.Close()
		r.stream.reader.Close()
	}
	if r.staging == "" {
		return
	}
	if r.swapped {
		os.Remove(r.staging) // only when empty
		return
	}
	os.RemoveAll(r.staging)
}

// swapIn puts the staged files in place and the server's files into the
// safety copy. Each name is exchanged atomically (renameat2
// RENAME_EXCHANGE), so that whenever redisplan is stopped, the data dir
// holds either the original or the restored file under every name, never
// nothing.
func (r *run) swapIn() error {
	p := r.p
	safety, err := makeSafetyDir(p.dir, r.src.Manifest.ID, time.Now())
	if err != nil {
		return err
	}
	r.safety = safety
	r.swapped = true
	for _, name := range p.dataNames() {
		live := filepath.Join(p.dir, name)
		staged := filepath.Join(r.staging, name)
		liveExists, err := exists(live)
		if err != nil {
			return err
		}
		stagedExists, err := exists(staged)
		if err != nil {
			return err
		}
		switch {
		case stagedExists && liveExists:
			if err := exchange(staged, live); err != nil {
				return fmt.Errorf("swap in %s: %w", name, err)
			}
			// staged now names the original.
			if err := os.Rename(staged, filepath.Join(safety, name)); err != nil {
				return fmt.Errorf("move the original %s into the safety copy: %w (it is in %s)", name, err, staged)
			}
			r.moved = append(r.moved, name)
		case stagedExists:
			if err := os.Rename(staged, live); err != nil {
				return fmt.Errorf("swap in %s: %w", name, err)
			}
		case liveExists:
			if err := os.Rename(live, filepath.Join(safety, name)); err != nil {
				return fmt.Errorf("move %s into the safety copy: %w", name, err)
			}
			r.moved = append(r.moved, name)
		}
		r.cleared = append(r.cleared, name)
	}
	if err := syncDirs(p.dir, safety); err != nil {
		return err
	}
	if len(r.moved) == 0 {
		r.opts.emit(progress.Step, "the data dir %s held no %s: nothing to keep; the safety copy is %s", p.dir, strings.Join(p.dataNames(), " or "), safety)
	} else {
		r.opts.emit(progress.Step, "swapped in the backup's files; the originals (%s) are in the safety copy %s", strings.Join(r.moved, ", "), safety)
	}
	return nil
}

func exists(path string) (bool, error) {
	_, err := os.Lstat(path)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, err
}

// editConfig applies the edits for the start of the restored server to
// the config file, keeping its content to put it back.
func (r *run) editConfig(edits []redisconf.Edit) error {
	path := r.t.ConfigFile
	current, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config file: %w", err)
	}
	edited, err := redisconf.ApplyEdits(current, edits)
	if err != nil {
		return err
	}
	previous, err := conffile.Write(path, edited)
	if err != nil {
		return err
	}
	r.confEdited, r.confPrevious = true, previous
	return nil
}

// putBackConfig puts the config file's content from before the restore
// back, with the user's values (from the record of an interrupted
// restore, or those recoverHeld chose) where it held an interrupted
// restore's leftovers.
func (r *run) putBackConfig() error {
	p, previous := r.p, r.confPrevious
	if len(p.fileEdits) > 0 {
		var err error
		if previous, err = redisconf.ApplyEdits(previous, p.fileEdits); err != nil {
			return err
		}
	}
	return conffile.Restore(r.t.ConfigFile, previous, true)
}

// rollback undoes a failed restore: it stops whatever runs, moves the
// restored files into <safety>/failed-restore, moves the original files
// back, restores the config file and starts the server again. It returns
// the *Error that Restore reports.
func (r *run) rollback(ctx context.Context, cause error) error {
	t, p := r.t, r.p
	e := &Error{Target: t.Name, BackupID: r.src.Manifest.ID, Cause: cause, SafetyCopy: r.safety}
	head := fmt.Sprintf("restore %s from backup %s failed: %v", t.Name, r.src.Manifest.ID, cause)
	r.opts.emit(progress.Warning, "%s; rolling back", head)

	// The rollback runs even when ctx was cancelled (that may be why the
	// restore failed): leaving the server down is worse.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.opts.loadTimeout()+rollbackExtra)
	defer cancel()

	fail := func(rerr error, where string) error {
		e.Rollback = rerr
		e.message = fmt.Sprintf("%s; the rollback failed too: %v; %s", head, rerr, where)
		return e
	}
	originals := r.whereOriginalsAre()

	// A streamed load's feed ends first; a server still waiting on its
	// pipe then reads an early end and exits.
	r.feeder.stop()
	r.checks.stop()
	if err := r.releasePipe(); err != nil {
		return fail(err, "stop the server, then move the original file back")
	}
	if r.stopped || r.started {
		stopCtx, cancel := context.WithTimeout(rctx, stopTimeout)
		_, err := stopServer(stopCtx, t, p, true, r.watch)
		cancel()
		if err != nil {
			return fail(fmt.Errorf("stop the server: %w", err), originals+"; stop the server first")
		}
	}

	if r.safety != "" {
		failed := filepath.Join(r.safety, failedDir)
		if err := os.Mkdir(failed, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			return fail(err, originals)
		}
		// Only what the restore put there: a name whose original was
		// never moved aside still holds the original.
		for _, name := range r.cleared {
			if err := moveRestoredAway(filepath.Join(p.dir, name), filepath.Join(failed, name), filepath.Join(r.safety, name)); err != nil {
				return fail(fmt.Errorf("move the restored %s away: %w", name, err), originals)
			}
		}
		for i, name := range r.moved {
			if err := os.Rename(filepath.Join(r.safety, name), filepath.Join(p.dir, name)); err != nil {
				r.moved = r.moved[i:]
				return fail(fmt.Errorf("move %s back: %w", name, err), r.whereOriginalsAre())
			}
		}
		r.moved = nil
		if os.Remove(failed) == nil { // nothing the failed restore left
			failed = r.safety
		}
		if err := syncDirs(p.dir, r.safety, failed); err != nil {
			return fail(err, "the original files are back in "+p.dir)
		}
	}

	if r.confEdited {
		if err := r.putBackConfig(); err != nil {
			return fail(err, fmt.Sprintf("the original data files are back in %s, but %s still holds what redisplan set for the load "+
				"(appendonly no, or min-replicas-to-write %s, which refuses every write): its previous content is in %s; "+
				"put it back before starting the server", p.dir, t.ConfigFile, holdToWrite, t.ConfigFile+conffile.BackupSuffix))
		}
		r.confEdited = false
	}

	if p.down {
		e.RolledBack = true
		r.removeRecord()
		e.message = fmt.Sprintf("%s; rolled back: the server is down, as it was before the restore, and its data dir %s holds what it held before", head, p.dir)
		if r.safety != "" {
			e.message += r.failedWords()
		}
		r.opts.emit(progress.RolledBack, "the data dir of %s holds what it held before; the server is down, as it was", t.Name)
		return e
	}
	keysBack := false
	if r.stopped {
		lctx, cancel := context.WithTimeout(rctx, r.opts.loadTimeout())
		defer cancel()
		w := newStartWatch(p.pidfile, p.logfile)
		r.watch = w
		if err := secret.New(t.Connection.Password).Wrap(server.RunCommand(lctx, "start", t.Service.Start)); err != nil {
			return fail(err, "the original files are back in "+p.dir+": start the server")
		}
		if _, err := waitLoaded(lctx, t.Connection, w); err != nil {
			return fail(fmt.Errorf("the server did not come back: %w", err), "the original files are back in "+p.dir+"; the server's log says why it does not start")
		}
		keysBack = r.checkBack(rctx)
	}

	e.RolledBack = true
	r.removeRecord()
	e.message = fmt.Sprintf("%s; rolled back: the original data is back and the server runs again", head)
	if r.stopped && r.safety == "" {
		e.message += " (its data files had never been moved; redisplan started it with the service start command"
		if keysBack {
			e.message += " and it holds the keys it held before"
		}
		e.message += ")"
	}
	if r.safety != "" {
		e.message += r.failedWords()
	}
	r.opts.emit(progress.RolledBack, "the original data of %s is back and the server runs again", t.Name)
	return e
}

// failedWords says where what the failed restore left is, when it left
// anything.
func (r *run) failedWords() string {
	failed := filepath.Join(r.safety, failedDir)
	if _, err := os.Stat(failed); err != nil {
		return ""
	}
	return fmt.Sprintf(" (what the failed restore left is in %s)", failed)
}

// whereOriginalsAre says where the original data files are at this point
// of a rollback.
func (r *run) whereOriginalsAre() string {
	p := r.p
	switch {
	case !r.stopped && !r.swapped:
		return "nothing was moved"
	case r.safety == "":
		return "the original files were not moved: they are in " + p.dir
	case len(r.moved) == 0:
		return fmt.Sprintf("the original files are in %s (it held no %s); the restored ones, if any, are in %s or %s",
			p.dir, strings.Join(p.dataNames(), " or "), p.dir, filepath.Join(r.safety, failedDir))
	}
	return fmt.Sprintf("the original files (%s) are in %s: move them back into %s (after moving away the restored %s there) and start the server",
		strings.Join(r.moved, ", "), r.safety, p.dir, strings.Join(p.dataNames(), " and "))
}

// checkBack compares the rolled-back server's keys with what it held
// before, warns when some are missing, and reports whether none is.
func (r *run) checkBack(ctx context.Context) bool {
	c, err := live.Dial(r.t.Connection)
	if err != nil {
		return false
	}
	defer c.Close()
	now, err := readStats(ctx, c)
	if err != nil {
		r.opts.emit(progress.Warning, "after the rollback: cannot read INFO keyspace: %v", err)
		return false
	}
	all := true
	for db, was := range r.p.before.Keyspace {
		if got := now.Keyspace[db].Keys; got < was.Keys-was.Expires {
			r.opts.emit(progress.Warning, "after the rollback db%d holds %d keys, before the restore it held %d", db, got, was.Keys)
			all = false
		}
	}
	return all
}

// nothingAnswers makes sure that no server answers at the address before
// the restored one is started: one that does was restarted by something
// else (a service manager) and loaded the data being replaced.
func nothingAnswers(ctx context.Context, conn model.Connection) error {
	network, addr := server.Address(conn)
	if gone, _ := server.NotAnswering(ctx, network, addr); !gone {
		return fmt.Errorf("a server answers at %s again before redisplan started the restored one: something else (a service "+
			"manager such as systemd with Restart=always) restarted it; give the target a service stop command", conn.Address)
	}
	return nil
}

// save runs SAVE (under its name on this server), waiting for a running
// BGSAVE to finish first.
// allSaved reports whether the server's RDB file already holds everything
// its memory holds, so that a SAVE before stopping would write the same
// data again: AOF is off (with AOF on the RDB may be older than the AOF),
// no change was made since the last save or the load, the last background
// save did not fail, and the file is there.
func allSaved(ctx context.Context, c *redis.Client, p *plan) (bool, error) {
	info, err := live.Info(ctx, c, "persistence")
	if err != nil {
		return false, err
	}
	if info["aof_enabled"] != "0" || info["rdb_changes_since_last_save"] != "0" ||
		info["rdb_bgsave_in_progress"] != "0" || info["rdb_last_bgsave_status"] != "ok" || info["loading"] != "0" {
		return false, nil
	}
	st, err := os.Stat(filepath.Join(p.dir, p.dbfilename))
	return err == nil && st.Mode().IsRegular(), nil
}

func save(ctx context.Context, c *redis.Client, name string) error {
	sc := c.WithTimeout(0) // SAVE of a large dataset takes longer than a read timeout
	for {
		err := sc.Do(ctx, name).Err()
		if err == nil {
			return nil
		}
		if !strings.Contains(err.Error(), "in progress") {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("a background save was still running when %s: %w", interrupt.When(context.Cause(ctx)), ctx.Err())
		case <-time.After(pollInterval):
		}
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "?"
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "the config file"
	}
	return s
}

// RecoverInterrupted starts the server again, on its original data, when
// a restore that was interrupted left it down (recoverDown), and says so
// through opts.Emit. A server that answers is left to Check and Restore,
// which carry the record on. Restore calls it first; the CLI calls it
// before Check, which needs a server that answers.
func RecoverInterrupted(ctx context.Context, t *model.Target, opts Options) (err error) {
	secrets := secret.New(t.Secrets()...)
	defer func() { err = secrets.Wrap(err) }()
	rec, err := ReadRecord(t)
	if err != nil || rec == nil || rec.Running() || rec.Address != t.Connection.Address {
		return nil // check reports these
	}
	network, addr := server.Address(t.Connection)
	if released := releaseStreamPipe(rec); released {
		// A server started on the pipe after the restore died waits in
		// its open, taking connections it never answers: let go, it
		// reads an early end and exits; then it is down.
		opts.emit(progress.Warning, "a server waited on the pipe an interrupted restore left at %s: it was let go, and exits", filepath.Join(rec.DataDir, rec.Names[0]))
		wctx, cancel := context.WithTimeout(ctx, stopTimeout)
		err := server.WaitGone(wctx, rec.Address, network, addr)
		cancel()
		if err != nil {
			return fmt.Errorf("the server waiting on the restore's pipe did not exit: %w", err)
		}
	}
	if down, _ := server.NotAnswering(ctx, network, addr); !down {
		return nil
	}
	lctx, cancel := context.WithTimeout(ctx, opts.loadTimeout())
	defer cancel()
	did, err := recoverDown(lctx, t, rec)
	if err != nil {
		return err
	}
	opts.emit(progress.Warning, "%s", did)
	return nil
}
