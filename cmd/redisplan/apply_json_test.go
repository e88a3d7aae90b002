package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redisplan/redisplan/executors/server/servertest"
)

// applyLine is every field a line of apply -json may have: a progress
// record (type message or bytes), the plan (type plan) or the summary
// (type summary). Lines are decoded strictly against it.
type applyLine struct {
	progressLine
	// Plan is plan -json's document (whose fields plan's tests check).
	Plan           json.RawMessage   `json:"plan"`
	Findings       []json.RawMessage `json:"findings"`
	Outcome        string            `json:"outcome"`
	LiveChanges    *int              `json:"live_changes"`
	FileChanges    *int              `json:"file_changes"`
	ScheduleFiles  *int              `json:"schedule_files"`
	PendingRestart []string          `json:"pending_restart"`
	Failures       []struct {
		Target string `json:"target"`
		Error  string `json:"error"`
	} `json:"failures"`
	Stale []string `json:"stale"`
}

func decodeApplyLines(t *testing.T, out string) []applyLine {
	t.Helper()
	var lines []applyLine
	for i, text := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		dec := json.NewDecoder(strings.NewReader(text))
		dec.DisallowUnknownFields()
		var l applyLine
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("line %d is not one JSON record of apply -json: %v\n%s", i+1, err, text)
		}
		if dec.More() {
			t.Fatalf("line %d holds more than one JSON value: %s", i+1, text)
		}
		if l.Time.IsZero() {
			t.Errorf("line %d has no time: %s", i+1, text)
		}
		lines = append(lines, l)
	}
	return lines
}

// TestApplyJSONStreamsLines: apply -json writes only JSON lines on
// stdout, each one record: the plan first, then the steps as progress
// records, then the summary of what was done; the change is really made.
func TestApplyJSONStreamsLines(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	spec := policySpec(t, srv, "", "")

	code, out, errOut := runCLI(t, "apply", "-json", "-auto-approve", "-config", spec)
	if code != 0 {
		t.Fatalf("apply -json: exit %d\n%s%s", code, out, errOut)
	}
	lines := decodeApplyLines(t, out)
	if len(lines) < 3 {
		t.Fatalf("got %d lines, want the plan, steps and the summary:\n%s", len(lines), out)
	}
	first, last := lines[0], lines[len(lines)-1]
	var plan struct {
		FormatVersion string `json:"format_version"`
		Targets       []struct {
			Target  string            `json:"target"`
			Changes []json.RawMessage `json:"changes"`
		} `json:"targets"`
		Fingerprints json.RawMessage `json:"fingerprints"`
	}
	if first.Type != "plan" || json.Unmarshal(first.Plan, &plan) != nil || plan.FormatVersion == "" || len(plan.Targets) != 1 ||
		plan.Targets[0].Target != "main" || len(plan.Targets[0].Changes) == 0 || first.Findings == nil {
		t.Errorf("first line = %s %s, want the plan with main's changes and the findings", first.Type, first.Plan)
	}
	if plan.Fingerprints != nil {
		t.Error("the plan line carries the fingerprints of saved plans")
	}
	for _, l := range lines[1 : len(lines)-1] {
		if l.Type != "message" && l.Type != "bytes" {
			t.Errorf("a step line has type %q, want message or bytes", l.Type)
		}
		if l.Type == "message" && l.Message == "" {
			t.Errorf("a message line without level or message: %+v", l)
		}
	}
	if last.Type != "summary" || last.Outcome != "applied" || last.LiveChanges == nil || *last.LiveChanges < 1 ||
		last.FileChanges == nil || last.ScheduleFiles == nil || last.PendingRestart == nil || last.Failures == nil || last.Stale == nil {
		t.Errorf("last line = %+v, want an applied summary with every field", last)
	}
	if got := configGet(t, srv.Client(t), "maxmemory"); got != "67108864" {
		t.Errorf("maxmemory = %s after apply -json, want 67108864", got)
	}

	// Nothing left to change: a summary "no_changes", exit 0.
	code, out, _ = runCLI(t, "apply", "-json", "-auto-approve", "-config", spec)
	lines = decodeApplyLines(t, out)
	if code != 0 || lines[len(lines)-1].Outcome != "no_changes" {
		t.Errorf("second apply -json: exit %d, last line %+v; want no_changes", code, lines[len(lines)-1])
	}
}

// TestApplyJSONNeedsApproval: a JSON stream cannot prompt, so -json
// without -auto-approve or a saved plan is refused before anything runs.
func TestApplyJSONNeedsApproval(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI(t, "apply", "-json", "-config", writeSpec(t, cleanSpec))
	if code == 0 || out != "" || !strings.Contains(errOut, "-json needs -auto-approve or a saved plan") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestApplyJSONStaleSavedPlan: a saved plan whose server moved since is
// refused, and apply -json says so in its summary (outcome stale, what
// moved) with no plan record and exit 1; nothing is applied.
func TestApplyJSONStaleSavedPlan(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	spec := policySpec(t, srv, "", "")
	planFile := filepath.Join(t.TempDir(), "plan.json")
	if code, out, errOut := runCLI(t, "plan", "-out", planFile, "-config", spec); code != 0 {
		t.Fatalf("plan -out: exit %d\n%s%s", code, out, errOut)
	}
	c := srv.Client(t)
	if err := c.ConfigSet(context.Background(), "maxmemory-policy", "allkeys-lru").Err(); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "apply", "-json", "-config", spec, planFile)
	lines := decodeApplyLines(t, out)
	last := lines[len(lines)-1]
	if code != 1 || last.Type != "summary" || last.Outcome != "stale" || len(last.Stale) == 0 {
		t.Fatalf("apply -json of a stale plan: exit %d, last line %+v\n%s", code, last, errOut)
	}
	for _, l := range lines {
		if l.Type == "plan" {
			t.Error("a stale saved plan got a plan record")
		}
	}
	if got := configGet(t, c, "maxmemory"); got != "0" {
		t.Errorf("maxmemory = %s after a refused apply, want 0", got)
	}
}
