// Package storagetest is the contract every backup.Storage backend
// passes. A backend's tests call Run with a constructor of empty storages:
//
//	func TestContract(t *testing.T) {
//		storagetest.Run(t, func(t *testing.T) backup.Storage { ... })
//	}
//
// One behaviour cannot be reached through backup.Storage alone: that Clean
// removes what a dead process left behind, but never what a live one is
// still writing. To check it, the storage under test (or a test wrapper
// around it) implements Crasher; without it that part of the contract is
// skipped with a note. Likewise, that Clean never removes what redisplan
// did not write (a folder of old backups parked in the destination) needs
// a way to put such data there: Planter.
package storagetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
)

// Crasher is implemented by a storage under test that can simulate the
// death of the process writing a backup.
type Crasher interface {
	// Crash makes every backup pending in the storage look as if the
	// process that began it had died without committing or aborting (for
	// the local directory: the owner file names a pid that is not
	// running), and returns a new Storage value over the same data, as the
	// next run of redisplan would open it.
	Crash(t *testing.T) backup.Storage
}

// Planter is implemented by a storage under test that can put data into
// the storage's directory (or prefix) the way a person or another tool
// would, beside redisplan's backups, and read it back.
type Planter interface {
	// Plant writes data at name, a slash-separated path relative to the
	// storage's root (for a directory: under it; for an object store: the
	// key under its prefix).
	Plant(t *testing.T, name string, data []byte)
	// Planted reads name back; ok is false when it is gone.
	Planted(t *testing.T, name string) (data []byte, ok bool)
}

// Run checks newStorage's backends against the contract. Every call of
// newStorage must return an empty storage of its own.
func Run(t *testing.T, newStorage func(t *testing.T) backup.Storage) {
	t.Helper()
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, backup.Storage)
	}{
		{"CommitThenRead", testCommitThenRead},
		{"Empty", testEmpty},
		{"InvisibleUntilCommit", testInvisibleUntilCommit},
		{"Abort", testAbort},
		{"NeverCommitted", testNeverCommitted},
		{"CommitTwice", testCommitTwice},
		{"CommitChecksArtifacts", testCommitChecksArtifacts},
		{"AbortAfterCommit", testAbortAfterCommit},
		{"Delete", testDelete},
		{"ListOldestFirst", testListOldestFirst},
		{"Subdirectories", testSubdirectories},
		{"BadIDs", testBadIDs},
		{"BadNames", testBadNames},
		{"CleanSparesLive", testCleanSparesLive},
		{"CleanRemovesDead", testCleanRemovesDead},
		{"CleanSparesForeign", testCleanSparesForeign},
		{"NotesAndSizes", testNotesAndSizes},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStorage(t))
		})
	}
}

// artifact is one file a test stores.
type artifact struct {
	name string
	data []byte
}

func randomBytes(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, 99))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// manifest returns a manifest for id listing the artifacts.
func manifest(id string, arts []artifact) *backup.Manifest {
	started := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
	m := &backup.Manifest{
		Version:          backup.ManifestVersion,
		ID:               id,
		Target:           "main",
		Method:           "bgsave",
		Started:          started,
		Finished:         started.Add(2 * time.Second),
		DurationSeconds:  2,
		RedisVersion:     "7.2.4",
		Keyspace:         map[int]backup.DBStats{0: {Keys: 10, Expires: 1}},
		RedisplanVersion: "test",
	}
	for _, a := range arts {
		m.Files = append(m.Files, backup.File{
			Name:        a.name,
			Original:    a.name,
			Kind:        backup.KindRDB,
			RawSize:     int64(len(a.data)),
			StoredSize:  int64(len(a.data)),
			Compression: backup.CompressionNone,
		})
	}
	return m
}

// write begins backup id and writes the artifacts, without committing.
func write(t *testing.T, s backup.Storage, id string, arts []artifact) backup.Pending {
	t.Helper()
	ctx := context.Background()
	p, err := s.Begin(ctx, id)
	if err != nil {
		t.Fatalf("Begin(%q): %v", id, err)
	}
	for _, a := range arts {
		w, err := p.Create(ctx, a.name)
		if err != nil {
			t.Fatalf("Create(%q): %v", a.name, err)
		}
		if _, err := w.Write(a.data); err != nil {
			t.Fatalf("write %s: %v", a.name, err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("close %s: %v", a.name, err)
		}
	}
	return p
}

// commit stores a complete backup.
func commit(t *testing.T, s backup.Storage, id string, arts []artifact) {
	t.Helper()
	p := write(t, s, id, arts)
	if err := p.Commit(context.Background(), manifest(id, arts)); err != nil {
		t.Fatalf("Commit(%q): %v", id, err)
	}
}

func list(t *testing.T, s backup.Storage) []string {
	t.Helper()
	ids, err := s.List(context.Background())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return ids
}

func wantList(t *testing.T, s backup.Storage, want ...string) {
	t.Helper()
	if got := list(t, s); !slices.Equal(got, want) {
		t.Fatalf("List = %q, want %q", got, want)
	}
}

func read(t *testing.T, s backup.Storage, id, name string) []byte {
	t.Helper()
	rc, err := s.Open(context.Background(), id, name)
	if err != nil {
		t.Fatalf("Open(%q, %q): %v", id, name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s/%s: %v", id, name, err)
	}
	return b
}

func wantNotExist(t *testing.T, s backup.Storage, id, name string) {
	t.Helper()
	rc, err := s.Open(context.Background(), id, name)
	if err == nil {
		rc.Close()
		t.Fatalf("Open(%q, %q) succeeded, want an error", id, name)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open(%q, %q) = %v, want an error wrapping fs.ErrNotExist", id, name, err)
	}
}

const id1, id2, id3 = "20261128T030000Z", "20261129T030000Z", "20261130T030000Z"

func testCommitThenRead(t *testing.T, s backup.Storage) {
	arts := []artifact{
		{"dump.rdb.zst", randomBytes(1, 300<<10)},
		{"small", []byte("x")},
		{"empty", nil},
	}
	commit(t, s, id1, arts)
	wantList(t, s, id1)
	for _, a := range arts {
		if got := read(t, s, id1, a.name); !bytes.Equal(got, a.data) {
			t.Errorf("Open(%s) read %d bytes that differ from the %d written", a.name, len(got), len(a.data))
		}
	}
	m, err := backup.ReadManifest(context.Background(), s, id1)
	if err != nil {
		t.Fatalf("ReadManifest: %v", err)
	}
	want := manifest(id1, arts)
	if m.ID != want.ID || !m.Started.Equal(want.Started) || m.TotalKeys() != want.TotalKeys() ||
		!reflect.DeepEqual(m.Files, want.Files) {
		t.Errorf("ReadManifest = %+v, want %+v", m, want)
	}
	wantNotExist(t, s, id1, "no-such-artifact")
	wantNotExist(t, s, id2, "dump.rdb.zst")
}

func testEmpty(t *testing.T, s backup.Storage) {
	wantList(t, s)
	n, err := s.Clean(context.Background())
	if err != nil || n != 0 {
		t.Errorf("Clean of an empty storage = %d, %v; want 0, nil", n, err)
	}
	if f, err := s.Foreign(context.Background()); err != nil || len(f) != 0 {
		t.Errorf("Foreign of an empty storage = %+v, %v; want nothing", f, err)
	}
	if _, err := backup.ReadManifest(context.Background(), s, id1); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadManifest of a missing backup = %v, want fs.ErrNotExist", err)
	}
}

func testInvisibleUntilCommit(t *testing.T, s backup.Storage) {
	arts := []artifact{{"dump.rdb", []byte("data")}}
	p := write(t, s, id1, arts)
	wantList(t, s)
	wantNotExist(t, s, id1, "dump.rdb")
	wantNotExist(t, s, id1, backup.ManifestName)
	if err := p.Commit(context.Background(), manifest(id1, arts)); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	wantList(t, s, id1)
}

func testAbort(t *testing.T, s backup.Storage) {
	ctx := context.Background()
	arts := []artifact{{"dump.rdb", []byte("data")}}
	p := write(t, s, id1, arts)
	if err := p.Abort(ctx); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	wantList(t, s)
	wantNotExist(t, s, id1, "dump.rdb")
	if err := p.Commit(ctx, manifest(id1, arts)); err == nil {
		t.Fatal("Commit after Abort succeeded")
	}
	wantList(t, s)
	if _, err := p.Create(ctx, "more"); err == nil {
		t.Error("Create after Abort succeeded")
	}
	// The id is free again.
	commit(t, s, id1, arts)
	wantList(t, s, id1)
}

func testNeverCommitted(t *testing.T, s backup.Storage) {
	write(t, s, id1, []artifact{{"dump.rdb", []byte("data")}})
	write(t, s, id2, nil)
	wantList(t, s)
	wantNotExist(t, s, id1, "dump.rdb")
}

func testCommitTwice(t *testing.T, s backup.Storage) {
	ctx := context.Background()
	first := []artifact{{"dump.rdb", []byte("first")}}
	second := []artifact{{"dump.rdb", []byte("second")}}
	p1 := write(t, s, id1, first)
	p2 := write(t, s, id1, second)
	if err := p1.Commit(ctx, manifest(id1, first)); err != nil {
		t.Fatalf("first Commit: %v", err)
	}
	err := p2.Commit(ctx, manifest(id1, second))
	if !errors.Is(err, backup.ErrExists) {
		t.Fatalf("second Commit of %s = %v, want backup.ErrExists", id1, err)
	}
	if err := p2.Abort(ctx); err != nil {
		t.Fatalf("Abort after a refused Commit: %v", err)
	}
	if err := p1.Commit(ctx, manifest(id1, first)); err == nil {
		t.Error("Commit of an already committed Pending succeeded")
	}
	wantList(t, s, id1)
	if got := read(t, s, id1, "dump.rdb"); string(got) != "first" {
		t.Errorf("the backup holds %q, want the first commit's %q", got, "first")
	}

	// Once complete, the id cannot be begun again, or at least not
	// committed.
	p3, err := s.Begin(ctx, id1)
	if err == nil {
		err = p3.Commit(ctx, manifest(id1, nil))
		p3.Abort(ctx)
	}
	if !errors.Is(err, backup.ErrExists) {
		t.Errorf("Begin+Commit of an existing id = %v, want backup.ErrExists", err)
	}
	if got := read(t, s, id1, "dump.rdb"); string(got) != "first" {
		t.Errorf("the backup holds %q, want %q", got, "first")
	}
}

func testCommitChecksArtifacts(t *testing.T, s backup.Storage) {
	ctx := context.Background()
	arts := []artifact{{"dump.rdb", []byte("data")}}
	p := write(t, s, id1, arts)
	m := manifest(id1, append(arts, artifact{"missing.rdb", []byte("x")}))
	if err := p.Commit(ctx, m); err == nil {
		t.Error("Commit of a manifest listing an artifact never written succeeded")
	}
	m = manifest(id1, arts)
	m.Files[0].StoredSize++
	if err := p.Commit(ctx, m); err == nil {
		t.Error("Commit of a manifest with a wrong stored size succeeded")
	}
	m = manifest(id2, arts)
	if err := p.Commit(ctx, m); err == nil {
		t.Error("Commit of a manifest for another id succeeded")
	}
	wantList(t, s)
	// A refused Commit leaves the backup pending and committable.
	if err := p.Commit(ctx, manifest(id1, arts)); err != nil {
		t.Fatalf("Commit after refused ones: %v", err)
	}
	wantList(t, s, id1)
}

func testAbortAfterCommit(t *testing.T, s backup.Storage) {
	ctx := context.Background()
	arts := []artifact{{"dump.rdb", []byte("data")}}
	p := write(t, s, id1, arts)
	if err := p.Commit(ctx, manifest(id1, arts)); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if err := p.Abort(ctx); err != nil {
		t.Errorf("Abort after Commit = %v, want nil (it is deferred after Commit)", err)
	}
	wantList(t, s, id1)
	if got := read(t, s, id1, "dump.rdb"); string(got) != "data" {
		t.Errorf("read %q after Abort, want %q", got, "data")
	}
}

func testDelete(t *testing.T, s backup.Storage) {
	ctx := context.Background()
	commit(t, s, id1, []artifact{{"dump.rdb", []byte("one")}})
	commit(t, s, id2, []artifact{{"dump.rdb", []byte("two")}, {"appendonlydir/appendonly.aof.1.base.rdb", []byte("b")}})
	if err := s.Delete(ctx, id2); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantList(t, s, id1)
	wantNotExist(t, s, id2, "dump.rdb")
	if got := read(t, s, id1, "dump.rdb"); string(got) != "one" {
		t.Errorf("the other backup holds %q", got)
	}
	if err := s.Delete(ctx, id2); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Delete of a deleted backup = %v, want fs.ErrNotExist", err)
	}
	if err := s.Delete(ctx, id3); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Delete of a missing backup = %v, want fs.ErrNotExist", err)
	}
	// The id can be used again.
	commit(t, s, id2, []artifact{{"dump.rdb", []byte("again")}})
	wantList(t, s, id1, id2)
	if n, err := s.Clean(ctx); err != nil || n != 0 {
		t.Errorf("Clean after Delete = %d, %v; want 0, nil", n, err)
	}
	if f, err := s.Foreign(ctx); err != nil || len(f) != 0 {
		t.Errorf("Foreign after Delete = %+v, %v; want nothing", f, err)
	}
}

func testListOldestFirst(t *testing.T, s backup.Storage) {
	ids := []string{"20261130T030000Z", "20251231T235959Z", "20261129T030000Z", "20261129T020000Z", "20260101T000000Z"}
	for _, id := range ids {
		commit(t, s, id, []artifact{{"dump.rdb", []byte(id)}})
	}
	want := slices.Sorted(slices.Values(ids))
	wantList(t, s, want...)
}

func testSubdirectories(t *testing.T, s backup.Storage) {
	arts := []artifact{
		{"appendonlydir/appendonly.aof.manifest", []byte("file appendonly.aof.1.base.rdb seq 1 type b\n")},
		{"appendonlydir/appendonly.aof.1.base.rdb.zst.age", randomBytes(2, 10<<10)},
		{"appendonlydir/appendonly.aof.1.incr.aof.zst.age", randomBytes(3, 1<<10)},
		{"a/b/c/deep", []byte("deep")},
		{"dump.rdb.zst.age", randomBytes(4, 5<<10)},
	}
	commit(t, s, id1, arts)
	for _, a := range arts {
		if got := read(t, s, id1, a.name); !bytes.Equal(got, a.data) {
			t.Errorf("Open(%s) read different bytes", a.name)
		}
	}
}

var badIDs = []string{"", ".", "..", "../x", "../../etc", "a/b", "/abs", "x/..", ".pending-x", "a\x00b", "a\\b"}

func testBadIDs(t *testing.T, s backup.Storage) {
	ctx := context.Background()
	commit(t, s, id1, []artifact{{"dump.rdb", []byte("keep")}})
	for _, id := range badIDs {
		if p, err := s.Begin(ctx, id); err == nil {
			p.Abort(ctx)
			t.Errorf("Begin(%q) succeeded", id)
		}
		if rc, err := s.Open(ctx, id, "dump.rdb"); err == nil {
			rc.Close()
			t.Errorf("Open(%q) succeeded", id)
		}
		if err := s.Delete(ctx, id); err == nil {
			t.Errorf("Delete(%q) succeeded", id)
		}
	}
	if rc, err := s.Open(ctx, id1+"/..", id1+"/dump.rdb"); err == nil {
		rc.Close()
		t.Errorf("Open through %q succeeded", id1+"/..")
	}
	wantList(t, s, id1)
	if got := read(t, s, id1, "dump.rdb"); string(got) != "keep" {
		t.Errorf("read %q", got)
	}
}

var badNames = []string{"", ".", "..", "../x", "../" + id2 + "/dump.rdb", "a/../../x", "/etc/passwd", "a//b", "a/./b", "dir/", "a\\b", "a\x00b"}

func testBadNames(t *testing.T, s backup.Storage) {
	ctx := context.Background()
	p, err := s.Begin(ctx, id1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Abort(ctx)
	for _, name := range append(badNames, backup.ManifestName) {
		if w, err := p.Create(ctx, name); err == nil {
			w.Close()
			t.Errorf("Create(%q) succeeded", name)
		}
	}
	if err := p.Commit(ctx, manifest(id1, nil)); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	for _, name := range badNames {
		if rc, err := s.Open(ctx, id1, name); err == nil {
			rc.Close()
			t.Errorf("Open(%q) succeeded", name)
		}
	}
}

func testCleanSparesLive(t *testing.T, s backup.Storage) {
	ctx := context.Background()
	commit(t, s, id1, []artifact{{"dump.rdb", []byte("done")}})
	arts := []artifact{{"dump.rdb", []byte("in progress")}, {"appendonlydir/x.aof", []byte("aof")}}
	p := write(t, s, id2, arts)
	n, err := s.Clean(ctx)
	if err != nil {
		t.Fatalf("Clean: %v", err)
	}
	if n != 0 {
		t.Errorf("Clean removed %d things while a backup was being written and nothing was left over", n)
	}
	if err := p.Commit(ctx, manifest(id2, arts)); err != nil {
		t.Fatalf("Commit after Clean: %v", err)
	}
	wantList(t, s, id1, id2)
	if got := read(t, s, id2, "appendonlydir/x.aof"); string(got) != "aof" {
		t.Errorf("read %q", got)
	}
}

func testCleanRemovesDead(t *testing.T, s backup.Storage) {
	c, ok := s.(Crasher)
	if !ok {
		t.Skipf("%T does not implement storagetest.Crasher", s)
	}
	ctx := context.Background()
	commit(t, s, id1, []artifact{{"dump.rdb", []byte("done")}})
	// Left behind by a run that died: begun, written, never finished.
	write(t, s, id2, []artifact{{"dump.rdb", randomBytes(5, 64<<10)}, {"appendonlydir/x.aof", []byte("aof")}})
	write(t, s, id3, nil)

	fresh := c.Crash(t)
	wantList(t, fresh, id1)
	n, err := fresh.Clean(ctx)
	if err != nil {
		t.Fatalf("Clean: %v", err)
	}
	if n != 2 {
		t.Errorf("Clean removed %d, want the 2 abandoned backups", n)
	}
	if n, err := fresh.Clean(ctx); err != nil || n != 0 {
		t.Errorf("second Clean = %d, %v; want 0, nil", n, err)
	}
	wantList(t, fresh, id1)
	if got := read(t, fresh, id1, "dump.rdb"); string(got) != "done" {
		t.Errorf("the complete backup holds %q after Clean", got)
	}
	// The ids of the dead runs can be used.
	commit(t, fresh, id2, []artifact{{"dump.rdb", []byte("retry")}})
	wantList(t, fresh, id1, id2)
}

// foreignData is what a person might keep in a target's destination: the
// old backups of the scripts redisplan replaces, notes, and things whose
// names look like redisplan's (a folder named like a backup ID, one named
// like a pending run, a run-like prefix inside either) but that no owner
// record or manifest claims.
var foreignData = map[string][]byte{
	"seed-archive/dump-20261101.rdb.gz":                     randomBytes(7, 3<<10),
	"seed-archive/dump-20261101.json":                       []byte(`{"keys": 5000}`),
	"seed-archive/0123456789abcdef/dump.rdb":                []byte("looks like a run"),
	"README":                                                []byte("old backups are in seed-archive/\n"),
	"20261101T000000Z/notes.txt":                            []byte("a folder named like a backup"),
	"20261102T000000Z/0123456789abcdef/dump.rdb":            []byte("a run-like prefix without an owner"),
	".pending-20261103T000000Z-0123456789ab/dump.rdb":       []byte("pending-like, without an owner record"),
	".deleting-20261104T000000Z-0123456789ab/manifest.json": []byte("{}"),
}

func testCleanSparesForeign(t *testing.T, s backup.Storage) {
	p, ok := s.(Planter)
	if !ok {
		t.Skipf("%T does not implement storagetest.Planter", s)
	}
	ctx := context.Background()
	for name, data := range foreignData {
		p.Plant(t, name, data)
	}
	commit(t, s, id1, []artifact{{"dump.rdb", []byte("done")}})
	dead := 0
	if c, ok := s.(Crasher); ok {
		write(t, s, id2, []artifact{{"dump.rdb", []byte("killed")}})
		s = c.Crash(t)
		p = s.(Planter)
		dead = 1
	}
	live := write(t, s, id3, []artifact{{"dump.rdb", []byte("in progress")}})

	for round := 1; round <= 2; round++ {
		n, err := s.Clean(ctx)
		if err != nil {
			t.Fatalf("Clean: %v", err)
		}
		if want := map[int]int{1: dead, 2: 0}[round]; n != want {
			t.Errorf("Clean #%d removed %d, want %d (only the dead run is redisplan's to remove)", round, n, want)
		}
	}
	for name, data := range foreignData {
		got, ok := p.Planted(t, name)
		if !ok {
			t.Errorf("Clean removed %s, which redisplan did not write", name)
		} else if !bytes.Equal(got, data) {
			t.Errorf("Clean changed %s", name)
		}
	}
	wantList(t, s, id1)

	foreign, err := s.Foreign(ctx)
	if err != nil {
		t.Fatalf("Foreign: %v", err)
	}
	for name := range foreignData {
		found := false
		for _, f := range foreign {
			if strings.HasPrefix(name, f.Name) && f.Why != "" {
				found = true
			}
		}
		if !found {
			t.Errorf("Foreign = %+v: nothing names %s", foreign, name)
		}
	}
	for _, f := range foreign {
		for _, id := range []string{id1, id2, id3} {
			if strings.Contains(f.Name, id) {
				t.Errorf("Foreign lists %q, which is redisplan's (backup %s)", f.Name, id)
			}
		}
	}
	if err := live.Commit(ctx, manifest(id3, []artifact{{"dump.rdb", []byte("in progress")}})); err != nil {
		t.Fatalf("Commit of the run that Clean had to spare: %v", err)
	}
	wantList(t, s, id1, id3)
	if foreign, err := s.Foreign(ctx); err != nil || len(foreign) == 0 {
		t.Errorf("Foreign after the commit = %+v, %v", foreign, err)
	}
}

// testNotesAndSizes: a note is written beside a complete backup, replaced
// whole, read with Open, left alone by List and Clean, and removed by
// Delete; Size gives an artifact's stored size without reading it.
func testNotesAndSizes(t *testing.T, s backup.Storage) {
	ctx := context.Background()
	commit(t, s, id1, []artifact{{"dump.rdb", []byte("twelve bytes")}, {"appendonlydir/appendonly.aof.1.incr.aof", nil}})
	if n, err := s.Size(ctx, id1, "dump.rdb"); err != nil || n != 12 {
		t.Errorf("Size(dump.rdb) = %d, %v; want 12", n, err)
	}
	if n, err := s.Size(ctx, id1, "appendonlydir/appendonly.aof.1.incr.aof"); err != nil || n != 0 {
		t.Errorf("Size of an empty artifact = %d, %v; want 0", n, err)
	}
	if _, err := s.Size(ctx, id1, "missing.rdb"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Size of a missing artifact = %v, want fs.ErrNotExist", err)
	}
	if _, err := s.Size(ctx, id2, "dump.rdb"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Size in a missing backup = %v, want fs.ErrNotExist", err)
	}
	if err := s.WriteNote(ctx, id2, backup.VerificationName, []byte("x")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("WriteNote to a missing backup = %v, want fs.ErrNotExist", err)
	}
	for _, bad := range []string{backup.ManifestName, "../x", "a/b", ""} {
		if err := s.WriteNote(ctx, id1, bad, []byte("x")); err == nil {
			t.Errorf("WriteNote(%q) was accepted", bad)
		}
	}
	for _, note := range []string{"first record", "second"} {
		if err := s.WriteNote(ctx, id1, backup.VerificationName, []byte(note)); err != nil {
			t.Fatalf("WriteNote: %v", err)
		}
		if got := read(t, s, id1, backup.VerificationName); string(got) != note {
			t.Errorf("note = %q, want %q", got, note)
		}
	}
	if got := read(t, s, id1, "dump.rdb"); string(got) != "twelve bytes" {
		t.Errorf("the artifact beside the note holds %q", got)
	}
	wantList(t, s, id1)
	if n, err := s.Clean(ctx); err != nil || n != 0 {
		t.Errorf("Clean with a note = %d, %v; want 0, nil", n, err)
	}
	wantList(t, s, id1)
	if err := s.Delete(ctx, id1); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	commit(t, s, id1, []artifact{{"dump.rdb", []byte("again")}})
	wantNotExist(t, s, id1, backup.VerificationName)
}
