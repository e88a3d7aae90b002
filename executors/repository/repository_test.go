package repository

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/backup/storagetest"
	"github.com/redisplan/redisplan/internal/model"
)

func TestLayout(t *testing.T) {
	tg := &model.Target{Name: `cache["eu"]`, Backup: &model.Backup{Destination: "/mnt/backups"}}
	if got := FileName(tg.Name); got != "cache-eu" {
		t.Errorf("FileName = %q, want cache-eu", got)
	}
	if got, want := Path(tg, ""), filepath.Join("/mnt/backups", "cache-eu")+string(os.PathSeparator); got != want {
		t.Errorf("Path(dir) = %q, want %q", got, want)
	}
	if got, want := Path(tg, "s3://bucket/fleet/"), "s3://bucket/fleet/cache-eu/"; got != want {
		t.Errorf("Path(s3) = %q, want %q", got, want)
	}
}

// The storage Open gives for a directory passes the storage contract, at
// the target's folder.
func TestOpenDirectoryStorageContract(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) backup.Storage {
		dir := t.TempDir()
		r := open(t, testTarget(dir), "")
		if want := filepath.Join(dir, "backups", "main") + string(os.PathSeparator); r.Path() != want {
			t.Fatalf("Path = %q, want %q", r.Path(), want)
		}
		return r.Storage
	})
}

func TestOpenRequireDestinationCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	tg := testTarget(dir)
	tg.Backup.RequireDestination = true
	_, err := Open(tg, "")
	if err == nil || !strings.Contains(err.Error(), "require_destination = true") || !strings.Contains(err.Error(), "nothing was written") {
		t.Fatalf("Open of a missing required destination: %v, want a refusal naming require_destination", err)
	}
	if exists(t, tg.Backup.Destination) {
		t.Errorf("Open created %s", tg.Backup.Destination)
	}
	// Once the disk is there, only the target's folder is made in it.
	if err := os.Mkdir(tg.Backup.Destination, 0o700); err != nil {
		t.Fatal(err)
	}
	r := open(t, tg, "")
	put(t, r, stored{id: "b1", verified: true, keys: 1})
	if !exists(t, filepath.Join(tg.Backup.Destination, "main", "b1")) {
		t.Errorf("backup b1 is not in the target's folder")
	}
}

func TestOpenWithoutBackupBlock(t *testing.T) {
	_, err := Open(&model.Target{Name: "main"}, "")
	if err == nil || !strings.Contains(err.Error(), "no backup block") {
		t.Fatalf("Open = %v, want an error naming the missing backup block", err)
	}
}

// List shows the target's backups (its own, and those that record no
// owner), and names another spec's backups and a folder that is not
// redisplan's as left alone.
func TestListSeparatesOwnOthersAndForeign(t *testing.T) {
	dir := t.TempDir()
	tg := testTarget(dir)
	r := open(t, tg, "")
	put(t, r, stored{id: "20261101T000000.000Z", age: 72, verified: true, keys: 1})
	put(t, r, stored{id: "20261102T000000.000Z", age: 48, verified: true, keys: 1, owner: otherSpec(dir)})
	put(t, r, stored{id: "20261103T000000.000Z", age: 24, verified: true, keys: 1, owner: Owner(tg)})
	parked := filepath.Join(dir, "backups", "main", "old-script-backups")
	if err := os.MkdirAll(parked, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(parked, "dump.rdb.gz"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}

	l, err := r.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(l.Backups), []string{"20261101T000000.000Z", "20261103T000000.000Z"}; !slices.Equal(got, want) {
		t.Errorf("Backups = %v, want %v", got, want)
	}
	var foreign, theirs *Foreign
	for i, f := range l.LeftAlone {
		switch {
		case strings.HasSuffix(f.Path, "old-script-backups/"):
			foreign = &l.LeftAlone[i]
		case strings.HasSuffix(f.Path, "20261102T000000.000Z"):
			theirs = &l.LeftAlone[i]
		}
	}
	if foreign == nil || foreign.Owner != "" || !strings.HasPrefix(foreign.Path, r.Path()) {
		t.Errorf("left alone %+v: want the parked folder under %s, with no owner", l.LeftAlone, r.Path())
	}
	if theirs == nil || !strings.Contains(theirs.Owner, filepath.Join(dir, "other", "spec.hcl")) {
		t.Errorf("left alone %+v: want the other spec's backup with its owner", l.LeftAlone)
	}
}

func TestPick(t *testing.T) {
	dir := t.TempDir()
	tg := testTarget(dir)
	claim := Claim(tg)
	own := func(id string, verified bool) *backup.Manifest {
		return &backup.Manifest{ID: id, Verified: verified, Owner: Owner(tg)}
	}
	theirs := &backup.Manifest{ID: "theirs", Verified: true, Owner: otherSpec(dir)}
	damaged := own("damaged", true)
	damaged.Problem = "dump.rdb is missing"
	for _, tc := range []struct {
		name    string
		ms      []*backup.Manifest
		which   string
		o       PickOptions
		want    string
		notes   []string
		wantErr string
	}{
		{name: "latest is the newest", ms: []*backup.Manifest{own("a", true), own("b", false)}, want: "b"},
		{name: "latest usable passes over the unverified and the damaged", ms: []*backup.Manifest{own("a", true), damaged, own("c", false)},
			o: PickOptions{Usable: true}, want: "a",
			notes: []string{"skipped backup c: not verified when taken", "skipped backup damaged: dump.rdb is missing"}},
		{name: "latest never picks another spec's", ms: []*backup.Manifest{own("a", true), theirs}, o: PickOptions{Usable: true}, want: "a"},
		{name: "none usable", ms: []*backup.Manifest{own("c", false)}, o: PickOptions{Usable: true}, wantErr: "none of the 1 backups of this target is usable"},
		{name: "only another spec's", ms: []*backup.Manifest{theirs}, wantErr: "the 1 there are another spec's"},
		{name: "empty", wantErr: "there are no backups"},
		{name: "an ID", ms: []*backup.Manifest{own("a", true), own("b", true)}, which: "a", want: "a"},
		{name: "an unknown ID", ms: []*backup.Manifest{own("a", true)}, which: "z", wantErr: "no backup with id z"},
		{name: "another spec's ID is refused", ms: []*backup.Manifest{theirs}, which: "theirs", wantErr: "Pass -from-other-spec"},
		{name: "another spec's ID when allowed", ms: []*backup.Manifest{theirs}, which: "theirs", o: PickOptions{OtherSpec: true}, want: "theirs",
			notes: []string{"backup theirs is another spec's (spec " + otherSpec(dir).Spec + `, target "main")`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, notes, err := pick(tc.ms, tc.which, claim, tc.o)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.ID != tc.want {
				t.Errorf("picked %s, want %s", m.ID, tc.want)
			}
			if !slices.Equal(notes, tc.notes) {
				t.Errorf("notes = %q, want %q", notes, tc.notes)
			}
		})
	}
}

// Prune deletes what no rule keeps among the target's backups only: the
// newest verified backup stays whatever the rules say, and another spec's
// backups and a folder that is not redisplan's are left alone. A dry run
// deletes nothing.
func TestPruneRules(t *testing.T) {
	dir := t.TempDir()
	tg := testTarget(dir)
	tg.Backup.Retention = model.Retention{KeepLast: 1}
	r := open(t, tg, "")
	put(t, r, stored{id: "20261101T000000.000Z", age: 96, verified: true, keys: 5, owner: Owner(tg)})
	put(t, r, stored{id: "20261102T000000.000Z", age: 72, verified: true, keys: 5, owner: Owner(tg)})
	put(t, r, stored{id: "20261103T000000.000Z", age: 60, verified: true, keys: 5, owner: otherSpec(dir)})
	put(t, r, stored{id: "20261104T000000.000Z", age: 48, verified: false, keys: 5, owner: Owner(tg)})
	parked := filepath.Join(dir, "backups", "main", "manual")
	if err := os.MkdirAll(parked, 0o700); err != nil {
		t.Fatal(err)
	}

	res, err := r.Prune(context.Background(), now, true)
	if err != nil {
		t.Fatal(err)
	}
	if res.Deleted != 0 || len(catalog(t, r)) != 4 {
		t.Fatalf("dry run deleted %d, catalog %v", res.Deleted, catalog(t, r))
	}
	if len(res.LeftAlone) != 2 {
		t.Errorf("left alone %+v, want the other spec's backup and the manual folder", res.LeftAlone)
	}

	res, err = r.Prune(context.Background(), now, false)
	if err != nil {
		t.Fatal(err)
	}
	keep := map[string]string{}
	for _, d := range res.Decisions {
		if d.Keep {
			keep[d.ID] = strings.Join(d.Reasons, ", ")
		}
	}
	if _, ok := keep["20261102T000000.000Z"]; !ok {
		t.Errorf("the newest verified backup is not kept: %v", keep)
	}
	if _, ok := keep["20261104T000000.000Z"]; !ok {
		t.Errorf("keep_last 1 does not keep the newest: %v", keep)
	}
	want := []string{"20261102T000000.000Z", "20261103T000000.000Z", "20261104T000000.000Z"}
	if got := catalog(t, r); !slices.Equal(got, want) || res.Deleted != 1 {
		t.Errorf("after prune the folder holds %v (deleted %d), want %v", got, res.Deleted, want)
	}
	if !exists(t, parked) {
		t.Errorf("prune removed %s, which is not redisplan's", parked)
	}
}

// catalog is every complete backup in r's folder, whoever's.
func catalog(t *testing.T, r *Repository) []string {
	t.Helper()
	ms, err := backup.LoadCatalog(context.Background(), r.Storage)
	if err != nil {
		t.Fatal(err)
	}
	return ids(ms)
}

func TestRefuseShared(t *testing.T) {
	dir := t.TempDir()
	tg := testTarget(dir)
	r := open(t, tg, "")
	put(t, r, stored{id: "20261101T000000.000Z", verified: true, keys: 1, owner: Owner(tg)})
	if err := r.RefuseShared(context.Background()); err != nil {
		t.Fatalf("a folder of the target's own backups is refused: %v", err)
	}
	put(t, r, stored{id: "20261102T000000.000Z", verified: true, keys: 1, owner: otherSpec(dir)})
	err := r.RefuseShared(context.Background())
	if err == nil || !strings.Contains(err.Error(), "another spec's target") || !strings.Contains(err.Error(), "previous_specs") {
		t.Fatalf("RefuseShared = %v, want a refusal that says how to resolve it", err)
	}
}

// CopyTo puts a checked copy in each copy_to destination, finds it there
// the second time, and refuses a copy_to folder that holds another spec's
// backups, while still copying to the others.
func TestCopyTo(t *testing.T) {
	dir := t.TempDir()
	tg := testTarget(dir)
	good, shared := filepath.Join(dir, "offsite"), filepath.Join(dir, "shared")
	tg.Backup.CopyTo = []string{good, shared}
	r := open(t, tg, "")
	m := put(t, r, stored{id: "20261101T000000.000Z", verified: true, keys: 1, owner: Owner(tg)})
	put(t, open(t, tg, shared), stored{id: "20261001T000000.000Z", verified: true, keys: 1, owner: otherSpec(dir)})

	res := r.CopyTo(context.Background(), m, nil)
	if len(res) != 2 || res[0].Err != nil || res[0].Existed || res[0].Bytes == 0 {
		t.Fatalf("copy to %s: %+v", good, res)
	}
	if res[1].Err == nil || !strings.Contains(res[1].Err.Error(), shared) || !strings.Contains(res[1].Err.Error(), "another spec's target") {
		t.Errorf("copy to a shared folder: %v, want a refusal naming it", res[1].Err)
	}
	if got := catalog(t, open(t, tg, good)); !slices.Equal(got, []string{m.ID}) {
		t.Errorf("offsite holds %v", got)
	}
	if got := catalog(t, open(t, tg, shared)); slices.Contains(got, m.ID) {
		t.Errorf("the backup was copied into another spec's folder")
	}
	if res := r.CopyTo(context.Background(), m, nil); !res[0].Existed || res[0].Err != nil {
		t.Errorf("second copy: %+v, want the copy found there", res[0])
	}
}

// A failed check is recorded, and the backup stops counting as verified;
// an interrupted check or one without the key records nothing.
func TestVerifyRecords(t *testing.T) {
	dir := t.TempDir()
	tg := testTarget(dir)
	r := open(t, tg, "")
	m := put(t, r, stored{id: "20261101T000000.000Z", verified: true, keys: 1})
	ctx := context.Background()

	usable := func() bool {
		t.Helper()
		own, _, err := r.Catalog(ctx)
		if err != nil || len(own) != 1 {
			t.Fatalf("catalog: %v %v", own, err)
		}
		return own[0].Usable()
	}
	noKey := func(context.Context) error { return backup.ErrIdentity }
	if verr, rerr := r.Verify(ctx, m, noKey); !errors.Is(verr, backup.ErrIdentity) || rerr != nil || !usable() {
		t.Fatalf("a check without the key: %v %v, usable %v", verr, rerr, usable())
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, rerr := r.Verify(cancelled, m, func(ctx context.Context) error { return ctx.Err() }); rerr != nil || !usable() {
		t.Fatalf("an interrupted check: %v, usable %v", rerr, usable())
	}
	bad := errors.New("dump.rdb: checksum mismatch")
	if verr, rerr := r.Verify(ctx, m, func(context.Context) error { return bad }); verr != bad || rerr != nil {
		t.Fatalf("Verify = %v, %v", verr, rerr)
	}
	if usable() {
		t.Errorf("a backup that failed verification still counts as verified")
	}
	if _, rerr := r.Verify(ctx, m, func(context.Context) error { return nil }); rerr != nil || !usable() {
		t.Errorf("a later passing verification: %v, usable %v", rerr, usable())
	}
}

// failingDelete is a storage whose Delete of one backup fails.
type failingDelete struct {
	backup.Storage
	id string
}

func (f failingDelete) Delete(ctx context.Context, id string) error {
	if id == f.id {
		return errors.New("permission denied")
	}
	return f.Storage.Delete(ctx, id)
}

// A deletion that fails stops the prune there: the result lists the
// decisions up to the failed one, the error names it, and the backups
// after it are untouched.
func TestPruneStopsAtFailedDelete(t *testing.T) {
	dir := t.TempDir()
	tg := testTarget(dir)
	tg.Backup.Retention = model.Retention{KeepLast: 1}
	r := open(t, tg, "")
	for i, age := range []time.Duration{96, 72, 48, 24} {
		put(t, r, stored{id: fmt.Sprintf("2026110%dT000000.000Z", i+1), age: age * time.Hour, verified: true, keys: 1})
	}
	r.Storage = failingDelete{r.Storage, "20261103T000000.000Z"}
	res, err := r.Prune(context.Background(), now, false)
	if err == nil || !strings.Contains(err.Error(), "delete 20261103T000000.000Z") {
		t.Fatalf("Prune = %v, want the failed deletion named", err)
	}
	var got []string
	for _, d := range res.Decisions {
		got = append(got, d.ID)
	}
	if want := []string{"20261104T000000.000Z", "20261103T000000.000Z"}; !slices.Equal(got, want) || res.Deleted != 0 {
		t.Errorf("decisions %v (deleted %d), want %v and none deleted", got, res.Deleted, want)
	}
	if c := catalog(t, r); len(c) != 4 {
		t.Errorf("after the failed prune the folder holds %v, want all four", c)
	}
}

func TestLocalFolder(t *testing.T) {
	dir := t.TempDir()
	tg := testTarget(dir)
	if got, want := LocalFolder(tg), filepath.Join(dir, "backups", "main"); got != want {
		t.Errorf("LocalFolder = %q, want %q", got, want)
	}
	tg.Backup.RequireDestination = true
	if got := LocalFolder(tg); got != "" {
		t.Errorf("LocalFolder of a missing required destination = %q, want none", got)
	}
	tg.Backup.Destination = "s3://bucket/prefix"
	if got := LocalFolder(tg); got != "" {
		t.Errorf("LocalFolder of an s3 destination = %q, want none", got)
	}
	if got := LocalFolder(&model.Target{Name: "main"}); got != "" {
		t.Errorf("LocalFolder without a backup block = %q", got)
	}
}
