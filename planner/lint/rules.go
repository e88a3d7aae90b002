// Package lint finds risks in a spec: built-in Redis rules with stable
// codes, and the suppressions that silence them. Rules are pure functions
// of the model; rendering findings for people and CI systems is here too.
// The Finding type itself is in internal/model, beside what it points at,
// so that the spec language (hcl) can report user policies as findings.
package lint

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/oncalendar"
	"github.com/redisplan/redisplan/internal/units"
)

// Rule is a built-in check with a stable code.
type Rule struct {
	Code     string
	Severity model.Severity
	Title    string
	// Check returns the rule's findings on one target with Message, Pos
	// and Fix set; Run fills in the code, severity, target and doc. It
	// reads the target only. It is nil for a rule about several targets
	// (Across).
	Check func(t *model.Target) []model.Finding
}

// across are the rules about several targets of a spec, by code: each
// returns its findings on the whole spec with Target set too.
var across = map[string]func(spec *model.Spec) []model.Finding{
	"RP015": checkSharedDestination,
}

// Across reports whether the rule of code judges the spec's targets
// together rather than one at a time.
func Across(code string) bool { return across[code] != nil }

// Rules returns the built-in rules, RP001 to RP015, in order.
func Rules() []Rule {
	return []Rule{
		{"RP001", model.SeverityError, "No persistence", checkNoPersistence},
		{"RP002", model.SeverityError, "CONFIG disabled", checkConfigDisabled},
		{"RP003", model.SeverityError, "Reachable without authentication", checkNoAuth},
		{"RP004", model.SeverityWarning, "Protected mode off", checkProtectedMode},
		{"RP005", model.SeverityWarning, "Eviction on a durable target", checkDurableEviction},
		{"RP006", model.SeverityWarning, "Loss window wider than promised", checkLossWindow},
		{"RP007", model.SeverityError, "Backups beside the data", checkBackupDestination},
		{"RP008", model.SeverityError, "Retention shorter than the schedule", checkRetention},
		{"RP009", model.SeverityWarning, "No scheduled backup", checkBackupScheduled},
		{"RP010", model.SeverityError, "Secret written in the spec", checkLiteralSecrets},
		{"RP011", model.SeverityNotice, "rename-command instead of ACLs", checkRenames},
		{"RP012", model.SeverityWarning, "Memory limit missing or too high", checkMaxmemory},
		{"RP013", model.SeverityWarning, "Durability alerts missing", checkAlerts},
		{"RP014", model.SeverityWarning, "Archive flush longer than the rpo", checkArchiveFlush},
		{"RP015", model.SeverityWarning, "Destination shared across RDB versions", nil},
	}
}

// SuppressionCode is the code of findings about ignores themselves:
// malformed comments, ignores without a reason, expired ignores.
const SuppressionCode = "RP000"

// DocPath is the documentation page of a built-in rule, relative to the
// repository root.
func DocPath(code string) string { return "docs/rules/" + code + ".md" }

// Run checks every target of the spec against every built-in rule and
// returns the findings sorted by file, line and code. Suppressions are not
// applied here: see Apply.
func Run(spec *model.Spec) []model.Finding {
	if spec == nil {
		return nil
	}
	var out []model.Finding
	rules := Rules()
	for _, r := range rules {
		if check := across[r.Code]; check != nil {
			for _, f := range check(spec) {
				f.Code, f.Severity, f.Doc = r.Code, r.Severity, DocPath(r.Code)
				out = append(out, f)
			}
			continue
		}
		for _, t := range spec.Targets {
			for _, f := range r.Check(t) {
				f.Code, f.Severity, f.Target, f.Doc = r.Code, r.Severity, t.Name, DocPath(r.Code)
				out = append(out, f)
			}
		}
	}
	Sort(out)
	return out
}

// Sort orders findings by file, line and code, then by column, target and
// message, so that every output is deterministic.
func Sort(fs []model.Finding) {
	slices.SortStableFunc(fs, func(a, b model.Finding) int {
		return cmp.Or(
			cmp.Compare(a.Pos.Filename, b.Pos.Filename),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Code, b.Code),
			cmp.Compare(a.Pos.Column, b.Pos.Column),
			cmp.Compare(a.Target, b.Target),
			cmp.Compare(a.Message, b.Message),
		)
	})
}

// RP001: a target that is not ephemeral keeps nothing on disk.
func checkNoPersistence(t *model.Target) []model.Finding {
	c := configOf(t)
	if t.Ephemeral || c.persistent() {
		return nil
	}
	_, save := c.value("save")
	_, aof := c.value("appendonly")
	return []model.Finding{{
		Message: `persistence is off (save "" and appendonly is not yes), so every restart or crash of the server loses all its keys`,
		Pos:     at(posOf(save), posOf(aof), t.Pos),
		Fix:     "set persistence.aof.enabled = true (or add rdb snapshot blocks); if losing the data is fine, mark the target ephemeral = true",
	}}
}

// RP002: rename-command CONFIG "".
func checkConfigDisabled(t *model.Target) []model.Finding {
	var out []model.Finding
	for _, r := range t.Renames {
		if r.Command == "CONFIG" && r.NewName == "" {
			out = append(out, model.Finding{
				Message: `CONFIG is renamed to "", which deletes the command: nobody, redisplan included, can inspect or change the server's configuration live any more`,
				Pos:     at(r.Pos, t.Pos),
				Fix:     "rename CONFIG to a secret name instead (renamed_commands = { CONFIG = var.config_command }), or leave it and deny it to applications with an ACL user",
			})
		}
	}
	return out
}

// RP003: no authentication on a server that other hosts can reach.
//
// Clients must authenticate when requirepass is set, when the spec connects
// with a password, or when it connects as an ACL user. Without that, the
// server is open when either
//   - bind names an address other than loopback (127.0.0.0/8, ::1,
//     localhost) and protected-mode is not set to yes in the spec: an
//     unmanaged protected-mode is whatever the server was built or started
//     with, and Docker images turn it off; or
//   - bind is not managed (Redis then listens on every interface, "* -::*")
//     and protected-mode is set to no.
//
// With protected-mode yes, Redis 7 refuses every non-loopback client while
// the default user has no password, whatever bind says.
func checkNoAuth(t *model.Target) []model.Finding {
	c := configOf(t)
	if c.authenticated() {
		return nil
	}
	bindValue, bind := c.value("bind")
	protected, pm := c.value("protected-mode")
	switch {
	case bind != nil:
		public := publicAddresses(bindValue)
		if len(public) == 0 || (pm != nil && protected == "yes") {
			return nil
		}
		why := "protected-mode is not set to yes in the spec"
		if pm != nil {
			why = "protected-mode is off"
		}
		return []model.Finding{{
			Message: fmt.Sprintf("the server listens on %s with no password and no ACL user, and %s, so anyone who can reach that address can read, change or delete every key", strings.Join(public, " "), why),
			Pos:     at(bind.Pos, t.Pos),
			Fix:     "set security.requirepass = var.redis_password (a sensitive variable), or bind only 127.0.0.1 -::1",
		}}
	case pm != nil && protected == "no":
		return []model.Finding{{
			Message: "protected-mode is off and bind is not managed, so the server listens on every interface (* -::*) with no password and no ACL user: anyone who can reach it can read, change or delete every key",
			Pos:     at(pm.Pos, t.Pos),
			Fix:     "set security.requirepass = var.redis_password (a sensitive variable), or protected_mode = true",
		}}
	}
	return nil
}

// RP004: protected-mode no.
func checkProtectedMode(t *model.Target) []model.Finding {
	d := t.Directive("protected-mode")
	if d == nil || d.Value != "no" {
		return nil
	}
	return []model.Finding{{
		Message: "protected-mode is off, so whenever the default user has no password the server accepts commands from other hosts instead of only from loopback",
		Pos:     at(d.Pos, t.Pos),
		Fix:     assign(d, "true"),
	}}
}

// RP005: an evicting maxmemory-policy on a durable target.
func checkDurableEviction(t *model.Target) []model.Finding {
	if !t.Durable {
		return nil
	}
	v, d := configOf(t).value("maxmemory-policy")
	if !strings.HasPrefix(v, "allkeys-") && !strings.HasPrefix(v, "volatile-") {
		return nil
	}
	return []model.Finding{{
		Message: fmt.Sprintf("maxmemory-policy %s deletes keys when memory is full, but the target is marked durable = true: its keys must never disappear silently", v),
		Pos:     at(posOf(d), t.Pos),
		Fix:     assign(d, `"noeviction"`),
	}}
}

// RP006: the writes a crash may lose exceed the promise. With AOF on, that
// is appendfsync no (the kernel flushes when it likes, about every 30s on
// Linux). With AOF off and snapshots on, it is the shortest save interval:
// against rpo when the spec sets one, against one hour otherwise. Targets
// without any persistence are RP001's; ephemeral ones promise nothing.
func checkLossWindow(t *model.Target) []model.Finding {
	if t.Ephemeral {
		return nil
	}
	c := configOf(t)
	if c.aof() {
		v, d := c.value("appendfsync")
		if v != "no" {
			return nil
		}
		return []model.Finding{{
			Message: "appendfsync no leaves flushing the AOF to the kernel (about every 30 seconds on Linux), so a crash of the host loses the writes acknowledged since the last flush",
			Pos:     at(posOf(d), t.Pos),
			Fix:     assign(d, `"everysec"`),
		}}
	}
	intervals := c.saveIntervals()
	if len(intervals) == 0 {
		return nil
	}
	shortest := slices.Min(intervals)
	_, save := c.value("save")
	_, aof := c.value("appendonly")
	pos := at(posOf(save), posOf(aof), t.Pos)
	fix := `turn the AOF on: persistence.aof.enabled = true with fsync = "everysec"`
	switch {
	case t.RPO > 0 && shortest > t.RPO:
		return []model.Finding{{
			Message: fmt.Sprintf("AOF is off and even the most frequent snapshot waits %s, longer than the rpo of %s, so a crash can lose more acknowledged writes than the spec promises",
				units.FormatDuration(shortest), units.FormatDuration(t.RPO)),
			Pos: pos,
			Fix: fix,
		}}
	case t.RPO == 0 && shortest >= time.Hour:
		return []model.Finding{{
			Message: fmt.Sprintf("AOF is off and even the most frequent snapshot waits %s, so a crash can lose %s of acknowledged writes or more", units.FormatDuration(shortest), units.FormatDuration(shortest)),
			Pos:     pos,
			Fix:     fix + ", or set rpo and save points that meet it",
		}}
	}
	return nil
}

// RP007: a backup destination inside the server's own directories. Only
// absolute paths are compared.
func checkBackupDestination(t *model.Target) []model.Finding {
	b := t.Backup
	if b == nil || b.Destination == "" || strings.Contains(b.Destination, "://") {
		return nil
	}
	c := configOf(t)
	dir := c.dataDir()
	if dir == "" {
		return nil
	}
	aofDirname, _ := c.value("appenddirname")
	aofDir := path.Join(dir, aofDirname)
	var msg string
	switch {
	case aofDirname != "" && within(b.Destination, aofDir):
		msg = fmt.Sprintf("the backup destination %s %s the AOF directory %s, which Redis owns: a rewrite or a restore replaces its contents, and losing that disk loses the backups with the data", b.Destination, isOrInside(b.Destination, aofDir), aofDir)
	case within(b.Destination, dir):
		msg = fmt.Sprintf("the backup destination %s %s the data directory %s: losing or wiping that disk, or a restore that replaces the directory, takes the backups with the data", b.Destination, isOrInside(b.Destination, dir), dir)
	default:
		return nil
	}
	return []model.Finding{{
		Message: msg,
		Pos:     at(b.Pos, t.Pos),
		Fix:     fmt.Sprintf("set backup.destination to a directory outside %s, preferably on another disk or host", dir),
	}}
}

func isOrInside(p, dir string) string {
	if path.Clean(p) == path.Clean(dir) {
		return "is"
	}
	return "is inside"
}

// RP008: retention that, at each prune, keeps only the newest backup.
//
// The finding is raised when max_age is set and is not longer than the
// longest time between two scheduled backups, and no other rule keeps a
// second backup (keep_last, keep_min, keep_daily, keep_weekly and
// keep_monthly all below 2). Retention always keeps the newest backup, so
// keep_last = 1 or keep_min = 1 change nothing: when a new backup is
// pruned after, the one before it is already older than max_age.
func checkRetention(t *model.Target) []model.Finding {
	b := t.Backup
	if b == nil || b.Schedule == "" || b.Retention.MaxAge <= 0 {
		return nil
	}
	r := b.Retention
	if max(r.KeepLast, r.KeepMin, r.KeepDaily, r.KeepWeekly, r.KeepMonthly) >= 2 {
		return nil
	}
	period, err := oncalendar.Period(b.Schedule)
	if err != nil || r.MaxAge > period {
		return nil
	}
	return []model.Finding{{
		Message: fmt.Sprintf("retention max_age %s is not longer than the %s between scheduled backups (%s) and no other rule keeps a second backup, so every prune leaves only the newest backup",
			units.FormatDuration(r.MaxAge), units.FormatDuration(period), strconv.Quote(b.Schedule)),
		Pos: at(b.Pos, t.Pos),
		Fix: fmt.Sprintf("set retention.keep_min = 2, or a max_age well above %s", units.FormatDuration(period)),
	}}
}

// RP009: data on disk but no scheduled backup.
func checkBackupScheduled(t *model.Target) []model.Finding {
	if t.Ephemeral || !configOf(t).persistent() {
		return nil
	}
	switch {
	case t.Backup == nil:
		return []model.Finding{{
			Message: "the target keeps its data on disk but has no backup block, so a lost disk, a corrupt file or a mistaken FLUSHALL cannot be undone",
			Pos:     t.Pos,
			Fix:     `add backup { schedule = "0 3 * * *", destination = "/var/backups/redis" } with a retention block`,
		}}
	case t.Backup.Schedule == "":
		return []model.Finding{{
			Message: "the backup block has no schedule, so backups are taken only when someone runs redisplan backup run by hand",
			Pos:     at(t.Backup.Pos, t.Pos),
			Fix:     `schedule = "0 3 * * *"`,
		}}
	}
	return nil
}

// secretFix is the fix of every literal secret.
const secretFix = "move the value into a variable with sensitive = true and pass it with -var or REDISPLAN_VAR_<name>"

// RP010: secrets written as literals.
func checkLiteralSecrets(t *model.Target) []model.Finding {
	var out []model.Finding
	for _, d := range t.Directives {
		if d.Sensitive && d.Literal && d.Value != "" {
			out = append(out, model.Finding{
				Message: fmt.Sprintf("the secret %s is written literally in the spec (%s), so everyone who can read the repository or its history knows it", d.Name, d.Origin),
				Pos:     at(d.Pos, t.Pos),
				Fix:     secretFix,
			})
		}
	}
	if b := t.Backup; b != nil && b.S3 != nil && b.S3.SecretKeyLiteral && b.S3.SecretKey != "" {
		out = append(out, model.Finding{
			Message: "the S3 secret_key of the backup is written literally in the spec, so everyone who can read the repository or its history can reach the backups",
			Pos:     at(b.S3.SecretKeyPos, t.Pos),
			Fix:     secretFix,
		})
	}
	if t.Connection.PasswordLiteral && t.Connection.Password != "" {
		out = append(out, model.Finding{
			Message: "the connection password is written literally in the spec, so everyone who can read the repository or its history knows it",
			Pos:     t.Pos,
			Fix:     secretFix,
		})
	}
	return out
}

// RP011: rename-command, one finding per target at its first rename.
func checkRenames(t *model.Target) []model.Finding {
	if len(t.Renames) == 0 {
		return nil
	}
	first := t.Renames[0].Pos
	cmds := make([]string, 0, len(t.Renames))
	for _, r := range t.Renames {
		cmds = append(cmds, r.Command)
		if p := r.Pos; p.Filename != "" && (first.Filename == "" || p.Line < first.Line || p.Line == first.Line && p.Column < first.Column) {
			first = p
		}
	}
	return []model.Finding{{
		Message: fmt.Sprintf("rename-command is used for %s; Redis deprecates it in favour of ACL users, which deny commands per client without hiding them from tools, AOF files and replicas", strings.Join(cmds, ", ")),
		Pos:     at(first, t.Pos),
		Fix:     "give applications an ACL user without the dangerous commands (-@dangerous) and keep the full set for administration",
	}}
}

// RP012: no memory limit, or one a fork for a backup may not fit beside.
func checkMaxmemory(t *model.Target) []model.Finding {
	d := t.Directive("maxmemory")
	if d == nil || d.Value == "0" {
		what := "maxmemory is not set"
		if d != nil {
			what = "maxmemory is 0, which means no limit"
		}
		return []model.Finding{{
			Message: what + ", so Redis grows until the kernel's OOM killer stops it, and a BGSAVE or AOF rewrite fork can then double the pages in use",
			Pos:     at(posOf(d), t.Pos),
			Fix:     `set memory.max, at most half of the host's memory (for example max = "2gb")`,
		}}
	}
	limit, err := strconv.ParseUint(d.Value, 10, 64)
	if err != nil || t.HostMemory == 0 || limit <= t.HostMemory/2 {
		return nil
	}
	half := t.HostMemory / 2
	return []model.Finding{{
		Message: fmt.Sprintf("maxmemory %s is more than half of host_memory %s: a BGSAVE or AOF rewrite fork can need as much again through copy-on-write, and the host then runs out of memory",
			units.FormatMemory(limit), units.FormatMemory(t.HostMemory)),
		Pos: at(d.Pos, t.Pos),
		Fix: assign(d, strconv.Quote(units.FormatMemory(half))),
	}}
}

// RP013: alerts that would miss a durability failure. With an alerts
// block, it needs backup_age when there is a backup block,
// rdb_save_failed when the server snapshots or backups run BGSAVE, and
// archive_lag when the backup block has an archive. A target that is not
// ephemeral, keeps data on disk or archives its writes, and has no alerts
// block at all is reported too, naming the same thresholds.
func checkAlerts(t *model.Target) []model.Finding {
	c := configOf(t)
	archived := t.Backup != nil && t.Backup.Archive != nil
	if t.Alerts == nil {
		if t.Ephemeral || (!c.persistent() && !archived) {
			return nil
		}
		what, effects := "keeps its data on disk", "a failing save or a backup that stopped running"
		fix := `add alerts { ... } with backup_age { critical = "25h" } and rdb_save_failed { severity = "critical" }`
		if archived {
			what, effects = "archives its writes", "a failing save, a backup that stopped running or an archive that fell behind or stopped"
			fix = `add alerts { ... } with backup_age { critical = "25h" }, rdb_save_failed { severity = "critical" } and archive_lag { critical = "1m" }`
		}
		return []model.Finding{{
			Message: "the target " + what + " but has no alerts block, so " + effects + " goes unnoticed",
			Pos:     t.Pos,
			Fix:     fix,
		}}
	}
	has := map[string]bool{}
	for _, th := range t.Alerts.Thresholds {
		has[th.Check] = true
	}
	var missing, effects, fixes []string
	if t.Backup != nil && !has["backup_age"] {
		missing = append(missing, "backup_age")
		effects = append(effects, "a backup that stopped running")
		fixes = append(fixes, `backup_age { critical = "25h" }`)
	}
	bgsave := len(c.saveIntervals()) > 0 || (t.Backup != nil && t.Backup.Method == "bgsave")
	if bgsave && !has["rdb_save_failed"] {
		missing = append(missing, "rdb_save_failed")
		effects = append(effects, "a failing save")
		fixes = append(fixes, `rdb_save_failed { severity = "critical" }`)
	}
	if archived && !has["archive_lag"] {
		missing = append(missing, "archive_lag")
		effects = append(effects, "an archive that fell behind or stopped")
		fixes = append(fixes, `archive_lag { critical = "1m" }`)
	}
	if len(missing) == 0 {
		return nil
	}
	return []model.Finding{{
		Message: fmt.Sprintf("the alerts block has no %s threshold, so %s goes unnoticed", strings.Join(missing, " or "), strings.Join(effects, " or ")),
		Pos:     at(t.Alerts.Pos, t.Pos),
		Fix:     "add " + strings.Join(fixes, " and ") + " to the alerts block",
	}}
}

// RP014: an archive that commits less often than the rpo promises. The
// archive's flush is what a lost host takes with it, so a longer flush
// than the rpo breaks the promise whenever the host, not only the
// process, is lost. Without rpo there is nothing to compare.
func checkArchiveFlush(t *model.Target) []model.Finding {
	if t.Backup == nil || t.Backup.Archive == nil || t.RPO <= 0 || t.Backup.Archive.Flush <= t.RPO {
		return nil
	}
	a := t.Backup.Archive
	return []model.Finding{{
		Message: fmt.Sprintf("the archive commits the write stream every %s, longer than the rpo of %s, so losing the host can lose more acknowledged writes than the spec promises",
			units.FormatDuration(a.Flush), units.FormatDuration(t.RPO)),
		Pos: at(a.Pos, t.Backup.Pos, t.Pos),
		Fix: fmt.Sprintf("set archive.flush = %q or shorter (at least 100ms), or an rpo that the archive can keep", units.FormatDuration(t.RPO)),
	}}
}
