package planner

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/owner"
	"github.com/redisplan/redisplan/internal/redisconf"
)

// Input is everything the diff of one target needs.
type Input struct {
	Target *model.Target
	State  *model.State
	// Catalog is the catalog of the live server's version (or of the
	// spec's redis_version when the server cannot say).
	Catalog *catalog.Catalog
	// CronLines is the desired managed crontab block (markers included),
	// nil when the target schedules nothing or has no cron block.
	CronLines []string
	// CronOwner is who the target's crontab block belongs to: the cron
	// block's id, or this spec's absolute path and the target. A block of
	// the same name that belongs to another owner is never replaced.
	CronOwner owner.Owner
	// Schedules are the systemd units and CronJob manifests the target's
	// systemd and kubernetes cron blocks want, one entry per block.
	Schedules []model.ScheduleDir
	// Replica is the address of the replica that Target stands for
	// (model.Target.Member), empty for a target's own server.
	Replica string
	// PrimaryInfo is the INFO of the replica's primary, to check that the
	// replica follows it.
	PrimaryInfo map[string]string
	// JobVariables says where the scheduled jobs find the spec's
	// variables; nil checks nothing.
	JobVariables *JobVariables
	// Leftovers are the records interrupted redisplan runs left beside
	// the target's lock.
	Leftovers Leftovers
}

// Leftovers are what interrupted redisplan runs left, from the records
// they keep beside the target's lock, so that the plan names redisplan's
// own values as such and never as changes made outside it.
type Leftovers struct {
	// Restore says in words what the record of an interrupted restore
	// says, "" when there is none.
	Restore string
	// RestoreRunning says that the restore that keeps the record still
	// runs: its hold is expected, not a leftover.
	RestoreRunning bool
	// Rewrite is the record of a backup run that held automatic AOF
	// rewrites off; nil when there is none, or its run still holds them.
	Rewrite *RewriteLeftover
	// Restart says in words what the record of an interrupted restart
	// says, "" when there is none.
	Restart string
}

// RewriteLeftover is the record of a backup run that set
// auto-aof-rewrite-percentage to 0 while it copied the AOF.
type RewriteLeftover struct {
	RunID    string
	Original string
	PID      int
	Time     string
}

// Address names a directive of a target the way plans and errors show it.
func Address(target, directive string) string {
	return fmt.Sprintf("redis.%s.config.%s", target, directive)
}

// Diff compares one target's spec with its state. It is pure: the same
// input always gives the same plan, and nothing is read or written.
func Diff(in Input) *model.TargetPlan {
	t := in.Target
	tp := &model.TargetPlan{Target: t.Name, Member: in.Replica, Changes: []model.Change{}, Drift: []model.Drift{}, Risks: []model.Risk{}}
	if in.State == nil || in.State.Live == nil {
		msg := "no live state"
		if in.State != nil && in.State.Error != nil {
			msg = in.State.Error.Error()
		}
		if in.Leftovers.Restore != "" && in.Leftovers.RestoreRunning {
			msg += "; " + in.Leftovers.Restore
		} else if in.Leftovers.Restore != "" {
			msg += "; " + in.Leftovers.Restore + ": run redisplan restore again, which puts the original files back, starts the server " +
				"with the service start command and then restores"
		}
		if in.Leftovers.Restart != "" {
			msg += "; " + in.Leftovers.Restart
		}
		tp.Error = msg
		return tp
	}
	live := in.State.Live
	if in.Replica != "" && live.Info["role"] != "slave" {
		// Changing it first would protect nothing: it is not the replica
		// the spec says, and may be a primary of its own.
		tp.Error = fmt.Sprintf("%s is listed as a replica but reports role:%s; fix the replicas list, or the server's replicaof", in.Replica, live.Info["role"])
		return tp
	}
	if in.Replica != "" && live.Info["master_link_status"] == "up" && in.PrimaryInfo["master_replid"] != "" &&
		live.Info["master_replid"] != in.PrimaryInfo["master_replid"] {
		// Its offsets say nothing about this primary, so apply could not
		// tell when it has caught up.
		tp.Error = fmt.Sprintf("%s is a replica of %s:%s, not of this target's server (their replication IDs differ); fix the replicas list",
			in.Replica, live.Info["master_host"], live.Info["master_port"])
		return tp
	}
	// A crontab block or schedule file that redisplan does not own for
	// this spec stops the target's plan before anything else is planned:
	// an error plan holds no changes (and so no value, secret or not), and
	// apply refuses it before it changes anything.
	files, ferr := scheduleChanges(in)
	if ferr != "" {
		tp.Error = ferr
		return tp
	}
	cron, cerr := cronChange(in)
	if cerr != "" {
		tp.Error = cerr
		return tp
	}
	// Job lines that cannot resolve every variable would make each
	// scheduled backup and check fail, silently until data is needed.
	if verr := unresolvedJobVariables(in); verr != "" {
		tp.Error = verr
		return tp
	}
	tp.RunID = live.RunID
	tp.Version = live.Version
	tp.Server = serverLabel(live)
	cat := in.Catalog
	if cat != nil {
		tp.Catalog = cat.Version()
	}

	if f := in.State.File; f != nil && !f.Exists {
		// A config_file that does not exist is most often a typo: creating
		// it would leave the server's real file unmanaged and give the next
		// restart a file holding only the spec's directives.
		if started := live.Info["config_file"]; started != "" && filepath.Clean(started) != filepath.Clean(f.Path) {
			tp.Error = fmt.Sprintf("config_file %s does not exist, and the server was started from %s: set config_file to the file the server reads", f.Path, started)
			return tp
		}
		tp.CreatesFile = f.Path
	}
	var file *redisconf.FileValues
	if in.State.File != nil {
		fv, err := redisconf.Values(in.State.File.Content, cat)
		if err != nil {
			tp.Error = fmt.Sprintf("read %s: %v", in.State.File.Path, err)
			return tp
		}
		file = &fv
	}

	tp.ConfigSource = live.ConfigSource
	if live.ConfigSource == model.ConfigDisabled {
		configDisabledPlan(tp, in, file)
		if tp.Error == "" {
			attachSchedules(tp, in, cron, files)
		}
		for i := range tp.Changes {
			mask(&tp.Changes[i])
		}
		return tp
	}

	if msg := restoreHold(in, file); msg != "" {
		// The restored data was never checked: apply letting writes in
		// (or changing anything else) would skip that check.
		tp.Error = msg
		return tp
	}

	protectedLive := protectedConfigsAllowed(live)
	var renamed []model.Risk
	for _, d := range t.Directives {
		p, ok := cat.Lookup(d.Name)
		if !ok {
			tp.Error = fmt.Sprintf("the spec sets %s, which this server (%s) does not have", d.Name, serverLabel(live))
			if have := catalog.Have(d.Name); have != "" {
				tp.Error += "; " + have + ": remove it from the spec for this target, or check that the address names the server you mean"
			}
			return tp
		}
		if !strings.EqualFold(p.Name, d.Name) {
			// The server knows the spec's name as an alias: say which
			// name the plan, the config file and CONFIG use.
			renamed = append(renamed, model.Risk{Directive: p.Name, Message: fmt.Sprintf(
				"%s is called %s on this server (%s): it is changed, and written in the config file, under that name", d.Name, p.Name, serverLabel(live))})
		}
		after, err := p.Normalize(d.Value)
		if err != nil {
			after = d.Value
		}
		liveNow := normalizeOr(p, live.Config[p.Name])
		if p.Name == "dir" {
			liveNow = strings.TrimRight(liveNow, "/")
			after = strings.TrimRight(after, "/")
		}
		c := model.Change{
			Address:    Address(t.Name, p.Name),
			Directive:  p.Name,
			LiveBefore: model.Value{Set: true, Value: liveNow},
			After:      after,
			Sensitive:  d.Sensitive,
		}
		liveDiffers := liveNow != after
		fileDiffers := false
		if file != nil {
			if file.Present[p.Name] {
				fileNow := normalizeOr(p, file.Values[p.Name])
				c.FileBefore = model.Value{Set: true, Value: fileNow}
				fileDiffers = fileNow != after
				if fileNow != liveNow {
					dr := model.Drift{Directive: p.Name, Live: liveNow, File: fileNow, Sensitive: d.Sensitive}
					tp.Drift = append(tp.Drift, dr)
				}
			} else {
				fileDiffers = true
			}
		}
		if !liveDiffers && !fileDiffers {
			continue
		}
		c.Action = model.Update
		if file != nil && !file.Present[p.Name] {
			c.Action = model.Create
		}
		c.FileChange = fileDiffers
		switch p.Mode() {
		case model.Restart:
			c.Mode = model.Restart
			c.Reason = fmt.Sprintf("%s is immutable: only a restart applies it", p.Name)
		case model.Protected:
			if protectedLive && !movesData(p.Name) {
				c.Mode = model.Live
			} else {
				c.Mode = model.Protected
				c.Reason = fmt.Sprintf("%s is protected: CONFIG SET refuses it unless enable-protected-configs allows it, so it applies at the next restart", p.Name)
			}
		default:
			c.Mode = model.Live
		}
		c.LiveChange = liveDiffers && c.Mode == model.Live
		if p.Name == "appendonly" && after == "yes" && liveNow != "yes" {
			tp.EnableAOF = true
		}
		tp.Changes = append(tp.Changes, c)
	}

	rewriteLeftover(in, tp)
	renameChanges(tp, t, file)
	tp.Risks = append(risks(t, tp, live, in.State.File), renamed...)
	if in.Replica != "" && live.Info["master_link_status"] != "up" {
		tp.Risks = append(tp.Risks, model.Risk{Message: fmt.Sprintf(
			"the replica's link to its primary is %s: a restart waits until it is up and caught up, and a backup will not read from it", live.Info["master_link_status"])})
	}
	attachSchedules(tp, in, cron, files)
	for i := range tp.Changes {
		mask(&tp.Changes[i])
	}
	for i := range tp.Drift {
		if tp.Drift[i].Sensitive {
			tp.Drift[i].Live, tp.Drift[i].File = "", ""
		}
	}
	sort.SliceStable(tp.Changes, func(i, j int) bool { return tp.Changes[i].Address < tp.Changes[j].Address })
	return tp
}

// mask drops sensitive values from a change: plans are printed, saved and
// posted to pull requests, so they never hold a secret. Apply takes the
// value from the spec.
func mask(c *model.Change) {
	if !c.Sensitive {
		return
	}
	c.LiveBefore.Value, c.FileBefore.Value, c.After = "", "", ""
}

func normalizeOr(p *catalog.Param, raw string) string {
	if n, err := p.Normalize(raw); err == nil {
		return n
	}
	return raw
}

// movesData reports whether a directive says where Redis keeps its data
// (dir, dbfilename). Those are never changed live, even where
// enable-protected-configs would allow it: apply changes them by a restart
// that carries the files over to the new names.
func movesData(name string) bool { return name == "dir" || name == "dbfilename" }

// protectedConfigsAllowed reports whether CONFIG SET may change dir and
// dbfilename on this connection.
func protectedConfigsAllowed(live *model.LiveState) bool {
	switch live.Config["enable-protected-configs"] {
	case "yes":
		return true
	case "local":
		return live.Loopback
	}
	return false
}

// restoreHold says what it means when the server or its config file holds
// min-replicas-to-write at RestoreHoldValue: a restore was interrupted
// before it checked the restored data. "" when neither does.
func restoreHold(in Input, file *redisconf.FileValues) string {
	var where []string
	if in.State.Live.Config["min-replicas-to-write"] == model.RestoreHoldValue {
		where = append(where, "live")
	}
	if file != nil && file.Values["min-replicas-to-write"] == model.RestoreHoldValue {
		where = append(where, "in "+in.State.File.Path)
	}
	if len(where) == 0 {
		return ""
	}
	if in.Leftovers.RestoreRunning {
		return fmt.Sprintf("min-replicas-to-write is %s (%s): %s; it refuses writes until the restored data is checked, "+
			"and apply changes nothing on this server meanwhile", model.RestoreHoldValue, strings.Join(where, " and "), in.Leftovers.Restore)
	}
	msg := fmt.Sprintf("min-replicas-to-write is %s (%s), which redisplan restore sets so that the restored server refuses writes "+
		"until its data is checked: a restore was interrupted, and the server refuses every write", model.RestoreHoldValue, strings.Join(where, " and "))
	if in.Leftovers.Restore != "" {
		msg += " (" + in.Leftovers.Restore + ")"
	}
	return msg + "; run redisplan restore again to finish it: it checks the data and puts your values back. " +
		"apply changes nothing on this server until then: letting writes in would skip the check of the restored data"
}

// rewriteLeftover names auto-aof-rewrite-percentage 0 left by a backup
// run that was killed while it held AOF rewrites off, in the drift of the
// directive when the spec manages it, else as a risk.
func rewriteLeftover(in Input, tp *model.TargetPlan) {
	const name = "auto-aof-rewrite-percentage"
	h := in.Leftovers.Rewrite
	live := in.State.Live
	if h == nil || live.Config[name] != "0" || h.RunID != live.RunID {
		return
	}
	note := fmt.Sprintf("left at 0 by a backup run (pid %d, %s) that was stopped while it copied the AOF: not a change made outside "+
		"redisplan; the next backup run puts back %s, or CONFIG SET %s %s now", h.PID, h.Time, h.Original, name, h.Original)
	for i := range tp.Drift {
		if tp.Drift[i].Directive == name {
			tp.Drift[i].Note = note
			return
		}
	}
	tp.Risks = append(tp.Risks, model.Risk{Directive: name, Message: name + " " + note})
}

// attachSchedules puts the target's crontab and schedule-file changes into
// its plan, with the risks of what their job lines will run with: every
// plan that installs schedules, whether CONFIG can be read or not.
func attachSchedules(tp *model.TargetPlan, in Input, cron *model.CrontabChange, files []model.FileChange) {
	tp.Crontab = cron
	tp.ScheduleFiles = files
	tp.Risks = append(tp.Risks, varFileRisks(in, cron, files)...)
	tp.Risks = append(tp.Risks, otherValueRisk(in)...)
	tp.Risks = append(tp.Risks, podDefaultRisk(in)...)
}

// serverLabel names the server's engine and release: "Redis 7.0.15",
// "Valkey 8.1.1".
func serverLabel(live *model.LiveState) string {
	if v := live.Info["valkey_version"]; v != "" {
		return "Valkey " + v
	}
	return "Redis " + live.Version
}
