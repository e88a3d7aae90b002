package operations

import (
	"context"
	"errors"
	"fmt"
	"time"

	"filippo.io/age"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/backup/capture"
	"github.com/redisplan/redisplan/executors/backup/job"
	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/executors/lock"
	"github.com/redisplan/redisplan/executors/repository"
	"github.com/redisplan/redisplan/executors/restore"
	"github.com/redisplan/redisplan/internal/model"
)

// BackupOptions are what the backup operations share.
type BackupOptions struct {
	// Version is redisplan's, recorded in what is written.
	Version string
	// Emit receives a run's messages.
	Emit func(job.Event)
	// Warn receives what went wrong beside an operation without failing
	// it (a lock left by a dead run, a record that could not be written).
	Warn func(string)
	// Progress, when set, is told how many bytes of a file were read.
	Progress func(file string, bytes int64)
}

func (o BackupOptions) warn(format string, args ...any) {
	if o.Warn != nil {
		o.Warn(fmt.Sprintf(format, args...))
	}
}

// openRepository opens t's backups in dest (its destination when empty).
func openRepository(t *model.Target, dest, version string) (*repository.Repository, error) {
	r, err := repository.Open(t, dest)
	if err != nil {
		return nil, err
	}
	r.Version = version
	return r, nil
}

// TakeBackup is the first step of `backup run` for t: under the target's
// lock, a backup of its server into its destination, verified as it is
// written (repository.Take).
func TakeBackup(ctx context.Context, t *model.Target, o BackupOptions) (*backup.Manifest, error) {
	lk, warning, err := lock.Acquire(lock.PathFor(t.ConfigFile, t.Name, t.Connection.Address), "redisplan backup run")
	if err != nil {
		return nil, err
	}
	defer lk.Release()
	if warning != "" {
		o.warn("%s", warning)
	}
	repo, err := openRepository(t, "", o.Version)
	if err != nil {
		return nil, err
	}
	client, err := live.Dial(t.Connection)
	if err != nil {
		return nil, err
	}
	defer client.Close()
	return repo.Take(ctx, repository.TakeOptions{
		Client: client, Emit: o.Emit, Progress: o.Progress,
		Journal: func(name string) capture.Journal { return lk.Journal(name) },
	})
}

// CopyBackup is the second step of `backup run`: the backup m, complete in
// t's destination, copied to each copy_to destination and read back there.
// err joins every copy's failure.
func CopyBackup(ctx context.Context, t *model.Target, m *backup.Manifest, o BackupOptions) ([]repository.CopyResult, error) {
	if len(t.Backup.CopyTo) == 0 {
		return nil, nil
	}
	repo, err := openRepository(t, "", o.Version)
	if err != nil {
		return nil, err
	}
	res := repo.CopyTo(ctx, m)
	var errs []error
	for _, c := range res {
		if c.Err != nil {
			errs = append(errs, c.Err)
		}
	}
	return res, errors.Join(errs...)
}

// PruneRun is retention applied in one destination.
type PruneRun struct {
	// Destination is where; Main is true for the target's own destination
	// (not a copy_to one).
	Destination string
	Main        bool
	Result      repository.PruneResult
	Err         error
}

// Prune applies t's retention to its destination and every copy_to
// destination (or only to dest, when set): copies follow the same
// retention, so that an off-site copy does not grow without bound. err
// joins each destination's failure, named by the destination for a copy.
func Prune(ctx context.Context, t *model.Target, dest string, dryRun bool, o BackupOptions) ([]PruneRun, error) {
	dests := append([]string{t.Backup.Destination}, t.Backup.CopyTo...)
	if dest != "" {
		dests = []string{dest}
	}
	var runs []PruneRun
	var errs []error
	for _, d := range dests {
		run := PruneRun{Destination: d, Main: d == t.Backup.Destination}
		repo, err := openRepository(t, d, o.Version)
		if err == nil {
			run.Result, err = repo.Prune(ctx, time.Now(), dryRun)
		}
		if err != nil {
			if !run.Main {
				err = fmt.Errorf("%s: %w", d, err)
			}
			run.Err = err
			errs = append(errs, err)
		}
		runs = append(runs, run)
	}
	return runs, errors.Join(errs...)
}

// ListBackups reads t's backups in dest (its destination when empty) and
// what is left alone beside them.
func ListBackups(ctx context.Context, t *model.Target, dest string) (repository.Listing, error) {
	repo, err := repository.Open(t, dest)
	if err != nil {
		return repository.Listing{}, err
	}
	return repo.List(ctx)
}

// VerifyRequest says which backup `backup verify` checks and how.
type VerifyRequest struct {
	// Destination is where (the target's destination when empty).
	Destination string
	// Backup is an ID, or "latest" (or empty) for the newest; another
	// spec's backup may be named.
	Backup     string
	Identities []age.Identity
	// Drill restores the backup into a scratch server after it verified.
	Drill bool
}

// VerifyResult is what VerifyBackup found.
type VerifyResult struct {
	Manifest *backup.Manifest
	// Verified is true when the backup passed every check a restore
	// makes of it; Check is what that read.
	Verified bool
	Check    restore.VerifyResult
	// Drill is the scratch restore, when one ran.
	Drill *restore.Result
}

// VerifyBackup runs on one stored backup of t every check a restore makes
// of it before touching a server (restore.Verify: one code path, so that
// "verified" means restore accepts it), records the outcome beside its
// manifest, and drills it when asked. A drill whose scratch server loaded
// the backup and lacks keys is recorded as a failure too: a restore would
// roll back. What could not be recorded is a warning.
func VerifyBackup(ctx context.Context, t *model.Target, req VerifyRequest, o BackupOptions) (VerifyResult, error) {
	var res VerifyResult
	repo, err := openRepository(t, req.Destination, o.Version)
	if err != nil {
		return res, err
	}
	m, _, err := repo.Pick(ctx, req.Backup, repository.PickOptions{OtherSpec: true})
	if err != nil {
		return res, err
	}
	res.Manifest = m
	src := restore.Source{Manifest: m, Open: repo.Reader(m, req.Identities)}
	verr, rerr := repo.Verify(ctx, m, func(ctx context.Context) (err error) {
		res.Check, err = restore.Verify(ctx, src)
		return err
	})
	if rerr != nil {
		o.warn("redis.%s: %v; backup list will not show this verification", t.Name, rerr)
	}
	if verr != nil {
		return res, fmt.Errorf("backup %s failed verification, a restore would refuse it: %w", m.ID, verr)
	}
	res.Verified = true
	if !req.Drill {
		return res, nil
	}
	r, err := restore.Drill(ctx, src, restore.Options{})
	if err != nil {
		if r.After.Keyspace != nil {
			if rerr := repo.Record(ctx, m, fmt.Errorf("drill: %w", err)); rerr != nil {
				o.warn("redis.%s: %v; backup list will not show this verification", t.Name, rerr)
			}
		}
		return res, err
	}
	res.Drill = &r
	return res, nil
}

// ImportBackups adds files (RDB dumps, gzipped or not, such as the seed
// scripts' backups) to t's catalog, one backup each, telling done about
// each file as it is imported. It refuses a folder that holds another
// spec's backups before importing anything.
func ImportBackups(ctx context.Context, t *model.Target, files []string, opts repository.ImportOptions, o BackupOptions,
	done func(path string, r job.ImportResult, err error)) error {
	repo, err := openRepository(t, "", o.Version)
	if err == nil {
		err = repo.RefuseShared(ctx)
	}
	if err != nil {
		return err
	}
	for _, path := range files {
		r, err := repo.Import(ctx, path, opts)
		done(path, r, err)
	}
	return nil
}
