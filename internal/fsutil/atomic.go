// Package fsutil writes files the way a crash cannot corrupt them.
package fsutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/redisplan/redisplan/internal/failpoint"
)

// processStart is when this process began: a temp file of ours older than
// that was left by an earlier run that died before its rename.
var processStart = time.Now()

// tempPrefix starts the name os.CreateTemp gives the temp file of path:
// "." + base + ".tmp-" + digits.
func tempPrefix(path string) string { return "." + filepath.Base(path) + ".tmp-" }

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

	// Created 0600 (os.CreateTemp's mode) and left so until the content
	// is on disk: should the process die before the rename, the temp it
	// leaves (a copy of a config file, say, with its passwords) is
	// readable by its owner alone.
	tmp, err := os.CreateTemp(dir, tempPrefix(path)+"*")
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
	failpoint.Hit(failpoint.WriteBeforeRename + filepath.Base(path))
	// The file's own mode just before it takes the file's place: a mode
	// more open than 0600 is never on a file that is not yet the file.
	if perm != 0o600 {
		if err := tmp.Chmod(perm); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
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

// RemoveStaleTemps removes the temp files that an earlier write of path
// left when its process died before the rename: only regular files named
// exactly as this package names them ("." + base + ".tmp-" + digits),
// last modified before this process started, so that a temp another run
// is writing right now is never touched. It returns the names it removed.
func RemoveStaleTemps(path string) ([]string, error) {
	dir, prefix := filepath.Dir(path), tempPrefix(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("look for stale temp files of %s: %w", path, err)
	}
	var removed []string
	for _, e := range entries {
		digits, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || digits == "" || strings.Trim(digits, "0123456789") != "" || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(processStart) {
			continue
		}
		name := filepath.Join(dir, e.Name())
		if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("remove the stale temp file %s: %w", name, err)
		}
		removed = append(removed, name)
	}
	return removed, nil
}
