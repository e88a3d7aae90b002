package operations

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/lock"
	"github.com/redisplan/redisplan/executors/repository"
	"github.com/redisplan/redisplan/executors/restore"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/internal/rdb"
)

// SourceRequest says what is to be restored (or drilled).
type SourceRequest struct {
	// File is a plain RDB file to restore instead of a catalog backup.
	File string
	// Destination is where the catalog is (the target's destination when
	// empty).
	Destination string
	// Backup is an ID, or "latest" (or empty) for the newest backup of the
	// target that counts as verified.
	Backup string
	// Identity is the file of age identities for an encrypted backup.
	Identity string
	// OtherSpec allows Backup to name another spec's backup.
	OtherSpec bool
}

// RestoreSource opens what is to be restored into t: a catalog backup
// (repository.Pick), or a plain RDB file, checked first, whose key counts
// are unknown until it loads. notes say which newer backups "latest"
// passed over and why, or that the backup is another spec's.
func RestoreSource(ctx context.Context, t *model.Target, req SourceRequest) (restore.Source, []string, error) {
	if req.File != "" {
		return fileSource(t, req.File)
	}
	if t.Backup == nil {
		return restore.Source{}, nil, fmt.Errorf("redis.%s has no backup block, so there is no catalog to restore from; use -file PATH", t.Name)
	}
	repo, err := repository.Open(t, req.Destination)
	if err != nil {
		return restore.Source{}, nil, err
	}
	m, notes, err := repo.Pick(ctx, req.Backup, repository.PickOptions{Usable: true, OtherSpec: req.OtherSpec})
	if err != nil {
		return restore.Source{}, notes, err
	}
	ids, err := repository.Identities(req.Identity)
	if err != nil {
		return restore.Source{}, notes, err
	}
	return restore.Source{Manifest: m, Open: repo.Reader(m, ids), OpenWithoutRawDigest: repo.ReaderWithoutRawDigest(m, ids),
		CheckStored: repo.StoredChecker(m)}, notes, nil
}

// fileSource is a plain RDB file as a one-file backup.
func fileSource(t *model.Target, path string) (restore.Source, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return restore.Source{}, nil, err
	}
	info, err := rdb.Verify(f)
	f.Close()
	if err != nil {
		return restore.Source{}, nil, fmt.Errorf("%s is not a sound RDB file: %w", path, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return restore.Source{}, nil, err
	}
	m := &backup.Manifest{
		ID: filepath.Base(path), Target: t.Name, Started: st.ModTime().UTC(), RDBVersion: info.Version,
		Files: []backup.File{{Name: filepath.Base(path), Original: "dump.rdb", Kind: backup.KindRDB, RawSize: st.Size(), StoredSize: st.Size(), Compression: "none"}},
	}
	return restore.Source{Manifest: m, Open: func(context.Context, backup.File) (io.ReadCloser, error) { return os.Open(path) }}, nil, nil
}

// RecoveryError is a failure to put back what a killed restore left
// (restore.RecoverInterrupted): its message says what was done.
type RecoveryError struct{ Err error }

func (e *RecoveryError) Error() string { return e.Err.Error() }
func (e *RecoveryError) Unwrap() error { return e.Err }

// PreparedRestore is a restore that holds its target's lock: taken by
// PrepareRestore before anything is touched, held across the question
// whether to go on and through Restore, until Release. So a backup run or
// an apply (which take the same lock) never interleaves with a restore,
// and a restore never stops a server under a running backup or apply.
type PreparedRestore struct {
	// Before is what the server holds now.
	Before restore.Stats
	t      *model.Target
	src    restore.Source
	lk     *lock.Lock
}

// PrepareRestore is what a restore does before it asks to go on: it takes
// t's lock (a *lock.HeldError when another live redisplan holds it, with
// nothing touched; a stale lock is taken over with a warning on emit);
// a restore that was killed after it stopped the server left it down, so
// the server is started on its original files first (an error then is a
// *RecoveryError); then the server and the backup are checked against
// each other (restore.Check) with nothing changed. On success the lock is
// held until Release; on error it is released.
func PrepareRestore(ctx context.Context, t *model.Target, src restore.Source, emit progress.Sink) (*PreparedRestore, error) {
	lk, warning, err := lock.Acquire(lock.PathFor(t.ConfigFile, t.Name, t.Connection.Address), "redisplan restore")
	if err != nil {
		return nil, err
	}
	if warning != "" {
		emit.Emit(progress.Event{Operation: progress.OpRestore, Target: t.Name, Level: progress.Warning, Message: warning})
	}
	if err := restore.RecoverInterrupted(ctx, t, restore.Options{Emit: emit}); err != nil {
		lk.Release()
		return nil, &RecoveryError{err}
	}
	before, err := restore.Check(ctx, t, src)
	if err != nil {
		lk.Release()
		return nil, err
	}
	return &PreparedRestore{Before: before, t: t, src: src, lk: lk}, nil
}

// Restore replaces the target's data with the backup (restore.Restore):
// staged and verified beside the data, the server stopped, its files moved
// aside, the backup put in place, the server started and its keys
// compared; rolled back on failure. The lock stays held until Release.
func (p *PreparedRestore) Restore(ctx context.Context, opts restore.Options) (restore.Result, error) {
	return restore.Restore(ctx, p.t, p.src, opts)
}

// Release gives up the target's lock. Releasing again does nothing.
func (p *PreparedRestore) Release() error { return p.lk.Release() }
