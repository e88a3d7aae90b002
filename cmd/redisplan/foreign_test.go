package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/minio/minio-go/v7"

	"github.com/redisplan/redisplan/internal/failpoint"
	"github.com/redisplan/redisplan/internal/s3test"
)

// What a person keeps in a destination beside redisplan's backups (the
// seed's old backups, parked there during a migration) is not redisplan's
// to remove: backup run, successful or failing, with or without
// -no-prune, and prune leave it byte for byte; list and prune -dry-run
// say it is there and left alone.

// seedArchive is the seed's backup folder as an operator would park it
// under <destination>/main/.
var seedArchive = map[string][]byte{
	"seed-archive/dump-20261101T030000.rdb.gz": noise(1, 40<<10),
	"seed-archive/dump-20261101T030000.json":   []byte(`{"keys": 5000, "sha256": "..."}` + "\n"),
	"seed-archive/2026/11/dump.rdb.gz":         noise(2, 10<<10),
	"seed-archive/README":                      []byte("backups of the old cron script\n"),
}

func noise(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// plant writes files under dir with modes a person would leave.
func plant(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// tree describes every entry under dir: type, mode and, for files, the
// SHA-256 of the content.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		desc := info.Mode().String()
		if info.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			desc += fmt.Sprintf(" %x", sha256.Sum256(b))
		}
		out[rel] = desc
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	return out
}

func TestBackupLeavesForeignFolders(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`)
	fillDataset(t, d.addr(), "k")
	dest, copyDest := t.TempDir(), t.TempDir()
	retention := fmt.Sprintf("    copy_to = [%q]\n    retention {\n      keep_last = 1\n    }", copyDest)
	spec := backupSpec(t, d, dest, retention)
	// The same target asking for an AOF the server does not have: the run
	// cleans the destination first, then fails.
	failing := backupSpec(t, d, dest, retention+"\n    include = [\"rdb\", \"aof\"]")

	for _, root := range []string{dest, copyDest} {
		plant(t, filepath.Join(root, "main"), seedArchive)
	}
	// A pending folder that a redisplan older than owner records left: it
	// holds a bare pid of a process that is gone, which proves nothing.
	oldPending := filepath.Join(dest, "main", ".pending-20261101T030000.000Z-1234567890")
	plant(t, oldPending, map[string][]byte{"dump.rdb.zst": noise(3, 1<<10), ".owner": []byte("2147483646\n")})
	archive := func(root string) map[string]string { return tree(t, filepath.Join(root, "main", "seed-archive")) }
	want, wantCopy, wantOld := archive(dest), archive(copyDest), tree(t, oldPending)
	intact := func(after string) {
		t.Helper()
		if diff := cmp.Diff(want, archive(dest)); diff != "" {
			t.Fatalf("after %s, <destination>/main/seed-archive changed (-before +after):\n%s", after, diff)
		}
		if diff := cmp.Diff(wantCopy, archive(copyDest)); diff != "" {
			t.Fatalf("after %s, <copy_to>/main/seed-archive changed (-before +after):\n%s", after, diff)
		}
		if diff := cmp.Diff(wantOld, tree(t, oldPending)); diff != "" {
			t.Fatalf("after %s, the old-format pending folder changed (-before +after):\n%s", after, diff)
		}
	}

	mustRun(t, "backup", "run", "-config", spec)
	intact("a successful backup run")
	mustRun(t, "backup", "run", "-no-prune", "-config", spec)
	intact("a successful backup run -no-prune")
	for _, args := range [][]string{{"backup", "run", "-config", failing}, {"backup", "run", "-no-prune", "-config", failing}} {
		if code, out, errOut := runCLI(t, args...); code != 1 {
			t.Fatalf("%v: exit %d, want 1 (AOF is off)\n%s%s", args, code, out, errOut)
		}
		intact(strings.Join(args[:3], " ") + " that failed")
	}

	// A run killed before its rename leaves a pending folder with an owner
	// record naming a dead process: that one is redisplan's, and the next
	// run removes it.
	killedAt(t, failpoint.BackupBeforeRename, "backup", "run", "-no-prune", "-config", spec)
	killed, _ := filepath.Glob(filepath.Join(dest, "main", ".pending-*.owner"))
	if len(killed) != 1 {
		t.Fatalf("the killed run left %d owner records, want 1", len(killed))
	}
	out := mustRun(t, "backup", "run", "-config", spec)
	if !strings.Contains(out, "removed 1 leftover(s) of interrupted runs") {
		t.Errorf("the run after the kill did not say it removed the dead run's folder:\n%s", out)
	}
	if _, err := os.Stat(strings.TrimSuffix(killed[0], ".owner")); !os.IsNotExist(err) {
		t.Errorf("the killed run's pending folder is still there: %v", err)
	}
	intact("a run that cleaned a killed run's leftovers, and pruned")
	if ids := backupIDs(t, spec); len(ids) != 1 {
		t.Errorf("keep_last = 1 left %v", ids)
	}

	for _, tc := range []struct {
		args []string
		root string
	}{
		{[]string{"backup", "list", "-config", spec}, dest},
		{[]string{"backup", "list", "-destination", copyDest, "-config", spec}, copyDest},
		{[]string{"backup", "prune", "-dry-run", "-config", spec}, dest},
		{[]string{"backup", "prune", "-dry-run", "-config", spec}, copyDest},
	} {
		out := mustRun(t, tc.args...)
		for _, name := range []string{"seed-archive/", ".pending-20261101T030000.000Z-1234567890/"} {
			if tc.root == copyDest && name != "seed-archive/" {
				continue
			}
			line := fmt.Sprintf("redis.main: %s: not redisplan's, left alone", filepath.Join(tc.root, "main", name)+"/")
			if !strings.Contains(out, line) {
				t.Errorf("%v does not say %q:\n%s", tc.args, line, out)
			}
		}
	}
	out = mustRun(t, "backup", "list", "-config", spec)
	if !strings.Contains(out, "without an owner record") {
		t.Errorf("backup list does not say why the old pending folder is left alone:\n%s", out)
	}
	mustRun(t, "backup", "prune", "-config", spec)
	intact("backup prune")
}

// The same for an S3 prefix: objects of another tool under
// PREFIX/main/ survive every run and are named by list.
func TestS3BackupLeavesForeignObjects(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	bucket := srv.Bucket(t, "redis-backups")
	d := startDaemon(t, `save ""`)
	fillDataset(t, d.addr(), "k")
	dest := "s3://" + bucket + "/prod"
	spec := s3Spec(t, d, srv, dest, "    retention {\n      keep_last = 1\n    }")
	failing := s3Spec(t, d, srv, dest, "    include = [\"rdb\", \"aof\"]")
	mc := srv.Client(t)
	ctx := context.Background()
	// A run-like prefix under a backup-like ID, without owner or manifest:
	// what an older redisplan's Clean removed on sight.
	planted := map[string][]byte{"prod/main/20261101T030000.000Z/0123456789abcdef/dump.rdb.zst": noise(4, 2<<10)}
	for name, data := range seedArchive {
		planted["prod/main/"+name] = data
	}
	for key, data := range planted {
		if _, err := mc.PutObject(ctx, bucket, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	intact := func(after string) {
		t.Helper()
		for key, data := range planted {
			obj, err := mc.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
			var got []byte
			if err == nil {
				got, err = io.ReadAll(obj)
				obj.Close()
			}
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("after %s, %s is gone or changed (%v)", after, key, err)
			}
		}
	}
	mustRunS3(t, srv, spec, "backup", "run")
	mustRunS3(t, srv, spec, "backup", "run")
	intact("two backup runs (the second pruned)")
	if code, out, errOut := runS3(t, srv, failing, "backup", "run", "-no-prune"); code != 1 {
		t.Fatalf("failing run: exit %d\n%s%s", code, out, errOut)
	}
	intact("a failing backup run")
	out := mustRunS3(t, srv, spec, "backup", "list")
	for _, name := range []string{"seed-archive/", "20261101T030000.000Z/"} {
		if line := dest + "/main/" + name + ": not redisplan's, left alone"; !strings.Contains(out, line) {
			t.Errorf("backup list does not say %q:\n%s", line, out)
		}
	}
}

// require_destination = true: a destination that is not there (a backup
// disk that is not mounted) is refused, and nothing creates it: not
// backup run, not list, not check; a copy_to that is not there fails the
// copy only.
func TestRequireDestination(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`)
	fillDataset(t, d.addr(), "k")
	mnt := t.TempDir()
	dest, offsite := filepath.Join(mnt, "nas", "redis"), filepath.Join(mnt, "usb", "redis")
	spec := backupSpec(t, d, dest, fmt.Sprintf("    require_destination = true\n    copy_to = [%q]", offsite))
	gone := func(after string) {
		t.Helper()
		for _, p := range []string{filepath.Join(mnt, "nas"), filepath.Join(mnt, "usb")} {
			if _, err := os.Stat(p); !os.IsNotExist(err) {
				t.Fatalf("after %s, %s exists (%v): redisplan created a destination", after, p, err)
			}
		}
	}
	for _, args := range [][]string{{"backup", "run"}, {"backup", "list"}, {"backup", "prune", "-dry-run"}} {
		code, out, errOut := runCLI(t, append(args, "-config", spec)...)
		if code != 1 || !strings.Contains(errOut, dest+" does not exist") || !strings.Contains(errOut, "require_destination") {
			t.Errorf("%v with the destination missing: exit %d, want 1 saying so:\n%s%s", args, code, out, errOut)
		}
		gone(strings.Join(args, " "))
	}
	runCheckJSON(t, "-config", spec)
	gone("check")

	if err := os.MkdirAll(dest, 0o700); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "backup", "run", "-config", spec)
	if code != 1 || !strings.Contains(out, "complete") || !strings.Contains(errOut, offsite+" does not exist") {
		t.Errorf("backup run with only the copy destination missing: exit %d, want 1 (the backup done, the copy refused):\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(mnt, "usb")); !os.IsNotExist(err) {
		t.Errorf("the missing copy_to destination was created: %v", err)
	}
	if ids := backupIDs(t, spec); len(ids) != 1 {
		t.Errorf("catalog = %v, want the one backup", ids)
	}
}
