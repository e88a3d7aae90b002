package restore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/internal/fsutil"
	"github.com/redisplan/redisplan/internal/progress"
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
}

func (pl placement) path() string { return filepath.Join(pl.dir, filepath.FromSlash(pl.dest)) }

// place streams one artifact into a temp file next to its destination
// through the checks of copyChecked, fsyncs it and renames it into place.
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

	if crc, err = copyChecked(ctx, src, pl.file, tmp, emit); err != nil {
		return crc, fmt.Errorf("copy the backup's %s to %s: %w", pl.file.Original, dest, err)
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
	return crc, fsutil.SyncDir(parent)
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

// syncDirs fsyncs directories, so that renames in them survive a crash.
func syncDirs(dirs ...string) error {
	for _, d := range dirs {
		if err := fsutil.SyncDir(d); err != nil {
			return err
		}
	}
	return nil
}
