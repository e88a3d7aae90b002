package restore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/internal/rdb"
)

// rdbChecksum is what copyChecked learned of an RDB's CRC-64 trailer.
type rdbChecksum int

const (
	crcNotRDB  rdbChecksum = iota // not RDB data (an AOF of commands, a manifest)
	crcChecked                    // the trailer matched the content
	crcMissing                    // the trailer is zero: written with rdbchecksum no
)

// VerifyResult is what Verify read.
type VerifyResult struct {
	// Files and Bytes count the artifacts read and their raw bytes.
	Files int
	Bytes int64
	// NoChecksum lists the RDB files (original names) that carry no
	// CRC-64 (written with rdbchecksum no): their structure was checked,
	// their content only against the manifest's digests.
	NoChecksum []string
}

// Verify proves without a server that Restore would accept backup src. It
// runs every check Restore makes of a backup before it touches a server,
// with the same code: the manifest's list of files (classify), the AOF
// manifest against the files the backup holds, the RDB header of the
// files a server loads, and a read of every artifact through copyChecked,
// the pass that stages a restore (stored and raw checksums, sizes, RDB
// structure and CRC-64). Restore stages only the files its server loads;
// Verify reads all of them, since the backup may go into a server with
// AOF or without. What it cannot check is what depends on the server the
// backup goes into: its release, its appendfilename, its free space.
// The bytes of each file read are reported to emit (progress.PhaseVerify);
// nil reports nothing.
func Verify(ctx context.Context, src Source, emit progress.Sink) (VerifyResult, error) {
	emit = emit.With(progress.Event{Operation: progress.OpVerify, Phase: progress.PhaseVerify})
	var res VerifyResult
	m := src.Manifest
	if m == nil || src.Open == nil {
		return res, errors.New("the backup source has no manifest or no way to read its files")
	}
	files, err := classify(m.Files)
	if err != nil {
		return res, err
	}
	if files.hasAOF() {
		if _, err := checkAOFFiles(ctx, src, files); err != nil {
			return res, err
		}
		if _, err := readRDBVersion(ctx, src, *files.aofBase); err != nil {
			return res, err
		}
	}
	if files.rdb != nil {
		if _, err := readRDBVersion(ctx, src, *files.rdb); err != nil {
			return res, err
		}
	}
	for _, f := range m.Files {
		crc, err := copyChecked(ctx, src, f, io.Discard, emit)
		if err != nil {
			return res, err
		}
		res.Files++
		res.Bytes += f.RawSize
		if crc == crcMissing {
			res.NoChecksum = append(res.NoChecksum, f.Original)
		}
	}
	return res, nil
}

// CheckLayout runs the checks of Verify that read no data: the manifest's
// list of files, and, when the backup holds an AOF, its AOF manifest
// (aofManifest, the file's content) against the files the backup holds.
// backup run calls it before it commits a backup, whose RDB data it has
// checked while storing it, so that it never calls a backup verified that
// a restore would refuse.
func CheckLayout(m *backup.Manifest, aofManifest []byte) error {
	files, err := classify(m.Files)
	if err != nil {
		return err
	}
	if !files.hasAOF() {
		return nil
	}
	prefix, err := aofPrefix(files.aofManifest)
	if err != nil {
		return err
	}
	return checkAOFList(aofManifest, prefix, files)
}

// copyChecked copies the raw bytes of artifact f of src to w, the way
// every restore, drill and verification reads a backup: src.Open checks
// the checksums as the bytes stream; RDB data (an RDB file, a base AOF
// with RDB preamble) is checked for structure and CRC-64 in the same
// pass; the size must be the manifest's. An error names f. The raw bytes
// copied are reported to emit as they go (progress.Meter).
func copyChecked(ctx context.Context, src Source, f backup.File, w io.Writer, emit progress.Sink) (rdbChecksum, error) {
	return copyRaw(ctx, src.Open, f, w, emit, true)
}

// copyRaw is copyChecked with the reader open gives, and without the RDB
// check when checkRDB is false (the size is always checked).
func copyRaw(ctx context.Context, open func(context.Context, backup.File) (io.ReadCloser, error), f backup.File, w io.Writer,
	emit progress.Sink, checkRDB bool) (rdbChecksum, error) {
	rc, err := open(ctx, f)
	if err != nil {
		return crcNotRDB, fmt.Errorf("read the backup's %s: %w", f.Original, err)
	}
	var r io.Reader = rc
	var check *rdb.CheckingReader
	if checkRDB && holdsRDB(f) {
		check = rdb.NewCheckingReader(rc)
		r = check
	}
	meter := progress.NewMeter(emit, progress.Event{File: f.Original, Total: f.RawSize})
	n, err := io.Copy(w, backup.ContextReader(ctx, meter.Reader(r)))
	if check != nil {
		check.Close()
	}
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	if check == nil {
		return rawResult(f, err, n, nil, nil)
	}
	info, verr := check.Result()
	return rawResult(f, err, n, &info, verr)
}

// rawResult is what a read of the raw bytes of f found, in the words of
// copyChecked: the read's error (a checksum that does not match, an I/O
// error, an interruption), else a size other than the manifest's, else
// the RDB check's error (info and verr; info nil when there was no RDB
// check).
func rawResult(f backup.File, readErr error, n int64, info *rdb.Info, verr error) (rdbChecksum, error) {
	switch {
	case readErr != nil:
		return crcNotRDB, fmt.Errorf("the backup's %s: %w", f.Original, readErr)
	case n != f.RawSize:
		return crcNotRDB, fmt.Errorf("the backup's %s has %d bytes, its manifest says %d: the backup is damaged", f.Original, n, f.RawSize)
	case info == nil:
		return crcNotRDB, nil
	case verr != nil:
		return crcNotRDB, fmt.Errorf("the backup's %s is not a sound RDB file: %w", f.Original, verr)
	case info.Checksum == 0:
		return crcMissing, nil
	}
	return crcChecked, nil
}

// holdsRDB reports whether an artifact holds RDB data: an RDB file, or a
// base AOF written with an RDB preamble. An empty base AOF holds no data
// at all, which Redis loads as an empty dataset.
func holdsRDB(f backup.File) bool {
	return f.Kind == backup.KindRDB || (f.Kind == backup.KindAOFBase && strings.HasSuffix(f.Original, ".rdb") && f.RawSize > 0)
}

// noChecksumWarning is the warning for an RDB without CRC-64 that has no
// digest in its manifest either (a plain file given to restore -file):
// nothing can tell whether its content is what the server wrote.
func noChecksumWarning(f backup.File) string {
	return fmt.Sprintf("%s has no checksum (the server wrote it with rdbchecksum no): its structure was checked, "+
		"but its content cannot be verified; compare the restored keys with what you expect", f.Original)
}

// KeySummary says in one phrase how a restored server's keys (got)
// compare with a backup's manifest (want): "1050 keys, as in the
// manifest" only when every database holds exactly the manifest's count;
// otherwise both counts.
func KeySummary(want, got map[int]backup.DBStats) string {
	var have, listed, ttl int64
	for _, s := range got {
		have += s.Keys
	}
	if want == nil {
		return fmt.Sprintf("%d keys; the manifest has no key counts to compare them with", have)
	}
	same := true
	for _, db := range slices.Sorted(maps.Keys(want)) {
		listed += want[db].Keys
		ttl += want[db].Expires
		if got[db].Keys != want[db].Keys {
			same = false
		}
	}
	for db, s := range got {
		if _, ok := want[db]; !ok && s.Keys != 0 {
			same = false
		}
	}
	switch {
	case same:
		return fmt.Sprintf("%d keys, as in the manifest", have)
	case have < listed:
		return fmt.Sprintf("%d keys restored, the manifest lists %d (%d of them with a TTL, which may have expired since)", have, listed, ttl)
	}
	return fmt.Sprintf("%d keys restored, the manifest lists %d", have, listed)
}
