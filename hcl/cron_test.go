package hcl

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSundayAsSeven: crontab(5) and Debian's cron take 7 for Sunday.
// validate accepts it, and the schedule the model holds (which the
// crontab, the systemd timer and the CronJob are rendered from) names
// the same days with 0-6, which robfig/cron and Kubernetes require.
func TestSundayAsSeven(t *testing.T) {
	p := filepath.Join(t.TempDir(), "spec.hcl")
	spec := `redis "main" {
  address = "127.0.0.1:6379"
  backup {
    schedule    = "0 0 * * 7"
    destination = "/var/backups/redis"
  }
  alerts {
    schedule = "*/5 * * * 5-7"
  }
  cron {
    file = "/etc/cron.d/redisplan"
  }
  cron {
    kind = "systemd"
    dir  = "/etc/systemd/system"
  }
}
`
	if err := os.WriteFile(p, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	res, diags := Load(Options{Path: p})
	if diags.HasErrors() {
		t.Fatalf("a schedule with day 7 is refused: %s", diags.Error())
	}
	tg := res.Spec.Targets[0]
	if got := tg.Backup.Schedule; got != "0 0 * * 0" {
		t.Errorf("backup schedule = %q, want %q", got, "0 0 * * 0")
	}
	if got := tg.Alerts.Schedule; got != "*/5 * * * 0,5,6" {
		t.Errorf("alerts schedule = %q, want %q", got, "*/5 * * * 0,5,6")
	}
}

// TestCronIDs: each kind's block keeps its id.
func TestCronIDs(t *testing.T) {
	p := filepath.Join(t.TempDir(), "spec.hcl")
	spec := `redis "main" {
  address = "127.0.0.1:6379"
  backup {
    schedule    = "0 3 * * *"
    destination = "/var/backups/redis"
  }
  cron {
    id   = "orders-a"
    file = "/etc/cron.d/redisplan"
  }
  cron {
    kind = "systemd"
    id   = "orders-a"
    dir  = "/etc/systemd/system"
  }
  cron {
    kind       = "kubernetes"
    id         = "orders-k"
    dir        = "/srv/k8s"
    image      = "redisplan:1"
    config_map = "spec"
  }
}
`
	if err := os.WriteFile(p, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	res, diags := Load(Options{Path: p})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	tg := res.Spec.Targets[0]
	if tg.Cron.ID != "orders-a" || tg.Timers[0].ID != "orders-a" || tg.CronJobs[0].ID != "orders-k" {
		t.Errorf("ids = %q, %q, %q", tg.Cron.ID, tg.Timers[0].ID, tg.CronJobs[0].ID)
	}
}
