package planner

import "github.com/redisplan/redisplan/internal/model"

// Summary counts a plan's changes over every server planned: targets and
// their replicas.
type Summary struct{ Live, Restart, File, Cron, Schedules, Drift, Errors int }

// Summarize counts p's changes.
func Summarize(p *Plan) Summary {
	var s Summary
	var all []*model.TargetPlan
	for _, tp := range p.Targets {
		all = append(all, tp)
		all = append(all, tp.Replicas...)
	}
	for _, tp := range all {
		if tp.Error != "" {
			s.Errors++
		}
		for _, c := range tp.Changes {
			if c.LiveChange {
				s.Live++
			}
			if NeedsRestart(c) {
				s.Restart++
			}
			if c.FileChange {
				s.File++
			}
		}
		if tp.Crontab != nil {
			s.Cron++
		}
		s.Schedules += len(tp.ScheduleFiles)
		s.Drift += len(tp.Drift)
	}
	return s
}

// NeedsRestart says whether c reaches the server only when it restarts:
// rename-command lines always, restart-only and protected directives when
// the running value differs (or is a secret, which cannot be compared).
func NeedsRestart(c model.Change) bool {
	switch c.Mode {
	case model.FileOnly:
		return true
	case model.Restart, model.Protected:
		return c.LiveBefore.Value != c.After || c.Sensitive
	}
	return false
}
