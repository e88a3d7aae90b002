// Package promrules renders the targets' alert thresholds as a Prometheus
// alerting-rules file, so that Prometheus and `redisplan check` judge a
// server by the same levels (the spec's, else the checks' defaults).
//
// The rules on the server's figures read redis_exporter's series, by the
// names redis_exporter exports (redis_up, redis_memory_used_bytes,
// redis_rdb_last_bgsave_status, redis_master_link_up, ...). The backup
// rule reads redisplan's own textfile metric (BackupMetric), and one rule
// fires when that textfile goes stale (node_exporter's
// node_textfile_mtime_seconds for a file named redisplan*.prom). The
// textfile metrics `redisplan check -format prometheus` writes are all in
// the redisplan_ namespace, never one of redis_exporter's names, so a
// dashboard never counts a figure twice. The archive's rules read those
// textfile metrics too: redis_exporter knows nothing of the archive.
//
// Every per-target rule selects its series with {<TargetLabel>="<target
// name>"}. The textfile metrics carry a target label. redis_exporter's
// series carry none by default (only what Prometheus adds: instance, job):
// give them one in the scrape configuration, as a label of the static
// target group or by relabelling (docs/check.md shows both), or choose
// another label with RenderOptions.TargetLabel. Levels compare with ">",
// as the checks do: a warning at 0 fires on anything above 0.
package promrules

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/oncalendar"
)

// GroupName is the name of the one rule group Render writes.
const GroupName = "redisplan"

// BackupMetric is the textfile metric the backup rule reads: the Unix time
// of the target's newest successful backup, labelled target="<name>".
const BackupMetric = "redisplan_backup_last_success_timestamp_seconds"

// The textfile metrics the archive's rules read: archive_lag's figure when
// the check ran, and the gaps within retention, labelled target="<name>".
const (
	ArchiveLagMetric  = "redisplan_archive_lag_seconds"
	ArchiveGapsMetric = "redisplan_archive_gaps"
	// ArchiverConnectedMetric is 0 when the server lists no archiver
	// among its replicas.
	ArchiverConnectedMetric = "redisplan_archive_archiver_connected"
)

// TextfilePattern is the regular expression (RE2, anchored by Prometheus)
// that the staleness rule matches the file label of
// node_textfile_mtime_seconds with: redisplan*.prom, as a base name
// or a path (node_exporter releases differ).
const TextfilePattern = `(.*/)?redisplan[^/]*[.]prom`

// DefaultTextfileMaxAge is how old the textfile may get before the
// staleness rule fires when no target's alerts have a schedule; with
// schedules, it is three times the longest gap between runs of any of
// them (two missed runs), and at least this.
const DefaultTextfileMaxAge = time.Hour

// DefaultTargetLabel is the label that selects a target's series unless
// RenderOptions says otherwise.
const DefaultTargetLabel = "target"

// RenderOptions carries what the rules need besides the targets.
type RenderOptions struct {
	// TargetLabel is the label whose value is the target's name on every
	// series the rules read; "target" when empty.
	TargetLabel string
}

// Validate reports an option Prometheus would refuse.
func (o RenderOptions) Validate() error {
	if o.TargetLabel != "" && !validLabelName(o.TargetLabel) {
		return fmt.Errorf("invalid target label %q: a Prometheus label name is letters, digits and underscores, not starting with a digit", o.TargetLabel)
	}
	return nil
}

func (o RenderOptions) label() string {
	if o.TargetLabel == "" {
		return DefaultTargetLabel
	}
	return o.TargetLabel
}

func validLabelName(s string) bool {
	if s == "" || strings.HasPrefix(s, "__") {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// Rule is one alerting rule. Its labels are severity, target and check;
// check is the name `redisplan check` reports the same condition under,
// so that alerts from both sources can be matched.
type Rule struct {
	Alert    string
	Expr     string
	For      time.Duration
	Severity string
	Target   string
	Check    string
	// Summary and Description are Prometheus templates: they may use
	// $value, and any text from the spec in them is escaped.
	Summary     string
	Description string
}

// Severities of the rules.
const (
	warning  = "warning"
	critical = "critical"
)

// The same defaults as the checks use when the spec has no block for one.
var (
	defaultMemory     = levels{warn: ptr(80), crit: ptr(90)}
	defaultClientsPct = levels{warn: ptr(80), crit: ptr(95)}
	defaultBackupAge  = levels{crit: ptr(25 * 60 * 60)}
	defaultAnyGrowth  = levels{warn: ptr(0)}
	defaultArchiveLag = levels{warn: ptr(60), crit: ptr(300)}
)

// defaultFailSeverity is the severity of a failed pass/fail check the spec
// gives none for.
const defaultFailSeverity = critical

// minFragmentationGap is the gap in bytes between RSS and used memory
// below which the fragmentation ratio is not judged, and
// minFragmentationMemory the used memory below which it is not either
// (an almost empty server's ratio means nothing), as in the check.
const (
	minFragmentationGap    = "10485760"
	minFragmentationMemory = "5242880"
)

type levels struct{ warn, crit *float64 }

func ptr(v float64) *float64 { return &v }

// Rules returns the target's rules, in the order `redisplan check` reports
// its checks. Level checks give one rule per level set (warning and/or
// critical); a check that has no default level is only rendered when the
// spec sets a threshold for it.
func Rules(t *model.Target, opts RenderOptions) []Rule {
	r := &ruler{t: t, sel: "{" + opts.label() + "=" + promString(t.Name) + "}", name: tmplLiteral(t.Name)}
	s, n := r.sel, r.name

	r.add(Rule{
		Alert: "RedisDown", Check: "reachable", Severity: critical, For: time.Minute,
		Expr:        "redis_up" + s + " == 0",
		Summary:     "Redis " + n + " is down",
		Description: "redis_exporter cannot read " + n + " (redis_up is 0).",
	})
	r.levels("memory_used_percent", defaultMemory, func(sev, level string) Rule {
		return Rule{
			Alert: "RedisMemoryHigh", For: 5 * time.Minute,
			Expr:        "redis_memory_used_bytes" + s + " / redis_memory_max_bytes" + s + " * 100 > " + level + " and redis_memory_max_bytes" + s + " > 0",
			Summary:     "Redis " + n + " uses more than " + level + "% of maxmemory",
			Description: "Memory used by " + n + " is " + value1 + "% of maxmemory, above the " + sev + " level of " + level + "%.",
		}
	})
	r.levels("fragmentation_ratio", levels{}, func(sev, level string) Rule {
		return Rule{
			Alert: "RedisFragmentationHigh", For: 15 * time.Minute,
			Expr:        "redis_mem_fragmentation_ratio" + s + " > " + level + " and abs(redis_mem_fragmentation_bytes" + s + ") >= " + minFragmentationGap + " and redis_memory_used_bytes" + s + " >= " + minFragmentationMemory,
			Summary:     "Redis " + n + " memory fragmentation is above " + level,
			Description: "The fragmentation ratio (RSS over used memory) of " + n + " is " + value2 + ", above the " + sev + " level of " + level + ".",
		}
	})
	r.add(Rule{
		Alert: "RedisRdbSaveFailed", Check: "rdb_last_bgsave", Severity: r.severity("rdb_save_failed"), For: time.Minute,
		Expr:        "redis_rdb_last_bgsave_status" + s + " == 0",
		Summary:     "The last BGSAVE of Redis " + n + " failed",
		Description: "The last BGSAVE of " + n + " failed, so recent writes are not on disk. The server's log says why (often the permissions of dir, or disk space).",
	})
	r.levels("last_save_age", levels{}, func(sev, level string) Rule {
		return Rule{
			Alert: "RedisLastSaveTooOld", For: 5 * time.Minute,
			Expr:        "time() - redis_rdb_last_save_timestamp_seconds" + s + " > " + level,
			Summary:     "Redis " + n + " has not saved for more than " + humanSeconds(level),
			Description: "The last successful save of " + n + " was " + valueDuration + " ago, more than the " + sev + " level of " + humanSeconds(level) + ".",
		}
	})
	r.levels("bgsave_duration", levels{}, func(sev, level string) Rule {
		return Rule{
			Alert: "RedisBgsaveSlow", For: time.Minute,
			Expr:        "redis_rdb_current_bgsave_duration_sec" + s + " > " + level,
			Summary:     "A BGSAVE of Redis " + n + " runs for more than " + humanSeconds(level),
			Description: "A BGSAVE of " + n + " has been running for " + valueDuration + ", more than the " + sev + " level of " + humanSeconds(level) + ".",
		}
	})
	// AOF statuses are judged unless the server says AOF is off: a
	// series without redis_aof_enabled beside it (an exporter that does
	// not export it) is judged.
	r.add(Rule{
		Alert: "RedisAofWriteFailed", Check: "aof", Severity: r.severity("aof_write_failed"), For: time.Minute,
		Expr:        "redis_aof_last_write_status" + s + " == 0 unless redis_aof_enabled" + s + " == 0",
		Summary:     "The last AOF write of Redis " + n + " failed",
		Description: "The last AOF write of " + n + " failed: check disk space and the server's log.",
	})
	r.add(Rule{
		Alert: "RedisAofRewriteFailed", Check: "aof", Severity: r.severity("aof_rewrite_failed"), For: time.Minute,
		Expr:        "redis_aof_last_bgrewrite_status" + s + " == 0 unless redis_aof_enabled" + s + " == 0",
		Summary:     "The last AOF rewrite of Redis " + n + " failed",
		Description: "The last AOF rewrite of " + n + " failed: the server's log says why.",
	})
	if t.Backup != nil {
		r.levels("backup_age", defaultBackupAge, func(sev, level string) Rule {
			return Rule{
				Alert: "RedisBackupTooOld", For: 5 * time.Minute,
				Expr:        "time() - " + BackupMetric + s + " > " + level,
				Summary:     "The newest backup of Redis " + n + " is older than " + humanSeconds(level),
				Description: "The newest successful backup of " + n + " finished " + valueDuration + " ago, more than the " + sev + " level of " + humanSeconds(level) + ".",
			}
		})
	}
	if t.Backup != nil && t.Backup.Archive != nil {
		r.archive()
	}
	r.levels("evicted_keys", defaultAnyGrowth, func(sev, level string) Rule {
		return Rule{
			Alert: "RedisKeysEvicted", For: 5 * time.Minute,
			Expr:        "rate(redis_evicted_keys_total" + s + "[5m]) * 60 > " + level,
			Summary:     "Redis " + n + " evicts " + moreThan(level, "keys", "keys per minute"),
			Description: "Redis " + n + " evicts " + value1 + " keys per minute, above the " + sev + " level of " + level + ".",
		}
	})
	r.levels("rejected_connections", defaultAnyGrowth, func(sev, level string) Rule {
		return Rule{
			Alert: "RedisRejectedConnections", For: time.Minute,
			Expr:        "increase(redis_rejected_connections_total" + s + "[5m]) > " + level,
			Summary:     "Redis " + n + " rejects " + moreThan(level, "connections", "connections in 5 minutes"),
			Description: "Redis " + n + " rejected " + value0 + " connections in 5 minutes (maxclients reached), above the " + sev + " level of " + level + ".",
		}
	})
	r.levels("connected_clients", levels{}, func(sev, level string) Rule {
		return Rule{
			Alert: "RedisTooManyClients", For: 5 * time.Minute,
			Expr:        "redis_connected_clients" + s + " > " + level,
			Summary:     "Redis " + n + " has more than " + level + " clients",
			Description: "Redis " + n + " has " + value0 + " clients connected, above the " + sev + " level of " + level + ".",
		}
	})
	r.levels("connected_clients_percent", defaultClientsPct, func(sev, level string) Rule {
		// redis_exporter calls maxclients redis_max_clients in newer
		// releases and redis_config_maxclients in older ones.
		return Rule{
			Alert: "RedisClientsNearLimit", For: 5 * time.Minute,
			Expr:        "redis_connected_clients" + s + " / (redis_max_clients" + s + " > 0 or redis_config_maxclients" + s + " > 0) * 100 > " + level,
			Summary:     "Redis " + n + " uses more than " + level + "% of maxclients",
			Description: "Redis " + n + " has " + value1 + "% of maxclients connected, above the " + sev + " level of " + level + "%.",
		}
	})
	r.levels("blocked_clients", levels{}, func(sev, level string) Rule {
		return Rule{
			Alert: "RedisBlockedClients", For: 5 * time.Minute,
			Expr:        "redis_blocked_clients" + s + " > " + level,
			Summary:     "Redis " + n + " has more than " + level + " blocked clients",
			Description: "Redis " + n + " has " + value0 + " clients blocked on a command, above the " + sev + " level of " + level + ".",
		}
	})
	if isReplica(t) {
		r.add(Rule{
			Alert: "RedisReplicationLinkDown", Check: "replication", Severity: critical, For: 2 * time.Minute,
			Expr:        "redis_master_link_up" + s + " == 0",
			Summary:     "The replication link of Redis " + n + " is down",
			Description: "Redis " + n + " is a replica and its link to the master is down.",
		})
		r.levels("replication_lag", levels{}, func(sev, level string) Rule {
			return Rule{
				Alert: "RedisReplicationLag", For: 2 * time.Minute,
				Expr:        "redis_master_last_io_seconds_ago" + s + " > " + level,
				Summary:     "Redis " + n + " has not heard from its master for more than " + humanSeconds(level),
				Description: "Redis " + n + " last heard from its master " + valueDuration + " ago, more than the " + sev + " level of " + humanSeconds(level) + ".",
			}
		})
	}
	return r.rules
}

// TextfileRule is the rule that fires when redisplan's textfile goes
// stale: node_exporter reports the file's modification time, and a file
// older than the limit means `redisplan check -format prometheus -o`
// stopped writing it, so every redisplan_* series from it (backup age,
// check statuses) shows old figures. The limit is three times the longest
// gap between runs of the targets' alerts schedules (two missed runs), at
// least DefaultTextfileMaxAge. The rule is the file's, not a target's: it
// has no target label.
func TextfileRule(targets []*model.Target) Rule {
	limit := time.Duration(0)
	for _, t := range targets {
		if t.Alerts == nil || t.Alerts.Schedule == "" {
			continue
		}
		if p, err := oncalendar.Period(t.Alerts.Schedule); err == nil {
			limit = max(limit, 3*p)
		}
	}
	limit = max(limit, DefaultTextfileMaxAge)
	level := strconv.FormatInt(int64(limit/time.Second), 10)
	return Rule{
		Alert: "RedisplanTextfileStale", Check: "textfile", Severity: warning, For: 5 * time.Minute,
		Expr:        "time() - node_textfile_mtime_seconds{file=~" + promString(TextfilePattern) + "} > " + level,
		Summary:     "redisplan's textfile {{ $labels.file }} is older than " + humanSeconds(level),
		Description: "node_exporter on {{ $labels.instance }} reads {{ $labels.file }}, last written " + valueDuration + " ago: redisplan check -format prometheus stopped writing it, so the redisplan_* figures from it are old.",
	}
}

// moreThan is "more than <level> <per>" for a level above zero, and just
// what at 0: "evicts keys" reads better than "more than 0 keys".
func moreThan(level, what, per string) string {
	if level == "0" {
		return what
	}
	return "more than " + level + " " + per
}

// Templates of the rule's value in annotations.
const (
	value0        = `{{ printf "%.0f" $value }}`
	value1        = `{{ printf "%.1f" $value }}`
	value2        = `{{ printf "%.2f" $value }}`
	valueDuration = `{{ $value | humanizeDuration }}`
)

type ruler struct {
	t     *model.Target
	sel   string
	name  string
	rules []Rule
}

func (r *ruler) add(rule Rule) {
	rule.Target = r.t.Name
	r.rules = append(r.rules, rule)
}

// levels adds a rule per level of a check: the spec's block when it has
// one, else def.
func (r *ruler) levels(check string, def levels, rule func(severity, level string) Rule) {
	l := def
	if th := r.t.Threshold(check); th != nil {
		l = levels{warn: th.Warning, crit: th.Critical}
	}
	for _, lv := range []struct {
		sev   string
		level *float64
	}{{warning, l.warn}, {critical, l.crit}} {
		if lv.level == nil || math.IsNaN(*lv.level) || math.IsInf(*lv.level, 0) {
			continue
		}
		rl := rule(lv.sev, strconv.FormatFloat(*lv.level, 'f', -1, 64))
		rl.Check, rl.Severity = check, lv.sev
		r.add(rl)
	}
}

// severity is the spec's severity for a pass/fail check, else critical.
func (r *ruler) severity(name string) string { return r.severityOr(name, defaultFailSeverity) }

// severityOr is the spec's severity for a pass/fail check, else def.
func (r *ruler) severityOr(name, def string) string {
	if th := r.t.Threshold(name); th != nil && (th.Severity == warning || th.Severity == critical) {
		return th.Severity
	}
	return def
}

// archive adds the rules of the target's continuous archive, on the
// figures redisplan check writes (redis_exporter knows nothing of the
// archive): archive_lag as measured at the last check, so a rule fires
// no sooner than the check runs, and archive_gap.
func (r *ruler) archive() {
	s, n := r.sel, r.name
	r.levels("archive_lag", defaultArchiveLag, func(sev, level string) Rule {
		return Rule{
			Alert: "RedisArchiveBehind", For: time.Minute,
			Expr:        ArchiveLagMetric + s + " > " + level,
			Summary:     "The archive of Redis " + n + " is more than " + humanSeconds(level) + " behind",
			Description: "The archive of " + n + " was " + valueDuration + " behind the server when redisplan check last ran, more than the " + sev + " level of " + humanSeconds(level) + ": writes since are not archived, and losing the host would lose them. Is redisplan archive running?",
		}
	})
	r.add(Rule{
		Alert: "RedisArchiverNotConnected", Check: "archive_lag", Severity: warning, For: time.Minute,
		Expr:        ArchiverConnectedMetric + s + " == 0",
		Summary:     "No archiver follows Redis " + n,
		Description: "When redisplan check last ran, the server of " + n + " listed no archiver among its replicas: writes from then on are not archived, and losing the host would lose them. Start redisplan archive -target " + n + ".",
	})
	r.add(Rule{
		Alert: "RedisArchiveGap", Check: "archive_gap", Severity: r.severityOr("archive_gap", warning), For: time.Minute,
		Expr:        ArchiveGapsMetric + s + " > 0",
		Summary:     "The archive of Redis " + n + " has a gap",
		Description: "The archive of " + n + " has " + value0 + " gaps within retention: times no point-in-time restore can reach (redisplan backup list shows them).",
	})
}

// isReplica reports whether the spec manages replicaof with a master.
func isReplica(t *model.Target) bool {
	d := t.Directive("replicaof")
	if d == nil {
		return false
	}
	v := strings.ToLower(strings.Join(strings.Fields(d.Value), " "))
	return v != "" && v != "no one"
}

// humanSeconds writes a level in seconds as a spec would: 25h, 2d,
// 1h30m, 90.5s. Days are used only for whole days.
func humanSeconds(level string) string {
	f, err := strconv.ParseFloat(level, 64)
	if err != nil || f != math.Trunc(f) || f <= 0 || f > 1e12 {
		return level + "s"
	}
	s := int64(f)
	if s%86400 == 0 {
		return strconv.FormatInt(s/86400, 10) + "d"
	}
	var b strings.Builder
	for _, u := range []struct {
		n    int64
		unit string
	}{{3600, "h"}, {60, "m"}, {1, "s"}} {
		if s >= u.n {
			fmt.Fprintf(&b, "%d%s", s/u.n, u.unit)
			s %= u.n
		}
	}
	return b.String()
}

// Render returns the rules of the targets as a Prometheus rules file: one
// group, "redisplan", with the rules of each target in turn.
func Render(targets []*model.Target, opts RenderOptions) []byte {
	var b strings.Builder
	b.WriteString("# Prometheus alerting rules for redisplan targets, written by\n")
	b.WriteString("# `redisplan render prometheus-rules`: regenerate rather than edit.\n")
	fmt.Fprintf(&b, "# Series are selected by the label %s=\"<target name>\".\n", opts.label())
	b.WriteString("groups:\n")
	b.WriteString("- name: " + yamlQuote(GroupName) + "\n")
	var rules []Rule
	for _, t := range targets {
		rules = append(rules, Rules(t, opts)...)
	}
	if len(targets) > 0 {
		rules = append(rules, TextfileRule(targets))
	}
	if len(rules) == 0 {
		b.WriteString("  rules: []\n")
		return []byte(b.String())
	}
	b.WriteString("  rules:\n")
	for _, r := range rules {
		b.WriteString("  - alert: " + yamlQuote(r.Alert) + "\n")
		b.WriteString("    expr: " + yamlSingle(r.Expr) + "\n")
		b.WriteString("    for: " + yamlQuote(promDuration(r.For)) + "\n")
		b.WriteString("    labels:\n")
		b.WriteString("      severity: " + yamlQuote(r.Severity) + "\n")
		if r.Target != "" {
			b.WriteString("      target: " + yamlQuote(tmplLiteral(r.Target)) + "\n")
		}
		b.WriteString("      check: " + yamlQuote(r.Check) + "\n")
		b.WriteString("    annotations:\n")
		b.WriteString("      summary: " + yamlQuote(r.Summary) + "\n")
		b.WriteString("      description: " + yamlQuote(r.Description) + "\n")
	}
	return []byte(b.String())
}

// promDuration writes d in Prometheus's duration syntax: 5m, 1h30m, 0s.
func promDuration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	var b strings.Builder
	for _, u := range []struct {
		d    time.Duration
		unit string
	}{{time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}, {time.Millisecond, "ms"}} {
		if d >= u.d {
			fmt.Fprintf(&b, "%d%s", d/u.d, u.unit)
			d %= u.d
		}
	}
	return b.String()
}

// promString quotes a PromQL string literal. PromQL reads Go's escape
// sequences, so strconv.Quote's output is valid, and it never holds a
// newline or a non-printable character.
func promString(s string) string {
	return strconv.Quote(strings.ToValidUTF8(s, "\uFFFD"))
}

// tmplLiteral makes text safe inside a Prometheus template (labels and
// annotations are expanded with text/template): "{{" becomes an action
// that prints "{{".
func tmplLiteral(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "{{", `{{ "{{" }}`)
}

// yamlQuote writes s as a double-quoted YAML scalar, escaping what YAML
// requires and every character that is not printable.
func yamlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case !unicode.IsPrint(r) || r == '\uFEFF':
			if r > 0xFFFF {
				fmt.Fprintf(&b, `\U%08x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// yamlSingle writes s as a single-quoted YAML scalar (a quote is doubled),
// which keeps PromQL's own double quotes and backslashes readable. Text a
// single-quoted scalar cannot hold (line breaks, non-printable characters)
// is double-quoted instead.
func yamlSingle(s string) string {
	if !singleQuotable(s) {
		return yamlQuote(s)
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func singleQuotable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r != '\t' && (r < 0x20 || r == 0x7f || !unicode.IsPrint(r) || r == '\uFEFF') {
			return false
		}
	}
	return true
}
