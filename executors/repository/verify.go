package repository

import (
	"context"
	"errors"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
)

// Verify runs check on the stored backup m and records its outcome beside
// m's manifest (Record). verr is check's error; recordErr says the outcome
// could not be recorded, which does not change it.
func (r *Repository) Verify(ctx context.Context, m *backup.Manifest, check func(context.Context) error) (verr, recordErr error) {
	verr = check(ctx)
	return verr, r.Record(ctx, m, verr)
}

// Record keeps the outcome of a check of m (nil: it passed): a failure
// makes m count as unverified until a later check passes. An interrupted
// check, or one that lacked the key to decrypt, says nothing about the
// backup and is not recorded.
func (r *Repository) Record(ctx context.Context, m *backup.Manifest, verr error) error {
	if ctx.Err() != nil || errors.Is(verr, backup.ErrIdentity) {
		return nil
	}
	return backup.RecordVerification(context.WithoutCancel(ctx), r.Storage, m.ID, time.Now(), verr, r.Version)
}
