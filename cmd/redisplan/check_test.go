package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/testwait"
)

// receiver is an alert webhook on loopback that records what it gets and
// answers with the statuses it is told to, then 200.
type receiver struct {
	mu       sync.Mutex
	bodies   []map[string]any
	statuses []int
	srv      *httptest.Server
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{statuses: statuses}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if len(r.statuses) > 0 {
			code := r.statuses[0]
			r.statuses = r.statuses[1:]
			w.WriteHeader(code)
			return
		}
		var body map[string]any
		json.Unmarshal(b, &body)
		r.bodies = append(r.bodies, body)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) received() []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string]any(nil), r.bodies...)
}

type checkJSON struct {
	Status  string `json:"status"`
	Results []struct {
		Target, Name, Status, Message string
	} `json:"results"`
	Deliveries []struct {
		URL       string
		Attempts  int
		Delivered bool
	} `json:"deliveries"`
}

func runCheckJSON(t *testing.T, args ...string) (int, checkJSON) {
	t.Helper()
	code, out, errOut := runCLI(t, append([]string{"check", "-json"}, args...)...)
	var cj checkJSON
	if err := json.Unmarshal([]byte(out), &cj); err != nil {
		t.Fatalf("check -json output is not JSON: %v\n%s%s", err, out, errOut)
	}
	return code, cj
}

func result(cj checkJSON, name string) string {
	for _, r := range cj.Results {
		if r.Name == name {
			return r.Status + ": " + r.Message
		}
	}
	return "(no result)"
}

func checkSpec(t *testing.T, srv *servertest.Server, dest, webhook string) string {
	notifyBlock := ""
	if webhook != "" {
		notifyBlock = fmt.Sprintf("    notify {\n      webhook = %q\n      format  = \"alertmanager\"\n    }\n", webhook)
	}
	return writeSpec(t, fmt.Sprintf(`redis "main" {
  address = %q
  persistence {
    rdb {
      snapshot {
        after   = "1h"
        changes = 1
      }
    }
  }
  backup {
    destination = %q
  }
  alerts {
    schedule = "*/15 * * * *"
%s    memory_used_percent {
      warning  = 80
      critical = 90
    }
    backup_age {
      critical = "25h"
    }
  }
}
`, srv.Addr(), dest, notifyBlock))
}

func TestCheckHealthyThenMemoryAlertAndResolve(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{Config: "save 3600 1\nmaxmemory 1gb"})
	rcv := newReceiver(t)
	spec := checkSpec(t, srv, t.TempDir(), rcv.srv.URL+"/alerts")
	mustRun(t, "backup", "run", "-config", spec)

	code, cj := runCheckJSON(t, "-config", spec, "-state-dir", t.TempDir())
	if code != 0 || cj.Status != "ok" {
		t.Fatalf("healthy server with a fresh backup: exit %d, status %s\n%+v", code, cj.Status, cj.Results)
	}
	for _, name := range []string{"reachable", "memory_used_percent", "rdb_last_bgsave", "backup_age", "persistence_drift", "connected_clients_percent", "replication", "keyspace"} {
		if !strings.HasPrefix(result(cj, name), "ok") {
			t.Errorf("%s: %s", name, result(cj, name))
		}
	}

	// Usage above 90% of maxmemory.
	c := srv.Client(t)
	ctx := context.Background()
	used, _ := strconv.ParseFloat(infoValue(t, c, "used_memory"), 64)
	c.ConfigSet(ctx, "maxmemory", strconv.Itoa(int(used*100/95)))
	stateDir := t.TempDir()
	code, cj = runCheckJSON(t, "-config", spec, "-notify", "-state-dir", stateDir)
	if code != 2 || !strings.HasPrefix(result(cj, "memory_used_percent"), "critical") {
		t.Fatalf("memory above 90%%: exit %d, %s", code, result(cj, "memory_used_percent"))
	}
	got := rcv.received()
	if len(got) != 1 || got[0]["version"] != "4" || got[0]["status"] != "firing" {
		t.Fatalf("receiver got %v, want one Alertmanager v4 firing payload", got)
	}
	alerts := got[0]["alerts"].([]any)
	labels := alerts[0].(map[string]any)["labels"].(map[string]any)
	if labels["target"] != "main" || labels["severity"] != "critical" || labels["check"] != "memory_used_percent" {
		t.Errorf("labels = %v", labels)
	}

	// Within repeat_interval: nothing new.
	if code, _ := runCheckJSON(t, "-config", spec, "-notify", "-state-dir", stateDir); code != 2 {
		t.Fatalf("second run: exit %d, want 2", code)
	}
	if n := len(rcv.received()); n != 1 {
		t.Fatalf("the receiver got %d payloads after a second run within repeat_interval, want still 1", n)
	}

	// Fixed: one resolved payload, once.
	c.ConfigSet(ctx, "maxmemory", "1gb")
	runCheckJSON(t, "-config", spec, "-notify", "-state-dir", stateDir)
	runCheckJSON(t, "-config", spec, "-notify", "-state-dir", stateDir)
	got = rcv.received()
	if len(got) != 2 || got[1]["status"] != "resolved" {
		t.Fatalf("after the fix the receiver got %d payloads (%v), want exactly one more, resolved", len(got), got)
	}
}

func infoValue(t *testing.T, c *redis.Client, name string) string {
	t.Helper()
	info, err := c.Info(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(info, "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && k == name {
			return v
		}
	}
	t.Fatalf("INFO has no %s", name)
	return ""
}

func TestCheckFailures(t *testing.T) {
	t.Parallel()
	t.Run("persistence switched off behind redisplan's back", func(t *testing.T) {
		t.Parallel()
		srv := servertest.Start(t, servertest.Options{Config: "save 3600 1"})
		spec := checkSpec(t, srv, t.TempDir(), "")
		mustRun(t, "backup", "run", "-config", spec)
		srv.Client(t).ConfigSet(context.Background(), "save", "")
		code, cj := runCheckJSON(t, "-config", spec, "-state-dir", t.TempDir())
		r := result(cj, "persistence_drift")
		if code != 2 || !strings.HasPrefix(r, "critical") || !strings.Contains(r, "save") {
			t.Errorf("exit %d, persistence_drift %s", code, r)
		}
	})
	t.Run("failing BGSAVE", func(t *testing.T) {
		t.Parallel()
		srv := servertest.Start(t, servertest.Options{Config: "save 3600 1"})
		spec := checkSpec(t, srv, t.TempDir(), "")
		mustRun(t, "backup", "run", "-config", spec)
		// As root no permission stops the save; a directory where the RDB
		// must be renamed to does.
		os.Remove(filepath.Join(srv.Dir(), "dump.rdb"))
		os.Mkdir(filepath.Join(srv.Dir(), "dump.rdb"), 0o755)
		c := srv.Client(t)
		c.BgSave(context.Background())
		testwait.For(t, 10*time.Second, "the BGSAVE to end", func() (bool, error) {
			return infoValue(t, c, "rdb_bgsave_in_progress") == "0", nil
		})
		code, cj := runCheckJSON(t, "-config", spec, "-state-dir", t.TempDir())
		if r := result(cj, "rdb_last_bgsave"); code != 2 || !strings.HasPrefix(r, "critical") {
			t.Errorf("exit %d, rdb_last_bgsave %s", code, r)
		}
	})
	t.Run("server down", func(t *testing.T) {
		t.Parallel()
		srv := servertest.Start(t, servertest.Options{Config: "save 3600 1"})
		spec := checkSpec(t, srv, t.TempDir(), "")
		mustRun(t, "backup", "run", "-config", spec)
		srv.Kill(t)
		code, cj := runCheckJSON(t, "-config", spec, "-state-dir", t.TempDir())
		if r := result(cj, "reachable"); code != 2 || !strings.HasPrefix(r, "critical") || !strings.Contains(r, "connection refused") {
			t.Errorf("exit %d, reachable %s", code, r)
		}
	})
	t.Run("unreadable catalog", func(t *testing.T) {
		t.Parallel()
		srv := servertest.Start(t, servertest.Options{Config: "save 3600 1"})
		dest := t.TempDir()
		spec := checkSpec(t, srv, dest, "")
		mustRun(t, "backup", "run", "-config", spec)
		os.WriteFile(storedFile(t, dest, "manifest.json"), []byte("{broken"), 0o600)
		code, cj := runCheckJSON(t, "-config", spec, "-state-dir", t.TempDir())
		if r := result(cj, "backup_age"); code != 3 || !strings.HasPrefix(r, "unknown") {
			t.Errorf("exit %d, backup_age %s", code, r)
		}
	})
	t.Run("old backup", func(t *testing.T) {
		t.Parallel()
		srv := servertest.Start(t, servertest.Options{Config: "save 3600 1"})
		dest := t.TempDir()
		spec := checkSpec(t, srv, dest, "")
		mustRun(t, "backup", "run", "-config", spec)
		p := storedFile(t, dest, "manifest.json")
		var m map[string]any
		b, _ := os.ReadFile(p)
		json.Unmarshal(b, &m)
		old := time.Now().Add(-48 * time.Hour).UTC().Format(time.RFC3339Nano)
		m["started"], m["finished"], m["verified_at"] = old, old, old
		b, _ = json.Marshal(m)
		os.WriteFile(p, b, 0o600)
		code, cj := runCheckJSON(t, "-config", spec, "-state-dir", t.TempDir())
		if r := result(cj, "backup_age"); code != 2 || !strings.HasPrefix(r, "critical") {
			t.Errorf("exit %d, backup_age %s", code, r)
		}
	})
}

func TestCheckDeliveryRetries(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{Config: "save 3600 1\nmaxmemory 1gb"})
	rcv := newReceiver(t, 500, 500)
	spec := checkSpec(t, srv, t.TempDir(), rcv.srv.URL+"/alerts?token=s3cr3t-t0ken")
	// No backup yet: backup_age is critical, which fires an alert.
	code, cj := runCheckJSON(t, "-config", spec, "-notify", "-state-dir", t.TempDir())
	if code != 2 {
		t.Fatalf("exit %d, want 2 (no backup yet)", code)
	}
	if len(cj.Deliveries) != 1 || !cj.Deliveries[0].Delivered || cj.Deliveries[0].Attempts != 3 {
		t.Fatalf("deliveries = %+v, want one delivered on the third attempt", cj.Deliveries)
	}
	if strings.Contains(cj.Deliveries[0].URL, "s3cr3t-t0ken") {
		t.Errorf("the delivery shows the token: %s", cj.Deliveries[0].URL)
	}
	if n := len(rcv.received()); n != 1 {
		t.Errorf("the receiver got %d payloads, want 1", n)
	}
}

func TestCheckPrometheusTextfile(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{Config: "save 3600 1\nmaxmemory 1gb"})
	spec := checkSpec(t, srv, t.TempDir(), "")
	mustRun(t, "backup", "run", "-config", spec)
	out := filepath.Join(t.TempDir(), "redisplan.prom")
	if code, stdout, stderr := runCLI(t, "check", "-format", "prometheus", "-o", out, "-config", spec, "-state-dir", t.TempDir()); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"redisplan_target_up{target=\"main\"} 1", "redisplan_check_status{", "redisplan_backup_last_success_timestamp_seconds{target=\"main\"}"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("textfile lacks %q:\n%s", want, b)
		}
	}
}

func TestFailedBackupAlerts(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{Config: "save 3600 1"})
	rcv := newReceiver(t)
	spec := checkSpec(t, srv, t.TempDir(), rcv.srv.URL+"/alerts")
	srv.Kill(t)
	code, _, errOut := runCLI(t, "backup", "run", "-config", spec)
	if code != 1 || !strings.Contains(errOut, "backup of redis.main failed") {
		t.Fatalf("backup of a stopped server: exit %d\n%s", code, errOut)
	}
	got := rcv.received()
	if len(got) != 1 {
		t.Fatalf("the receiver got %d payloads, want one alert for the failed backup", len(got))
	}
	labels := got[0]["alerts"].([]any)[0].(map[string]any)["labels"].(map[string]any)
	if labels["check"] != "backup_run" || labels["severity"] != "critical" {
		t.Errorf("labels = %v", labels)
	}
}
