package restore

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/internal/progress"
)

// A streamed load runs two goroutines. The writer (startWriting) starts
// once the stored bytes passed their check, before the stop: it decodes
// the backup into the file in staging, checking the raw digest and the
// RDB on the way, at its own pace. The feed (startFeed) starts with the
// server: it moves what the writer has written into the pipe the server
// reads, by reference (splice: the server reads the file's pages from the
// page cache, as it would read the file), a little ahead of the server.

// startWriting starts the writer. Its checks are the restore's checks
// (r.checks): a failure before the stop spares the stop, and the feed
// learns from them that the writer ended, and how.
func (r *run) startWriting(ctx context.Context) *stagedChecks {
	return runChecks(ctx, r.write)
}

// write is the writer's work: every byte of the backup into the file,
// checked, fsynced, and renamed to its staged name.
func (r *run) write(ctx context.Context, c *stagedChecks) error {
	s := r.stream
	rc, err := r.src.OpenWithoutRawDigest(ctx, s.pl.file)
	if err != nil {
		return fmt.Errorf("read the backup's %s: %w", s.pl.file.Original, err)
	}
	defer rc.Close()
	// One goroutine decodes, writes and checks: it keeps well ahead of
	// the server on its own, and leaves the loading server its core.
	emit := r.opts.Emit.With(progress.Event{Operation: progress.OpRestore, Phase: progress.PhaseStage})
	meter := progress.NewMeter(emit, progress.Event{File: s.pl.file.Original, Total: s.pl.file.RawSize})
	in := backup.ContextReader(ctx, meter.Reader(rc))
	out := &countedWriter{w: &writebackFile{f: s.file}, n: &s.written}
	var werr error
	tee := readFunc(func(p []byte) (int, error) {
		n, err := in.Read(p)
		if n > 0 {
			if _, werr = out.Write(p[:n]); werr != nil {
				return n, werr
			}
		}
		return n, err
	})
	crc, err := checkRaw(ctx, tee, s.pl.file)
	if werr != nil {
		return fmt.Errorf("write %s: %w", s.tmp, werr)
	}
	if err != nil {
		return fmt.Errorf("the check of the restored bytes: %w", err)
	}
	if crc == crcMissing && s.pl.file.RawSHA256 == "" {
		c.noChecksum = append(c.noChecksum, s.pl.file)
	}
	if err := s.file.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", s.tmp, err)
	}
	if err := os.Rename(s.tmp, s.staged); err != nil {
		return fmt.Errorf("write %s: %w", s.staged, err)
	}
	return syncDirs(filepath.Dir(s.staged))
}

// countedWriter adds what it writes to n, after it is written.
type countedWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c *countedWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// startFeed starts the feed. Call it before the server starts: it waits
// for the server to open the pipe the swap put at the data file's name.
func (r *run) startFeed(ctx context.Context) *stagedChecks {
	return runChecks(ctx, func(ctx context.Context, _ *stagedChecks) error { return r.feed(ctx) })
}

// feed is the feed's work.
func (r *run) feed(ctx context.Context) error {
	s := r.stream
	live := s.pl.path()
	pipe, err := openFIFOWriter(ctx, live)
	if err != nil {
		return fmt.Errorf("wait for the server to open %s: %w", live, err)
	}
	defer pipe.Close()
	// The server has the pipe open: the original file is back under
	// its name, so that whatever opens it from now on (the server
	// itself after the load, to drop it from the page cache; a start
	// by hand should redisplan die) finds a whole file.
	if err := unpipe(r.p.dir, r.p.dbfilename, r.safety); err != nil {
		return err
	}
	r.guard.done()

	total := s.pl.file.RawSize
	var sent int64
	for sent < total {
		avail := s.written.Load() - sent
		if avail == 0 {
			select {
			case <-r.checks.done:
				if err := r.checks.err; err != nil {
					return err
				}
				if s.written.Load() == sent {
					return fmt.Errorf("the backup's %s ended after %d of %d bytes", s.pl.file.Original, sent, total)
				}
			case <-ctx.Done():
				return context.Cause(ctx)
			case <-time.After(pipe.nap):
			}
			continue
		}
		n, err := pipe.spliceFrom(s.reader, sent, avail)
		sent += n
		if err != nil {
			return fmt.Errorf("the server stopped reading its data after %d of %d bytes: %w", sent, total, err)
		}
	}
	return pipe.Close()
}
