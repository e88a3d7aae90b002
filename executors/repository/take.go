package repository

import (
	"context"
	"io"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/backup/capture"
	"github.com/redisplan/redisplan/executors/backup/job"
	"github.com/redisplan/redisplan/internal/progress"
)

// TakeOptions are what a backup run needs besides the repository.
type TakeOptions struct {
	// Client is connected to the target's server.
	Client *redis.Client
	// Emit receives what the run does and the bytes of each file read.
	Emit progress.Sink
	// Journal records settings held off during the run (job.Request).
	Journal func(name string) capture.Journal
}

// Take makes a backup of the target's server into the repository
// (job.Run): it records the target as the owner, and refuses, once a
// killed run's settings are put back, to add to a folder that holds
// another spec's backups.
func (r *Repository) Take(ctx context.Context, o TakeOptions) (*backup.Manifest, error) {
	return job.Run(ctx, job.Request{
		Target: r.Target, Storage: r.Storage, Client: o.Client, RedisplanVersion: r.Version,
		Emit: o.Emit, Journal: o.Journal, Owner: Owner(r.Target),
		// After a killed run's settings are put back, so that a refusal
		// does not leave them as the killed run left them.
		Admit: r.RefuseShared,
	})
}

// ImportOptions are what importing a file needs (job.ImportRequest).
type ImportOptions struct {
	MetadataDir string
	NoLoad      bool
	Emit        progress.Sink
}

// Import adds the backup file at path to the repository as a backup of
// the target (job.Import). The caller checks RefuseShared first, once
// for all the files it imports.
func (r *Repository) Import(ctx context.Context, path string, o ImportOptions) (job.ImportResult, error) {
	return job.Import(ctx, job.ImportRequest{
		Target: r.Target, Storage: r.Storage, Path: path, MetadataDir: o.MetadataDir, NoLoad: o.NoLoad,
		RedisplanVersion: r.Version, Owner: Owner(r.Target), Emit: o.Emit,
	})
}

// BaseOptions are what storing an archive base needs besides the
// repository (job.BaseRequest).
type BaseOptions struct {
	RDB        io.Reader
	Expected   int64
	ReplID     string
	ReplOffset int64
	Started    time.Time
	Info       map[string]string
	Emit       progress.Sink
}

// StoreBase stores the RDB of a full resynchronization as a base backup
// of the target (job.StoreBase), recording the target as its owner. The
// caller checks RefuseShared first.
func (r *Repository) StoreBase(ctx context.Context, o BaseOptions) (*backup.Manifest, error) {
	return job.StoreBase(ctx, job.BaseRequest{
		Target: r.Target, Storage: r.Storage, RDB: o.RDB, Expected: o.Expected, ReplID: o.ReplID, ReplOffset: o.ReplOffset,
		Started: o.Started, Info: o.Info, RedisplanVersion: r.Version, Owner: Owner(r.Target), Emit: o.Emit,
	})
}
