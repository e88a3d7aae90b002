package operations

import (
	"encoding/json"
	"time"

	"github.com/redisplan/redisplan/planner"
)

// The lines of apply -json that are not progress events (those are
// progress.Record, types "message" and "bytes"). docs/json.md describes
// them.

// ApplyPlanRecord is the plan apply is about to carry out, first of the
// stream: type "plan", with the plan in plan -json's shape (without the
// fingerprints of saved plans) and the unsuppressed policy findings.
type ApplyPlanRecord struct {
	Type     string          `json:"type"`
	Time     time.Time       `json:"time"`
	Plan     *planner.Plan   `json:"plan"`
	Findings json.RawMessage `json:"findings"`
}

// NewApplyPlanRecord is the "plan" line of p.
func NewApplyPlanRecord(p *planner.Plan, findings json.RawMessage, now time.Time) ApplyPlanRecord {
	c := *p
	c.Fingerprints = nil
	if findings == nil {
		findings = json.RawMessage("[]")
	}
	return ApplyPlanRecord{Type: "plan", Time: now.UTC(), Plan: &c, Findings: findings}
}

// Outcomes of an apply, in ApplySummary.Outcome.
const (
	// ApplyApplied: every target's changes were applied.
	ApplyApplied = "applied"
	// ApplyFailed: some targets failed (Failures); the others were
	// applied.
	ApplyFailed = "failed"
	// ApplyNoChanges: the plan had nothing to change.
	ApplyNoChanges = "no_changes"
	// ApplyStale: the saved plan no longer matches; nothing was applied.
	ApplyStale = "stale"
	// ApplyPlanErrors: some targets could not be planned; nothing was
	// applied.
	ApplyPlanErrors = "plan_errors"
	// ApplyDeclined: the plan was not approved; nothing was applied.
	ApplyDeclined = "declined"
)

// ApplySummary is the last line of apply -json: type "summary", what the
// apply did. Every field is present in every summary; lists are empty,
// never null.
type ApplySummary struct {
	Type    string    `json:"type"`
	Time    time.Time `json:"time"`
	Outcome string    `json:"outcome"`
	// LiveChanges, FileChanges and ScheduleFiles count what was applied
	// on the targets without a failure; PendingRestart names the
	// directives that wait for a restart.
	LiveChanges    int      `json:"live_changes"`
	FileChanges    int      `json:"file_changes"`
	ScheduleFiles  int      `json:"schedule_files"`
	PendingRestart []string `json:"pending_restart"`
	// Failures are the targets whose apply failed (Outcome "failed") or
	// that could not be planned ("plan_errors"), each with its error.
	Failures []ApplyFailure `json:"failures"`
	// Stale says what moved since the saved plan was made ("stale").
	Stale []string `json:"stale"`
}

// ApplyFailure is one target's failure in an ApplySummary.
type ApplyFailure struct {
	Target string `json:"target"`
	Error  string `json:"error"`
}

// Summary is r as the last line of apply -json.
func (r *ApplyResult) Summary(now time.Time) ApplySummary {
	s := ApplySummary{
		Type: "summary", Time: now.UTC(), PendingRestart: []string{}, Failures: []ApplyFailure{}, Stale: []string{},
		LiveChanges: r.Applied.LiveChanges, FileChanges: r.Applied.FileChanges, ScheduleFiles: r.Applied.ScheduleFiles,
	}
	s.PendingRestart = append(s.PendingRestart, r.Applied.PendingChange...)
	switch {
	case len(r.Stale) > 0:
		s.Outcome = ApplyStale
		s.Stale = append(s.Stale, r.Stale...)
	case r.Plan != nil && r.Plan.HasErrors():
		s.Outcome = ApplyPlanErrors
		for _, tp := range r.Plan.Targets {
			for _, e := range tp.Errors() {
				s.Failures = append(s.Failures, ApplyFailure{Target: tp.Target, Error: e})
			}
		}
	case r.Declined:
		s.Outcome = ApplyDeclined
	case r.Plan == nil || !r.Plan.HasChanges():
		s.Outcome = ApplyNoChanges
	case len(r.Failures) > 0:
		s.Outcome = ApplyFailed
		for _, f := range r.Failures {
			s.Failures = append(s.Failures, ApplyFailure{Target: f.Target, Error: f.Err.Error()})
		}
	default:
		s.Outcome = ApplyApplied
	}
	return s
}
