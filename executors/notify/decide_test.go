package notify

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/check"
)

var (
	t0     = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	repeat = 4 * time.Hour
)

func result(target, name string, st check.Status) check.Result {
	v := 93.456
	return check.Result{Target: target, Name: name, Status: st, Value: &v, Unit: "%", Message: "memory used " + st.String()}
}

// brief writes alerts as "status severity target/check" lines.
func brief(alerts []Alert) string {
	var lines []string
	for _, a := range alerts {
		lines = append(lines, fmt.Sprintf("%s %s %s", a.Status, a.Severity, a.Key()))
	}
	return strings.Join(lines, "\n")
}

func TestDecide(t *testing.T) {
	const key = "main/memory_used_percent"
	earlier := t0.Add(-time.Hour)
	tests := []struct {
		name       string
		results    []check.Result
		states     map[string]AlertState
		repeat     time.Duration
		want       string
		wantStates map[string]AlertState
	}{
		{
			name:       "new firing is sent",
			results:    []check.Result{result("main", "memory_used_percent", check.Critical)},
			want:       "firing critical " + key,
			wantStates: map[string]AlertState{key: {Status: "firing", Severity: "critical", FiringSince: t0}},
		},
		{
			name:       "same firing within repeat is not sent",
			results:    []check.Result{result("main", "memory_used_percent", check.Critical)},
			states:     map[string]AlertState{key: {Status: "firing", Severity: "critical", FiringSince: earlier, LastSent: earlier}},
			want:       "",
			wantStates: map[string]AlertState{key: {Status: "firing", Severity: "critical", FiringSince: earlier, LastSent: earlier}},
		},
		{
			name:       "firing past repeat is sent again",
			results:    []check.Result{result("main", "memory_used_percent", check.Critical)},
			states:     map[string]AlertState{key: {Status: "firing", Severity: "critical", FiringSince: t0.Add(-5 * time.Hour), LastSent: t0.Add(-repeat)}},
			want:       "firing critical " + key,
			wantStates: map[string]AlertState{key: {Status: "firing", Severity: "critical", FiringSince: t0.Add(-5 * time.Hour)}},
		},
		{
			name:       "a repeat of zero or less never repeats",
			results:    []check.Result{result("main", "memory_used_percent", check.Critical)},
			states:     map[string]AlertState{key: {Status: "firing", Severity: "critical", FiringSince: earlier, LastSent: t0.Add(-1000 * time.Hour)}},
			repeat:     -1,
			want:       "",
			wantStates: map[string]AlertState{key: {Status: "firing", Severity: "critical", FiringSince: earlier, LastSent: t0.Add(-1000 * time.Hour)}},
		},
		{
			name:    "severity change is sent, with the old severity resolved",
			results: []check.Result{result("main", "memory_used_percent", check.Critical)},
			states:  map[string]AlertState{key: {Status: "firing", Severity: "warning", FiringSince: earlier, LastSent: earlier}},
			want:    "resolved warning " + key + "\nfiring critical " + key,
			wantStates: map[string]AlertState{
				key: {Status: "firing", Severity: "critical", FiringSince: t0},
			},
		},
		{
			name:       "back to ok is sent as resolved",
			results:    []check.Result{result("main", "memory_used_percent", check.OK)},
			states:     map[string]AlertState{key: {Status: "firing", Severity: "critical", FiringSince: earlier, LastSent: earlier}},
			want:       "resolved critical " + key,
			wantStates: map[string]AlertState{key: {Status: "resolved", Severity: "critical", FiringSince: earlier}},
		},
		{
			name:       "a delivered resolution is not sent again and is forgotten",
			results:    []check.Result{result("main", "memory_used_percent", check.OK)},
			states:     map[string]AlertState{key: {Status: "resolved", Severity: "critical", FiringSince: earlier, LastSent: earlier}},
			want:       "",
			wantStates: map[string]AlertState{},
		},
		{
			name:       "an undelivered resolution is sent again",
			results:    []check.Result{result("main", "memory_used_percent", check.OK)},
			states:     map[string]AlertState{key: {Status: "resolved", Severity: "critical", FiringSince: earlier}},
			want:       "resolved critical " + key,
			wantStates: map[string]AlertState{key: {Status: "resolved", Severity: "critical", FiringSince: earlier}},
		},
		{
			name:       "ok without history is nothing",
			results:    []check.Result{result("main", "memory_used_percent", check.OK)},
			want:       "",
			wantStates: map[string]AlertState{},
		},
		{
			name:       "unknown neither fires nor resolves",
			results:    []check.Result{result("main", "memory_used_percent", check.Unknown), result("main", "backup_age", check.Unknown)},
			states:     map[string]AlertState{key: {Status: "firing", Severity: "critical", FiringSince: earlier, LastSent: earlier}},
			want:       "",
			wantStates: map[string]AlertState{key: {Status: "firing", Severity: "critical", FiringSince: earlier, LastSent: earlier}},
		},
		{
			name:       "a check no longer reported for a checked target is resolved",
			results:    []check.Result{result("main", "backup_age", check.OK)},
			states:     map[string]AlertState{key: {Status: "firing", Severity: "warning", FiringSince: earlier, LastSent: earlier}},
			want:       "resolved warning " + key,
			wantStates: map[string]AlertState{key: {Status: "resolved", Severity: "warning", FiringSince: earlier}},
		},
		{
			name:    "targets the run did not check are kept as they were",
			results: []check.Result{result("main", "memory_used_percent", check.OK)},
			states: map[string]AlertState{
				`cache["eu/1"]/backup_age`: {Status: "firing", Severity: "critical", FiringSince: earlier, LastSent: earlier},
			},
			want: "",
			wantStates: map[string]AlertState{
				`cache["eu/1"]/backup_age`: {Status: "firing", Severity: "critical", FiringSince: earlier, LastSent: earlier},
			},
		},
		{
			name: "alerts come sorted by target and check",
			results: []check.Result{
				result("replica", "reachable", check.Critical),
				result("main", "memory_used_percent", check.Warning),
				result("main", "backup_age", check.Critical),
			},
			want: "firing critical main/backup_age\nfiring warning main/memory_used_percent\nfiring critical replica/reachable",
			wantStates: map[string]AlertState{
				"main/backup_age":          {Status: "firing", Severity: "critical", FiringSince: t0},
				"main/memory_used_percent": {Status: "firing", Severity: "warning", FiringSince: t0},
				"replica/reachable":        {Status: "firing", Severity: "critical", FiringSince: t0},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := repeat
			if tt.repeat != 0 {
				r = tt.repeat
			}
			before := fmt.Sprint(tt.states)
			alerts, states := Decide(tt.results, tt.states, t0, r)
			if got := brief(alerts); got != tt.want {
				t.Errorf("alerts:\n%s\nwant:\n%s", got, tt.want)
			}
			if !reflect.DeepEqual(states, tt.wantStates) {
				t.Errorf("states:\n%v\nwant:\n%v", states, tt.wantStates)
			}
			if after := fmt.Sprint(tt.states); after != before {
				t.Errorf("Decide modified its input states:\n%s\nnow:\n%s", before, after)
			}
		})
	}
}

func TestDecideAlertContent(t *testing.T) {
	earlier := t0.Add(-2 * time.Hour)
	states := map[string]AlertState{"main/backup_age": {Status: "firing", Severity: "critical", FiringSince: earlier, LastSent: earlier}}
	alerts, _ := Decide([]check.Result{
		result("main", "memory_used_percent", check.Warning),
		{Target: "main", Name: "backup_age", Status: check.OK, Message: "last backup 2h ago"},
	}, states, t0, repeat)
	if len(alerts) != 2 {
		t.Fatalf("alerts = %+v", alerts)
	}
	resolved, firing := alerts[0], alerts[1]
	if resolved.Status != "resolved" || !resolved.StartsAt.Equal(earlier) || !resolved.EndsAt.Equal(t0) ||
		resolved.Description != "last backup 2h ago" || resolved.Summary != "main: backup_age is back to ok" {
		t.Errorf("resolved = %+v", resolved)
	}
	if firing.Status != "firing" || !firing.StartsAt.Equal(t0) || !firing.EndsAt.IsZero() ||
		firing.Value != "93.46%" || firing.Summary != "main: memory_used_percent is warning (93.46%)" ||
		firing.Description != "memory used warning" {
		t.Errorf("firing = %+v", firing)
	}
}

// A failed delivery is not marked, so the next run sends the alert again
// even within the repeat interval; once delivered, it is quiet.
func TestFailedDeliveryIsRetriedNextRun(t *testing.T) {
	results := []check.Result{result("main", "memory_used_percent", check.Critical)}

	alerts, states := Decide(results, nil, t0, repeat)
	if brief(alerts) != "firing critical main/memory_used_percent" {
		t.Fatalf("run 1 alerts: %s", brief(alerts))
	}
	// Delivery failed: no MarkSent.

	alerts, states = Decide(results, states, t0.Add(15*time.Minute), repeat)
	if brief(alerts) != "firing critical main/memory_used_percent" {
		t.Fatalf("run 2 did not retry the undelivered alert: %q", brief(alerts))
	}
	if !alerts[0].StartsAt.Equal(t0) {
		t.Errorf("retried alert starts at %v, want %v", alerts[0].StartsAt, t0)
	}
	MarkSent(states, alerts, t0.Add(15*time.Minute))

	alerts, states = Decide(results, states, t0.Add(30*time.Minute), repeat)
	if len(alerts) != 0 {
		t.Fatalf("run 3 sent a delivered alert again: %s", brief(alerts))
	}
	if got := states["main/memory_used_percent"].LastSent; !got.Equal(t0.Add(15 * time.Minute)) {
		t.Errorf("LastSent = %v", got)
	}
}

func TestResolvedIsSentOnce(t *testing.T) {
	states := map[string]AlertState{"main/memory_used_percent": {Status: "firing", Severity: "critical", FiringSince: t0, LastSent: t0}}
	ok := []check.Result{result("main", "memory_used_percent", check.OK)}

	alerts, states := Decide(ok, states, t0.Add(time.Hour), repeat)
	if brief(alerts) != "resolved critical main/memory_used_percent" {
		t.Fatalf("run 1: %s", brief(alerts))
	}
	MarkSent(states, alerts, t0.Add(time.Hour))
	for i := 2; i <= 3; i++ {
		alerts, states = Decide(ok, states, t0.Add(time.Duration(i)*time.Hour), repeat)
		if len(alerts) != 0 {
			t.Fatalf("run %d sent %s", i, brief(alerts))
		}
	}
	if len(states) != 0 {
		t.Errorf("states kept after the resolution was delivered: %v", states)
	}
}

func TestMarkSentIgnoresStatesThatMovedOn(t *testing.T) {
	states := map[string]AlertState{"main/reachable": {Status: "firing", Severity: "critical", FiringSince: t0}}
	MarkSent(states, []Alert{{Target: "main", Check: "reachable", Status: "resolved", Severity: "warning"}}, t0)
	if !states["main/reachable"].LastSent.IsZero() {
		t.Errorf("a resolution of another severity marked the firing state sent")
	}
	MarkSent(states, []Alert{{Target: "main", Check: "reachable", Status: "firing", Severity: "critical"}}, t0)
	if !states["main/reachable"].LastSent.Equal(t0) {
		t.Errorf("LastSent = %v", states["main/reachable"].LastSent)
	}
}

func TestFormatValue(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	for _, tt := range []struct {
		v    *float64
		unit string
		want string
	}{
		{nil, "%", ""},
		{f(93.5), "%", "93.5%"},
		{f(90000), "s", "90000s"},
		{f(1.23456), "ratio", "1.23"},
		{f(12), "", "12"},
		{f(1024), "B", "1024B"},
	} {
		if got := formatValue(tt.v, tt.unit); got != tt.want {
			t.Errorf("formatValue(%v, %q) = %q, want %q", tt.v, tt.unit, got, tt.want)
		}
	}
}
