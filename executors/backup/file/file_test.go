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
// process writing its pending backups died, and plant data of its own.
type crashable struct{ *Store }

var (
	_ storagetest.Crasher = crashable{}
	_ storagetest.Planter = crashable{}
)

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

func (c crashable) Plant(t *testing.T, name string, data []byte) {
	t.Helper()
	p := filepath.Join(c.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func (c crashable) Planted(t *testing.T, name string) ([]byte, bool) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.dir, filepath.FromSlash(name)))
	return b, err == nil
}

// markDead rewrites the owner record of every pending directory with a
// pid that is not running.
func markDead(t *testing.T, dir string) {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(dir, pendingPrefix+"*"+ownerSuffix))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range matches {
		writeOwner(t, m, deadPID, "")
	}
}

// writeOwner writes an owner record at path for pid, with the run its
// name says.
func writeOwner(t *testing.T, path string, pid int, procStart string) {
	t.Helper()
	run, ok := runName(strings.TrimSuffix(filepath.Base(path), ownerSuffix))
	if !ok {
		t.Fatalf("%s is not an owner record's name", path)
	}
	o := backup.NewOwner(run, "backup")
	o.PID, o.ProcStart = pid, procStart
	if err := os.WriteFile(path, o.Marshal(), filePerm); err != nil {
		t.Fatal(err)
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
	rec, err := os.ReadFile(pd + ownerSuffix)
	if err != nil {
		t.Fatalf("no owner record beside the pending directory: %v", err)
	}
	run, _ := runName(filepath.Base(pd))
	if o, err := backup.ParseOwner(rec, run); err != nil || o.PID != os.Getpid() || o.ProcStart != backup.ProcStart(os.Getpid()) {
		t.Errorf("owner record = %q, %v; want this process", rec, err)
	}
	if got := perm(t, pd+ownerSuffix); got != 0o600 {
		t.Errorf("owner record mode = %o, want 600", got)
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
	if _, err := os.Stat(pd + ownerSuffix); !os.IsNotExist(err) {
		t.Errorf("the committed backup kept its owner record: %v", err)
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
	for _, name := range []string{"x", backup.ManifestName} {
		if _, err := p.Create(ctx, name); err == nil {
			t.Errorf("Create(%q) succeeded", name)
		}
	}
}

// TestCleanLeftovers: Clean removes a pending or deleting directory only
// through an owner record that parses and names a process that is gone;
// everything else stays, byte for byte, and Foreign names it.
func TestCleanLeftovers(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	root := s.Dir()
	p, err := s.Begin(ctx, "20261129T030000Z")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Commit(ctx, manifestFor("20261129T030000Z", nil)); err != nil {
		t.Fatal(err)
	}

	old := time.Now().Add(-48 * time.Hour)
	mkdir := func(name string) string {
		d := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Join(d, "sub"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "sub", "f"), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(d, old, old)
		return d
	}
	keep := map[string]string{}
	gone := map[string]string{}
	d := mkdir(".pending-20261129T040000Z-aaaaaaaaaaaa")
	writeOwner(t, d+ownerSuffix, os.Getpid(), backup.ProcStart(os.Getpid()))
	keep["live owner, old"] = d
	d = mkdir(".pending-20261129T050000Z-bbbbbbbbbbbb")
	writeOwner(t, d+ownerSuffix, deadPID, "")
	gone["dead owner"] = d
	if backup.ProcStart(os.Getpid()) != "" {
		d = mkdir(".pending-20261129T051000Z-cccccccccccc")
		writeOwner(t, d+ownerSuffix, os.Getpid(), "1")
		gone["owner's pid reused by another process"] = d
	}
	d = mkdir(".deleting-20261120T030000Z-dddddddddddd")
	writeOwner(t, d+ownerSuffix, deadPID, "")
	gone["interrupted delete"] = d
	// An owner record whose directory is already gone (a commit killed
	// before it removed the record) goes too.
	writeOwner(t, filepath.Join(root, ".pending-20261129T052000Z-eeeeeeeeeeee"+ownerSuffix), deadPID, "")
	gone["record without directory"] = filepath.Join(root, ".pending-20261129T052000Z-eeeeeeeeeeee"+ownerSuffix)

	// Without a record redisplan wrote, nothing is provable: left alone.
	keep["no record"] = mkdir(".pending-20261129T060000Z-ffffffffffff")
	d = mkdir(".pending-20261129T070000Z-old")
	os.WriteFile(filepath.Join(d, ".owner"), []byte(strconv.Itoa(deadPID)+"\n"), 0o600)
	keep["old format: a bare pid inside"] = d
	d = mkdir(".pending-20261129T080000Z-121212121212")
	os.WriteFile(d+ownerSuffix, []byte(strconv.Itoa(deadPID)), 0o600)
	keep["unreadable record"] = d
	d = mkdir(".pending-20261129T081000Z-343434343434")
	o := backup.NewOwner("565656565656", "backup")
	o.PID = deadPID
	os.WriteFile(d+ownerSuffix, o.Marshal(), 0o600)
	keep["record of another run"] = d
	keep["backup-like folder without manifest"] = mkdir("20261121T030000Z")
	keep["seed archive"] = mkdir("seed-archive")
	keep["other hidden dir"] = mkdir(".snapshot")
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
		if _, err := os.Lstat(path); !os.IsNotExist(err) {
			t.Errorf("%s: %s survived Clean", what, path)
		}
		if _, err := os.Lstat(path + ownerSuffix); !os.IsNotExist(err) && !strings.HasSuffix(path, ownerSuffix) {
			t.Errorf("%s: the record of %s survived Clean", what, path)
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

	foreign, err := s.Foreign(ctx)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, f := range foreign {
		names[f.Name] = f.Why
	}
	for what, path := range keep {
		name := filepath.Base(path)
		if info, _ := os.Stat(path); info != nil && info.IsDir() {
			name += "/"
		}
		_, listed := names[name]
		if listed == (what == "live owner, old") {
			t.Errorf("%s: Foreign lists %s: %v; want it listed unless it is redisplan's", what, name, listed)
		}
	}
	if why := names[".pending-20261129T070000Z-old/"]; !strings.Contains(why, "without an owner record") {
		t.Errorf("an old-format pending directory is explained as %q", why)
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

func TestIsOwnCheckState(t *testing.T) {
	for name, want := range map[string]bool{
		".check-state-0123456789ab.json":  true,
		".check-state.json":               false, // checkState itself, matched by name
		".check-state-0123456789AB.json":  false,
		".check-state-0123.json":          false,
		"0123456789ab.json":               false,
		".check-state-0123456789ab.jsonx": false,
	} {
		if got := isOwnCheckState(name); got != want {
			t.Errorf("isOwnCheckState(%q) = %v, want %v", name, got, want)
		}
	}
}
