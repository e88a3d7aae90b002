// Package fsutil writes files the way a crash cannot corrupt them.
package fsutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// WriteFile writes data to path atomically: a temp file in the same
// directory, fsync, rename over path, fsync of the directory. When path
// exists its mode and owner are kept; otherwise perm is used. A reader
// sees either the old file or the new one, never a mix.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	return write(path, data, perm, true)
}

// WriteFileMode is WriteFile for files that must have exactly perm
// whatever the old file had: anything holding a secret is 0600.
func WriteFileMode(path string, data []byte, perm fs.FileMode) error {
	return write(path, data, perm, false)
}

func write(path string, data []byte, perm fs.FileMode, keepMode bool) error {
	dir := filepath.Dir(path)
	uid, gid := -1, -1
	if info, err := os.Stat(path); err == nil {
		if keepMode {
			perm = info.Mode().Perm()
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			uid, gid = int(st.Uid), int(st.Gid)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("write %s: %w", path, err)
	}

	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	name := tmp.Name()
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(name)
		}
	}()
	// Mode first, so that secrets are never readable by others, even for
	// the moment between create and rename.
	if err := tmp.Chmod(perm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if uid >= 0 {
		// Best effort: only root can give a file away, and a file we
		// cannot chown is still better written than not.
		_ = tmp.Chown(uid, gid)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	done = true
	return SyncDir(dir)
}

// SyncDir fsyncs a directory, so that a rename in it survives a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
