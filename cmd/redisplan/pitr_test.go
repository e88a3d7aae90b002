package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/minio/minio-go/v7"
	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/archive"
	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/repository"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/s3test"
	"github.com/redisplan/redisplan/internal/testwait"
)

// pitrReplID is the replication ID of the hand-made archive below.
const pitrReplID = "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed"

// handArchive plays the archiver for a test: it anchors the newest base
// backup at a stream position and commits segments after it through the
// archive package's writer, while the same commands go to the server
// itself, so that the server is the reference for the restored data.
type handArchive struct {
	t    *testing.T
	repo *repository.Repository
	c    *redis.Conn
	off  int64
	db   int
}

// newHandArchive anchors the newest backup in repo at stream offset
// 1000 of pitrReplID; edit rewrites a manifest where the storage keeps
// it, as patch makes it.
func newHandArchive(t *testing.T, addr string, repo *repository.Repository, edit func(id string, patch func([]byte) []byte)) *handArchive {
	t.Helper()
	own, err := backup.LoadCatalog(t.Context(), repo.Storage)
	if err != nil || len(own) == 0 {
		t.Fatalf("the base backup: %v, %d backups", err, len(own))
	}
	// The base's position: what an archiver's full sync, or a backup run
	// of a server with the archiver as its replica, records.
	edit(own[len(own)-1].ID, func(b []byte) []byte {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		m["repl_id"], m["repl_offset"], m["repl_stream_db"] = pitrReplID, 1000, 0
		if b, err = json.Marshal(m); err != nil {
			t.Fatal(err)
		}
		return b
	})
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true}).Conn()
	t.Cleanup(func() { c.Close() })
	return &handArchive{t: t, repo: repo, c: c, off: 1000}
}

// localHandArchive is newHandArchive for a destination directory.
func localHandArchive(t *testing.T, addr, dest string) *handArchive {
	t.Helper()
	repo, err := repository.Open(&model.Target{Name: "main", Backup: &model.Backup{Destination: dest}}, "")
	if err != nil {
		t.Fatal(err)
	}
	return newHandArchive(t, addr, repo, func(id string, patch func([]byte) []byte) {
		paths, err := filepath.Glob(filepath.Join(dest, "*", id, backup.ManifestName))
		if err != nil || len(paths) != 1 {
			t.Fatalf("manifest of %s: %v %v", id, paths, err)
		}
		b, err := os.ReadFile(paths[0])
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(paths[0], patch(b), 0o600); err != nil {
			t.Fatal(err)
		}
	})
}

// segment sends the batches to the server, each after its own time mark,
// and commits them as one segment. It returns the time of each batch.
func (h *handArchive) segment(batches ...[][]string) []time.Time {
	t := h.t
	t.Helper()
	var buf bytes.Buffer
	w, err := archive.NewSegmentWriter(&buf, archive.Header{Version: archive.SegmentVersion, Target: "main", ReplID: pitrReplID,
		StartOffset: h.off, DB: h.db, First: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	var at []time.Time
	for _, batch := range batches {
		time.Sleep(3 * time.Millisecond) // a mark of its own
		now := time.Now()
		at = append(at, now)
		if err := w.Mark(now); err != nil {
			t.Fatal(err)
		}
		for _, cmd := range batch {
			args := make([]any, len(cmd))
			var raw strings.Builder
			fmt.Fprintf(&raw, "*%d\r\n", len(cmd))
			for i, a := range cmd {
				args[i] = a
				fmt.Fprintf(&raw, "$%d\r\n%s\r\n", len(a), a)
			}
			if err := h.c.Do(t.Context(), args...).Err(); err != nil && err != redis.Nil {
				t.Fatalf("%v: %v", cmd, err)
			}
			_, parsed, err := archive.ParseCommand([]byte(raw.String()))
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Command([]byte(raw.String()), parsed); err != nil {
				t.Fatal(err)
			}
		}
	}
	end, db := w.Offset(), w.DB()
	if _, err := w.Close(time.Now()); err != nil {
		t.Fatal(err)
	}
	s := archive.Segment{ReplID: pitrReplID, Start: h.off, End: end}
	if err := h.repo.CommitObject(t.Context(), repository.Archive, s.FileName(), buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	h.off, h.db = end, db
	return at
}

func digestAt(t *testing.T, addr string) string {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true})
	defer c.Close()
	return digest(t, c)
}

// pitrWrites are writes of every kind the stream carries: several dbs,
// a transaction, expiries (PEXPIREAT far ahead, and one already past,
// which the server replicates as a DEL), hashes, lists, sorted sets.
func pitrWrites(tag string) [][]string {
	far := strconv.FormatInt(time.Now().Add(48*time.Hour).UnixMilli(), 10)
	return [][]string{
		{"SELECT", "0"}, {"SET", tag + ":a", "1"}, {"INCRBY", "counter", "5"}, {"PEXPIREAT", tag + ":a", far},
		{"MULTI"}, {"HSET", tag + ":h", "f", "v", "g", "w"}, {"RPUSH", tag + ":l", "x", "y"}, {"EXEC"},
		{"SELECT", "2"}, {"ZADD", tag + ":z", "1.5", "m"}, {"SET", tag + ":gone", "x"}, {"DEL", tag + ":gone"},
		{"SELECT", "0"},
	}
}

// TestRestoreToTimeUndoesAFlushall is the headline case: a FLUSHALL at T
// is undone by restore -to-time just before T. The restored data is the
// server's own just before the FLUSHALL, to the DEBUG DIGEST; -plan says
// what is restored with nothing changed, and a time before the base is
// refused with the window named.
func TestRestoreToTimeUndoesAFlushall(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`, "enable-debug-command yes")
	dest := t.TempDir()
	spec := backupSpec(t, d, dest, "")
	fillDataset(t, d.addr(), "base")
	mustRun(t, "backup", "run", "-config", spec)
	h := localHandArchive(t, d.addr(), dest)
	time.Sleep(5 * time.Millisecond)
	at := h.segment(pitrWrites("one"), pitrWrites("two"))
	want := digestAt(t, d.addr())
	flushAt := h.segment([][]string{{"FLUSHALL"}}, [][]string{{"SET", "after", "1"}})[0]
	to := at[1].Add(flushAt.Sub(at[1]) / 2).UTC().Format(time.RFC3339Nano)
	if digestAt(t, d.addr()) == want {
		t.Fatal("the FLUSHALL changed nothing")
	}

	plan := mustRun(t, "restore", "-config", spec, "-target", "main", "-to-time", to, "-plan")
	for _, say := range []string{"Restore of redis.main to " + to, "base backup ", "16 writes replayed from 2 archive segments",
		"the first write left out was received at", "point-in-time recovery is possible from"} {
		if !strings.Contains(plan, say) {
			t.Errorf("restore -plan does not say %q:\n%s", say, plan)
		}
	}
	if d.client(t).DBSize(t.Context()).Val() != 1 {
		t.Fatal("restore -plan changed the server's data")
	}

	out := mustRun(t, "restore", "-config", spec, "-target", "main", "-to-time", to, "-auto-approve")
	t.Logf("restore:\n%s", out)
	if got := digestAt(t, d.addr()); got != want {
		t.Errorf("after restore -to-time %s the digest is %s, the server's just before the FLUSHALL was %s", to, got, want)
	}

	early := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	code, _, errOut := runCLI(t, "restore", "-config", spec, "-target", "main", "-to-time", early, "-auto-approve")
	if code != 1 || !strings.Contains(errOut, "is outside what the archive can restore; point-in-time recovery is possible from") ||
		!strings.Contains(errOut, "Nothing was changed") {
		t.Errorf("restore to a time before the base: exit %d\n%s", code, errOut)
	}
}

// TestRestoreToLatestIntoALostDataDir is the disaster case: the server
// is killed and its data dir removed; restore -to-time latest makes the
// dir again, starts the server with the service start command and puts
// back every archived write.
func TestRestoreToLatestIntoALostDataDir(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, `save ""`, "enable-debug-command yes", "appendonly yes", "dir "+data)
	dest := t.TempDir()
	spec := backupSpec(t, d, dest, "")
	fillDataset(t, d.addr(), "base")
	mustRun(t, "backup", "run", "-config", spec)
	h := localHandArchive(t, d.addr(), dest)
	time.Sleep(5 * time.Millisecond)
	h.segment(pitrWrites("one"))
	h.segment(pitrWrites("two"), [][]string{{"SET", "last", "1"}})
	want := digestAt(t, d.addr())

	b, err := os.ReadFile(filepath.Join(d.dir, "redis.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	testwait.For(t, 10*time.Second, "the killed server to stop answering", func() (bool, error) { return !d.answers(), nil })
	if err := os.RemoveAll(data); err != nil {
		t.Fatal(err)
	}

	out := mustRun(t, "restore", "-config", spec, "-target", "main", "-to-time", "latest", "-auto-approve")
	t.Logf("restore:\n%s", out)
	for _, say := range []string{"the server does not answer (down)", "created the data dir"} {
		if !strings.Contains(out, say) {
			t.Errorf("the restore does not say %q", say)
		}
	}
	if got := digestAt(t, d.addr()); got != want {
		t.Errorf("after the disaster restore the digest is %s, before the loss it was %s", got, want)
	}
	if st, err := os.Stat(data); err != nil || st.Mode().Perm() != 0o750 {
		t.Errorf("the data dir after the restore: %v %v", st, err)
	}
}

// TestS3RestoreToTime is restore -to-time from a bucket: the base and
// the segments in S3 (versitygw), a FLUSHALL undone to the digest.
func TestS3RestoreToTime(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	bucket := srv.Bucket(t, "redis-pitr")
	d := startDaemon(t, `save ""`, "enable-debug-command yes")
	dest := "s3://" + bucket + "/prod"
	spec := s3Spec(t, d, srv, dest, "")
	fillDataset(t, d.addr(), "base")
	mustRunS3(t, srv, spec, "backup", "run")
	repo, err := repository.Open(&model.Target{Name: "main", Backup: &model.Backup{Destination: dest,
		S3: &model.S3{Endpoint: srv.Endpoint, Region: "us-east-1", AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, PathStyle: true}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	h := newHandArchive(t, d.addr(), repo, func(id string, patch func([]byte) []byte) {
		key := "prod/main/" + id + "/" + backup.ManifestName
		obj, err := srv.Client(t).GetObject(t.Context(), bucket, key, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(obj)
		if err != nil {
			t.Fatal(err)
		}
		info, err := obj.Stat()
		if err != nil {
			t.Fatal(err)
		}
		manifest := patch(b)
		// The manifest's metadata names the run that committed it: kept.
		opts := minio.PutObjectOptions{UserMetadata: info.UserMetadata}
		if _, err := srv.Client(t).PutObject(t.Context(), bucket, key, bytes.NewReader(manifest), int64(len(manifest)), opts); err != nil {
			t.Fatal(err)
		}
	})
	time.Sleep(5 * time.Millisecond)
	at := h.segment(pitrWrites("one"), pitrWrites("two"))
	want := digestAt(t, d.addr())
	flushAt := h.segment([][]string{{"FLUSHALL"}})[0]
	objects, _ := bucketObjects(t, srv, bucket)
	if n := len(objects); n != 4 || !strings.Contains(strings.Join(objects, " "), "prod/main/archive/"+pitrReplID) {
		t.Fatalf("the bucket holds %q, want the base (manifest, RDB) and two segments under prod/main/archive/", objects)
	}
	to := at[1].Add(flushAt.Sub(at[1]) / 2).UTC().Format(time.RFC3339Nano)
	out := mustRunS3(t, srv, spec, "restore", "-target", "main", "-to-time", to, "-auto-approve")
	if !strings.Contains(out, "16 writes replayed from 2 archive segments") {
		t.Errorf("the restore does not say what it replayed:\n%s", out)
	}
	if got := digestAt(t, d.addr()); got != want {
		t.Errorf("after restore -to-time from S3 the digest is %s, before the FLUSHALL it was %s", got, want)
	}
}

// runArchiver runs redisplan archive for the spec's target main until
// the test calls the function it returns, which stops it as SIGTERM does
// and checks that it exited 0.
func runArchiver(t *testing.T, args ...string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- runIn(ctx, surroundings{environ: environFor(t)}, append([]string{"archive"}, args...), strings.NewReader(""), &stdout, &stderr)
	}()
	return func() {
		t.Helper()
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Fatalf("archive: exit %d\n%s%s", code, stdout.String(), stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Fatal("archive did not end 30s after it was stopped")
		}
	}
}

// archivedWrites sends writes of every kind the stream carries (a
// script, a transaction, expiries, several dbs) and waits until the
// archiver has committed them (WAIT 1 returns 1 only then).
func archivedWrites(t *testing.T, addr, tag string) {
	t.Helper()
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true}).Conn()
	defer c.Close()
	far := time.Now().Add(48 * time.Hour).UnixMilli()
	for _, cmd := range [][]any{
		{"SELECT", 0}, {"SET", tag + ":a", "1"}, {"PEXPIREAT", tag + ":a", far}, {"INCRBY", "counter", 5},
		{"EVAL", "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('INCR', KEYS[2])", 2, tag + ":s", "counter", "script"},
		{"MULTI"}, {"HSET", tag + ":h", "f", "v"}, {"RPUSH", tag + ":l", "x", "y"}, {"EXEC"},
		{"SELECT", 2}, {"ZADD", tag + ":z", 1.5, "m"}, {"SET", tag + ":gone", "x", "PX", 1}, {"SLEEP"},
		// A read of the expired key deletes it, and the server sends the
		// DEL down the stream: an expiry the stream carries as a DEL.
		{"EXISTS", tag + ":gone"}, {"SELECT", 0},
	} {
		if cmd[0] == "SLEEP" {
			time.Sleep(5 * time.Millisecond)
			continue
		}
		if err := c.Do(ctx, cmd...).Err(); err != nil {
			t.Fatalf("%v: %v", cmd, err)
		}
	}
	testwait.For(t, 2*time.Minute, "the archiver to commit the writes (WAIT 1 100 = 1)", func() (bool, error) {
		n, err := c.Do(ctx, "WAIT", 1, 100).Int()
		return n == 1, err
	})
}

// TestArchiveThenRestoreToTime is the headline case end to end with the
// real archiver, in a directory and in S3 (versitygw): redisplan archive
// follows the server; writes, then a FLUSHALL and more writes; restore
// -to-time just before the FLUSHALL brings back the data as it was then,
// to the DEBUG DIGEST of the server itself at that time.
func TestArchiveThenRestoreToTime(t *testing.T) {
	t.Parallel()
	for _, where := range []string{"directory", "s3"} {
		t.Run(where, func(t *testing.T) {
			t.Parallel()
			d := startDaemon(t, `save ""`, "enable-debug-command yes")
			archive := "    archive {\n      flush = \"200ms\"\n    }"
			var spec string
			var args func(args ...string) []string
			noKeys := func(string) {}
			if where == "s3" {
				srv := s3test.Start(t)
				spec = s3Spec(t, d, srv, "s3://"+srv.Bucket(t, "redis-archive")+"/prod", archive)
				args = func(a ...string) []string { return s3Args(spec, srv, a...) }
				noKeys = func(out string) { noSecrets(t, srv, out) }
			} else {
				spec = backupSpec(t, d, t.TempDir(), archive)
				args = func(a ...string) []string { return append(a, "-config", spec) }
			}
			fillDataset(t, d.addr(), "base")
			archiveArgs := args("-target", "main")
			stop := runArchiver(t, archiveArgs...)
			archivedWrites(t, d.addr(), "one")
			archivedWrites(t, d.addr(), "two")
			want, wantData := digestAt(t, d.addr()), dataset(t, d.addr())
			at := time.Now().UTC()
			time.Sleep(20 * time.Millisecond)
			c := d.client(t)
			if err := c.FlushAll(context.Background()).Err(); err != nil {
				t.Fatal(err)
			}
			archivedWrites(t, d.addr(), "after")
			stop()

			out := mustRun(t, args("restore", "-target", "main", "-to-time", at.Format(time.RFC3339Nano), "-auto-approve")...)
			t.Logf("restore:\n%s", out)
			noKeys(out)
			if got := digestAt(t, d.addr()); got != want {
				t.Errorf("after restore -to-time %s the digest is %s; just before the FLUSHALL it was %s; the data (-then +restored):\n%s",
					at.Format(time.RFC3339Nano), got, want, cmp.Diff(wantData, dataset(t, d.addr())))
			}
		})
	}
}

// restore -plan of a backup runs the checks, shows both sides and stops
// before the question: the server keeps its data.
func TestRestorePlanChangesNothing(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`)
	dest := t.TempDir()
	spec := backupSpec(t, d, dest, "")
	fillDataset(t, d.addr(), "backup")
	mustRun(t, "backup", "run", "-config", spec)
	d.client(t).FlushAll(context.Background())
	fillDataset(t, d.addr(), "now")
	want := dataset(t, d.addr())
	out := mustRun(t, "restore", "-config", spec, "-target", "main", "-latest", "-plan")
	for _, say := range []string{"now holds:", "holds:", "Nothing was changed (-plan)"} {
		if !strings.Contains(out, say) {
			t.Errorf("restore -plan does not say %q:\n%s", say, out)
		}
	}
	if diff := cmp.Diff(want, dataset(t, d.addr())); diff != "" {
		t.Errorf("restore -plan changed the data (-before +after):\n%s", diff)
	}
}

// A target the result could not be restored into is refused before the
// archive is replayed (which can take long), with nothing changed.
func TestRestoreToTimeRefusedBeforeTheReplay(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`)
	dest := t.TempDir()
	fillDataset(t, d.addr(), "base")
	spec := backupSpec(t, d, dest, "")
	mustRun(t, "backup", "run", "-config", spec)
	h := localHandArchive(t, d.addr(), dest)
	time.Sleep(5 * time.Millisecond)
	h.segment(pitrWrites("one"))
	// The same spec (its backups are its own) without the service block.
	noService := fmt.Sprintf("redis \"main\" {\n  address     = %q\n  config_file = %q\n  backup {\n    destination = %q\n  }\n}\n", d.addr(), d.conf, dest)
	if err := os.WriteFile(spec, []byte(noService), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "restore", "-config", spec, "-target", "main", "-to-time", "latest", "-auto-approve")
	if code != 1 || !strings.Contains(errOut, "service { start") || !strings.Contains(errOut, "Nothing was changed") || strings.Contains(out+errOut, "replaying") {
		t.Errorf("restore -to-time into a target without a start command: exit %d\n%s%s", code, out, errOut)
	}
}

// drill pitr -json: one lost host of a scratch server, restored from its
// archive, judged against the rpo; the target's own server is not touched.
func TestDrillPITRJSON(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`)
	fillDataset(t, d.addr(), "mine")
	want := dataset(t, d.addr())
	spec := writeSpec(t, fmt.Sprintf("redis \"main\" {\n  address = %q\n  rpo     = \"2s\"\n  backup {\n    destination = %q\n"+
		"    archive {\n      flush = \"500ms\"\n    }\n  }\n}\n", d.addr(), t.TempDir()))
	code, out, errOut := runCLI(t, "drill", "pitr", "-config", spec, "-target", "main", "-runs", "1", "-json")
	if code != 0 {
		t.Fatalf("drill pitr: exit %d\n%s%s", code, out, errOut)
	}
	var rep struct {
		FormatVersion string  `json:"format_version"`
		Drill         string  `json:"drill"`
		Flush         float64 `json:"flush_seconds"`
		Pass          bool    `json:"pass"`
		Runs          []struct {
			Acknowledged, Recovered, Lost int64
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if rep.FormatVersion != "1.0" || rep.Drill != "pitr" || rep.Flush != 0.5 || !rep.Pass || len(rep.Runs) != 1 ||
		rep.Runs[0].Acknowledged == 0 || rep.Runs[0].Recovered+rep.Runs[0].Lost != rep.Runs[0].Acknowledged {
		t.Errorf("drill pitr -json:\n%s", out)
	}
	if diff := cmp.Diff(want, dataset(t, d.addr())); diff != "" {
		t.Errorf("the drill touched the target's server (-before +after):\n%s", diff)
	}
}

// TestRestoreToTimeReadsOnlyItsChain: a damaged segment in another chain
// (a later base of another replication ID) does not stop a restore to a
// time of an intact chain, which reads only its own segments.
func TestRestoreToTimeReadsOnlyItsChain(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`, "enable-debug-command yes")
	dest := t.TempDir()
	spec := backupSpec(t, d, dest, "")
	fillDataset(t, d.addr(), "base")
	mustRun(t, "backup", "run", "-config", spec)
	h := localHandArchive(t, d.addr(), dest)
	time.Sleep(5 * time.Millisecond)
	at := h.segment(pitrWrites("one"))
	want := digestAt(t, d.addr())
	flushAt := h.segment([][]string{{"FLUSHALL"}}, [][]string{{"SET", "after", "1"}})[0]
	to := at[0].Add(flushAt.Sub(at[0]) / 2).UTC().Format(time.RFC3339Nano)

	// Another chain: a newer base at offset 1000 of another replication
	// ID, and a segment after it whose content is damaged.
	const otherID = "0ddc4a1e0ddc4a1e0ddc4a1e0ddc4a1e0ddc4a1e"
	mustRun(t, "backup", "run", "-config", spec)
	other := localHandArchive(t, d.addr(), dest) // anchors the newest base
	own, err := backup.LoadCatalog(t.Context(), other.repo.Storage)
	if err != nil || len(own) != 2 {
		t.Fatalf("the two bases: %v, %d backups", err, len(own))
	}
	editManifest(t, dest, own[1].ID, func(m map[string]any) { m["repl_id"] = otherID })
	var buf bytes.Buffer
	w, err := archive.NewSegmentWriter(&buf, archive.Header{Version: archive.SegmentVersion, Target: "main", ReplID: otherID, StartOffset: 1000, First: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	raw := "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
	_, args, err := archive.ParseCommand([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Mark(time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := w.Command([]byte(raw), args); err != nil {
		t.Fatal(err)
	}
	end := w.Offset()
	if _, err := w.Close(time.Now()); err != nil {
		t.Fatal(err)
	}
	damaged := buf.Bytes()
	damaged[len(damaged)/2] ^= 0xff
	s := archive.Segment{ReplID: otherID, Start: 1000, End: end}
	if err := other.repo.CommitObject(t.Context(), repository.Archive, s.FileName(), damaged); err != nil {
		t.Fatal(err)
	}

	out := mustRun(t, "restore", "-config", spec, "-target", "main", "-to-time", to, "-auto-approve")
	t.Logf("restore:\n%s", out)
	if got := digestAt(t, d.addr()); got != want {
		t.Errorf("after restore -to-time %s the digest is %s, the server's just before the FLUSHALL was %s", to, got, want)
	}
}
