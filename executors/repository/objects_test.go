package repository

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A kind's objects are committed whole (0600, in the kind's folder of
// the target's folder), read back, listed by name without the temp files
// of a commit cut short, and deleted; the folder is not created by
// reading, and it is not reported as something left alone.
func TestObjects(t *testing.T) {
	dir := t.TempDir()
	r := open(t, testTarget(dir), "")
	ctx := context.Background()
	folder := filepath.Join(dir, "backups", "main", "archive")
	if l, err := r.ListObjects(ctx, Archive); err != nil || len(l) != 0 || exists(t, folder) {
		t.Fatalf("ListObjects of no folder = %v, %v (folder made: %v)", l, err, exists(t, folder))
	}
	if err := r.CommitObject(ctx, Archive, "b", []byte("second")); err != nil {
		t.Fatal(err)
	}
	if err := r.CommitObject(ctx, Archive, "a", []byte("first")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(folder, ".a.tmp-123"), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(folder, "a"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("committed object: %v, %v; want mode 0600", info, err)
	}
	l, err := r.ListObjects(ctx, Archive)
	if err != nil || len(l) != 2 || l[0].Name != "a" || l[1].Name != "b" || l[1].Size != 6 {
		t.Fatalf("ListObjects = %+v, %v", l, err)
	}
	rc, err := r.ReadObject(ctx, Archive, "b")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(rc)
	rc.Close()
	if string(data) != "second" {
		t.Errorf("ReadObject = %q", data)
	}
	if _, err := r.ReadObject(ctx, Archive, "../main/x"); err == nil {
		t.Errorf("ReadObject of a path outside the folder succeeded")
	}
	if err := r.DeleteObject(ctx, Archive, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadObject(ctx, Archive, "a"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadObject of a deleted object = %v", err)
	}
	// A temp file that a killed commit left (older than this process) is
	// removed; one of a name that is not the kind's is not.
	old := time.Now().Add(-time.Hour)
	for _, n := range []string{".b.tmp-77", ".notes.tmp-77"} {
		p := filepath.Join(folder, n)
		if err := os.WriteFile(p, []byte("half"), 0o600); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, old, old)
	}
	if n, err := r.CleanObjects(ctx, Archive, func(name string) bool { return name == "b" }); err != nil || n != 1 ||
		exists(t, filepath.Join(folder, ".b.tmp-77")) || !exists(t, filepath.Join(folder, ".notes.tmp-77")) {
		t.Errorf("CleanObjects = %d, %v", n, err)
	}
	listing, err := r.List(ctx)
	if err != nil || len(listing.LeftAlone) != 0 {
		t.Errorf("List = %+v, %v; want the archive folder not left alone", listing.LeftAlone, err)
	}
	if got, want := r.ObjectsPath(Archive), folder+string(os.PathSeparator); got != want {
		t.Errorf("ObjectsPath = %q, want %q", got, want)
	}
}
