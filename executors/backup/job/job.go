// Package job runs one backup of a target from start to finish: capture
// (BGSAVE or the replication stream, plus the AOF directory when asked),
// one streaming pass per file through compression, encryption and
// checksums into the storage, RDB structure checks on the way, and a
// manifest written last so that the backup appears only when complete.
package job

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/backup/capture"
	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/executors/replicas"
	"github.com/redisplan/redisplan/executors/restore"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/owner"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/internal/rdb"
	"github.com/redisplan/redisplan/internal/redisinfo"
	"github.com/redisplan/redisplan/internal/secret"
)

// IDFormat is the layout of backup IDs: sortable UTC timestamps.
const IDFormat = "20060102T150405.000Z"

// Request is one backup run.
type Request struct {
	Target  *model.Target
	Storage backup.Storage
	// Client talks to the server (BGSAVE, INFO, CONFIG); the replication
	// method opens its own connection.
	Client           *redis.Client
	Now              func() time.Time
	RedisplanVersion string
	// Emit receives what the run does, and the raw bytes of each file
	// as it is read and stored (progress.PhaseStore); nil discards it.
	Emit progress.Sink
	// Journal returns the journal called name, where a run records
	// what it must undo if it is killed: the value of
	// auto-aof-rewrite-percentage before the AOF snapshot holds rewrites
	// off (capture.JournalName), and the AOF snapshot directory it makes
	// in the server's data dir (SnapshotJournal). Run finds what a killed
	// run left there and undoes it first. The CLI passes the target
	// lock's journals; nil records nothing.
	Journal func(name string) capture.Journal
	// Owner is recorded in the manifest (backup.Manifest.Owner): the
	// spec whose target the backup belongs to. nil records none.
	Owner *owner.Owner
	// Admit, when set, is asked after what a killed run left is undone
	// and before anything is written: an error ends the run there (the
	// CLI refuses a folder that holds another spec's backups).
	Admit func(ctx context.Context) error
}

// SnapshotJournal is the journal that names the AOF snapshot directory a
// run is using.
const SnapshotJournal = "aof-snapshot"

// snapshotPrefix starts the name of an AOF snapshot directory in the
// server's data dir; the backup ID follows.
const snapshotPrefix = ".redisplan-aof-"

// Run takes one backup. On failure nothing becomes visible and the
// storage holds exactly what it held before. No error or event shows a
// secret of the target.
func Run(ctx context.Context, req Request) (*backup.Manifest, error) {
	if req.Target == nil {
		return nil, fmt.Errorf("backup: no target")
	}
	secrets := secret.New(req.Target.Secrets()...)
	if !secrets.Empty() {
		req.Emit = req.Emit.Map(func(e progress.Event) progress.Event {
			e.Message = secrets.Redact(e.Message)
			return e
		})
	}
	m, err := run(ctx, req)
	return m, secrets.Wrap(err)
}

func run(ctx context.Context, req Request) (*backup.Manifest, error) {
	t := req.Target
	b := t.Backup
	if b == nil {
		return nil, fmt.Errorf("redis.%s has no backup block", t.Name)
	}
	now := time.Now
	if req.Now != nil {
		now = req.Now
	}
	emit := req.Emit.With(progress.Event{Operation: progress.OpBackup, Target: t.Name}).Say
	resumeRewrites(ctx, req, emit)
	removeSnapshot(req, emit)
	if req.Admit != nil {
		if err := req.Admit(ctx); err != nil {
			return nil, err
		}
	}
	if n, err := req.Storage.Clean(ctx); err != nil {
		return nil, fmt.Errorf("clean leftovers of earlier runs: %w", err)
	} else if n > 0 {
		emit(progress.Step, "removed %d leftover(s) of interrupted runs", n)
	}

	started := now().UTC()
	m := &backup.Manifest{
		Version:          backup.ManifestVersion,
		ID:               started.Format(IDFormat),
		Target:           t.Name,
		Method:           b.Method,
		Started:          started,
		RedisplanVersion: req.RedisplanVersion,
		Keyspace:         map[int]backup.DBStats{},
		Owner:            req.Owner,
	}
	pending, err := req.Storage.Begin(ctx, m.ID)
	if err != nil {
		return nil, fmt.Errorf("start backup %s: %w", m.ID, err)
	}
	committed := false
	defer func() {
		if !committed {
			pending.Abort(context.WithoutCancel(ctx))
		}
	}()
	opts := backup.StoreOptions{Compression: b.Compression, Recipients: b.Recipients}

	// The member the data comes from: a replica in sync spares the
	// primary the fork when the spec allows it.
	src, err := replicas.BackupSource(ctx, t)
	if err != nil {
		return nil, err
	}
	for _, why := range src.Skipped {
		emit(progress.Step, "replica not used: %s", why)
	}
	m.SourceRole, m.SourceAddress = src.Role, src.Target.Connection.Address
	if src.Role == "replica" {
		client, err := live.Dial(src.Target.Connection)
		if err != nil {
			return nil, err
		}
		defer client.Close()
		req.Client = client
		req.Target = src.Target
		emit(progress.Step, "reading from replica %s, which is in sync", src.Target.Connection.Address)
	}
	// A server in the middle of a CONFIG rotation answers under the name
	// in its config file until it restarts. A method that needs no CONFIG
	// (replication) must not fail for want of it: the steps that need it
	// report their own error.
	cmd, _, err := live.ConfigName(ctx, req.Client, req.Target)
	if err != nil {
		cmd = req.Target.ConfigCommand()
	}

	var aofManifest []byte // the stored AOF manifest's content, for CheckLayout
	for _, what := range b.Include {
		switch what {
		case "rdb":
			if err := storeRDB(ctx, req, pending, opts, m, cmd); err != nil {
				return nil, err
			}
			emit(progress.Step, "stored the RDB (%s)", describe(m.Files[len(m.Files)-1]))
		case "aof":
			n, content, err := storeAOF(ctx, req, pending, opts, m, cmd)
			if err != nil {
				return nil, err
			}
			aofManifest = content
			emit(progress.Step, "stored the AOF directory (%d files)", n)
		}
	}

	// The RDB data was checked as it was stored; what restore checks of
	// the backup's layout is checked here, with restore's code, so that
	// "verified" means that restore accepts it.
	if err := restore.CheckLayout(m, aofManifest); err != nil {
		return nil, fmt.Errorf("backup %s would not restore, so it was not kept: %w", m.ID, err)
	}
	m.Finished = now().UTC()
	m.DurationSeconds = m.Finished.Sub(m.Started).Seconds()
	m.Verified = true
	m.VerifiedAt = m.Finished
	if err := pending.Commit(ctx, m); err != nil {
		return nil, fmt.Errorf("commit backup %s: %w", m.ID, err)
	}
	committed = true
	return m, nil
}

func describe(f backup.File) string {
	return fmt.Sprintf("%s, %d bytes raw, %d stored", f.Name, f.RawSize, f.StoredSize)
}

// storeRDB captures an RDB with the target's method and stores it,
// checking its structure in the same pass.
func storeRDB(ctx context.Context, req Request, pending backup.Pending, opts backup.StoreOptions, m *backup.Manifest, cmd string) error {
	t := req.Target
	// The RDB is about as large as the dataset in memory, usually
	// smaller: storage that cuts uploads into parts sizes them from it.
	var expected int64
	if mem, err := live.Info(ctx, req.Client, "memory"); err == nil {
		expected, _ = strconv.ParseInt(mem["used_memory"], 10, 64)
	}
	var src io.ReadCloser
	var info func() map[string]string
	switch t.Backup.Method {
	case "replication":
		i, err := live.Info(ctx, req.Client, "server", "memory", "keyspace", "persistence")
		if err != nil {
			return fmt.Errorf("read INFO of redis.%s: %w", t.Name, err)
		}
		info = func() map[string]string { return i }
		src, err = capture.Replication(ctx, t.Connection)
		if err != nil {
			return fmt.Errorf("replication stream from redis.%s: %w", t.Name, err)
		}
	default:
		// Stored while the server writes it when the file can be
		// followed; INFO for the manifest is read once the save ended.
		save, err := capture.FollowBGSave(ctx, req.Client, cmd, t.DataDir)
		if err != nil {
			return fmt.Errorf("BGSAVE on redis.%s: %w", t.Name, err)
		}
		src, info = save, save.Info
	}
	defer src.Close()

	version, err := storeVerified(ctx, pending, opts, m, counting(req, src, "dump.rdb", expected), "dump.rdb", backup.KindRDB, expected)
	if err != nil {
		return err
	}
	fillFromInfo(m, info())
	m.RDBVersion = version
	return nil
}

// storeVerified stores one artifact and, for RDB data, checks its
// structure while it streams.
func storeVerified(ctx context.Context, pending backup.Pending, opts backup.StoreOptions, m *backup.Manifest, src io.Reader, original, kind string, expected int64) (int, error) {
	name := backup.StoredName(original, opts)
	w, err := backup.CreateSized(ctx, pending, name, expected)
	if err != nil {
		return 0, fmt.Errorf("create %s: %w", name, err)
	}
	isRDB := kind == backup.KindRDB || (kind == backup.KindAOFBase && strings.HasSuffix(original, ".rdb"))
	var check *rdb.CheckingReader
	if isRDB {
		check = rdb.NewCheckingReader(src)
		src = check
	}
	f, err := backup.StoreStream(ctx, w, src, opts)
	version := 0
	if isRDB {
		check.Close()
		info, cerr := check.Result()
		// A fault the check found stops the store with that same error;
		// any other store error (a full disk) ends the check too, and
		// is the one to report.
		if cerr != nil && (err == nil || errors.Is(err, cerr)) {
			w.Close()
			return 0, fmt.Errorf("%s is not a sound RDB: %w", original, cerr)
		}
		version = info.Version
		// Where in the replication stream the data is, when the server
		// recorded it (a master with a replica attached, a replica): it
		// makes the backup a base of the archive.
		if kind == backup.KindRDB && info.Repl.ID != "" {
			m.ReplID, m.ReplOffset, m.ReplStreamDB = info.Repl.ID, info.Repl.Offset, info.Repl.StreamDB
		}
	}
	if err != nil {
		w.Close()
		return 0, fmt.Errorf("store %s: %w", original, err)
	}
	if err := w.Close(); err != nil {
		return 0, fmt.Errorf("write %s: %w", name, err)
	}
	f.Name, f.Original, f.Kind = name, original, kind
	m.Files = append(m.Files, f)
	return version, nil
}

// storeAOF copies the AOF directory consistently and stores its files.
// It returns how many, and the content of the AOF manifest it stored.
func storeAOF(ctx context.Context, req Request, pending backup.Pending, opts backup.StoreOptions, m *backup.Manifest, cmd string) (int, []byte, error) {
	t := req.Target
	if t.Backup.Method == "replication" {
		return 0, nil, errors.New(`include = ["aof"] needs file access to the server's AOF directory, which method = "replication" does not have`)
	}
	dir := t.DataDir
	if dir == "" {
		got, err := live.ConfigGet(ctx, req.Client, cmd, "dir")
		if err != nil {
			return 0, nil, fmt.Errorf("read dir of redis.%s: %w", t.Name, err)
		}
		dir = got["dir"]
	}
	// Hard links need the same filesystem: the snapshot lives in the data
	// dir, under a name Redis never uses, and is removed at the end.
	snap := filepath.Join(dir, snapshotPrefix+m.ID)
	if abs, err := filepath.Abs(snap); err == nil {
		snap = abs
	}
	var holds capture.Journal
	if req.Journal != nil {
		holds = req.Journal(capture.JournalName)
		// Recorded before the directory exists, so that a run killed
		// while it holds hard links to the server's AOF files (which keep
		// a rewritten-away base on the disk) leaves a record of it.
		rec := snapshotRecord{Path: snap, Owner: backup.NewOwner(m.ID, "aof-snapshot")}
		data, _ := json.Marshal(rec)
		if err := req.Journal(SnapshotJournal).Write(append(data, '\n')); err != nil {
			return 0, nil, fmt.Errorf("record the AOF snapshot directory %s: %w", snap, err)
		}
		defer func() {
			if os.RemoveAll(snap) == nil {
				_ = req.Journal(SnapshotJournal).Remove()
			}
		}()
	}
	files, err := capture.AOFSnapshot(ctx, req.Client, cmd, dir, snap, holds)
	defer os.RemoveAll(snap)
	if err != nil {
		return 0, nil, fmt.Errorf("copy the AOF directory of redis.%s: %w", t.Name, err)
	}
	if len(m.Keyspace) == 0 {
		if info, err := live.Info(ctx, req.Client, "server", "memory", "keyspace", "persistence"); err == nil {
			fillFromInfo(m, info)
		}
	}
	var manifest []byte
	for _, f := range files {
		if f.Kind == backup.KindAOFManifest {
			// Small (one line per file), and the file the server
			// loads the rest by.
			if manifest, err = os.ReadFile(f.Path); err != nil {
				return 0, nil, err
			}
		}
		src, err := os.Open(f.Path)
		if err != nil {
			return 0, nil, err
		}
		var size int64
		if info, err := src.Stat(); err == nil {
			size = info.Size()
		}
		version, err := storeVerified(ctx, pending, opts, m, counting(req, src, f.Original, size), f.Original, f.Kind, size)
		src.Close()
		if err != nil {
			return 0, nil, err
		}
		if version > 0 && m.RDBVersion == 0 {
			m.RDBVersion = version
		}
	}
	m.AOFEnabled = true
	return len(files), manifest, nil
}

// fillFromInfo records what INFO said at backup time.
func fillFromInfo(m *backup.Manifest, info map[string]string) {
	m.RedisVersion = info["redis_version"]
	m.Engine, m.EngineVersion = "redis", info["redis_version"]
	if v := info["valkey_version"]; v != "" || info["server_name"] == "valkey" {
		m.Engine, m.EngineVersion = "valkey", v
	}
	m.RunID = info["run_id"]
	m.UsedMemory, _ = strconv.ParseInt(info["used_memory"], 10, 64)
	m.AOFEnabled = info["aof_enabled"] == "1"
	for db, st := range redisinfo.Keyspace(info) {
		m.Keyspace[db] = st
	}
}

// counting reports the raw bytes of file read from r as the run stores
// them; total is their expected number (0 when unknown).
func counting(req Request, r io.Reader, file string, total int64) io.Reader {
	if req.Emit == nil {
		return r
	}
	return progress.NewMeter(req.Emit, progress.Event{Operation: progress.OpBackup, Target: req.Target.Name, Phase: progress.PhaseStore, File: file, Total: total}).Reader(r)
}

// resumeRewrites puts back auto-aof-rewrite-percentage that an earlier run,
// killed while it held automatic AOF rewrites off, left at 0, as its
// record in the journal says. It never fails the backup: what it cannot
// do, it says, and the record stays for the next run (check reports the
// setting meanwhile).
func resumeRewrites(ctx context.Context, req Request, emit func(progress.Level, string, ...any)) {
	if req.Journal == nil {
		return
	}
	journal := req.Journal(capture.JournalName)
	data, err := journal.Read()
	if err != nil {
		emit(progress.Warning, "cannot read the record of AOF rewrites held by an earlier run: %v", err)
		return
	}
	if data == nil {
		return
	}
	h, err := capture.ParseRewriteHold(data)
	if err != nil {
		emit(progress.Warning, "%v; check auto-aof-rewrite-percentage on the server", err)
		return
	}
	if h.Holding() {
		// Cannot happen under the target's lock; never undo the work of
		// a process that still runs.
		emit(progress.Warning, "process %d still holds automatic AOF rewrites off on %s", h.PID, h.Address)
		return
	}
	t := req.Target
	client := req.Client
	if h.Address != t.Connection.Address {
		// A replica the backup was read from.
		c, err := live.Dial(t.Member(h.Address).Connection)
		if err != nil {
			emit(progress.Warning, "cannot reach %s to put auto-aof-rewrite-percentage back to %s, which an earlier run left at 0: %v", h.Address, h.Original, err)
			return
		}
		defer c.Close()
		client = c
	}
	msg, err := capture.ResumeRewrites(ctx, client, t.ConfigCommand(), h)
	if err != nil {
		emit(progress.Warning, "could not put auto-aof-rewrite-percentage back to %s on %s, which an earlier run left at 0: %v; the next run tries again", h.Original, h.Address, err)
		return
	}
	emit(progress.Step, "%s", msg)
	if err := journal.Remove(); err != nil {
		emit(progress.Warning, "%v", err)
	}
}

// snapshotRecord names the AOF snapshot directory of a run.
type snapshotRecord struct {
	Path  string       `json:"path"`
	Owner backup.Owner `json:"owner"`
}

// removeSnapshot removes the AOF snapshot directory that a killed run
// left in the server's data dir, as its record names it, once the process
// that made it is gone. Only a directory with the name a run gives it is
// removed; what it cannot do, it says, and never fails the backup.
func removeSnapshot(req Request, emit func(progress.Level, string, ...any)) {
	if req.Journal == nil {
		return
	}
	journal := req.Journal(SnapshotJournal)
	data, err := journal.Read()
	if err != nil || data == nil {
		return
	}
	var rec snapshotRecord
	err = json.Unmarshal(data, &rec)
	if err == nil {
		_, err = backup.ParseOwner(rec.Owner.Marshal(), rec.Owner.Run)
	}
	if err != nil || backup.CheckID(rec.Owner.Run) != nil || filepath.Base(rec.Path) != snapshotPrefix+rec.Owner.Run || !filepath.IsAbs(rec.Path) {
		emit(progress.Warning, "the record of an earlier run's AOF snapshot directory is not one redisplan wrote; left alone")
		return
	}
	if !rec.Owner.Gone(time.Now()) {
		return
	}
	if _, err := os.Lstat(rec.Path); err == nil {
		if err := os.RemoveAll(rec.Path); err != nil {
			emit(progress.Warning, "could not remove %s, the AOF snapshot of a backup run that was stopped: %v", rec.Path, err)
			return
		}
		emit(progress.Step, "removed %s, the AOF snapshot of a backup run that was stopped (pid %d)", rec.Path, rec.Owner.PID)
	}
	if err := journal.Remove(); err != nil {
		emit(progress.Warning, "%v", err)
	}
}
