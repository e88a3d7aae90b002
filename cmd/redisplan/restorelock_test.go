package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/redisplan/redisplan/executors/lock"
	"github.com/redisplan/redisplan/internal/testwait"
)

// restoreSetup is a server whose backup holds "backup" data while the
// server holds "original" data (saved), and the spec of its backups.
func restoreSetup(t *testing.T, bulkKeys int) (d *daemon, spec string, backedUp, original map[string]string) {
	t.Helper()
	d = startDaemon(t, `save ""`)
	if bulkKeys > 0 {
		bulk(t, d.addr(), bulkKeys)
	}
	fillDataset(t, d.addr(), "backup")
	backedUp = dataset(t, d.addr())
	spec = backupSpec(t, d, t.TempDir(), "")
	mustRun(t, "backup", "run", "-config", spec)
	c := d.client(t)
	ctx := context.Background()
	c.FlushAll(ctx)
	fillDataset(t, d.addr(), "original")
	c.Save(ctx)
	return d, spec, backedUp, dataset(t, d.addr())
}

// TestRestoreTakesTheTargetLock: a restore refuses, touching nothing,
// while another live redisplan (here a backup run) holds the target's
// lock, naming the holder; it takes over a stale lock with the same
// warning as backup run and apply, and leaves no lock behind.
func TestRestoreTakesTheTargetLock(t *testing.T) {
	t.Parallel()
	d, spec, backedUp, original := restoreSetup(t, 0)
	lockPath := d.conf + ".redisplan.lock"

	held, _, err := lock.Acquire(lockPath, "redisplan backup run")
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "restore", "-config", spec, "-target", "main", "-latest", "-auto-approve")
	if code == 0 || !strings.Contains(errOut, "is locked by process") || !strings.Contains(errOut, "(redisplan backup run)") ||
		!strings.Contains(errOut, "Nothing was touched") {
		t.Errorf("restore under a held lock: exit %d, want a refusal naming the holder:\n%s%s", code, out, errOut)
	}
	if diff := cmp.Diff(original, dataset(t, d.addr())); diff != "" {
		t.Errorf("restore under a held lock changed the data (-want +got):\n%s", diff)
	}
	if m, _ := filepath.Glob(filepath.Join(d.dir, ".redisplan-restore-*")); len(m) != 0 {
		t.Errorf("restore under a held lock staged %v", m)
	}
	if err := held.Release(); err != nil {
		t.Fatalf("the holder's lock was taken from it: %v", err)
	}

	// A stale lock: its process is gone.
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	stale := fmt.Sprintf("pid=%d\ntime=%s\nholder=redisplan backup run\n", gone.Process.Pid, time.Now().UTC().Format(time.RFC3339))
	if err := os.WriteFile(lockPath, []byte(stale), 0o600); err != nil {
		t.Fatal(err)
	}
	out = mustRun(t, "restore", "-config", spec, "-target", "main", "-latest", "-auto-approve")
	if want := fmt.Sprintf("took over the stale lock %s of process %d (redisplan backup run)", lockPath, gone.Process.Pid); !strings.Contains(out, want) {
		t.Errorf("restore over a stale lock does not warn %q:\n%s", want, out)
	}
	if diff := cmp.Diff(backedUp, dataset(t, d.addr())); diff != "" {
		t.Errorf("restore over a stale lock (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(lockPath); !os.IsNotExist(err) {
		t.Errorf("restore left its lock %s (%v)", lockPath, err)
	}
}

// TestBackupRunRefusedDuringRestore: a backup run started while a restore
// runs is refused, naming the restore, instead of failing on the stopped
// server or taking a backup of data being replaced; the restore ends
// well and the catalog holds only the backup restored from.
func TestBackupRunRefusedDuringRestore(t *testing.T) {
	t.Parallel()
	// Bulk keys make the restore last long enough to run backup meanwhile.
	d, spec, backedUp, _ := restoreSetup(t, 300000)
	before := backupIDs(t, spec)
	lockPath := d.conf + ".redisplan.lock"

	restoreCmd, restoreOut, done := startBinary(t, "restore", "-config", spec, "-target", "main", "-latest", "-auto-approve")
	err := testwait.UntilEvery(30*time.Second, time.Millisecond, func() (bool, error) {
		select {
		case err := <-done:
			done <- err
			return false, testwait.Stop(fmt.Errorf("the restore ended (%v) without ever holding the lock %s", err, lockPath))
		default:
		}
		b, _ := os.ReadFile(lockPath)
		return strings.Contains(string(b), fmt.Sprintf("pid=%d\n", restoreCmd.Process.Pid)) &&
			strings.Contains(string(b), "holder=redisplan restore"), nil
	})
	if err != nil {
		restoreCmd.Process.Kill()
		<-done
		t.Fatalf("%v\n%s", err, restoreOut)
	}
	code, out, errOut := runCLI(t, "backup", "run", "-config", spec)
	if code == 0 || !strings.Contains(errOut, fmt.Sprint(restoreCmd.Process.Pid)) || !strings.Contains(errOut, "(redisplan restore)") {
		t.Errorf("backup run during a restore: exit %d, want a refusal naming the restore (pid %d):\n%s%s",
			code, restoreCmd.Process.Pid, out, errOut)
	}
	if err := <-done; err != nil {
		t.Fatalf("the restore: %v\n%s", err, restoreOut)
	}
	if diff := cmp.Diff(backedUp, dataset(t, d.addr())); diff != "" {
		t.Errorf("after the restore (-want +got):\n%s", diff)
	}
	if got := backupIDs(t, spec); !cmp.Equal(got, before) {
		t.Errorf("catalog = %v, want only %v: a backup was taken during the restore", got, before)
	}
	if _, err := os.Stat(lockPath); !os.IsNotExist(err) {
		t.Errorf("the restore left its lock %s (%v)", lockPath, err)
	}
}
