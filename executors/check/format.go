package check

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The outputs are pure renderings of a Report (and, for Prometheus, of
// the raw figures in Metrics): the table a person reads, JSON for
// programs, the Nagios plugin format and the Prometheus text format all
// come from the same results, so they never disagree.

var statusLabels = [...]string{"OK", "WARNING", "CRITICAL", "UNKNOWN"}

// label is the upper-case name of a status.
func (s Status) label() string { return statusLabels[s] }

const (
	ansiReset   = "\x1b[0m"
	ansiRed     = "\x1b[31m"
	ansiGreen   = "\x1b[32m"
	ansiYellow  = "\x1b[33m"
	ansiMagenta = "\x1b[35m"
)

var statusColors = [...]string{ansiGreen, ansiYellow, ansiRed, ansiMagenta}

// paint colours s for status when color is on.
func paint(s string, st Status, color bool) string {
	if !color {
		return s
	}
	return statusColors[st] + s + ansiReset
}

// WriteTable writes the results as aligned columns (TARGET CHECK STATUS
// VALUE MESSAGE) and a last line with the overall status and the count of
// each status: "Overall: CRITICAL (2 critical, 1 warning, 10 ok)". With
// color, statuses are coloured with ANSI escapes.
func WriteTable(w io.Writer, rep Report, color bool) {
	header := []string{"TARGET", "CHECK", "STATUS", "VALUE", "MESSAGE"}
	rows := make([][]string, 0, len(rep.Results))
	for _, r := range rep.Results {
		v := "-"
		if r.Value != nil {
			v = formatValue(*r.Value, r.Unit)
		}
		rows = append(rows, []string{r.Target, r.Name, r.Status.label(), v, oneLine(r.Message)})
	}
	widths := make([]int, len(header)-1)
	for i := range widths {
		widths[i] = utf8.RuneCountInString(header[i])
		for _, row := range rows {
			widths[i] = max(widths[i], utf8.RuneCountInString(row[i]))
		}
	}
	line := func(cells []string, st Status, colored bool) {
		var b strings.Builder
		for i, c := range cells {
			if i == len(cells)-1 {
				b.WriteString(c)
				break
			}
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2)
			if i == 2 && colored {
				c = paint(c, st, color)
			}
			b.WriteString(c + pad)
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	line(header, OK, false)
	for i, row := range rows {
		line(row, rep.Results[i].Status, true)
	}
	status := overall(rep)
	fmt.Fprintf(w, "Overall: %s (%s)\n", paint(status.label(), status, color), countsText(rep, true))
}

// overall is the report's status, never better than its worst result.
func overall(rep Report) Status {
	st := rep.Status
	for _, r := range rep.Results {
		st = Worst(st, r.Status)
	}
	return st
}

// countsText is "2 critical, 1 warning, 10 ok": the non-zero counts, worst
// first; with withOK false the ok count is left out.
func countsText(rep Report, withOK bool) string {
	n := rep.Counts()
	var parts []string
	for _, st := range []Status{Critical, Unknown, Warning, OK} {
		if n[st] == 0 || (st == OK && !withOK) {
			continue
		}
		parts = append(parts, fmt.Sprintf("%d %s", n[st], st))
	}
	if len(parts) == 0 {
		return "no checks"
	}
	return strings.Join(parts, ", ")
}

// WriteJSON writes the report as indented JSON, with format_version set
// to FormatVersion and results an array even when empty.
func WriteJSON(w io.Writer, rep Report) error {
	rep.FormatVersion = FormatVersion
	rep.Status = overall(rep)
	if rep.Results == nil {
		rep.Results = []Result{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}

// WriteNagios writes the report the way a Nagios plugin prints it (Nagios
// plugin development guidelines): a first line with the service name, the
// status and a summary of every result that is not OK, then "|" and the
// performance data of every result that has a value; then one line per
// result as long output. The caller exits with the report's status, whose
// values are the plugin exit codes.
//
// Performance data items are 'label'=value[UOM];[warn];[crit];[min];[max]
// with label "<target>_<check>" and UOM one of s, %, B or none.
func WriteNagios(w io.Writer, rep Report) {
	status := overall(rep)
	var b strings.Builder
	b.WriteString("REDISPLAN " + status.label() + " - ")
	// A target that does not answer is one problem, not one per check:
	// its reachable result says why, and the checks it leaves unknown are
	// only counted.
	down := map[string]bool{}
	for _, r := range rep.Results {
		if r.Name == CheckReachable && r.Status == Critical {
			down[r.Target] = true
		}
	}
	var problems []string
	for _, st := range []Status{Critical, Unknown, Warning} {
		for _, r := range rep.Results {
			if r.Status != st || (st == Unknown && down[r.Target] && r.Message == unreachableMessage) {
				continue
			}
			problems = append(problems, r.Target+" "+r.Name+" "+oneLine(r.Message))
		}
	}
	if len(problems) == 0 {
		n := rep.Counts()[OK]
		switch n {
		case 0:
			b.WriteString("no checks")
		case 1:
			b.WriteString("1 check ok")
		default:
			fmt.Fprintf(&b, "%d checks ok", n)
		}
	} else {
		b.WriteString(countsText(rep, false) + ": " + strings.Join(problems, "; "))
	}
	text := nagiosText(b.String())
	var perf []string
	for _, r := range rep.Results {
		if r.Value != nil {
			perf = append(perf, perfItem(r))
		}
	}
	if len(perf) > 0 {
		text += " | " + strings.Join(perf, " ")
	}
	fmt.Fprintln(w, text)
	for _, r := range rep.Results {
		fmt.Fprintln(w, nagiosText(fmt.Sprintf("[%s] %s %s: %s", r.Status.label(), r.Target, r.Name, oneLine(r.Message))))
	}
}

// nagiosText keeps "|" out of plugin text, where it would start
// performance data.
func nagiosText(s string) string { return strings.ReplaceAll(s, "|", "/") }

// perfItem is one performance data item.
func perfItem(r Result) string {
	label := strings.NewReplacer("'", "''", "=", "_").Replace(r.Target + "_" + r.Name)
	uom, minV, maxV := "", "0", ""
	switch r.Unit {
	case "%":
		uom, maxV = "%", "100"
	case "s", "B":
		uom = r.Unit
	}
	level := func(p *float64) string {
		if p == nil {
			return ""
		}
		return plainNumber(*p)
	}
	return fmt.Sprintf("'%s'=%s%s;%s;%s;%s;%s", label, plainNumber(*r.Value), uom, level(r.Warning), level(r.Critical), minV, maxV)
}

// plainNumber prints a number without an exponent, to at most three
// decimals, as performance data and the text format want.
func plainNumber(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "0"
	}
	return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64)
}

// Metrics holds the raw figures of targets for WritePrometheus; MetricsOf
// gives one target's, and several are appended.
type Metrics []TargetMetrics

// TargetMetrics are one target's figures. A nil field was not read.
type TargetMetrics struct {
	Target string
	Up     bool

	UsedMemoryBytes     *float64
	MaxMemoryBytes      *float64
	RDBLastBgsaveOK     *bool
	AOFLastWriteOK      *bool
	ConnectedClients    *float64
	EvictedKeys         *float64
	RejectedConnections *float64
	// MasterLinkUp is set for replicas only.
	MasterLinkUp    *bool
	ConnectedSlaves *float64

	// Backup is nil when the target has no backup block or its catalog
	// could not be read.
	Backup *BackupMetrics
	// Archive is nil when the target has no archive block or the
	// archive could not be read.
	Archive *ArchiveMetrics
}

// BackupMetrics describes a target's backup catalog.
type BackupMetrics struct {
	// Count is the number of complete backups.
	Count int
	// LastSuccess is when the newest verified backup finished; zero when
	// there is none.
	LastSuccess time.Time
	// The newest backup's stored size (all artifacts, as stored:
	// compressed and encrypted), duration and verification; meaningful
	// when Count > 0.
	LastSizeBytes       int64
	LastDurationSeconds float64
	LastVerified        bool
}

// MetricsOf returns the figures of the input's target.
func MetricsOf(in Input) Metrics {
	m := TargetMetrics{Target: in.Target.Name, Up: in.LiveErr == nil}
	if in.LiveErr == nil {
		e := &env{in: in, t: in.Target}
		num := func(key string) *float64 {
			if v, ok := e.float(key); ok {
				return &v
			}
			return nil
		}
		flag := func(key, want string) *bool {
			if v, ok := e.info(key); ok {
				b := v == want
				return &b
			}
			return nil
		}
		m.UsedMemoryBytes = num("used_memory")
		if v, ok := e.infoOrConfig("maxmemory", "maxmemory"); ok {
			m.MaxMemoryBytes = ptr(float64(v))
		}
		m.RDBLastBgsaveOK = flag("rdb_last_bgsave_status", "ok")
		m.AOFLastWriteOK = flag("aof_last_write_status", "ok")
		m.ConnectedClients = num("connected_clients")
		m.EvictedKeys = num("evicted_keys")
		m.RejectedConnections = num("rejected_connections")
		m.ConnectedSlaves = num("connected_slaves")
		if role, _ := e.info("role"); role == "slave" {
			m.MasterLinkUp = flag("master_link_status", "up")
		}
	}
	if in.Target.Backup != nil && in.BackupsErr == nil {
		b := &BackupMetrics{Count: len(in.Backups)}
		if good := newestVerified(in.Backups); good != nil {
			b.LastSuccess = good.Finished
		}
		if len(in.Backups) > 0 {
			last := in.Backups[len(in.Backups)-1]
			for _, f := range last.Files {
				b.LastSizeBytes += f.StoredSize
			}
			b.LastDurationSeconds = last.DurationSeconds
			if b.LastDurationSeconds == 0 && !last.Started.IsZero() && last.Finished.After(last.Started) {
				b.LastDurationSeconds = last.Finished.Sub(last.Started).Seconds()
			}
			b.LastVerified = last.Usable()
		}
		m.Backup = b
	}
	m.Archive = archiveMetricsOf(in)
	return Metrics{m}
}

// family is one metric family of the text format.
type family struct {
	name, help, typ string
	samples         []string
}

func (f *family) add(labels [][2]string, v float64) {
	var b strings.Builder
	b.WriteString(f.name)
	if len(labels) > 0 {
		b.WriteByte('{')
		for i, l := range labels {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(l[0] + `="` + escapeLabel(l[1]) + `"`)
		}
		b.WriteByte('}')
	}
	b.WriteString(" " + promNumber(v))
	f.samples = append(f.samples, b.String())
}

// escapeLabel escapes a label value for the text format.
func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

// escapeHelp escapes HELP text for the text format.
func escapeHelp(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}

func promNumber(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// PrometheusContentType is the Content-Type of WritePrometheus's output.
const PrometheusContentType = "text/plain; version=0.0.4; charset=utf-8"

// WritePrometheus writes the Prometheus text exposition format 0.0.4, for
// node_exporter's textfile collector: the server's figures as redisplan
// read them (redisplan_target_up, redisplan_memory_used_bytes, ...
// labelled by target), redisplan's backup figures, and
// redisplan_check_status{target,check} with the status of every result (0
// ok, 1 warning, 2 critical, 3 unknown). Every name is in the redisplan_
// namespace, never one of redis_exporter's (redis_*), so that a dashboard
// summing redis_exporter's series does not count redisplan's too.
// A target of the report that extra does not describe gets
// redisplan_target_up from its reachable result.
func WritePrometheus(w io.Writer, rep Report, extra Metrics) {
	fams := []*family{
		{name: "redisplan_target_up", typ: "gauge", help: "Whether the Redis server answered redisplan check (1) or not (0)."},
		{name: "redisplan_memory_used_bytes", typ: "gauge", help: "Memory used by Redis (INFO used_memory)."},
		{name: "redisplan_memory_max_bytes", typ: "gauge", help: "The maxmemory limit; 0 means no limit."},
		{name: "redisplan_rdb_last_bgsave_ok", typ: "gauge", help: "Whether the last BGSAVE succeeded (1) or failed (0) (INFO rdb_last_bgsave_status)."},
		{name: "redisplan_aof_last_write_ok", typ: "gauge", help: "Whether the last AOF write succeeded (1) or failed (0) (INFO aof_last_write_status)."},
		{name: "redisplan_connected_clients", typ: "gauge", help: "Connected clients."},
		{name: "redisplan_evicted_keys_total", typ: "counter", help: "Keys evicted because of maxmemory since the server started."},
		{name: "redisplan_rejected_connections_total", typ: "counter", help: "Connections rejected because of maxclients since the server started."},
		{name: "redisplan_master_link_up", typ: "gauge", help: "Whether a replica's link to its master is up (1) or down (0)."},
		{name: "redisplan_connected_replicas", typ: "gauge", help: "Replicas connected to this server (INFO connected_slaves)."},
		{name: "redisplan_backup_last_success_timestamp_seconds", typ: "gauge", help: "When the newest verified backup finished, as a Unix time; 0 when there is none."},
		{name: "redisplan_backup_last_size_bytes", typ: "gauge", help: "Stored size of the newest backup (all artifacts, compressed and encrypted as stored)."},
		{name: "redisplan_backup_last_duration_seconds", typ: "gauge", help: "How long the newest backup took."},
		{name: "redisplan_backup_last_verified", typ: "gauge", help: "Whether the newest backup was verified (1) or not (0)."},
		{name: "redisplan_check_status", typ: "gauge", help: "Status of a redisplan check: 0 ok, 1 warning, 2 critical, 3 unknown."},
	}
	fams = append(fams, archiveFamilies()...)
	byName := map[string]*family{}
	for _, f := range fams {
		byName[f.name] = f
	}
	seen := map[string]bool{}
	for _, m := range extra {
		seen[m.Target] = true
		tl := [][2]string{{"target", m.Target}}
		byName["redisplan_target_up"].add(tl, b2f(m.Up))
		for name, v := range map[string]*float64{
			"redisplan_memory_used_bytes":          m.UsedMemoryBytes,
			"redisplan_memory_max_bytes":           m.MaxMemoryBytes,
			"redisplan_connected_clients":          m.ConnectedClients,
			"redisplan_evicted_keys_total":         m.EvictedKeys,
			"redisplan_rejected_connections_total": m.RejectedConnections,
			"redisplan_connected_replicas":         m.ConnectedSlaves,
		} {
			if v != nil {
				byName[name].add(tl, *v)
			}
		}
		for name, v := range map[string]*bool{
			"redisplan_rdb_last_bgsave_ok": m.RDBLastBgsaveOK,
			"redisplan_aof_last_write_ok":  m.AOFLastWriteOK,
			"redisplan_master_link_up":     m.MasterLinkUp,
		} {
			if v != nil {
				byName[name].add(tl, b2f(*v))
			}
		}
		if b := m.Backup; b != nil {
			var ts float64
			if !b.LastSuccess.IsZero() {
				ts = float64(b.LastSuccess.UnixMilli()) / 1000
			}
			byName["redisplan_backup_last_success_timestamp_seconds"].add(tl, ts)
			if b.Count > 0 {
				byName["redisplan_backup_last_size_bytes"].add(tl, float64(b.LastSizeBytes))
				byName["redisplan_backup_last_duration_seconds"].add(tl, b.LastDurationSeconds)
				byName["redisplan_backup_last_verified"].add(tl, b2f(b.LastVerified))
			}
		}
		m.Archive.add(byName, tl)
	}
	for _, r := range rep.Results {
		if r.Name == CheckReachable && !seen[r.Target] {
			seen[r.Target] = true
			byName["redisplan_target_up"].add([][2]string{{"target", r.Target}}, b2f(r.Status != Critical && r.Status != Unknown))
		}
		byName["redisplan_check_status"].add([][2]string{{"target", r.Target}, {"check", r.Name}}, float64(r.Status))
	}
	for _, f := range fams {
		if len(f.samples) == 0 {
			continue
		}
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", f.name, escapeHelp(f.help), f.name, f.typ)
		// A target's samples keep the order they were added in; maps
		// above only choose the family.
		for _, s := range f.samples {
			fmt.Fprintln(w, s)
		}
	}
}

// formatValue prints a value in its unit for people: 91.2%, 25h, 100mb,
// 1.08 (ratio), 12.
func formatValue(v float64, unit string) string {
	switch unit {
	case "%":
		return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0") + "%"
	case "s":
		return humanDuration(v)
	case "B":
		return humanBytes(v)
	case "ratio":
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// humanDuration prints seconds as 42s, 5m3s, 25h, 1h5m or 3d4h.
func humanDuration(sec float64) string {
	s := int64(math.Round(sec))
	sign := ""
	if s < 0 {
		sign, s = "-", -s
	}
	two := func(a int64, ua string, b int64, ub string) string {
		if b == 0 {
			return fmt.Sprintf("%s%d%s", sign, a, ua)
		}
		return fmt.Sprintf("%s%d%s%d%s", sign, a, ua, b, ub)
	}
	switch {
	case s < 60:
		return fmt.Sprintf("%s%ds", sign, s)
	case s < 3600:
		return two(s/60, "m", s%60, "s")
	case s < 48*3600:
		return two(s/3600, "h", s%3600/60, "m")
	}
	return two(s/86400, "d", s%86400/3600, "h")
}

// humanBytes prints a size with Redis's binary units: 512b, 1.5kb, 100mb.
func humanBytes(b float64) string {
	units := []string{"kb", "mb", "gb", "tb"}
	if math.Abs(b) < 1024 {
		return strconv.FormatFloat(b, 'f', 0, 64) + "b"
	}
	v, u := b, ""
	for _, unit := range units {
		if math.Abs(v) < 1024 {
			break
		}
		v, u = v/1024, unit
	}
	s := strconv.FormatFloat(v, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0") + u
}
