package check

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLoadStateMissing(t *testing.T) {
	st, err := LoadState(filepath.Join(t.TempDir(), "nope", "state.json"))
	if err != nil {
		t.Fatalf("a missing state file is an error: %v", err)
	}
	if st.Version != StateVersion || st.Samples == nil || st.Alerts == nil || len(st.Samples)+len(st.Alerts) != 0 {
		t.Errorf("state = %+v, want an empty one with non-nil maps", st)
	}
	if st.Sample("main") != nil {
		t.Error("an empty state has a sample")
	}
}

func TestStateRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "check.json")
	st := NewState()
	st.SetSample("main", Sample{Time: testNow, RunID: "run-1", EvictedKeys: 3, RejectedConnections: -1, AOFDelayedFsync: 0, SlowlogLen: 7})
	st.Alerts[AlertKey("main", "memory_used_percent")] = AlertState{Status: "firing", Severity: "critical", FiringSince: testNow.Add(-time.Hour), LastSent: testNow}
	st.Alerts[AlertKey("main", "backup_age")] = AlertState{Status: "resolved", Severity: "warning", FiringSince: testNow.Add(-2 * time.Hour)}
	if err := SaveState(path, st); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", info.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), `"main/memory_used_percent"`) || !strings.Contains(string(b), `"status": "firing"`) {
		t.Errorf("state file does not key alerts by target/check with status names:\n%s", b)
	}
	if strings.Contains(string(b), "0001-01-01") {
		t.Errorf("state file writes zero times:\n%s", b)
	}
	back, err := LoadState(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(st, back); diff != "" {
		t.Errorf("load(save(state)) differs (-want +got):\n%s", diff)
	}
	if s := back.Sample("main"); s == nil || s.EvictedKeys != 3 {
		t.Errorf("Sample(main) = %+v", s)
	}

	// Saving again replaces the file and keeps its mode.
	st.SetSample("main", Sample{Time: testNow.Add(time.Minute), RunID: "run-2"})
	if err := SaveState(path, st); err != nil {
		t.Fatal(err)
	}
	back, err = LoadState(path)
	if err != nil || back.Sample("main").RunID != "run-2" {
		t.Errorf("after a second save: %+v, %v", back.Sample("main"), err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("the state directory holds %d entries, want only the state file", len(entries))
	}
}

func TestLoadStateErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadState(bad); err == nil || !strings.Contains(err.Error(), "not valid JSON") {
		t.Errorf("LoadState of a broken file: %v, want an error saying it is not JSON", err)
	}
	newer := filepath.Join(dir, "newer.json")
	if err := os.WriteFile(newer, []byte(`{"version": 99}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadState(newer); err == nil || !strings.Contains(err.Error(), "upgrade redisplan") {
		t.Errorf("LoadState of a newer format: %v, want an error asking for an upgrade", err)
	}
}
