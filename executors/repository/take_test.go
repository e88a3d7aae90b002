package repository

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/executors/restore"
	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/internal/s3test"
)

// serverTarget starts a real redis-server holding n keys and returns a
// target for it whose backups go to dir/backups.
func serverTarget(t *testing.T, dir string, n int) *model.Target {
	t.Helper()
	srv := servertest.Start(t, servertest.Options{})
	c := srv.Client(t)
	ctx := context.Background()
	for i := range n {
		if err := c.Set(ctx, fmt.Sprintf("key:%d", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	tg := testTarget(dir)
	tg.Connection = model.Connection{Address: srv.Addr()}
	tg.Backup.Compression = "zstd"
	return tg
}

// take backs the target's server up into r, through a client made as
// backup run makes it.
func take(t *testing.T, r *Repository) (*backup.Manifest, error) {
	t.Helper()
	client, err := live.Dial(r.Target.Connection)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	var msgs []string
	m, err := r.Take(context.Background(), TakeOptions{Client: client, Emit: func(e progress.Event) { msgs = append(msgs, e.Message) }})
	if err != nil {
		t.Logf("messages: %s", strings.Join(msgs, "\n"))
	}
	return m, err
}

// A backup taken from a real server is the target's (its owner recorded),
// holds its keys, lists, and passes restore's verification through the
// repository's reader.
func TestTakeAndVerify(t *testing.T) {
	t.Parallel()
	tg := serverTarget(t, t.TempDir(), 250)
	r := open(t, tg, "")
	m, err := take(t, r)
	if err != nil {
		t.Fatalf("Take: %v", err)
	}
	if m.TotalKeys() != 250 || !m.Verified || m.Owner == nil || !Owner(tg).Claims(*m.Owner) {
		t.Fatalf("manifest: %d keys, verified %v, owner %+v; want 250 keys, verified, owned by %+v", m.TotalKeys(), m.Verified, m.Owner, Owner(tg))
	}
	l, err := r.List(context.Background())
	if err != nil || len(l.Backups) != 1 || l.Backups[0].ID != m.ID || len(l.LeftAlone) != 0 {
		t.Fatalf("List = %+v, %v; want the one backup", l, err)
	}
	picked, _, err := r.Pick(context.Background(), "latest", PickOptions{Usable: true})
	if err != nil || picked.ID != m.ID {
		t.Fatalf("Pick(latest) = %v, %v", picked, err)
	}
	var res restore.VerifyResult
	verr, rerr := r.Verify(context.Background(), picked, func(ctx context.Context) (err error) {
		res, err = restore.Verify(ctx, restore.Source{Manifest: picked, Open: r.Reader(picked, nil)}, nil)
		return err
	})
	if verr != nil || rerr != nil || res.Files != len(m.Files) {
		t.Fatalf("Verify: %v, record %v, %d of %d files read", verr, rerr, res.Files, len(m.Files))
	}
	v, err := backup.ReadVerification(context.Background(), r.Storage, m.ID)
	if err != nil || v == nil || !v.OK {
		t.Errorf("verification record: %+v, %v; want one that passed", v, err)
	}
}

// Take refuses a folder that holds another spec's backups, and writes
// nothing there.
func TestTakeRefusesSharedFolder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tg := serverTarget(t, dir, 3)
	r := open(t, tg, "")
	put(t, r, stored{id: "20261101T000000.000Z", verified: true, keys: 1, owner: otherSpec(dir)})
	if _, err := take(t, r); err == nil || !strings.Contains(err.Error(), "nothing was written") {
		t.Fatalf("Take into a shared folder: %v, want a refusal", err)
	}
	if got := catalog(t, r); len(got) != 1 {
		t.Errorf("the folder holds %v after the refusal", got)
	}
}

// Open with an s3:// destination keeps the same layout in a bucket
// (versitygw): the backup is under prefix/<target>/<id>/, and the
// repository lists and prunes it there.
func TestOpenS3(t *testing.T) {
	t.Parallel()
	s3 := s3test.Start(t)
	bucket := s3.Bucket(t, "backups")
	tg := serverTarget(t, t.TempDir(), 40)
	tg.Backup.Destination = "s3://" + bucket + "/fleet"
	tg.Backup.S3 = &model.S3{Endpoint: s3.Endpoint, Region: "us-east-1", AccessKey: s3.AccessKey, SecretKey: s3.SecretKey, PathStyle: true}
	r := open(t, tg, "")
	if want := "s3://" + bucket + "/fleet/main/"; r.Path() != want {
		t.Errorf("Path = %q, want %q", r.Path(), want)
	}
	m, err := take(t, r)
	if err != nil {
		t.Fatalf("Take: %v", err)
	}
	var keys []string
	for o := range s3.Client(t).ListObjects(context.Background(), bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		keys = append(keys, o.Key)
	}
	want := "fleet/main/" + m.ID + "/manifest.json"
	found := false
	for _, k := range keys {
		found = found || k == want
		if !strings.HasPrefix(k, "fleet/main/"+m.ID+"/") {
			t.Errorf("object %s is outside the backup's folder", k)
		}
	}
	if !found {
		t.Errorf("bucket holds %v, want %s among them", keys, want)
	}
	l, err := r.List(context.Background())
	if err != nil || len(l.Backups) != 1 || l.Backups[0].TotalKeys() != 40 {
		t.Fatalf("List = %+v, %v", l, err)
	}
	tg.Backup.Retention = model.Retention{KeepLast: 1}
	res, err := r.Prune(context.Background(), m.Started, false)
	if err != nil || res.Deleted != 0 || len(res.Decisions) != 1 || !res.Decisions[0].Keep {
		t.Errorf("Prune of the only backup: %+v, %v; want it kept", res, err)
	}
	if filepath.Base(r.Path()) != "main" {
		t.Errorf("Path %q does not end in the target's folder", r.Path())
	}
}
