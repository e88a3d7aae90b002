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

	"github.com/redisplan/redisplan/executors/server/servertest"
)

// The tests here hold "verified" to its word: a backup redisplan calls
// verified is one that restore accepts, and one it cannot restore is
// never counted as verified.

// aofFiles returns the sizes of the files in a server's AOF directory.
func aofFiles(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "appendonlydir"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = info.Size()
	}
	return out
}

// TestEmptyBaseAOFBackupRestores: an AOF-only server without RDB preamble
// that started empty keeps a 0-byte base file until its first rewrite.
// Its backups (empty, and with every write in the incr file) verify,
// drill and restore with every key.
func TestEmptyBaseAOFBackupRestores(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`, "appendonly yes", "aof-use-rdb-preamble no")
	files := aofFiles(t, d.dir)
	if files["appendonly.aof.1.base.aof"] != 0 {
		t.Fatalf("the server did not start with a 0-byte base AOF: %v", files)
	}
	dest := t.TempDir()
	spec := backupSpec(t, d, dest, `    include = ["rdb", "aof"]`)

	mustRun(t, "backup", "run", "-config", spec) // the empty dataset
	fillDataset(t, d.addr(), "after-start")
	want := dataset(t, d.addr())
	mustRun(t, "backup", "run", "-config", spec) // base 0 bytes, incr holds every write
	if files := aofFiles(t, d.dir); files["appendonly.aof.1.base.aof"] != 0 {
		t.Fatalf("the base AOF was rewritten, the test proves nothing: %v", files)
	}
	ids := backupIDs(t, spec)
	if len(ids) != 2 {
		t.Fatalf("backups %v, want 2", ids)
	}

	out := mustRun(t, "backup", "verify", "-config", spec, "-drill", "latest")
	if !strings.Contains(out, "drill restored backup") {
		t.Errorf("verify -drill output:\n%s", out)
	}
	mustRun(t, "drill", "rto", "-config", spec, "-target", "main")

	c := d.client(t)
	c.FlushAll(context.Background())
	fillDataset(t, d.addr(), "other")
	mustRun(t, "restore", "-config", spec, "-target", "main", "-latest", "-auto-approve")
	if diff := cmp.Diff(want, dataset(t, d.addr())); diff != "" {
		t.Fatalf("restored data differs (-want +got):\n%s", diff)
	}
	if got := configGet(t, c, "appendonly"); got != "yes" {
		t.Errorf("appendonly = %s after the restore, want yes", got)
	}

	// The backup of the empty server restores to an empty server.
	mustRun(t, "restore", "-config", spec, "-target", "main", "-auto-approve", ids[0])
	if n, err := c.DBSize(context.Background()).Result(); err != nil || n != 0 {
		t.Errorf("after restoring the backup of the empty server: DBSIZE %d, %v; want 0", n, err)
	}
}

// editManifest rewrites the manifest.json of backup id in dest/main.
func editManifest(t *testing.T, dest, id string, edit func(m map[string]any)) {
	t.Helper()
	p := filepath.Join(dest, "main", id, "manifest.json")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, err = json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyRefusesWhatRestoreRefuses: a backup whose AOF manifest lists an
// incr file that the backup does not hold has sound checksums in every
// file it does hold. Restore refuses it while staging; backup verify must
// refuse it too, with the same reason, instead of calling it intact.
func TestVerifyRefusesWhatRestoreRefuses(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`, "appendonly yes")
	fillDataset(t, d.addr(), "v")
	dest := t.TempDir()
	spec := backupSpec(t, d, dest, `    include = ["aof"]`)
	mustRun(t, "backup", "run", "-config", spec)
	id := backupIDs(t, spec)[0]
	editManifest(t, dest, id, func(m map[string]any) {
		var kept []any
		for _, f := range m["files"].([]any) {
			if f.(map[string]any)["kind"] == "aof-incr" {
				os.Remove(filepath.Join(dest, "main", id, f.(map[string]any)["name"].(string)))
				continue
			}
			kept = append(kept, f)
		}
		m["files"] = kept
	})

	code, _, restoreErr := runCLI(t, "restore", "-config", spec, "-target", "main", "-latest", "-auto-approve")
	if code != 1 || !strings.Contains(restoreErr, "the backup is incomplete") {
		t.Fatalf("restore: exit %d, want 1 refusing the incomplete backup:\n%s", code, restoreErr)
	}
	code, out, errOut := runCLI(t, "backup", "verify", "-config", spec)
	if code != 1 || !strings.Contains(errOut, "the backup is incomplete") || strings.Contains(out, "intact") {
		t.Fatalf("verify of a backup restore refuses: exit %d, want 1 with restore's reason\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	out = mustRun(t, "backup", "list", "-config", spec)
	if !strings.Contains(out, "FAILED") || !strings.Contains(out, "the backup is incomplete") {
		t.Errorf("backup list after a failed verify does not say so:\n%s", out)
	}
	t.Logf("backup list:\n%s", out)
}

// TestDrillStatesBothKeyCounts: when the restored keys are fewer than the
// manifest's (keys with a TTL may have expired), the drill accepts the
// backup but says both counts, never "as in the manifest".
func TestDrillStatesBothKeyCounts(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`)
	fillDataset(t, d.addr(), "drill")
	dest := t.TempDir()
	spec := backupSpec(t, d, dest, "")
	mustRun(t, "backup", "run", "-config", spec)
	id := backupIDs(t, spec)[0]
	// Five more keys, all with a TTL, than the backup holds: as if they
	// expired between the backup and the load.
	editManifest(t, dest, id, func(m map[string]any) {
		db0 := m["keyspace"].(map[string]any)["0"].(map[string]any)
		db0["keys"] = db0["keys"].(float64) + 5
		db0["expires"] = db0["expires"].(float64) + 5
	})
	out := mustRun(t, "backup", "verify", "-drill", "-config", spec, "latest")
	if strings.Contains(out, "as in the manifest") || !strings.Contains(out, "1050") || !strings.Contains(out, "1055") {
		t.Errorf("the drill must state both counts (1050 restored, 1055 in the manifest):\n%s", out)
	}
	out = mustRun(t, "drill", "rto", "-config", spec, "-target", "main")
	if !strings.Contains(out, "1050") || !strings.Contains(out, "1055") {
		t.Errorf("drill rto must state both counts:\n%s", out)
	}

	// 100 keys without a TTL more than the backup holds: a restore
	// would roll back, and the backup no longer counts as verified.
	editManifest(t, dest, id, func(m map[string]any) {
		db0 := m["keyspace"].(map[string]any)["0"].(map[string]any)
		db0["keys"] = db0["keys"].(float64) + 100
	})
	code, out, errOut := runCLI(t, "backup", "verify", "-drill", "-config", spec, "latest")
	if code != 1 || !strings.Contains(errOut, "lacks keys") {
		t.Fatalf("verify -drill of a backup short of keys: exit %d\n%s%s", code, out, errOut)
	}
	if out := mustRun(t, "backup", "list", "-config", spec); !strings.Contains(out, "FAILED") || !strings.Contains(out, "drill: ") {
		t.Errorf("backup list after a failed drill:\n%s", out)
	}
}

// TestRestoreFileWithoutChecksumWarns: an RDB written with rdbchecksum no
// ends with a zero CRC: its structure can be checked, its content cannot,
// and restore -file says so.
func TestRestoreFileWithoutChecksumWarns(t *testing.T) {
	t.Parallel()
	src := servertest.Start(t, servertest.Options{Config: "save \"\"\nrdbchecksum no"})
	fillDataset(t, src.Addr(), "nocrc")
	want := dataset(t, src.Addr())
	if err := src.Client(t).Save(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(src.Dir(), "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	if tail := b[len(b)-8:]; string(tail) != "\x00\x00\x00\x00\x00\x00\x00\x00" {
		t.Fatalf("rdbchecksum no wrote a checksum %x", tail)
	}
	file := filepath.Join(t.TempDir(), "nocrc.rdb")
	os.WriteFile(file, b, 0o600)

	d := startDaemon(t, `save ""`)
	spec := backupSpec(t, d, t.TempDir(), "")
	code, out, errOut := runCLI(t, "restore", "-config", spec, "-target", "main", "-file", file, "-auto-approve")
	if code != 0 {
		t.Fatalf("restore -file: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out+errOut, "no checksum") || !strings.Contains(out+errOut, "cannot be verified") {
		t.Errorf("restore -file of an RDB without checksum does not warn:\nstdout:\n%s\nstderr:\n%s", out, errOut)
	}
	if diff := cmp.Diff(want, dataset(t, d.addr())); diff != "" {
		t.Errorf("restored data differs (-want +got):\n%s", diff)
	}
}

// damageNewest removes the RDB of the newest of three backups.
func damageNewest(t *testing.T, dest, spec string) []string {
	t.Helper()
	for range 3 {
		mustRun(t, "backup", "run", "-no-prune", "-config", spec)
	}
	ids := backupIDs(t, spec)
	if len(ids) != 3 {
		t.Fatalf("backups %v, want 3", ids)
	}
	entries, err := filepath.Glob(filepath.Join(dest, "main", ids[2], "dump.rdb*"))
	if err != nil || len(entries) != 1 {
		t.Fatalf("the newest backup's RDB: %v %v", entries, err)
	}
	if err := os.Remove(entries[0]); err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestMissingArtifactIsNotTheNewestVerified: retention keeps the newest
// verified backup whatever its rules say. A backup whose RDB is gone is
// not that backup: the one before it is, and is kept.
func TestMissingArtifactIsNotTheNewestVerified(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`)
	fillDataset(t, d.addr(), "r")
	dest := t.TempDir()
	spec := backupSpec(t, d, dest, "    retention {\n      keep_last = 1\n    }")
	ids := damageNewest(t, dest, spec)

	out := mustRun(t, "backup", "prune", "-dry-run", "-config", spec)
	if !strings.Contains(out, fmt.Sprintf("keep %s (newest verified backup)", ids[1])) {
		t.Errorf("prune -dry-run must keep %s, the newest backup that can be restored:\n%s", ids[1], out)
	}
	out = mustRun(t, "backup", "list", "-config", spec)
	t.Logf("backup list:\n%s", out)
	if !strings.Contains(out, "NOT RESTORABLE: dump.rdb") {
		t.Errorf("backup list does not say the newest backup lacks a file:\n%s", out)
	}
}

// TestCheckBackupAgeSkipsMissingArtifact: check's backup_age measures the
// newest backup that can be restored, not one whose RDB is gone.
func TestCheckBackupAgeSkipsMissingArtifact(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{Config: "save 3600 1"})
	dest := t.TempDir()
	spec := checkSpec(t, srv, dest, "")
	ids := damageNewest(t, dest, spec)
	_, cj := runCheckJSON(t, "-config", spec, "-state-dir", t.TempDir())
	r := result(cj, "backup_age")
	if !strings.Contains(r, "newest verified backup "+ids[1]) || !strings.Contains(r, ids[2]) {
		t.Errorf("backup_age must measure %s and name %s as unusable: %s", ids[1], ids[2], r)
	}
}

// TestBackupListShowsReverification: the VERIFIED column says when a
// backup was verified: when taken, and when backup verify last checked it.
func TestBackupListShowsReverification(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`)
	fillDataset(t, d.addr(), "l")
	spec := backupSpec(t, d, t.TempDir(), "")
	mustRun(t, "backup", "run", "-config", spec)
	out := mustRun(t, "backup", "list", "-config", spec)
	if !strings.Contains(out, "when taken") || strings.Contains(out, "re-verified") {
		t.Errorf("a fresh backup is verified when taken only:\n%s", out)
	}
	mustRun(t, "backup", "verify", "-config", spec)
	out = mustRun(t, "backup", "list", "-config", spec)
	if !strings.Contains(out, "re-verified 20") {
		t.Errorf("backup list after backup verify does not give the time of the re-verification:\n%s", out)
	}
}
