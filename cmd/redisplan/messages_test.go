package main

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

// TestRestoreWithoutTerminalNamesRestore: a restore refused for want of a
// terminal said "redisplan apply: refusing to apply ... run apply FILE",
// a command that restores nothing.
func TestRestoreWithoutTerminalNamesRestore(t *testing.T) {
	d := startDaemon(t, `save ""`)
	fillDataset(t, d.addr(), "confirm")
	spec := backupSpec(t, d, t.TempDir(), "")
	mustRun(t, "backup", "run", "-config", spec)
	d.client(t).Set(context.Background(), "written-after-the-backup", "1", 0)
	before := dataset(t, d.addr())
	code, out, errOut := runCLI(t, "restore", "-config", spec, "-target", "main", "-latest")
	if code != 1 || !strings.Contains(errOut, "redisplan restore: refusing to restore without confirmation") ||
		!strings.Contains(errOut, "-auto-approve") || strings.Contains(errOut, "apply") {
		t.Errorf("restore without a terminal: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if after := dataset(t, d.addr()); !reflect.DeepEqual(after, before) {
		t.Errorf("a refused restore changed the data: %d keys before, %d after", len(before), len(after))
	}
}
