package main

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestRestoreWithoutTerminalNamesRestore: a restore refused for want of a
// terminal said "redisplan apply: refusing to apply ... run apply FILE",
// a command that restores nothing.
func TestRestoreWithoutTerminalNamesRestore(t *testing.T) {
	t.Parallel()
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

// TestRestoreWarnsOfAnotherServersBackup: a restore's preview showed the
// backup's keys but not that it was taken from another server (a spec
// whose address changed, or a previous_specs entry naming another team's
// spec), so another server's data could be restored with one "yes".
func TestRestoreWarnsOfAnotherServersBackup(t *testing.T) {
	t.Parallel()
	a := startDaemon(t, `save ""`)
	b := startDaemon(t, `save ""`)
	fillDataset(t, a.addr(), "server-a")
	dest := t.TempDir()
	spec := backupSpec(t, a, dest, "")
	mustRun(t, "backup", "run", "-config", spec)
	text, err := os.ReadFile(spec)
	if err != nil {
		t.Fatal(err)
	}
	moved := strings.ReplaceAll(strings.ReplaceAll(string(text), a.addr(), b.addr()), a.conf, b.conf)
	if err := os.WriteFile(spec, []byte(moved), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "restore", "-config", spec, "-target", "main", "-latest")
	want := fmt.Sprintf("was taken from the server at %s, not from this target's server at %s", a.addr(), b.addr())
	if code != 1 || !strings.Contains(out, want) {
		t.Errorf("restore preview of another server's backup: exit %d, want 1 and the warning %q\nstdout:\n%s\nstderr:\n%s", code, want, out, errOut)
	}
}
