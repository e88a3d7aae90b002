package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/redisplan/redisplan/cmd/redisplan/internal/arguments"
	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/check"
	"github.com/redisplan/redisplan/executors/notify"
	"github.com/redisplan/redisplan/internal/fsutil"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/s3url"
	"github.com/redisplan/redisplan/internal/secret"
)

// checkOutput is check -json: the report, plus what notification did.
type checkOutput struct {
	check.Report
	Deliveries []notify.Delivery `json:"deliveries"`
}

func runCheck(ctx context.Context, env *cmdEnv, args []string) int {
	// A command line that cannot be run is UNKNOWN, as Nagios has it:
	// exit 1 would read as a WARNING about the servers.
	a, err := arguments.ParseCheck(args)
	if code, done := parsed(env, "check", err, int(check.Unknown)); done {
		return code
	}
	sf, targets, sendNotify, format, out, state := specFlagsOf(a.Spec), a.Targets, a.Notify, a.Format, a.Out, a.StateDir
	res, ok := loadSpec(env, &sf)
	if !ok {
		return int(check.Unknown)
	}
	selected, err := selectTargets(res.Spec, targets)
	if err != nil {
		fmt.Fprintf(env.stderr, "redisplan check: %v\n", err)
		return int(check.Unknown)
	}

	now := time.Now()
	output := checkOutput{Report: check.Report{FormatVersion: "1.0", Time: now.UTC()}, Deliveries: []notify.Delivery{}}
	var metrics check.Metrics
	sender := &notify.Sender{}
	for _, t := range selected {
		path, err := statePath(t, state)
		if err != nil {
			fmt.Fprintf(env.stderr, "redisplan check: %v\n", err)
			return int(check.Unknown)
		}
		st, path, err := loadOwnState(t, path)
		if err != nil {
			// A broken state file costs the rates and the deduplication
			// of one run, not the check itself.
			fmt.Fprintf(env.stderr, "warning: %v; starting from an empty state\n", err)
			st = check.NewState()
		}
		st.Owner = targetOwner(t)
		var catalog func(context.Context) ([]*backup.Manifest, error)
		var others []*backup.Manifest
		if t.Backup != nil {
			if store, err := storageFor(t, ""); err == nil {
				// Only this target's backups: another spec's in a shared
				// folder say nothing about this server.
				all, claim := check.Catalog(store), backupClaim(t)
				catalog = func(ctx context.Context) ([]*backup.Manifest, error) {
					ms, err := all(ctx)
					var own []*backup.Manifest
					own, others = claim.Partition(ms)
					return own, err
				}
			} else {
				catalog = func(context.Context) ([]*backup.Manifest, error) { return nil, err }
			}
		}
		in := check.Gather(ctx, t, catalog, st.Sample(t.Name), now)
		if len(others) > 0 {
			in.OtherBackups = fmt.Sprintf("%d of %s", len(others), describeOwners(others))
		}
		results := check.Evaluate(in)
		output.Results = append(output.Results, results...)
		metrics = append(metrics, check.MetricsOf(in)...)
		st.SetSample(t.Name, check.SampleOf(in))
		if sendNotify && t.Alerts != nil && len(t.Alerts.Notify) > 0 {
			output.Deliveries = append(output.Deliveries, notifyTarget(ctx, sender, t, results, st, now)...)
		}
		if err := check.SaveState(path, st); err != nil {
			fmt.Fprintf(env.stderr, "warning: %v\n", err)
		}
	}
	var statuses []check.Status
	for _, r := range output.Results {
		statuses = append(statuses, r.Status)
	}
	output.Status = check.Worst(statuses...)

	var b strings.Builder
	switch format {
	case "json":
		enc := json.NewEncoder(&b)
		enc.SetIndent("", "  ")
		_ = enc.Encode(output)
	case "nagios":
		check.WriteNagios(&b, output.Report)
	case "prometheus":
		check.WritePrometheus(&b, output.Report, metrics)
	default:
		check.WriteTable(&b, output.Report, !sf.noColor && isTerminal(env.stdout))
		for _, d := range output.Deliveries {
			if !d.Delivered {
				fmt.Fprintf(&b, "Alert delivery to %s failed after %d attempt(s): %s\n", d.URL, d.Attempts, d.Error)
			}
		}
	}
	if out != "" {
		if err := fsutil.WriteFileMode(out, []byte(b.String()), 0o644); err != nil {
			fmt.Fprintf(env.stderr, "redisplan check: %v\n", err)
			return int(check.Unknown)
		}
	} else {
		fmt.Fprint(env.stdout, b.String())
	}
	for _, d := range output.Deliveries {
		if !d.Delivered {
			fmt.Fprintf(env.stderr, "warning: alert delivery to %s failed after %d attempt(s): %s\n", d.URL, d.Attempts, d.Error)
		}
	}
	return int(output.Status)
}

// notifyTarget sends what changed since the last run to each of the
// target's destinations. An alert counts as sent only when every
// destination took it; otherwise it is sent again next run.
func notifyTarget(ctx context.Context, sender *notify.Sender, t *model.Target, results []check.Result, st *check.State, now time.Time) []notify.Delivery {
	// The state file keeps check.AlertState, the same fields as
	// notify.AlertState, so that check does not depend on notify.
	states := map[string]notify.AlertState{}
	for k, v := range st.Alerts {
		states[k] = notify.AlertState(v)
	}
	alerts, next := notify.Decide(results, states, now, t.Alerts.RepeatInterval)
	if len(alerts) == 0 {
		return nil
	}
	var deliveries []notify.Delivery
	all := true
	for _, n := range t.Alerts.Notify {
		body, err := notify.Build(n, alerts)
		if err != nil {
			deliveries = append(deliveries, notify.Delivery{URL: secret.MaskURL(n.Webhook), Error: err.Error()})
			all = false
			continue
		}
		d := sender.Send(ctx, n, body)
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

// statePath is where a target's check state lives: beside its backup
// catalog (the backup_age check reads that catalog anyway), else in the
// user's state directory.
func statePath(t *model.Target, dir string) (string, error) {
	name := fileName(t.Name) + ".check-state.json"
	switch {
	case dir != "":
		return filepath.Join(dir, name), nil
	case t.Backup != nil && !s3url.Is(t.Backup.Destination) &&
		(!t.Backup.RequireDestination || destinationExists(t.Backup.Destination) == nil):
		// With require_destination and the destination missing (a disk
		// not mounted), the state goes to the user's state directory
		// rather than create the destination; backup_age reports the
		// catalog unreadable.
		return filepath.Join(t.Backup.Destination, fileName(t.Name), ".check-state.json"), nil
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

// loadOwnState reads the check state of t at path, or, when the state
// there is another spec's target's (two specs with a target of the same
// name, one backup folder or one state directory), at a path of t's own
// beside it, which it returns.
func loadOwnState(t *model.Target, path string) (*check.State, string, error) {
	st, err := check.LoadState(path)
	o := targetOwner(t)
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

// alertFailure sends a critical alert for a failed backup or restore to
// the target's notify destinations, so that a failure in a cron job is not
// only in a log nobody reads. Delivery problems are reported, never
// hidden, and never change the command's own exit code.
func alertFailure(ctx context.Context, env *cmdEnv, t *model.Target, checkName, summary string, cause error) {
	if t.Alerts == nil || len(t.Alerts.Notify) == 0 {
		return
	}
	a := notify.Alert{
		Target: t.Name, Check: checkName, Severity: notify.SeverityCritical, Status: notify.StatusFiring,
		Summary: summary, Description: secret.New(t.Secrets()...).Redact(cause.Error()), StartsAt: time.Now().UTC(),
	}
	sender := &notify.Sender{}
	for _, n := range t.Alerts.Notify {
		body, err := notify.Build(n, []notify.Alert{a})
		if err != nil {
			fmt.Fprintf(env.stderr, "warning: alert to %s: %v\n", secret.MaskURL(n.Webhook), err)
			continue
		}
		if d := sender.Send(ctx, n, body); !d.Delivered {
			fmt.Fprintf(env.stderr, "warning: alert delivery to %s failed after %d attempt(s): %s\n", d.URL, d.Attempts, d.Error)
		}
	}
}
