package operations

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/redisplan/redisplan/executors/check"
	"github.com/redisplan/redisplan/executors/repository"
	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/s3test"
)

// statelessRuns runs check -notify four times against srv, each as a
// CronJob pod would: with an empty home (a fresh XDG_STATE_HOME) and no
// -state-dir. The target keeps its state beside its backups, so that the
// alert fires once, is not sent again, is resolved once and stays quiet.
// It returns the state as stored, read by readStored.
func statelessRuns(t *testing.T, srv *servertest.Server, backupBlock string, readStored func() ([]byte, os.FileMode)) []byte {
	b, _ := statelessRunsOf(t, srv, backupBlock, readStored)
	return b
}

// statelessRunsOf is statelessRuns, returning the target too.
func statelessRunsOf(t *testing.T, srv *servertest.Server, backupBlock string, readStored func() ([]byte, os.FileMode)) ([]byte, *model.Target) {
	t.Helper()
	ctx := context.Background()
	c := srv.Client(t)
	hook := newWebhook(t)
	res := loadSpec(t, fmt.Sprintf(`redis "main" {
  address = %q
%s
  alerts {
    schedule = "*/15 * * * *"
    notify {
      webhook = %q
      format  = "alertmanager"
    }
    memory_used_percent {
      warning  = 80
      critical = 90
    }
  }
}
`, srv.Addr(), backupBlock, hook.srv.URL+"/alerts?token=Hook-T0ken-s3cret"))
	now := time.Now()
	homes := []string{}
	run := func(what string, wantPayloads int) {
		t.Helper()
		home := t.TempDir()
		homes = append(homes, home)
		t.Setenv("XDG_STATE_HOME", home)
		t.Setenv("HOME", home)
		now = now.Add(time.Minute)
		r, err := Check(ctx, CheckOptions{Targets: res.Spec.Targets, Notify: true, Now: now})
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if len(r.Warnings) != 0 {
			t.Errorf("%s: warnings %v", what, r.Warnings)
		}
		if got := len(hook.received()); got != wantPayloads {
			t.Fatalf("%s: the webhook has %d payloads, want %d: %v", what, got, wantPayloads, hook.received())
		}
	}
	memoryNearlyFull(t, c)
	run("first run, memory critical", 1)
	run("second run, still critical, another pod", 1)
	if err := c.ConfigSet(ctx, "maxmemory", "1gb").Err(); err != nil {
		t.Fatal(err)
	}
	run("third run, fixed", 2)
	if got := hook.received(); got[0]["status"] != "firing" || got[1]["status"] != "resolved" {
		t.Errorf("payloads %v, want firing then resolved", got)
	}
	run("fourth run, still fine", 2)
	for _, h := range homes {
		if entries, _ := os.ReadDir(h); len(entries) != 0 {
			t.Errorf("the run wrote into its home %s: %v; the state belongs beside the backups", h, entries)
		}
	}
	b, mode := readStored()
	if mode.Perm() != 0o600 {
		t.Errorf("the stored state has mode %v, want 0600", mode.Perm())
	}
	for _, s := range []string{"Hook-T0ken-s3cret", "Sup3rSecretKey"} {
		if strings.Contains(string(b), s) {
			t.Errorf("the stored state holds a secret (%s):\n%s", s, b)
		}
	}
	st, err := check.DecodeState(b, "the stored state")
	if err != nil {
		t.Fatal(err)
	}
	if a := st.Alerts[check.AlertKey("main", "memory_used_percent")]; a.Status == "firing" {
		t.Errorf("the stored state still has the resolved alert firing:\n%s", b)
	}
	return b, res.Spec.Targets[0]
}

// TestCheckStateBesideLocalBackups: a job without a home of its own keeps
// its alert state in <destination>/<target>/check/, which backup list
// does not take for something that is not redisplan's.
func TestCheckStateBesideLocalBackups(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{Config: "maxmemory 1gb"})
	dest := t.TempDir()
	path := filepath.Join(dest, "main", "check", repository.CheckStateName)
	statelessRuns(t, srv, fmt.Sprintf("  backup {\n    destination = %q\n  }", dest), func() ([]byte, os.FileMode) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("no state beside the backups: %v", err)
		}
		info, _ := os.Stat(path)
		return b, info.Mode()
	})
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("the check folder holds %v, want the state alone (no temp files)", entries)
	}
}

// TestCheckStateBesideS3Backups: the same with the backups in S3
// (versitygw): the state is one object in the target's prefix.
func TestCheckStateBesideS3Backups(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{Config: "maxmemory 1gb"})
	s3srv := s3test.Start(t)
	bucket := s3srv.Bucket(t, "backups")
	block := fmt.Sprintf(`  backup {
    destination = "s3://%s/prod"
    s3 {
      endpoint   = %q
      region     = "us-east-1"
      access_key = %q
      secret_key = %q
      path_style = true
    }
  }`, bucket, s3srv.Endpoint, s3srv.AccessKey, s3srv.SecretKey)
	key := "prod/main/check/" + repository.CheckStateName
	b, tg := statelessRunsOf(t, srv, block, func() ([]byte, os.FileMode) {
		obj, err := s3srv.Client(t).GetObject(context.Background(), bucket, key, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer obj.Close()
		b, err := io.ReadAll(obj)
		if err != nil {
			t.Fatalf("no state object %s: %v", key, err)
		}
		return b, 0o600 // an object has no mode
	})
	for _, s := range []string{s3srv.AccessKey, s3srv.SecretKey} {
		if strings.Contains(string(b), s) {
			t.Errorf("the stored state holds an S3 key")
		}
	}
	repo, err := repository.Open(tg, "")
	if err != nil {
		t.Fatal(err)
	}
	if l, err := repo.List(context.Background()); err != nil || len(l.LeftAlone) != 0 {
		t.Errorf("backup list: %v, left alone %+v; want nothing", err, l.LeftAlone)
	}
}

// TestCheckStateLegacyPlace: the state an older redisplan kept beside
// local backups (<target folder>/.check-state.json) is read when the
// check folder holds none, so an upgrade sends no alert twice; backup
// list names neither as something left alone.
func TestCheckStateLegacyPlace(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	c := srv.Client(t)
	memoryNearlyFull(t, c)
	hook := newWebhook(t)
	dest := t.TempDir()
	res := loadSpec(t, fmt.Sprintf(`redis "main" {
  address = %q
  backup {
    destination = %q
  }
  alerts {
    schedule = "*/15 * * * *"
    notify {
      webhook = %q
      format  = "alertmanager"
    }
    memory_used_percent {
      critical = 90
    }
  }
}
`, srv.Addr(), dest, hook.srv.URL))
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	o := CheckOptions{Targets: res.Spec.Targets, Notify: true, Now: time.Now()}
	if _, err := Check(ctx, o); err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(dest, "main")
	current := filepath.Join(folder, "check", repository.CheckStateName)
	if err := os.Rename(current, filepath.Join(folder, ".check-state.json")); err != nil {
		t.Fatal(err)
	}
	o.Now = o.Now.Add(time.Minute)
	if r, err := Check(ctx, o); err != nil || len(r.Deliveries) != 0 || len(hook.received()) != 1 {
		t.Fatalf("after the upgrade: %v, deliveries %v, payloads %d; want the firing alert not sent again", err, r, len(hook.received()))
	}
	if _, err := os.Stat(current); err != nil {
		t.Errorf("the state was not written to its new place: %v", err)
	}
	repo, err := repository.Open(res.Spec.Targets[0], "")
	if err != nil {
		t.Fatal(err)
	}
	l, err := repo.List(ctx)
	if err != nil || len(l.LeftAlone) != 0 {
		t.Errorf("backup list: %v, left alone %+v; want nothing", err, l.LeftAlone)
	}
}
