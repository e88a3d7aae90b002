package main

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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
