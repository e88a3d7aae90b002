package live

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/server"
	"github.com/redisplan/redisplan/internal/model"
)

// deadPID returns the id of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// writeRefused asserts that the server refuses a write with NOREPLICAS.
func writeRefused(t *testing.T, d *daemon) {
	t.Helper()
	c, err := Dial(d.connection())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(testContext(t), 10*time.Second)
	defer cancel()
	if err := c.Set(ctx, "written-after", "x", 0).Err(); err == nil || !strings.Contains(err.Error(), "NOREPLICAS") {
		t.Errorf("SET on the server left with other data = %v, want a NOREPLICAS refusal", err)
	}
}

// interruptedWithLostKeys leaves what a restart killed while the server was
// down leaves, with data files that lost the server's keys: a record
// (100 keys in db0) of a process that has exited, a stopped server, and no
// AOF nor RDB. The server's save point would write over dump.rdb once it
// takes a write.
func interruptedWithLostKeys(t *testing.T) (*daemon, *model.Target) {
	t.Helper()
	d := startDaemon(t, "appendonly yes\nsave 3600 1\nenable-debug-command local\n")
	for i := 0; i < 100; i++ {
		d.set(t, fmt.Sprintf("key:%d", i), "v")
	}
	tg := d.target(&model.Service{Start: []string{d.bin, d.conf}})
	ctx := testContext(t)
	rec, err := writeRestartRecord(ctx, tg, d.runID(t))
	if err != nil {
		t.Fatal(err)
	}
	rec.PID, rec.Start = deadPID(t), ""
	if err := rec.write(tg); err != nil {
		t.Fatal(err)
	}
	c, err := Dial(d.connection())
	if err != nil {
		t.Fatal(err)
	}
	_ = server.Shutdown(ctx, c, "SHUTDOWN", "NOSAVE")
	c.Close()
	if err := waitStopped(ctx, d.connection(), ""); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(d.dir, "appendonlydir")); err != nil {
		t.Fatal(err)
	}
	_ = os.Remove(filepath.Join(d.dir, "dump.rdb"))
	return d, tg
}

// TestRecoverRestartFencesMissingKeys: the next apply's recovery starts a
// server left down by an interrupted restart and finds keys missing. It
// used to leave the server taking writes (and its save point writing over
// dump.rdb), and the apply after that went ahead silently. Now the server
// refuses writes, the record keeps the user's values, the next apply is
// refused while keys are missing, and once the keys are back the user's
// values are put back.
func TestRecoverRestartFencesMissingKeys(t *testing.T) {
	t.Parallel()
	d, tg := interruptedWithLostKeys(t)
	ctx := testContext(t)
	_, err := RecoverRestart(ctx, tg)
	d.notePID()
	mustContain(t, err, "db0 holds 0 keys, before the stop it held 100", "refuse every write",
		"CONFIG SET min-replicas-to-write 0 min-replicas-max-lag 10")
	writeRefused(t, d)
	rec, rerr := ReadRestartRecord(tg)
	if rerr != nil || rec == nil || rec.Mismatch == "" {
		t.Fatalf("record after the mismatch = %+v, %v; want one that says the data must be looked at", rec, rerr)
	}

	// The next apply does not go ahead while keys are missing.
	_, err = RecoverRestart(ctx, tg)
	mustContain(t, err, "left the server at", "still refuses writes", "db0 holds 0 keys, before the stop it held 100")
	writeRefused(t, d)

	// The keys come back (DEBUG POPULATE is no write, as a restore's load
	// is none): the user's values are put back and the record goes.
	c, err := Dial(d.connection())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Do(ctx, "DEBUG", "POPULATE", 100, "key").Err(); err != nil {
		t.Fatal(err)
	}
	did, err := RecoverRestart(ctx, tg)
	if err != nil {
		t.Fatalf("RecoverRestart with the keys back: %v", err)
	}
	if !strings.Contains(did, "the mismatch is resolved, and writes are let in again (min-replicas-to-write 0 min-replicas-max-lag 10)") {
		t.Errorf("RecoverRestart said %q", did)
	}
	if err := c.Set(ctx, "after", "yes", 0).Err(); err != nil {
		t.Errorf("SET after the user's values are back: %v", err)
	}
	if rec, _ := ReadRestartRecord(tg); rec != nil {
		t.Errorf("the record is still there: %+v", rec)
	}
}

// Once the user lets writes in again by hand, the next apply says that the
// earlier mismatch was resolved by hand and what the server holds, and
// goes on.
func TestRecoverRestartMismatchResolvedByHand(t *testing.T) {
	t.Parallel()
	d, tg := interruptedWithLostKeys(t)
	ctx := testContext(t)
	_, err := RecoverRestart(ctx, tg)
	d.notePID()
	mustContain(t, err, "refuse every write")
	c, err := Dial(d.connection())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.ConfigSet(ctx, "min-replicas-to-write", "0").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, "by-hand", "yes", 0).Err(); err != nil {
		t.Fatal(err)
	}
	did, err := RecoverRestart(ctx, tg)
	if err != nil {
		t.Fatalf("RecoverRestart after the user let writes in: %v", err)
	}
	for _, want := range []string{"resolved by hand", "db0 holds 1 keys, before the stop it held 100", "the record is removed"} {
		if !strings.Contains(did, want) {
			t.Errorf("RecoverRestart said %q, want %q in it", did, want)
		}
	}
	if rec, _ := ReadRestartRecord(tg); rec != nil {
		t.Errorf("the record is still there: %+v", rec)
	}
}

// TestRestartRollbackThatCannotStopFences: a restart whose server comes
// back without its keys is rolled back, but the new process cannot be
// stopped (SHUTDOWN is disabled and the stop command fails the second
// time). The server left running with no keys used to take writes; it now
// refuses them and the record says why.
func TestRestartRollbackThatCannotStopFences(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "appendonly yes\nrename-command SHUTDOWN \"\"\n")
	d.set(t, "survivor", "yes")
	empty := t.TempDir()
	tmp := t.TempDir()
	started, stopped := filepath.Join(tmp, "started-once"), filepath.Join(tmp, "stopped-once")
	start := fmt.Sprintf(`if [ ! -e %q ]; then touch %q; exec %q %q --dir %q; fi; exec %q %q`, started, started, d.bin, d.conf, empty, d.bin, d.conf)
	stop := fmt.Sprintf(`if [ ! -e %q ]; then touch %q; kill "$(cat %q)"; exit 0; fi; echo refused; exit 1`, stopped, stopped, d.pidfile)
	tg := d.target(&model.Service{Start: []string{"/bin/sh", "-c", start}, Stop: []string{"/bin/sh", "-c", stop}})
	tg.Renames = []model.Rename{{Command: "SHUTDOWN", NewName: ""}}
	_, err := Restart(testContext(t), tg, RestartOptions{})
	d.notePID()
	mustContain(t, err, "db0 has 0 keys, it had 1", "the new process could not be stopped", "refuse every write")
	writeRefused(t, d)
	rec, rerr := ReadRestartRecord(tg)
	if rerr != nil || rec == nil || rec.Mismatch == "" || len(rec.Held) != 2 || rec.Held[0][1] != "0" {
		t.Errorf("record = %+v, %v; want the mismatch and the user's min-replicas-to-write 0", rec, rerr)
	}
}
