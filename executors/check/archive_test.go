package check

import (
	"bytes"
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/promrules"
	"github.com/redisplan/redisplan/internal/model"
)

const replA = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"

// archivedInput is a healthy run of a target whose archive holds the
// server's whole stream up to offset 5000, last written 2s ago.
func archivedInput() Input {
	in := healthyInput()
	in.Target.Backup.Archive = &model.Archive{Flush: time.Second}
	in.Info["master_replid"] = replA
	in.Info["master_repl_offset"] = "5000"
	in.Config["repl-ping-replica-period"] = "10"
	in.Info["slave0"] = "ip=10.0.0.9,port=0,state=online,offset=5000,lag=0"
	in.Archive = &ArchiveStatus{Segments: 12, ReplID: replA, End: 5000, Last: testNow.Add(-2 * time.Second),
		From: testNow.Add(-time.Hour), To: testNow.Add(-time.Second)}
	return in
}

// TestArchiveLag: archive_lag is 0 when every byte of the server's stream
// is in a committed segment (or the bytes after it can only be the
// master's PINGs, while the archiver committed within its idle minute),
// and the age of the newest archived write otherwise, judged against the
// spec's levels (else 1m warning, 5m critical). A server whose stream the
// archive does not follow, an empty archive, and an archive the check
// cannot read are each reported as such.
func TestArchiveLag(t *testing.T) {
	for _, tt := range []struct {
		name   string
		change func(in *Input)
		status Status
		value  float64
		says   string
	}{
		{"caught up", func(in *Input) {}, OK, 0, "every write of the server is archived (offset 5000)"},
		{"pings only", func(in *Input) {
			in.Info["master_repl_offset"] = "5028"
			in.Archive.Last = testNow.Add(-15 * time.Second)
		}, OK, 0, "no more than its PINGs"},
		{"a write behind", func(in *Input) {
			in.Info["master_repl_offset"] = "5031"
			in.Info["slave0"] = "ip=10.0.0.9,port=0,state=online,offset=5000,lag=0"
			in.Archive.Last = testNow.Add(-90 * time.Second)
		}, Warning, 90, "31b of the server's stream (offset 5000 to 5031) is not archived; the newest archived write is 1m30s old (warning"},
		{"behind, no archiver connected", func(in *Input) {
			in.Info["master_repl_offset"] = "5031"
			in.Info["slave0"] = "ip=10.0.0.8,port=6379,state=online,offset=5031,lag=0"
			in.Archive.Last = testNow.Add(-90 * time.Second)
		}, Warning, 90, "no archiver is connected (INFO replication lists no replica with port=0)"},
		{"caught up, no archiver connected", func(in *Input) {
			in.Info["connected_slaves"] = "0"
			delete(in.Info, "slave0")
		}, Warning, 0, "no archiver is connected (INFO replication lists no replica with port=0): writes from now on are not archived; start redisplan archive -target main"},
		{"caught up, only a replica that announced a port", func(in *Input) {
			in.Info["slave0"] = "ip=10.0.0.8,port=6379,state=online,offset=5000,lag=0"
		}, Warning, 0, "start redisplan archive -target main"},
		{"far behind, no archiver connected", func(in *Input) {
			in.Info["connected_slaves"] = "0"
			in.Info["master_repl_offset"] = "9000"
			in.Archive.Last = testNow.Add(-10 * time.Minute)
		}, Critical, 600, "no archiver is connected"},
		{"pings but archiver silent too long", func(in *Input) {
			in.Info["master_repl_offset"] = "5014"
			in.Archive.Last = testNow.Add(-10 * time.Minute)
		}, Critical, 600, "not archived"},
		{"spec levels", func(in *Input) {
			in.Info["master_repl_offset"] = "9000"
			in.Archive.Last = testNow.Add(-20 * time.Second)
			withThreshold(in, model.Threshold{Check: "archive_lag", Warning: f(5), Critical: f(10)})
		}, Critical, 20, "critical at 10s"},
		{"new replication id", func(in *Input) {
			in.Info["master_replid"] = "ffffffff" + replA[8:]
			in.Info["master_repl_offset"] = "10"
			in.Archive.Last = testNow.Add(-2 * time.Minute)
		}, Warning, 120, "replication ID changed"},
		{"server behind the archive", func(in *Input) { in.Info["master_repl_offset"] = "4000" }, Warning, 0, "the server lost writes the archive has"},
		{"nothing archived", func(in *Input) { in.Archive = &ArchiveStatus{} }, Critical, -1, "is redisplan archive -target main running?"},
		{"a base and no segment yet", func(in *Input) { in.Archive.Segments = 0 }, OK, 0, "every write of the server is archived"},
		{"unreadable", func(in *Input) { in.Archive, in.ArchiveErr = nil, errors.New("access denied") }, Unknown, -1, "cannot read the archive: access denied"},
		{"no offset", func(in *Input) { delete(in.Info, "master_repl_offset") }, Unknown, -1, "INFO does not report"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := archivedInput()
			tt.change(&in)
			r := find(Evaluate(in), CheckArchiveLag)
			if r == nil {
				t.Fatal("no archive_lag result")
			}
			if r.Status != tt.status || !strings.Contains(r.Message, tt.says) {
				t.Errorf("archive_lag = %s %q, want %s saying %q", r.Status, r.Message, tt.status, tt.says)
			}
			if tt.value >= 0 && (r.Value == nil || *r.Value != tt.value || r.Unit != "s") {
				t.Errorf("archive_lag value = %v %s, want %g s", r.Value, r.Unit, tt.value)
			}
		})
	}
	// An unreachable server leaves the lag unknown: its offset is unread.
	in := archivedInput()
	in.LiveErr = errors.New("connection refused")
	if r := find(Evaluate(in), CheckArchiveLag); r == nil || r.Status != Unknown {
		t.Errorf("archive_lag of an unreachable server = %+v, want unknown", r)
	}
}

// TestArchiveGap: archive_gap is OK with no gap and names the recovery
// window; each gap within retention is reported with its times and
// reason, at the spec's severity (warning by default).
func TestArchiveGap(t *testing.T) {
	in := archivedInput()
	r := find(Evaluate(in), CheckArchiveGap)
	if r == nil || r.Status != OK || !strings.Contains(r.Message, "point-in-time recovery from 2026-11-29T11:00:00Z to 2026-11-29T11:59:59Z") {
		t.Fatalf("archive_gap = %+v", r)
	}
	in.Archive.Gaps = []ArchiveGap{{From: testNow.Add(-40 * time.Minute), To: testNow.Add(-39 * time.Minute), Reason: "the server restarted"}}
	r = find(Evaluate(in), CheckArchiveGap)
	if r.Status != Warning || *r.Value != 1 || !strings.Contains(r.Message, "2026-11-29T11:20:00Z to 2026-11-29T11:21:00Z (the server restarted)") {
		t.Errorf("archive_gap = %s %v %q", r.Status, *r.Value, r.Message)
	}
	withThreshold(&in, model.Threshold{Check: "archive_gap", Severity: "critical"})
	if r := find(Evaluate(in), CheckArchiveGap); r.Status != Critical {
		t.Errorf("archive_gap with severity critical = %s", r.Status)
	}
	// The gap is judged from the archive alone, the server down or not.
	in.LiveErr = errors.New("down")
	if r := find(Evaluate(in), CheckArchiveGap); r.Status != Critical {
		t.Errorf("archive_gap of an unreachable server = %s, want critical", r.Status)
	}
	// A target without an archive block has neither check.
	plain := healthyInput()
	for _, r := range Evaluate(plain) {
		if r.Name == CheckArchiveGap || r.Name == CheckArchiveLag {
			t.Errorf("a target without an archive has %s", r.Name)
		}
	}
	if slices.Contains(ConfigNames(plain.Target), "repl-ping-replica-period") || !slices.Contains(ConfigNames(in.Target), "repl-ping-replica-period") {
		t.Error("ConfigNames asks for repl-ping-replica-period other than when the target archives")
	}
}

// TestArchiveMetrics: -format prometheus carries the archive's figures
// under redisplan_archive_* names, none of them one of redis_exporter's
// (which all start with redis_), and each family once across targets.
func TestArchiveMetrics(t *testing.T) {
	in := archivedInput()
	in.Info["master_repl_offset"] = "6000"
	in.Archive.Gaps = []ArchiveGap{{From: testNow.Add(-2 * time.Hour), To: testNow.Add(-time.Hour), Reason: "x"}}
	other := archivedInput()
	other.Target.Name = "other"
	other.Info["connected_slaves"] = "0"
	rep := NewReport(testNow, append(Evaluate(in), Evaluate(other)...))
	var buf bytes.Buffer
	WritePrometheus(&buf, rep, append(MetricsOf(in), MetricsOf(other)...))
	out := buf.String()
	for _, want := range []string{
		`redisplan_archive_lag_seconds{target="main"} 2` + "\n",
		`redisplan_archive_lag_seconds{target="other"} 0` + "\n",
		`redisplan_archive_last_write_timestamp_seconds{target="main"} 1795953598` + "\n",
		`redisplan_archive_recovery_window_start_timestamp_seconds{target="main"} 1795950000` + "\n",
		`redisplan_archive_segments{target="main"} 12` + "\n",
		`redisplan_archive_gaps{target="main"} 1` + "\n",
		`redisplan_archive_gaps{target="other"} 0` + "\n",
		`redisplan_archive_archiver_connected{target="main"} 1` + "\n",
		`redisplan_archive_archiver_connected{target="other"} 0` + "\n",
		`redisplan_check_status{target="other",check="archive_lag"} 1` + "\n",
		`redisplan_check_status{target="main",check="archive_lag"} 0` + "\n",
		`redisplan_check_status{target="main",check="archive_gap"} 1` + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "# TYPE redisplan_archive_gaps gauge"); n != 1 {
		t.Errorf("redisplan_archive_gaps declared %d times", n)
	}
	// Prometheus's own linter accepts the names, types and help.
	if promtool, err := exec.LookPath("promtool"); err == nil {
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = strings.NewReader(out)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool check metrics: %v\n%s", err, b)
		}
	}
	// A second report does not carry the first one's samples.
	buf.Reset()
	WritePrometheus(&buf, NewReport(testNow, Evaluate(other)), MetricsOf(other))
	if strings.Contains(buf.String(), `target="main"`) {
		t.Errorf("a second report repeats the first one's samples:\n%s", buf.String())
	}
	for _, f := range archiveFamilies() {
		if strings.HasPrefix(f.name, "redis_") {
			t.Errorf("%s looks like a redis_exporter name", f.name)
		}
	}
	// The Prometheus rules read these names.
	for _, name := range []string{promrules.ArchiveLagMetric, promrules.ArchiveGapsMetric} {
		if !strings.Contains(out, "# TYPE "+name+" gauge\n") {
			t.Errorf("the rules read %s, which check does not write:\n%s", name, out)
		}
	}
	// Without an archive, no archive metric.
	buf.Reset()
	plain := healthyInput()
	WritePrometheus(&buf, NewReport(testNow, Evaluate(plain)), MetricsOf(plain))
	if strings.Contains(buf.String(), "redisplan_archive_") {
		t.Errorf("a target without an archive has archive metrics:\n%s", buf.String())
	}
}
