package restore

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/internal/testwait"
)

// serverWithFile starts a scratch servertest server that loads the given
// RDB file, and returns its connection.
func serverWithFile(t *testing.T, rdb string) *servertest.Server {
	t.Helper()
	s := servertest.Start(t, servertest.Options{})
	s.Stop(t)
	b, err := os.ReadFile(rdb)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Dir(), "dump.rdb"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	s.Restart(t)
	return s
}

func TestRestoreRoundTrip(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	conn := d.connection()
	fillData(t, conn, "A", 0, 1, 5)
	saveNow(t, conn)
	src := rdbBackup(t, conn, d.dataDir)
	wantA := snapshot(t, conn)

	flushAll(t, conn)
	fillData(t, conn, "B", 0, 2)
	wantB := snapshot(t, conn)
	keysB := keyspace(t, conn)
	if cmp.Equal(wantA, wantB) {
		t.Fatal("the two data sets are equal")
	}

	rec := &recorder{}
	res, err := Restore(testContext(t), d.target(), src, Options{KeepSafetyCopy: true, Emit: rec.emit, LoadTimeout: testLoadTimeout})
	t.Logf("events:\n%s", rec)
	if err != nil {
		t.Fatalf("Restore: %v\n%s", err, d.log())
	}
	if diff := cmp.Diff(wantA, snapshot(t, conn)); diff != "" {
		t.Errorf("data after the restore (-backup +server):\n%s", diff)
	}
	if diff := cmp.Diff(keysB, res.Before.Keyspace); diff != "" {
		t.Errorf("Result.Before.Keyspace (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(src.Manifest.Keyspace, res.After.Keyspace); diff != "" {
		t.Errorf("Result.After.Keyspace (-manifest +got):\n%s", diff)
	}
	if res.LoadSeconds <= 0 {
		t.Errorf("LoadSeconds = %v, want > 0", res.LoadSeconds)
	}
	if res.Before.UsedMemory <= 0 || res.After.UsedMemory <= 0 {
		t.Errorf("UsedMemory before %d, after %d", res.Before.UsedMemory, res.After.UsedMemory)
	}
	if filepath.Dir(res.SafetyCopy) != d.dataDir || !strings.HasPrefix(filepath.Base(res.SafetyCopy), "redisplan-safety-20260101T030000Z-") {
		t.Fatalf("SafetyCopy = %q, want %s/redisplan-safety-<id>-<time>", res.SafetyCopy, d.dataDir)
	}
	for _, want := range []string{"saved the current data", "stopped the server (SHUTDOWN NOSAVE)", "the originals (dump.rdb) are in the safety copy", "db0:"} {
		if !rec.has(progress.Step, want) {
			t.Errorf("no step event mentions %q", want)
		}
	}
	if rec.has(progress.RolledBack, "") {
		t.Error("a successful restore reported a rollback")
	}
	// The staging pass reported every byte of the backup it wrote.
	if done, want := rec.doneBytes(progress.OpRestore, progress.PhaseStage), rawSizes(src.Manifest); !maps.Equal(done, want) {
		t.Errorf("staging reported %v bytes done per file, the backup holds %v", done, want)
	}
	noTempFiles(t, d.dataDir)

	// The safety copy holds B: what the server had before the restore,
	// including what only its memory held (save "").
	s := serverWithFile(t, filepath.Join(res.SafetyCopy, "dump.rdb"))
	if diff := cmp.Diff(wantB, snapshot(t, serverConn(s))); diff != "" {
		t.Errorf("data in the safety copy (-before the restore +safety copy):\n%s", diff)
	}
}

func TestRestoreRDBIntoAOFTarget(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "appendonly yes\nappendfsync always\n")
	conn := d.connection()
	fillData(t, conn, "A", 0, 3)
	saveNow(t, conn)
	src := rdbBackup(t, conn, d.dataDir)
	wantA := snapshot(t, conn)
	flushAll(t, conn)
	fillData(t, conn, "B", 0, 1)
	confBefore, err := os.ReadFile(d.conf)
	if err != nil {
		t.Fatal(err)
	}

	rec := &recorder{}
	res, err := Restore(testContext(t), d.target(), src, Options{Emit: rec.emit, LoadTimeout: testLoadTimeout})
	t.Logf("events:\n%s", rec)
	if err != nil {
		t.Fatalf("Restore: %v\n%s", err, d.log())
	}
	if diff := cmp.Diff(wantA, snapshot(t, conn)); diff != "" {
		t.Errorf("data after the restore (-backup +server):\n%s", diff)
	}
	ctx := testContext(t)
	c := d.client(t, 0)
	got, err := live.ConfigGet(ctx, c, "CONFIG", "appendonly")
	if err != nil || got["appendonly"] != "yes" {
		t.Errorf("CONFIG GET appendonly = %v, %v; want yes", got, err)
	}
	info, err := live.Info(ctx, c, "persistence")
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := strconv.Atoi(info["aof_rewrites"]); n < 1 || info["aof_last_bgrewrite_status"] != "ok" {
		t.Errorf("aof_rewrites = %q, aof_last_bgrewrite_status = %q; want >= 1, ok", info["aof_rewrites"], info["aof_last_bgrewrite_status"])
	}
	confAfter, err := os.ReadFile(d.conf)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(confBefore), string(confAfter)); diff != "" {
		t.Errorf("config file after the restore (-before +after):\n%s", diff)
	}
	if !rec.has(progress.Step, "set appendonly no") || !rec.has(progress.Step, "turned AOF on") {
		t.Error("the events do not show the appendonly dance")
	}
	// KeepSafetyCopy false: removed once the restore was proven good.
	if res.SafetyCopy != "" {
		t.Errorf("SafetyCopy = %q, want \"\" without KeepSafetyCopy", res.SafetyCopy)
	}
	matches, _ := filepath.Glob(filepath.Join(d.dataDir, safetyPrefix+"*"))
	if len(matches) != 0 {
		t.Errorf("safety copies left: %v", matches)
	}

	// The data survives a restart from the config file: it is in the AOF.
	d.restart(t)
	if diff := cmp.Diff(wantA, snapshot(t, conn)); diff != "" {
		t.Errorf("data after a further restart (-backup +server):\n%s\n%s", diff, d.log())
	}
}

func TestRestoreAOFBackup(t *testing.T) {
	t.Parallel()
	// The backup: a base written by a rewrite, and writes after it in the
	// incr file.
	from := servertest.Start(t, servertest.Options{Config: "appendonly yes\nappendfsync always\n"})
	fc := serverConn(from)
	fillData(t, fc, "A", 0)
	rewrite(t, fc)
	fillData(t, fc, "A", 1, 4)
	src := aofBackup(t, fc, from.Dir())
	if len(src.Manifest.Files) < 3 {
		t.Fatalf("the AOF backup has %d files, want manifest, base and incr", len(src.Manifest.Files))
	}
	wantA := snapshot(t, fc)

	d := startDaemon(t, "appendonly yes\n")
	conn := d.connection()
	fillData(t, conn, "B", 0, 2)

	// A service stop command (SIGTERM through the pidfile) is used
	// rather than SHUTDOWN: a service manager would restart a server that
	// exits on its own.
	tg := d.target()
	tg.Service.Stop = []string{"sh", "-c", `kill "$(cat "$1")"`, "stop", d.pidfile}

	rec := &recorder{}
	res, err := Restore(testContext(t), tg, src, Options{KeepSafetyCopy: true, Emit: rec.emit, LoadTimeout: testLoadTimeout})
	t.Logf("events:\n%s", rec)
	if err != nil {
		t.Fatalf("Restore: %v\n%s", err, d.log())
	}
	if diff := cmp.Diff(wantA, snapshot(t, conn)); diff != "" {
		t.Errorf("data after the restore (-backup +server):\n%s", diff)
	}
	if !rec.has(progress.Step, "stopped the server (the service stop command)") {
		t.Error("the service stop command was not used")
	}
	if !rec.has(progress.Step, "appendonlydir/appendonly.aof.manifest") {
		t.Error("no event shows the AOF manifest being written")
	}
	if _, err := os.Stat(filepath.Join(res.SafetyCopy, "appendonlydir", "appendonly.aof.manifest")); err != nil {
		t.Errorf("the safety copy lacks the original AOF: %v", err)
	}
	d.restart(t)
	if diff := cmp.Diff(wantA, snapshot(t, conn)); diff != "" {
		t.Errorf("data after a further restart (-backup +server):\n%s", diff)
	}
}

func TestRestoreRollsBackUnloadableRDB(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	conn := d.connection()
	fillData(t, conn, "A", 0, 1)
	saveNow(t, conn)
	good := rdbBackup(t, conn, d.dataDir)
	// An RDB whose structure passes the staging check (header, EOF
	// marker, no CRC to compare) but which Redis refuses to load.
	bad := withBytes(t, good, backup.KindRDB, unloadable)
	flushAll(t, conn)
	fillData(t, conn, "B", 0, 2)
	wantB := snapshot(t, conn)

	rec := &recorder{}
	_, err := Restore(testContext(t), d.target(), bad, Options{KeepSafetyCopy: true, Emit: rec.emit, LoadTimeout: testLoadTimeout})
	t.Logf("events:\n%s", rec)
	mustContain(t, err, "restore main from backup 20260101T030000Z failed", "exited while starting or loading",
		"rolled back", "the original data is back", failedDir)
	var re *Error
	if !errors.As(err, &re) || !re.RolledBack || re.Rollback != nil {
		t.Fatalf("err = %#v, want a rolled-back *Error", err)
	}
	if !rec.has(progress.RolledBack, "original data") {
		t.Error("no RolledBack event")
	}
	if diff := cmp.Diff(wantB, snapshot(t, conn)); diff != "" {
		t.Errorf("data after the rollback (-original +server):\n%s\n%s", diff, d.log())
	}
	st, err := os.Stat(filepath.Join(re.SafetyCopy, failedDir, "dump.rdb"))
	if err != nil || st.Size() != bad.Manifest.Files[0].RawSize {
		t.Errorf("the failed restore's dump.rdb in the safety copy: %v, %v", st, err)
	}
}

func TestRestoreRollsBackKeyMismatch(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	conn := d.connection()
	fillData(t, conn, "A", 0, 1)
	saveNow(t, conn)
	src := rdbBackup(t, conn, d.dataDir)
	db1 := src.Manifest.Keyspace[1]
	db1.Keys += 100
	src.Manifest.Keyspace[1] = db1
	flushAll(t, conn)
	fillData(t, conn, "B", 0)
	wantB := snapshot(t, conn)

	rec := &recorder{}
	_, err := Restore(testContext(t), d.target(), src, Options{KeepSafetyCopy: true, Emit: rec.emit, LoadTimeout: testLoadTimeout})
	t.Logf("events:\n%s", rec)
	mustContain(t, err, "lacks keys", "db1 has", "rolled back", "the original data is back")
	var re *Error
	if !errors.As(err, &re) || !re.RolledBack {
		t.Fatalf("err = %v, want a rolled-back *Error", err)
	}
	if diff := cmp.Diff(wantB, snapshot(t, conn)); diff != "" {
		t.Errorf("data after the rollback (-original +server):\n%s", diff)
	}
}

func TestRestoreRollbackThatFailsSaysWhere(t *testing.T) {
	t.Parallel()
	const password = "s3cret-restore-pw"
	d := startDaemon(t, "requirepass "+password+"\n")
	conn := d.connection()
	fillData(t, conn, "A", 0)
	saveNow(t, conn)
	src := rdbBackup(t, conn, d.dataDir)
	tg := d.target()
	// A start command that always fails (and names the password, which
	// the error must hide): the restore fails, and so does the rollback.
	tg.Service.Start = []string{"false", password}

	_, err := Restore(testContext(t), tg, src, Options{KeepSafetyCopy: true, LoadTimeout: testLoadTimeout})
	mustContain(t, err, "the rollback failed too", `service start command`, "the original files are back in "+d.dataDir)
	if strings.Contains(err.Error(), password) {
		t.Errorf("the error shows the password: %v", err)
	}
	var re *Error
	if !errors.As(err, &re) || re.RolledBack || re.Rollback == nil {
		t.Fatalf("err = %#v, want an *Error whose rollback failed", err)
	}
	if _, err := os.Stat(filepath.Join(d.dataDir, "dump.rdb")); err != nil {
		t.Errorf("the original dump.rdb is not back: %v", err)
	}
}

func TestRestoreNothingChangedWhenCheckFails(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	conn := d.connection()
	fillData(t, conn, "A", 0)
	saveNow(t, conn)
	src := withBytes(t, rdbBackup(t, conn, d.dataDir), backup.KindRDB, func(b []byte) []byte {
		return append([]byte("REDIS0099"), b[9:]...)
	})
	before := snapshot(t, conn)
	runID := runIDOf(t, conn)
	_, err := Restore(testContext(t), d.target(), src, Options{})
	mustContain(t, err, "RDB version 99", "nothing was changed")
	if got := runIDOf(t, conn); got != runID {
		t.Errorf("run_id changed from %s to %s: the server was restarted", runID, got)
	}
	if diff := cmp.Diff(before, snapshot(t, conn)); diff != "" {
		t.Errorf("data changed:\n%s", diff)
	}
	matches, _ := filepath.Glob(filepath.Join(d.dataDir, safetyPrefix+"*"))
	if len(matches) != 0 {
		t.Errorf("safety copies made: %v", matches)
	}
}

// rewrite runs BGREWRITEAOF and waits until it is done.
func rewrite(t *testing.T, conn model.Connection) {
	t.Helper()
	ctx := testContext(t)
	c := dbClient(t, conn, 0)
	before, err := live.Info(ctx, c, "persistence")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.BgRewriteAOF(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	var info map[string]string
	testwait.For(t, time.Minute, "BGREWRITEAOF to finish", func() (bool, error) {
		var err error
		if info, err = live.Info(ctx, c, "persistence"); err != nil {
			return false, err
		}
		return info["aof_rewrites"] != before["aof_rewrites"] && info["aof_rewrite_in_progress"] == "0", nil
	})
	if info["aof_last_bgrewrite_status"] != "ok" {
		t.Fatalf("BGREWRITEAOF failed: %v", info)
	}
}

func runIDOf(t *testing.T, conn model.Connection) string {
	t.Helper()
	info, err := live.Info(testContext(t), dbClient(t, conn, 0), "server")
	if err != nil {
		t.Fatal(err)
	}
	return info["run_id"]
}

// When the RDB on disk already holds everything (AOF off, no change since
// the last save), the restore does not SAVE again, and the safety copy
// still holds all of the data the server had.
func TestRestoreSkipsSaveWhenAllSaved(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	conn := d.connection()
	fillData(t, conn, "A", 0, 3)
	saveNow(t, conn)
	src := rdbBackup(t, conn, d.dataDir)
	wantA := snapshot(t, conn)

	flushAll(t, conn)
	fillData(t, conn, "B", 0, 4)
	saveNow(t, conn)
	wantB := snapshot(t, conn)

	rec := &recorder{}
	res, err := Restore(testContext(t), d.target(), src, Options{KeepSafetyCopy: true, Emit: rec.emit, LoadTimeout: testLoadTimeout})
	t.Logf("events:\n%s", rec)
	if err != nil {
		t.Fatalf("Restore: %v\n%s", err, d.log())
	}
	if !rec.has(progress.Step, "no SAVE needed") || rec.has(progress.Step, "saved the current data") {
		t.Error("the restore saved data that was already on disk")
	}
	if diff := cmp.Diff(wantA, snapshot(t, conn)); diff != "" {
		t.Errorf("data after the restore (-backup +server):\n%s", diff)
	}
	s := serverWithFile(t, filepath.Join(res.SafetyCopy, "dump.rdb"))
	if diff := cmp.Diff(wantB, snapshot(t, serverConn(s))); diff != "" {
		t.Errorf("data in the safety copy (-before the restore +safety copy):\n%s", diff)
	}
}
