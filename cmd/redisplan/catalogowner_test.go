package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redisplan/redisplan/internal/s3test"
)

// Two teams, two servers, two specs in two directories, each with a
// target named "main", and one backup destination: both specs' backups
// land in <destination>/main/. Each spec must act on its own backups only.

// newBackups returns the IDs in a catalog folder that are not in before.
func newBackups(t *testing.T, folder string, before []string) []string {
	t.Helper()
	entries, err := os.ReadDir(folder)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || strings.HasPrefix(name, ".") || containsString(before, name) {
			continue
		}
		if _, err := os.Stat(filepath.Join(folder, name, "manifest.json")); err == nil {
			out = append(out, name)
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func copyDirTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// twoTeams starts team A's and team B's servers, each filled with its own
// data, and writes each team's spec in a directory of its own: both
// targets are named "main". A's spec backs up to shared with keep_last =
// 1; B's to destB.
func twoTeams(t *testing.T, shared, destB string) (dA, dB *daemon, specA, specB string) {
	dA = startDaemon(t, `save ""`, "enable-debug-command local")
	dB = startDaemon(t, `save ""`, "enable-debug-command local")
	fillDataset(t, dA.addr(), "team-a")
	fillDataset(t, dB.addr(), "team-b")
	specA = backupSpec(t, dA, shared, "    retention {\n      keep_last = 1\n    }")
	specB = backupSpec(t, dB, destB, "")
	return dA, dB, specA, specB
}

// A shared folder that holds only team B's backup: team A's check,
// restore -latest and backup run do not take it for team A's.
func TestSharedCatalogHoldingOnlyAnotherSpecs(t *testing.T) {
	t.Parallel()
	shared := t.TempDir()
	folder := filepath.Join(shared, "main")
	dA, dB, specA, specB := twoTeams(t, shared, shared)
	absB, _ := filepath.Abs(specB)
	digestA, digestB := digest(t, dA.client(t)), digest(t, dB.client(t))

	mustRun(t, "backup", "run", "-config", specB)
	if b := newBackups(t, folder, nil); len(b) != 1 {
		t.Fatalf("team B's run left %v in %s", b, folder)
	}
	before := tree(t, folder)

	_, cj := runCheckJSON(t, "-config", specA, "-state-dir", t.TempDir())
	if r := result(cj, "backup_age"); !strings.HasPrefix(r, "critical: no backup yet") || !strings.Contains(r, "1 of spec "+absB) {
		t.Errorf("team A's backup_age counts team B's backup: %s", r)
	}

	code, out, errOut := runCLI(t, "restore", "-config", specA, "-target", "main", "-latest", "-auto-approve")
	if code != 1 || !strings.Contains(errOut, "another spec's") || !strings.Contains(errOut, absB) {
		t.Errorf("team A's restore -latest with only team B's backups: exit %d, want 1 naming %s\n%s%s", code, absB, out, errOut)
	}
	if got := digest(t, dA.client(t)); got != digestA {
		t.Errorf("team A's restore -latest replaced team A's data: digest %s, team A's was %s, team B's is %s", got, digestA, digestB)
	}

	code, out, errOut = runCLI(t, "backup", "run", "-config", specA)
	for _, want := range []string{"holds 1 backup(s) of another spec's target", absB, "a destination of its own", "previous_specs", "nothing was written"} {
		if code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("team A's backup run into team B's folder: exit %d, want 1 and %q\n%s%s", code, want, out, errOut)
		}
	}
	if diff := cmp.Diff(before, tree(t, folder)); diff != "" {
		t.Errorf("team A's backup run changed the shared folder (-before +after):\n%s", diff)
	}
}

// A shared folder that holds both teams' backups, team B's the newest
// (two runs that raced, or folders merged by hand): team A's restore,
// list and prune act on team A's backups only.
func TestSharedCatalogHoldingBothSpecs(t *testing.T) {
	t.Parallel()
	shared, destB := t.TempDir(), t.TempDir()
	folder := filepath.Join(shared, "main")
	dA, dB, specA, specB := twoTeams(t, shared, destB)
	absB, _ := filepath.Abs(specB)
	digestA, digestB := digest(t, dA.client(t)), digest(t, dB.client(t))

	mustRun(t, "backup", "run", "-config", specB)
	mustRun(t, "backup", "run", "-no-prune", "-config", specA)
	mustRun(t, "backup", "run", "-no-prune", "-config", specA)
	mustRun(t, "backup", "run", "-config", specB)
	aIDs := newBackups(t, folder, nil)
	bIDs := newBackups(t, filepath.Join(destB, "main"), nil)
	if len(aIDs) != 2 || len(bIDs) != 2 {
		t.Fatalf("the runs left %v of team A's and %v of team B's", aIDs, bIDs)
	}
	bTrees := map[string]map[string]string{}
	for _, id := range bIDs {
		copyDirTree(t, filepath.Join(destB, "main", id), filepath.Join(folder, id))
		bTrees[id] = tree(t, filepath.Join(folder, id))
	}
	newestB := max(bIDs[0], bIDs[1])

	// Team A's server changes after its backups; restore -latest brings
	// back team A's data, not team B's newer backup.
	dA.client(t).Set(context.Background(), "after-backup", "x", 0)
	out := mustRun(t, "restore", "-config", specA, "-target", "main", "-latest", "-auto-approve")
	if got := digest(t, dA.client(t)); got != digestA {
		t.Errorf("after team A's restore -latest the digest is %s, want team A's %s (team B's is %s)\n%s", got, digestA, digestB, out)
	}

	// A backup of team B's named by its ID: refused, unless asked for.
	code, out, errOut := runCLI(t, "restore", "-config", specA, "-target", "main", "-auto-approve", newestB)
	if code != 1 || !strings.Contains(errOut, "another spec's") || !strings.Contains(errOut, "-from-other-spec") {
		t.Errorf("team A's restore of team B's backup %s: exit %d, want 1 naming -from-other-spec\n%s%s", newestB, code, out, errOut)
	}

	for _, args := range [][]string{
		{"backup", "list", "-config", specA},
		{"backup", "prune", "-dry-run", "-config", specA},
		{"backup", "prune", "-config", specA},
	} {
		code, out, errOut := runCLI(t, args...)
		for _, id := range bIDs {
			line := fmt.Sprintf("redis.main: %s: another spec's (spec %s, target \"main\"), left alone", filepath.Join(folder, id), absB)
			if code != 0 || !strings.Contains(out, line) {
				t.Errorf("%v: exit %d, want 0 and %q:\n%s%s", args, code, line, out, errOut)
			}
		}
	}
	for id, want := range bTrees {
		if diff := cmp.Diff(want, tree(t, filepath.Join(folder, id))); diff != "" {
			t.Errorf("team A's prune changed team B's backup %s (-before +after):\n%s", id, diff)
		}
	}
	if left := newBackups(t, folder, bIDs); len(left) != 1 || left[0] != max(aIDs[0], aIDs[1]) {
		t.Errorf("team A's keep_last = 1 left %v of its own, want its newest of %v", left, aIDs)
	}

	// The explicit flag restores team B's data into team A's server.
	mustRun(t, "restore", "-config", specA, "-target", "main", "-auto-approve", "-from-other-spec", newestB)
	if got := digest(t, dA.client(t)); got != digestB {
		t.Errorf("restore -from-other-spec %s: digest %s, want team B's %s", newestB, got, digestB)
	}
}

// The owner recorded in a manifest is the spec file and the target, or
// the backup block's id: a spec that moves keeps its backups through the
// id, or by naming its old file in previous_specs.
func TestMovedSpecKeepsItsBackups(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`)
	fillDataset(t, d.addr(), "k")
	dest := t.TempDir()
	old := backupSpec(t, d, dest, "")
	mustRun(t, "backup", "run", "-config", old)
	b, err := os.ReadFile(storedFile(t, dest, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Owner map[string]string `json:"owner"`
	}
	json.Unmarshal(b, &m)
	absOld, _ := filepath.Abs(old)
	if m.Owner["spec"] != absOld || m.Owner["target"] != "main" {
		t.Fatalf("the manifest records the owner %v, want spec %s, target main", m.Owner, absOld)
	}

	// The same spec, elsewhere (the operator renamed the file): another
	// owner, refused, with the way out.
	moved := backupSpec(t, d, dest, "")
	code, out, errOut := runCLI(t, "backup", "run", "-config", moved)
	if code != 1 || !strings.Contains(errOut, absOld) || !strings.Contains(errOut, "previous_specs") {
		t.Fatalf("backup run of the moved spec: exit %d, want 1 naming %s and previous_specs\n%s%s", code, absOld, out, errOut)
	}
	adopted := backupSpec(t, d, dest, fmt.Sprintf("    id = \"orders\"\n    previous_specs = [%q]\n    retention {\n      keep_last = 2\n    }", absOld))
	mustRun(t, "backup", "run", "-config", adopted)
	mustRun(t, "backup", "run", "-config", adopted)
	if ids := backupIDs(t, adopted); len(ids) != 2 {
		t.Errorf("keep_last = 2 over the old spec's backup and two new ones left %v", ids)
	}
	// With the id, the next move needs nothing.
	again := backupSpec(t, d, dest, "    id = \"orders\"")
	out = mustRun(t, "backup", "run", "-no-prune", "-config", again)
	if ids := backupIDs(t, again); len(ids) != 3 {
		t.Errorf("the spec moved again with its id sees %v, want 3 backups\n%s", ids, out)
	}
}

// restore -latest and drill rto pass over a newer backup that is known to
// be unusable (an artifact is missing), and say so.
func TestLatestSkipsUnusableBackup(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`, "enable-debug-command local")
	fillDataset(t, d.addr(), "k")
	dest := t.TempDir()
	spec := backupSpec(t, d, dest, "")
	mustRun(t, "backup", "run", "-config", spec)
	want := digest(t, d.client(t))
	d.client(t).Set(context.Background(), "later", "x", 0)
	mustRun(t, "backup", "run", "-config", spec)
	ids := backupIDs(t, spec)
	if len(ids) != 2 {
		t.Fatalf("two runs left %v", ids)
	}
	newest := ids[0]
	if ids[1] > newest {
		newest = ids[1]
	}
	if err := os.Remove(filepath.Join(dest, "main", newest, "dump.rdb.zst")); err != nil {
		t.Fatal(err)
	}
	skipped := fmt.Sprintf("skipped backup %s: dump.rdb.zst is missing", newest)

	code, out, errOut := runCLI(t, "drill", "rto", "-config", spec, "-target", "main")
	if code != 0 || !strings.Contains(errOut, skipped) {
		t.Errorf("drill rto with the newest backup's artifact missing: exit %d, want 0 and %q\n%s%s", code, skipped, out, errOut)
	}
	code, out, errOut = runCLI(t, "restore", "-config", spec, "-target", "main", "-latest", "-auto-approve")
	if code != 0 || !strings.Contains(errOut, skipped) {
		t.Errorf("restore -latest with the newest backup's artifact missing: exit %d, want 0 and %q\n%s%s", code, skipped, out, errOut)
	}
	if got := digest(t, d.client(t)); got != want {
		t.Errorf("after restore -latest the digest is %s, want the older backup's %s", got, want)
	}
}

// check keeps its state beside the backup folder: two specs sharing that
// folder keep a state each, so that each compares its server's counters
// with its own previous sample, and `backup list` does not take the second
// state file for something not redisplan's.
func TestSharedCatalogCheckStateApart(t *testing.T) {
	t.Parallel()
	shared := t.TempDir()
	_, _, specA, specB := twoTeams(t, shared, shared)
	evicted := func(spec string) string {
		t.Helper()
		_, cj := runCheckJSON(t, "-config", spec)
		return result(cj, "evicted_keys")
	}
	if r := evicted(specA); !strings.Contains(r, "first sample") {
		t.Fatalf("team A's first check: evicted_keys %s, want a first sample", r)
	}
	evicted(specB)
	if r := evicted(specA); strings.Contains(r, "first sample") {
		t.Errorf("team A's second check has no sample of its own to compare with (team B's check replaced it): %s", r)
	}
	if r := evicted(specB); strings.Contains(r, "first sample") {
		t.Errorf("team B's second check has no sample of its own to compare with: %s", r)
	}
	out := mustRun(t, "backup", "list", "-config", specA)
	if strings.Contains(out, "left alone") {
		t.Errorf("backup list names a check state as not redisplan's:\n%s", out)
	}
}

// The same on S3: two specs whose targets are named "main" back up to one
// prefix.
func TestSharedS3PrefixKeepsSpecsApart(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	dest := "s3://" + srv.Bucket(t, "redis-backups") + "/prod"
	dA, dB := startDaemon(t, `save ""`), startDaemon(t, `save ""`)
	fillDataset(t, dA.addr(), "team-a")
	fillDataset(t, dB.addr(), "team-b")
	wantA := dataset(t, dA.addr())
	specA := s3Spec(t, dA, srv, dest, "    retention {\n      keep_last = 1\n    }")
	specB := s3Spec(t, dB, srv, dest, "")
	absB, _ := filepath.Abs(specB)

	mustRunS3(t, srv, specB, "backup", "run")
	idsB := s3IDs(t, srv, specB)
	if len(idsB) != 1 {
		t.Fatalf("team B's run left %v", idsB)
	}
	code, out, errOut := runS3(t, srv, specA, "backup", "run")
	if code != 1 || !strings.Contains(errOut, dest+"/main/ holds 1 backup(s) of another spec's target (spec "+absB) {
		t.Errorf("team A's backup run into team B's prefix: exit %d, want 1 naming team B's spec\n%s%s", code, out, errOut)
	}
	code, out, errOut = runS3(t, srv, specA, "restore", "-target", "main", "-latest", "-auto-approve")
	if code != 1 || !strings.Contains(errOut, "another spec's") {
		t.Errorf("team A's restore -latest from team B's prefix: exit %d, want 1\n%s%s", code, out, errOut)
	}
	if diff := cmp.Diff(wantA, dataset(t, dA.addr())); diff != "" {
		t.Errorf("team A's data changed (-want +got):\n%s", diff)
	}
	line := fmt.Sprintf("redis.main: %s/main/%s: another spec's (spec %s, target \"main\"), left alone", dest, idsB[0], absB)
	for _, args := range [][]string{{"backup", "list"}, {"backup", "prune"}} {
		if out := mustRunS3(t, srv, specA, args...); !strings.Contains(out, line) {
			t.Errorf("%v does not say %q:\n%s", args, line, out)
		}
	}
	if ids := s3IDs(t, srv, specB); len(ids) != 1 || ids[0] != idsB[0] {
		t.Errorf("after team A's prune, team B's backups are %v, want %v", ids, idsB)
	}
}
