package restore

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/internal/asyncpipe"
	"github.com/redisplan/redisplan/internal/failpoint"
	"github.com/redisplan/redisplan/internal/progress"
)

// startStream starts feeding the backup into the pipe at the data file's
// name, which the swap put there, and into the regular file; it runs until
// every byte is written, checked and fsynced. Call it before the server
// starts: it waits for the server to open the pipe.
func (r *run) startStream(ctx context.Context) *stagedChecks {
	ctx, cancel := context.WithCancel(ctx)
	c := &stagedChecks{cancel: cancel, done: make(chan struct{})}
	began := time.Now()
	go func() {
		defer close(c.done)
		c.err = r.feed(ctx, c)
		if c.err != nil && ctx.Err() != nil {
			// Stopped from outside: what broke is a consequence.
			c.err = context.Cause(ctx)
		}
		c.took = time.Since(began)
	}()
	return c
}

// feed is startStream's work.
func (r *run) feed(ctx context.Context, c *stagedChecks) (err error) {
	s := r.stream
	live := s.pl.path()
	defer s.file.Close()
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
	failpoint.Hit(failpoint.RestoreStreaming)

	rc, err := r.src.OpenWithoutRawDigest(ctx, s.pl.file)
	if err != nil {
		return fmt.Errorf("read the backup's %s: %w", s.pl.file.Original, err)
	}
	defer rc.Close()
	var crc rdbChecksum
	checks := asyncpipe.NewWriter(func(raw io.Reader) error {
		var err error
		crc, err = checkRaw(ctx, raw, s.pl.file)
		return err
	})
	defer checks.CloseWithError(nil)
	wb := writeBehind(s.file)
	defer wb.CloseWithError(nil)

	emit := r.opts.Emit.With(progress.Event{Operation: progress.OpRestore, Phase: progress.PhaseStage})
	meter := progress.NewMeter(emit, progress.Event{File: s.pl.file.Original, Total: s.pl.file.RawSize})
	in := backup.ContextReader(ctx, meter.Reader(rc))
	buf := make([]byte, 256<<10)
	var sent int64
	for {
		n, rerr := in.Read(buf)
		if n > 0 {
			if _, err := pipe.Write(buf[:n]); err != nil {
				return fmt.Errorf("the server stopped reading its data after %d of %d bytes: %w", sent, s.pl.file.RawSize, err)
			}
			sent += int64(n)
			if _, err := checks.Write(buf[:n]); err != nil {
				return fmt.Errorf("the check of the streamed bytes: %w", err)
			}
			if _, err := wb.Write(buf[:n]); err != nil {
				return fmt.Errorf("write %s: %w", s.tmp, err)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			// The decoders' errors name the stored file; the raw
			// size and digest are the checker's.
			return fmt.Errorf("the backup's %s: %w", s.pl.file.Original, rerr)
		}
	}
	if err := pipe.Close(); err != nil {
		return fmt.Errorf("close the pipe: %w", err)
	}
	if err := checks.Close(); err != nil {
		return fmt.Errorf("the check of the streamed bytes: %w", err)
	}
	if crc == crcMissing && s.pl.file.RawSHA256 == "" {
		c.noChecksum = append(c.noChecksum, s.pl.file)
	}
	if err := wb.Close(); err != nil {
		return fmt.Errorf("write %s: %w", s.tmp, err)
	}
	if err := s.file.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", s.tmp, err)
	}
	if err := os.Rename(s.tmp, s.staged); err != nil {
		return fmt.Errorf("write %s: %w", s.staged, err)
	}
	return syncDirs(filepath.Dir(s.staged))
}
