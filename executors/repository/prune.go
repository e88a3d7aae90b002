package repository

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
)

// PruneResult is what Prune decided and did in one destination.
type PruneResult struct {
	// NotCounted are backups verified when taken that no longer count as
	// verified, with why (Manifest.Problem).
	NotCounted []NotCounted
	// Decisions are retention's, newest first, up to the one whose
	// deletion failed when Prune returns an error.
	Decisions []backup.Decision
	// Deleted is how many backups were deleted (none in a dry run).
	Deleted int
	// LeftAlone is what Prune neither counted nor deleted: another spec's
	// backups and what is not redisplan's.
	LeftAlone []Foreign
}

// NotCounted is a backup that does not count as verified.
type NotCounted struct {
	ID, Problem string
}

// Prune applies the target's retention (backup.Select) to its backups in
// the repository and deletes those no rule keeps (none when dryRun).
// Another spec's backups in a shared folder, and what is not redisplan's,
// are neither counted nor deleted.
func (r *Repository) Prune(ctx context.Context, now time.Time, dryRun bool) (PruneResult, error) {
	var res PruneResult
	own, others, err := r.Catalog(ctx)
	if err != nil {
		return res, err
	}
	cands := make([]backup.Candidate, 0, len(own))
	for _, m := range own {
		cands = append(cands, backup.Candidate{ID: m.ID, Time: m.Started, Verified: m.Usable(), HoldsData: m.TotalKeys() > 0})
		if m.Verified && m.Problem != "" {
			res.NotCounted = append(res.NotCounted, NotCounted{m.ID, m.Problem})
		}
	}
	if res.LeftAlone, err = r.leftAlone(ctx, others); err != nil {
		return res, err
	}
	decisions := backup.Select(cands, r.Target.Backup.Retention, now)
	sort.Slice(decisions, func(i, j int) bool { return decisions[i].ID > decisions[j].ID })
	for _, d := range decisions {
		res.Decisions = append(res.Decisions, d)
		if d.Keep || dryRun {
			continue
		}
		if err := r.Storage.Delete(ctx, d.ID); err != nil {
			return res, fmt.Errorf("delete %s: %w", d.ID, err)
		}
		res.Deleted++
	}
	return res, nil
}
