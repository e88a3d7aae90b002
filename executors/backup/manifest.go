// Package backup takes, stores, verifies and prunes backups of a Redis
// target. A backup is a directory in the destination holding its
// artifacts and a manifest.json; it becomes visible only when complete.
package backup

import (
	"context"
	"io"
	"time"

	"github.com/redisplan/redisplan/internal/owner"
	"github.com/redisplan/redisplan/internal/redisinfo"
)

// ManifestName is the file that describes a backup. It is written last:
// a backup directory without it is an interrupted run.
const ManifestName = "manifest.json"

// ManifestVersion is the version of the manifest format.
const ManifestVersion = 1

// Manifest describes one complete backup. It never holds a secret: age
// recipients are public keys, and no password or identity is recorded.
type Manifest struct {
	Version int    `json:"version"`
	ID      string `json:"id"` // sortable UTC timestamp: 20261129T030000Z
	Target  string `json:"target"`
	Method  string `json:"method"` // bgsave or replication
	// SourceRole and SourceAddress say which member of a replication
	// group the data was read from: "primary" or "replica", and its
	// address. Empty in backups made before groups existed.
	SourceRole      string    `json:"source_role,omitempty"`
	SourceAddress   string    `json:"source_address,omitempty"`
	Started         time.Time `json:"started"`
	Finished        time.Time `json:"finished"`
	DurationSeconds float64   `json:"duration_seconds"`
	RedisVersion    string    `json:"redis_version"`
	// Engine and EngineVersion are the server that made the backup:
	// "redis" and its redis_version, or "valkey" and its valkey_version
	// (a Valkey's redis_version is a compatibility number). Empty in
	// backups made before they were recorded.
	Engine           string          `json:"engine,omitempty"`
	EngineVersion    string          `json:"engine_version,omitempty"`
	RunID            string          `json:"run_id"`
	Keyspace         map[int]DBStats `json:"keyspace"` // keys per db at backup time
	UsedMemory       int64           `json:"used_memory"`
	AOFEnabled       bool            `json:"aof_enabled"`
	Files            []File          `json:"files"`
	RedisplanVersion string          `json:"redisplan_version"`
	// Verified records the checks made while the backup was written:
	// every artifact's checksums, and the RDB structure (magic, version,
	// EOF marker, CRC-64 trailer) of the RDB and of an RDB-format AOF base.
	Verified   bool      `json:"verified"`
	VerifiedAt time.Time `json:"verified_at"`
	// RDBVersion is the RDB format version of the backup's RDB data: a
	// server loads only versions up to its own.
	RDBVersion int `json:"rdb_version"`
	// ImportedFrom is the file backup import read this backup from (the
	// seed's .rdb.gz); empty for backups redisplan took.
	ImportedFrom string `json:"imported_from,omitempty"`
	// Owner is the spec whose target this backup belongs to, in the
	// terms schedules use (internal/owner): the backup block's id when
	// it has one, else the absolute path of the spec file that declares
	// the target, and the target. Two specs with a target of the same
	// name and one destination share a folder; the owner tells their
	// backups apart. nil in backups made before owners were recorded:
	// those count as the backups of any spec that reads them.
	Owner *owner.Owner `json:"owner,omitempty"`
	// ReplID, ReplOffset and ReplStreamDB are the replication stream
	// position the backup's data is at, which makes it a base of the
	// archive (executors/archive): the stream after ReplOffset, replayed
	// from db ReplStreamDB, brings it forward. From +FULLRESYNC for the
	// archiver's own bases; from the RDB's repl-id, repl-offset and
	// repl-stream-db aux fields for a BGSAVE taken while a replica was
	// attached. Empty when the backup is at no known position.
	ReplID       string `json:"repl_id,omitempty"`
	ReplOffset   int64  `json:"repl_offset,omitempty"`
	ReplStreamDB int    `json:"repl_stream_db,omitempty"`

	// LastVerification and Problem are not part of manifest.json:
	// LoadCatalog fills them from the backup's verification note (the
	// last `backup verify`) and from a look at its artifacts.
	LastVerification *Verification `json:"-"`
	// Problem says why the backup cannot count as verified although it
	// was when taken: an artifact is missing or has another size than
	// the manifest's, or the last re-verification failed. "" when none
	// is known.
	Problem string `json:"-"`
}

// Usable reports whether m counts as a verified backup: verified when it
// was taken, and nothing found wrong with it since (Problem). Retention's
// "newest verified backup" and check's backup_age count only these.
func (m *Manifest) Usable() bool { return m.Verified && m.Problem == "" }

// DBStats is one database's key counts, as INFO keyspace gives them.
type DBStats = redisinfo.DB

// TotalKeys sums keys over every database.
func (m *Manifest) TotalKeys() int64 {
	var n int64
	for _, db := range m.Keyspace {
		n += db.Keys
	}
	return n
}

// StoredSize sums the sizes of the files as stored.
func (m *Manifest) StoredSize() int64 {
	var n int64
	for _, f := range m.Files {
		n += f.StoredSize
	}
	return n
}

// File kinds.
const (
	KindRDB         = "rdb"          // dump.rdb
	KindAOFManifest = "aof-manifest" // appendonly.aof.manifest
	KindAOFBase     = "aof-base"     // appendonly.aof.N.base.rdb|aof
	KindAOFIncr     = "aof-incr"     // appendonly.aof.N.incr.aof
)

// File is one stored artifact of a backup.
type File struct {
	// Name is the stored name inside the backup directory, e.g.
	// "dump.rdb.zst" or "appendonlydir/appendonly.aof.1.base.rdb.zst.age".
	Name string `json:"name"`
	// Original is the file's name on the server, relative to its dir:
	// "dump.rdb", "appendonlydir/appendonly.aof.manifest".
	Original    string   `json:"original"`
	Kind        string   `json:"kind"`
	RawSize     int64    `json:"raw_size"`
	StoredSize  int64    `json:"stored_size"`
	RawSHA256   string   `json:"raw_sha256"`
	SHA256      string   `json:"sha256"`      // of the stored bytes
	Compression string   `json:"compression"` // zstd, gzip, none
	Recipients  []string `json:"recipients,omitempty"`
}

// Storage keeps backups. A backend is named after what it talks to
// (the local one is in package file); every backend passes the contract
// tests in storagetest.
type Storage interface {
	// List returns the IDs of complete backups, oldest first.
	List(ctx context.Context) ([]string, error)
	// Begin starts a new backup; nothing of it is visible to List until
	// Commit.
	Begin(ctx context.Context, id string) (Pending, error)
	// Open reads one stored artifact of a complete backup.
	Open(ctx context.Context, id, name string) (io.ReadCloser, error)
	// Delete removes a complete backup.
	Delete(ctx context.Context, id string) error
	// Clean removes what interrupted runs left behind and returns how many
	// it removed: only pending runs (and interrupted deletions) whose
	// owner record parses and whose process is gone (Owner.Gone).
	// Anything else is left alone, however old.
	Clean(ctx context.Context) (int, error)
	// Foreign lists what the storage holds that is neither a backup nor
	// provably redisplan's: Clean never removes it.
	Foreign(ctx context.Context) ([]Foreign, error)
	// WriteNote stores a small file named name beside the manifest of
	// the complete backup id, replacing an earlier one atomically: a
	// fact learned after the backup was taken, such as its last
	// verification (VerificationName). A note is not an artifact: the
	// manifest does not list it, Copy does not copy it, Open reads it and
	// Delete removes it with the backup.
	WriteNote(ctx context.Context, id, name string, data []byte) error
	// Size returns the stored size of one artifact (or note) of a
	// complete backup without reading it. A missing backup or artifact
	// gives an error that wraps fs.ErrNotExist.
	Size(ctx context.Context, id, name string) (int64, error)
}

// Pending is a backup being written.
type Pending interface {
	// Create writes one artifact; the data reaches stable storage before
	// Close returns.
	Create(ctx context.Context, name string) (io.WriteCloser, error)
	// Commit writes the manifest and makes the backup visible, atomically.
	Commit(ctx context.Context, m *Manifest) error
	// Abort removes everything written so far.
	Abort(ctx context.Context) error
}

// Sized is implemented by a Pending that lays an artifact out from its
// expected size: an object store picks its multipart part size so that a
// large file neither sits in memory whole nor exceeds the part-count
// limit.
type Sized interface {
	// CreateSized is Create, told that the artifact will be about
	// expected bytes (0: unknown). The artifact may end up larger.
	CreateSized(ctx context.Context, name string, expected int64) (io.WriteCloser, error)
}

// CreateSized creates an artifact through p, passing the expected size on
// when p can use it.
func CreateSized(ctx context.Context, p Pending, name string, expected int64) (io.WriteCloser, error) {
	if s, ok := p.(Sized); ok {
		return s.CreateSized(ctx, name, expected)
	}
	return p.Create(ctx, name)
}

// Server names the server that made the backup: "Valkey 8.1.1",
// "Redis 7.0.15", or "" when the manifest does not say (a plain RDB file
// given to restore -file records no engine).
func (m *Manifest) Server() string {
	switch {
	case m.Engine == "valkey":
		return "Valkey " + m.EngineVersion
	case m.EngineVersion != "":
		return "Redis " + m.EngineVersion
	case m.RedisVersion != "":
		return "Redis " + m.RedisVersion
	}
	return ""
}
