package backup

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestRunNames(t *testing.T) {
	for _, n := range []int{6, 8} {
		r, err := NewRun(n)
		if err != nil {
			t.Fatal(err)
		}
		if !ValidRun(r, n) {
			t.Errorf("NewRun(%d) = %q, which ValidRun refuses", n, r)
		}
	}
	for _, bad := range []string{"", "0123456789a", "0123456789abc", "0123456789AB", "0123456789ag", "01234567/9ab"} {
		if ValidRun(bad, 6) {
			t.Errorf("ValidRun(%q, 6) = true", bad)
		}
	}
}

// TestArtifacts checks the bookkeeping both storages rely on: one writer
// per name, a name written once, no commit while a writer is open or
// without every artifact the manifest lists, nothing after an abort.
func TestArtifacts(t *testing.T) {
	ctx := context.Background()
	a := Artifacts[*int]{ID: "20260101T000000Z"}
	w1, w2 := new(int), new(int)
	if err := a.CheckNew(ManifestName); err == nil || !strings.Contains(err.Error(), "reserved") {
		t.Errorf("CheckNew(%s) = %v, want reserved", ManifestName, err)
	}
	if err := a.CheckNew("dump.rdb"); err != nil {
		t.Fatal(err)
	}
	a.Opened("dump.rdb", w1)
	if err := a.CheckNew("dump.rdb"); err == nil || !strings.Contains(err.Error(), "already being written") {
		t.Errorf("CheckNew of an open artifact = %v", err)
	}
	m := &Manifest{Version: ManifestVersion, ID: a.ID, Files: []File{{Name: "dump.rdb", StoredSize: 3}}}
	if err := a.ReadyToCommit(ctx, m); err == nil || !strings.Contains(err.Error(), "still open") {
		t.Errorf("ReadyToCommit with an open writer = %v", err)
	}
	// Another writer of the same name closing does not close the first.
	if err := a.Closed("dump.rdb", w2, 0, "write", errors.New("disk full")); err == nil || !strings.Contains(err.Error(), "write dump.rdb: disk full") {
		t.Errorf("Closed with an error = %v", err)
	}
	if err := a.ReadyToCommit(ctx, m); err == nil || !strings.Contains(err.Error(), "still open") {
		t.Errorf("ReadyToCommit after another writer closed = %v", err)
	}
	if err := a.Closed("dump.rdb", w1, 3, "write", nil); err != nil {
		t.Fatal(err)
	}
	if err := a.CheckNew("dump.rdb"); err == nil || !strings.Contains(err.Error(), "already written") {
		t.Errorf("CheckNew of a written artifact = %v", err)
	}
	if err := a.ReadyToCommit(ctx, m); err != nil {
		t.Errorf("ReadyToCommit = %v", err)
	}

	b := Artifacts[*int]{ID: "20260101T000001Z"}
	b.Opened("dump.rdb", w1)
	open, ok := b.Abort()
	if !ok || len(open) != 1 || open[0] != w1 {
		t.Errorf("Abort = %v, %v; want the open writer", open, ok)
	}
	if err := b.Closed("dump.rdb", w1, 3, "write", nil); err == nil || !strings.Contains(err.Error(), "aborted") {
		t.Errorf("Closed after Abort = %v", err)
	}
	if _, ok := b.Abort(); ok {
		t.Error("a second Abort did something")
	}
	if err := b.CheckNew("other"); err == nil || !strings.Contains(err.Error(), "aborted") {
		t.Errorf("CheckNew after Abort = %v", err)
	}
}

// TestArtifactsStorageSteps: a writer whose start fails is not recorded,
// and a backup counts as committed only once the storage has stored its
// manifest: after a failed store, the commit can be tried again, and once
// committed, a deferred abort does nothing.
func TestArtifactsStorageSteps(t *testing.T) {
	ctx := context.Background()
	var a Artifacts[*int]
	a.ID = "20260101T000002Z"
	if _, err := a.Create("dump.rdb", func() (*int, error) { return nil, errors.New("no space") }); err == nil {
		t.Fatal("Create passed on a writer that did not start")
	}
	w := new(int)
	if _, err := a.Create("dump.rdb", func() (*int, error) { return w, nil }); err != nil {
		t.Fatalf("Create after a failed start = %v", err)
	}
	if err := a.Close("dump.rdb", w, 5, "write", nil); err != nil {
		t.Fatal(err)
	}
	m := &Manifest{Version: ManifestVersion, ID: a.ID, Files: []File{{Name: "dump.rdb", StoredSize: 5}}}
	stored := 0
	refuse := func() error { return nil }
	fail := func([]byte) error { stored++; return errors.New("disk gone") }
	if err := a.Commit(ctx, m, refuse, fail); err == nil || stored != 1 {
		t.Fatalf("Commit with a failing store = %v after %d stores", err, stored)
	}
	if err := a.Commit(ctx, m, refuse, func([]byte) error { stored++; return nil }); err != nil || stored != 2 {
		t.Fatalf("Commit = %v after %d stores", err, stored)
	}
	if _, ok := a.Discard(); ok {
		t.Fatal("a committed backup was discarded")
	}
}
