package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redisplan/redisplan/executors/server/servertest"
)

// TestIgnoredCronDNameRefusedBeforeApply: Debian's cron skips a cron.d
// file whose name holds a dot. validate refuses the name with its
// position, so apply never changes the server and then fails to install
// the jobs.
func TestIgnoredCronDNameRefusedBeforeApply(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	cronFile := filepath.Join(t.TempDir(), "redisplan.cron")
	spec := writeSpec(t, fmt.Sprintf(`redis "main" {
  address = %q
  memory {
    max = "32mb"
  }
  backup {
    schedule    = "0 3 * * *"
    destination = %q
  }
  cron {
    file = %q
  }
}
`, srv.Addr(), t.TempDir(), cronFile))
	code, out, errOut := runCLI(t, "validate", "-config", spec)
	if code != 1 || !strings.Contains(out+errOut, "spec.hcl line 11") || !strings.Contains(out+errOut, "Invalid cron.d file name") {
		t.Errorf("validate: exit %d, want 1 with the name's position\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "apply", "-auto-approve", "-config", spec)
	if code != 1 {
		t.Errorf("apply: exit %d, want 1\n%s%s", code, out, errOut)
	}
	if got := configGet(t, srv.Client(t), "maxmemory"); got != "0" {
		t.Errorf("maxmemory is %s: apply changed the server although its jobs could not be installed", got)
	}
	if _, err := os.Stat(cronFile); err == nil {
		t.Error("the cron file cron would ignore was written")
	}
}

// TestSundayAsSevenApplies: "0 0 * * 7" (Sunday, as crontab(5) allows) is
// accepted, and the crontab line and the systemd timer run on Sundays.
func TestSundayAsSevenApplies(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	dir := t.TempDir()
	cronFile := filepath.Join(dir, "redisplan")
	units := filepath.Join(dir, "units")
	spec := writeSpec(t, fmt.Sprintf(`redis "main" {
  address = %q
  backup {
    schedule    = "0 0 * * 7"
    destination = %q
  }
  cron {
    file = %q
  }
  cron {
    kind = "systemd"
    dir  = %q
  }
}
`, srv.Addr(), filepath.Join(dir, "backups"), cronFile, units))
	if code, out, errOut := runCLI(t, "apply", "-auto-approve", "-config", spec); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	timer, _ := os.ReadFile(filepath.Join(units, "redisplan-main-backup.timer"))
	if !strings.Contains(string(timer), "\nOnCalendar=Sun *-*-* 00:00:00\n") {
		t.Errorf("the timer does not run on Sundays:\n%s", timer)
	}
	cron, _ := os.ReadFile(cronFile)
	if !strings.Contains(string(cron), "\n0 0 * * 0 root ") {
		t.Errorf("the crontab line does not run on Sundays:\n%s", cron)
	}
}
