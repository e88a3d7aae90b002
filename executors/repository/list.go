package repository

import (
	"context"

	"github.com/redisplan/redisplan/executors/backup"
)

// Catalog reads every complete backup in the target's folder, oldest
// first, with what is known of each since it was taken
// (backup.LoadCatalog), split into the target's own (Claim) and another
// spec's.
func (r *Repository) Catalog(ctx context.Context) (own, others []*backup.Manifest, err error) {
	ms, err := backup.LoadCatalog(ctx, r.Storage)
	if err != nil {
		return nil, nil, err
	}
	own, others = Claim(r.Target).Partition(ms)
	return own, others, nil
}

// Listing is what a target's folder holds.
type Listing struct {
	// Backups are the target's own, oldest first.
	Backups []*backup.Manifest
	// LeftAlone is what the folder holds besides them: another spec's
	// backups, and what is not redisplan's. Nothing removes these.
	LeftAlone []Foreign
}

// Foreign is something in a target's folder that is not its backup: list
// and prune name it, nothing removes it.
type Foreign struct {
	Target string `json:"target"`
	// Path is where it is: the target's folder (or prefix) in the
	// destination, then its name.
	Path string `json:"path"`
	Why  string `json:"why"`
	// Owner, for a backup of another spec's target in a shared folder,
	// says whose it is; "" for what is not redisplan's.
	Owner string `json:"owner"`
}

// List reads the target's backups and what is left alone beside them.
func (r *Repository) List(ctx context.Context) (Listing, error) {
	own, others, err := r.Catalog(ctx)
	if err != nil {
		return Listing{}, err
	}
	alone, err := r.leftAlone(ctx, others)
	if err != nil {
		return Listing{}, err
	}
	return Listing{Backups: own, LeftAlone: alone}, nil
}

// leftAlone lists what the storage holds that is not redisplan's, then
// the backups of other specs' targets (others).
func (r *Repository) leftAlone(ctx context.Context, others []*backup.Manifest) ([]Foreign, error) {
	fs, err := r.Storage.Foreign(ctx)
	if err != nil {
		return nil, err
	}
	base := r.Path()
	out := make([]Foreign, 0, len(fs)+len(others))
	for _, f := range fs {
		if isKindFolder(f.Name) {
			continue
		}
		out = append(out, Foreign{Target: r.Target.Name, Path: base + f.Name, Why: f.Why})
	}
	for _, m := range others {
		out = append(out, Foreign{Target: r.Target.Name, Path: base + m.ID,
			Why: "a backup of another spec's target", Owner: DescribeOwner(*m.Owner)})
	}
	return out, nil
}

// isKindFolder reports whether name, as Storage.Foreign gives it, is the
// folder of a kind kept beside the backups (the archive's).
func isKindFolder(name string) bool {
	for _, k := range kinds {
		if name == string(k)+"/" {
			return true
		}
	}
	return false
}
