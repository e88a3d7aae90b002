package restore

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/server"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/internal/testwait"
)

// loseHost kills the daemon with SIGKILL, as a lost host ends it, and
// removes its data dir, as a lost disk does.
func loseHost(t *testing.T, d *daemon) {
	t.Helper()
	b, err := os.ReadFile(d.pidfile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	network, addr := server.Address(d.connection())
	testwait.For(t, testTimeout, "the killed server to stop answering", func() (bool, error) { return server.NotAnswering(t.Context(), network, addr) })
	if err := os.RemoveAll(d.dataDir); err != nil {
		t.Fatal(err)
	}
}

// TestRestoreIntoALostDataDir is the disaster case: the server is down
// and its data dir is gone. The restore makes the dir again (mode 0750),
// starts the server with the service start command, and the data is the
// backup's; with appendonly yes in the config file, AOF is on afterwards.
func TestRestoreIntoALostDataDir(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "appendonly yes\n")
	conn := d.connection()
	fillData(t, conn, "A", 0, 3)
	saveNow(t, conn)
	src := rdbBackup(t, conn, d.dataDir)
	want := snapshot(t, conn)
	loseHost(t, d)

	before, err := Check(testContext(t), d.target(), src)
	if err != nil {
		t.Fatalf("Check of a down server: %v", err)
	}
	if !before.Down || len(before.Keyspace) != 0 {
		t.Errorf("Check says %+v, want a down server holding nothing", before)
	}
	if _, err := os.Stat(d.dataDir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Check touched the data dir: %v", err)
	}

	rec := &recorder{}
	res, err := Restore(testContext(t), d.target(), src, Options{KeepSafetyCopy: true, Emit: rec.emit, LoadTimeout: testLoadTimeout})
	t.Logf("events:\n%s", rec)
	if err != nil {
		t.Fatalf("Restore: %v\n%s", err, d.log())
	}
	d.notePID()
	if diff := cmp.Diff(want, snapshot(t, conn)); diff != "" {
		t.Errorf("data after the restore (-backup +server):\n%s", diff)
	}
	st, err := os.Stat(d.dataDir)
	if err != nil || st.Mode().Perm() != dataDirMode {
		t.Errorf("the data dir: %v, %v; want mode %#o", st, err, dataDirMode)
	}
	info, err := d.client(t, 0).Info(testContext(t), "persistence").Result()
	if err != nil || !strings.Contains(info, "aof_enabled:1") {
		t.Errorf("AOF is not on after the restore (appendonly yes in the config file): %v\n%s", err, info)
	}
	if !rec.has(progress.Step, "created the data dir") || !rec.has(progress.Step, "the server is down") {
		t.Error("the events do not say that the dir was made and the server was down")
	}
	if diff := cmp.Diff(src.Manifest.Keyspace, res.After.Keyspace); diff != "" {
		t.Errorf("Result.After.Keyspace (-manifest +got):\n%s", diff)
	}
}

// TestRestoreIntoALostDataDirRollsBack: a backup the server refuses to
// load leaves a down server down, and its data dir as it was (empty but
// for the safety copy), with an error that says so.
func TestRestoreIntoALostDataDirRollsBack(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	conn := d.connection()
	fillData(t, conn, "A", 0)
	saveNow(t, conn)
	bad := withBytes(t, rdbBackup(t, conn, d.dataDir), backup.KindRDB, unloadable)
	loseHost(t, d)

	_, err := Restore(testContext(t), d.target(), bad, Options{KeepSafetyCopy: true, LoadTimeout: testLoadTimeout})
	d.notePID()
	mustContain(t, err, "rolled back", "the server is down, as it was before the restore", failedDir)
	var re *Error
	if !errors.As(err, &re) || !re.RolledBack {
		t.Fatalf("err = %#v, want a rolled-back *Error", err)
	}
	network, addr := server.Address(conn)
	if gone, _ := server.NotAnswering(testContext(t), network, addr); !gone {
		t.Error("a server answers after the rollback of a restore into a down server")
	}
	if _, err := os.Stat(d.dataDir + "/dump.rdb"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the failed restore's dump.rdb is still in the data dir: %v", err)
	}
	if r, err := ReadRecord(d.target()); err != nil || r != nil {
		t.Errorf("the restore's record is left: %+v, %v", r, err)
	}
}
