package repository

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redisplan/redisplan/executors/backup"
)

// PickOptions say which backups Pick may choose.
type PickOptions struct {
	// Usable makes "latest" the newest backup of this target that counts
	// as verified (Manifest.Usable), passing over newer ones that do not.
	Usable bool
	// OtherSpec allows an ID to name another spec's backup.
	OtherSpec bool
}

// Pick finds the backup which names among the target's backups: an ID, or
// "latest" (or empty). notes say what it passed over, or that the backup
// is another spec's.
func (r *Repository) Pick(ctx context.Context, which string, o PickOptions) (*backup.Manifest, []string, error) {
	ms, err := backup.LoadCatalog(ctx, r.Storage)
	if err != nil {
		return nil, nil, err
	}
	return pick(ms, which, Claim(r.Target), o)
}

// pick chooses among the catalog ms the backup which names, for the
// target c claims.
func pick(ms []*backup.Manifest, which string, c backup.Claim, o PickOptions) (m *backup.Manifest, notes []string, err error) {
	own, others := c.Partition(ms)
	if which != "" && which != "latest" {
		for _, m := range ms {
			if m.ID != which {
				continue
			}
			if c.Owns(m) {
				return m, nil, nil
			}
			if !o.OtherSpec {
				return nil, nil, fmt.Errorf("backup %s is another spec's (%s), not this target's (%s): restoring it would put another server's data into this one. "+
					"Pass -from-other-spec if that is what you mean; if it is this target's from before its spec file moved, list that file in the backup block's previous_specs",
					m.ID, DescribeOwner(*m.Owner), DescribeOwner(c.Owner))
			}
			return m, []string{fmt.Sprintf("backup %s is another spec's (%s)", m.ID, DescribeOwner(*m.Owner))}, nil
		}
		return nil, nil, fmt.Errorf("no backup with id %s (backup list shows them)", which)
	}
	if len(own) == 0 {
		if len(others) > 0 {
			return nil, nil, fmt.Errorf("there are no backups of this target (%s); the %d there are another spec's (%s), which -latest never picks",
				DescribeOwner(c.Owner), len(others), DescribeOwners(others))
		}
		return nil, nil, errors.New("there are no backups")
	}
	if !o.Usable {
		return own[len(own)-1], nil, nil
	}
	for i := len(own) - 1; i >= 0; i-- {
		m := own[i]
		if m.Usable() {
			return m, notes, nil
		}
		notes = append(notes, fmt.Sprintf("skipped backup %s: %s", m.ID, UnusableWhy(m)))
	}
	return nil, notes, fmt.Errorf("none of the %d backups of this target is usable: %s", len(own), strings.Join(notes, "; "))
}

// UnusableWhy says why m does not count as a verified backup.
func UnusableWhy(m *backup.Manifest) string {
	if m.Problem != "" {
		return m.Problem
	}
	return "not verified when taken"
}
