// Package notify turns check results into alerts and delivers them to
// webhooks and to Alertmanager's API: which alerts are due (Decide,
// MarkSent; Firing and EndsAt for Alertmanager, which is given every
// firing alert on each run), what is sent (JSONPayload,
// AlertmanagerPayload, SlackPayload, APIPayload) and how (Sender).
//
// Deciding and rendering are pure; only Sender does I/O. The caller keeps
// the AlertState map between runs (a state file), so that a firing alert
// is sent when it starts, when its severity changes and then once per
// repeat interval, and a resolved one exactly once.
package notify

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/redisplan/redisplan/executors/check"
)

// Alert statuses and severities, as they appear in every payload.
const (
	StatusFiring   = "firing"
	StatusResolved = "resolved"

	SeverityWarning  = "warning"
	SeverityCritical = "critical"
)

// Alert is one firing or resolved alert.
type Alert struct {
	Target string `json:"target"`
	// Check is the result's stable name: memory_used_percent, backup_age...
	Check string `json:"check"`
	// Severity is "warning" or "critical".
	Severity string `json:"severity"`
	// Status is "firing" or "resolved".
	Status      string    `json:"status"`
	Summary     string    `json:"summary"`
	Description string    `json:"description,omitempty"`
	StartsAt    time.Time `json:"starts_at"`
	// EndsAt is zero while the alert is firing.
	EndsAt time.Time `json:"ends_at,omitzero"`
	// Value is the measured figure with its unit ("93.5%", "90000s"), when
	// the check has one.
	Value string `json:"value,omitempty"`
}

// Key is the alert's key in the state map: "target/check".
func (a Alert) Key() string { return Key(a.Target, a.Check) }

// Key returns the state key of a target's check.
func Key(target, checkName string) string { return target + "/" + checkName }

// splitKey returns the target part of a state key. Check names never hold
// a slash; target names may.
func splitKey(key string) (target string) {
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		return key[:i]
	}
	return key
}

// AlertState is the bookkeeping of one "target/check", persisted by the
// caller between runs.
type AlertState struct {
	// Status is "firing", "resolved" or "" (never alerted).
	Status   string `json:"status,omitempty"`
	Severity string `json:"severity,omitempty"`
	// FiringSince is when the alert started firing at its current
	// severity.
	FiringSince time.Time `json:"firing_since,omitzero"`
	// LastSent is when the current notification was delivered; it is zero
	// while one is due and not yet delivered, so that a failed delivery is
	// retried on the next run.
	LastSent time.Time `json:"last_sent,omitzero"`
}

// pending reports whether the state's last notification is still to be
// delivered.
func (s AlertState) pending() bool { return s.Status != "" && s.LastSent.IsZero() }

// Decide compares this run's results with the saved states and returns the
// alerts to send and the new states, in a deterministic order.
//
// A warning or critical result fires. It is sent when it was not firing
// before, when its severity changed (the old severity is then sent as
// resolved too, since payloads that label alerts by severity would
// otherwise keep it open), when its last notification was never delivered,
// and when the last delivery is older than repeat (repeat <= 0: never
// repeated). A result back to ok, or a check the run no longer reports,
// whose state was firing is sent once as resolved. Unknown results neither
// fire nor resolve: their state is kept as it was. States of targets that
// have no result at all in this run are kept as they were too: the run did
// not look at them (a -target run, or a target that was skipped).
//
// The states of the alerts returned have a zero LastSent until MarkSent is
// called after their delivery. states is not modified.
func Decide(results []check.Result, states map[string]AlertState, now time.Time, repeat time.Duration) ([]Alert, map[string]AlertState) {
	next := make(map[string]AlertState, len(states))
	var alerts []Alert
	seen := map[string]bool{}
	checked := map[string]bool{}

	for _, r := range results {
		key := Key(r.Target, r.Name)
		if seen[key] {
			continue // the first result of a check wins
		}
		seen[key] = true
		checked[r.Target] = true
		prev, had := states[key]

		switch r.Status {
		case check.Warning, check.Critical:
			sev := r.Status.String()
			st := prev
			due := false
			switch {
			case prev.Status != StatusFiring:
				st = AlertState{Status: StatusFiring, Severity: sev, FiringSince: now}
				due = true
			case prev.Severity != sev:
				alerts = append(alerts, resolvedAlert(r.Target, r.Name, prev, now, &r))
				st = AlertState{Status: StatusFiring, Severity: sev, FiringSince: now}
				due = true
			case prev.pending():
				due = true
			case repeat > 0 && !now.Before(prev.LastSent.Add(repeat)):
				due = true
			}
			if due {
				st.LastSent = time.Time{}
				alerts = append(alerts, firingAlert(r, st))
			}
			next[key] = st

		case check.OK:
			if a, st, keep := resolve(r.Target, r.Name, prev, now, &r); keep {
				next[key] = st
				if a != nil {
					alerts = append(alerts, *a)
				}
			}

		default: // unknown: neither fires nor resolves
			if had {
				next[key] = prev
			}
		}
	}

	// Checks that were firing and that this run no longer reports.
	for key, prev := range states {
		if seen[key] {
			continue
		}
		target := splitKey(key)
		if !checked[target] {
			next[key] = prev
			continue
		}
		if a, st, keep := resolve(target, key[len(target)+1:], prev, now, nil); keep {
			next[key] = st
			if a != nil {
				alerts = append(alerts, *a)
			}
		}
	}

	sort.SliceStable(alerts, func(i, j int) bool {
		a, b := alerts[i], alerts[j]
		if a.Target != b.Target {
			return a.Target < b.Target
		}
		if a.Check != b.Check {
			return a.Check < b.Check
		}
		// A check's resolution comes before its new firing.
		return a.Status == StatusResolved && b.Status != StatusResolved
	})
	return alerts, next
}

// resolve handles a check that is fine (r non-nil) or no longer reported.
// It returns the alert to send, if any, and the state to keep, if any.
func resolve(target, name string, prev AlertState, now time.Time, r *check.Result) (*Alert, AlertState, bool) {
	switch {
	case prev.Status == StatusFiring:
		a := resolvedAlert(target, name, prev, now, r)
		return &a, AlertState{Status: StatusResolved, Severity: prev.Severity, FiringSince: prev.FiringSince}, true
	case prev.Status == StatusResolved && prev.pending():
		// The resolution was not delivered: send it again.
		a := resolvedAlert(target, name, prev, now, r)
		return &a, prev, true
	default:
		// Resolved and delivered, or never alerted: nothing to remember.
		return nil, AlertState{}, false
	}
}

func firingAlert(r check.Result, st AlertState) Alert {
	summary := r.Target + ": " + r.Name + " is " + st.Severity
	v := formatValue(r.Value, r.Unit)
	if v != "" {
		summary += " (" + v + ")"
	}
	return Alert{
		Target:      r.Target,
		Check:       r.Name,
		Severity:    st.Severity,
		Status:      StatusFiring,
		Summary:     summary,
		Description: r.Message,
		StartsAt:    st.FiringSince,
		Value:       v,
	}
}

func resolvedAlert(target, name string, prev AlertState, now time.Time, r *check.Result) Alert {
	a := Alert{
		Target:   target,
		Check:    name,
		Severity: prev.Severity,
		Status:   StatusResolved,
		Summary:  target + ": " + name + " is back to ok",
		StartsAt: prev.FiringSince,
		EndsAt:   now,
	}
	if a.StartsAt.IsZero() {
		a.StartsAt = now
	}
	switch {
	case r == nil:
		a.Summary = target + ": " + name + " is no longer checked"
		a.Description = "The check reports no result any more, so its alert is resolved."
	case r.Status != check.OK:
		// A severity change: the old severity ends, the new one fires.
		a.Summary = target + ": " + name + " is now " + r.Status.String()
		a.Description = r.Message
		a.Value = formatValue(r.Value, r.Unit)
	default:
		a.Description = r.Message
		a.Value = formatValue(r.Value, r.Unit)
	}
	return a
}

// formatValue writes a measured figure, rounded to two decimals, with its
// unit: 93.5%, 90000s, 1024B, 1.5 (ratio) or 12 (count).
func formatValue(v *float64, unit string) string {
	if v == nil {
		return ""
	}
	s := strconv.FormatFloat(math.Round(*v*100)/100, 'f', -1, 64)
	switch unit {
	case "%", "s", "B":
		return s + unit
	default:
		return s
	}
}

// MarkSent records the delivery of alerts: their states get LastSent = now,
// so that they are not sent again before the repeat interval. Call it with
// the alerts that were delivered; a caller with several destinations marks
// an alert only when every destination took it, so that a failed one is
// retried (at the cost of a repeat at the others). An alert whose state has
// moved on (another status or severity) is ignored.
func MarkSent(states map[string]AlertState, sent []Alert, now time.Time) {
	for _, a := range sent {
		st, ok := states[a.Key()]
		if !ok || st.Status != a.Status || st.Severity != a.Severity {
			continue
		}
		st.LastSent = now
		states[a.Key()] = st
	}
}

// Firing returns a firing alert for every check of results that is
// warning or critical, with its start from states (the states Decide
// returned): what Alertmanager's API must be given on every run to keep
// the alerts open. Unknown results are not included: the run cannot say
// whether the condition still holds, so Alertmanager lets the alert end
// at its endsAt unless a later run reports it again.
func Firing(results []check.Result, states map[string]AlertState) []Alert {
	var out []Alert
	seen := map[string]bool{}
	for _, r := range results {
		key := Key(r.Target, r.Name)
		if seen[key] || (r.Status != check.Warning && r.Status != check.Critical) {
			continue
		}
		seen[key] = true
		st, ok := states[key]
		if !ok || st.Status != StatusFiring {
			continue
		}
		out = append(out, firingAlert(r, st))
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Target != out[j].Target {
			return out[i].Target < out[j].Target
		}
		return out[i].Check < out[j].Check
	})
	return out
}

// DefaultEndsAfter is how long a firing alert posted to Alertmanager's API
// stays open when the target's alerts have no schedule to tell when the
// next check runs.
const DefaultEndsAfter = time.Hour

// scheduleRunsCovered is how many scheduled runs a firing alert posted to
// Alertmanager outlives: one run that fails to post (a network blip) does
// not resolve it; two in a row do.
const scheduleRunsCovered = 2

// endsMargin is added past the last covered run, for the time a check run
// takes before it posts.
const endsMargin = 5 * time.Minute

// EndsAt is the endsAt of a firing alert posted to Alertmanager's API at
// now: past the next scheduled check run and the one after it (plus a
// margin for the run's own time), so that Alertmanager keeps the alert
// open while redisplan re-posts it on each run and resolves it by itself
// when the runs stop. schedule is the alerts block's cron schedule; when
// it is empty or unreadable, the alert ends DefaultEndsAfter from now.
func EndsAt(schedule string, now time.Time) time.Time {
	if schedule == "" {
		return now.Add(DefaultEndsAfter)
	}
	s, err := cron.ParseStandard(schedule)
	if err != nil {
		return now.Add(DefaultEndsAfter)
	}
	t := now
	for range scheduleRunsCovered {
		next := s.Next(t)
		if next.IsZero() {
			return now.Add(DefaultEndsAfter)
		}
		t = next
	}
	return t.Add(endsMargin)
}
