package job

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/restore"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/owner"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/internal/secret"
)

// BaseRequest is a base backup of the archive: the RDB a full
// resynchronization delivered, at a known position of the stream.
type BaseRequest struct {
	Target  *model.Target
	Storage backup.Storage
	// RDB yields exactly the RDB's bytes.
	RDB io.Reader
	// Expected is about how large the RDB is (0: unknown).
	Expected int64
	// ReplID and ReplOffset are the stream position of +FULLRESYNC;
	// the stream after it starts in db 0 (the master selects a db
	// before its next write).
	ReplID     string
	ReplOffset int64
	// Started is when the resynchronization began.
	Started time.Time
	// Info is the server's INFO (server, memory, keyspace, persistence)
	// at that time, for the manifest.
	Info             map[string]string
	RedisplanVersion string
	Owner            *owner.Owner
	Emit             progress.Sink
}

// StoreBase stores the RDB of req as a complete, verified backup of
// method "replication" whose manifest records its stream position. As
// Run, it leaves nothing visible on failure, and no error shows a secret.
func StoreBase(ctx context.Context, req BaseRequest) (*backup.Manifest, error) {
	t := req.Target
	if t == nil || t.Backup == nil {
		return nil, fmt.Errorf("store base: no target with a backup block")
	}
	secrets := secret.New(t.Secrets()...)
	m := &backup.Manifest{
		Version: backup.ManifestVersion, ID: req.Started.UTC().Format(IDFormat), Target: t.Name,
		Method: "replication", SourceRole: "primary", SourceAddress: t.Connection.Address,
		Started: req.Started.UTC(), RedisplanVersion: req.RedisplanVersion,
		Keyspace: map[int]backup.DBStats{}, Owner: req.Owner,
	}
	pending, err := req.Storage.Begin(ctx, m.ID)
	if err != nil {
		return nil, secrets.Wrap(fmt.Errorf("start backup %s: %w", m.ID, err))
	}
	committed := false
	defer func() {
		if !committed {
			pending.Abort(context.WithoutCancel(ctx))
		}
	}()
	opts := backup.StoreOptions{Compression: t.Backup.Compression, Recipients: t.Backup.Recipients}
	src := req.RDB
	if req.Emit != nil {
		src = progress.NewMeter(req.Emit, progress.Event{Operation: progress.OpBackup, Target: t.Name, Phase: progress.PhaseStore,
			File: "dump.rdb", Total: req.Expected}).Reader(src)
	}
	version, err := storeVerified(ctx, pending, opts, m, src, "dump.rdb", backup.KindRDB, req.Expected)
	if err != nil {
		return nil, secrets.Wrap(err)
	}
	fillFromInfo(m, req.Info)
	m.RDBVersion = version
	// The +FULLRESYNC position is the one the stream continues from,
	// whatever the RDB's aux fields say.
	m.ReplID, m.ReplOffset, m.ReplStreamDB = req.ReplID, req.ReplOffset, 0
	if err := restore.CheckLayout(m, nil); err != nil {
		return nil, fmt.Errorf("base %s would not restore, so it was not kept: %w", m.ID, err)
	}
	m.Finished = time.Now().UTC()
	m.DurationSeconds = m.Finished.Sub(m.Started).Seconds()
	m.Verified, m.VerifiedAt = true, m.Finished
	if err := pending.Commit(ctx, m); err != nil {
		return nil, secrets.Wrap(fmt.Errorf("commit backup %s: %w", m.ID, err))
	}
	committed = true
	return m, nil
}
