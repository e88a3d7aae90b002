package operations

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/redisplan/redisplan/executors/archive"
	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/backup/capture"
	"github.com/redisplan/redisplan/executors/check"
	"github.com/redisplan/redisplan/executors/repository"
	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/redisinfo"
	"github.com/redisplan/redisplan/internal/s3test"
	"github.com/redisplan/redisplan/internal/testwait"
)

// putBase commits a base backup of stream replid at offset off into
// repo: one small artifact, verified, owned by the target, one key.
func putBase(t *testing.T, repo *repository.Repository, id string, started time.Time, replid string, off int64) *backup.Manifest {
	t.Helper()
	ctx := context.Background()
	data := []byte("stands for an RDB: " + id)
	p, err := repo.Storage.Begin(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	w, err := p.Create(ctx, "dump.rdb")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	m := &backup.Manifest{Version: backup.ManifestVersion, ID: id, Target: repo.Target.Name, Method: "replication",
		Started: started, Finished: started.Add(time.Second), Verified: true, VerifiedAt: started.Add(time.Second),
		Keyspace: map[int]backup.DBStats{0: {Keys: 1}}, Owner: repository.Owner(repo.Target), RedisplanVersion: "test",
		ReplID: replid, ReplOffset: off,
		Files: []backup.File{{Name: "dump.rdb", Original: "dump.rdb", Kind: backup.KindRDB,
			RawSize: int64(len(data)), StoredSize: int64(len(data)), Compression: backup.CompressionNone}}}
	if err := p.Commit(ctx, m); err != nil {
		t.Fatal(err)
	}
	return m
}

// respOf is a command as RESP bytes.
func respOf(args ...string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.Bytes()
}

// putSegment commits a segment of stream replid covering offsets start
// to end, its writes received at at: a SET when the stretch is long
// enough for one, the rest counted as the master's PINGs.
func putSegment(t *testing.T, repo *repository.Repository, replid string, start, end int64, at time.Time) archive.Segment {
	t.Helper()
	var buf bytes.Buffer
	w, err := archive.NewSegmentWriter(&buf, archive.Header{Target: repo.Target.Name, ReplID: replid, StartOffset: start, First: at})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Mark(at); err != nil {
		t.Fatal(err)
	}
	raw := respOf("SET", "k", strconv.FormatInt(start, 10))
	if n := end - start; int64(len(raw)) <= n {
		_, args, err := archive.ParseCommand(raw)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Command(raw, args); err != nil {
			t.Fatal(err)
		}
		w.Skip(n - int64(len(raw)))
	} else {
		w.Skip(n)
	}
	if _, err := w.Close(at); err != nil {
		t.Fatal(err)
	}
	s := archive.Segment{ReplID: replid, Start: start, End: end}
	s.Name = s.FileName()
	if err := repo.CommitObject(context.Background(), repository.Archive, s.Name, buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	return s
}

func resultOf(rs []check.Result, name string) *check.Result {
	for i := range rs {
		if rs[i].Name == name {
			return &rs[i]
		}
	}
	return nil
}

// TestCheckArchiveLagOnARealServer: check reads the server's stream
// position from INFO replication of a real redis-server (a replica
// attached, so that the stream moves) and the archive's from the
// destination: lag 0 while the archive holds the whole stream and an
// archiver (a link without a listening port) is connected, the age
// of the newest archived write once the server wrote more; the recovery
// window is named once a base is in the stream; -format prometheus
// carries the figures.
func TestCheckArchiveLagOnARealServer(t *testing.T) {
	t.Parallel()
	master := servertest.Start(t, servertest.Options{})
	if master == nil {
		return
	}
	replica := servertest.Start(t, servertest.Options{Config: fmt.Sprintf("replicaof 127.0.0.1 %d\n", master.Port())})
	ctx := context.Background()
	mc, rc := master.Client(t), replica.Client(t)
	testwait.For(t, 15*time.Second, "the replica to sync", func() (bool, error) {
		info, err := rc.Info(ctx, "replication").Result()
		return strings.Contains(info, "master_link_status:up"), err
	})
	if err := mc.Set(ctx, "a", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	position := func() (string, int64) {
		info, err := mc.Info(ctx, "replication").Result()
		if err != nil {
			t.Fatal(err)
		}
		f := redisinfo.Parse(info)
		off, _ := strconv.ParseInt(f["master_repl_offset"], 10, 64)
		return f["master_replid"], off
	}
	dir := t.TempDir()
	res := loadSpec(t, fmt.Sprintf(`redis "main" {
  address = %q
  backup {
    destination = %q
    archive {
      flush = "1s"
    }
  }
  alerts {
    archive_lag {
      warning  = "5s"
      critical = "1h"
    }
  }
}
`, master.Addr(), filepath.Join(dir, "backups")))
	tg := res.Spec.Targets[0]
	repo, err := repository.Open(tg, "")
	if err != nil {
		t.Fatal(err)
	}
	run := func() (*check.Result, *check.Result, *CheckResult) {
		t.Helper()
		r, err := Check(ctx, CheckOptions{Targets: res.Spec.Targets, StateDir: t.TempDir(), Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return resultOf(r.Report.Results, check.CheckArchiveLag), resultOf(r.Report.Results, check.CheckArchiveGap), r
	}

	if lag, _, _ := run(); lag == nil || lag.Status != check.Critical || !strings.Contains(lag.Message, "nothing is archived yet") {
		t.Fatalf("archive_lag of an empty archive = %+v", lag)
	}

	// An archiver's handshake (no listening port): the server lists it
	// among its replicas with port=0, as it does redisplan archive.
	follower, err := capture.DialStream(ctx, tg.Connection)
	if err != nil {
		t.Fatal(err)
	}
	defer follower.Close()
	if _, err := follower.PSync("", 0); err != nil {
		t.Fatal(err)
	}
	replid, off := position()
	received := time.Now().Add(-30 * time.Second)
	putSegment(t, repo, replid, 0, off, received)
	lag, gap, _ := run()
	if lag == nil || lag.Status != check.OK || lag.Value == nil || *lag.Value != 0 || !strings.Contains(lag.Message, fmt.Sprintf("offset %d", off)) {
		// The master may have sent a PING since: then it is said so.
		if lag == nil || lag.Status != check.OK || !strings.Contains(lag.Message, "PINGs") {
			t.Fatalf("archive_lag with the whole stream archived = %+v", lag)
		}
	}
	if gap == nil || gap.Status != check.OK || !strings.Contains(gap.Message, "no point-in-time recovery yet") {
		t.Errorf("archive_gap without a base = %+v", gap)
	}

	follower.Close()
	testwait.For(t, 15*time.Second, "the archiver's link to close", func() (bool, error) {
		info, err := mc.Info(ctx, "replication").Result()
		return !strings.Contains(info, ",port=0,"), err
	})
	for i := range 50 {
		if err := mc.Set(ctx, "k"+strconv.Itoa(i), "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	base := putBase(t, repo, "20261204T030000.000Z", received.Add(-time.Minute), replid, 0)
	lag, gap, r := run()
	// The only replica is a real one (a port): no archiver is connected.
	if lag.Status != check.Warning || lag.Value == nil || *lag.Value < 30 || !strings.Contains(lag.Message, "is not archived") ||
		!strings.Contains(lag.Message, "no archiver is connected") {
		t.Errorf("archive_lag with writes after the archive = %+v", lag)
	}
	if gap.Status != check.OK || !strings.Contains(gap.Message, "point-in-time recovery from "+base.Started.UTC().Format(time.RFC3339)) {
		t.Errorf("archive_gap with a base = %+v", gap)
	}
	var buf bytes.Buffer
	check.WritePrometheus(&buf, r.Report, r.Metrics)
	for _, want := range []string{`redisplan_archive_lag_seconds{target="main"} `, `redisplan_archive_segments{target="main"} 1`,
		`redisplan_archive_gaps{target="main"} 0`, `redisplan_archive_recovery_window_start_timestamp_seconds{target="main"} `} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("metrics lack %q:\n%s", want, buf.String())
		}
	}
}

// TestArchiveRetentionListVerifyOnS3: in an S3 destination (versitygw),
// backup list shows the recovery windows and the gap a restart made;
// verify reads every segment of every chain; a dry-run prune deletes
// nothing; a prune with keep_last = 2 deletes the two old bases, the
// segments only they needed, and nothing else: the kept bases' chain,
// a stream no base of the target is in, and an object that is no
// segment stay. Then list shows one window from the oldest kept base.
func TestArchiveRetentionListVerifyOnS3(t *testing.T) {
	t.Parallel()
	s3 := s3test.Start(t)
	if s3 == nil {
		return
	}
	bucket := s3.Bucket(t, "archive")
	res := loadSpec(t, fmt.Sprintf(`redis "main" {
  address = "127.0.0.1:1"
  backup {
    destination = "s3://%s/redis"
    retention {
      keep_last = 2
    }
    archive {
      flush = "1s"
    }
    s3 {
      endpoint   = %q
      region     = "us-east-1"
      access_key = %q
      secret_key = %q
      path_style = true
    }
  }
}
`, bucket, s3.Endpoint, s3.AccessKey, s3.SecretKey))
	tg := res.Spec.Targets[0]
	repo, err := repository.Open(tg, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const (
		r1 = "1111111111111111111111111111111111111111" // before a restart
		r2 = "2222222222222222222222222222222222222222" // the server now
		r3 = "3333333333333333333333333333333333333333" // no base of ours
	)
	// The store dates a segment by its commit, now: the bases after the
	// restart are dated after it, so that the restart is a gap.
	now := time.Now().UTC().Truncate(time.Second)
	b1 := putBase(t, repo, "20261204T000000.000Z", now.Add(-2*time.Hour), r1, 0)
	putSegment(t, repo, r1, 0, 100, now)
	putSegment(t, repo, r1, 100, 200, now)
	b2 := putBase(t, repo, "20261204T010000.000Z", now.Add(time.Hour), r2, 0)
	putBase(t, repo, "20261204T020000.000Z", now.Add(2*time.Hour), r2, 1000)
	putBase(t, repo, "20261204T030000.000Z", now.Add(3*time.Hour), r2, 2000)
	for i := int64(0); i < 5; i++ {
		putSegment(t, repo, r2, i*500, (i+1)*500, now)
	}
	putSegment(t, repo, r3, 0, 50, now)
	if err := repo.CommitObject(ctx, repository.Archive, "README.txt", []byte("not a segment")); err != nil {
		t.Fatal(err)
	}
	objects := func() []string {
		var out []string
		for o := range s3.Client(t).ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: "redis/main/archive/", Recursive: true}) {
			if o.Err != nil {
				t.Fatal(o.Err)
			}
			name := strings.TrimPrefix(o.Key, "redis/main/archive/")
			if s, ok := archive.ParseName(name); ok {
				name = s.ReplID[:1] + ":" + strconv.FormatInt(s.Start, 10)
			}
			out = append(out, name)
		}
		sort.Strings(out)
		return out
	}

	l, err := ListBackups(ctx, res.Spec.Targets, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Archives) != 1 {
		t.Fatalf("archives %+v", l.Archives)
	}
	a := l.Archives[0]
	if a.Segments != 8 || len(a.Windows) != 2 || len(a.Gaps) != 1 || len(a.Unanchored) != 1 || a.Unanchored[0].ReplID != r3 {
		t.Fatalf("archive %+v", a)
	}
	// A window ends at its newest write as the segment's footer says,
	// which a restore to a time reads, not at the store's commit time.
	if w := a.Windows[1]; w.Base != b2.ID || !w.From.Equal(b2.Started) || w.Segments != 5 || !w.To.Equal(now) {
		t.Errorf("window %+v, want from %v to %v", w, b2.Started, now)
	}
	text := strings.Join(a.Lines(), "\n")
	for _, want := range []string{"point-in-time recovery from " + timeText(b1.Started) + " to ", "point-in-time recovery from " + timeText(b2.Started) + " to ",
		"gap from ", "replication ID changed", "1 segments of stream " + r3} {
		if !strings.Contains(text, want) {
			t.Errorf("list says:\n%s\nwant %q", text, want)
		}
	}

	// The bases are no RDB files, so verify finds the backup damaged;
	// the archive is whole.
	v, err := VerifyBackup(ctx, tg, VerifyRequest{}, BackupOptions{})
	if v.Archive == nil || !v.Archive.OK() || v.Archive.Chains != 2 || v.Archive.Segments != 7 || strings.Contains(fmt.Sprint(err), "archive") {
		t.Fatalf("verify: %+v %v", v.Archive, err)
	}

	before := objects()
	runs, err := Prune(ctx, tg, "", true, BackupOptions{})
	if err != nil || len(runs) != 1 || runs[0].Archive == nil || len(runs[0].Archive.Drop) != 4 || runs[0].Archive.Deleted != 0 {
		t.Fatalf("dry run: %+v %v", runs, err)
	}
	if after := objects(); strings.Join(after, " ") != strings.Join(before, " ") {
		t.Fatalf("a dry run changed the archive: %v, was %v", after, before)
	}
	runs, err = Prune(ctx, tg, "", false, BackupOptions{})
	if err != nil || runs[0].Result.Deleted != 2 || runs[0].Archive.Deleted != 4 || len(runs[0].Archive.Alone) != 1 {
		t.Fatalf("prune: %+v %v", runs, err)
	}
	if got, want := strings.Join(objects(), " "), "2:1000 2:1500 2:2000 3:0 README.txt"; got != want {
		t.Errorf("archive after prune: %s, want %s", got, want)
	}
	lines := strings.Join(runs[0].ArchiveLines("delete"), "\n")
	for _, want := range []string{"keep 3 segments", "delete 4 segments", "1 segments left alone"} {
		if !strings.Contains(lines, want) {
			t.Errorf("prune says:\n%s\nwant %q", lines, want)
		}
	}

	l, err = ListBackups(ctx, res.Spec.Targets, "")
	if err != nil {
		t.Fatal(err)
	}
	a = l.Archives[0]
	if len(l.Backups) != 2 || len(a.Windows) != 1 || len(a.Gaps) != 0 || a.Windows[0].Base != "20261204T020000.000Z" || a.Windows[0].Segments != 3 {
		t.Errorf("after prune: %d backups, archive %+v", len(l.Backups), a)
	}
	v, err = VerifyBackup(ctx, tg, VerifyRequest{}, BackupOptions{})
	if v.Archive == nil || !v.Archive.OK() || v.Archive.Segments != 3 || strings.Contains(fmt.Sprint(err), "archive") {
		t.Errorf("verify after prune: %+v %v", v.Archive, err)
	}
}
