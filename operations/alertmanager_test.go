package operations

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/check"
	"github.com/redisplan/redisplan/executors/notify"
	"github.com/redisplan/redisplan/executors/server/servertest"
)

// amAlert is postableAlert of Alertmanager's OpenAPI specification
// (api/v2/openapi.yaml): the only fields POST /api/v2/alerts takes.
type amAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
}

// alertmanagerAPI is a receiver that answers as Alertmanager's API does:
// 200 for a well-formed POST /api/v2/alerts, 400 (and a recorded problem)
// for anything else.
type alertmanagerAPI struct {
	mu       sync.Mutex
	posts    [][]amAlert
	problems []string
	auth     []string
	srv      *httptest.Server
}

func newAlertmanagerAPI(t *testing.T) *alertmanagerAPI {
	am := &alertmanagerAPI{}
	am.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		alerts, problem := am.check(req)
		am.mu.Lock()
		defer am.mu.Unlock()
		am.auth = append(am.auth, req.Header.Get("Authorization"))
		if problem != "" {
			am.problems = append(am.problems, problem)
			http.Error(rw, problem, http.StatusBadRequest)
			return
		}
		am.posts = append(am.posts, alerts)
	}))
	t.Cleanup(am.srv.Close)
	return am
}

func (am *alertmanagerAPI) check(req *http.Request) ([]amAlert, string) {
	if req.Method != http.MethodPost || req.URL.Path != "/api/v2/alerts" {
		return nil, fmt.Sprintf("%s %s, want POST /api/v2/alerts", req.Method, req.URL.Path)
	}
	if mt, _, err := mime.ParseMediaType(req.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, fmt.Sprintf("Content-Type %q, want application/json", req.Header.Get("Content-Type"))
	}
	b, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err.Error()
	}
	// Field by field: each of the five, with its JSON type, and no other.
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Sprintf("body is not a JSON array of objects: %v", err)
	}
	for _, a := range raw {
		for name, v := range a {
			switch name {
			case "labels", "annotations":
				var m map[string]string
				if err := json.Unmarshal(v, &m); err != nil || m == nil {
					return nil, fmt.Sprintf("%s is %s, want an object of strings", name, v)
				}
			case "startsAt", "endsAt":
				var s string
				if err := json.Unmarshal(v, &s); err != nil {
					return nil, fmt.Sprintf("%s is %s, want a string", name, v)
				}
				if _, err := time.Parse(time.RFC3339, s); err != nil {
					return nil, fmt.Sprintf("%s %q is not RFC 3339", name, s)
				}
			case "generatorURL":
				var s string
				if err := json.Unmarshal(v, &s); err != nil {
					return nil, fmt.Sprintf("generatorURL is %s, want a string", v)
				}
			default:
				return nil, fmt.Sprintf("unknown field %q", name)
			}
		}
		if _, ok := a["labels"]; !ok {
			return nil, "an alert without labels"
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var alerts []amAlert
	if err := dec.Decode(&alerts); err != nil {
		return nil, err.Error()
	}
	return alerts, ""
}

func (am *alertmanagerAPI) received() ([][]amAlert, []string, []string) {
	am.mu.Lock()
	defer am.mu.Unlock()
	return append([][]amAlert(nil), am.posts...), append([]string(nil), am.problems...), append([]string(nil), am.auth...)
}

// TestCheckPostsToAlertmanagerAPI: with alertmanager = [two URLs], a
// CRITICAL check is posted to /api/v2/alerts of each in the shape the API
// takes, with an endsAt past the next runs; it is posted again on each run
// while it fires (Alertmanager would resolve it otherwise), and resolved
// with an endsAt in the past when the server is fine again. An
// Alertmanager that refuses is reported without stopping the other, and
// the password of its URL is never shown.
func TestCheckPostsToAlertmanagerAPI(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	c := srv.Client(t)
	memoryNearlyFull(t, c)
	am0 := newAlertmanagerAPI(t)
	var refuse atomic.Bool
	refuse.Store(true)
	down := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		if refuse.Load() {
			// A refusal that quotes the credentials it was sent.
			http.Error(rw, "maintenance; you sent "+req.Header.Get("Authorization"), http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(down.Close)
	am0URL := strings.Replace(am0.srv.URL, "http://", "http://redisplan:am-pass-4711@", 1)
	downURL := strings.Replace(down.URL, "http://", "http://redisplan:am-pass-4711@", 1)
	res := loadSpec(t, fmt.Sprintf(`redis "main" {
  address = %q
  alerts {
    schedule = "*/15 * * * *"
    notify {
      alertmanager  = [%q, %q]
      generator_url = "https://grafana.example.com/d/redis"
    }
    memory_used_percent {
      warning  = 80
      critical = 90
    }
  }
}
`, srv.Addr(), am0URL, downURL))
	now := time.Date(2026, 3, 1, 10, 15, 3, 0, time.UTC)
	o := CheckOptions{Targets: res.Spec.Targets, Notify: true, StateDir: t.TempDir(), Now: now, Sender: &notify.Sender{Retries: -1}}

	memoryAlert := func(post []amAlert) *amAlert {
		for i := range post {
			if post[i].Labels["check"] == "memory_used_percent" {
				return &post[i]
			}
		}
		return nil
	}

	// First run: fires, posted to both; one refuses.
	r, err := Check(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if r.Report.Status != check.Critical {
		t.Fatalf("status = %v, want CRITICAL", r.Report.Status)
	}
	if len(r.Deliveries) != 2 || !r.Deliveries[0].Delivered || r.Deliveries[1].Delivered {
		t.Fatalf("deliveries = %+v, want the first delivered and the second refused", r.Deliveries)
	}
	basic := base64.StdEncoding.EncodeToString([]byte("redisplan:am-pass-4711"))
	for _, d := range r.Deliveries {
		if strings.Contains(d.URL+d.Error, "am-pass-4711") || strings.Contains(d.Error, basic) {
			t.Errorf("a delivery shows the password: %+v", d)
		}
		if !strings.HasSuffix(d.URL, "/api/v2/alerts") {
			t.Errorf("delivery URL %q, want the alerts endpoint", d.URL)
		}
	}
	if !strings.Contains(r.Deliveries[1].Error, "503") {
		t.Errorf("refusal = %q, want the status", r.Deliveries[1].Error)
	}
	posts, problems, auth := am0.received()
	if len(problems) > 0 {
		t.Fatalf("Alertmanager refused the request: %v", problems)
	}
	if len(posts) != 1 {
		t.Fatalf("Alertmanager got %d posts, want 1", len(posts))
	}
	if auth[0] == "" || !strings.HasPrefix(auth[0], "Basic ") {
		t.Errorf("Authorization = %q, want the URL's basic auth", auth[0])
	}
	a := memoryAlert(posts[0])
	if a == nil {
		t.Fatalf("no memory_used_percent alert in %+v", posts[0])
	}
	if a.Labels["alertname"] != "RedisMemoryUsedPercent" || a.Labels["severity"] != "critical" || a.Labels["target"] != "main" {
		t.Errorf("labels = %v", a.Labels)
	}
	if a.Annotations["summary"] == "" || a.GeneratorURL != "https://grafana.example.com/d/redis" {
		t.Errorf("annotations = %v, generatorURL = %q", a.Annotations, a.GeneratorURL)
	}
	if !a.StartsAt.Equal(now) || !a.EndsAt.After(now.Add(15*time.Minute)) {
		t.Errorf("startsAt %s, endsAt %s: want it to start now and end after the next run", a.StartsAt, a.EndsAt)
	}
	firstEnd := a.EndsAt

	// Second run, 15 minutes later: still firing, posted again with the
	// same start and a later end.
	o.Now = now.Add(15 * time.Minute)
	if _, err := Check(ctx, o); err != nil {
		t.Fatal(err)
	}
	posts, _, _ = am0.received()
	if len(posts) != 2 {
		t.Fatalf("Alertmanager got %d posts after the second run, want 2: a firing alert is posted on each run", len(posts))
	}
	if a := memoryAlert(posts[1]); a == nil || !a.StartsAt.Equal(now) || !a.EndsAt.After(firstEnd) {
		t.Errorf("second post = %+v, want the same start and a later end than %s", a, firstEnd)
	}

	// Third run: the server is fine again; the alert is resolved.
	if err := c.ConfigSet(ctx, "maxmemory", "0").Err(); err != nil {
		t.Fatal(err)
	}
	o.Now = now.Add(30 * time.Minute)
	if _, err := Check(ctx, o); err != nil {
		t.Fatal(err)
	}
	posts, problems, _ = am0.received()
	if len(problems) > 0 || len(posts) != 3 {
		t.Fatalf("after the third run: %d posts, problems %v; want 3 posts", len(posts), problems)
	}
	a = memoryAlert(posts[2])
	if a == nil {
		t.Fatalf("no resolution in %+v", posts[2])
	}
	if !a.StartsAt.Equal(now) || a.EndsAt.After(o.Now) {
		t.Errorf("resolution: startsAt %s, endsAt %s; want its start and an end not after %s", a.StartsAt, a.EndsAt, o.Now)
	}

	// Fourth run: the second Alertmanager is back. It never took the
	// resolution, so the resolution is posted again (to both); nothing
	// fires.
	refuse.Store(false)
	o.Now = now.Add(45 * time.Minute)
	r, err = Check(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	posts, _, _ = am0.received()
	if len(posts) != 4 || len(r.Deliveries) != 2 || !r.Deliveries[0].Delivered || !r.Deliveries[1].Delivered {
		t.Fatalf("fourth run: %d posts, deliveries %+v; want the resolution delivered to both", len(posts), r.Deliveries)
	}
	for _, a := range posts[3] {
		if a.EndsAt.After(o.Now) {
			t.Errorf("fourth run posted an open alert: %+v", a)
		}
	}

	// Fifth run: everything was delivered, nothing fires: nothing is
	// posted.
	o.Now = now.Add(60 * time.Minute)
	r, err = Check(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if posts, _, _ = am0.received(); len(posts) != 4 || len(r.Deliveries) != 0 {
		t.Errorf("fifth run: %d posts, deliveries %+v; want nothing sent", len(posts), r.Deliveries)
	}
}
