package testwait

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestUntilReturnsOnceTrue(t *testing.T) {
	t.Parallel()
	calls := 0
	err := Until(time.Minute, func() (bool, error) {
		calls++
		if calls < 4 {
			return false, fmt.Errorf("not yet (%d)", calls)
		}
		return true, nil
	})
	if err != nil || calls != 4 {
		t.Errorf("Until = %v after %d calls, want nil after 4", err, calls)
	}
}

func TestUntilTimesOutWithTheLastError(t *testing.T) {
	t.Parallel()
	calls := 0
	err := Until(20*time.Millisecond, func() (bool, error) {
		calls++
		if calls == 1 {
			return false, errors.New("connection refused")
		}
		return false, nil // a later poll without an error keeps the last one
	})
	if err == nil {
		t.Fatal("Until of a condition that never holds returned nil")
	}
	if !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "20ms") {
		t.Errorf("Until = %q, want the timeout and the last error", err)
	}
	if calls < 2 {
		t.Errorf("cond called %d times, want it polled more than once", calls)
	}
}

func TestUntilEvery(t *testing.T) {
	t.Parallel()
	calls := 0
	err := UntilEvery(time.Minute, time.Millisecond, func() (bool, error) {
		calls++
		return calls == 50, nil
	})
	if err != nil || calls != 50 {
		t.Errorf("UntilEvery = %v after %d calls, want nil after 50", err, calls)
	}
	err = UntilEvery(5*time.Millisecond, time.Millisecond, func() (bool, error) { return false, errors.New("not there") })
	if err == nil || !strings.Contains(err.Error(), "not there") {
		t.Errorf("UntilEvery of a condition that never holds = %v, want the timeout and the last error", err)
	}
}

func TestUntilCallsOnceWithoutTime(t *testing.T) {
	t.Parallel()
	calls := 0
	if err := Until(0, func() (bool, error) { calls++; return true, nil }); err != nil || calls != 1 {
		t.Errorf("Until(0) = %v after %d calls, want nil after 1", err, calls)
	}
}

func TestStopEndsTheWait(t *testing.T) {
	t.Parallel()
	exited := errors.New("the process exited")
	calls := 0
	err := Until(time.Hour, func() (bool, error) {
		calls++
		return false, Stop(exited)
	})
	if !errors.Is(err, exited) || calls != 1 {
		t.Errorf("Until = %v after %d calls, want the Stop error after 1", err, calls)
	}
	if Stop(nil) != nil {
		t.Error("Stop(nil) != nil")
	}
}

// recorder is a testing.TB that records Fatalf instead of ending the test.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
}

func TestForFailsTheTest(t *testing.T) {
	t.Parallel()
	r := &recorder{TB: t}
	For(r, 10*time.Millisecond, "the replica to sync", func() (bool, error) {
		return false, errors.New("master_link_status:down")
	})
	if !strings.Contains(r.failed, "waiting for the replica to sync") || !strings.Contains(r.failed, "master_link_status:down") {
		t.Errorf("For failed with %q, want what it waited for and the last error", r.failed)
	}

	r = &recorder{TB: t}
	For(r, time.Minute, "something true", func() (bool, error) { return true, nil })
	if r.failed != "" {
		t.Errorf("For of a true condition failed: %s", r.failed)
	}
}
