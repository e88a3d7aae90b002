package restore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/internal/asyncpipe"
	"github.com/redisplan/redisplan/internal/fsutil"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/internal/rdb"
)

const (
	// fileMode and dirMode are used for placed files and the AOF directory
	// when the server had none to take the mode from.
	fileMode fs.FileMode = 0o640
	dirMode  fs.FileMode = 0o750
	// tempPrefix starts the name of a file being written.
	tempPrefix = ".redisplan-restore-"
)

// placement is one backup artifact and where it goes.
type placement struct {
	file backup.File
	dir  string // the data dir
	dest string // relative to dir, slash-separated: dump.rdb, appendonlydir/x.base.rdb
	// deferChecks: the file is copied through Source.OpenWithoutRawDigest
	// without the RDB check; the caller checks the placed file
	// (checkPlaced) before it counts on it.
	deferChecks bool
}

func (pl placement) path() string { return filepath.Join(pl.dir, filepath.FromSlash(pl.dest)) }

// place streams one artifact into a temp file next to its destination
// through the checks of copyChecked (only those of the stored bytes and
// the size when pl.deferChecks), fsyncs it and renames it into place.
// The new file and the AOF directory get the owner of the data dir (when
// redisplan may give files away, as root) so that the server can read
// them. It returns what copyChecked says of the file's CRC-64. The bytes
// written are reported to emit.
func place(ctx context.Context, src Source, pl placement, emit progress.Sink) (crc rdbChecksum, err error) {
	dest := pl.path()
	parent := filepath.Dir(dest)
	uid, gid := owner(pl.dir)
	if parent != filepath.Clean(pl.dir) {
		if err := os.Mkdir(parent, dirMode); err != nil && !errors.Is(err, fs.ErrExist) {
			return crc, fmt.Errorf("create %s: %w", parent, err)
		}
		if uid >= 0 {
			_ = os.Chown(parent, uid, gid) // best effort: only root can
		}
	}
	tmp, err := os.CreateTemp(parent, tempPrefix+"*")
	if err != nil {
		return crc, fmt.Errorf("write %s: %w", dest, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name()) // our own partial file
		}
	}()
	if err := tmp.Chmod(fileMode); err != nil {
		return crc, fmt.Errorf("write %s: %w", dest, err)
	}
	if uid >= 0 {
		_ = tmp.Chown(uid, gid)
	}

	wb := writeBehind(tmp)
	if pl.deferChecks {
		crc, err = copyRaw(ctx, src.OpenWithoutRawDigest, pl.file, wb, emit, false)
	} else {
		crc, err = copyChecked(ctx, src, pl.file, wb, emit)
	}
	if err != nil {
		wb.CloseWithError(err)
		return crc, fmt.Errorf("copy the backup's %s to %s: %w", pl.file.Original, dest, err)
	}
	if err := wb.Close(); err != nil {
		return crc, fmt.Errorf("write %s: %w", dest, err)
	}
	if err := tmp.Sync(); err != nil {
		return crc, fmt.Errorf("write %s: %w", dest, err)
	}
	if err := tmp.Close(); err != nil {
		return crc, fmt.Errorf("write %s: %w", dest, err)
	}
	if _, err := os.Lstat(dest); err == nil {
		return crc, fmt.Errorf("write %s: the file appeared while the server was stopped; something else writes into %s", dest, pl.dir)
	}
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return crc, fmt.Errorf("write %s: %w", dest, err)
	}
	// The directory is fsynced by the caller, once for all the files it
	// placed there (stage), or not at all for a scratch server's.
	return crc, nil
}

// writebackEvery is how many bytes writeBehind writes between two
// requests to the kernel to start writing them to disk.
const writebackEvery = 8 << 20

// writeBehind returns a writer whose bytes are written into f by a
// goroutine of its own, which asks the kernel every writebackEvery bytes
// to start writing them to disk: the caller's checks and the writes
// overlap, and the fsync after Close waits only for the last few
// megabytes. Close returns the first write error.
func writeBehind(f *os.File) *asyncpipe.Writer {
	return asyncpipe.NewWriter(func(r io.Reader) error {
		_, err := io.Copy(&writebackFile{f: f}, r)
		return err
	})
}

// writebackFile writes into f and starts the writeback of what it wrote.
type writebackFile struct {
	f              *os.File
	written, begun int64 // bytes written; bytes whose writeback was started
}

func (w *writebackFile) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.written += int64(n)
	if w.written-w.begun >= writebackEvery {
		startWriteback(w.f, w.begun, w.written-w.begun)
		w.begun = w.written
	}
	return n, err
}

// owner returns the owner of a path, or -1, -1.
func owner(path string) (uid, gid int) {
	st, err := os.Stat(path)
	if err != nil {
		return -1, -1
	}
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return int(s.Uid), int(s.Gid)
	}
	return -1, -1
}

// makeSafetyDir creates <dir>/redisplan-safety-<id>-<unix time>, with a
// counter appended when a restore in the same second made one already.
func makeSafetyDir(dir, id string, now time.Time) (string, error) {
	base := filepath.Join(dir, safetyPrefix+safeName(id)+"-"+strconv.FormatInt(now.Unix(), 10))
	name := base
	for i := 2; ; i++ {
		err := os.Mkdir(name, 0o700)
		if err == nil {
			return name, nil
		}
		if !errors.Is(err, fs.ErrExist) || i > 100 {
			return "", fmt.Errorf("create the safety copy directory: %w", err)
		}
		name = base + "-" + strconv.Itoa(i)
	}
}

// safeName keeps letters, digits, '.', '_' and '-' of a backup ID, so that
// it is one path element whatever the manifest says.
func safeName(id string) string {
	s := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		}
		return '_'
	}, id)
	s = strings.Trim(s, ".")
	if s == "" {
		return "backup"
	}
	return s
}

// moveIfExists renames from to to when from exists, and reports whether
// it did.
func moveIfExists(from, to string) (bool, error) {
	if _, err := os.Lstat(from); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if err := os.Rename(from, to); err != nil {
		return false, err
	}
	return true, nil
}

// moveRestoredAway moves what a restore put at live into failed, before
// the original (in the safety copy) goes back. A streamed load keeps the
// original at live as a second name of the safety copy's file until its
// swap: that name is only removed.
func moveRestoredAway(live, failed, original string) error {
	if a, err := os.Lstat(live); err == nil {
		if b, err := os.Lstat(original); err == nil && a.Mode().IsRegular() && os.SameFile(a, b) {
			return os.Remove(live)
		}
	}
	_, err := moveIfExists(live, failed)
	return err
}

// syncDirs fsyncs directories, so that renames in them survive a crash.
func syncDirs(dirs ...string) error {
	for _, d := range dirs {
		if err := fsutil.SyncDir(d); err != nil {
			return err
		}
	}
	return nil
}

// checkPlaced makes the checks place left out with pl.deferChecks over the
// placed file f, opened before anything could replace it: the raw bytes'
// digest and size against the manifest, and the RDB structure and CRC-64
// of RDB data. Its errors name the backup's file as copyChecked's do.
//
// It runs on one goroutine (copyChecked's RDB check takes a second one):
// it runs beside the load, and on two cores the loading server keeps one.
func checkPlaced(ctx context.Context, fh *os.File, f backup.File) (rdbChecksum, error) {
	if _, err := fh.Seek(0, io.SeekStart); err != nil {
		return rawResult(f, err, 0, nil, nil)
	}
	return checkRaw(ctx, fh, f)
}

// checkRaw makes checkPlaced's checks over raw, the raw bytes of f: those
// of a placed file, or of a streamed load as they go by.
func checkRaw(ctx context.Context, raw io.Reader, f backup.File) (rdbChecksum, error) {
	// The digest's verdict, an I/O error or the end of ctx come at the
	// read; rdb.Verify sees them as the end of the file, and rawResult
	// puts them first.
	digest := backup.RawDigestReader(backup.ContextReader(ctx, raw), f)
	var readErr error
	var n int64
	r := readFunc(func(p []byte) (int, error) {
		k, err := digest.Read(p)
		n += int64(k)
		if err != nil && err != io.EOF {
			readErr, err = err, io.EOF
		}
		return k, err
	})
	var info *rdb.Info
	var verr error
	if holdsRDB(f) {
		i, err := rdb.Verify(r)
		info, verr = &i, err
	}
	// The rest, for the digest and the size: all of it when there was no
	// RDB check, nothing after a whole RDB.
	if _, err := io.CopyBuffer(discard{}, r, make([]byte, 256<<10)); err != nil && readErr == nil {
		readErr = err
	}
	return rawResult(f, readErr, n, info, verr)
}

// readFunc is a function as an io.Reader.
type readFunc func(p []byte) (int, error)

func (f readFunc) Read(p []byte) (int, error) { return f(p) }

// discard takes every write and keeps nothing (without io.Discard's
// ReadFrom, so that io.CopyBuffer uses the buffer it is given).
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
