package file

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/backup/storagetest"
)

// crashable is the Store as the contract tests see it: it can pretend the
// process writing its pending backups died.
type crashable struct{ *Store }

var _ storagetest.Crasher = crashable{}

// deadPID is a pid no process has: Linux pids stay below 2^22 and other
// systems' below that too.
const deadPID = math.MaxInt32

func (c crashable) Crash(t *testing.T) backup.Storage {
	t.Helper()
	markDead(t, c.dir)
	s, err := New(c.dir)
	if err != nil {
		t.Fatal(err)
	}
	return crashable{s}
}

// markDead rewrites the owner file of every pending directory with a pid
// that is not running.
func markDead(t *testing.T, dir string) {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(dir, pendingPrefix+"*", OwnerName))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range matches {
		if err := os.WriteFile(m, []byte(strconv.Itoa(deadPID)+"\n"), filePerm); err != nil {
			t.Fatal(err)
		}
	}
}

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := New(filepath.Join(t.TempDir(), "backups"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestContract(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) backup.Storage { return crashable{newStore(t)} })
}

func perm(t *testing.T, path string) os.FileMode {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Mode().Perm()
}

func manifestFor(id string, files map[string]int64) *backup.Manifest {
	m := &backup.Manifest{Version: backup.ManifestVersion, ID: id}
	for name, size := range files {
		m.Files = append(m.Files, backup.File{Name: name, StoredSize: size, Compression: backup.CompressionNone})
	}
	return m
}

func TestLayoutAndPermissions(t *testing.T) {
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "a", "b")
	s, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	if got := perm(t, root); got != 0o700 {
		t.Errorf("store directory mode = %o, want 700", got)
	}
	id := "20261129T030000Z"
	p, err := s.Begin(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	pd := p.(*pending).dir
	if base := filepath.Base(pd); !strings.HasPrefix(base, ".pending-"+id+"-") || filepath.Dir(pd) != root {
		t.Errorf("pending directory = %s, want %s/.pending-%s-RANDOM", pd, root, id)
	}
	owner, err := os.ReadFile(filepath.Join(pd, OwnerName))
	if err != nil || strings.TrimSpace(string(owner)) != strconv.Itoa(os.Getpid()) {
		t.Errorf("owner file = %q, %v; want this pid", owner, err)
	}
	w, err := p.Create(ctx, "appendonlydir/appendonly.aof.1.base.rdb")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("base"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Commit(ctx, manifestFor(id, map[string]int64{"appendonlydir/appendonly.aof.1.base.rdb": 4})); err != nil {
		t.Fatal(err)
	}
	final := filepath.Join(root, id)
	for path, want := range map[string]os.FileMode{
		final:                                 0o700,
		filepath.Join(final, "appendonlydir"): 0o700,
		filepath.Join(final, "appendonlydir/appendonly.aof.1.base.rdb"): 0o600,
		filepath.Join(final, backup.ManifestName):                       0o600,
	} {
		if got := perm(t, path); got != want {
			t.Errorf("mode of %s = %o, want %o", path, got, want)
		}
	}
	if _, err := os.Stat(pd); !os.IsNotExist(err) {
		t.Errorf("pending directory still exists after Commit: %v", err)
	}
	if _, err := os.Stat(filepath.Join(final, OwnerName)); !os.IsNotExist(err) {
		t.Errorf("the committed backup kept its owner file: %v", err)
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 {
		t.Errorf("store holds %d entries after one commit, want 1", len(entries))
	}
}

func TestCommitRefusesOpenWriter(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	p, err := s.Begin(ctx, "b1")
	if err != nil {
		t.Fatal(err)
	}
	w, err := p.Create(ctx, "dump.rdb")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Commit(ctx, manifestFor("b1", nil)); err == nil || !strings.Contains(err.Error(), "still open") {
		t.Errorf("Commit with an open writer = %v", err)
	}
	w.Close()
	if err := p.Commit(ctx, manifestFor("b1", map[string]int64{"dump.rdb": 0})); err != nil {
		t.Errorf("Commit after Close: %v", err)
	}
}

func TestCreateTwiceRefused(t *testing.T) {
	ctx := context.Background()
	p, err := newStore(t).Begin(ctx, "b1")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Abort(ctx)
	w, err := p.Create(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	for _, name := range []string{"x", OwnerName} {
		if _, err := p.Create(ctx, name); err == nil {
			t.Errorf("Create(%q) succeeded", name)
		}
	}
}

func TestCleanLeftovers(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	root := s.Dir()
	commitEmpty := func(id string) {
		p, err := s.Begin(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Commit(ctx, manifestFor(id, nil)); err != nil {
			t.Fatal(err)
		}
	}
	commitEmpty("20261129T030000Z")

	old := time.Now().Add(-2 * cleanGrace)
	mkdir := func(name string, mtime time.Time) string {
		d := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Join(d, "sub"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "sub", "f"), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(d, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return d
	}
	owned := func(d string, pid int) {
		if err := os.WriteFile(filepath.Join(d, OwnerName), []byte(strconv.Itoa(pid)), 0o600); err != nil {
			t.Fatal(err)
		}
		// Writing the owner file moves the directory's mtime; put it back.
		info, _ := os.Stat(filepath.Join(d, "sub"))
		os.Chtimes(d, info.ModTime(), info.ModTime())
	}

	keep := map[string]string{}
	gone := map[string]string{}
	// A live owner protects a pending directory however old it is.
	d := mkdir(".pending-20261129T040000Z-live", old)
	owned(d, os.Getpid())
	os.Chtimes(d, old, old)
	keep["live owner, old"] = d
	d = mkdir(".pending-20261129T050000Z-dead", time.Now())
	owned(d, deadPID)
	gone["dead owner, young"] = d
	// Without an owner file, only the age says anything.
	keep["no owner, young"] = mkdir(".pending-20261129T060000Z-new", time.Now())
	gone["no owner, old"] = mkdir(".pending-20261129T070000Z-old", old)
	d = mkdir(".pending-20261129T080000Z-junk", old)
	os.WriteFile(filepath.Join(d, OwnerName), []byte("not a pid"), 0o600)
	os.Chtimes(d, old, old)
	gone["unreadable owner, old"] = d
	gone["interrupted delete"] = mkdir(".deleting-20261120T030000Z-abc", time.Now())
	gone["backup without manifest"] = mkdir("20261121T030000Z", time.Now())
	// Not ours: left alone.
	keep["other hidden dir"] = mkdir(".snapshot", old)
	os.WriteFile(filepath.Join(root, "README"), []byte("backups"), 0o600)
	keep["regular file"] = filepath.Join(root, "README")

	n, err := s.Clean(ctx)
	if err != nil {
		t.Fatalf("Clean: %v", err)
	}
	if n != len(gone) {
		t.Errorf("Clean removed %d, want %d", n, len(gone))
	}
	for what, path := range gone {
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("%s: %s survived Clean", what, path)
		}
	}
	for what, path := range keep {
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s: %s was removed: %v", what, path, err)
		}
	}
	ids, err := s.List(ctx)
	if err != nil || len(ids) != 1 || ids[0] != "20261129T030000Z" {
		t.Errorf("List after Clean = %q, %v", ids, err)
	}
}

func TestCommitOverExistingDirectory(t *testing.T) {
	// Something already sits at DIR/ID (here an unexpected directory, as
	// another process committing the same id would leave): Commit refuses
	// with ErrExists and the backup stays pending and abortable.
	ctx := context.Background()
	s := newStore(t)
	p, err := s.Begin(ctx, "b1")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(s.Dir(), "b1", "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	err = p.Commit(ctx, manifestFor("b1", nil))
	if !errors.Is(err, backup.ErrExists) {
		t.Fatalf("Commit = %v, want ErrExists", err)
	}
	pd := p.(*pending).dir
	if _, err := os.Stat(filepath.Join(pd, backup.ManifestName)); !os.IsNotExist(err) {
		t.Errorf("a refused Commit left a manifest in the pending directory: %v", err)
	}
	if err := p.Abort(ctx); err != nil {
		t.Errorf("Abort: %v", err)
	}
	if _, err := os.Stat(pd); !os.IsNotExist(err) {
		t.Errorf("Abort left %s: %v", pd, err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "b1", "x")); err != nil {
		t.Errorf("the existing directory was touched: %v", err)
	}
}

func TestNewRefusesFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o600)
	if _, err := New(f); err == nil {
		t.Error("New over a regular file succeeded")
	}
	if _, err := New(""); err == nil {
		t.Error("New(\"\") succeeded")
	}
}
