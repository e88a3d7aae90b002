package check

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/redisplan/redisplan/executors/backup"
	redismodel "github.com/redisplan/redisplan/internal/model"
)

// sampleReport is a run over two targets: main with a memory problem and
// an old backup warning, and cache["eu"] (a name with quotes) that is down.
func sampleReport() (Report, Metrics) {
	in := healthyInput()
	in.Info["used_memory"] = "95630131"
	in.Info["evicted_keys"] = "30"
	in.Previous.EvictedKeys = 0
	withThreshold(&in, redismodel.Threshold{Check: "backup_age", Warning: f(1800), Critical: f(90000)})
	results := Evaluate(in)
	metrics := MetricsOf(in)

	down := Input{
		Target:  &redismodel.Target{Name: `cache["eu"]`, Connection: redismodel.Connection{Address: "10.0.0.5:6379"}},
		Now:     testNow,
		LiveErr: errors.New("cannot connect to 10.0.0.5:6379: connection refused | is redis-server running there?"),
	}
	results = append(results, Evaluate(down)...)
	metrics = append(metrics, MetricsOf(down)...)
	return NewReport(testNow, results), metrics
}

func TestNewReport(t *testing.T) {
	rep, _ := sampleReport()
	if rep.Status != Critical || rep.FormatVersion != "1.0" || !rep.Time.Equal(testNow) {
		t.Errorf("report = %s %q %v, want critical 1.0 at %v", rep.Status, rep.FormatVersion, rep.Time, testNow)
	}
	n := rep.Counts()
	if n != [4]int{OK: 10, Warning: 2, Critical: 2, Unknown: 10} {
		t.Errorf("counts = %v", n)
	}
	if got := NewReport(testNow, nil).Status; got != OK {
		t.Errorf("empty report status = %s, want ok", got)
	}
}

// nagiosPerf is one performance data item as the plugin guidelines define
// it: 'label'=value[UOM];[warn];[crit];[min];[max].
type nagiosPerf struct {
	label, value, uom, warn, crit, min, max string
}

var (
	nagiosStatusRE = regexp.MustCompile(`^REDISPLAN (OK|WARNING|CRITICAL|UNKNOWN) - (.+)$`)
	perfValueRE    = regexp.MustCompile(`^(-?[0-9]+(?:\.[0-9]+)?)(s|ms|us|%|B|KB|MB|TB|c)?(?:;([-0-9.:~@]*))?(?:;([-0-9.:~@]*))?(?:;(-?[0-9.]*))?(?:;(-?[0-9.]*))?$`)
)

// parseNagios reads plugin output: the status line, its text and its
// performance data, and the long output lines.
func parseNagios(t *testing.T, out string) (status, text string, perf []nagiosPerf, long []string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	first, perfText, _ := strings.Cut(lines[0], "|")
	m := nagiosStatusRE.FindStringSubmatch(strings.TrimSpace(first))
	if m == nil {
		t.Fatalf("first line %q is not REDISPLAN <STATUS> - <text>", lines[0])
	}
	status, text = m[1], m[2]
	for _, l := range lines[1:] {
		if strings.Contains(l, "|") {
			t.Errorf("long output line %q contains '|'", l)
		}
	}
	long = lines[1:]

	s := strings.TrimSpace(perfText)
	for s != "" {
		var label string
		if s[0] == '\'' {
			// A quoted label ends at a quote that is not doubled.
			i := 1
			var b strings.Builder
			for {
				if i >= len(s) {
					t.Fatalf("unterminated label in %q", perfText)
				}
				if s[i] == '\'' {
					if i+1 < len(s) && s[i+1] == '\'' {
						b.WriteByte('\'')
						i += 2
						continue
					}
					break
				}
				b.WriteByte(s[i])
				i++
			}
			label, s = b.String(), s[i+1:]
		} else {
			j := strings.IndexByte(s, '=')
			if j < 0 {
				t.Fatalf("perfdata %q has no '='", s)
			}
			label, s = s[:j], s[j:]
		}
		if strings.Contains(label, "=") {
			t.Errorf("label %q contains '='", label)
		}
		if !strings.HasPrefix(s, "=") {
			t.Fatalf("perfdata label %q is not followed by '=': %q", label, s)
		}
		s = s[1:]
		item, rest, _ := strings.Cut(s, " ")
		s = strings.TrimLeft(rest, " ")
		vm := perfValueRE.FindStringSubmatch(item)
		if vm == nil {
			t.Fatalf("perfdata value %q of %q does not follow value[UOM];[warn];[crit];[min];[max]", item, label)
		}
		perf = append(perf, nagiosPerf{label: label, value: vm[1], uom: vm[2], warn: vm[3], crit: vm[4], min: vm[5], max: vm[6]})
	}
	return status, text, perf, long
}

func TestWriteNagios(t *testing.T) {
	rep, _ := sampleReport()
	var buf bytes.Buffer
	WriteNagios(&buf, rep)
	t.Logf("\n%s", buf.String())
	status, text, perf, long := parseNagios(t, buf.String())
	if status != "CRITICAL" {
		t.Errorf("status %s, want CRITICAL", status)
	}
	want := `2 critical, 10 unknown, 2 warning: main memory_used_percent memory used 91.2% of 100mb (warning at 80%, critical at 90%); ` +
		`cache["eu"] reachable cannot connect to 10.0.0.5:6379: connection refused / is redis-server running there?; ` +
		`main backup_age newest verified backup 20261129T110000Z finished 1h ago (warning at 30m, critical at 25h); ` +
		`main evicted_keys 30 keys evicted in 15m: 2 per minute (warning at 0 per minute)`
	if text != want {
		t.Errorf("text:\n%s\nwant the counts and each problem, worst first, without the checks an unreachable server leaves unknown:\n%s", text, want)
	}
	if !strings.Contains(text, "connection refused / is redis-server running there?") {
		t.Errorf("text %q lost the error, or kept its '|'", text)
	}
	byLabel := map[string]nagiosPerf{}
	for _, p := range perf {
		byLabel[p.label] = p
	}
	for label, want := range map[string]nagiosPerf{
		"main_memory_used_percent": {label: "main_memory_used_percent", value: "91.2", uom: "%", warn: "80", crit: "90", min: "0", max: "100"},
		"main_backup_age":          {label: "main_backup_age", value: "3600", uom: "s", warn: "1800", crit: "90000", min: "0"},
		"main_evicted_keys":        {label: "main_evicted_keys", value: "2", warn: "0", min: "0"},
	} {
		if got := byLabel[label]; got != want {
			t.Errorf("perfdata %s = %+v, want %+v", label, got, want)
		}
	}
	if !strings.Contains(buf.String(), "'main_memory_used_percent'=91.2%;80;90;0;100 ") ||
		!strings.Contains(buf.String(), "'main_backup_age'=3600s;1800;90000;0; ") {
		t.Errorf("perfdata items are not written as the guidelines show them")
	}
	if len(long) != len(rep.Results) {
		t.Errorf("%d long output lines, want one per result (%d)", len(long), len(rep.Results))
	}

	var ok bytes.Buffer
	WriteNagios(&ok, NewReport(testNow, Evaluate(healthyInput())))
	status, text, _, _ = parseNagios(t, ok.String())
	if status != "OK" || text != "13 checks ok" {
		t.Errorf("healthy: %s - %s, want OK - 13 checks ok", status, text)
	}
}

func TestWritePrometheus(t *testing.T) {
	rep, metrics := sampleReport()
	var buf bytes.Buffer
	WritePrometheus(&buf, rep, metrics)
	t.Logf("\n%s", buf.String())
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("the output does not parse as the text format: %v", err)
	}
	value := func(name string, labels map[string]string) (float64, bool) {
		fam, ok := fams[name]
		if !ok {
			return 0, false
		}
		for _, m := range fam.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			if cmp.Equal(got, labels) {
				if fam.GetType().String() == "COUNTER" {
					return m.GetCounter().GetValue(), true
				}
				return m.GetGauge().GetValue(), true
			}
		}
		return 0, false
	}
	for _, tt := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"redisplan_target_up", map[string]string{"target": "main"}, 1},
		{"redisplan_target_up", map[string]string{"target": `cache["eu"]`}, 0},
		{"redisplan_memory_used_bytes", map[string]string{"target": "main"}, 95630131},
		{"redisplan_memory_max_bytes", map[string]string{"target": "main"}, 104857600},
		{"redisplan_rdb_last_bgsave_ok", map[string]string{"target": "main"}, 1},
		{"redisplan_aof_last_write_ok", map[string]string{"target": "main"}, 1},
		{"redisplan_connected_clients", map[string]string{"target": "main"}, 10},
		{"redisplan_evicted_keys_total", map[string]string{"target": "main"}, 30},
		{"redisplan_rejected_connections_total", map[string]string{"target": "main"}, 0},
		{"redisplan_connected_replicas", map[string]string{"target": "main"}, 1},
		{"redisplan_backup_last_success_timestamp_seconds", map[string]string{"target": "main"}, float64(testNow.Add(-time.Hour).Unix())},
		{"redisplan_backup_last_size_bytes", map[string]string{"target": "main"}, 1000},
		{"redisplan_backup_last_duration_seconds", map[string]string{"target": "main"}, 60},
		{"redisplan_backup_last_verified", map[string]string{"target": "main"}, 1},
		{"redisplan_check_status", map[string]string{"target": "main", "check": "memory_used_percent"}, 2},
		{"redisplan_check_status", map[string]string{"target": "main", "check": "reachable"}, 0},
		{"redisplan_check_status", map[string]string{"target": `cache["eu"]`, "check": "reachable"}, 2},
		{"redisplan_check_status", map[string]string{"target": `cache["eu"]`, "check": "keyspace"}, 3},
	} {
		got, ok := value(tt.name, tt.labels)
		if !ok {
			t.Errorf("no %s%v", tt.name, tt.labels)
			continue
		}
		if got != tt.want {
			t.Errorf("%s%v = %g, want %g", tt.name, tt.labels, got, tt.want)
		}
	}
	if _, ok := value("redisplan_master_link_up", map[string]string{"target": "main"}); ok {
		t.Error("redisplan_master_link_up is reported for a master")
	}
	if got := len(fams["redisplan_check_status"].GetMetric()); got != len(rep.Results) {
		t.Errorf("%d redisplan_check_status samples, want one per result (%d)", got, len(rep.Results))
	}
	for name, typ := range map[string]string{
		"redisplan_target_up": "GAUGE", "redisplan_evicted_keys_total": "COUNTER",
		"redisplan_rejected_connections_total": "COUNTER", "redisplan_check_status": "GAUGE",
	} {
		if fams[name].GetType().String() != typ {
			t.Errorf("%s has type %s, want %s", name, fams[name].GetType(), typ)
		}
		if fams[name].GetHelp() == "" {
			t.Errorf("%s has no HELP", name)
		}
	}

	// Without raw figures, redisplan_target_up comes from the reachable check.
	var bare bytes.Buffer
	WritePrometheus(&bare, rep, nil)
	fams, err = p.TextToMetricFamilies(bytes.NewReader(bare.Bytes()))
	if err != nil {
		t.Fatalf("the output without metrics does not parse: %v", err)
	}
	if got, ok := value("redisplan_target_up", map[string]string{"target": "main"}); !ok || got != 1 {
		t.Errorf("redisplan_target_up of main from the report = %g, %v; want 1", got, ok)
	}
}

func TestWriteTable(t *testing.T) {
	rep, _ := sampleReport()
	var plain, colored bytes.Buffer
	WriteTable(&plain, rep, false)
	WriteTable(&colored, rep, true)
	t.Logf("\n%s", plain.String())
	lines := strings.Split(strings.TrimSuffix(plain.String(), "\n"), "\n")
	if len(lines) != len(rep.Results)+2 {
		t.Fatalf("%d lines, want a header, %d results and the overall line", len(lines), len(rep.Results))
	}
	header := lines[0]
	cols := []string{"TARGET", "CHECK", "STATUS", "VALUE", "MESSAGE"}
	var at []int
	for _, c := range cols {
		i := strings.Index(header, c)
		if i < 0 {
			t.Fatalf("header %q lacks %s", header, c)
		}
		at = append(at, i)
	}
	for i, r := range rep.Results {
		l := lines[i+1]
		for j, c := range []string{r.Target, r.Name, r.Status.label()} {
			if !strings.HasPrefix(l[at[j]:], c+" ") {
				t.Errorf("line %q: %s is not in column %s", l, c, cols[j])
			}
		}
		if !strings.HasSuffix(l, r.Message) {
			t.Errorf("line %q does not end with the message %q", l, r.Message)
		}
	}
	if got, want := lines[len(lines)-1], "Overall: CRITICAL (2 critical, 10 unknown, 2 warning, 10 ok)"; got != want {
		t.Errorf("last line %q, want %q", got, want)
	}
	if strings.Contains(plain.String(), "\x1b[") {
		t.Error("the plain table has colour escapes")
	}
	if !strings.Contains(colored.String(), ansiRed+"CRITICAL"+ansiReset) {
		t.Error("the coloured table does not colour CRITICAL red")
	}
	stripped := regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(colored.String(), "")
	if stripped != plain.String() {
		t.Errorf("the coloured table differs from the plain one beyond its escapes:\n%s", stripped)
	}
}

func TestWriteJSON(t *testing.T) {
	rep, _ := sampleReport()
	var buf bytes.Buffer
	if err := WriteJSON(&buf, rep); err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(buf.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	if raw["format_version"] != "1.0" || raw["status"] != "critical" {
		t.Errorf("format_version %v status %v, want 1.0 and critical", raw["format_version"], raw["status"])
	}
	first := raw["results"].([]any)[0].(map[string]any)
	if first["name"] != "reachable" || first["status"] != "ok" || first["target"] != "main" {
		t.Errorf("first result %v", first)
	}
	var back Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rep, back); diff != "" {
		t.Errorf("decode(encode(report)) differs (-want +got):\n%s", diff)
	}

	var empty bytes.Buffer
	if err := WriteJSON(&empty, Report{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(empty.String(), `"results": []`) || !strings.Contains(empty.String(), `"format_version": "1.0"`) {
		t.Errorf("empty report = %s, want format_version and an empty results array", empty.String())
	}
}

func TestMetricsOfBackups(t *testing.T) {
	in := healthyInput()
	in.Backups = []*backup.Manifest{
		manifest("20261129T080000Z", testNow.Add(-4*time.Hour), true),
		manifest("20261129T110000Z", testNow.Add(-time.Hour), false),
	}
	b := MetricsOf(in)[0].Backup
	if b == nil || b.Count != 2 || !b.LastSuccess.Equal(testNow.Add(-4*time.Hour)) || b.LastVerified || b.LastSizeBytes != 1000 {
		t.Errorf("backup metrics = %+v, want 2 backups, the last success 4h ago, the newest unverified", b)
	}
	in.Backups, in.BackupsErr = nil, errors.New("unreadable")
	if b := MetricsOf(in)[0].Backup; b != nil {
		t.Errorf("backup metrics of an unreadable catalog = %+v, want none", b)
	}
	in.BackupsErr = nil
	var buf bytes.Buffer
	WritePrometheus(&buf, Report{}, MetricsOf(in))
	if !strings.Contains(buf.String(), `redisplan_backup_last_success_timestamp_seconds{target="main"} 0`+"\n") ||
		strings.Contains(buf.String(), "redisplan_backup_last_verified") {
		t.Errorf("an empty catalog should give last_success 0 and no last_* figures:\n%s", buf.String())
	}
}
