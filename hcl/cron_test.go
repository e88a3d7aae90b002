package hcl

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
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

// TestKubernetesPodSettings: every pod setting of a kubernetes cron block
// reaches the model, and mail_to the crontab's.
func TestKubernetesPodSettings(t *testing.T) {
	spec := load(t, Options{Path: "../testdata/valid/kubernetes.hcl", Vars: []string{"redis_password=pw"}})
	kc := spec.Targets[0].CronJobs[0]
	if kc.ImagePullPolicy != "IfNotPresent" || kc.ServiceAccount != "redisplan" || kc.VolumeClaim != "redisplan-state" {
		t.Errorf("pull policy %q, service account %q, claim %q", kc.ImagePullPolicy, kc.ServiceAccount, kc.VolumeClaim)
	}
	if !slices.Equal(kc.EnvFromSecrets, []string{"redisplan-aws"}) {
		t.Errorf("env_from_secrets = %v", kc.EnvFromSecrets)
	}
	if !maps.Equal(kc.Requests, map[string]string{"cpu": "100m", "memory": "128Mi"}) || !maps.Equal(kc.Limits, map[string]string{"memory": "512Mi"}) {
		t.Errorf("requests %v, limits %v", kc.Requests, kc.Limits)
	}
	sc := kc.Security
	if sc.AllowRoot || sc.WritableRoot || sc.RunAsUser == nil || *sc.RunAsUser != 65532 || sc.RunAsGroup == nil || *sc.RunAsGroup != 65532 || sc.FSGroup == nil || *sc.FSGroup != 65532 {
		t.Errorf("security = %+v", sc)
	}

	p := filepath.Join(t.TempDir(), "spec.hcl")
	src := `redis "main" {
  address = "127.0.0.1:6379"
  backup {
    schedule    = "0 3 * * *"
    destination = "/var/backups/redis"
  }
  cron {
    file    = "/etc/cron.d/redisplan"
    mail_to = ""
  }
  cron {
    kind             = "kubernetes"
    dir              = "/srv/k8s"
    image            = "redisplan:1"
    config_map       = "spec"
    security_context = { run_as_non_root = false, read_only_root_filesystem = false, run_as_user = 0 }
  }
}
`
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	res, diags := Load(Options{Path: p})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	tg := res.Spec.Targets[0]
	if tg.Cron.MailTo == nil || *tg.Cron.MailTo != "" {
		t.Errorf("mail_to = \"\" decoded as %v, want an empty MAILTO (mail off)", tg.Cron.MailTo)
	}
	if sc := tg.CronJobs[0].Security; !sc.AllowRoot || !sc.WritableRoot || *sc.RunAsUser != 0 {
		t.Errorf("security = %+v, want both defaults off and user 0", sc)
	}
	if tg.CronJobs[0].VolumeClaim != "" || tg.CronJobs[0].Requests != nil {
		t.Errorf("unset settings decoded as %+v", tg.CronJobs[0])
	}
}
