// Package conffile writes the redis.conf that redisplan manages: atomically,
// keeping a copy of the previous content, and puts it back on failure.
// Rendering, reading and editing the file's content, which do no I/O, are
// in internal/redisconf.
package conffile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/redisplan/redisplan/internal/fsutil"
)

// BackupSuffix is appended to the config file's path to name the copy of
// its previous content that Write keeps.
const BackupSuffix = ".redisplan.bak"

// newFileMode is the mode of a config file Write creates: it may hold
// passwords, so others cannot read it.
const newFileMode fs.FileMode = 0o640

// writeOK is access(2)'s W_OK.
const writeOK = 0x2

// Write replaces the file at path with content atomically, keeping its
// owner and its owner's and group's access; other users lose theirs (a new
// file gets mode 0640).
//
// Temp files that an earlier write of the file or its copy left behind
// (the writer died before its rename) are removed first.
//
// Then, when the file exists, its content is saved atomically as
// path + BackupSuffix with the same mode, and the owner when it can be
// given away, because it may hold the same secrets. When path is a
// symbolic link, the file it points to is written and the link is kept.
//
// Write returns the previous content so that the caller can Restore it. It
// is nil exactly when the file did not exist: pass previous != nil as
// Restore's existed.
func Write(path string, content []byte) (previous []byte, err error) {
	target, err := resolve(path)
	if err != nil {
		return nil, fmt.Errorf("write config file: %w", err)
	}
	// A run that died in the middle of an earlier write left its temp
	// file, a copy of the config file: it goes now. Best effort: one that
	// cannot be removed is no reason not to write.
	for _, p := range []string{target, path + BackupSuffix} {
		_, _ = fsutil.RemoveStaleTemps(p)
	}
	info, err := os.Stat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := fsutil.WriteFile(target, content, newFileMode); err != nil {
			return nil, fmt.Errorf("write config file: %w", err)
		}
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("write config file: %w", err)
	case !info.Mode().IsRegular():
		return nil, fmt.Errorf("write config file: %s is not a regular file", path)
	}
	// The file is replaced by a rename, which only needs the directory to
	// be writable: a user who may not write the file itself must not get
	// to replace it (and become its owner) that way.
	if err := syscall.Access(target, writeOK); err != nil {
		return nil, fmt.Errorf("write config file: %s is not writable by this user: %w", path, err)
	}

	previous, err = os.ReadFile(target)
	if err != nil {
		return nil, fmt.Errorf("write config file: %w", err)
	}
	if previous == nil {
		previous = []byte{}
	}
	backup := path + BackupSuffix
	if err := fsutil.WriteFileMode(backup, previous, info.Mode().Perm()&^0o007); err != nil {
		return nil, fmt.Errorf("write config file: back up %s: %w", path, err)
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		// Best effort, as for the file itself: only root can give a
		// file away, and the mode already keeps others out.
		_ = os.Lchown(backup, int(st.Uid), int(st.Gid))
	}
	// A redis.conf holds requirepass, masterauth and the secret command
	// names: the file (and its backup) keeps its owner's and group's
	// access, and other users lose theirs.
	if err := fsutil.WriteFileMode(target, content, info.Mode().Perm()&^0o007); err != nil {
		return nil, fmt.Errorf("write config file: %w", err)
	}
	return previous, nil
}

// Restore undoes a Write: it puts previous back atomically when the file
// existed before, and removes the file when it did not (previous is then
// ignored).
func Restore(path string, previous []byte, existed bool) error {
	target, err := resolve(path)
	if err != nil {
		return fmt.Errorf("restore config file: %w", err)
	}
	if !existed {
		if err := os.Remove(target); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("restore config file: %w", err)
		}
		return nil
	}
	if err := fsutil.WriteFile(target, previous, newFileMode); err != nil {
		return fmt.Errorf("restore config file: %w", err)
	}
	return nil
}

// resolve follows symbolic links, so that writing replaces the file a link
// points to rather than the link. A path that does not exist yet is
// returned as it is.
func resolve(path string) (string, error) {
	target, err := filepath.EvalSymlinks(path)
	switch {
	case err == nil:
		return target, nil
	case errors.Is(err, fs.ErrNotExist):
		return path, nil
	default:
		return "", err
	}
}
