package backup

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/redisplan/redisplan/internal/model"
)

// Candidate is a complete backup that retention may keep or delete.
type Candidate struct {
	ID   string
	Time time.Time
	// Verified is true when the backup counts as verified
	// (Manifest.Usable): it passed verification when taken (the digests
	// of its files, and for an RDB its CRC-64), and no artifact is known
	// to be missing or damaged since.
	Verified bool
	// HoldsData is true when the backup is known to hold at least one key.
	// A server that came back empty (a lost disk, a renamed file, a
	// FLUSHALL) goes on being backed up; its empty backups must not push
	// the last one with data out of retention.
	HoldsData bool
}

// Decision says whether one backup is kept, and why.
type Decision struct {
	ID   string
	Keep bool
	// Reasons lists every rule that keeps the backup, such as
	// "keep_last 3" or "keep_daily 7 (2026-11-28)". It is empty for a
	// backup that is deleted.
	Reasons []string
}

// Select decides which backups a retention policy keeps. It is pure: no
// I/O, and the same input gives the same output.
//
// The rules follow restic's forget: a backup kept by any rule is kept.
//   - keep_last N keeps the N newest backups.
//   - keep_daily, keep_weekly and keep_monthly N keep the newest backup of
//     each of the N most recent calendar days, ISO weeks or months (UTC)
//     that have a backup.
//   - max_age keeps every backup younger than max_age at now.
//
// Then two floors apply. keep_min: when the rules keep fewer than keep_min
// backups, the newest of the others are kept as well; at least one backup
// is always kept. And the newest verified backup is never deleted, nor is
// the newest verified backup that holds keys: backups of a server that
// came back empty never make the last copy of its data go.
//
// keep_min is a floor, not a rule: when no rule is set, everything is
// kept. The decisions come back one per candidate, newest first; backups
// with the same time are ordered by ID, descending.
func Select(cands []Candidate, r model.Retention, now time.Time) []Decision {
	sorted := slices.Clone(cands)
	slices.SortStableFunc(sorted, func(a, b Candidate) int {
		if c := b.Time.Compare(a.Time); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	out := make([]Decision, len(sorted))
	for i, c := range sorted {
		out[i].ID = c.ID
	}
	keep := func(i int, reason string) {
		out[i].Keep = true
		out[i].Reasons = append(out[i].Reasons, reason)
	}

	if !hasRules(r) {
		for i := range out {
			keep(i, "no retention rules")
		}
		return out
	}

	for i := range min(r.KeepLast, len(sorted)) {
		keep(i, fmt.Sprintf("keep_last %d", r.KeepLast))
	}
	for _, b := range []struct {
		rule string
		n    int
		key  func(time.Time) string
	}{
		{"keep_daily", r.KeepDaily, func(t time.Time) string { return t.Format(time.DateOnly) }},
		{"keep_weekly", r.KeepWeekly, func(t time.Time) string {
			y, w := t.ISOWeek()
			return fmt.Sprintf("%04d-W%02d", y, w)
		}},
		{"keep_monthly", r.KeepMonthly, func(t time.Time) string { return t.Format("2006-01") }},
	} {
		if b.n <= 0 {
			continue
		}
		seen := 0
		last := ""
		for i, c := range sorted {
			if seen == b.n {
				break
			}
			// Newest first, so the first backup of a bucket is its newest.
			k := b.key(c.Time.UTC())
			if k == last {
				continue
			}
			last = k
			seen++
			keep(i, fmt.Sprintf("%s %d (%s)", b.rule, b.n, k))
		}
	}
	if r.MaxAge > 0 {
		for i, c := range sorted {
			if now.Sub(c.Time) < r.MaxAge {
				keep(i, "max_age "+formatAge(r.MaxAge))
			}
		}
	}

	kept := 0
	for _, d := range out {
		if d.Keep {
			kept++
		}
	}
	floor, reason := r.KeepMin, fmt.Sprintf("keep_min %d", r.KeepMin)
	if floor < 1 {
		floor, reason = 1, "newest backup (one is always kept)"
	}
	for i := range out {
		if kept >= floor {
			break
		}
		if !out[i].Keep {
			keep(i, reason)
			kept++
		}
	}

	for i, c := range sorted {
		if c.Verified {
			keep(i, "newest verified backup")
			break
		}
	}
	for i, c := range sorted {
		if c.Verified && c.HoldsData {
			if !slices.Contains(out[i].Reasons, "newest verified backup") {
				keep(i, "newest verified backup holding keys")
			}
			break
		}
	}
	return out
}

// hasRules reports whether r has a rule that keeps backups; keep_min
// alone only sets a floor.
func hasRules(r model.Retention) bool {
	return r.MaxAge > 0 || r.KeepLast > 0 || r.KeepDaily > 0 || r.KeepWeekly > 0 || r.KeepMonthly > 0
}

// formatAge writes a duration the way a spec does: whole days as "30d",
// whole hours as "36h", anything else as Go writes it.
func formatAge(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return d.String()
}
