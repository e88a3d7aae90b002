package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/backup/storagetest"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/s3test"
	"github.com/redisplan/redisplan/internal/secret"
	"github.com/redisplan/redisplan/internal/testwait"
)

// crashable is the Store as the contract tests see it: it can pretend the
// process writing its pending runs died, and plant objects of its own.
type crashable struct{ *Store }

var (
	_ storagetest.Crasher = crashable{}
	_ storagetest.Planter = crashable{}
)

// deadPID is a pid no process has.
const deadPID = math.MaxInt32

// Crash rewrites every owner object with a pid that is not running on
// this host.
func (c crashable) Crash(t *testing.T) backup.Storage {
	t.Helper()
	ctx := context.Background()
	objs, err := c.listAll(ctx, c.root)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		rest, ok := strings.CutSuffix(o.Key, ownerSuffix)
		if !ok {
			continue
		}
		c.putOwner(t, o.Key, rest[strings.LastIndexByte(rest, '/')+1:], deadPID, "", time.Now())
	}
	fresh := *c.Store
	return crashable{&fresh}
}

func (c crashable) Plant(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := c.put(context.Background(), c.root+name, data, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
}

func (c crashable) Planted(t *testing.T, name string) ([]byte, bool) {
	t.Helper()
	obj, err := c.client.GetObject(context.Background(), c.bucket, c.root+name, minio.GetObjectOptions{})
	if err != nil {
		return nil, false
	}
	defer obj.Close()
	b, err := io.ReadAll(obj)
	return b, err == nil
}

// putOwner writes an owner record of run at key.
func (s *Store) putOwner(t *testing.T, key, run string, pid int, procStart string, started time.Time) {
	t.Helper()
	o := backup.NewOwner(run, "backup")
	o.PID, o.ProcStart, o.Started = pid, procStart, started.UTC()
	if err := s.put(context.Background(), key, o.Marshal(), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
}

func newServer(t *testing.T) (*s3test.Server, string) {
	t.Helper()
	srv := s3test.Start(t)
	return srv, srv.Bucket(t, "backups")
}

func config(srv *s3test.Server, dest string) Config {
	return Config{Destination: dest, S3: model.S3{Endpoint: srv.Endpoint, Region: "us-east-1",
		AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, PathStyle: true}}
}

func TestContract(t *testing.T) {
	srv, bucket := newServer(t)
	var n atomic.Int64
	storagetest.Run(t, func(t *testing.T) backup.Storage {
		s, err := New(config(srv, fmt.Sprintf("s3://%s/contract/%d/main", bucket, n.Add(1))))
		if err != nil {
			t.Fatal(err)
		}
		return crashable{s}
	})
}

func TestPartSize(t *testing.T) {
	for _, tc := range []struct {
		expected int64
		want     uint64
	}{
		{0, 16 << 20},
		{1 << 30, 16 << 20},
		{100 << 30, 31 << 20}, // 300 GiB / 10,000 = 30.7 MiB, rounded up
		{1 << 50, 5 << 30},    // capped at S3's largest part
	} {
		if got := PartSize(tc.expected); got != tc.want {
			t.Errorf("PartSize(%d) = %d, want %d", tc.expected, got, tc.want)
		}
		// Three times the estimate fits in 10,000 parts (unless capped).
		if got := PartSize(tc.expected); got < 5<<30 && int64(got)*maxParts < 3*tc.expected {
			t.Errorf("PartSize(%d) = %d leaves 3x the estimate beyond 10,000 parts", tc.expected, got)
		}
	}
}

func TestParseDestination(t *testing.T) {
	for _, tc := range []struct{ in, bucket, prefix string }{
		{"s3://backups", "backups", ""},
		{"s3://backups/", "backups", ""},
		{"s3://backups/redis/prod/", "backups", "redis/prod"},
	} {
		b, p, err := ParseDestination(tc.in)
		if err != nil || b != tc.bucket || p != tc.prefix {
			t.Errorf("ParseDestination(%q) = %q, %q, %v; want %q, %q", tc.in, b, p, err, tc.bucket, tc.prefix)
		}
	}
	for _, bad := range []string{"/var/backups", "s3://", "s3://ab", "s3://Upper", "s3://-x-", "s3://b_k", "s3://bucket/a//b", "s3://bucket/../x", "s3://bucket/a\\b"} {
		if _, _, err := ParseDestination(bad); err == nil {
			t.Errorf("ParseDestination(%q) succeeded", bad)
		}
	}
}

// A large artifact streams through multipart parts and reads back whole;
// the prefix holds nothing but the backup afterwards.
func TestMultipartRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("uploads 40 MiB")
	}
	srv, bucket := newServer(t)
	s, err := New(config(srv, "s3://"+bucket+"/big"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const id = "20261129T030000Z"
	p, err := s.Begin(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	w, err := backup.CreateSized(ctx, p, "dump.rdb", 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), (40<<20)/16+3) // three parts
	for chunk := range slicesChunk(data, 1<<20) {
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	m := &backup.Manifest{Version: backup.ManifestVersion, ID: id, Files: []backup.File{{Name: "dump.rdb", StoredSize: int64(len(data)), Compression: backup.CompressionNone}}}
	if err := p.Commit(ctx, m); err != nil {
		t.Fatal(err)
	}
	rc, err := s.Open(ctx, id, "dump.rdb")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes (%v), want the %d written", len(got), err, len(data))
	}
	if n, err := s.Clean(ctx); err != nil || n != 0 {
		t.Errorf("Clean = %d, %v; want 0, nil", n, err)
	}
	for u := range s.client.ListIncompleteUploads(ctx, bucket, "", true) {
		t.Errorf("incomplete upload left: %s (%v)", u.Key, u.Err)
	}
}

func slicesChunk(b []byte, n int) func(func([]byte) bool) {
	return func(yield func([]byte) bool) {
		for len(b) > 0 {
			k := min(n, len(b))
			if !yield(b[:k]) {
				return
			}
			b = b[k:]
		}
	}
}

// An upload cut off midway (a writer that is never closed, as when the
// process dies) leaves an incomplete multipart upload, which Abort
// removes.
func TestAbortRemovesIncompleteUploads(t *testing.T) {
	srv, bucket := newServer(t)
	s, err := New(config(srv, "s3://"+bucket+"/abort"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := s.Begin(ctx, "20261129T030000Z")
	if err != nil {
		t.Fatal(err)
	}
	w, err := p.Create(ctx, "dump.rdb")
	if err != nil {
		t.Fatal(err)
	}
	// More than one part, so that at least one part reaches the server.
	if _, err := w.Write(make([]byte, 17<<20)); err != nil {
		t.Fatal(err)
	}
	testwait.For(t, 5*time.Second, "a part to reach the server", func() (bool, error) {
		for u := range s.client.ListIncompleteUploads(ctx, bucket, "", true) {
			return u.Err == nil, u.Err
		}
		return false, nil
	})
	if err := p.Abort(ctx); err != nil {
		t.Fatal(err)
	}
	for u := range s.client.ListIncompleteUploads(ctx, bucket, "", true) {
		t.Errorf("incomplete upload left after Abort: %s (%v)", u.Key, u.Err)
	}
	for o := range s.client.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
		t.Errorf("object left after Abort: %s (%v)", o.Key, o.Err)
	}
	if err := w.Close(); err == nil {
		t.Error("Close after Abort succeeded")
	}
}

// A run begun on another host is spared until it is StaleAfter old: its
// process cannot be asked.
func TestCleanOtherHost(t *testing.T) {
	srv, bucket := newServer(t)
	s, err := New(config(srv, "s3://"+bucket+"/hosts"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i, started := range []time.Time{time.Now().Add(-time.Hour), time.Now().Add(-backup.StaleAfter - time.Hour)} {
		id := fmt.Sprintf("2026112%dT030000Z", i)
		o := backup.NewOwner("0123456789abcdef", "backup")
		o.PID, o.Host, o.Started = deadPID, "elsewhere.example", started
		if err := s.put(ctx, s.ownerKey(id, "0123456789abcdef"), o.Marshal(), minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := s.put(ctx, s.runPrefix(id, "0123456789abcdef")+"dump.rdb", []byte("x"), minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.Clean(ctx)
	if err != nil || n != 1 {
		t.Fatalf("Clean = %d, %v; want 1 (only the run older than %s)", n, err, backup.StaleAfter)
	}
	objs, _ := s.listAll(ctx, s.root)
	if len(objs) != 2 || !strings.HasPrefix(objs[0].Key, "hosts/20261120T030000Z/") {
		t.Errorf("left %d objects, want the young run's 2", len(objs))
	}
}

// Neither key appears in an error, whatever goes wrong.
func TestErrorsHoldNoSecret(t *testing.T) {
	srv, bucket := newServer(t)
	ctx := context.Background()
	cfgs := map[string]Config{}
	wrongSecret := config(srv, "s3://"+bucket+"/x")
	wrongSecret.SecretKey = "wrong-" + srv.SecretKey
	cfgs["wrong secret"] = wrongSecret
	unknownKey := config(srv, "s3://"+bucket+"/x")
	unknownKey.AccessKey = "AKUNKNOWN" + srv.AccessKey
	cfgs["unknown access key"] = unknownKey
	noBucket := config(srv, "s3://no-such-bucket/x")
	cfgs["missing bucket"] = noBucket
	for name, cfg := range cfgs {
		s, err := New(cfg)
		if err == nil {
			_, err = s.List(ctx)
		}
		if err == nil {
			t.Errorf("%s: List succeeded", name)
			continue
		}
		for _, secret := range []string{cfg.AccessKey, cfg.SecretKey, srv.SecretKey} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: the error shows a key: %v", name, err)
			}
		}
	}
	// Only one key given.
	half := config(srv, "s3://"+bucket+"/x")
	half.SecretKey = ""
	if _, err := New(half); err == nil || strings.Contains(err.Error(), half.AccessKey) {
		t.Errorf("New with only access_key = %v, want an error without the key", err)
	}
}

func TestRedact(t *testing.T) {
	s := &Store{secrets: secret.New("AKIDSECRET", "topsecret")}
	err := s.clean(fmt.Errorf("open: key AKIDSECRET/topsecret refused: %w", os.ErrNotExist))
	if strings.Contains(err.Error(), "AKIDSECRET") || strings.Contains(err.Error(), "topsecret") {
		t.Errorf("clean left a secret: %v", err)
	}
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("clean lost the wrapped error: %v", err)
	}
	// The server's answer is still classified once its message is
	// redacted.
	err = s.clean(minio.ErrorResponse{StatusCode: 404, Code: "NoSuchKey", Message: "no such key for AKIDSECRET"})
	if strings.Contains(err.Error(), "AKIDSECRET") || !notFound(err) {
		t.Errorf("clean(404) = %v, notFound %v; want redacted and not found", err, notFound(err))
	}
}

// Credentials come from the AWS environment variables when the spec sets
// none.
func TestEnvironmentCredentials(t *testing.T) {
	srv, bucket := newServer(t)
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	// No role either: the test asks no metadata service.
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "")
	t.Setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "")
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	cfg := config(srv, "s3://"+bucket+"/env")
	cfg.AccessKey, cfg.SecretKey = "", ""
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.List(context.Background()); err != nil {
		t.Fatalf("List with environment credentials: %v", err)
	}
	// And from a shared credentials file, with a profile.
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	file := t.TempDir() + "/credentials"
	os.WriteFile(file, []byte("[default]\naws_access_key_id = nope\naws_secret_access_key = nope\n\n[backup]\naws_access_key_id = "+srv.AccessKey+"\naws_secret_access_key = "+srv.SecretKey+"\n"), 0o600)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", file)
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_PROFILE", "backup")
	if s, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := s.List(context.Background()); err != nil {
		t.Fatalf("List with a credentials file: %v", err)
	}
	// None at all.
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "no S3 credentials") {
		t.Errorf("New without credentials = %v, want a hint", err)
	}
}

// A pid that runs again, but as another process (reused after a crash),
// does not keep a dead run alive.
func TestCleanReusedPID(t *testing.T) {
	srv, bucket := newServer(t)
	s, err := New(config(srv, "s3://"+bucket+"/reuse"))
	if err != nil {
		t.Fatal(err)
	}
	if backup.ProcStart(os.Getpid()) == "" {
		t.Skip("no /proc: process start times are not recorded")
	}
	ctx := context.Background()
	const id, run = "20261129T030000Z", "0123456789abcdef"
	// This test's own pid, with another start time: a reused pid.
	s.putOwner(t, s.ownerKey(id, run), run, os.Getpid(), "1", time.Now())
	if n, err := s.Clean(ctx); err != nil || n != 1 {
		t.Errorf("Clean = %d, %v; want the run of the reused pid removed", n, err)
	}
	// The same pid with its true start time is alive.
	s.putOwner(t, s.ownerKey(id, run), run, os.Getpid(), backup.ProcStart(os.Getpid()), time.Now())
	if n, err := s.Clean(ctx); err != nil || n != 0 {
		t.Errorf("Clean = %d, %v; want a live run spared", n, err)
	}
}

// The manifest's conditional write is what keeps two concurrent commits
// of one ID from both succeeding: the server refuses a second one.
func TestManifestWriteIsConditional(t *testing.T) {
	srv, bucket := newServer(t)
	s, err := New(config(srv, "s3://"+bucket+"/cond"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	put := func() error {
		var opts minio.PutObjectOptions
		opts.SetMatchETagExcept("*")
		return s.put(ctx, s.manifestKey("20261129T030000Z"), []byte("{}"), opts)
	}
	if err := put(); err != nil {
		t.Fatal(err)
	}
	err = put()
	if r := minio.ToErrorResponse(err); r.StatusCode != 412 {
		t.Fatalf("second conditional write = %v (status %d), want 412 Precondition Failed", err, r.StatusCode)
	}
}

// sse = "AES256" asks for server-side encryption on every object; the
// backup reads back as written.
func TestServerSideEncryption(t *testing.T) {
	srv, bucket := newServer(t)
	cfg := config(srv, "s3://"+bucket+"/sse")
	cfg.SSE = "AES256"
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const id = "20261129T030000Z"
	p, err := s.Begin(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	w, err := p.Create(ctx, "dump.rdb")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("encrypted at rest"))
	if err := w.Close(); err != nil {
		t.Fatalf("upload with SSE: %v", err)
	}
	m := &backup.Manifest{Version: backup.ManifestVersion, ID: id, Files: []backup.File{{Name: "dump.rdb", StoredSize: 17, Compression: backup.CompressionNone}}}
	if err := p.Commit(ctx, m); err != nil {
		t.Fatal(err)
	}
	rc, err := s.Open(ctx, id, "dump.rdb")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if b, err := io.ReadAll(rc); err != nil || string(b) != "encrypted at rest" {
		t.Fatalf("read %q, %v", b, err)
	}
	if _, err := New(Config{Destination: cfg.Destination, S3: model.S3{AccessKey: "a", SecretKey: "b", SSE: "rot13"}}); err == nil {
		t.Error("New with sse = rot13 succeeded")
	}
}

// A complete backup whose owner record outlived its commit (the process
// killed between the manifest and the record's removal, or a deletion
// killed before it removed the manifest) keeps its artifacts: Clean only
// drops the record.
func TestCleanKeepsCommittedRun(t *testing.T) {
	srv, bucket := newServer(t)
	s, err := New(config(srv, "s3://"+bucket+"/committed"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const id = "20261129T030000Z"
	p, err := s.Begin(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := p.Create(ctx, "dump.rdb")
	w.Write([]byte("complete"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	m := &backup.Manifest{Version: backup.ManifestVersion, ID: id, Files: []backup.File{{Name: "dump.rdb", StoredSize: 8, Compression: backup.CompressionNone}}}
	if err := p.Commit(ctx, m); err != nil {
		t.Fatal(err)
	}
	run := p.(*pending).run
	s.putOwner(t, s.ownerKey(id, run), run, deadPID, "", time.Now())
	if n, err := s.Clean(ctx); err != nil || n != 0 {
		t.Errorf("Clean = %d, %v; want 0: the run is committed", n, err)
	}
	rc, err := s.Open(ctx, id, "dump.rdb")
	if err != nil {
		t.Fatalf("the committed backup lost its artifact: %v", err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "complete" {
		t.Errorf("read %q", b)
	}
	if objs, _ := s.listAll(ctx, s.ownerKey(id, run)); len(objs) != 0 {
		t.Errorf("the dead owner record of a committed run was kept")
	}
}
