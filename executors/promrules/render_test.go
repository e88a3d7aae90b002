package promrules

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	spechcl "github.com/redisplan/redisplan/hcl"
	"github.com/redisplan/redisplan/internal/model"
)

func f(v float64) *float64 { return &v }

// sampleTargets covers every kind of rule: levels from the spec and from
// the defaults, pass/fail severities, a backup block, a replica, and a
// name that needs escaping in PromQL, YAML and templates.
func sampleTargets() []*model.Target {
	return []*model.Target{
		{
			Name:   "main",
			Backup: &model.Backup{Destination: "/var/backups/redis", Archive: &model.Archive{Flush: time.Second}},
			Alerts: &model.Alerts{Thresholds: []model.Threshold{
				{Check: "archive_lag", Critical: f(30)},
				{Check: "memory_used_percent", Warning: f(70), Critical: f(85)},
				{Check: "backup_age", Critical: f(60)},
				{Check: "connected_clients", Warning: f(9000)},
				{Check: "rdb_save_failed", Severity: "warning"},
				{Check: "fragmentation_ratio", Warning: f(1.5)},
				{Check: "last_save_age", Critical: f(7200)},
				{Check: "bgsave_duration", Warning: f(600)},
				{Check: "blocked_clients", Warning: f(10)},
				{Check: "evicted_keys", Warning: f(100)},
			}},
		},
		{
			Name:       `cache["e'u{{x}}"]`,
			Directives: []model.Directive{{Name: "replicaof", Value: "10.0.0.1 6379"}},
			Alerts: &model.Alerts{Thresholds: []model.Threshold{
				{Check: "replication_lag", Warning: f(30), Critical: f(120)},
			}},
		},
	}
}

// parsedRule is what the line-based reader below finds of a rule.
type parsedRule map[string]string

// parseRules reads Render's output back, line by line, knowing its
// layout: it is a check of that layout, not a YAML parser.
func parseRules(t *testing.T, out []byte) []parsedRule {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	var rules []parsedRule
	section := ""
	sawGroups, sawName, sawRules := false, false, false
	for i, line := range lines {
		switch {
		case strings.HasPrefix(line, "#"):
			continue
		case line == "groups:":
			sawGroups = true
			continue
		case line == `- name: "redisplan"`:
			sawName = true
			continue
		case line == "  rules:":
			sawRules = true
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		body := strings.TrimLeft(line, " ")
		key, val, ok := strings.Cut(body, ":")
		if !ok {
			t.Fatalf("line %d has no key: %q", i+1, line)
		}
		val = strings.TrimPrefix(val, " ")
		switch {
		case indent == 2 && key == "- alert":
			rules = append(rules, parsedRule{"alert": unquote(t, val)})
			section = ""
		case len(rules) == 0:
			t.Fatalf("line %d outside a rule: %q", i+1, line)
		case indent == 4 && val == "":
			section = key + "."
		case indent == 4:
			rules[len(rules)-1][key] = unquote(t, val)
			section = ""
		case indent == 6 && section != "":
			rules[len(rules)-1][section+key] = unquote(t, val)
		default:
			t.Fatalf("line %d is out of place: %q", i+1, line)
		}
	}
	if !sawGroups || !sawName || !sawRules {
		t.Fatalf("no groups / redisplan group / rules header in:\n%s", out)
	}
	return rules
}

// unquote reads a YAML scalar as Render writes them: double-quoted with
// Go-compatible escapes, or single-quoted with doubled quotes.
func unquote(t *testing.T, s string) string {
	t.Helper()
	switch {
	case strings.HasPrefix(s, `"`):
		u, err := strconv.Unquote(s)
		if err != nil {
			t.Fatalf("bad double-quoted scalar %s: %v", s, err)
		}
		return u
	case strings.HasPrefix(s, "'") && strings.HasSuffix(s, "'") && len(s) >= 2:
		inner := s[1 : len(s)-1]
		if strings.Contains(strings.ReplaceAll(inner, "''", ""), "'") {
			t.Fatalf("lone quote in single-quoted scalar %s", s)
		}
		return strings.ReplaceAll(inner, "''", "'")
	default:
		t.Fatalf("unquoted scalar %q", s)
		return ""
	}
}

func TestRenderEveryRuleIsComplete(t *testing.T) {
	out := Render(sampleTargets(), RenderOptions{})
	rules := parseRules(t, out)
	if len(rules) == 0 {
		t.Fatal("no rules")
	}
	for _, r := range rules {
		keys := []string{"alert", "expr", "for", "labels.severity", "labels.target", "labels.check", "annotations.summary", "annotations.description"}
		if r["alert"] == "RedisplanTextfileStale" {
			// The file's rule, not a target's: every key but target.
			if _, ok := r["labels.target"]; ok {
				t.Errorf("the textfile rule has a target label: %v", r)
			}
			keys = slices.DeleteFunc(keys, func(k string) bool { return k == "labels.target" })
		}
		for _, k := range keys {
			if r[k] == "" {
				t.Errorf("rule %s has no %s: %v", r["alert"], k, r)
			}
		}
		if s := r["labels.severity"]; s != "warning" && s != "critical" {
			t.Errorf("rule %s has severity %q", r["alert"], s)
		}
	}
	// The escaped name reads back as itself, with "{{" kept literal for
	// Prometheus's templates.
	var cache parsedRule
	for _, r := range rules {
		if r["alert"] == "RedisDown" && r["labels.target"] != "main" {
			cache = r
		}
	}
	if cache == nil {
		t.Fatal("no RedisDown rule for the second target")
	}
	if want := `redis_up{target="cache[\"e'u{{x}}\"]"} == 0`; cache["expr"] != want {
		t.Errorf("expr = %s, want %s", cache["expr"], want)
	}
	if want := `cache["e'u{{ "{{" }}x}}"]`; cache["labels.target"] != want {
		t.Errorf("target label = %s, want %s", cache["labels.target"], want)
	}
}

func TestRenderIsIdempotent(t *testing.T) {
	a := Render(sampleTargets(), RenderOptions{})
	b := Render(sampleTargets(), RenderOptions{})
	if !bytes.Equal(a, b) {
		t.Error("two renders differ")
	}
}

// alerts lists a target's rules as "alert severity check" lines.
func alerts(rules []Rule) string {
	var lines []string
	for _, r := range rules {
		lines = append(lines, r.Alert+" "+r.Severity+" "+r.Check)
	}
	return strings.Join(lines, "\n")
}

func TestRulesOfABareTargetUseTheCheckDefaults(t *testing.T) {
	got := alerts(Rules(&model.Target{Name: "main"}, RenderOptions{}))
	if strings.Contains(got, "Archive") {
		t.Errorf("a target without an archive has archive rules:\n%s", got)
	}
	want := strings.Join([]string{
		"RedisDown critical reachable",
		"RedisMemoryHigh warning memory_used_percent",
		"RedisMemoryHigh critical memory_used_percent",
		"RedisRdbSaveFailed critical rdb_last_bgsave",
		"RedisAofWriteFailed critical aof",
		"RedisAofRewriteFailed critical aof",
		"RedisKeysEvicted warning evicted_keys",
		"RedisRejectedConnections warning rejected_connections",
		"RedisClientsNearLimit warning connected_clients_percent",
		"RedisClientsNearLimit critical connected_clients_percent",
	}, "\n")
	if got != want {
		t.Errorf("rules:\n%s\nwant:\n%s", got, want)
	}
}

func TestRulesFollowTheSpec(t *testing.T) {
	target := &model.Target{
		Name:   "main",
		Backup: &model.Backup{},
		Directives: []model.Directive{
			{Name: "replicaof", Value: "10.0.0.1 6379"},
		},
		Alerts: &model.Alerts{Thresholds: []model.Threshold{
			{Check: "memory_used_percent", Critical: f(95)},
			{Check: "backup_age", Warning: f(90000)},
			{Check: "aof_write_failed", Severity: "warning"},
			{Check: "rejected_connections", Critical: f(10)},
			{Check: "replication_lag", Critical: f(60)},
		}},
	}
	got := alerts(Rules(target, RenderOptions{}))
	want := strings.Join([]string{
		"RedisDown critical reachable",
		"RedisMemoryHigh critical memory_used_percent",
		"RedisRdbSaveFailed critical rdb_last_bgsave",
		"RedisAofWriteFailed warning aof",
		"RedisAofRewriteFailed critical aof",
		"RedisBackupTooOld warning backup_age",
		"RedisKeysEvicted warning evicted_keys",
		"RedisRejectedConnections critical rejected_connections",
		"RedisClientsNearLimit warning connected_clients_percent",
		"RedisClientsNearLimit critical connected_clients_percent",
		"RedisReplicationLinkDown critical replication",
		"RedisReplicationLag critical replication_lag",
	}, "\n")
	if got != want {
		t.Errorf("rules:\n%s\nwant:\n%s", got, want)
	}
	for _, r := range Rules(target, RenderOptions{}) {
		switch r.Alert {
		case "RedisMemoryHigh":
			if r.Expr != `redis_memory_used_bytes{target="main"} / redis_memory_max_bytes{target="main"} * 100 > 95 and redis_memory_max_bytes{target="main"} > 0` {
				t.Errorf("memory expr = %s", r.Expr)
			}
		case "RedisBackupTooOld":
			if r.Expr != `time() - redisplan_backup_last_success_timestamp_seconds{target="main"} > 90000` || !strings.Contains(r.Summary, "older than 25h") {
				t.Errorf("backup rule = %+v", r)
			}
		case "RedisRejectedConnections":
			if r.Expr != `increase(redis_rejected_connections_total{target="main"}[5m]) > 10` {
				t.Errorf("rejected expr = %s", r.Expr)
			}
		}
	}
}

func TestReplicaofNoOneIsNotAReplica(t *testing.T) {
	for _, v := range []string{"no one", "NO  ONE", ""} {
		target := &model.Target{Name: "main", Directives: []model.Directive{{Name: "replicaof", Value: v}}}
		if got := alerts(Rules(target, RenderOptions{})); strings.Contains(got, "Replication") {
			t.Errorf("replicaof %q gave replication rules:\n%s", v, got)
		}
	}
}

func TestTargetLabelOption(t *testing.T) {
	opts := RenderOptions{TargetLabel: "redis_name"}
	if err := opts.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, r := range Rules(&model.Target{Name: "main"}, opts) {
		if strings.Contains(r.Expr, "target=") || !strings.Contains(r.Expr, `{redis_name="main"}`) {
			t.Errorf("expr = %s", r.Expr)
		}
	}
	out := string(Render([]*model.Target{{Name: "main"}}, opts))
	if !strings.Contains(out, `      target: "main"`) {
		t.Errorf("the target label is still set on the alerts:\n%s", out)
	}
	for _, bad := range []string{"1abc", "a-b", "__name__", "é"} {
		if err := (RenderOptions{TargetLabel: bad}).Validate(); err == nil {
			t.Errorf("TargetLabel %q accepted", bad)
		}
	}
}

func TestRenderNoTargets(t *testing.T) {
	out := string(Render(nil, RenderOptions{}))
	if !strings.HasSuffix(out, "groups:\n- name: \"redisplan\"\n  rules: []\n") {
		t.Errorf("out:\n%s", out)
	}
}

func TestYAMLQuote(t *testing.T) {
	for _, s := range []string{
		`plain`, `say "hi"`, `back\slash`, "line\nbreak", "tab\there", "bell\a", "del\x7f",
		"nbsp\u00a0ok", "ls\u2028ps\u2029", "bom\ufeff", "é ü 日本", "emoji 😀", "nel\u0085",
	} {
		q := yamlQuote(s)
		if strings.ContainsAny(q, "\n\r\u2028\u2029\u0085\ufeff") {
			t.Errorf("yamlQuote(%q) = %s holds a line break or BOM", s, q)
		}
		u, err := strconv.Unquote(q)
		if err != nil || u != s {
			t.Errorf("yamlQuote(%q) = %s reads back as %q, %v", s, q, u, err)
		}
	}
	if got := yamlQuote("bad\xffutf8"); got != `"bad`+"\uFFFD"+`utf8"` {
		t.Errorf("invalid UTF-8: %s", got)
	}
}

func TestYAMLSingle(t *testing.T) {
	if got := yamlSingle(`a{b="c'd"}`); got != `'a{b="c''d"}'` {
		t.Errorf("got %s", got)
	}
	if got := yamlSingle("a\nb"); got != `"a\nb"` {
		t.Errorf("a line break must fall back to double quotes: %s", got)
	}
}

func TestPromDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", time.Minute: "1m", 5 * time.Minute: "5m", 90 * time.Second: "1m30s", 2 * time.Hour: "2h", 1500 * time.Millisecond: "1s500ms",
	} {
		if got := promDuration(d); got != want {
			t.Errorf("promDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestHumanSeconds(t *testing.T) {
	for in, want := range map[string]string{
		"90000": "25h", "172800": "2d", "5400": "1h30m", "90": "1m30s", "30": "30s", "90.5": "90.5s", "0": "0s",
	} {
		if got := humanSeconds(in); got != want {
			t.Errorf("humanSeconds(%s) = %q, want %q", in, got, want)
		}
	}
}

// promtool returns the path of promtool, or skips the test.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not on PATH: install Debian's prometheus package (apt-get install prometheus) to check the rules with it")
	}
	return p
}

func runPromtool(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command(promtool(t), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func TestPromtoolChecksTheRules(t *testing.T) {
	promtool(t)
	dir := t.TempDir()
	for name, targets := range map[string][]*model.Target{
		"sample.yml": sampleTargets(),
		"empty.yml":  nil,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), Render(targets, RenderOptions{}), 0o644); err != nil {
			t.Fatal(err)
		}
		runPromtool(t, dir, "check", "rules", name)
	}
}

func TestExampleSpecRendersValidRules(t *testing.T) {
	res, diags := spechcl.Load(spechcl.Options{Path: "../../examples/redis.hcl"})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	out := Render(res.Spec.Targets, RenderOptions{})
	rules := parseRules(t, out)
	if len(rules) < len(res.Spec.Targets) {
		t.Fatalf("%d rules for %d targets", len(rules), len(res.Spec.Targets))
	}
	promtool(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rules.yml"), out, 0o644); err != nil {
		t.Fatal(err)
	}
	runPromtool(t, dir, "check", "rules", "rules.yml")
}

// The rules fire on the series they are written for: promtool's rule unit
// tests feed series and compare the alerts, with their labels and
// expanded annotations. main's AOF is off as redis_exporter reports it;
// the cache has no redis_aof_enabled series, so its AOF status is judged.
const unitTests = `rule_files:
  - rules.yml
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'redis_up{target="main"}'
        values: '1 1 0 0 0 0 0 0 0 0 0'
      - series: 'redis_up{target="cache[\"e''u{{x}}\"]"}'
        values: '0x10'
      - series: 'redis_memory_used_bytes{target="main"}'
        values: '95x10'
      - series: 'redis_memory_max_bytes{target="main"}'
        values: '100x10'
      - series: 'redis_memory_used_bytes{target="cache[\"e''u{{x}}\"]"}'
        values: '95x10'
      - series: 'redis_memory_max_bytes{target="cache[\"e''u{{x}}\"]"}'
        values: '0x10'
      - series: 'redis_rdb_last_bgsave_status{target="main"}'
        values: '1 0 0 0 0 0 0 0 0 0 0'
      - series: 'redis_aof_last_write_status{target="main"}'
        values: '0x10'
      - series: 'redis_aof_enabled{target="main"}'
        values: '0x10'
      - series: 'redis_aof_last_write_status{target="cache[\"e''u{{x}}\"]"}'
        values: '0x10'
      - series: 'redisplan_backup_last_success_timestamp_seconds{target="main"}'
        values: '0x10'
      - series: 'redis_master_link_up{target="cache[\"e''u{{x}}\"]",master_host="10.0.0.1"}'
        values: '1 1 1 1 0 0 0 0 0 0 0'
      - series: 'redisplan_archive_lag_seconds{target="main"}'
        values: '0 0 0 0 0 45 45 45 45 45 45'
      - series: 'redisplan_archive_gaps{target="main"}'
        values: '0 0 0 0 0 0 0 0 2 2 2'
      - series: 'redisplan_archive_archiver_connected{target="main"}'
        values: '1 1 1 1 1 1 0 0 0 0 0'
    alert_rule_test:
      - eval_time: 10m
        alertname: RedisplanTextfileStale
        exp_alerts: []
      - eval_time: 10m
        alertname: RedisDown
        exp_alerts:
          - exp_labels: {severity: critical, target: main, check: reachable}
            exp_annotations:
              summary: "Redis main is down"
              description: "redis_exporter cannot read main (redis_up is 0)."
          - exp_labels: {severity: critical, target: "cache[\"e'u{{x}}\"]", check: reachable}
            exp_annotations:
              summary: "Redis cache[\"e'u{{x}}\"] is down"
              description: "redis_exporter cannot read cache[\"e'u{{x}}\"] (redis_up is 0)."
      - eval_time: 10m
        alertname: RedisMemoryHigh
        exp_alerts:
          - exp_labels: {severity: warning, target: main, check: memory_used_percent}
            exp_annotations:
              summary: "Redis main uses more than 70% of maxmemory"
              description: "Memory used by main is 95.0% of maxmemory, above the warning level of 70%."
          - exp_labels: {severity: critical, target: main, check: memory_used_percent}
            exp_annotations:
              summary: "Redis main uses more than 85% of maxmemory"
              description: "Memory used by main is 95.0% of maxmemory, above the critical level of 85%."
      - eval_time: 10m
        alertname: RedisRdbSaveFailed
        exp_alerts:
          - exp_labels: {severity: warning, target: main, check: rdb_last_bgsave}
            exp_annotations:
              summary: "The last BGSAVE of Redis main failed"
              description: "The last BGSAVE of main failed, so recent writes are not on disk. The server's log says why (often the permissions of dir, or disk space)."
      - eval_time: 10m
        alertname: RedisAofWriteFailed
        exp_alerts:
          - exp_labels: {severity: critical, target: "cache[\"e'u{{x}}\"]", check: aof}
            exp_annotations:
              summary: "The last AOF write of Redis cache[\"e'u{{x}}\"] failed"
              description: "The last AOF write of cache[\"e'u{{x}}\"] failed: check disk space and the server's log."
      - eval_time: 10m
        alertname: RedisBackupTooOld
        exp_alerts:
          - exp_labels: {severity: critical, target: main, check: backup_age}
            exp_annotations:
              summary: "The newest backup of Redis main is older than 1m"
              description: "The newest successful backup of main finished 10m 0s ago, more than the critical level of 1m."
      - eval_time: 4m
        alertname: RedisArchiveBehind
        exp_alerts: []
      - eval_time: 10m
        alertname: RedisArchiveBehind
        exp_alerts:
          - exp_labels: {severity: critical, target: main, check: archive_lag}
            exp_annotations:
              summary: "The archive of Redis main is more than 30s behind"
              description: "The archive of main was 45s behind the server when redisplan check last ran, more than the critical level of 30s: writes since are not archived, and losing the host would lose them. Is redisplan archive running?"
      - eval_time: 10m
        alertname: RedisArchiveGap
        exp_alerts:
          - exp_labels: {severity: warning, target: main, check: archive_gap}
            exp_annotations:
              summary: "The archive of Redis main has a gap"
              description: "The archive of main has 2 gaps within retention: times no point-in-time restore can reach (redisplan backup list shows them)."
      - eval_time: 6m
        alertname: RedisArchiverNotConnected
        exp_alerts: []
      - eval_time: 10m
        alertname: RedisArchiverNotConnected
        exp_alerts:
          - exp_labels: {severity: warning, target: main, check: archive_lag}
            exp_annotations:
              summary: "No archiver follows Redis main"
              description: "When redisplan check last ran, the server of main listed no archiver among its replicas: writes from then on are not archived, and losing the host would lose them. Start redisplan archive -target main."
      - eval_time: 3m
        alertname: RedisReplicationLinkDown
        exp_alerts: []
      - eval_time: 10m
        alertname: RedisReplicationLinkDown
        exp_alerts:
          - exp_labels: {severity: critical, target: "cache[\"e'u{{x}}\"]", check: replication, master_host: "10.0.0.1"}
            exp_annotations:
              summary: "The replication link of Redis cache[\"e'u{{x}}\"] is down"
              description: "Redis cache[\"e'u{{x}}\"] is a replica and its link to the master is down."
`

// The textfile rule fires for a redisplan*.prom file that node_exporter
// reports older than the limit (1h for targets without a schedule), as a
// base name or a path, and not for a fresh one or another program's file.
const textfileTests = `rule_files:
  - rules.yml
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'node_textfile_mtime_seconds{file="/var/lib/node_exporter/textfile/redisplan.prom",instance="db1:9100"}'
        values: '0x80'
      - series: 'node_textfile_mtime_seconds{file="redisplan-orders.prom",instance="db2:9100"}'
        values: '0+60x80'
      - series: 'node_textfile_mtime_seconds{file="apt.prom",instance="db1:9100"}'
        values: '0x80'
    alert_rule_test:
      - eval_time: 60m
        alertname: RedisplanTextfileStale
        exp_alerts: []
      - eval_time: 80m
        alertname: RedisplanTextfileStale
        exp_alerts:
          - exp_labels: {severity: warning, check: textfile, file: "/var/lib/node_exporter/textfile/redisplan.prom", instance: "db1:9100"}
            exp_annotations:
              summary: "redisplan's textfile /var/lib/node_exporter/textfile/redisplan.prom is older than 1h"
              description: "node_exporter on db1:9100 reads /var/lib/node_exporter/textfile/redisplan.prom, last written 1h 20m 0s ago: redisplan check -format prometheus stopped writing it, so the redisplan_* figures from it are old."
`

func TestPromtoolTextfileStale(t *testing.T) {
	promtool(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rules.yml"), Render(sampleTargets(), RenderOptions{}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tests.yml"), []byte(textfileTests), 0o644); err != nil {
		t.Fatal(err)
	}
	runPromtool(t, dir, "test", "rules", "tests.yml")
}

// TestTextfileLimitFollowsTheSchedules: the textfile may miss two runs of
// the slowest alerts schedule, and is late after an hour at least.
func TestTextfileLimitFollowsTheSchedules(t *testing.T) {
	withSchedule := func(s ...string) []*model.Target {
		var ts []*model.Target
		for i, sc := range s {
			ts = append(ts, &model.Target{Name: strconv.Itoa(i), Alerts: &model.Alerts{Schedule: sc}})
		}
		return ts
	}
	for _, c := range []struct {
		targets []*model.Target
		want    string
	}{
		{[]*model.Target{{Name: "bare"}}, "> 3600"},
		{withSchedule("*/15 * * * *"), "> 3600"},
		{withSchedule("*/15 * * * *", "0 * * * *"), "> 10800"},
		{withSchedule("0 3 * * *"), "> 259200"},
	} {
		if r := TextfileRule(c.targets); !strings.HasSuffix(r.Expr, c.want) || r.Target != "" {
			t.Errorf("TextfileRule = %q (target %q), want a limit %s and no target", r.Expr, r.Target, c.want)
		}
	}
}

func TestPromtoolUnitTests(t *testing.T) {
	promtool(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rules.yml"), Render(sampleTargets(), RenderOptions{}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tests.yml"), []byte(unitTests), 0o644); err != nil {
		t.Fatal(err)
	}
	runPromtool(t, dir, "test", "rules", "tests.yml")
}

// TestArchiveRulesUseTheCheckDefaults: without levels in the spec, the
// archive's rules fire where redisplan check does: archive_lag warning at
// 1m and critical at 5m, archive_gap a warning.
func TestArchiveRulesUseTheCheckDefaults(t *testing.T) {
	tg := &model.Target{Name: "main", Backup: &model.Backup{Archive: &model.Archive{Flush: time.Second}}}
	var got []string
	for _, r := range Rules(tg, RenderOptions{}) {
		if strings.Contains(r.Alert, "Archive") {
			got = append(got, r.Alert+" "+r.Severity+" "+r.Check+" "+r.Expr)
		}
	}
	want := []string{
		`RedisArchiveBehind warning archive_lag redisplan_archive_lag_seconds{target="main"} > 60`,
		`RedisArchiveBehind critical archive_lag redisplan_archive_lag_seconds{target="main"} > 300`,
		`RedisArchiverNotConnected warning archive_lag redisplan_archive_archiver_connected{target="main"} == 0`,
		`RedisArchiveGap warning archive_gap redisplan_archive_gaps{target="main"} > 0`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("archive rules:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	tg.Alerts = &model.Alerts{Thresholds: []model.Threshold{{Check: "archive_gap", Severity: "critical"}}}
	for _, r := range Rules(tg, RenderOptions{}) {
		if r.Alert == "RedisArchiveGap" && r.Severity != "critical" {
			t.Errorf("archive_gap severity critical in the spec gives %s", r.Severity)
		}
	}
}

// TestRulesReadRedisExporterNames: every redis_* series a rule reads is a
// name redis_exporter exports (the list taken from its source, see the
// file), except redis_config_maxclients, which older releases export
// instead of redis_max_clients; and no rule reads a series by the names
// redisplan's textfile used to share with redis_exporter.
func TestRulesReadRedisExporterNames(t *testing.T) {
	b, err := os.ReadFile("../../testdata/prometheus/redis_exporter_metrics.txt")
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{"redis_config_maxclients": true}
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			exported[line] = true
		}
	}
	if !exported["redis_up"] || !exported["redis_rdb_last_bgsave_status"] {
		t.Fatal("the redis_exporter list lacks redis_up or redis_rdb_last_bgsave_status")
	}
	name := regexp.MustCompile(`\b(redis(?:plan)?_[a-z_]+)\b`)
	seen := 0
	for _, r := range parseRules(t, Render(sampleTargets(), RenderOptions{})) {
		for _, m := range name.FindAllString(r["expr"], -1) {
			switch {
			case strings.HasPrefix(m, "redisplan_"):
				if m != BackupMetric && m != ArchiveLagMetric && m != ArchiveGapsMetric && m != ArchiverConnectedMetric {
					t.Errorf("rule %s reads %s, which redisplan's textfile does not write", r["alert"], m)
				}
			case !exported[m]:
				t.Errorf("rule %s reads %s, which redis_exporter does not export", r["alert"], m)
			default:
				seen++
			}
		}
	}
	if seen < 10 {
		t.Errorf("only %d redis_exporter series read by the sample rules", seen)
	}
}
