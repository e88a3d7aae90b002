package job

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/restore"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/owner"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/internal/rdb"
)

// MethodImport is the Method of a backup brought into the catalog by
// Import rather than taken by Run.
const MethodImport = "import"

// seedTimeLayout is how the seed's backup script names its files:
// dump_20251112_030000.rdb.gz, from `date +%Y%m%d_%H%M%S` (local time).
const seedTimeLayout = "20060102_150405"

// ImportRequest is one gzipped RDB file to bring into a target's catalog.
type ImportRequest struct {
	Target  *model.Target
	Storage backup.Storage
	// Path is the .rdb.gz file, as the seed's backup script writes it
	// (BACKUP_DIR/rdb/dump_YYYYMMDD_HHMMSS.rdb.gz).
	Path string
	// MetadataDir holds the script's JSON metadata files
	// (rdb_YYYYMMDD_HHMMSS.meta); empty means the script's layout, the
	// metadata directory beside the rdb one.
	MetadataDir string
	// NoLoad skips loading the file into a scratch redis-server, which
	// takes as much memory as the dataset: the backup then records no key
	// counts, and restore cannot compare the keys it loads with them.
	NoLoad           bool
	RedisplanVersion string
	Now              func() time.Time
	Emit             progress.Sink
	// Owner is recorded in the manifest of each imported backup, as
	// Request.Owner is.
	Owner *owner.Owner
}

// ImportResult says what Import did.
type ImportResult struct {
	Manifest *backup.Manifest
	// Existed is true when the catalog already held this very backup (an
	// earlier import of the same file): nothing was written.
	Existed bool
}

// seedMetadata is the JSON metadata file the seed's backup script writes
// beside each backup. Only what Import checks or records is read; the
// script writes total_keys as a string, so it is not read at all (Import
// counts the keys itself).
type seedMetadata struct {
	BackupType   string `json:"backup_type"`
	BackupFile   string `json:"backup_file"`
	Timestamp    string `json:"timestamp"`
	RedisVersion string `json:"redis_version"`
	OriginalSize *int64 `json:"original_size_bytes"`
	Checksum     string `json:"checksum"`
}

// Import verifies a gzipped RDB file (gzip integrity, the SHA-256 its
// metadata records, the RDB structure and CRC-64 trailer, that a
// redis-server loads it) and stores it in the target's catalog through
// the same storage and checks as Run, so that backup list, verify,
// restore, check and retention see it as any other backup. Its time is
// the one the metadata records (or the file name says); its key counts
// are those of the scratch server that loaded it. The source files are
// only read. Importing the same file again finds it in the catalog and
// writes nothing.
func Import(ctx context.Context, req ImportRequest) (ImportResult, error) {
	t := req.Target
	if t.Backup == nil {
		return ImportResult{}, fmt.Errorf("redis.%s has no backup block", t.Name)
	}
	now := time.Now
	if req.Now != nil {
		now = req.Now
	}
	emit := req.Emit.With(progress.Event{Operation: progress.OpImport, Target: t.Name}).Say
	name := filepath.Base(req.Path)

	meta, metaPath, err := readSeedMetadata(req.Path, req.MetadataDir)
	if err != nil {
		return ImportResult{}, err
	}
	started, err := importTime(req.Path, meta)
	if err != nil {
		return ImportResult{}, err
	}

	// 1. Verify the file, writing nothing.
	sum, err := checkGzippedRDB(ctx, req.Path)
	if err != nil {
		return ImportResult{}, err
	}
	if meta != nil {
		if meta.Checksum != "" && !strings.EqualFold(meta.Checksum, sum.stored) {
			return ImportResult{}, fmt.Errorf("%s: its sha256 is %s, but %s records %s: the file changed since the backup was taken; nothing was imported",
				name, sum.stored, metaPath, meta.Checksum)
		}
		if meta.OriginalSize != nil && *meta.OriginalSize != sum.rawSize {
			return ImportResult{}, fmt.Errorf("%s: it holds an RDB of %d bytes, but %s records %d: nothing was imported",
				name, sum.rawSize, metaPath, *meta.OriginalSize)
		}
		emit(progress.Step, "%s: sha256 as in %s", name, metaPath)
	} else {
		emit(progress.Step, "%s: no metadata file found (looked for %s): the time comes from the file name", name, metaPath)
	}
	emit(progress.Step, "%s: gzip and RDB structure verified (RDB version %d, %d bytes)", name, sum.info.Version, sum.rawSize)
	if sum.info.Checksum == 0 {
		emit(progress.Warning, "%s was written with rdbchecksum no: its RDB carries no CRC-64, so its content cannot be verified beyond its structure", name)
	}

	id := started.UTC().Format(IDFormat)
	if existing, err := backup.ReadManifest(ctx, req.Storage, id); err == nil {
		if len(existing.Files) == 1 && existing.Files[0].RawSHA256 == sum.raw {
			return ImportResult{Manifest: existing, Existed: true}, nil
		}
		return ImportResult{}, fmt.Errorf("%s: the catalog already holds a different backup %s taken at the same time; nothing was imported", name, id)
	}

	// 2. Count the keys by loading it, which also proves that it loads.
	m := &backup.Manifest{
		Version:          backup.ManifestVersion,
		ID:               id,
		Target:           t.Name,
		Method:           MethodImport,
		Started:          started,
		Finished:         started,
		RedisplanVersion: req.RedisplanVersion,
		RDBVersion:       sum.info.Version,
		ImportedFrom:     absPath(req.Path),
		Owner:            req.Owner,
		Files: []backup.File{{
			Name: "dump.rdb", Original: "dump.rdb", Kind: backup.KindRDB,
			RawSize: sum.rawSize, RawSHA256: sum.raw, Compression: backup.CompressionNone,
		}},
	}
	if meta != nil {
		m.RedisVersion = meta.RedisVersion
	}
	if req.NoLoad {
		emit(progress.Step, "%s: not loaded (-no-load): the backup records no key counts, so a restore of it cannot compare the keys it loads", name)
	} else {
		src := restore.Source{Manifest: m, Open: func(context.Context, backup.File) (io.ReadCloser, error) { return openGzipped(req.Path) }}
		res, err := restore.Drill(ctx, src, restore.Options{})
		if err != nil {
			return ImportResult{}, fmt.Errorf("%s: load it into a scratch server: %w; nothing was imported", name, err)
		}
		m.Keyspace = res.After.Keyspace
		if m.Keyspace == nil {
			m.Keyspace = map[int]backup.DBStats{}
		}
		m.UsedMemory = res.After.UsedMemory
		emit(progress.Step, "%s: a scratch redis-server loaded it: %d keys", name, m.TotalKeys())
	}

	// 3. Store it as Run stores an RDB: compressed and encrypted as the
	// spec says, checked again on the way.
	m.Files = nil
	pending, err := req.Storage.Begin(ctx, id)
	if err != nil {
		return ImportResult{}, fmt.Errorf("start backup %s: %w", id, err)
	}
	committed := false
	defer func() {
		if !committed {
			pending.Abort(context.WithoutCancel(ctx))
		}
	}()
	in, err := openGzipped(req.Path)
	if err != nil {
		return ImportResult{}, err
	}
	defer in.Close()
	opts := backup.StoreOptions{Compression: t.Backup.Compression, Recipients: t.Backup.Recipients}
	if _, err := storeVerified(ctx, pending, opts, m, in, "dump.rdb", backup.KindRDB, sum.rawSize); err != nil {
		return ImportResult{}, fmt.Errorf("%s: %w", name, err)
	}
	if got := m.Files[0].RawSHA256; got != sum.raw {
		return ImportResult{}, fmt.Errorf("%s changed while it was imported (sha256 of its RDB was %s, then %s); nothing was imported", name, sum.raw, got)
	}
	m.Verified = true
	m.VerifiedAt = now().UTC()
	if err := pending.Commit(ctx, m); err != nil {
		return ImportResult{}, fmt.Errorf("commit backup %s: %w", id, err)
	}
	committed = true
	return ImportResult{Manifest: m}, nil
}

// gzSums is what checkGzippedRDB learned about a file.
type gzSums struct {
	stored  string // sha256 of the .gz file, as the seed's script records it
	raw     string // sha256 of the RDB inside
	rawSize int64
	info    rdb.Info
}

// checkGzippedRDB reads a .rdb.gz once: its gzip stream must be whole and
// hold a sound RDB file (magic, version, EOF opcode, CRC-64 trailer).
func checkGzippedRDB(ctx context.Context, path string) (gzSums, error) {
	var s gzSums
	name := filepath.Base(path)
	f, err := os.Open(path)
	if err != nil {
		return s, err
	}
	defer f.Close()
	stored := sha256.New()
	zr, err := gzip.NewReader(io.TeeReader(f, stored))
	if err != nil {
		return s, fmt.Errorf("%s is not a sound gzip file: %w; nothing was imported", name, err)
	}
	defer zr.Close()
	raw := sha256.New()
	counted := progress.NewMeter(nil, progress.Event{})
	s.info, err = rdb.Verify(backup.ContextReader(ctx, counted.Reader(io.TeeReader(zr, raw))))
	if err != nil {
		if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF) {
			return s, fmt.Errorf("%s is not a sound gzip file: %w; nothing was imported", name, err)
		}
		return s, fmt.Errorf("%s does not hold a sound RDB file: %w; nothing was imported", name, err)
	}
	// What follows the gzip stream (nothing, normally) counts too.
	if _, err := io.Copy(io.Discard, f); err != nil {
		return s, err
	}
	s.stored = hex.EncodeToString(stored.Sum(nil))
	s.raw = hex.EncodeToString(raw.Sum(nil))
	s.rawSize = counted.Bytes()
	return s, nil
}

// openGzipped opens the RDB inside a .rdb.gz.
func openGzipped(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return gzipFile{zr, f}, nil
}

type gzipFile struct {
	*gzip.Reader
	f *os.File
}

func (g gzipFile) Close() error {
	g.Reader.Close()
	return g.f.Close()
}

// readSeedMetadata finds and reads the metadata file of a seed backup:
// rdb_TIMESTAMP.meta in dir, or in the metadata directory beside the
// file's own. A missing file is no error (nil metadata); one that does
// not describe this backup is.
func readSeedMetadata(path, dir string) (*seedMetadata, string, error) {
	name := filepath.Base(path)
	stamp, ok := seedStamp(name)
	if !ok {
		return nil, "(none: the file is not named dump_YYYYMMDD_HHMMSS.rdb.gz)", nil
	}
	if dir == "" {
		dir = filepath.Join(filepath.Dir(filepath.Dir(absPath(path))), "metadata")
	}
	metaPath := filepath.Join(dir, "rdb_"+stamp+".meta")
	b, err := os.ReadFile(metaPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, metaPath, nil
	}
	if err != nil {
		return nil, metaPath, err
	}
	var meta seedMetadata
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&meta); err != nil {
		return nil, metaPath, fmt.Errorf("%s is not the JSON the seed's backup script writes: %w; nothing was imported", metaPath, err)
	}
	if meta.BackupFile != "" && meta.BackupFile != name {
		return nil, metaPath, fmt.Errorf("%s describes %s, not %s; nothing was imported", metaPath, meta.BackupFile, name)
	}
	if meta.BackupType != "" && meta.BackupType != "rdb" {
		return nil, metaPath, fmt.Errorf("%s describes a backup of type %q; backup import takes RDB backups", metaPath, meta.BackupType)
	}
	return &meta, metaPath, nil
}

// seedStamp returns the timestamp in a seed backup's name:
// dump_20251112_030000.rdb.gz -> 20251112_030000.
func seedStamp(name string) (string, bool) {
	s, ok := strings.CutPrefix(name, "dump_")
	if !ok {
		return "", false
	}
	s, ok = strings.CutSuffix(s, ".rdb.gz")
	if _, err := time.Parse(seedTimeLayout, s); !ok || err != nil {
		return "", false
	}
	return s, true
}

// importTime is when the backup was taken: the metadata's timestamp (with
// its offset), else the file name's (local time, as the script's `date`
// wrote it), else the file's modification time.
func importTime(path string, meta *seedMetadata) (time.Time, error) {
	if meta != nil && meta.Timestamp != "" {
		ts, err := time.Parse(time.RFC3339, meta.Timestamp)
		if err != nil {
			return time.Time{}, fmt.Errorf("%s: the metadata's timestamp %q is not an ISO 8601 time: %w", filepath.Base(path), meta.Timestamp, err)
		}
		return ts.UTC(), nil
	}
	if stamp, ok := seedStamp(filepath.Base(path)); ok {
		ts, err := time.ParseInLocation(seedTimeLayout, stamp, time.Local)
		if err == nil {
			return ts.UTC(), nil
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		return time.Time{}, err
	}
	return st.ModTime().UTC().Truncate(time.Millisecond), nil
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
