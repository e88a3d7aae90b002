package restore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/internal/units"
)

// A streamed load overlaps the two long steps of a restore, writing the
// backup out and the server loading it, instead of running them one
// after the other. The backup is written into a file in staging from the
// check of its stored bytes on (feed.go: the writer), the raw bytes'
// digest and the RDB structure and CRC-64 checked on the way. The
// restored server is started with a named pipe (FIFO) at its dbfilename;
// as soon as it has opened the pipe, the original file is back under
// that name, and what the writer has written goes into the pipe (the
// feed). Once the server has loaded and the file is complete, checked
// and fsynced, it is renamed over the data file's name.
//
// What stays true: the stored bytes are read and checked against the
// manifest (size, SHA-256) before the server is touched, so a backup
// damaged since it was taken stops the restore there; the checks of the
// raw bytes, which the backup passed when it was taken, run beside the
// load as with a staged file, and the restored server takes no write
// before they passed. Should one fail, or the stream break, the server
// sees its data end early, refuses it and exits, and the restore rolls
// back. The safety copy holds the original file (a hard link to it) from
// before the pipe is put in place, so nothing the restored server saves
// can replace it. The data dir holds a complete set of files at every
// moment but one: from putting the pipe in place until the server opens
// it (the start of the server, milliseconds); a restore killed then
// leaves the pipe at the data file's name, which RecoverInterrupted
// (check, restore) replaces with the original again, as its record
// (PhaseStreaming) tells it to.
//
// It is used for a restore of one RDB file from a source that can check
// its stored bytes cheaply (Source.CheckStored) on Linux; every other
// restore stages its files first.

// streamPlan is what a streamed load needs from staging: where the pipe
// and the regular file wait in the staging directory.
type streamPlan struct {
	pl      placement // the RDB file and its place in the data dir
	fifo    string    // the pipe, in staging until putPipe
	file    *os.File  // the regular file being written, in staging under a temporary name (tmp)
	reader  *os.File  // the same file, open for the feed
	tmp     string
	staged  string       // where the complete file goes
	written atomic.Int64 // the bytes the writer has written into file
}

// streams reports whether the restore loads the backup through a
// streamed load.
func (r *run) streams() bool {
	p := r.p
	return streamSupported && !r.opts.StageFirst && r.src.CheckStored != nil && r.src.OpenWithoutRawDigest != nil &&
		!p.restoreAOF && len(p.placements) == 1 && p.placements[0].file.Kind == backup.KindRDB &&
		p.placements[0].dest == p.dbfilename && p.scratchBin == ""
}

// prepareStream checks the stored bytes of the RDB file against the
// manifest, then puts the pipe and the empty regular file into staging.
func (r *run) prepareStream(ctx context.Context, staging string) error {
	pl := r.p.placements[0]
	took, err := r.stored.result(ctx, r.src, pl.file)
	if err != nil {
		return fmt.Errorf("the backup's %s: %w", pl.file.Original, err)
	}
	r.opts.emit(progress.Step, "checked the stored %s (%s) against the manifest in %.2fs: size and SHA-256 as when the backup was taken",
		pl.file.Name, units.FormatBytes(pl.file.StoredSize), took.Seconds())
	uid, gid := owner(pl.dir)
	fifo := filepath.Join(staging, tempPrefix+"pipe")
	if err := makeFIFO(fifo, uint32(fileMode)); err != nil {
		return fmt.Errorf("create the pipe %s: %w", fifo, err)
	}
	if uid >= 0 {
		_ = os.Lchown(fifo, uid, gid)
	}
	f, err := os.CreateTemp(staging, tempPrefix+"*")
	if err != nil {
		return fmt.Errorf("create the file to restore into: %w", err)
	}
	if err := f.Chmod(fileMode); err != nil {
		f.Close()
		return fmt.Errorf("create the file to restore into: %w", err)
	}
	if uid >= 0 {
		_ = f.Chown(uid, gid)
	}
	reader, err := os.Open(f.Name())
	if err != nil {
		f.Close()
		return fmt.Errorf("open the file to restore into: %w", err)
	}
	r.stream = &streamPlan{pl: pl, fifo: fifo, file: f, reader: reader, tmp: f.Name(), staged: filepath.Join(staging, pl.dest)}
	// The backup is written out from now on, while the server still
	// serves and through its stop: the feed then finds it ahead.
	r.checks = r.startWriting(ctx)
	return nil
}

// storedCheck is a check of a backup's stored RDB (Source.CheckStored)
// begun before it is known to be needed.
type storedCheck struct {
	file backup.File
	done chan struct{}
	err  error
	took time.Duration
}

// startStoredCheck begins the check of the stored bytes of src's one RDB
// file, when src can be streamed: nil otherwise.
func startStoredCheck(ctx context.Context, src Source, opts Options) *storedCheck {
	if !streamSupported || opts.StageFirst || src.CheckStored == nil || src.Manifest == nil {
		return nil
	}
	var rdbs []backup.File
	for _, f := range src.Manifest.Files {
		if f.Kind == backup.KindRDB {
			rdbs = append(rdbs, f)
		}
	}
	if len(rdbs) != 1 {
		return nil
	}
	c := &storedCheck{file: rdbs[0], done: make(chan struct{})}
	go func() {
		defer close(c.done)
		began := time.Now()
		c.err = src.CheckStored(ctx, c.file)
		c.took = time.Since(began)
	}()
	return c
}

// result is the check of f's stored bytes, and how long it took: the one
// begun, or one made now.
func (c *storedCheck) result(ctx context.Context, src Source, f backup.File) (time.Duration, error) {
	if c == nil || c.file.Name != f.Name {
		began := time.Now()
		err := src.CheckStored(ctx, f)
		return time.Since(began), err
	}
	select {
	case <-c.done:
		return c.took, c.err
	case <-ctx.Done():
		return 0, context.Cause(ctx)
	}
}

// putPipe puts the original files into the safety copy, the data file as
// a hard link (it stays at its name for now), the AOF directory moved as
// swapIn moves it (a server loading an RDB with appendonly no ignores it);
// records PhaseStreaming; then puts the pipe at the data file's name.
func (r *run) putPipe() error {
	p, s := r.p, r.stream
	safety, err := makeSafetyDir(p.dir, r.src.Manifest.ID, time.Now())
	if err != nil {
		return err
	}
	r.safety = safety
	live := s.pl.path()
	switch err := os.Link(live, filepath.Join(safety, p.dbfilename)); {
	case err == nil:
		r.moved = append(r.moved, p.dbfilename)
	case !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("keep the original %s in the safety copy: %w", p.dbfilename, err)
	}
	r.cleared = append(r.cleared, p.dbfilename)
	if moved, err := moveIfExists(filepath.Join(p.dir, p.appenddirname), filepath.Join(safety, p.appenddirname)); err != nil {
		return fmt.Errorf("move %s into the safety copy: %w", p.appenddirname, err)
	} else if moved {
		r.moved = append(r.moved, p.appenddirname)
	}
	r.cleared = append(r.cleared, p.appenddirname)
	if err := syncDirs(p.dir, safety); err != nil {
		return err
	}
	if err := r.writeRecord(PhaseStreaming); err != nil {
		return err
	}
	if r.guard, err = startGuard(p.dir, p.dbfilename, safety); err != nil {
		return err
	}
	if err := os.Rename(s.fifo, live); err != nil {
		return fmt.Errorf("put the restore's pipe at %s: %w", live, err)
	}
	if err := syncDirs(p.dir); err != nil {
		return err
	}
	if len(r.moved) == 0 {
		r.opts.emit(progress.Step, "the data dir %s held no %s: nothing to keep", p.dir, strings.Join(p.dataNames(), " or "))
	} else {
		r.opts.emit(progress.Step, "kept the original %s in the safety copy %s", strings.Join(r.moved, " and "), safety)
	}
	return nil
}

// unpipe puts the original data file back at its name in place of the
// pipe (from the safety copy, where a hard link of it is), or takes the
// pipe away when there was none, and then lets go of any server waiting
// to open the pipe: it reads an early end and exits (after checking the
// file at its data file's name, which is then the original). It does
// nothing when the pipe is not there.
func unpipe(dir, name, safety string) error {
	pipe, err := originalBack(dir, name, safety)
	if err != nil || pipe == "" {
		return err
	}
	releaseFIFO(pipe)
	if isFIFO(pipe) {
		os.Remove(pipe)
	}
	return nil
}

// originalBack puts the original file back at dir/name in place of the
// pipe, or takes the pipe away when there was none, and returns the name
// the pipe has now ("" when the pipe was not at dir/name).
func originalBack(dir, name, safety string) (string, error) {
	live := filepath.Join(dir, name)
	if !isFIFO(live) {
		return "", nil
	}
	pipe := filepath.Join(dir, tempPrefix+"pipe-"+name)
	os.Remove(pipe) // a leftover of this very step, interrupted
	original := filepath.Join(safety, name)
	if _, err := os.Lstat(original); err == nil {
		if err := os.Link(original, pipe); err != nil {
			return "", fmt.Errorf("put the original %s back from %s: %w", live, original, err)
		}
		// live is the original, pipe the pipe.
		if err := exchange(pipe, live); err != nil {
			os.Remove(pipe)
			return "", fmt.Errorf("put the original %s back from %s: %w", live, original, err)
		}
	} else if err := os.Rename(live, pipe); err != nil {
		return "", fmt.Errorf("take the restore's pipe away from %s: %w", live, err)
	}
	return pipe, syncDirs(dir)
}

// finishStream waits for the stream to end, every byte written, checked
// and fsynced, and puts the restored file in place (swapStreamed).
func (r *run) finishStream(ctx context.Context) error {
	if err := r.feeder.wait(ctx); err != nil {
		return err
	}
	if err := r.checks.wait(ctx); err != nil {
		return err
	}
	r.stream.file.Close()
	r.stream.reader.Close()
	r.tm.StagedCheck, r.tm.Streamed = r.checks.took, true
	r.opts.emit(progress.Step, "streamed the backup into the server and wrote it to %s (%.2fs from the check of the stored bytes), checked on the way: raw SHA-256 as in the manifest, sound RDB structure and CRC-64",
		r.stream.staged, r.checks.took.Seconds())
	for _, f := range r.checks.noChecksum {
		r.opts.emit(progress.Warning, "%s", noChecksumWarning(f))
	}
	return r.swapStreamed()
}

// swapStreamed puts the complete restored file at the data file's name;
// the original is in the safety copy already.
func (r *run) swapStreamed() error {
	if err := os.Rename(r.stream.staged, r.stream.pl.path()); err != nil {
		return fmt.Errorf("swap in %s: %w", r.p.dbfilename, err)
	}
	r.swapped = true
	if err := syncDirs(r.p.dir); err != nil {
		return err
	}
	if len(r.moved) == 0 {
		r.opts.emit(progress.Step, "put the restored %s in place", r.p.dbfilename)
	} else {
		r.opts.emit(progress.Step, "put the restored %s in place; the originals (%s) are in the safety copy %s",
			r.p.dbfilename, strings.Join(r.moved, ", "), r.safety)
	}
	return nil
}

// releasePipe ends a streamed load's use of the data file's name: the
// original file back in place of the pipe (unpipe).
func (r *run) releasePipe() error {
	if r.stream == nil || r.safety == "" {
		return nil
	}
	err := unpipe(r.p.dir, r.p.dbfilename, r.safety)
	if err == nil {
		r.guard.done()
	}
	return err
}

// releaseStreamPipe puts the original file back in place of the pipe of
// the interrupted streamed load rec records, letting go of a server
// waiting on it (unpipe), and reports whether it did.
func releaseStreamPipe(rec *Record) bool {
	if rec.Phase != PhaseStreaming || len(rec.Names) == 0 || !plainName(rec.Names[0]) {
		return false
	}
	if !isFIFO(filepath.Join(rec.DataDir, rec.Names[0])) {
		return false
	}
	return unpipe(rec.DataDir, rec.Names[0], rec.Safety) == nil
}

// isFIFO reports whether path is a named pipe.
func isFIFO(path string) bool {
	st, err := os.Lstat(path)
	return err == nil && st.Mode().Type() == os.ModeNamedPipe
}

// releaseFIFO opens the named pipe at path for writing, without waiting,
// and closes it: a process blocked opening it for reading goes on and
// reads its end at once. Anything else at path is left alone.
func releaseFIFO(path string) {
	if !isFIFO(path) {
		return
	}
	if fd, err := openFIFONow(path); err == nil {
		closeFD(fd)
	}
}
