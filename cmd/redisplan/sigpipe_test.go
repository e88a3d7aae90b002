package main

import (
	"bufio"
	"context"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBackupRunOutputClosed: backup run whose stdout is a pipe closed
// after the first line (`redisplan backup run | head -1`) is not killed
// by SIGPIPE: it completes the backup and leaves no lock, journal,
// pending upload or AOF hold behind.
func TestBackupRunOutputClosed(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`, "appendonly yes", "auto-aof-rewrite-percentage 150")
	fillDataset(t, d.addr(), "k")
	c := d.client(t)
	ctx := context.Background()
	dest := t.TempDir()
	spec := backupSpec(t, d, dest, `    include = ["rdb", "aof"]`)
	// A slow BGSAVE, so that the run writes more lines after the pipe
	// is closed.
	c.ConfigSet(ctx, "rdb-key-save-delay", "2000")

	cmd := exec.Command(binary(t), "backup", "run", "-config", spec)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errOut := &strings.Builder{}
	cmd.Stderr = errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("first line: %v", err)
	}
	stdout.Close()
	c.ConfigSet(ctx, "rdb-key-save-delay", "0")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("backup run with its output closed after %q: %v, want exit 0\nstderr:\n%s", first, err, errOut)
	}
	if ids := backupIDs(t, spec); len(ids) != 1 {
		t.Errorf("catalog = %v, want the run's backup", ids)
	}
	if m, _ := filepath.Glob(d.conf + ".redisplan.lock*"); len(m) != 0 {
		t.Errorf("the run left %v", m)
	}
	filepath.WalkDir(dest, func(path string, e fs.DirEntry, err error) error {
		if err == nil && strings.Contains(e.Name(), "pending") {
			t.Errorf("the run left %s", path)
		}
		return nil
	})
	if got := configGet(t, c, "auto-aof-rewrite-percentage"); got != "150" {
		t.Errorf("auto-aof-rewrite-percentage = %s after the run, want the 150 it had (automatic AOF rewrites left suspended)", got)
	}
	if m, _ := filepath.Glob(filepath.Join(d.dir, ".redisplan-aof-*")); len(m) != 0 {
		t.Errorf("the run left %v", m)
	}
}
