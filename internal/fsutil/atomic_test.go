package fsutil

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileNewFileGetsPerm(t *testing.T) {
	p := filepath.Join(t.TempDir(), "secret.conf")
	if err := WriteFile(p, []byte("requirepass x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o600 {
		t.Errorf("mode = %o, want 600", got)
	}
	if b, _ := os.ReadFile(p); string(b) != "requirepass x\n" {
		t.Errorf("content = %q", b)
	}
}

func TestWriteFileKeepsModeOfExistingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "redis.conf")
	if err := os.WriteFile(p, []byte("old\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("new\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(p)
	if got := info.Mode().Perm(); got != 0o640 {
		t.Errorf("mode = %o, want the file's own 640", got)
	}
	if b, _ := os.ReadFile(p); string(b) != "new\n" {
		t.Errorf("content = %q", b)
	}
}

func TestWriteFileLeavesNoTempFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a")
	for i := 0; i < 3; i++ {
		if err := WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("dir holds %d entries, want only the file", len(entries))
	}
}

func TestWriteFileFailsInMissingDir(t *testing.T) {
	p := filepath.Join(t.TempDir(), "missing", "a")
	if err := WriteFile(p, []byte("x"), 0o600); err == nil {
		t.Fatal("want an error for a missing directory")
	}
}

func TestWriteFileModeTightensExistingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "target.conf")
	if err := os.WriteFile(p, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileMode(p, []byte("requirepass s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(p)
	if got := info.Mode().Perm(); got != 0o600 {
		t.Errorf("mode = %o, want 600 for a file holding secrets", got)
	}
}
