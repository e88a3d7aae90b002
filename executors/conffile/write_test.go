package conffile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteKeepsBackupAndMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "redis.conf")
	old := []byte("port 6379\r\nrequirepass old\n")
	if err := os.WriteFile(path, old, 0o640); err != nil {
		t.Fatal(err)
	}
	// The umask must not decide the modes this test checks.
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}

	prev, err := Write(path, []byte("port 6380\n"))
	if err != nil {
		t.Fatal(err)
	}
	if string(prev) != string(old) {
		t.Errorf("previous = %q, want %q", prev, old)
	}
	assertFile(t, path, "port 6380\n", 0o640)
	assertFile(t, path+BackupSuffix, string(old), 0o640)

	if err := Restore(path, prev, prev != nil); err != nil {
		t.Fatal(err)
	}
	assertFile(t, path, string(old), 0o640)
	assertNoTemp(t, dir)
}

func TestWriteNewFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "redis.conf")
	prev, err := Write(path, []byte("port 6380\n"))
	if err != nil {
		t.Fatal(err)
	}
	if prev != nil {
		t.Errorf("previous = %q, want nil", prev)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm()&0o007 != 0 {
		t.Errorf("new config file has mode %o: others can read it", info.Mode().Perm())
	}
	if _, err := os.Stat(path + BackupSuffix); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a backup was written for a file that did not exist: %v", err)
	}
	if err := Restore(path, prev, prev != nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Restore left the new file: %v", err)
	}
	// Restoring again is harmless.
	if err := Restore(path, nil, false); err != nil {
		t.Error(err)
	}
}

func TestWriteEmptyFileIsNotMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "redis.conf")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	prev, err := Write(path, []byte("port 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if prev == nil || len(prev) != 0 {
		t.Fatalf("previous = %#v, want an empty non-nil slice", prev)
	}
	if err := Restore(path, prev, prev != nil); err != nil {
		t.Fatal(err)
	}
	assertFile(t, path, "", 0o600)
}

func TestWriteThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.conf")
	link := filepath.Join(dir, "redis.conf")
	if err := os.WriteFile(real, []byte("port 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real.conf", link); err != nil {
		t.Fatal(err)
	}
	prev, err := Write(link, []byte("port 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if info, err := os.Lstat(link); err != nil || info.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", info, err)
	}
	assertFile(t, real, "port 2\n", 0o600)
	assertFile(t, link+BackupSuffix, "port 1\n", 0o600)
	if err := Restore(link, prev, true); err != nil {
		t.Fatal(err)
	}
	assertFile(t, real, "port 1\n", 0o600)
}

func assertFile(t *testing.T, path, content string, mode fs.FileMode) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != content {
		t.Errorf("%s = %q, want %q", filepath.Base(path), b, content)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != mode {
		t.Errorf("%s has mode %o, want %o", filepath.Base(path), got, mode)
	}
}

func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if name := e.Name(); name != "redis.conf" && name != "redis.conf"+BackupSuffix {
			t.Errorf("unexpected file %s left in the directory", name)
		}
	}
}
