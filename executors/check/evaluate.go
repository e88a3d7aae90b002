package check

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/backup/capture"
	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/executors/restore"
	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/rdb"
	"github.com/redisplan/redisplan/internal/redisinfo"
	"github.com/redisplan/redisplan/internal/units"
)

// Input is everything one evaluation of a target looks at. Gather fills it
// from the server, the service command and the backup catalog; tests build
// it by hand.
type Input struct {
	Target *model.Target
	// Now is the time of the run. Ages are measured from it, except that
	// the age of the last save uses the server's own clock when INFO
	// reports it (server_time_usec).
	Now time.Time

	// LiveErr is set when the server could not be read at all: nothing
	// answers, authentication failed, INFO was refused. Its message names
	// the address and the cause.
	LiveErr error
	// Info holds the fields of INFO's default sections (server, clients,
	// memory, persistence, stats, replication, keyspace, ...); keyspace
	// lines keep their whole value: db0 -> "keys=1,expires=0,avg_ttl=0".
	Info map[string]string
	// Config holds CONFIG GET of the directives the checks need
	// (ConfigNames). ConfigErr says why it is missing when the server
	// answered INFO but refused CONFIG GET.
	Config    map[string]string
	ConfigErr error

	// ServiceErr is the result of the target's service status command,
	// nil when the target has none.
	ServiceErr *error

	// Backups is the target's backup catalog, oldest first; nil with
	// BackupsErr when it could not be read, and nil without an error when
	// the target has no backup block.
	Backups    []*backup.Manifest
	BackupsErr error
	// Archive is what the destination holds of the target's archive;
	// nil with ArchiveErr when it could not be read, nil without an
	// error when the target has no archive block.
	Archive    *ArchiveStatus
	ArchiveErr error

	// OtherBackups says what the target's backup folder holds that is
	// another spec's and was left out of Backups (a destination two
	// specs' targets of the same name share), such as `2 of spec
	// /srv/b/redis.hcl, target "main"`; empty when nothing.
	OtherBackups string

	// Previous is the previous run's sample of the counters, nil on the
	// first run.
	Previous *Sample

	// Latency is LATENCY LATEST; LatencyErr says why it is missing.
	Latency    []LatencyEvent
	LatencyErr error
	// SlowlogLen is SLOWLOG LEN; SlowlogErr says why it is missing.
	SlowlogLen int64
	SlowlogErr error

	// Replicas are the target's replicas (declared, or listed by its
	// INFO replication) with their CONFIG GET of ConfigNames; nil when
	// the target has none.
	Replicas []ReplicaConfig

	// RewriteHold is the record a backup run keeps while it holds
	// automatic AOF rewrites off (auto-aof-rewrite-percentage 0), nil when
	// there is none; RewriteHolding says whether its process still runs.
	RewriteHold    *capture.RewriteHold
	RewriteHolding bool
	// ConfigFileHold is true when the target's config file sets
	// min-replicas-to-write to restore.HoldToWrite. RestoreRecord is the
	// record a restore keeps beside the lock (at RestoreRecordPath), nil
	// when there is none.
	// RestoreRunning says that the restore that keeps the record runs.
	ConfigFileHold    bool
	RestoreRecord     *restore.Record
	RestoreRecordPath string
	RestoreRunning    bool
	// RestartRecord is the record a restart keeps beside the lock, nil
	// when there is none; with Mismatch set, the restart left the server
	// refusing writes because its data differs from before its stop.
	RestartRecord *live.RestartRecord
}

// ReplicaConfig is what one replica of the target reports.
type ReplicaConfig struct {
	Address string
	Config  map[string]string
	// Err says why the replica could not be read.
	Err error
}

// Sample is what one run keeps for the next: the counters whose growth the
// checks judge, and the server's run_id to notice a restart (which resets
// them). A counter that could not be read is -1.
type Sample struct {
	Time                time.Time `json:"time"`
	EvictedKeys         int64     `json:"evicted_keys"`
	RejectedConnections int64     `json:"rejected_connections"`
	AOFDelayedFsync     int64     `json:"aof_delayed_fsync"`
	SlowlogLen          int64     `json:"slowlog_len"`
	RunID               string    `json:"run_id"`
	// Latency maps each LATENCY LATEST event to the Unix time of its
	// latest spike, so that the next run reports only new spikes whatever
	// the two clocks say. Nil when it was not read.
	Latency map[string]int64 `json:"latency,omitempty"`
}

// LatencyEvent is one line of LATENCY LATEST.
type LatencyEvent struct {
	Event        string
	LatestMillis int64
	MaxMillis    int64
	// Time is when the latest spike of the event happened.
	Time time.Time
}

// Check names, stable: alerts, metrics and the state file use them.
const (
	CheckReachable               = "reachable"
	CheckService                 = "service"
	CheckInterruptedRestore      = "interrupted_restore"
	CheckMemoryUsedPercent       = "memory_used_percent"
	CheckFragmentationRatio      = "fragmentation_ratio"
	CheckRDBLastBgsave           = "rdb_last_bgsave"
	CheckLastSaveAge             = "last_save_age"
	CheckBgsaveDuration          = "bgsave_duration"
	CheckAOF                     = "aof"
	CheckPersistenceDrift        = "persistence_drift"
	CheckReplicaPersistence      = "replica_persistence"
	CheckBackupAge               = "backup_age"
	CheckBackupLoadable          = "backup_loadable"
	CheckEvictedKeys             = "evicted_keys"
	CheckRejectedConnections     = "rejected_connections"
	CheckConnectedClients        = "connected_clients"
	CheckConnectedClientsPercent = "connected_clients_percent"
	CheckBlockedClients          = "blocked_clients"
	CheckReplication             = "replication"
	CheckReplicationLag          = "replication_lag"
	CheckKeyspace                = "keyspace"
	CheckLatency                 = "latency"
	CheckSlowlog                 = "slowlog"
)

// Names of the spec's pass/fail thresholds, which set a severity.
const (
	severityRDBSaveFailed    = "rdb_save_failed"
	severityAOFWriteFailed   = "aof_write_failed"
	severityAOFRewriteFailed = "aof_rewrite_failed"
	severityBackupUnloadable = "backup_unloadable"
)

// Default levels, used when the spec has no block for the check. They
// follow the alert rules that ship with the community redis_exporter, and
// the seed system's 25 hours for backups.
const (
	defaultMemoryWarning  = 80.0
	defaultMemoryCritical = 90.0
	defaultClientsWarning = 80.0
	defaultClientsCrit    = 95.0
	defaultBackupCritical = float64(25 * 60 * 60) // 25h in seconds
	anyGrowth             = 0.0
)

// The fragmentation ratio is not judged when little is at stake: below
// minFragmentationMemory of used memory (a near-empty server's ratio is
// large from a few MB of allocator and RSS overhead; Redis's MEMORY DOCTOR
// refuses to judge below the same 5MB), or when RSS and used memory differ
// by less than minFragmentationGap.
const (
	minFragmentationMemory = 5 << 20
	minFragmentationGap    = 10 << 20
)

// persistenceDirectives are the directives persistence_drift compares, in
// the order its message names them.
var persistenceDirectives = []string{
	"save", "appendonly", "appendfsync", "aof-use-rdb-preamble",
	"auto-aof-rewrite-percentage", "auto-aof-rewrite-min-size",
	"rdbcompression", "rdbchecksum", "stop-writes-on-bgsave-error", "dbfilename",
	// A file name that differs from the spec is a restart away from an
	// empty server (apply -allow-restart carries the files over).
	"appendfilename", "appenddirname",
}

// configBase are the directives Gather always asks CONFIG GET for.
var configBase = []string{"maxmemory", "maxclients", "save", "appendonly", "appendfsync", "latency-monitor-threshold", "auto-aof-rewrite-percentage",
	"min-replicas-to-write"}

// ConfigNames returns the directives the checks read with CONFIG GET for
// the target: the base set and every persistence directive the spec
// manages.
func ConfigNames(t *model.Target) []string {
	names := slices.Clone(configBase)
	for _, n := range persistenceDirectives {
		if t.Directive(n) != nil && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	if t.Backup != nil && t.Backup.Archive != nil {
		// archive_lag tells the master's PINGs from writes by it.
		names = append(names, "repl-ping-replica-period")
	}
	return names
}

// unreachableMessage is the message of every check that needs the server
// when it could not be read.
const unreachableMessage = "server unreachable"

// need says what a check reads.
type need int

const (
	needNothing need = iota // the spec and the catalog only
	needLive                // INFO (and maybe more) of a reachable server
)

// checkDef is one check: whether it runs for the target (decided from the
// spec alone, so that an unreachable server still lists it), and how it is
// judged.
type checkDef struct {
	name    string
	needs   need
	applies func(e *env) bool
	run     func(e *env) Result
}

// checks lists every check in the order results are reported.
var checks = []checkDef{
	{CheckReachable, needNothing, nil, (*env).reachable},
	{CheckService, needNothing, func(e *env) bool { return e.in.ServiceErr != nil }, (*env).service},
	{CheckInterruptedRestore, needNothing, func(e *env) bool {
		return e.restoreHold() != "" || e.in.LiveErr != nil && e.in.RestoreRecord != nil
	}, (*env).interruptedRestore},
	{CheckMemoryUsedPercent, needLive, nil, (*env).memoryUsedPercent},
	{CheckFragmentationRatio, needLive, hasThreshold(CheckFragmentationRatio), (*env).fragmentationRatio},
	{CheckRDBLastBgsave, needLive, nil, (*env).rdbLastBgsave},
	{CheckLastSaveAge, needLive, hasThreshold(CheckLastSaveAge), (*env).lastSaveAge},
	{CheckBgsaveDuration, needLive, hasThreshold(CheckBgsaveDuration), (*env).bgsaveDuration},
	{CheckAOF, needLive, nil, (*env).aof},
	{CheckPersistenceDrift, needLive, managesPersistence, (*env).persistenceDrift},
	{CheckReplicaPersistence, needLive, func(e *env) bool { return e.t.Replication != nil && managesPersistence(e) }, (*env).replicaPersistence},
	{CheckBackupAge, needNothing, func(e *env) bool { return e.t.Backup != nil }, (*env).backupAge},
	{CheckBackupLoadable, needLive, judgesRDBVersion, (*env).backupLoadable},
	{CheckArchiveLag, needLive, hasArchive, (*env).archiveLag},
	{CheckArchiveGap, needNothing, hasArchive, (*env).archiveGap},
	{CheckEvictedKeys, needLive, nil, (*env).evictedKeys},
	{CheckRejectedConnections, needLive, nil, (*env).rejectedConnections},
	{CheckConnectedClients, needLive, hasThreshold(CheckConnectedClients), (*env).connectedClients},
	{CheckConnectedClientsPercent, needLive, nil, (*env).connectedClientsPercent},
	{CheckBlockedClients, needLive, hasThreshold(CheckBlockedClients), (*env).blockedClients},
	{CheckReplication, needLive, nil, (*env).replication},
	{CheckReplicationLag, needLive, hasThreshold(CheckReplicationLag), (*env).replicationLag},
	{CheckKeyspace, needLive, nil, (*env).keyspace},
	{CheckLatency, needLive, nil, (*env).latency},
	{CheckSlowlog, needLive, nil, (*env).slowlog},
}

// judgesRDBVersion says whether backup_loadable has something to judge:
// the target's newest verified backup records its RDB version (an AOF of
// commands, and a manifest older than the field, record none).
func judgesRDBVersion(e *env) bool {
	if e.t.Backup == nil || e.in.BackupsErr != nil {
		return false
	}
	m := newestVerified(e.in.Backups)
	return m != nil && m.RDBVersion > 0
}

func hasThreshold(name string) func(e *env) bool {
	return func(e *env) bool { return e.threshold(name) != nil }
}

func managesPersistence(e *env) bool {
	for _, n := range persistenceDirectives {
		if e.t.Directive(n) != nil {
			return true
		}
	}
	return false
}

// Evaluate judges the input against the target's thresholds. It does no
// I/O and returns the results in a fixed order. When the server could not
// be read, reachable is critical and every other check that needs the
// server is unknown; the service and backup checks are judged all the same.
func Evaluate(in Input) []Result {
	e := &env{in: in, t: in.Target}
	var out []Result
	for _, c := range checks {
		if c.applies != nil && !c.applies(e) {
			continue
		}
		var r Result
		if c.needs == needLive && in.LiveErr != nil {
			r = Result{Status: Unknown, Message: unreachableMessage}
		} else {
			r = c.run(e)
		}
		r.Target = e.t.Name
		r.Name = c.name
		r.Message = oneLine(r.Message)
		out = append(out, r)
	}
	return out
}

// SampleOf returns what to keep for the next run. When the server could
// not be read it returns the previous sample unchanged (or an empty one),
// so that the next run measures growth from the last good reading.
func SampleOf(in Input) Sample {
	if in.LiveErr != nil {
		if in.Previous != nil {
			return *in.Previous
		}
		return Sample{EvictedKeys: -1, RejectedConnections: -1, AOFDelayedFsync: -1, SlowlogLen: -1}
	}
	e := &env{in: in, t: in.Target}
	counter := func(key string) int64 {
		if v, ok := e.int(key); ok {
			return v
		}
		return -1
	}
	s := Sample{
		Time:                in.Now,
		RunID:               in.Info["run_id"],
		EvictedKeys:         counter("evicted_keys"),
		RejectedConnections: counter("rejected_connections"),
		AOFDelayedFsync:     counter("aof_delayed_fsync"),
		SlowlogLen:          in.SlowlogLen,
	}
	if in.SlowlogErr != nil {
		s.SlowlogLen = -1
	}
	if in.LatencyErr == nil {
		s.Latency = make(map[string]int64, len(in.Latency))
		for _, ev := range in.Latency {
			s.Latency[ev.Event] = ev.Time.Unix()
		}
	}
	return s
}

// env is one evaluation.
type env struct {
	in Input
	t  *model.Target
}

func (e *env) info(key string) (string, bool) {
	v, ok := e.in.Info[key]
	return v, ok
}

func (e *env) int(key string) (int64, bool) {
	v, ok := e.in.Info[key]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	return n, err == nil
}

func (e *env) float(key string) (float64, bool) {
	v, ok := e.in.Info[key]
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// infoOrConfig reads an integer from INFO, else from CONFIG GET.
func (e *env) infoOrConfig(infoKey, directive string) (int64, bool) {
	if v, ok := e.int(infoKey); ok {
		return v, true
	}
	if s, ok := e.in.Config[directive]; ok {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, true
		}
	}
	return 0, false
}

// missing is the unknown result for an INFO field the server did not
// report.
func missing(fields ...string) Result {
	return Result{Status: Unknown, Message: "INFO does not report " + strings.Join(fields, " or ")}
}

// threshold returns the spec's threshold block for the check, or nil.
func (e *env) threshold(name string) *model.Threshold { return e.t.Threshold(name) }

// levels returns copies of the check's warning and critical levels: the
// spec's block when it has one (a level it leaves out stays unset), else
// the defaults.
func (e *env) levels(name string, warn, crit *float64) (*float64, *float64) {
	if th := e.threshold(name); th != nil {
		warn, crit = th.Warning, th.Critical
	}
	return clone(warn), clone(crit)
}

func clone(p *float64) *float64 {
	if p == nil {
		return nil
	}
	return ptr(*p)
}

// severity returns the status a failed pass/fail check has: the spec's
// severity for it, else def.
func (e *env) severity(name string, def Status) Status {
	if th := e.threshold(name); th != nil {
		switch th.Severity {
		case "warning":
			return Warning
		case "critical":
			return Critical
		}
	}
	return def
}

// grade judges a value against levels: above critical is critical, above
// warning is warning. Levels are exclusive, as in the Nagios plugin
// guidelines: a warning at 0 fires on anything above 0.
func grade(v float64, warn, crit *float64) Status {
	if crit != nil && v > *crit {
		return Critical
	}
	if warn != nil && v > *warn {
		return Warning
	}
	return OK
}

// measured builds a graded result.
func measured(v float64, unit string, warn, crit *float64, msg string) Result {
	return Result{Status: grade(v, warn, crit), Value: ptr(v), Unit: unit, Warning: warn, Critical: crit, Message: msg}
}

func ptr(v float64) *float64 { return &v }

// levelsText is " (warning at 80%, critical at 90%)", or "" without levels.
func levelsText(warn, crit *float64, unit, suffix string) string {
	var parts []string
	if warn != nil {
		parts = append(parts, "warning at "+formatValue(*warn, unit)+suffix)
	}
	if crit != nil {
		parts = append(parts, "critical at "+formatValue(*crit, unit)+suffix)
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func (e *env) reachable() Result {
	if e.in.LiveErr != nil {
		return Result{Status: Critical, Message: e.in.LiveErr.Error()}
	}
	msg := e.t.Connection.Address + " answers"
	if v, ok := e.info("redis_version"); ok {
		server := "redis"
		if vk, ok := e.info("valkey_version"); ok {
			server, v = "valkey", vk
		}
		msg += ": " + server + " " + v
	}
	if up, ok := e.int("uptime_in_seconds"); ok {
		msg += ", up " + humanDuration(float64(up))
	}
	if l, _ := e.info("loading"); l == "1" {
		return Result{Status: Warning, Message: msg + ", still loading its data (loading:1): it refuses most commands until done"}
	}
	return Result{Status: OK, Message: msg}
}

func (e *env) service() Result {
	if err := *e.in.ServiceErr; err != nil {
		return Result{Status: Critical, Message: err.Error()}
	}
	return Result{Status: OK, Message: "the service status command succeeded"}
}

// restoreHold says where the server holds min-replicas-to-write at the
// value a restore gives the restored server until its keys are checked:
// "live", "in <config file>", both, or "" when nowhere. That value is
// redisplan's, never a user's: every write is refused with -NOREPLICAS.
func (e *env) restoreHold() string {
	var where []string
	if e.in.LiveErr == nil && e.in.Config["min-replicas-to-write"] == restore.HoldToWrite {
		where = append(where, "live")
	}
	if e.in.ConfigFileHold {
		where = append(where, "in "+e.t.ConfigFile)
	}
	return strings.Join(where, " and ")
}

// interruptedRestore reports a server left refusing writes by a restore
// that was interrupted before it checked the restored data.
func (e *env) interruptedRestore() Result {
	where := e.restoreHold()
	if r := e.in.RestoreRecord; r != nil && e.in.RestoreRunning {
		return Result{Status: Warning, Message: fmt.Sprintf("a restore of backup %s (pid %d, since %s) is running: the server "+
			"is down or refuses writes until it has checked the restored data", r.BackupID, r.PID, r.Time.UTC().Format(time.RFC3339))}
	}
	if r := e.in.RestoreRecord; where == "" && r != nil {
		return Result{Status: Critical, Message: fmt.Sprintf("the server does not answer, and a restore of backup %s (pid %d, %s) "+
			"that stopped it was interrupted %s (its record: %s): run redisplan restore again, which puts the original files back, "+
			"starts the server with the service start command and then restores",
			r.BackupID, r.PID, r.Time.UTC().Format(time.RFC3339), restore.PhaseWords(r.Phase), e.in.RestoreRecordPath)}
	}
	if r := e.in.RestartRecord; e.in.RestoreRecord == nil && r != nil && r.Mismatch != "" {
		return Result{Status: Critical, Message: fmt.Sprintf("min-replicas-to-write is %s (%s): a restart by redisplan apply "+
			"(pid %d, %s) left the server running with other data than it held before its stop (%s) and made it refuse every "+
			"write; look at the data, then restore a backup (redisplan restore), or, if the data is right as it is, let writes in "+
			"again with %s; apply refuses this server until then", restore.HoldToWrite, where, r.PID, r.Time.UTC().Format(time.RFC3339),
			r.Mismatch, r.LiftWords())}
	}
	msg := fmt.Sprintf("min-replicas-to-write is %s (%s): the value a restore holds while it checks the restored data, "+
		"left by a restore that was interrupted", restore.HoldToWrite, where)
	if where != "in "+e.t.ConfigFile {
		msg += "; the server refuses every write (-NOREPLICAS)"
	} else {
		msg += "; the server refuses every write from its next start"
	}
	if r := e.in.RestoreRecord; r != nil {
		msg += fmt.Sprintf("; the restore of backup %s (pid %d, %s) stopped %s, and its record %s keeps your values (%s)",
			r.BackupID, r.PID, r.Time.UTC().Format(time.RFC3339), restore.PhaseWords(r.Phase), e.in.RestoreRecordPath, r.UserValues())
	}
	msg += "; run redisplan restore again to finish it (it checks the data and puts your values back); apply refuses this server until then"
	return Result{Status: Critical, Message: msg}
}

func (e *env) memoryUsedPercent() Result {
	used, ok := e.int("used_memory")
	if !ok {
		return missing("used_memory")
	}
	maxmem, ok := e.infoOrConfig("maxmemory", "maxmemory")
	if !ok {
		return e.configUnknown("maxmemory")
	}
	if maxmem <= 0 {
		return Result{Status: OK, Message: "maxmemory is 0 (no limit): usage is not a percentage"}
	}
	pct := float64(used) * 100 / float64(maxmem)
	warn, crit := e.levels(CheckMemoryUsedPercent, ptr(defaultMemoryWarning), ptr(defaultMemoryCritical))
	return measured(pct, "%", warn, crit, fmt.Sprintf("memory used %s of %s%s",
		formatValue(pct, "%"), humanBytes(float64(maxmem)), levelsText(warn, crit, "%", "")))
}

// configUnknown is the unknown result for a figure neither INFO nor
// CONFIG GET gave.
func (e *env) configUnknown(directive string) Result {
	msg := "neither INFO nor CONFIG GET reports " + directive
	if e.in.ConfigErr != nil {
		msg += ": " + e.in.ConfigErr.Error()
	}
	return Result{Status: Unknown, Message: msg}
}

func (e *env) fragmentationRatio() Result {
	ratio, ok := e.float("mem_fragmentation_ratio")
	if !ok {
		return missing("mem_fragmentation_ratio")
	}
	warn, crit := e.levels(CheckFragmentationRatio, nil, nil)
	notJudged := func(why string) Result {
		return Result{Status: OK, Value: ptr(ratio), Unit: "ratio", Warning: warn, Critical: crit,
			Message: fmt.Sprintf("fragmentation ratio %s, not judged: %s%s", formatValue(ratio, "ratio"), why, levelsText(warn, crit, "ratio", ""))}
	}
	if used, ok := e.int("used_memory"); ok && used < minFragmentationMemory {
		return notJudged(humanBytes(float64(used)) + " used is too little for the ratio to matter")
	}
	if gap, ok := e.int("mem_fragmentation_bytes"); ok && gap < minFragmentationGap && gap > -minFragmentationGap {
		return notJudged("RSS and used memory differ by only " + humanBytes(math.Abs(float64(gap))))
	}
	return measured(ratio, "ratio", warn, crit, fmt.Sprintf("fragmentation ratio %s%s",
		formatValue(ratio, "ratio"), levelsText(warn, crit, "ratio", "")))
}

func (e *env) rdbLastBgsave() Result {
	status, ok := e.info("rdb_last_bgsave_status")
	if !ok {
		return missing("rdb_last_bgsave_status")
	}
	if status != "ok" {
		msg := fmt.Sprintf("the last BGSAVE failed (rdb_last_bgsave_status:%s)", status)
		if n, ok := e.int("rdb_changes_since_last_save"); ok && n > 0 {
			msg += fmt.Sprintf("; %s not on disk", units.Plural(n, "change is", "changes are"))
		}
		msg += "; the server's log says why (often the permissions of dir, or disk space)"
		return Result{Status: e.severity(severityRDBSaveFailed, Critical), Message: msg}
	}
	msg := "the last BGSAVE succeeded"
	if d, ok := e.int("rdb_last_bgsave_time_sec"); ok && d < 0 {
		msg = "no BGSAVE since the server started"
	} else if ok {
		msg += " in " + humanDuration(float64(d))
	}
	if p, _ := e.info("rdb_bgsave_in_progress"); p == "1" {
		msg += "; one is running"
	}
	return Result{Status: OK, Message: msg}
}

// serverNow is the server's clock when INFO reports it, else the run's.
func (e *env) serverNow() float64 {
	if us, ok := e.int("server_time_usec"); ok && us > 0 {
		return float64(us) / 1e6
	}
	return float64(e.in.Now.UnixNano()) / 1e9
}

func (e *env) lastSaveAge() Result {
	last, ok := e.int("rdb_last_save_time")
	if !ok {
		return missing("rdb_last_save_time")
	}
	age := math.Max(0, math.Floor(e.serverNow())-float64(last))
	warn, crit := e.levels(CheckLastSaveAge, nil, nil)
	msg := "last successful save " + humanDuration(age) + " ago"
	// rdb_last_save_time is set to the start time when the server starts:
	// an age as large as the uptime means no save since then, not a save
	// at startup.
	if up, ok := e.int("uptime_in_seconds"); ok && age+1 >= float64(up) {
		msg = fmt.Sprintf("no save since the server started %s ago; rdb_last_save_time resets at restart, so the data on disk may be older",
			humanDuration(float64(up)))
	}
	return measured(age, "s", warn, crit, msg+levelsText(warn, crit, "s", ""))
}

func (e *env) bgsaveDuration() Result {
	warn, crit := e.levels(CheckBgsaveDuration, nil, nil)
	if p, _ := e.info("rdb_bgsave_in_progress"); p != "1" {
		msg := "no BGSAVE running"
		if d, ok := e.int("rdb_last_bgsave_time_sec"); ok && d >= 0 {
			msg += "; the last took " + humanDuration(float64(d))
		}
		return measured(0, "s", warn, crit, msg+levelsText(warn, crit, "s", ""))
	}
	d, ok := e.int("rdb_current_bgsave_time_sec")
	if !ok {
		return missing("rdb_current_bgsave_time_sec")
	}
	return measured(float64(d), "s", warn, crit, "BGSAVE running for "+humanDuration(float64(d))+levelsText(warn, crit, "s", ""))
}

func (e *env) aof() Result {
	enabled, ok := e.info("aof_enabled")
	if !ok {
		return missing("aof_enabled")
	}
	on := enabled == "1"
	var (
		status   = OK
		problems []string
	)
	if d := e.t.Directive("appendonly"); d != nil {
		want := strings.EqualFold(d.Value, "yes")
		switch {
		case want && !on:
			status = Critical
			problems = append(problems, "AOF is off but the spec says appendonly yes")
		case !want && on:
			status = Critical
			problems = append(problems, "AOF is on but the spec says appendonly no")
		}
	}
	if on {
		if s, ok := e.info("aof_last_write_status"); ok && s != "ok" {
			status = Worst(status, e.severity(severityAOFWriteFailed, Critical))
			problems = append(problems, fmt.Sprintf("the last AOF write failed (aof_last_write_status:%s): check disk space and the server's log", s))
		}
		if s, ok := e.info("aof_last_bgrewrite_status"); ok && s != "ok" {
			status = Worst(status, e.severity(severityAOFRewriteFailed, Critical))
			problems = append(problems, fmt.Sprintf("the last AOF rewrite failed (aof_last_bgrewrite_status:%s): the server's log says why", s))
		}
		if cur, ok := e.int("aof_delayed_fsync"); ok {
			if prev, ok := e.comparable(func(s *Sample) int64 { return s.AOFDelayedFsync }, cur); ok && cur > prev {
				status = Worst(status, Warning)
				problems = append(problems, fmt.Sprintf("aof_delayed_fsync grew by %d since the previous run: fsync is slower than appendfsync everysec needs", cur-prev))
			}
		}
		if msg, st := e.rewritesOff(); msg != "" {
			status = Worst(status, st)
			problems = append(problems, msg)
		}
	}
	if len(problems) > 0 {
		return Result{Status: status, Message: strings.Join(problems, "; ")}
	}
	if !on {
		msg := "AOF is off"
		if e.t.Directive("appendonly") != nil {
			msg += ", as the spec says"
		}
		return Result{Status: OK, Message: msg}
	}
	msg := "AOF is on"
	if f := e.in.Config["appendfsync"]; f != "" {
		msg += " (appendfsync " + f + ")"
	}
	msg += ", the last write and rewrite succeeded"
	return Result{Status: OK, Message: msg}
}

// rewritesOff judges auto-aof-rewrite-percentage 0 with AOF on when the
// spec does not ask for 0: automatic rewrites are off, and the AOF grows
// until the disk is full. A backup run holds them off while it copies the
// AOF (OK while its process runs); a run killed meanwhile leaves 0, which
// its record tells apart from a user's setting. It returns "" when there
// is nothing to say.
func (e *env) rewritesOff() (string, Status) {
	const name = "auto-aof-rewrite-percentage"
	if e.in.Config[name] != "0" {
		return "", OK
	}
	if d := e.t.Directive(name); d != nil && strings.TrimSpace(d.Value) == "0" {
		return "", OK
	}
	h := e.in.RewriteHold
	if h != nil && h.Address == e.t.Connection.Address && h.RunID == e.in.Info["run_id"] {
		if e.in.RewriteHolding {
			return "", OK
		}
		return fmt.Sprintf("automatic AOF rewrites are off (%s 0): a backup run (pid %d) was stopped at %s while it held them off; "+
			"the next backup run puts back the value %s, or set it now: CONFIG SET %s %s",
			name, h.PID, h.Time.UTC().Format(time.RFC3339), h.Original, name, h.Original), Warning
	}
	return fmt.Sprintf("automatic AOF rewrites are off (%s 0) but the spec does not ask for 0: the AOF grows until the disk is full; "+
		"set it back (the default is 100), or set persistence.aof.rewrite_percentage = 0 in the spec if it is meant", name), Warning
}

// comparable returns the previous run's value of a counter when growth can
// be measured against it: same server process, counter read both times and
// not reset since.
func (e *env) comparable(field func(*Sample) int64, cur int64) (int64, bool) {
	_, ok := e.firstSample(field, cur)
	if ok {
		return 0, false
	}
	return field(e.in.Previous), true
}

// firstSample says why growth of a counter cannot be measured this run,
// with ok true; ok is false when it can.
func (e *env) firstSample(field func(*Sample) int64, cur int64) (why string, ok bool) {
	p := e.in.Previous
	switch {
	case p == nil || (p.RunID == "" && p.Time.IsZero()):
		return "first sample", true
	case p.RunID != e.in.Info["run_id"]:
		return "first sample since the server restarted", true
	case field(p) < 0:
		return "first sample: the previous run could not read the counter", true
	case cur < field(p):
		return "first sample since the counter was reset", true
	case !e.in.Now.After(p.Time):
		return "first sample: the previous sample is not older than this run", true
	}
	return "", false
}

func (e *env) persistenceDrift() Result {
	if e.in.ConfigErr != nil {
		return Result{Status: Unknown, Message: "cannot compare persistence with the spec: " + e.in.ConfigErr.Error()}
	}
	norm := e.normalizer()
	var diffs, unread []string
	for _, name := range persistenceDirectives {
		d := e.t.Directive(name)
		if d == nil {
			continue
		}
		liveV, ok := e.in.Config[name]
		if !ok {
			unread = append(unread, name)
			continue
		}
		l, s := norm(name, liveV), norm(name, d.Value)
		if l != s {
			if d.Sensitive {
				// A value from a sensitive variable is never shown.
				diffs = append(diffs, name+" differs from the spec (the value is sensitive)")
			} else {
				diffs = append(diffs, fmt.Sprintf("%s is %s live, %s in the spec", name, quoteValue(l), quoteValue(s)))
			}
		}
	}
	crit := 0.0
	if len(diffs) > 0 {
		msg := strings.Join(diffs, "; ")
		if e.specPersists() && e.liveSave() == "" && strings.EqualFold(e.in.Config["appendonly"], "no") {
			msg = `persistence was switched off: save "" and appendonly no; ` + msg
		}
		if len(unread) > 0 {
			msg += "; CONFIG GET did not report " + strings.Join(unread, ", ")
		}
		return Result{Status: Critical, Value: ptr(float64(len(diffs))), Critical: &crit, Message: msg}
	}
	if len(unread) > 0 {
		return Result{Status: Unknown, Message: "CONFIG GET did not report " + strings.Join(unread, ", ")}
	}
	return Result{Status: OK, Value: ptr(0), Critical: &crit, Message: "live persistence settings match the spec"}
}

// replicaPersistence compares each replica's managed persistence
// directives with the primary's live values. Apply sets them alike on
// every member, so a difference was made behind redisplan's back, and a
// failover to that replica would change how durable the data is.
func (e *env) replicaPersistence() Result {
	if e.in.ConfigErr != nil {
		return Result{Status: Unknown, Message: "cannot read the primary's persistence settings: " + e.in.ConfigErr.Error()}
	}
	if len(e.in.Replicas) == 0 {
		return Result{Status: OK, Value: ptr(0), Message: "the primary has no replicas to compare"}
	}
	norm := e.normalizer()
	var diffs, unread []string
	for _, r := range e.in.Replicas {
		if r.Err != nil {
			unread = append(unread, r.Address+": "+r.Err.Error())
			continue
		}
		var own []string
		for _, name := range persistenceDirectives {
			d := e.t.Directive(name)
			if d == nil {
				continue
			}
			pv, pok := e.in.Config[name]
			rv, rok := r.Config[name]
			if !pok || !rok {
				continue
			}
			p, rep := norm(name, pv), norm(name, rv)
			if p == rep {
				continue
			}
			if d.Sensitive {
				own = append(own, name+" differs (the value is sensitive)")
			} else {
				own = append(own, fmt.Sprintf("%s is %s, the primary's %s", name, quoteValue(rep), quoteValue(p)))
			}
		}
		if len(own) > 0 {
			diffs = append(diffs, "replica "+r.Address+": "+strings.Join(own, ", "))
		}
	}
	zero := 0.0
	switch {
	case len(diffs) > 0:
		msg := strings.Join(diffs, "; ")
		if len(unread) > 0 {
			msg += "; not read: " + strings.Join(unread, "; ")
		}
		return Result{Status: Warning, Value: ptr(float64(len(diffs))), Warning: &zero, Message: msg}
	case len(unread) > 0:
		return Result{Status: Unknown, Message: "could not read replicas: " + strings.Join(unread, "; ")}
	}
	msg := "the replica matches the primary's persistence settings"
	if n := len(e.in.Replicas); n > 1 {
		msg = fmt.Sprintf("the %d replicas match the primary's persistence settings", n)
	}
	return Result{Status: OK, Value: ptr(0), Warning: &zero, Message: msg}
}

// normalizer returns a function that puts a directive's value in the
// catalog's canonical form, or leaves it as it is.
func (e *env) normalizer() func(name, v string) string {
	cat := e.catalog()
	return func(name, v string) string {
		if cat == nil {
			return v
		}
		p, ok := cat.Lookup(name)
		if !ok {
			return v
		}
		if n, err := p.Normalize(v); err == nil {
			return n
		}
		return v
	}
}

// specPersists reports whether the spec asks for snapshots or AOF.
func (e *env) specPersists() bool {
	if d := e.t.Directive("save"); d != nil && strings.TrimSpace(d.Value) != "" {
		return true
	}
	d := e.t.Directive("appendonly")
	return d != nil && strings.EqualFold(d.Value, "yes")
}

// liveSave is CONFIG GET save, or "?" when it was not read.
func (e *env) liveSave() string {
	v, ok := e.in.Config["save"]
	if !ok {
		return "?"
	}
	return strings.TrimSpace(v)
}

// catalog returns the target's directive catalog (catalog.Choose: the
// live server's release, else the spec's).
func (e *env) catalog() *catalog.Catalog {
	return catalog.Choose(e.in.Info, e.t.RedisVersion)
}

func quoteValue(v string) string { return strconv.Quote(v) }

func (e *env) backupAge() Result {
	if e.in.BackupsErr != nil {
		return Result{Status: Unknown, Message: "cannot read the backup catalog: " + e.in.BackupsErr.Error()}
	}
	warn, crit := e.levels(CheckBackupAge, nil, ptr(defaultBackupCritical))
	if len(e.in.Backups) == 0 {
		msg := "no backup yet"
		if e.in.OtherBackups != "" {
			msg += "; the backup folder holds backups of another spec's target, which do not count: " + e.in.OtherBackups +
				" (give this target a destination of its own)"
		}
		return Result{Status: Critical, Warning: warn, Critical: crit, Message: msg}
	}
	good := newestVerified(e.in.Backups)
	if good == nil {
		return Result{Status: Critical, Warning: warn, Critical: crit,
			Message: fmt.Sprintf("no verified backup: %d in the catalog, none verified", len(e.in.Backups))}
	}
	age := math.Max(0, math.Floor(e.in.Now.Sub(good.Finished).Seconds()))
	msg := fmt.Sprintf("newest verified backup %s finished %s ago", good.ID, humanDuration(age))
	if newest := e.in.Backups[len(e.in.Backups)-1]; newest != good {
		msg += fmt.Sprintf("; the newer backup %s is not verified", newest.ID)
		if newest.Problem != "" {
			msg += " (" + newest.Problem + ")"
		}
	}
	return measured(age, "s", warn, crit, msg+levelsText(warn, crit, "s", ""))
}

// backupLoadable judges whether the server could load the RDB version of
// the backup a restore -latest would take (the newest verified one, which
// judgesRDBVersion made sure records it), from
// the RDB version its manifest records and the table of which release
// loads which version (internal/rdb). A backup another engine or a newer
// release wrote, sitting as the newest, is found here rather than during
// the restore.
func (e *env) backupLoadable() Result {
	m := newestVerified(e.in.Backups)
	release := catalog.ServerVersion(e.in.Info)
	server := catalog.ServerLabel(release)
	newest, known := rdb.Loads(release)
	if !known {
		return Result{Status: OK, Message: fmt.Sprintf("the newest verified backup %s has RDB version %d; redisplan does not know which versions %s loads", m.ID, m.RDBVersion, server)}
	}
	by := ""
	if w := m.Server(); w != "" {
		by = " (written by " + w + ")"
	}
	if m.RDBVersion <= newest {
		return Result{Status: OK, Message: fmt.Sprintf("the newest verified backup %s%s has RDB version %d, which %s loads", m.ID, by, m.RDBVersion, server)}
	}
	msg := fmt.Sprintf("the newest verified backup %s%s has RDB version %d, which this server (%s) cannot load (it loads up to version %d), so a restore of the latest backup would be refused", m.ID, by, m.RDBVersion, server, newest)
	if loads := rdb.Loaders(m.RDBVersion); loads != "" {
		msg += "; it loads into " + loads
	}
	msg += "; take a backup of this server (redisplan backup run) so that the newest is one it loads"
	return Result{Status: e.severity(severityBackupUnloadable, Critical), Message: msg}
}

// newestVerified returns the newest backup that finished, was verified
// and has nothing known wrong with it since (a missing artifact, a failed
// re-verification).
func newestVerified(ms []*backup.Manifest) *backup.Manifest {
	for i := len(ms) - 1; i >= 0; i-- {
		if m := ms[i]; m != nil && m.Usable() && !m.Finished.IsZero() {
			return m
		}
	}
	return nil
}

func (e *env) evictedKeys() Result {
	cur, ok := e.int("evicted_keys")
	if !ok {
		return missing("evicted_keys")
	}
	warn, crit := e.levels(CheckEvictedKeys, ptr(anyGrowth), nil)
	field := func(s *Sample) int64 { return s.EvictedKeys }
	if why, first := e.firstSample(field, cur); first {
		return Result{Status: OK, Warning: warn, Critical: crit, Message: why}
	}
	delta := cur - e.in.Previous.EvictedKeys
	elapsed := e.in.Now.Sub(e.in.Previous.Time)
	rate := float64(delta) / elapsed.Minutes()
	return measured(rate, "", warn, crit, fmt.Sprintf("%d keys evicted in %s: %s per minute%s",
		delta, humanDuration(math.Round(elapsed.Seconds())), formatValue(rate, ""), levelsText(warn, crit, "", " per minute")))
}

func (e *env) rejectedConnections() Result {
	cur, ok := e.int("rejected_connections")
	if !ok {
		return missing("rejected_connections")
	}
	warn, crit := e.levels(CheckRejectedConnections, ptr(anyGrowth), nil)
	field := func(s *Sample) int64 { return s.RejectedConnections }
	if why, first := e.firstSample(field, cur); first {
		return Result{Status: OK, Warning: warn, Critical: crit, Message: why}
	}
	delta := cur - e.in.Previous.RejectedConnections
	elapsed := e.in.Now.Sub(e.in.Previous.Time)
	msg := fmt.Sprintf("%d connections rejected in %s", delta, humanDuration(math.Round(elapsed.Seconds())))
	if delta > 0 {
		msg += " (maxclients reached)"
	}
	return measured(float64(delta), "", warn, crit, msg+levelsText(warn, crit, "", ""))
}

func (e *env) connectedClients() Result {
	n, ok := e.int("connected_clients")
	if !ok {
		return missing("connected_clients")
	}
	warn, crit := e.levels(CheckConnectedClients, nil, nil)
	return measured(float64(n), "", warn, crit, fmt.Sprintf("%s connected%s", units.Plural(n, "client", "clients"), levelsText(warn, crit, "", "")))
}

func (e *env) connectedClientsPercent() Result {
	n, ok := e.int("connected_clients")
	if !ok {
		return missing("connected_clients")
	}
	maxc, ok := e.infoOrConfig("maxclients", "maxclients")
	if !ok {
		return e.configUnknown("maxclients")
	}
	if maxc <= 0 {
		return Result{Status: Unknown, Message: fmt.Sprintf("maxclients is %d: usage is not a percentage", maxc)}
	}
	pct := float64(n) * 100 / float64(maxc)
	warn, crit := e.levels(CheckConnectedClientsPercent, ptr(defaultClientsWarning), ptr(defaultClientsCrit))
	return measured(pct, "%", warn, crit, fmt.Sprintf("%s connected, %s of maxclients %d%s",
		units.Plural(n, "client", "clients"), formatValue(pct, "%"), maxc, levelsText(warn, crit, "%", "")))
}

func (e *env) blockedClients() Result {
	n, ok := e.int("blocked_clients")
	if !ok {
		return missing("blocked_clients")
	}
	warn, crit := e.levels(CheckBlockedClients, nil, nil)
	return measured(float64(n), "", warn, crit, fmt.Sprintf("%s blocked%s", units.Plural(n, "client", "clients"), levelsText(warn, crit, "", "")))
}

// specMaster returns the "host port" the spec says the server replicates
// from, or "" when the spec wants a master.
func (e *env) specMaster() string {
	if d := e.t.Directive("replicaof"); d != nil {
		return strings.Join(strings.Fields(d.Value), " ")
	}
	return ""
}

func (e *env) replication() Result {
	role, ok := e.info("role")
	if !ok {
		return missing("role")
	}
	want := e.specMaster()
	shown := "replicaof " + want
	if d := e.t.Directive("replicaof"); d != nil && d.Sensitive {
		shown = "another replicaof (the value is sensitive)"
	}
	switch role {
	case "master":
		slaves, _ := e.int("connected_slaves")
		if want != "" {
			return Result{Status: Critical, Value: ptr(float64(slaves)),
				Message: "the server is a master but the spec says " + shown}
		}
		return Result{Status: OK, Value: ptr(float64(slaves)), Message: "master with " + units.Plural(slaves, "connected replica", "connected replicas")}
	case "slave":
		host, _ := e.info("master_host")
		port, _ := e.info("master_port")
		from := host + ":" + port
		var (
			status   = OK
			problems []string
		)
		switch {
		case want == "":
			status = Critical
			problems = append(problems, fmt.Sprintf("the server replicates from %s but the spec declares no replicaof", from))
		case !strings.EqualFold(want, host+" "+port):
			status = Critical
			problems = append(problems, fmt.Sprintf("the server replicates from %s but the spec says %s", from, shown))
		}
		if link, _ := e.info("master_link_status"); link != "up" {
			status = Critical
			msg := fmt.Sprintf("the link to the master %s is down", from)
			if s, ok := e.int("master_link_down_since_seconds"); ok && s >= 0 {
				msg += " for " + humanDuration(float64(s))
			}
			if p, _ := e.info("master_sync_in_progress"); p == "1" {
				msg += "; a full sync is in progress"
			}
			problems = append(problems, msg)
		}
		if len(problems) > 0 {
			return Result{Status: status, Message: strings.Join(problems, "; ")}
		}
		msg := fmt.Sprintf("replica of %s, link up", from)
		if s, ok := e.int("master_last_io_seconds_ago"); ok && s >= 0 {
			msg += fmt.Sprintf(", last I/O %s ago", humanDuration(float64(s)))
		}
		return Result{Status: OK, Message: msg}
	}
	return Result{Status: Unknown, Message: fmt.Sprintf("unknown role %q", role)}
}

func (e *env) replicationLag() Result {
	warn, crit := e.levels(CheckReplicationLag, nil, nil)
	if role, _ := e.info("role"); role != "slave" {
		return Result{Status: OK, Warning: warn, Critical: crit, Message: "not a replica: no replication lag"}
	}
	if link, _ := e.info("master_link_status"); link != "up" {
		s, ok := e.int("master_link_down_since_seconds")
		if !ok || s < 0 {
			return Result{Status: Critical, Warning: warn, Critical: crit, Message: "the link to the master is down and has never been up"}
		}
		return measured(float64(s), "s", warn, crit, "the link to the master is down for "+
			humanDuration(float64(s))+levelsText(warn, crit, "s", ""))
	}
	s, ok := e.int("master_last_io_seconds_ago")
	if !ok {
		return missing("master_last_io_seconds_ago")
	}
	return measured(float64(s), "s", warn, crit, "last I/O with the master "+humanDuration(float64(s))+" ago"+levelsText(warn, crit, "s", ""))
}

// dbStats is one line of INFO keyspace.
type dbStats struct {
	db            int
	keys, expires int64
}

// keyspaceOf parses INFO keyspace ("db0" -> "keys=1,expires=0,avg_ttl=0"),
// sorted by database number.
func keyspaceOf(info map[string]string) []dbStats {
	var out []dbStats
	for db, st := range redisinfo.Keyspace(info) {
		out = append(out, dbStats{db: db, keys: st.Keys, expires: st.Expires})
	}
	slices.SortFunc(out, func(a, b dbStats) int { return a.db - b.db })
	return out
}

func (e *env) keyspace() Result {
	dbs := keyspaceOf(e.in.Info)
	var total int64
	var parts []string
	for _, d := range dbs {
		total += d.keys
		p := fmt.Sprintf("db%d %d keys", d.db, d.keys)
		if d.expires > 0 {
			p += fmt.Sprintf(" (%d with a TTL)", d.expires)
		}
		parts = append(parts, p)
	}
	msg := "no keys"
	if len(parts) > 0 {
		msg = strings.Join(parts, ", ")
	}
	return Result{Status: OK, Value: ptr(float64(total)), Message: msg}
}

func (e *env) latency() Result {
	if e.in.LatencyErr != nil {
		return Result{Status: Unknown, Message: "cannot read LATENCY LATEST: " + e.in.LatencyErr.Error()}
	}
	// The spec's threshold when it manages it; otherwise every recorded
	// event counts, since the server records only spikes above its own.
	var limit int64 = -1
	if d := e.t.Directive("latency-monitor-threshold"); d != nil {
		n, err := strconv.ParseInt(strings.TrimSpace(d.Value), 10, 64)
		if err == nil {
			limit = n
		}
	}
	if limit == 0 {
		return Result{Status: OK, Message: "the spec turns the latency monitor off (latency-monitor-threshold 0)"}
	}
	// Events keep their latest spike until LATENCY RESET: only spikes the
	// previous run did not see count, so that one spike warns once.
	var seen map[string]int64
	if p := e.in.Previous; p != nil && p.RunID == e.in.Info["run_id"] {
		seen = p.Latency
	}
	var (
		over  []string
		older int
		worst int64
	)
	for _, ev := range e.in.Latency {
		if t, ok := seen[ev.Event]; ok && t == ev.Time.Unix() {
			older++
			continue
		}
		if limit > 0 && ev.LatestMillis <= limit && ev.MaxMillis <= limit {
			continue
		}
		worst = max(worst, ev.LatestMillis)
		over = append(over, fmt.Sprintf("%s %dms (max %dms) at %s", ev.Event, ev.LatestMillis, ev.MaxMillis, ev.Time.UTC().Format(time.RFC3339)))
	}
	var warn *float64
	if limit > 0 {
		warn = ptr(float64(limit) / 1000)
	}
	what := "latency spikes"
	if limit > 0 {
		what = fmt.Sprintf("latency spikes above %dms", limit)
	}
	when := "since the previous run"
	if seen == nil {
		when = "recorded"
	}
	if len(over) > 0 {
		return Result{Status: Warning, Value: ptr(float64(worst) / 1000), Unit: "s", Warning: warn,
			Message: fmt.Sprintf("%s %s: %s", what, when, strings.Join(over, ", "))}
	}
	msg := fmt.Sprintf("no %s %s", what, when)
	if older > 0 {
		msg += fmt.Sprintf(" (%s; LATENCY RESET clears them)", units.Plural(int64(older), "older event", "older events"))
	}
	return Result{Status: OK, Value: ptr(0), Unit: "s", Warning: warn, Message: msg}
}

func (e *env) slowlog() Result {
	if e.in.SlowlogErr != nil {
		return Result{Status: Unknown, Message: "cannot read SLOWLOG LEN: " + e.in.SlowlogErr.Error()}
	}
	cur := e.in.SlowlogLen
	field := func(s *Sample) int64 { return s.SlowlogLen }
	if why, first := e.firstSample(field, cur); first {
		return Result{Status: OK, Warning: ptr(anyGrowth), Message: fmt.Sprintf("%s (%d entries)", why, cur)}
	}
	growth := cur - e.in.Previous.SlowlogLen
	if growth > 0 {
		return Result{Status: Warning, Value: ptr(float64(growth)), Warning: ptr(anyGrowth),
			Message: fmt.Sprintf("the slowlog grew by %s since the previous run (%d now; SLOWLOG GET shows them)", units.Plural(growth, "entry", "entries"), cur)}
	}
	return Result{Status: OK, Value: ptr(0), Warning: ptr(anyGrowth), Message: fmt.Sprintf("no new slowlog entries (%d in all)", cur)}
}

// oneLine keeps a message on one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(strings.NewReplacer("\r", " ", "\n", " ").Replace(s)), " ")
}
