package notify

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/check"
)

// postableAlert mirrors postableAlert of Alertmanager's OpenAPI
// specification (api/v2/openapi.yaml): labels (required), annotations,
// startsAt and endsAt (date-time) and generatorURL (uri).
type postableAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     string            `json:"startsAt"`
	EndsAt       string            `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
}

// decodeAPI decodes an /api/v2/alerts body strictly: an array of
// postable alerts, no other field.
func decodeAPI(t *testing.T, b []byte) []postableAlert {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var out []postableAlert
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("not an array of postable alerts: %v\n%s", err, b)
	}
	return out
}

// TestAPIPayloadIsWhatAlertmanagerTakes: firing alerts end at the given
// time, resolved ones when they were resolved; times are RFC 3339 and
// every field is the one Alertmanager's API names.
func TestAPIPayloadIsWhatAlertmanagerTakes(t *testing.T) {
	until := t0.Add(35 * time.Minute)
	b, err := APIPayload(sampleAlerts(), until, "https://grafana.example.com/d/redis")
	if err != nil {
		t.Fatal(err)
	}
	got := decodeAPI(t, b)
	if len(got) != 2 {
		t.Fatalf("got %d alerts, want 2", len(got))
	}
	for _, a := range got {
		for _, ts := range []string{a.StartsAt, a.EndsAt} {
			if _, err := time.Parse(time.RFC3339, ts); err != nil {
				t.Errorf("time %q is not RFC 3339: %v", ts, err)
			}
		}
		if a.Labels["alertname"] == "" || a.Labels["target"] != "main" || a.Labels["severity"] == "" {
			t.Errorf("labels = %v, want alertname, target and severity", a.Labels)
		}
		if a.GeneratorURL != "https://grafana.example.com/d/redis" {
			t.Errorf("generatorURL = %q", a.GeneratorURL)
		}
	}
	firing, resolved := got[0], got[1]
	if end, _ := time.Parse(time.RFC3339, firing.EndsAt); !end.Equal(until) {
		t.Errorf("firing endsAt = %s, want %s", firing.EndsAt, until.UTC().Format(time.RFC3339))
	}
	if firing.Annotations["summary"] == "" || firing.Annotations["value"] != "93.5%" {
		t.Errorf("firing annotations = %v", firing.Annotations)
	}
	if end, _ := time.Parse(time.RFC3339, resolved.EndsAt); !end.Equal(t0) {
		t.Errorf("resolved endsAt = %s, want the time it was resolved, %s", resolved.EndsAt, t0.UTC().Format(time.RFC3339))
	}
	if start, _ := time.Parse(time.RFC3339, resolved.StartsAt); !start.Before(t0) {
		t.Errorf("resolved startsAt = %s, want before its end", resolved.StartsAt)
	}

	// An empty batch is an empty array, not null.
	if b, _ := APIPayload(nil, until, ""); string(b) != "[]" {
		t.Errorf("no alerts = %s, want []", b)
	}
	// A firing alert cannot be given an end before its start.
	if _, err := APIPayload(sampleAlerts(), time.Time{}, ""); err == nil {
		t.Error("a firing alert without an end was rendered")
	}
}

// TestEndsAtCoversTwoRuns: a firing alert outlives the next two scheduled
// checks, so that one missed run does not resolve it in Alertmanager.
func TestEndsAtCoversTwoRuns(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 15, 3, 0, time.UTC)
	for _, c := range []struct {
		schedule string
		want     time.Time
	}{
		{"*/15 * * * *", time.Date(2026, 3, 1, 10, 50, 0, 0, time.UTC)},
		{"0 * * * *", time.Date(2026, 3, 1, 12, 5, 0, 0, time.UTC)},
		{"", now.Add(DefaultEndsAfter)},
		{"not a schedule", now.Add(DefaultEndsAfter)},
	} {
		if got := EndsAt(c.schedule, now); !got.Equal(c.want) {
			t.Errorf("EndsAt(%q) = %s, want %s", c.schedule, got, c.want)
		}
	}
}

// TestFiringIsEveryOpenAlert: Alertmanager gets every alert still firing
// on each run, with the start it fired at, not only those Decide says are
// due; ok and unknown checks are not in it.
func TestFiringIsEveryOpenAlert(t *testing.T) {
	v := 95.0
	first := []check.Result{
		{Target: "main", Name: "memory_used_percent", Status: check.Critical, Value: &v, Unit: "%"},
		{Target: "main", Name: "backup_age", Status: check.OK},
		{Target: "main", Name: "aof", Status: check.Unknown},
	}
	sent, states := Decide(first, nil, t0, 4*time.Hour)
	MarkSent(states, sent, t0)
	later := t0.Add(15 * time.Minute)
	due, states := Decide(first, states, later, 4*time.Hour)
	if len(due) != 0 {
		t.Fatalf("Decide sent %d alerts again within the repeat interval", len(due))
	}
	got := Firing(first, states)
	if len(got) != 1 || got[0].Check != "memory_used_percent" || got[0].Status != StatusFiring || !got[0].StartsAt.Equal(t0) {
		t.Fatalf("Firing = %+v, want memory_used_percent firing since %s", got, t0)
	}
	if !strings.Contains(got[0].Summary, "95%") {
		t.Errorf("summary = %q, want the value", got[0].Summary)
	}
}
