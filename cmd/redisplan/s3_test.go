package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/minio/minio-go/v7"

	"github.com/redisplan/redisplan/internal/s3test"
	"github.com/redisplan/redisplan/internal/testwait"
)

// S3 tests: the CLI against a real S3-compatible server (versitygw), as
// it would run against a bucket.

// s3Spec writes a spec whose backups go to s3://BUCKET/PREFIX; the keys
// come in through sensitive variables, as a user should pass them.
func s3Spec(t *testing.T, d *daemon, srv *s3test.Server, dest, extra string) string {
	t.Helper()
	return writeSpec(t, fmt.Sprintf(`variable "s3_access_key" {
  type      = string
  sensitive = true
}
variable "s3_secret_key" {
  type      = string
  sensitive = true
}
redis "main" {
  address     = %q
  config_file = %q
  %s
  backup {
    destination = %q
%s
    s3 {
      endpoint   = %q
      region     = "us-east-1"
      access_key = var.s3_access_key
      secret_key = var.s3_secret_key
      path_style = true
    }
  }
}
`, d.addr(), d.conf, d.service(), dest, extra, srv.Endpoint))
}

// s3Args adds the spec and the keys to a command.
func s3Args(spec string, srv *s3test.Server, args ...string) []string {
	return append(args, "-config", spec, "-var", "s3_access_key="+srv.AccessKey, "-var", "s3_secret_key="+srv.SecretKey)
}

// noSecrets fails the test when output shows either key.
func noSecrets(t *testing.T, srv *s3test.Server, outputs ...string) {
	t.Helper()
	for _, o := range outputs {
		for _, k := range []string{srv.AccessKey, srv.SecretKey} {
			if strings.Contains(o, k) {
				t.Fatalf("output shows an S3 key:\n%s", o)
			}
		}
	}
}

func runS3(t *testing.T, srv *s3test.Server, spec string, args ...string) (int, string, string) {
	t.Helper()
	code, out, errOut := runCLI(t, s3Args(spec, srv, args...)...)
	noSecrets(t, srv, out, errOut)
	return code, out, errOut
}

func mustRunS3(t *testing.T, srv *s3test.Server, spec string, args ...string) string {
	t.Helper()
	code, out, errOut := runS3(t, srv, spec, args...)
	if code != 0 {
		t.Fatalf("%v: exit %d\n%s%s", args, code, out, errOut)
	}
	return out
}

// bucketObjects lists every object and incomplete upload in a bucket.
func bucketObjects(t *testing.T, srv *s3test.Server, bucket string) (objects, uploads []string) {
	t.Helper()
	ctx := context.Background()
	c := srv.Client(t)
	for o := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		objects = append(objects, o.Key)
	}
	for u := range c.ListIncompleteUploads(ctx, bucket, "", true) {
		if u.Err != nil {
			t.Fatal(u.Err)
		}
		uploads = append(uploads, u.Key)
	}
	return objects, uploads
}

// Backup to S3, list, verify, restore: the values come back, and no
// command prints a key.
func TestS3BackupRestoreRoundTrip(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	bucket := srv.Bucket(t, "redis-backups")
	d := startDaemon(t, `save ""`)
	fillDataset(t, d.addr(), "before")
	want := dataset(t, d.addr())
	spec := s3Spec(t, d, srv, "s3://"+bucket+"/prod", "")

	out := mustRunS3(t, srv, spec, "backup", "run")
	if !strings.Contains(out, "verified") {
		t.Fatalf("backup run output:\n%s", out)
	}
	objects, _ := bucketObjects(t, srv, bucket)
	if len(objects) != 2 || !strings.HasPrefix(objects[0], "prod/main/") {
		t.Errorf("the bucket holds %q, want a manifest and an RDB under prod/main/", objects)
	}
	out = mustRunS3(t, srv, spec, "backup", "list")
	if !strings.Contains(out, "main") || !strings.Contains(out, "when taken") {
		t.Errorf("backup list:\n%s", out)
	}
	if out = mustRunS3(t, srv, spec, "backup", "verify"); !strings.Contains(out, "is intact") {
		t.Errorf("backup verify:\n%s", out)
	}
	// The re-verification is recorded in the bucket, beside the backup.
	if out = mustRunS3(t, srv, spec, "backup", "list"); !strings.Contains(out, "re-verified 20") {
		t.Errorf("backup list after backup verify:\n%s", out)
	}
	c := d.client(t)
	c.FlushAll(context.Background())
	fillDataset(t, d.addr(), "after")
	out = mustRunS3(t, srv, spec, "restore", "-target", "main", "-latest", "-auto-approve")
	if !strings.Contains(out, "Restore complete") {
		t.Fatalf("restore output:\n%s", out)
	}
	// From a bucket the backup is staged (downloaded, checked, written)
	// before the stop, never streamed into the loading server: the
	// download's pace would set the outage.
	if !strings.Contains(out, "checked the staged files beside the load") || strings.Contains(out, "streamed the backup") {
		t.Errorf("the restore from S3 did not stage the backup:\n%s", out)
	}
	if diff := cmp.Diff(want, dataset(t, d.addr())); diff != "" {
		t.Errorf("data restored from S3 differs from the backup (-want +got):\n%s", diff)
	}
	if out = mustRunS3(t, srv, spec, "backup", "prune", "-dry-run"); !strings.Contains(out, "keep") {
		t.Errorf("backup prune -dry-run:\n%s", out)
	}

	// Wrong keys: the commands fail, saying why, without showing a key.
	code, out, errOut := runCLI(t, "backup", "list", "-config", spec, "-var", "s3_access_key="+srv.AccessKey, "-var", "s3_secret_key=x"+srv.SecretKey)
	if code == 0 {
		t.Fatalf("backup list with a wrong secret key succeeded:\n%s", out)
	}
	noSecrets(t, srv, out, errOut)
	code, out, errOut = runCLI(t, "backup", "run", "-config", spec, "-var", "s3_access_key=AK"+srv.AccessKey, "-var", "s3_secret_key="+srv.SecretKey)
	if code == 0 {
		t.Fatalf("backup run with an unknown access key succeeded:\n%s", out)
	}
	noSecrets(t, srv, out, errOut)
	if !strings.Contains(errOut, "backup of redis.main failed") {
		t.Errorf("backup run with a wrong key says:\n%s", errOut)
	}
}

// A backup run killed while it uploads leaves no visible backup; the
// next run removes its objects and its incomplete multipart upload.
func TestKillS3Upload(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	bucket := srv.Bucket(t, "redis-backups")
	// A diskless transfer starts at once, not 5s later.
	d := startDaemon(t, `save ""`, "repl-diskless-sync-delay 0")
	fillDataset(t, d.addr(), "k")
	c := d.client(t)
	ctx := context.Background()
	// The replication method streams the RDB while the server writes it,
	// so the upload is open as long as the server is slow.
	spec := s3Spec(t, d, srv, "s3://"+bucket+"/prod", `    method = "replication"`)
	mustRunS3(t, srv, spec, "backup", "run")
	earlier := s3IDs(t, srv, spec)

	c.ConfigSet(ctx, "rdb-key-save-delay", "2000")
	mc := srv.Client(t)
	killWhen(t, func() bool {
		for range mc.ListIncompleteUploads(ctx, bucket, "prod/", true) {
			return true
		}
		return false
	}, s3Args(spec, srv, "backup", "run")...)
	c.ConfigSet(ctx, "rdb-key-save-delay", "0")
	testwait.For(t, 30*time.Second, "the killed run's transfer to end", func() (bool, error) {
		return infoValue(t, c, "rdb_bgsave_in_progress") == "0", nil
	})
	if got := s3IDs(t, srv, spec); !cmp.Equal(got, earlier) {
		t.Fatalf("after a kill during the upload the catalog is %v, want only the earlier %v", got, earlier)
	}
	if _, uploads := bucketObjects(t, srv, bucket); len(uploads) == 0 {
		t.Fatal("the killed run left no incomplete upload: it was not killed mid-upload")
	}

	// The next run finds the dead run's leftovers and removes them.
	out := mustRunS3(t, srv, spec, "backup", "run", "-no-prune")
	if !strings.Contains(out, "removed 1 leftover") {
		t.Errorf("the next run did not report removing the leftovers:\n%s", out)
	}
	objects, uploads := bucketObjects(t, srv, bucket)
	if len(uploads) != 0 || len(objects) != 4 {
		t.Errorf("after the next run the bucket holds objects %q and uploads %q; want the 2 backups' 4 objects and no upload", objects, uploads)
	}
	if got := s3IDs(t, srv, spec); len(got) != 2 {
		t.Errorf("catalog %v, want 2 backups", got)
	}
}

func s3IDs(t *testing.T, srv *s3test.Server, spec string) []string {
	t.Helper()
	out := mustRunS3(t, srv, spec, "backup", "list")
	var ids []string
	for _, l := range strings.Split(out, "\n")[1:] {
		if f := strings.Fields(l); len(f) > 1 {
			ids = append(ids, f[1])
		}
	}
	return ids
}

// copy_to: each finished backup is copied to the other destinations and
// read back; verify -destination checks a copy and finds one corrupted.
func TestCopyTo(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	bucket := srv.Bucket(t, "redis-backups")
	offsite := srv.Bucket(t, "redis-offsite")
	d := startDaemon(t, `save ""`)
	fillDataset(t, d.addr(), "k")
	want := dataset(t, d.addr())
	local := t.TempDir()
	s3Copy := "s3://" + offsite + "/copies"
	// The id makes the second spec file below, for the same server, the
	// same owner of the backups.
	spec := s3Spec(t, d, srv, "s3://"+bucket+"/prod", fmt.Sprintf("    id = \"prod-main\"\n    copy_to = [%q, %q]", s3Copy, local))

	out := mustRunS3(t, srv, spec, "backup", "run")
	for _, dest := range []string{s3Copy, local} {
		if !strings.Contains(out, "copied to "+dest) || !strings.Contains(out, "checksums verified") {
			t.Errorf("backup run does not report a verified copy to %s:\n%s", dest, out)
		}
	}
	// Not on a terminal, each file stored into S3 and each file uploaded
	// to a copy has its line with its size.
	for _, want := range []string{"redis.main: stored dump.rdb: ", "redis.main: uploaded dump.rdb"} {
		if !strings.Contains(out, want) {
			t.Errorf("backup run's output lacks %q:\n%s", want, out)
		}
	}
	ids := s3IDs(t, srv, spec)
	if len(ids) != 1 {
		t.Fatalf("catalog %v", ids)
	}
	for _, dest := range []string{s3Copy, local} {
		out := mustRunS3(t, srv, spec, "backup", "list", "-destination", dest)
		if !strings.Contains(out, ids[0]) {
			t.Errorf("backup list -destination %s does not show %s:\n%s", dest, ids[0], out)
		}
		if out := mustRunS3(t, srv, spec, "backup", "verify", "-destination", dest); !strings.Contains(out, "is intact") {
			t.Errorf("backup verify -destination %s:\n%s", dest, out)
		}
	}
	// The off-site copy restores.
	d.client(t).FlushAll(context.Background())
	mustRunS3(t, srv, spec, "restore", "-target", "main", "-latest", "-auto-approve", "-destination", s3Copy)
	if diff := cmp.Diff(want, dataset(t, d.addr())); diff != "" {
		t.Errorf("data restored from the copy differs (-want +got):\n%s", diff)
	}

	// Corrupt one byte of each copy's RDB: verify against that copy
	// fails and names the damage; the original still verifies.
	corrupt := func(path string) {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)/2] ^= 0xff
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	rdbs, _ := filepath.Glob(filepath.Join(local, "main", ids[0], "dump.rdb*"))
	s3rdbs, _ := filepath.Glob(filepath.Join(srv.Dir, offsite, "copies", "main", ids[0], "*", "dump.rdb*"))
	if len(rdbs) != 1 || len(s3rdbs) != 1 {
		t.Fatalf("found the RDB copies %q and %q, want one each", rdbs, s3rdbs)
	}
	corrupt(rdbs[0])
	corrupt(s3rdbs[0])
	for _, dest := range []string{s3Copy, local} {
		code, out, errOut := runS3(t, srv, spec, "backup", "verify", "-destination", dest)
		if code == 0 || !strings.Contains(errOut, "dump.rdb") {
			t.Errorf("backup verify -destination %s of a corrupted copy: exit %d\n%s%s", dest, code, out, errOut)
		}
	}
	if out := mustRunS3(t, srv, spec, "backup", "verify"); !strings.Contains(out, "is intact") {
		t.Errorf("the original no longer verifies:\n%s", out)
	}

	// A copy that cannot be made fails the run (exit 1, an error naming
	// the copy), while the backup itself is complete.
	bad := s3Spec(t, d, srv, "s3://"+bucket+"/prod", "    id = \"prod-main\"\n    copy_to = [\"s3://no-such-bucket/x\"]")
	code, out, errOut := runS3(t, srv, bad, "backup", "run", "-no-prune")
	if code != 1 || !strings.Contains(errOut, "copy of backup") || !strings.Contains(errOut, "no-such-bucket") {
		t.Errorf("backup run with an unreachable copy_to: exit %d\n%s%s", code, out, errOut)
	}
	if got := s3IDs(t, srv, spec); len(got) != 2 {
		t.Errorf("after a failed copy the catalog is %v, want the new backup listed too", got)
	}
}
