package main

import (
	"strings"
	"testing"
)

// TestByteLinesInALogGoWithTheMessages: when stderr is not a terminal
// (as under cron), a file's byte line goes where the command's messages
// go: stdout for backup run and backup verify -drill, stderr for drill rto
// (whose stdout holds the figures). docs/backup.md "Progress output" says
// so.
func TestByteLinesInALogGoWithTheMessages(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`)
	fillDataset(t, d.addr(), "streams")
	spec := backupSpec(t, d, t.TempDir(), "")

	code, out, errOut := runCLI(t, "backup", "run", "-config", spec)
	if code != 0 {
		t.Fatalf("backup run: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "redis.main: stored dump.rdb: ") || strings.Contains(errOut, "stored dump.rdb") {
		t.Errorf("backup run's byte line is not on stdout alone:\nstdout: %s\nstderr: %s", out, errOut)
	}

	code, out, errOut = runCLI(t, "backup", "verify", "-drill", "-config", spec)
	if code != 0 {
		t.Fatalf("backup verify -drill: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "redis.main: wrote dump.rdb: ") || strings.Contains(errOut, "dump.rdb: ") {
		t.Errorf("backup verify -drill's byte line is not on stdout alone:\nstdout: %s\nstderr: %s", out, errOut)
	}

	code, out, errOut = runCLI(t, "drill", "rto", "-config", spec, "-target", "main")
	if code != 0 {
		t.Fatalf("drill rto: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "redis.main: wrote dump.rdb: ") || strings.Contains(out, "dump.rdb: ") {
		t.Errorf("drill rto's byte line is not on stderr alone:\nstdout: %s\nstderr: %s", out, errOut)
	}
}
