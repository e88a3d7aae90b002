package operations

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

	"github.com/redisplan/redisplan/executors/check"
	"github.com/redisplan/redisplan/executors/notify"
	"github.com/redisplan/redisplan/executors/server/servertest"
)

// webhook is an alert receiver on loopback that keeps the bodies it gets.
type webhook struct {
	mu     sync.Mutex
	bodies []map[string]any
	srv    *httptest.Server
}

func newWebhook(t *testing.T) *webhook {
	w := &webhook{}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		var body map[string]any
		if err := json.Unmarshal(b, &body); err != nil {
			rw.WriteHeader(http.StatusBadRequest)
			return
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		w.bodies = append(w.bodies, body)
	}))
	t.Cleanup(w.srv.Close)
	return w
}

func (w *webhook) received() []map[string]any {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]map[string]any(nil), w.bodies...)
}

// memoryNearlyFull sets the server's maxmemory so that used_memory is
// about 98% of it: above a critical level of 90%.
func memoryNearlyFull(t *testing.T, c *redis.Client) {
	t.Helper()
	ctx := context.Background()
	info, err := c.Info(ctx, "memory").Result()
	if err != nil {
		t.Fatal(err)
	}
	var used int64
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			used, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	if err := c.ConfigSet(ctx, "maxmemory", strconv.FormatInt(used*100/98, 10)).Err(); err != nil {
		t.Fatal(err)
	}
}

// TestCheckAlertsOnceThroughTheWebhook: a server using more than the
// critical share of its maxmemory is CRITICAL; with Notify the alert
// reaches the webhook once, and a second run does not send it again.
func TestCheckAlertsOnceThroughTheWebhook(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	c := srv.Client(t)
	memoryNearlyFull(t, c)
	hook := newWebhook(t)
	res := loadSpec(t, fmt.Sprintf(`redis "main" {
  address = %q
  alerts {
    schedule = "*/15 * * * *"
    notify {
      webhook = %q
      format  = "alertmanager-webhook"
    }
    memory_used_percent {
      warning  = 80
      critical = 90
    }
  }
}
`, srv.Addr(), hook.srv.URL+"/alerts"))
	state := t.TempDir()
	o := CheckOptions{Targets: res.Spec.Targets, Notify: true, StateDir: state, Now: time.Now()}

	r, err := Check(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if r.Report.Status != check.Critical {
		t.Fatalf("status = %v, want CRITICAL\n%+v", r.Report.Status, r.Report.Results)
	}
	var mem *check.Result
	for i := range r.Report.Results {
		if r.Report.Results[i].Name == "memory_used_percent" {
			mem = &r.Report.Results[i]
		}
	}
	if mem == nil || mem.Status != check.Critical {
		t.Fatalf("memory_used_percent = %+v, want CRITICAL", mem)
	}
	if len(r.Deliveries) != 1 || !r.Deliveries[0].Delivered {
		t.Fatalf("deliveries = %+v, want one delivered", r.Deliveries)
	}
	got := hook.received()
	if len(got) != 1 || !strings.Contains(fmt.Sprint(got[0]), "memory_used_percent") {
		t.Fatalf("the webhook got %v, want one alert naming memory_used_percent", got)
	}
	if len(r.Warnings) != 0 {
		t.Errorf("warnings: %v", r.Warnings)
	}
	if _, err := os.Stat(filepath.Join(state, "main.check-state.json")); err != nil {
		t.Errorf("the check state was not kept in the state directory: %v", err)
	}

	// The same alert, still firing, is not sent again a minute later.
	o.Now = o.Now.Add(time.Minute)
	r, err = Check(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if r.Report.Status != check.Critical || len(r.Deliveries) != 0 || len(hook.received()) != 1 {
		t.Errorf("second run: status %v, %d deliveries, webhook got %d; want CRITICAL and no new alert", r.Report.Status, len(r.Deliveries), len(hook.received()))
	}
}

// TestAlertFailureRedactsAndReports: a failed run's alert reaches the
// webhook without the target's secrets, and a destination that refuses it
// is reported back, not hidden.
func TestAlertFailureRedactsAndReports(t *testing.T) {
	t.Parallel()
	hook := newWebhook(t)
	refusing := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) { rw.WriteHeader(http.StatusForbidden) }))
	t.Cleanup(refusing.Close)
	res := loadSpec(t, fmt.Sprintf(`redis "main" {
  address  = "127.0.0.1:1"
  password = "hunter2-secret"
  alerts {
    notify {
      webhook = %q
      format  = "alertmanager-webhook"
    }
    notify {
      webhook = %q
      format  = "alertmanager-webhook"
    }
  }
}
`, hook.srv.URL+"/alerts", refusing.URL+"/alerts"))
	tgt := res.Spec.Target("main")
	cause := fmt.Errorf("AUTH hunter2-secret refused")
	problems := AlertFailure(context.Background(), &notify.Sender{Retries: -1}, tgt, "backup_run", "The backup of Redis main failed", cause)
	got := hook.received()
	if len(got) != 1 || !strings.Contains(fmt.Sprint(got[0]), "backup_run") {
		t.Fatalf("the webhook got %v, want one backup_run alert", got)
	}
	if s := fmt.Sprint(got[0]); strings.Contains(s, "hunter2-secret") {
		t.Errorf("the alert carries the password: %s", s)
	}
	if len(problems) != 1 || !strings.Contains(problems[0], "failed after 1 attempt(s)") {
		t.Errorf("problems = %q, want the refusing destination reported", problems)
	}
}
