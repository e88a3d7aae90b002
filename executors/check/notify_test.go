package check_test

import (
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/check"
	"github.com/redisplan/redisplan/executors/notify"
)

// The state file keeps the notify package's bookkeeping: the two types
// must stay convertible, and keyed the same way.
func TestAlertStateMatchesNotify(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	st := check.AlertState{Status: notify.StatusFiring, Severity: notify.SeverityCritical, FiringSince: now, LastSent: now}
	back := check.AlertState(notify.AlertState(st))
	if back != st {
		t.Errorf("round trip through notify.AlertState: %+v, want %+v", back, st)
	}
	if got, want := check.AlertKey(`cache["eu"]`, "backup_age"), notify.Key(`cache["eu"]`, "backup_age"); got != want {
		t.Errorf("AlertKey = %q, notify.Key = %q", got, want)
	}
}
