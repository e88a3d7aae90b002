package drill

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redisplan/redisplan/executors/restore"
	"github.com/redisplan/redisplan/internal/progress"
)

// RTOResult is the outcome of a timed restore of one backup.
type RTOResult struct {
	BackupID string
	// VerifySeconds is the verification pass (restore.Verify, as backup
	// verify runs it): every check a restore makes of the backup, every
	// artifact read through its checksums and RDB structure.
	VerifySeconds float64
	// LoadSeconds is restore.Drill's: from starting the scratch server
	// until it had loaded the backup.
	LoadSeconds float64
	// TotalSeconds runs from the start of the verification until the
	// restored keys were compared (and the scratch server stopped): the
	// verification, writing the decompressed files, the load and the
	// comparison. It is never less than VerifySeconds + LoadSeconds.
	TotalSeconds float64
	// Keys is how many keys the restored server holds; ExpectedKeys how
	// many the backup's manifest lists.
	Keys, ExpectedKeys int64
	// KeysMatch is true when every database holds the keys the manifest
	// lists (keys with a TTL may have expired since), as restore judges
	// it. A manifest without key counts proves nothing, so it never
	// matches.
	KeysMatch bool
	// Mismatch says why the keys do not match; "" when they do.
	Mismatch string
	// Keys compared, in one phrase with both counts when they differ
	// (restore.KeySummary): keys that match may still be fewer than the
	// manifest's, when keys with a TTL expired.
	Summary string
}

// RTO measures how long proving and restoring a backup takes: verify
// (when not nil) reads the backup through its checksums, then
// restore.Drill writes its files into a scratch redis-server, waits until
// it has loaded them and compares the keys with the manifest. What the
// drill does, and the bytes it writes, are reported to emit.
//
// Keys that do not match are a figure, not an error: the result says so in
// KeysMatch and Mismatch. A backup that fails verification, or a drill
// that fails before it could count the keys, is an error.
func RTO(ctx context.Context, src restore.Source, verify func(context.Context, restore.Source) error, emit progress.Sink) (RTOResult, error) {
	m := src.Manifest
	if m == nil || src.Open == nil {
		return RTOResult{}, errors.New("rto drill: the backup source has no manifest or no way to read its files")
	}
	res := RTOResult{BackupID: m.ID, ExpectedKeys: m.TotalKeys()}
	start := time.Now()
	if verify != nil {
		if err := verify(ctx, src); err != nil {
			return res, fmt.Errorf("rto drill: backup %s failed verification: %w", m.ID, err)
		}
	}
	res.VerifySeconds = time.Since(start).Seconds()
	r, err := restore.Drill(ctx, src, restore.Options{Emit: emit})
	res.TotalSeconds = time.Since(start).Seconds()
	res.LoadSeconds = r.LoadSeconds
	if r.After.Keyspace == nil {
		// The drill stopped before it read the restored keys.
		if err == nil {
			err = errors.New("the drill returned no key counts")
		}
		return res, fmt.Errorf("rto drill: %w", err)
	}
	// Once the keys were read, the only error left is their comparison.
	for _, db := range r.After.Keyspace {
		res.Keys += db.Keys
	}
	res.Summary = restore.KeySummary(m.Keyspace, r.After.Keyspace)
	switch {
	case err != nil:
		res.Mismatch = err.Error()
	case m.Keyspace == nil:
		res.Mismatch = fmt.Sprintf("the manifest of backup %s has no key counts to compare the %d restored keys with", m.ID, res.Keys)
	default:
		res.KeysMatch = true
	}
	return res, nil
}
