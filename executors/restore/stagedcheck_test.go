package restore

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/google/go-cmp/cmp"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/progress"
)

// stored returns src as a catalog backup holds it: each file stored with
// zstd under its digests, read back through backup.OpenStream (Open) and
// backup.OpenStreamWithoutRawDigest (OpenWithoutRawDigest), as
// operations.RestoreSource gives it.
func stored(t *testing.T, src Source) Source {
	t.Helper()
	s, _ := storedBlobs(t, src)
	return s
}

// storedBlobs is stored, with the stored bytes of each file by its stored
// name: what the Source reads, so that a test may change them.
func storedBlobs(t *testing.T, src Source) (Source, map[string][]byte) {
	t.Helper()
	m := *src.Manifest
	m.Files = nil
	blobs := map[string][]byte{}
	for _, f := range src.Manifest.Files {
		rc, err := src.Open(t.Context(), f)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		sf, err := backup.StoreStream(t.Context(), &buf, rc, backup.StoreOptions{Compression: backup.CompressionZstd})
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		sf.Name, sf.Original, sf.Kind = f.Name+".zst", f.Original, f.Kind
		blobs[sf.Name] = buf.Bytes()
		m.Files = append(m.Files, sf)
	}
	open := func(fn func(io.Reader, backup.File, []age.Identity) (io.ReadCloser, error)) func(context.Context, backup.File) (io.ReadCloser, error) {
		return func(_ context.Context, f backup.File) (io.ReadCloser, error) {
			return fn(bytes.NewReader(blobs[f.Name]), f, nil)
		}
	}
	return Source{Manifest: &m, Open: open(backup.OpenStream), OpenWithoutRawDigest: open(backup.OpenStreamWithoutRawDigest)}, blobs
}

// A catalog backup is staged without its raw digest and RDB check, which
// run over the staged files beside the stop and the load: the restore
// says so, times them, and restores the backup's data, for an RDB and
// for an AOF directory (several files, checked one after the other).
func TestRestoreChecksStagedFilesBesideTheLoad(t *testing.T) {
	t.Parallel()
	t.Run("rdb", func(t *testing.T) {
		t.Parallel()
		d := startDaemon(t, "")
		conn := d.connection()
		fillData(t, conn, "A", 0, 1)
		saveNow(t, conn)
		src := stored(t, rdbBackup(t, conn, d.dataDir))
		wantA := snapshot(t, conn)
		flushAll(t, conn)
		fillData(t, conn, "B", 0, 2)

		rec := &recorder{}
		res, err := Restore(testContext(t), d.target(), src, Options{Emit: rec.emit, LoadTimeout: testLoadTimeout})
		t.Logf("events:\n%s", rec)
		if err != nil {
			t.Fatalf("Restore: %v\n%s", err, d.log())
		}
		if diff := cmp.Diff(wantA, snapshot(t, conn)); diff != "" {
			t.Errorf("data after the restore (-backup +server):\n%s", diff)
		}
		if !rec.has(progress.Step, "checked the staged files beside the load") || res.Timings.StagedCheck <= 0 {
			t.Errorf("no check of the staged files reported (StagedCheck %v)", res.Timings.StagedCheck)
		}
		if !strings.Contains(res.Timings.String(), "raw digest and RDB check took") {
			t.Errorf("the timings line does not give the staged check: %s", res.Timings)
		}
		noTempFiles(t, d.dataDir)
	})
	t.Run("aof", func(t *testing.T) {
		t.Parallel()
		from := servertest.Start(t, servertest.Options{Config: "appendonly yes\nappendfsync always\n"})
		fc := serverConn(from)
		fillData(t, fc, "A", 0)
		rewrite(t, fc)
		fillData(t, fc, "A", 1)
		src := stored(t, aofBackup(t, fc, from.Dir()))
		wantA := snapshot(t, fc)

		d := startDaemon(t, "appendonly yes\n")
		conn := d.connection()
		fillData(t, conn, "B", 0, 2)
		rec := &recorder{}
		res, err := Restore(testContext(t), d.target(), src, Options{Emit: rec.emit, LoadTimeout: testLoadTimeout})
		t.Logf("events:\n%s", rec)
		if err != nil {
			t.Fatalf("Restore: %v\n%s", err, d.log())
		}
		if diff := cmp.Diff(wantA, snapshot(t, conn)); diff != "" {
			t.Errorf("data after the restore (-backup +server):\n%s", diff)
		}
		if res.Timings.StagedCheck <= 0 {
			t.Error("the AOF files were not checked beside the load")
		}
	})
}

// A backup whose raw bytes do not match its manifest's raw digest (its
// stored bytes do) never serves writes: the check of the staged copy
// fails, before the stop (nothing changed) or during the load (rolled
// back), and either way the server runs on its original data, takes
// writes, and no record or staged file is left.
func TestRestoreStagedCheckMismatchKeepsOriginal(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	conn := d.connection()
	fillData(t, conn, "A", 0, 1)
	saveNow(t, conn)
	src := stored(t, rdbBackup(t, conn, d.dataDir))
	src.Manifest.Files[0].RawSHA256 = strings.Repeat("0", 64)
	flushAll(t, conn)
	fillData(t, conn, "B", 0, 2)
	wantB := snapshot(t, conn)

	tg := d.target()
	rec := &recorder{}
	_, err := Restore(testContext(t), tg, src, Options{KeepSafetyCopy: true, Emit: rec.emit, LoadTimeout: testLoadTimeout})
	t.Logf("events:\n%s", rec)
	if err == nil {
		t.Fatal("a backup whose raw digest does not match was restored")
	}
	t.Logf("error: %v", err)
	mustContain(t, err, "checksum mismatch of the restored bytes of dump.rdb.zst")
	var re *Error
	if rolled := errors.As(err, &re); rolled {
		if !re.RolledBack || re.Rollback != nil {
			t.Errorf("the rollback did not complete: %v", err)
		}
	} else if !strings.Contains(err.Error(), "nothing was changed") {
		t.Errorf("the error says neither that nothing was changed nor that it rolled back: %v", err)
	}
	if diff := cmp.Diff(wantB, snapshot(t, conn)); diff != "" {
		t.Errorf("data after the refused restore (-original +server):\n%s\n%s", diff, d.log())
	}
	if err := dbClient(t, conn, 0).Set(testContext(t), "after", "1", 0).Err(); err != nil {
		t.Errorf("SET after the refused restore: %v", err)
	}
	if r, err := ReadRecord(tg); err != nil || r != nil {
		t.Errorf("the record is left: %+v, %v", r, err)
	}
	if m, _ := filepath.Glob(filepath.Join(d.dataDir, tempPrefix+"*")); len(m) != 0 {
		t.Errorf("the staging is left: %v", m)
	}
	if _, err := os.Stat(filepath.Join(d.dataDir, "dump.rdb")); err != nil {
		t.Errorf("the original dump.rdb is not in place: %v", err)
	}
}
