package check

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/redisplan/redisplan/internal/redisinfo"
)

// Checks of a target's continuous archive (backup { archive { } }).
const (
	CheckArchiveLag = "archive_lag"
	CheckArchiveGap = "archive_gap"
)

// Default levels of archive_lag, in seconds, when the spec has no block
// for it: a minute behind is already sixty times the usual flush, five
// minutes means the archive does not follow the server.
const (
	defaultArchiveLagWarning  = 60.0
	defaultArchiveLagCritical = 300.0
)

// archiveIdleCommit is how long the archiver may leave the offsets of a
// stream that carries no data (the master's PINGs) uncovered: it covers
// them with a command-less segment at least this often (ARCHIVE.md,
// "Flush").
const archiveIdleCommit = time.Minute

// pingBytes is the size of the PING a master sends its replicas every
// repl-ping-replica-period seconds (*1\r\n$4\r\nPING\r\n): it advances
// master_repl_offset but is not data, and the archiver does not write it.
const pingBytes = 14

// defaultPingPeriod is repl-ping-replica-period's default, used when
// CONFIG GET cannot read it.
const defaultPingPeriod = 10 * time.Second

// ArchiveStatus is what the destination holds of the target's archive, as
// the check reads it: the newest chain of segments, and the gaps.
type ArchiveStatus struct {
	// Segments is how many segments the archive holds.
	Segments int
	// ReplID is the replication ID of the chain the archive follows (the
	// server's stream when the archive holds it), End the stream offset
	// its committed segments (or its base, before any segment) reach;
	// ReplID is empty when the archive holds nothing.
	ReplID string
	End    int64
	// Last is when the newest archived write was received (its
	// segment's last time, or its base's).
	Last time.Time
	// From and To are the newest window point-in-time recovery covers
	// (zero when no chain has a base to replay onto).
	From, To time.Time
	// Gaps are the times the kept archive cannot restore to, oldest
	// first.
	Gaps []ArchiveGap
}

// ArchiveGap is a time the archive cannot restore to, and why.
type ArchiveGap struct {
	From, To time.Time
	Reason   string
}

// hasArchive reports whether the target archives its write stream.
func hasArchive(e *env) bool { return e.t.Backup != nil && e.t.Backup.Archive != nil }

// archiveLag is how far the archive is behind the server: 0 when every
// byte of the server's stream (master_repl_offset) is in a committed
// segment, else the seconds since the newest archived write. The bytes a
// master adds with no data (its PINGs to replicas, 14 bytes every
// repl-ping-replica-period) are covered by the archiver only once a
// minute: while the archiver committed within that minute and no more
// than those PINGs are pending, nothing is missing.
func (e *env) archiveLag() Result {
	r := e.archiveBehind()
	if r.Status == Unknown {
		return r
	}
	if connected, known := e.archiverConnected(); known && !connected {
		r.Status = Worst(r.Status, Warning)
		r.Message = fmt.Sprintf("no archiver is connected (INFO replication lists no replica with port=0): writes from now on are not archived; "+
			"start redisplan archive -target %s. %s", e.t.Name, r.Message)
	}
	return r
}

// archiveBehind measures how far the archive is behind the server, from
// the archive and the server's offsets alone.
func (e *env) archiveBehind() Result {
	if e.in.ArchiveErr != nil {
		return Result{Status: Unknown, Message: "cannot read the archive: " + e.in.ArchiveErr.Error()}
	}
	warn, crit := e.levels(CheckArchiveLag, ptr(defaultArchiveLagWarning), ptr(defaultArchiveLagCritical))
	a := e.in.Archive
	if a == nil || a.ReplID == "" {
		return Result{Status: Critical, Warning: warn, Critical: crit,
			Message: fmt.Sprintf("nothing is archived yet: is redisplan archive -target %s running?", e.t.Name)}
	}
	replid, _ := e.info("master_replid")
	offset, ok := e.int("master_repl_offset")
	if !ok || replid == "" {
		return missing("master_replid", "master_repl_offset")
	}
	since := math.Max(0, math.Floor(e.in.Now.Sub(a.Last).Seconds()))
	levels := levelsText(warn, crit, "s", "")
	switch pending := offset - a.End; {
	case replid != a.ReplID:
		return measured(since, "s", warn, crit, fmt.Sprintf("the server's stream is %s and the archive's newest is %s, whose last write was archived %s ago: "+
			"the archiver has not followed the server since its replication ID changed (a restart or a failover); running, it takes a new base%s",
			short(replid), short(a.ReplID), humanDuration(since), levels))
	case pending < 0:
		r := measured(0, "s", warn, crit, fmt.Sprintf("the archive holds %d bytes of stream %s that the server does not (archived up to offset %d, the server is at %d): "+
			"the server lost writes the archive has (a restart from an older file?); restore -to-time latest brings them back%s",
			-pending, short(replid), a.End, offset, levels))
		r.Status = Worst(r.Status, Warning)
		return r
	case pending == 0:
		return measured(0, "s", warn, crit, fmt.Sprintf("every write of the server is archived (offset %d)%s", offset, levels))
	case e.pingsOnly(pending, since):
		return measured(0, "s", warn, crit, fmt.Sprintf("every write of the server is archived; the %d bytes after offset %d are no more than its PINGs to replicas, "+
			"which the archiver covers within a minute%s", pending, a.End, levels))
	default:
		return measured(since, "s", warn, crit, fmt.Sprintf("%s of the server's stream (offset %d to %d) is not archived; the newest archived write is %s old%s",
			humanBytes(float64(pending)), a.End, offset, humanDuration(since), levels))
	}
}

// archiverConnected reports whether INFO replication lists an archiver: a
// replica that announced no listening port (port=0), as redisplan
// archive does (it sends no REPLCONF listening-port). known is false
// when INFO does not say how many replicas are connected.
func (e *env) archiverConnected() (connected, known bool) {
	n, ok := e.int("connected_slaves")
	if !ok {
		return false, false
	}
	for i := int64(0); i < n; i++ {
		v, ok := e.info("slave" + strconv.FormatInt(i, 10))
		if ok && redisinfo.Values(v)["port"] == "0" {
			return true, true
		}
	}
	return false, true
}

// pingsOnly reports whether pending bytes of stream, the newest archived
// write being since seconds old, can be nothing but the master's PINGs:
// at most one per ping period since then (and one more for the period
// under way), while the archiver committed within its idle interval and
// the flush.
func (e *env) pingsOnly(pending int64, since float64) bool {
	period := defaultPingPeriod
	if s, ok := e.in.Config["repl-ping-replica-period"]; ok {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
			period = time.Duration(n) * time.Second
		}
	}
	age := time.Duration(since * float64(time.Second))
	if age > archiveIdleCommit+e.t.Backup.Archive.Flush {
		return false
	}
	pings := int64(age/period) + 1
	return pending%pingBytes == 0 && pending <= pings*pingBytes
}

// archiveGap reports the times within retention that the archive cannot
// restore to: a server restarted or failed over under the archiver, an
// archiver stopped longer than the server's backlog, segments deleted.
// Each gap stays reported until retention removes the bases before it.
func (e *env) archiveGap() Result {
	if e.in.ArchiveErr != nil {
		return Result{Status: Unknown, Message: "cannot read the archive: " + e.in.ArchiveErr.Error()}
	}
	a := e.in.Archive
	if a == nil || a.ReplID == "" {
		return Result{Status: OK, Value: ptr(0), Message: "nothing is archived yet, so nothing is missing from it (archive_lag says why)"}
	}
	window := "no point-in-time recovery yet: no kept base backup is in the archived stream"
	if !a.From.IsZero() {
		window = "point-in-time recovery from " + a.From.UTC().Format(time.RFC3339) + " to " + a.To.UTC().Format(time.RFC3339)
	}
	if len(a.Gaps) == 0 {
		return Result{Status: OK, Value: ptr(0), Message: "no gap in the archive; " + window}
	}
	var parts []string
	for _, g := range a.Gaps {
		parts = append(parts, fmt.Sprintf("%s to %s (%s)", g.From.UTC().Format(time.RFC3339), g.To.UTC().Format(time.RFC3339), g.Reason))
	}
	noun := "gap"
	if len(a.Gaps) > 1 {
		noun = "gaps"
	}
	return Result{Status: e.severity(CheckArchiveGap, Warning), Value: ptr(float64(len(a.Gaps))),
		Message: fmt.Sprintf("%d %s in the archive, times no restore can reach: %s; newest %s", len(a.Gaps), noun, strings.Join(parts, "; "), window)}
}

// short is the first 8 characters of a replication ID, enough to tell
// two apart in a message.
func short(replid string) string {
	if len(replid) > 8 {
		return replid[:8]
	}
	return replid
}

// ArchiveMetrics describes a target's archive for WritePrometheus.
type ArchiveMetrics struct {
	// LagSeconds is archive_lag's figure; nil when it could not be
	// measured (the server unreachable, nothing archived).
	LagSeconds *float64
	// Last is when the newest archived write was received; zero when
	// nothing is archived.
	Last time.Time
	// From and To are the newest point-in-time recovery window; zero
	// when there is none.
	From, To time.Time
	Segments int
	Gaps     int
	// ArchiverConnected is whether INFO replication listed an archiver
	// among the server's replicas; nil when the server was not read.
	ArchiverConnected *bool
}

// archiveFamilies returns the archive's metric families, empty. Their
// names are redisplan's own: redis_exporter has no archive, and no name
// here is one of its names.
func archiveFamilies() []*family {
	return []*family{
		{name: "redisplan_archive_lag_seconds", typ: "gauge", help: "Seconds the archive is behind the server when the check ran: 0 when every write is archived, else the age of the newest archived write."},
		{name: "redisplan_archive_last_write_timestamp_seconds", typ: "gauge", help: "When the newest archived write was received, as a Unix time; 0 when nothing is archived."},
		{name: "redisplan_archive_recovery_window_start_timestamp_seconds", typ: "gauge", help: "Start of the newest point-in-time recovery window, as a Unix time; absent when there is none."},
		{name: "redisplan_archive_recovery_window_end_timestamp_seconds", typ: "gauge", help: "End of the newest point-in-time recovery window, as a Unix time; absent when there is none."},
		{name: "redisplan_archive_segments", typ: "gauge", help: "Segments the archive holds."},
		{name: "redisplan_archive_gaps", typ: "gauge", help: "Times within retention that the archive cannot restore to."},
		{name: "redisplan_archive_archiver_connected", typ: "gauge", help: "1 when the server lists an archiver among its replicas when the check ran, 0 when none is connected and writes are not archived."},
	}
}

// archiveMetricsOf returns the archive's figures, nil when the target has
// no archive or it could not be read.
func archiveMetricsOf(in Input) *ArchiveMetrics {
	e := &env{in: in, t: in.Target}
	if !hasArchive(e) || in.ArchiveErr != nil || in.Archive == nil {
		return nil
	}
	a := in.Archive
	m := &ArchiveMetrics{Last: a.Last, From: a.From, To: a.To, Segments: a.Segments, Gaps: len(a.Gaps)}
	if in.LiveErr == nil {
		if r := e.archiveLag(); r.Value != nil && r.Status != Unknown {
			m.LagSeconds = ptr(*r.Value)
		}
		if connected, known := e.archiverConnected(); known {
			m.ArchiverConnected = &connected
		}
	}
	return m
}

// add adds the figures to the families, labelled tl.
func (m *ArchiveMetrics) add(byName map[string]*family, tl [][2]string) {
	if m == nil {
		return
	}
	unix := func(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }
	if m.LagSeconds != nil {
		byName["redisplan_archive_lag_seconds"].add(tl, *m.LagSeconds)
	}
	last := 0.0
	if !m.Last.IsZero() {
		last = unix(m.Last)
	}
	byName["redisplan_archive_last_write_timestamp_seconds"].add(tl, last)
	if !m.From.IsZero() {
		byName["redisplan_archive_recovery_window_start_timestamp_seconds"].add(tl, unix(m.From))
		byName["redisplan_archive_recovery_window_end_timestamp_seconds"].add(tl, unix(m.To))
	}
	byName["redisplan_archive_segments"].add(tl, float64(m.Segments))
	byName["redisplan_archive_gaps"].add(tl, float64(m.Gaps))
	if m.ArchiverConnected != nil {
		connected := 0.0
		if *m.ArchiverConnected {
			connected = 1
		}
		byName["redisplan_archive_archiver_connected"].add(tl, connected)
	}
}
