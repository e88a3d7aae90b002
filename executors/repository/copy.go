package repository

import (
	"context"
	"fmt"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/internal/progress"
)

// CopyResult is what CopyTo did at one copy_to destination.
type CopyResult struct {
	Destination string
	// Cleaned is how many leftovers of interrupted copies were removed
	// there first.
	Cleaned int
	// Existed is true when the destination already held the backup.
	Existed bool
	// Bytes is how many stored bytes were written and read back.
	Bytes int64
	// Err is why the copy failed; nil when it is there, checked.
	Err error
}

// CopyTo replicates the complete backup m to each of the target's copy_to
// destinations, reading every copy back against the manifest's checksums
// (backup.Copy). It tries every destination and reports each; emit
// receives the bytes uploaded.
func (r *Repository) CopyTo(ctx context.Context, m *backup.Manifest, emit progress.Sink) []CopyResult {
	var out []CopyResult
	for _, dest := range r.Target.Backup.CopyTo {
		res := CopyResult{Destination: dest}
		res.Err = r.copyOne(ctx, m, &res, emit)
		if res.Err != nil {
			res.Err = fmt.Errorf("%s: %w", dest, res.Err)
		}
		out = append(out, res)
	}
	return out
}

func (r *Repository) copyOne(ctx context.Context, m *backup.Manifest, res *CopyResult, emit progress.Sink) error {
	dst, err := Open(r.Target, res.Destination)
	if err != nil {
		return err
	}
	dst.Version = r.Version
	// What a run killed while copying left there, as the run cleans its
	// main destination.
	if res.Cleaned, err = dst.Storage.Clean(ctx); err != nil {
		return err
	}
	if err := dst.RefuseShared(ctx); err != nil {
		return err
	}
	c, err := backup.Copy(ctx, r.Storage, dst.Storage, m, emit)
	res.Existed, res.Bytes = c.Existed, c.Bytes
	return err
}
