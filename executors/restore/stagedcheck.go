package restore

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/internal/interrupt"
)

// stagedFile is a staged file whose raw digest and RDB check staging left
// out (placement.deferChecks), open on the file itself.
type stagedFile struct {
	file backup.File
	fh   *os.File
}

// stagedChecks are the checks of the staged files, running on a goroutine
// of their own beside the stop, the swap and the load: the load keeps one
// core busy, and these use the other. Restore lets the restored server
// take no write before they passed, and rolls back when they fail.
type stagedChecks struct {
	cancel context.CancelFunc
	done   chan struct{}
	// Set once done is closed:
	err        error
	took       time.Duration
	noChecksum []backup.File // RDB data with neither CRC-64 nor raw digest
}

// checkStaged starts checking files (checkPlaced), one after the other;
// it closes each file when done with it.
func checkStaged(ctx context.Context, files []stagedFile) *stagedChecks {
	ctx, cancel := context.WithCancel(ctx)
	c := &stagedChecks{cancel: cancel, done: make(chan struct{})}
	began := time.Now()
	go func() {
		defer close(c.done)
		for _, sf := range files {
			if c.err == nil {
				crc, err := checkPlaced(ctx, sf.fh, sf.file)
				if err != nil {
					c.err = fmt.Errorf("the check of the staged copy: %w", err)
				} else if crc == crcMissing && sf.file.RawSHA256 == "" {
					c.noChecksum = append(c.noChecksum, sf.file)
				}
			}
			sf.fh.Close()
		}
		c.took = time.Since(began)
	}()
	return c
}

// runChecks runs work on a goroutine of its own, as checks that Restore
// waits for, stops and reads: work's error (the cause, when it was
// stopped from outside: what broke then is a consequence) and its time.
func runChecks(ctx context.Context, work func(context.Context, *stagedChecks) error) *stagedChecks {
	ctx, cancel := context.WithCancel(ctx)
	c := &stagedChecks{cancel: cancel, done: make(chan struct{})}
	began := time.Now()
	go func() {
		defer close(c.done)
		c.err = work(ctx, c)
		if c.err != nil && ctx.Err() != nil {
			c.err = context.Cause(ctx)
		}
		c.took = time.Since(began)
	}()
	return c
}

// failed returns the checks' error when they have ended with one, without
// waiting for them; nil while they run.
func (c *stagedChecks) failed() error {
	if c == nil {
		return nil
	}
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// wait waits for the checks to end and returns their error.
func (c *stagedChecks) wait(ctx context.Context) error {
	if c == nil {
		return nil
	}
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return fmt.Errorf("the check of the staged files had not ended when %s: %w", interrupt.When(context.Cause(ctx)), ctx.Err())
	}
}

// stop ends the checks if they still run, and waits until they have.
func (c *stagedChecks) stop() {
	if c == nil {
		return
	}
	c.cancel()
	<-c.done
}
