// Package testwait is how a test waits for something that happens in the
// background: a server answering, a file appearing, a field of INFO
// changing. It polls a condition with a short backoff and, when the time
// is up, fails the test with what it was waiting for and the last error
// the condition gave, so that a wait never hangs and never times out
// silently.
package testwait

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

const (
	// firstPause is the pause after the first failed poll; it grows by half
	// at each poll up to maxPause.
	firstPause = 2 * time.Millisecond
	maxPause   = 50 * time.Millisecond
)

// stopError marks an error after which waiting longer cannot help.
type stopError struct{ err error }

func (e stopError) Error() string { return e.err.Error() }
func (e stopError) Unwrap() error { return e.err }

// Stop wraps err so that a condition returning it ends the wait at once
// and fails it, for a state that will not change however long the test
// waits (the process being waited on has exited, for example).
func Stop(err error) error {
	if err == nil {
		return nil
	}
	return stopError{err}
}

// Until calls cond until it reports true and returns nil, or until
// timeout has passed (cond is always called at least once) and returns an
// error that says how long it waited and quotes the last error cond
// returned. A cond that returns false with an error has not succeeded yet:
// the error is kept for the message. An error wrapped with Stop ends the
// wait at once and is returned as is.
func Until(timeout time.Duration, cond func() (bool, error)) error {
	return poll(timeout, firstPause, maxPause, cond)
}

// UntilEvery is Until with the same short pause between all polls, for a
// state that may last only a moment (a file that exists only while a
// command runs), which a growing pause could miss.
func UntilEvery(timeout, pause time.Duration, cond func() (bool, error)) error {
	return poll(timeout, pause, pause, cond)
}

// poll calls cond with pauses growing from first to most.
func poll(timeout, first, most time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	pause := first
	var last error
	for {
		ok, err := cond()
		if ok {
			return nil
		}
		var stop stopError
		if errors.As(err, &stop) {
			return stop.err
		}
		if err != nil {
			last = err
		}
		left := time.Until(deadline)
		if left <= 0 {
			if last != nil {
				return fmt.Errorf("still not true after %s; last error: %w", timeout, last)
			}
			return fmt.Errorf("still not true after %s", timeout)
		}
		time.Sleep(min(pause, left))
		pause = min(pause+pause/2, most)
	}
}

// For waits as Until does and fails the test with t.Fatalf when the wait
// ends without cond reporting true. what says what the test waits for,
// as in "the replica to finish its sync".
func For(t testing.TB, timeout time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	if err := Until(timeout, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}
