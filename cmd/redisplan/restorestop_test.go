package main

import (
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// restore interrupted by SIGINT while its service stop command runs, once
// the server is gone and before the command returned, used to say "nothing
// was changed" and leave Redis down with no record. It starts the server
// again on its own files, says so, and exits 1.
func TestInterruptRestoreDuringStop(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`)
	fillDataset(t, d.addr(), "backup")
	dest := t.TempDir()
	pidfile := filepath.Join(d.dir, "redis.pid")
	// The stop command stops the server, waits until it removed its
	// pidfile (on its way out), interrupts redisplan (its parent), and
	// takes its time returning.
	stop := `kill "$(cat "$1")"; while [ -e "$1" ]; do sleep 0.05; done; kill -INT "$PPID"; exec sleep 60`
	spec := writeSpec(t, fmt.Sprintf(`redis "main" {
  address     = %q
  config_file = %q
  service {
    start = [%q, %q]
    stop  = ["sh", "-c", %q, "stop", %q]
  }
  backup {
    destination = %q
  }
}
`, d.addr(), d.conf, d.start, d.conf, stop, pidfile, dest))
	mustRun(t, "backup", "run", "-config", spec)
	c := d.client(t)
	c.FlushDB(t.Context())
	fillDataset(t, d.addr(), "original")
	want := dataset(t, d.addr())

	cmd := exec.Command(binary(t), "restore", "-config", spec, "-target", "main", "-latest", "-auto-approve")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("restore interrupted during the stop: %v, want exit 1:\n%s", err, out)
	}
	t.Logf("output:\n%s", out)
	for _, bad := range []string{"nothing was changed", "runs on as before"} {
		if strings.Contains(string(out), bad) {
			t.Errorf("the output says %q although the server went down:\n%s", bad, out)
		}
	}
	for _, say := range []string{"redisplan was interrupted", "went down all the same", "rolled back", "started it with the service start command"} {
		if !strings.Contains(string(out), say) {
			t.Errorf("the output does not say %q:\n%s", say, out)
		}
	}
	if !d.answers() {
		t.Fatal("the server is down after the interrupted restore")
	}
	if diff := cmp.Diff(want, dataset(t, d.addr())); diff != "" {
		t.Errorf("data after the interrupted restore (-before +now):\n%s", diff)
	}
}
