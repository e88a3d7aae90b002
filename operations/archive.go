package operations

import (
	"context"
	"fmt"
	"strings"

	"github.com/redisplan/redisplan/executors/archive"
	"github.com/redisplan/redisplan/executors/lock"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
)

// ArchiveOptions are what Archive needs besides the target.
type ArchiveOptions struct {
	// Version is redisplan's, recorded in the bases it stores.
	Version string
	// Emit receives what the archiver does.
	Emit progress.Sink
	// Warn receives what went wrong beside it (a lock left by a dead run).
	Warn func(string)
}

// Archive follows t's write stream into its destination until ctx ends
// (archive.Follow), under a lock that keeps a second archiver of the same
// target away. It returns nil when ctx ended it.
func Archive(ctx context.Context, t *model.Target, o ArchiveOptions) error {
	if t.Backup == nil || t.Backup.Archive == nil {
		return fmt.Errorf("redis.%s has no archive block: add backup { archive { flush = \"1s\" } } to its spec (the archive is kept in the backup destination)", t.Name)
	}
	if len(t.Backup.Recipients) > 0 {
		// Segments are compressed and checksummed, not encrypted: an
		// archive beside encrypted backups would keep every write in
		// the clear.
		return fmt.Errorf("redis.%s encrypts its backups (recipients), and the archive does not encrypt its segments yet: "+
			"nothing was archived. Archive a target whose destination is protected otherwise (an S3 bucket with sse, an encrypted disk) without recipients", t.Name)
	}
	path := strings.TrimSuffix(lock.PathFor(t.ConfigFile, t.Name, t.Connection.Address), ".lock") + ".archive.lock"
	lk, warning, err := lock.Acquire(path, "redisplan archive")
	if err != nil {
		return err
	}
	defer lk.Release()
	if warning != "" && o.Warn != nil {
		o.Warn(warning)
	}
	repo, err := openRepository(t, "", o.Version)
	if err != nil {
		return err
	}
	return archive.Follow(ctx, archive.Options{Repo: repo, Flush: t.Backup.Archive.Flush, Emit: o.Emit})
}
