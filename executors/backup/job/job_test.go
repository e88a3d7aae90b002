package job

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/owner"
	"github.com/redisplan/redisplan/internal/testwait"
)

// These tests take backups of a real redis-server into a fake of
// backup.Storage (redisplan's own interface), so that the storage can fail
// at one exact point. The backend contract itself is tested against real
// directories and a real S3 server in executors/backup/storagetest.

// fakeStorage keeps backups in memory and fails where it is told to.
type fakeStorage struct {
	mu sync.Mutex
	// cleanErr fails Clean.
	cleanErr error
	// failCreate fails Create of the artifact with this name.
	failCreate string
	// failAfter, when > 0, fails a write once an artifact holds this many
	// bytes, as a full disk does in the middle of a file.
	failAfter int
	// commitErr fails Commit.
	commitErr error

	calls     []string
	pending   *fakePending
	committed map[string]*backup.Manifest
}

var (
	_ backup.Storage = (*fakeStorage)(nil)
	_ backup.Pending = (*fakePending)(nil)
)

func (s *fakeStorage) record(call string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, call)
}

func (s *fakeStorage) List(context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id := range s.committed {
		ids = append(ids, id)
	}
	return ids, nil
}

func (s *fakeStorage) Begin(_ context.Context, id string) (backup.Pending, error) {
	s.record("begin")
	s.pending = &fakePending{s: s, id: id, files: map[string]*bytes.Buffer{}}
	return s.pending, nil
}

func (s *fakeStorage) Open(_ context.Context, id, name string) (io.ReadCloser, error) {
	return nil, errors.New("fakeStorage: Open is not used by a backup run")
}

func (s *fakeStorage) Delete(context.Context, string) error {
	s.record("delete")
	return errors.New("fakeStorage: a backup run deletes no backup")
}

func (s *fakeStorage) Clean(context.Context) (int, error) {
	s.record("clean")
	return 0, s.cleanErr
}

func (s *fakeStorage) Foreign(context.Context) ([]backup.Foreign, error) { return nil, nil }

func (s *fakeStorage) WriteNote(context.Context, string, string, []byte) error {
	return errors.New("fakeStorage: WriteNote is not used by a backup run")
}

func (s *fakeStorage) Size(context.Context, string, string) (int64, error) {
	return 0, errors.New("fakeStorage: Size is not used by a backup run")
}

// fakePending is one backup being written into a fakeStorage.
type fakePending struct {
	s       *fakeStorage
	id      string
	files   map[string]*bytes.Buffer
	aborted bool
}

func (p *fakePending) Create(_ context.Context, name string) (io.WriteCloser, error) {
	p.s.record("create " + name)
	if name == p.s.failCreate {
		return nil, fmt.Errorf("create %s: no space left on device", name)
	}
	b := &bytes.Buffer{}
	p.files[name] = b
	return &fakeWriter{b: b, failAfter: p.s.failAfter}, nil
}

func (p *fakePending) Commit(_ context.Context, m *backup.Manifest) error {
	p.s.record("commit")
	if p.s.commitErr != nil {
		return p.s.commitErr
	}
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	if p.s.committed == nil {
		p.s.committed = map[string]*backup.Manifest{}
	}
	p.s.committed[m.ID] = m
	return nil
}

func (p *fakePending) Abort(context.Context) error {
	p.s.record("abort")
	p.aborted = true
	clear(p.files)
	return nil
}

type fakeWriter struct {
	b         *bytes.Buffer
	failAfter int
}

func (w *fakeWriter) Write(p []byte) (int, error) {
	if w.failAfter > 0 && w.b.Len()+len(p) > w.failAfter {
		n := w.failAfter - w.b.Len()
		w.b.Write(p[:n])
		return n, errors.New("write: no space left on device")
	}
	return w.b.Write(p)
}

func (w *fakeWriter) Close() error { return nil }

// server starts a redis-server holding about 1 MB in 2000 keys.
func server(t *testing.T, config string) (*servertest.Server, *redis.Client) {
	t.Helper()
	s := servertest.Start(t, servertest.Options{Config: config})
	// A client made the way the CLI makes the run's.
	c, err := live.Dial(target(s).Connection)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	p := c.Pipeline()
	for i := range 2000 {
		p.Set(ctx, fmt.Sprintf("key:%d", i), strings.Repeat(fmt.Sprintf("%08d", i), 64), 0)
	}
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	return s, c
}

func target(s *servertest.Server, include ...string) *model.Target {
	return &model.Target{
		Name:       "main",
		Connection: model.Connection{Address: s.Addr(), Timeout: 10 * time.Second},
		Backup:     &model.Backup{Method: "bgsave", Include: include, Compression: "none"},
	}
}

func (s *fakeStorage) callList() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.calls, ", ")
}

// nothingKept fails the test unless the run committed nothing and
// aborted what it had begun.
func nothingKept(t *testing.T, store *fakeStorage) {
	t.Helper()
	if ids, _ := store.List(context.Background()); len(ids) != 0 {
		t.Errorf("the failed run committed backups %v", ids)
	}
	if store.pending != nil && (!store.pending.aborted || len(store.pending.files) != 0) {
		t.Errorf("the failed run's pending backup was not aborted (files left: %d); calls: %s", len(store.pending.files), store.callList())
	}
	if strings.Contains(store.callList(), "commit") && store.commitErr == nil {
		t.Errorf("the failed run called Commit; calls: %s", store.callList())
	}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// TestFullStorageMidwayKeepsNothing: the storage fails in the middle of
// the RDB; the run fails saying so, and the pending backup is aborted,
// never committed.
func TestFullStorageMidwayKeepsNothing(t *testing.T) {
	t.Parallel()
	s, c := server(t, "")
	store := &fakeStorage{failAfter: 64 << 10}
	_, err := Run(testContext(t), Request{Target: target(s, "rdb"), Storage: store, Client: c})
	if err == nil || !strings.Contains(err.Error(), "no space left on device") || !strings.Contains(err.Error(), "dump.rdb") {
		t.Fatalf("Run with the storage full midway = %v, want an error naming dump.rdb and the full disk", err)
	}
	if !strings.Contains(store.callList(), "create dump.rdb") {
		t.Fatalf("the run did not get to store the RDB (calls: %s): the test does not test a failure midway", store.callList())
	}
	nothingKept(t, store)
}

// TestFailureOnTheSecondFileKeepsNothing: with the RDB already stored, the
// AOF directory's first file cannot be created; the stored RDB goes with
// the aborted run.
func TestFailureOnTheSecondFileKeepsNothing(t *testing.T) {
	t.Parallel()
	s, c := server(t, "appendonly yes\n")
	ctx := testContext(t)
	testwait.For(t, time.Minute, "the AOF's first rewrite, which writes its base file, to end", func() (bool, error) {
		info, err := live.Info(ctx, c, "persistence")
		return err == nil && info["aof_rewrite_in_progress"] == "0" && info["aof_rewrite_scheduled"] == "0", err
	})
	store := &fakeStorage{failCreate: "appendonlydir/appendonly.aof.1.base.rdb"}
	_, err := Run(ctx, Request{Target: target(s, "rdb", "aof"), Storage: store, Client: c})
	if err == nil || !strings.Contains(err.Error(), "appendonly.aof.1.base.rdb") {
		t.Fatalf("Run with the AOF base file refused = %v, want an error naming it (calls: %s)", err, store.callList())
	}
	if !strings.Contains(store.callList(), "create dump.rdb") {
		t.Fatalf("the RDB was not stored before the failure (calls: %s)", store.callList())
	}
	nothingKept(t, store)
}

// TestFailedCommitAborts: the manifest cannot be committed; the run fails
// saying so and aborts the pending backup.
func TestFailedCommitAborts(t *testing.T) {
	t.Parallel()
	s, c := server(t, "")
	store := &fakeStorage{commitErr: errors.New("rename: input/output error")}
	_, err := Run(testContext(t), Request{Target: target(s, "rdb"), Storage: store, Client: c})
	if err == nil || !strings.Contains(err.Error(), "commit backup") || !strings.Contains(err.Error(), "input/output error") {
		t.Fatalf("Run with Commit failing = %v, want an error saying the commit failed", err)
	}
	if calls := store.callList(); !strings.HasSuffix(calls, "commit, abort") {
		t.Errorf("calls = %s, want the failed commit followed by an abort", calls)
	}
	nothingKept(t, store)
}

// TestOwnerIsInTheManifest: a backup records the owner it was taken for,
// so that prune and another spec's runs can tell it apart.
func TestOwnerIsInTheManifest(t *testing.T) {
	t.Parallel()
	s, c := server(t, "")
	store := &fakeStorage{}
	o := &owner.Owner{Spec: "/etc/redisplan/spec.hcl", Target: "main"}
	m, err := Run(testContext(t), Request{Target: target(s, "rdb"), Storage: store, Client: c, Owner: o})
	if err != nil {
		t.Fatal(err)
	}
	got := store.committed[m.ID]
	if got == nil || got.Owner == nil || *got.Owner != *o {
		t.Fatalf("committed manifest owner = %+v, want %+v", got, o)
	}
	if !got.Verified || len(got.Files) != 1 || got.Files[0].Name != "dump.rdb" || got.Keyspace[0].Keys != 2000 {
		t.Errorf("committed manifest = %+v, want one verified dump.rdb of 2000 keys", got)
	}
	if n := store.pending.files["dump.rdb"].Len(); int64(n) != got.Files[0].StoredSize {
		t.Errorf("stored %d bytes, the manifest says %d", n, got.Files[0].StoredSize)
	}
}

// TestRefusedAdmissionWritesNothing: when Admit refuses (a folder holding
// another spec's backups), the run ends before it cleans or writes
// anything in the storage.
func TestRefusedAdmissionWritesNothing(t *testing.T) {
	t.Parallel()
	s, c := server(t, "")
	store := &fakeStorage{}
	refusal := errors.New("the folder holds the backups of spec /srv/other.hcl")
	_, err := Run(testContext(t), Request{Target: target(s, "rdb"), Storage: store, Client: c,
		Admit: func(context.Context) error { return refusal }})
	if !errors.Is(err, refusal) {
		t.Fatalf("Run = %v, want Admit's refusal", err)
	}
	if calls := store.callList(); calls != "" {
		t.Errorf("the refused run touched the storage: %s", calls)
	}
}

// TestFailedCleanBeginsNothing: leftovers of earlier runs that cannot be
// cleaned stop the run before it begins a backup.
func TestFailedCleanBeginsNothing(t *testing.T) {
	t.Parallel()
	s, c := server(t, "")
	store := &fakeStorage{cleanErr: errors.New("permission denied")}
	_, err := Run(testContext(t), Request{Target: target(s, "rdb"), Storage: store, Client: c})
	if err == nil || !strings.Contains(err.Error(), "clean leftovers of earlier runs") || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("Run = %v, want the clean's failure", err)
	}
	if calls := store.callList(); calls != "clean" {
		t.Errorf("calls = %s, want only the failed clean", calls)
	}
}
