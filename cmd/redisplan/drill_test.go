package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/operations"
)

// The drill tests crash and restore real redis-servers through the CLI.
// They assert the figures' counts and consistency and the verdicts, never
// how long anything took.

type rpoJSON struct {
	FormatVersion string `json:"format_version"`
	Persistence   string `json:"persistence"`
	Runs          []struct {
		Acknowledged int64   `json:"acknowledged"`
		Recovered    int64   `json:"recovered"`
		Lost         int64   `json:"lost"`
		LostMs       float64 `json:"lost_ms"`
	} `json:"runs"`
	WorstLost        int64    `json:"worst_lost"`
	WorstLostMs      float64  `json:"worst_lost_ms"`
	MedianLost       int64    `json:"median_lost"`
	ObjectiveSeconds *float64 `json:"objective_seconds"`
	Pass             bool     `json:"pass"`
	Reason           string   `json:"reason"`
}

// drillRPO runs drill rpo -json on a spec of one target whose body is
// given, and decodes its output.
func drillRPO(t *testing.T, body string, args ...string) (int, rpoJSON) {
	t.Helper()
	servertest.Binary(t)
	spec := writeSpec(t, fmt.Sprintf("redis \"main\" {\n  address = \"127.0.0.1:1\"\n%s\n}\n", body))
	code, out, errOut := runCLI(t, append([]string{"drill", "rpo", "-config", spec, "-target", "main", "-json"}, args...)...)
	t.Logf("stderr:\n%s", errOut)
	if code == exitOK {
		progressDone(t, errOut) // the progress on stderr is JSON lines
	}
	var rep rpoJSON
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("drill rpo -json: exit %d, output is not JSON (%v):\n%s", code, err, out)
	}
	if rep.FormatVersion != "1.0" {
		t.Errorf("format_version = %q, want 1.0", rep.FormatVersion)
	}
	for i, r := range rep.Runs {
		if r.Acknowledged <= 0 || r.Recovered+r.Lost != r.Acknowledged {
			t.Errorf("run %d: %d acknowledged, %d recovered, %d lost", i+1, r.Acknowledged, r.Recovered, r.Lost)
		}
		if r.Lost > rep.WorstLost || r.LostMs > rep.WorstLostMs {
			t.Errorf("run %d lost %d writes (%vms), more than the worst %d (%vms)", i+1, r.Lost, r.LostMs, rep.WorstLost, rep.WorstLostMs)
		}
	}
	return code, rep
}

func TestDrillRPOAppendfsyncAlways(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"persistence block": "  persistence {\n    aof {\n      enabled = true\n      fsync   = \"always\"\n    }\n  }",
		"settings":          "  settings = {\n    appendonly  = \"yes\"\n    appendfsync = \"always\"\n  }",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			code, rep := drillRPO(t, body, "-runs", "10", "-duration", "1s")
			if code != exitOK || len(rep.Runs) != 10 {
				t.Fatalf("exit %d with %d runs; want 0 with 10 runs: %+v", code, len(rep.Runs), rep)
			}
			if rep.WorstLost != 0 {
				t.Errorf("appendfsync always lost %d acknowledged writes", rep.WorstLost)
			}
			if rep.Persistence != "appendonly yes, appendfsync always" {
				t.Errorf("persistence = %q", rep.Persistence)
			}
			if rep.ObjectiveSeconds != nil || !rep.Pass || !strings.Contains(rep.Reason, "no rpo") {
				t.Errorf("without an rpo: objective %v, pass %v, reason %q", rep.ObjectiveSeconds, rep.Pass, rep.Reason)
			}
		})
	}
}

func TestDrillRPOEverysecMeetsOneSecond(t *testing.T) {
	t.Parallel()
	body := "  rpo = \"1s\"\n  persistence {\n    aof {\n      enabled = true\n      fsync   = \"everysec\"\n    }\n  }"
	code, rep := drillRPO(t, body, "-runs", "5", "-duration", "1s")
	if len(rep.Runs) != 5 || rep.ObjectiveSeconds == nil || *rep.ObjectiveSeconds != 1 {
		t.Fatalf("%d runs, objective %v; want 5 runs and 1s", len(rep.Runs), rep.ObjectiveSeconds)
	}
	if rep.WorstLostMs > 1000 {
		t.Errorf("appendfsync everysec lost %vms of acknowledged writes in a process crash", rep.WorstLostMs)
	}
	if code != exitOK || !rep.Pass {
		t.Errorf("exit %d, pass %v (%s); want 0 and a pass", code, rep.Pass, rep.Reason)
	}
}

func TestDrillRPONothingPersists(t *testing.T) {
	t.Parallel()
	body := "  rpo = \"1s\"\n  persistence {\n    rdb {}\n  }"
	code, rep := drillRPO(t, body, "-runs", "3", "-duration", "1s")
	if len(rep.Runs) != 3 {
		t.Fatalf("%d runs, want 3", len(rep.Runs))
	}
	for i, r := range rep.Runs {
		if r.Lost != r.Acknowledged || r.Recovered != 0 {
			t.Errorf("run %d: %d of %d acknowledged writes lost, want all", i+1, r.Lost, r.Acknowledged)
		}
	}
	if rep.Persistence != `appendonly no, save ""` {
		t.Errorf("persistence = %q", rep.Persistence)
	}
	if code != exitError || rep.Pass {
		t.Errorf("exit %d, pass %v (%s); want 1 and a failure", code, rep.Pass, rep.Reason)
	}
}

func TestDrillRPOText(t *testing.T) {
	servertest.Binary(t)
	t.Parallel()
	spec := writeSpec(t, "redis \"main\" {\n  address = \"127.0.0.1:1\"\n  settings = { appendonly = \"yes\" }\n}\n")
	code, out, errOut := runCLI(t, "drill", "rpo", "-config", spec, "-target", "main", "-runs", "2", "-duration", "200ms")
	if code != exitOK {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"RPO drill of redis.main: 2 crashes (SIGKILL)",
		"appendonly yes, appendfsync everysec",
		"ACKNOWLEDGED",
		"Worst: ",
		"No rpo is set in the spec",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "run 2/2: killed after") {
		t.Errorf("no progress on stderr:\n%s", errOut)
	}
}

// TestDrillTextNamesTheEngine checks that the text views of drill rpo
// and drill pitr name the scratch server by its engine: a Valkey target's
// drill ran valkey-server, not redis-server.
func TestDrillTextNamesTheEngine(t *testing.T) {
	tgt := &model.Target{Name: "main"}
	for _, c := range []struct{ server, want string }{
		{"valkey 8.1.1", "a scratch valkey-server 8.1.1 "},
		{"7.0.15", "a scratch redis-server 7.0.15 "},
	} {
		var rpo, pitr strings.Builder
		writeRPOText(&rpo, operations.RPOReport{Target: "main", Server: c.server, Crash: "SIGKILL", Persistence: "appendonly yes"}, tgt)
		writePITRText(&pitr, operations.PITRReport{Target: "main", Server: c.server}, tgt)
		for name, out := range map[string]string{"rpo": rpo.String(), "pitr": pitr.String()} {
			first, _, _ := strings.Cut(out, "\n")
			if !strings.Contains(first, c.want) {
				t.Errorf("drill %s of a %s server: %q, want it to say %q", name, c.server, first, c.want)
			}
			if strings.HasPrefix(c.server, "valkey") && strings.Contains(first, "redis-server") {
				t.Errorf("drill %s of a Valkey server names redis-server: %q", name, first)
			}
		}
	}
}

func TestDrillRTO(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`)
	fillDataset(t, d.addr(), "rto")
	spec := writeSpec(t, fmt.Sprintf(`redis "main" {
  address     = %q
  config_file = %q
  rto         = "5m"
  %s
  backup {
    destination = %q
  }
}
`, d.addr(), d.conf, d.service(), t.TempDir()))
	mustRun(t, "backup", "run", "-config", spec)

	code, out, errOut := runCLI(t, "drill", "rto", "-config", spec, "-target", "main", "-json")
	var rep struct {
		FormatVersion    string   `json:"format_version"`
		BackupID         string   `json:"backup_id"`
		VerifySeconds    float64  `json:"verify_seconds"`
		LoadSeconds      float64  `json:"load_seconds"`
		TotalSeconds     float64  `json:"total_seconds"`
		Keys             int64    `json:"keys"`
		ExpectedKeys     int64    `json:"expected_keys"`
		KeysMatch        bool     `json:"keys_match"`
		ObjectiveSeconds *float64 `json:"objective_seconds"`
		Pass             bool     `json:"pass"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("drill rto -json: exit %d, output is not JSON (%v):\n%s%s", code, err, out, errOut)
	}
	t.Logf("%+v", rep)
	if code != exitOK || !rep.Pass {
		t.Errorf("exit %d, pass %v; want 0 and a pass:\n%s%s", code, rep.Pass, out, errOut)
	}
	// 3 dbs x 50 x 7 keys, as fillDataset writes them.
	if !rep.KeysMatch || rep.Keys != 1050 || rep.ExpectedKeys != 1050 {
		t.Errorf("keys: match %v, %d of %d; want 1050 matching the manifest", rep.KeysMatch, rep.Keys, rep.ExpectedKeys)
	}
	if rep.LoadSeconds <= 0 || rep.TotalSeconds < rep.VerifySeconds+rep.LoadSeconds {
		t.Errorf("figures do not add up: verify %v + load %v, total %v", rep.VerifySeconds, rep.LoadSeconds, rep.TotalSeconds)
	}
	if rep.ObjectiveSeconds == nil || *rep.ObjectiveSeconds != 300 || rep.FormatVersion != "1.0" || rep.BackupID == "" {
		t.Errorf("objective %v, format %q, backup %q", rep.ObjectiveSeconds, rep.FormatVersion, rep.BackupID)
	}

	// With -json its progress is on stderr as JSON lines: every byte of
	// the backup read through the checks, then written for the scratch
	// server.
	var list struct {
		Backups []struct {
			ID  string `json:"id"`
			Raw int64  `json:"raw_bytes"`
		} `json:"backups"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "backup", "list", "-config", spec, "-json")), &list); err != nil || len(list.Backups) != 1 || list.Backups[0].ID != rep.BackupID {
		t.Fatalf("backup list -json: %+v, %v", list, err)
	}
	done := progressDone(t, errOut)
	if raw := list.Backups[0].Raw; raw <= 0 || done[progress.PhaseVerify] != raw || done[progress.PhaseStage] != raw {
		t.Errorf("progress reported %d bytes verified and %d written, the backup holds %d:\n%s", done[progress.PhaseVerify], done[progress.PhaseStage], raw, errOut)
	}

	out = mustRun(t, "drill", "rto", "-config", spec, "-target", "main", "-backup", rep.BackupID)
	for _, want := range []string{"backup " + rep.BackupID, "1050 of 1050", "Objective: rto = 5m0s. PASS"} {
		if !strings.Contains(out, want) {
			t.Errorf("the text output lacks %q:\n%s", want, out)
		}
	}
}

// progressDone decodes the JSON lines of -json progress and sums, per
// phase, the bytes of the files reported done. Every line must decode.
func progressDone(t *testing.T, lines string) map[string]int64 {
	t.Helper()
	done := map[string]int64{}
	for _, line := range strings.Split(strings.TrimSpace(lines), "\n") {
		var e struct {
			Type  string `json:"type"`
			Phase string `json:"phase"`
			Bytes int64  `json:"bytes"`
			Done  bool   `json:"done"`
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil || e.Type == "" {
			t.Fatalf("progress line %q is not a JSON event: %v", line, err)
		}
		if e.Type == "bytes" && e.Done {
			done[e.Phase] += e.Bytes
		}
	}
	return done
}

func TestDrillUsage(t *testing.T) {
	t.Parallel()
	spec := writeSpec(t, "redis \"main\" {\n  address = \"127.0.0.1:1\"\n}\nredis \"other\" {\n  address = \"127.0.0.1:2\"\n}\n")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"drill"}, "drill rpo|rto"},
		{[]string{"drill", "mttr"}, "unknown subcommand"},
		{[]string{"drill", "rpo", "-config", spec}, "exactly one -target"},
		{[]string{"drill", "rpo", "-config", spec, "-target", "nope"}, "no target named nope"},
		{[]string{"drill", "rpo", "-config", spec, "-target", "main", "-runs", "0"}, "-runs must be at least 1"},
		{[]string{"drill", "rto", "-config", spec, "-target", "main"}, "has no backup block"},
	} {
		code, _, errOut := runCLI(t, tt.args...)
		if code != exitError || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 1 and %q", tt.args, code, errOut, tt.want)
		}
	}
}

// A drill of a backup that is found but fails still answers -json with a
// report (pass false, the error as reason) and exits 1; a backup that is
// not found gets no report, only the error.
func TestDrillRTOJSONOfAFailure(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`)
	fillDataset(t, d.addr(), "rtofail")
	dest := t.TempDir()
	spec := backupSpec(t, d, dest, `    compression = "none"`)
	mustRun(t, "backup", "run", "-config", spec)
	p := storedFile(t, dest, "dump.rdb")
	b, _ := os.ReadFile(p)
	b[len(b)/2] ^= 0xff
	os.WriteFile(p, b, 0o600)
	id := backupIDs(t, spec)[0]

	code, out, errOut := runCLI(t, "drill", "rto", "-config", spec, "-target", "main", "-json", "-backup", id)
	var rep struct {
		Drill    string `json:"drill"`
		BackupID string `json:"backup_id"`
		Pass     bool   `json:"pass"`
		Reason   string `json:"reason"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("drill rto -json of a damaged backup: exit %d, output is not JSON (%v):\n%s%s", code, err, out, errOut)
	}
	if code != exitError || rep.Drill != "rto" || rep.BackupID != id || rep.Pass || !strings.Contains(rep.Reason, "dump.rdb") {
		t.Errorf("exit %d, report %+v; want 1, pass false, the damaged file as the reason:\n%s", code, rep, errOut)
	}

	code, out, errOut = runCLI(t, "drill", "rto", "-config", spec, "-target", "main", "-json", "-backup", "20000101T000000Z")
	if code != exitError || strings.TrimSpace(out) != "" || errOut == "" {
		t.Errorf("drill rto -json of a missing backup: exit %d, stdout %q, stderr %q; want 1, no report, the error", code, out, errOut)
	}
}
