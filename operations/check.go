package operations

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/check"
	"github.com/redisplan/redisplan/executors/notify"
	"github.com/redisplan/redisplan/executors/repository"
	"github.com/redisplan/redisplan/internal/fsutil"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/owner"
	"github.com/redisplan/redisplan/internal/s3url"
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

// AllWell reports whether the run found nothing for a person: every check
// OK, every alert delivered, and no warning. A scheduled check run with
// -quiet prints nothing then.
func (r *CheckResult) AllWell() bool {
	if r.Report.Status != check.OK || len(r.Warnings) > 0 {
		return false
	}
	for _, d := range r.Deliveries {
		if !d.Delivered {
			return false
		}
	}
	return true
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
		place, warning, err := statePlace(t, o.StateDir)
		if err != nil {
			return nil, err
		}
		if warning != "" {
			r.Warnings = append(r.Warnings, warning)
		}
		st, name, err := loadOwnState(ctx, place, repository.Owner(t))
		save := true
		if err != nil {
			// A broken state costs the rates and the deduplication of
			// one run, not the check itself. One that could not be read
			// (the store did not answer) is left as it is.
			save = !errors.Is(err, errStateUnread)
			how := "starting from an empty state"
			if !save {
				how = "running without it, and leaving it as it is"
			}
			r.Warnings = append(r.Warnings, fmt.Sprintf("%v; %s", err, how))
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
		gatherArchive(ctx, &in, in.Backups)
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
		if !save {
			continue
		}
		if err := saveState(ctx, place.store, name, st); err != nil {
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

// stateStore keeps check states by name: a directory, or the
// CheckState objects of a target's repository.
type stateStore interface {
	// read returns the state called name; an error wrapping
	// fs.ErrNotExist when there is none.
	read(ctx context.Context, name string) ([]byte, error)
	// write stores it whole or not at all, mode 0600.
	write(ctx context.Context, name string, data []byte) error
	// where names the state called name in messages.
	where(name string) string
}

// stateDir is a directory of check states (-state-dir, the user's state
// directory, or the legacy place beside local backups).
type stateDir string

func (d stateDir) read(_ context.Context, name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(string(d), name))
}

func (d stateDir) write(_ context.Context, name string, data []byte) error {
	if err := os.MkdirAll(string(d), 0o700); err != nil {
		return err
	}
	return fsutil.WriteFileMode(filepath.Join(string(d), name), data, 0o600)
}

func (d stateDir) where(name string) string { return filepath.Join(string(d), name) }

// repoState is the check state kept beside the target's backups, in its
// repository's CheckState folder: a directory or an S3 prefix.
type repoState struct{ r *repository.Repository }

func (s repoState) read(ctx context.Context, name string) ([]byte, error) {
	rc, err := s.r.ReadObject(ctx, repository.CheckState, name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func (s repoState) write(ctx context.Context, name string, data []byte) error {
	return s.r.CommitObject(ctx, repository.CheckState, name, data)
}

func (s repoState) where(name string) string {
	return s.r.ObjectsPath(repository.CheckState) + name
}

// place is where a target's check state lives (store, name), and where
// an older redisplan kept it (legacy, legacyName; legacy nil when
// nowhere else), read when the place holds none yet.
type place struct {
	store      stateStore
	name       string
	legacy     stateStore
	legacyName string
}

// statePlace is where a target's check state lives: in dir when set;
// else beside its backups, in the destination's CheckState folder (a
// directory or S3: the backup_age check reads that catalog anyway, and a
// job without a disk of its own, such as a CronJob pod, keeps its state
// there); else in the user's state directory.
func statePlace(t *model.Target, dir string) (p place, warning string, err error) {
	name := repository.FileName(t.Name) + ".check-state.json"
	if dir != "" {
		return place{store: stateDir(dir), name: name}, "", nil
	}
	userDir := func() (stateStore, error) {
		base := os.Getenv("XDG_STATE_HOME")
		if base == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return nil, fmt.Errorf("no place for the check state: set -state-dir: %w", err)
			}
			base = filepath.Join(home, ".local", "state")
		}
		return stateDir(filepath.Join(base, "redisplan")), nil
	}
	// With require_destination and the destination missing (a disk not
	// mounted), LocalFolder is empty: the state goes to the user's state
	// directory rather than create the destination, and backup_age
	// reports the catalog unreadable.
	local := repository.LocalFolder(t)
	if t.Backup != nil && (local != "" || s3url.Is(t.Backup.Destination)) {
		repo, err := repository.Open(t, "")
		if err == nil {
			p := place{store: repoState{repo}, name: repository.CheckStateName}
			// Before it was kept in the destination's CheckState
			// folder, the state was beside local backups, and in the
			// user's state directory for S3 ones.
			if local != "" {
				p.legacy, p.legacyName = stateDir(local), ".check-state.json"
			} else if d, err := userDir(); err == nil {
				p.legacy, p.legacyName = d, name
			}
			return p, "", nil
		}
		// The check itself reports what is wrong with the destination
		// (backup_age); the state goes where it can.
		warning = fmt.Sprintf("check state: cannot keep it beside the backups (%v); keeping it in the user's state directory", err)
	}
	d, err := userDir()
	if err != nil {
		return place{}, "", err
	}
	return place{store: d, name: name}, warning, nil
}

// loadOwnState reads the check state of the target owned by o at p, or,
// when the state there is another spec's target's (two specs with a
// target of the same name, one backup folder or one state directory),
// under a name of its own beside it, which it returns. A place that
// holds none yet is read at its legacy place.
func loadOwnState(ctx context.Context, p place, o *owner.Owner) (*check.State, string, error) {
	st, err := readState(ctx, p.store, p.name)
	if errors.Is(err, fs.ErrNotExist) && p.legacy != nil {
		st, err = readState(ctx, p.legacy, p.legacyName)
		if err == nil && !ownState(st, o) {
			st, err = readState(ctx, p.legacy, ownName(p.legacyName, o))
		}
		if err != nil {
			// A legacy state that cannot be used is as good as none:
			// the new place is written from this run on.
			err = fs.ErrNotExist
		}
	}
	if errors.Is(err, fs.ErrNotExist) {
		st, err = check.NewState(), nil
	}
	if err != nil || ownState(st, o) {
		return st, p.name, err
	}
	name := ownName(p.name, o)
	st, err = readState(ctx, p.store, name)
	if errors.Is(err, fs.ErrNotExist) {
		st, err = check.NewState(), nil
	}
	return st, name, err
}

// ownState reports whether st is o's: a state written before owners were
// recorded is anyone's.
func ownState(st *check.State, o *owner.Owner) bool {
	return st.Owner == nil || st.Owner.IsZero() || o.Claims(*st.Owner)
}

// ownName is the name of o's state beside another owner's called name:
// name-<12 hex digits of o>.json.
func ownName(name string, o *owner.Owner) string {
	key := "spec " + o.Spec + "\x00target " + o.Target
	if o.ID != "" {
		key = "id " + o.ID
	}
	sum := sha256.Sum256([]byte(key))
	return strings.TrimSuffix(name, ".json") + "-" + hex.EncodeToString(sum[:])[:12] + ".json"
}

// errStateUnread marks a state that exists, or may, but could not be
// read: the run must not write over it.
var errStateUnread = errors.New("the check state could not be read")

// readState reads and decodes the state called name in s.
func readState(ctx context.Context, s stateStore, name string) (*check.State, error) {
	b, err := s.read(ctx, name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("read check state %s: %w (%w)", s.where(name), err, errStateUnread)
	}
	return check.DecodeState(b, s.where(name))
}

// saveState writes st as the state called name in s, whole or not at
// all, mode 0600.
func saveState(ctx context.Context, s stateStore, name string, st *check.State) error {
	b, err := check.EncodeState(st)
	if err != nil {
		return err
	}
	if err := s.write(ctx, name, b); err != nil {
		return fmt.Errorf("write check state %s: %w", s.where(name), err)
	}
	return nil
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
