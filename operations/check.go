package operations

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/check"
	"github.com/redisplan/redisplan/executors/notify"
	"github.com/redisplan/redisplan/executors/repository"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/owner"
	"github.com/redisplan/redisplan/internal/secret"
)

// CheckOptions are what a check run is made from.
type CheckOptions struct {
	Targets []*model.Target
	// Notify sends what changed since the last run to each target's
	// alert destinations.
	Notify bool
	// StateDir holds the check state when set; otherwise it is kept
	// beside the target's backups, or in the user's state directory.
	StateDir string
	// Now is the time of the run (time.Now() when zero).
	Now time.Time
	// Sender delivers the alerts; nil uses notify's defaults.
	Sender *notify.Sender
}

// CheckResult is what a check run found and did.
type CheckResult struct {
	Report  check.Report
	Metrics check.Metrics
	// Deliveries are the notifications sent, delivered or not.
	Deliveries []notify.Delivery
	// Warnings are problems that cost the run something (a state file
	// that could not be read or written) but not the check itself.
	Warnings []string
}

// Check runs every health check on each target, keeps each target's state
// (for rates and for deduplicating alerts) and, with Notify, alerts on
// what changed. The error is for a run that could not start.
func Check(ctx context.Context, o CheckOptions) (*CheckResult, error) {
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	sender := o.Sender
	if sender == nil {
		sender = &notify.Sender{}
	}
	r := &CheckResult{Report: check.Report{FormatVersion: "1.0", Time: now.UTC()}, Deliveries: []notify.Delivery{}}
	for _, t := range o.Targets {
		path, err := statePath(t, o.StateDir)
		if err != nil {
			return nil, err
		}
		st, path, err := loadOwnState(path, repository.Owner(t))
		if err != nil {
			// A broken state file costs the rates and the deduplication
			// of one run, not the check itself.
			r.Warnings = append(r.Warnings, fmt.Sprintf("%v; starting from an empty state", err))
			st = check.NewState()
		}
		st.Owner = repository.Owner(t)
		var catalog func(context.Context) ([]*backup.Manifest, error)
		var others []*backup.Manifest
		if t.Backup != nil {
			// Only this target's backups: another spec's in a shared
			// folder say nothing about this server.
			catalog = func(ctx context.Context) ([]*backup.Manifest, error) {
				repo, err := repository.Open(t, "")
				if err != nil {
					return nil, err
				}
				own, theirs, err := repo.Catalog(ctx)
				others = theirs
				return own, err
			}
		}
		in := check.Gather(ctx, t, catalog, st.Sample(t.Name), now)
		if len(others) > 0 {
			in.OtherBackups = fmt.Sprintf("%d of %s", len(others), repository.DescribeOwners(others))
		}
		results := check.Evaluate(in)
		r.Report.Results = append(r.Report.Results, results...)
		r.Metrics = append(r.Metrics, check.MetricsOf(in)...)
		st.SetSample(t.Name, check.SampleOf(in))
		if o.Notify && t.Alerts != nil && len(t.Alerts.Notify) > 0 {
			r.Deliveries = append(r.Deliveries, notifyTarget(ctx, sender, t, results, st, now)...)
		}
		if err := check.SaveState(path, st); err != nil {
			r.Warnings = append(r.Warnings, err.Error())
		}
	}
	var statuses []check.Status
	for _, res := range r.Report.Results {
		statuses = append(statuses, res.Status)
	}
	r.Report.Status = check.Worst(statuses...)
	return r, nil
}

// notifyTarget sends what changed since the last run to each of the
// target's destinations, and to Alertmanager's API every alert that still
// fires (Alertmanager resolves an alert that is not posted again before
// its endsAt). An alert counts as sent only when every destination took
// it; otherwise it is sent again next run. One destination failing does
// not stop the others.
func notifyTarget(ctx context.Context, sender *notify.Sender, t *model.Target, results []check.Result, st *check.State, now time.Time) []notify.Delivery {
	// The state file keeps check.AlertState, the same fields as
	// notify.AlertState, so that check does not depend on notify.
	states := map[string]notify.AlertState{}
	for k, v := range st.Alerts {
		states[k] = notify.AlertState(v)
	}
	alerts, next := notify.Decide(results, states, now, t.Alerts.RepeatInterval)
	// What Alertmanager's API gets: this run's resolutions and every
	// alert still firing.
	var api []notify.Alert
	for _, a := range alerts {
		if a.Status == notify.StatusResolved {
			api = append(api, a)
		}
	}
	api = append(api, notify.Firing(results, next)...)
	until := notify.EndsAt(t.Alerts.Schedule, now)

	var deliveries []notify.Delivery
	all := true
	for _, n := range t.Alerts.Notify {
		batch := alerts
		if n.Format == model.FormatAlertmanagerAPI {
			batch = api
		}
		if len(batch) == 0 {
			continue
		}
		d := deliver(ctx, sender, n, batch, until)
		deliveries = append(deliveries, d)
		all = all && d.Delivered
	}
	if all {
		notify.MarkSent(next, alerts, now)
	}
	st.Alerts = map[string]check.AlertState{}
	for k, v := range next {
		st.Alerts[k] = check.AlertState(v)
	}
	return deliveries
}

// deliver builds the body of alerts for one destination and posts it.
func deliver(ctx context.Context, sender *notify.Sender, n model.Notify, alerts []notify.Alert, until time.Time) notify.Delivery {
	body, err := notify.Build(n, alerts, until)
	if err != nil {
		return notify.Delivery{URL: secret.MaskURL(n.Webhook), Error: secret.New(n.Secrets()...).Redact(err.Error())}
	}
	return sender.Send(ctx, n, body)
}

// statePath is where a target's check state lives: in dir when set, else
// beside its backup catalog (the backup_age check reads that catalog
// anyway), else in the user's state directory.
func statePath(t *model.Target, dir string) (string, error) {
	name := repository.FileName(t.Name) + ".check-state.json"
	if dir != "" {
		return filepath.Join(dir, name), nil
	}
	// With require_destination and the destination missing (a disk not
	// mounted), the repository has no folder: the state goes to the
	// user's state directory rather than create the destination, and
	// backup_age reports the catalog unreadable.
	if folder := repository.LocalFolder(t); folder != "" {
		return filepath.Join(folder, ".check-state.json"), nil
	}
	base := os.Getenv("XDG_STATE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no place for the check state: set -state-dir: %w", err)
		}
		base = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(base, "redisplan", name), nil
}

// loadOwnState reads the check state of the target owned by o at path,
// or, when the state there is another spec's target's (two specs with a
// target of the same name, one backup folder or one state directory), at
// a path of its own beside it, which it returns.
func loadOwnState(path string, o *owner.Owner) (*check.State, string, error) {
	st, err := check.LoadState(path)
	if err != nil || st.Owner == nil || st.Owner.IsZero() || o.Claims(*st.Owner) {
		return st, path, err
	}
	key := "spec " + o.Spec + "\x00target " + o.Target
	if o.ID != "" {
		key = "id " + o.ID
	}
	sum := sha256.Sum256([]byte(key))
	path = strings.TrimSuffix(path, ".json") + "-" + hex.EncodeToString(sum[:])[:12] + ".json"
	st, err = check.LoadState(path)
	return st, path, err
}

// AlertTimeout bounds the delivery of a failure alert.
const AlertTimeout = 10 * time.Second

// AlertFailure sends a critical alert for a failed backup or restore to
// the target's notify destinations, so that a failure in a cron job is not
// only in a log nobody reads. It returns the delivery problems, for the
// caller to report; they never change the command's own outcome. It is
// sent even when ctx was cancelled (an interrupted restore is the failure
// that most needs its alert), within AlertTimeout.
func AlertFailure(ctx context.Context, sender *notify.Sender, t *model.Target, checkName, summary string, cause error) []string {
	if t.Alerts == nil || len(t.Alerts.Notify) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), AlertTimeout)
	defer cancel()
	if sender == nil {
		sender = &notify.Sender{}
	}
	a := notify.Alert{
		Target: t.Name, Check: checkName, Severity: notify.SeverityCritical, Status: notify.StatusFiring,
		Summary: summary, Description: secret.New(t.Secrets()...).Redact(cause.Error()), StartsAt: time.Now().UTC(),
	}
	var problems []string
	until := notify.EndsAt(t.Alerts.Schedule, a.StartsAt)
	for _, n := range t.Alerts.Notify {
		switch d := deliver(ctx, sender, n, []notify.Alert{a}, until); {
		case d.Delivered:
		case d.Attempts == 0:
			problems = append(problems, fmt.Sprintf("alert to %s: %s", d.URL, d.Error))
		default:
			problems = append(problems, fmt.Sprintf("alert delivery to %s failed after %d attempt(s): %s", d.URL, d.Attempts, d.Error))
		}
	}
	return problems
}
