package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/redisplan/redisplan/internal/failpoint"
	"github.com/redisplan/redisplan/internal/testwait"
)

// A restore from a backup directory streams the backup into the loading
// server; -stage-first writes it beside the data before the stop instead.
// Both restore the backup's data and say which they did.
func TestRestoreStreamsUnlessStageFirst(t *testing.T) {
	t.Parallel()
	d, spec, backedUp, original := restoreSetup(t, 0)
	out := mustRun(t, "restore", "-config", spec, "-target", "main", "-latest", "-auto-approve")
	if !strings.Contains(out, "streamed the backup into the server") || strings.Contains(out, "checked the staged files") {
		t.Errorf("the restore from a directory did not stream the backup:\n%s", out)
	}
	if diff := cmp.Diff(backedUp, dataset(t, d.addr())); diff != "" {
		t.Errorf("after the streamed restore (-backup +server):\n%s", diff)
	}

	d.client(t).FlushAll(context.Background())
	fillDataset(t, d.addr(), "original")
	if diff := cmp.Diff(original, dataset(t, d.addr())); diff != "" {
		t.Fatalf("the original data could not be written back (-want +got):\n%s", diff)
	}
	out = mustRun(t, "restore", "-config", spec, "-target", "main", "-latest", "-auto-approve", "-stage-first")
	if !strings.Contains(out, "checked the staged files beside the load") || strings.Contains(out, "streamed the backup") {
		t.Errorf("restore -stage-first did not stage the backup:\n%s", out)
	}
	if diff := cmp.Diff(backedUp, dataset(t, d.addr())); diff != "" {
		t.Errorf("after restore -stage-first (-backup +server):\n%s", diff)
	}
}

// A streamed restore SIGKILLed with its pipe at dump.rdb, before the
// server opened it: the guard it left beside the pipe puts the original
// file back, so that the server started by hand holds the original data,
// and the next restore finishes the job.
func TestStreamedRestoreKilledWithItsPipeInPlace(t *testing.T) {
	t.Parallel()
	d, spec, backedUp, original := restoreSetup(t, 0)
	killedAt(t, failpoint.RestoreFilesSwapped, "restore", "-config", spec, "-target", "main", "-latest", "-auto-approve")
	testwait.For(t, 10*time.Second, "the guard to put the original dump.rdb back", func() (bool, error) {
		st, err := os.Lstat(filepath.Join(d.dir, "dump.rdb"))
		return err == nil && st.Mode().IsRegular(), nil
	})
	if out, err := exec.Command(d.start, d.conf).CombinedOutput(); err != nil {
		t.Fatalf("start redis-server by hand: %v: %s", err, out)
	}
	waitUp(t, d.client(t))
	if diff := cmp.Diff(original, dataset(t, d.addr())); diff != "" {
		t.Errorf("started by hand after the kill, the server does not hold the original data (-want +got):\n%s", diff)
	}

	mustRun(t, "restore", "-config", spec, "-target", "main", "-latest", "-auto-approve")
	if diff := cmp.Diff(backedUp, dataset(t, d.addr())); diff != "" {
		t.Errorf("after the restore (-backup +server):\n%s", diff)
	}
	if m, _ := filepath.Glob(filepath.Join(d.dir, ".redisplan-restore-*")); len(m) != 0 {
		t.Errorf("staging or a pipe is left: %v", m)
	}
}
