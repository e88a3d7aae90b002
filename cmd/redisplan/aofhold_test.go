package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redisplan/redisplan/executors/backup/capture"
	"github.com/redisplan/redisplan/executors/backup/job"
	"github.com/redisplan/redisplan/internal/failpoint"
)

// A backup run killed while it holds automatic AOF rewrites off
// (auto-aof-rewrite-percentage 0, while it copies the AOF) leaves 0 on the
// server. The next run puts the user's value back, and never takes the 0
// it finds for the user's value; check warns meanwhile.
func TestKilledBackupLeavesAOFRewritesOn(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`, "appendonly yes", "auto-aof-rewrite-percentage 150")
	fillDataset(t, d.addr(), "k")
	c := d.client(t)
	spec := backupSpec(t, d, t.TempDir(), `    include = ["rdb", "aof"]`)
	record := d.conf + ".redisplan.lock." + capture.JournalName
	pct := func() string { return configGet(t, c, "auto-aof-rewrite-percentage") }

	for round := 1; round <= 2; round++ {
		killedAt(t, failpoint.BackupAOFRewritesHeld, "backup", "run", "-no-prune", "-config", spec)
		if got := pct(); got != "0" {
			t.Fatalf("round %d: auto-aof-rewrite-percentage = %s after the kill, want the 0 the run held (the kill came elsewhere)", round, got)
		}
		// What the killed run recorded before it changed the setting is
		// the user's value, also when the run before it was killed too.
		data, err := os.ReadFile(record)
		if err != nil {
			t.Fatalf("round %d: the killed run left no record of the value it changed: %v", round, err)
		}
		var h capture.RewriteHold
		if err := json.Unmarshal(data, &h); err != nil || h.Original != "150" || h.Address != d.addr() {
			t.Fatalf("round %d: record = %s (%v), want original 150 for %s", round, data, err, d.addr())
		}

		// The killed run's hard links to the AOF files (which would keep
		// a rewritten-away base on the disk) are in the data dir.
		snaps, _ := filepath.Glob(filepath.Join(d.dir, ".redisplan-aof-*"))
		if len(snaps) != 1 {
			t.Fatalf("round %d: the killed run left %d AOF snapshot directories, want 1", round, len(snaps))
		}

		if round == 1 {
			code, cj := runCheckJSON(t, "-config", spec)
			if got := result(cj, "aof"); code == 0 || !strings.HasPrefix(got, "warning: ") || !strings.Contains(got, "puts back the value 150") {
				t.Errorf("check after the kill: exit %d, aof = %s; want a warning naming the value to put back", code, got)
			}
		}

		out := mustRun(t, "backup", "run", "-no-prune", "-config", spec)
		if !strings.Contains(out, "put auto-aof-rewrite-percentage back to 150") {
			t.Errorf("round %d: the next run did not say it put the value back:\n%s", round, out)
		}
		if got := pct(); got != "150" {
			t.Fatalf("round %d: auto-aof-rewrite-percentage = %s after the next run, want the user's 150", round, got)
		}
		if _, err := os.Stat(record); !os.IsNotExist(err) {
			t.Errorf("round %d: the record is still there after the value was put back: %v", round, err)
		}
		if _, err := os.Stat(snaps[0]); !os.IsNotExist(err) || !strings.Contains(out, "removed "+snaps[0]) {
			t.Errorf("round %d: the killed run's AOF snapshot %s was not removed (%v):\n%s", round, snaps[0], err, out)
		}
	}
	if got := result(runCheckJSONOK(t, spec), "aof"); !strings.HasPrefix(got, "ok: ") {
		t.Errorf("check after the value was put back: aof = %s", got)
	}
	if _, err := os.Stat(d.conf + ".redisplan.lock." + job.SnapshotJournal); !os.IsNotExist(err) {
		t.Errorf("a run that ended kept its record of the AOF snapshot directory: %v", err)
	}
	if ids := backupIDs(t, spec); len(ids) != 2 {
		t.Errorf("catalog = %v, want the two runs that were not killed", ids)
	}
}

func runCheckJSONOK(t *testing.T, spec string) checkJSON {
	t.Helper()
	_, cj := runCheckJSON(t, "-config", spec)
	return cj
}

// check warns when AOF is on and automatic rewrites are off although the
// spec does not ask for it, and not when the spec does.
func TestCheckWarnsAOFRewritesOff(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`, "appendonly yes")
	c := d.client(t)
	spec := backupSpec(t, d, t.TempDir(), "")
	if got := result(runCheckJSONOK(t, spec), "aof"); !strings.HasPrefix(got, "ok: ") {
		t.Fatalf("aof with the default 100 = %s, want ok", got)
	}
	if err := c.ConfigSet(context.Background(), "auto-aof-rewrite-percentage", "0").Err(); err != nil {
		t.Fatal(err)
	}
	code, cj := runCheckJSON(t, "-config", spec)
	if got := result(cj, "aof"); code == 0 || !strings.HasPrefix(got, "warning: ") || !strings.Contains(got, "does not ask for 0") {
		t.Errorf("check with auto-aof-rewrite-percentage 0: exit %d, aof = %s; want a warning", code, got)
	}
	meant := writeSpec(t, strings.Replace(mustRead(t, spec), "  backup {", "  persistence {\n    aof {\n      enabled            = true\n      rewrite_percentage = 0\n    }\n  }\n  backup {", 1))
	if got := result(runCheckJSONOK(t, meant), "aof"); !strings.HasPrefix(got, "ok: ") {
		t.Errorf("aof with rewrite_percentage = 0 in the spec = %s, want ok", got)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
