// Package apply carries out a target's plan: the managed file first, then
// one CONFIG SET, then a read-back, then restarts when allowed, then the
// crontab. It reports what it does as events and never prints.
package apply

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/redisplan/redisplan/executors/conffile"
	"github.com/redisplan/redisplan/executors/relocate"
	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/failpoint"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/owner"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/internal/redisconf"
)

// LiveConfig is the part of a live server that apply changes.
type LiveConfig interface {
	ConfigSet(ctx context.Context, pairs [][2]string) error
	ConfigGet(ctx context.Context, names ...string) (map[string]string, error)
	// EnableAOF turns AOF on and returns once its first rewrite is done.
	EnableAOF(ctx context.Context) error
}

// Restarter restarts a target's server, waits until it is loaded and
// checks that it holds the data it held before. When the restart fails
// after the old process ended, it calls steps.Undo and starts the server
// again on its old configuration.
type Restarter interface {
	Restart(ctx context.Context, steps RestartSteps) error
}

// RestartSteps are what apply adds to a restart.
type RestartSteps struct {
	// BeforeStart runs while the server is stopped, before it starts
	// again: it carries the data files over to new names.
	BeforeStart func(ctx context.Context) error
	// Undo puts the previous configuration back: the config file and the
	// carried files.
	Undo func(ctx context.Context) error
	// WantNames are the data file names the restarted server must use:
	// those the files were carried over to.
	WantNames map[string]string
	// OldNames are the names it used before, which a rollback restores.
	OldNames map[string]string
}

// CrontabStore reads and writes the crontab holding the managed block.
type CrontabStore interface {
	Read(ctx context.Context) ([]byte, error)
	Install(ctx context.Context, content []byte) error
}

// ScheduleFiles writes and removes a target's schedule files (systemd
// units, CronJob manifests).
type ScheduleFiles interface {
	// Write replaces the file only while it is target's or absent.
	Write(ctx context.Context, dir, name, target string, content []byte) error
	// Remove deletes the file only while it is still target's and its
	// owner line, if any, names want.
	Remove(ctx context.Context, dir, name, target string, want owner.Owner) error
}

// Splicer replaces the block called name in a crontab, refusing when the
// block there belongs to another owner than want.
type Splicer func(current []byte, name string, lines []string, want owner.Owner) ([]byte, error)

// Request is one target's apply.
type Request struct {
	Target       *model.Target
	Plan         *model.TargetPlan
	Catalog      *catalog.Catalog
	AllowRestart bool
	Live         LiveConfig
	Restarter    Restarter // nil when the target cannot be restarted
	// NoRestarter says why Restarter is nil, when the reason is not the
	// usual missing service block.
	NoRestarter string
	Crontab     CrontabStore
	Splice      Splicer
	Schedules   ScheduleFiles // needed when the plan has schedule files
	Emit        progress.Sink
}

// Result counts what was applied.
type Result struct {
	LiveChanges   int
	FileChanges   int
	Restarted     bool
	PendingChange []string
	CrontabDone   bool
	// ScheduleFiles counts the schedule files written or removed.
	ScheduleFiles int
}

// RestartNeeded lists the directives of a plan that only a restart makes
// the server use: restart-mode and protected changes whose live value
// differs (or cannot be compared, being sensitive), and file-only ones.
func RestartNeeded(tp *model.TargetPlan) []string {
	var names []string
	for _, c := range tp.Changes {
		if c.Mode == model.Restart || c.Mode == model.Protected || c.Mode == model.FileOnly {
			if c.Mode == model.FileOnly || c.LiveBefore.Value != c.After || c.Sensitive {
				names = append(names, c.Directive)
			}
		}
	}
	return names
}

// Run applies one target's plan. On failure it undoes what it did (the
// file is restored, AOF turned back off when this run turned it on) and
// the error says what was and was not done.
func Run(ctx context.Context, req Request) (Result, error) {
	var res Result
	t, tp := req.Target, req.Plan
	emit := req.Emit.With(progress.Event{Operation: progress.OpApply, Target: t.Name}).Say
	desired := desiredDirectives(t, req.Catalog)
	renames := map[string]model.Rename{}
	for _, r := range t.Renames {
		renames["rename-command "+r.Command] = r
	}

	// 0. A change of where Redis keeps its data is carried out by a
	// restart that carries the files over, or not at all: checked before
	// anything changes.
	var reloc *relocation
	if moving := LocationChanges(tp); len(moving) > 0 {
		var err error
		reloc, err = planRelocation(ctx, req, desired, moving)
		if err != nil {
			return res, fmt.Errorf("%w. Nothing was changed", err)
		}
		emit(progress.Step, "%s: the data files will be carried over while the server is stopped (%s)", strings.Join(moving, ", "), reloc.carry.Describe())
	}

	// 1. AOF first: a file saying "appendonly yes" must never exist
	// before the AOF does.
	aofTurnedOn := false
	if tp.EnableAOF && hasLive(tp, "appendonly") {
		if err := req.Live.EnableAOF(ctx); err != nil {
			return res, fmt.Errorf("enable AOF on redis.%s: %w. Nothing was changed", t.Name, err)
		}
		aofTurnedOn = true
		emit(progress.Step, "AOF enabled live and its first rewrite finished")
	}
	undoAOF := func() {
		if !aofTurnedOn {
			return
		}
		if err := req.Live.ConfigSet(context.WithoutCancel(ctx), [][2]string{{"appendonly", "no"}}); err != nil {
			emit(progress.Warning, "could not turn AOF back off: %v", err)
			return
		}
		emit(progress.RolledBack, "AOF turned back off")
	}

	// 2. The managed file, atomically, with the previous one kept.
	var previous []byte
	existed, fileWritten := false, false
	var edits []redisconf.Edit
	// A new name for CONFIG or SHUTDOWN, the commands redisplan reaches
	// and stops the server with, is written only together with the
	// restart that makes the server take it: until then the file must
	// keep the names the running server knows, the only place redisplan
	// can learn them from.
	restarting := req.AllowRestart && req.Restarter != nil
	var held []string
	for _, c := range tp.Changes {
		if !c.FileChange {
			continue
		}
		if r, ok := renames[c.Directive]; ok {
			if (r.Command == "CONFIG" || r.Command == "SHUTDOWN") && !restarting {
				held = append(held, c.Directive)
				continue
			}
			edits = append(edits, redisconf.Edit{Directive: "rename-command", Key: r.Command, Lines: []string{renameLine(r)}})
			continue
		}
		d := desired[c.Directive]
		p, _ := req.Catalog.Lookup(c.Directive)
		var aliases []string
		if p != nil && p.Alias != "" {
			aliases = []string{p.Alias}
		}
		edits = append(edits, redisconf.Edit{Directive: c.Directive, Aliases: aliases, Lines: redisconf.DirectiveLines(req.Catalog, c.Directive, d.Value)})
	}
	if len(edits) > 0 {
		if t.ConfigFile == "" {
			undoAOF()
			return res, fmt.Errorf("redis.%s has file changes but no config_file", t.Name)
		}
		current, err := os.ReadFile(t.ConfigFile)
		existed = err == nil
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			undoAOF()
			return res, fmt.Errorf("read %s: %w. Nothing was changed", t.ConfigFile, err)
		}
		next, err := redisconf.ApplyEdits(current, edits)
		if err != nil {
			undoAOF()
			return res, fmt.Errorf("edit %s: %w. Nothing was changed", t.ConfigFile, err)
		}
		previous, err = conffile.Write(t.ConfigFile, next)
		if err != nil {
			undoAOF()
			return res, fmt.Errorf("write %s: %w. Nothing was changed", t.ConfigFile, err)
		}
		fileWritten = true
		failpoint.Hit(failpoint.ApplyAfterFileWrite)
		res.FileChanges = len(edits)
		emit(progress.Step, "wrote %d change(s) to %s (previous file kept as %s.redisplan.bak)", len(edits), t.ConfigFile, t.ConfigFile)
	}
	undoFile := func() {
		if !fileWritten {
			return
		}
		if err := conffile.Restore(t.ConfigFile, previous, existed); err != nil {
			emit(progress.Warning, "could not restore %s: %v; the previous content is in %s.redisplan.bak", t.ConfigFile, err, t.ConfigFile)
			return
		}
		emit(progress.RolledBack, "restored %s", t.ConfigFile)
	}

	// 3. Every live change in one CONFIG SET: all or nothing.
	var pairs [][2]string
	var names []string
	for _, c := range tp.Changes {
		if !c.LiveChange || (aofTurnedOn && c.Directive == "appendonly") {
			continue
		}
		pairs = append(pairs, [2]string{c.Directive, desired[c.Directive].Value})
		names = append(names, c.Directive)
	}
	if len(pairs) > 0 {
		if err := req.Live.ConfigSet(ctx, pairs); err != nil {
			undoFile()
			undoAOF()
			return res, fmt.Errorf("CONFIG SET on redis.%s failed, so no live value changed and the file was restored: %w", t.Name, err)
		}
		res.LiveChanges = len(pairs)
		emit(progress.Step, "CONFIG SET %s", strings.Join(names, " "))
	}
	if aofTurnedOn {
		res.LiveChanges++
	}

	// 4. Read back: a value Redis accepted but holds differently (hz is
	// clamped, for one) is reported, not hidden.
	if len(names) > 0 {
		got, err := req.Live.ConfigGet(ctx, names...)
		if err != nil {
			return res, fmt.Errorf("read back redis.%s: %w (the changes were applied)", t.Name, err)
		}
		var bad []string
		for _, n := range names {
			p, _ := req.Catalog.Lookup(n)
			want := desired[n].Value
			have := got[n]
			if p != nil {
				if v, err := p.Normalize(have); err == nil {
					have = v
				}
			}
			if have != want {
				if desired[n].Sensitive {
					bad = append(bad, n+" (sensitive value)")
				} else {
					bad = append(bad, fmt.Sprintf("%s is %s, not %s", n, have, want))
				}
			}
		}
		if len(bad) > 0 {
			return res, fmt.Errorf("redis.%s accepted the changes but reads back differently: %s", t.Name, strings.Join(bad, "; "))
		}
	}

	// 5. Restarts, only when allowed.
	restartNeeded := RestartNeeded(tp)
	if len(held) > 0 {
		restartNeeded = slices.DeleteFunc(restartNeeded, func(d string) bool { return slices.Contains(held, d) })
		res.PendingChange = append(res.PendingChange, held...)
		how := "apply -allow-restart writes it and restarts the server"
		if req.Restarter == nil {
			how = "add a service block so that apply -allow-restart can write it and restart the server"
		}
		for _, d := range held {
			emit(progress.Pending, "%s: not written yet: the file keeps the name the running server knows until a restart gives it the new one; %s", d, how)
		}
	}
	if len(restartNeeded) > 0 {
		switch {
		case !req.AllowRestart:
			res.PendingChange = append(res.PendingChange, restartNeeded...)
			emit(progress.Pending, "%s: written to the file, applied at the next restart (apply -allow-restart restarts now)", strings.Join(restartNeeded, ", "))
		case req.Restarter == nil:
			res.PendingChange = append(res.PendingChange, restartNeeded...)
			why := req.NoRestarter
			if why == "" {
				why = "the target has no service block to restart it with"
			}
			emit(progress.Pending, "%s: written to the file, but %s", strings.Join(restartNeeded, ", "), why)
		default:
			undone := false
			steps := RestartSteps{Undo: func(ctx context.Context) error {
				undone = true
				if reloc != nil {
					if err := reloc.carry.Undo(); err != nil {
						return fmt.Errorf("remove the carried-over files: %w", err)
					}
				}
				if fileWritten {
					if err := conffile.Restore(t.ConfigFile, previous, existed); err != nil {
						return fmt.Errorf("restore %s: %w; the previous content is in %s.redisplan.bak", t.ConfigFile, err, t.ConfigFile)
					}
					emit(progress.RolledBack, "restored %s", t.ConfigFile)
				}
				return nil
			}}
			if reloc != nil {
				steps.WantNames = reloc.to.Map(req.Target.DataDir == "")
				steps.OldNames = reloc.from.Map(req.Target.DataDir == "")
				steps.BeforeStart = func(ctx context.Context) error {
					// Planned again: the stop wrote the final files.
					c, err := relocate.Plan(reloc.from, reloc.to, reloc.aof)
					if err != nil {
						return fmt.Errorf("carry the data files over: %w", err)
					}
					reloc.carry = c
					if err := c.Do(); err != nil {
						return fmt.Errorf("carry the data files over: %w", err)
					}
					emit(progress.Step, "carried the data files over: %s", c.Describe())
					return nil
				}
			}
			if err := req.Restarter.Restart(ctx, steps); err != nil {
				if undone {
					return res, fmt.Errorf("the apply was undone: %w. The config file is back as it was before this apply", err)
				}
				if reloc != nil {
					// The server still runs on its old names: a file naming
					// the new ones would make its next restart start empty.
					undoFile()
					return res, fmt.Errorf("restart redis.%s: %w (the config file was restored; live changes were applied)", t.Name, err)
				}
				return res, fmt.Errorf("restart redis.%s: %w (the file and live changes were applied)", t.Name, err)
			}
			res.Restarted = true
			emit(progress.Step, "restarted the server for %s", strings.Join(restartNeeded, ", "))
			if reloc != nil {
				removed, left := reloc.carry.Finish()
				if len(removed) > 0 {
					emit(progress.Step, "the server loaded its data under the new names; removed the old names %s", strings.Join(removed, ", "))
				}
				if len(left) > 0 {
					emit(progress.Warning, "left in place (not the same file as a new name, so not proven redundant): %s", strings.Join(left, ", "))
				}
			}
		}
	}

	// 6. The crontab block.
	if tp.Crontab != nil && req.Crontab != nil {
		current, err := req.Crontab.Read(ctx)
		if err != nil {
			return res, fmt.Errorf("read crontab for redis.%s: %w (configuration changes were applied)", t.Name, err)
		}
		name := tp.Crontab.Block
		if name == "" {
			name = t.Name
		}
		want, _ := owner.Parse(tp.Crontab.Owner)
		next, err := req.Splice(current, name, tp.Crontab.Lines, want)
		if err == nil && tp.Crontab.Previous != "" {
			next, err = req.Splice(next, tp.Crontab.Previous, nil, want)
		}
		if err != nil {
			return res, fmt.Errorf("crontab of redis.%s in %s: %w (configuration changes were applied; the crontab was not changed)", t.Name, tp.Crontab.Where, err)
		}
		if err := req.Crontab.Install(ctx, next); err != nil {
			return res, fmt.Errorf("install crontab for redis.%s: %w (configuration changes were applied)", t.Name, err)
		}
		res.CrontabDone = true
		emit(progress.Step, "installed the crontab block in %s", tp.Crontab.Where)
	}

	// 7. The schedule files, one at a time, each atomically.
	if len(tp.ScheduleFiles) > 0 && req.Schedules == nil {
		return res, fmt.Errorf("redis.%s has schedule file changes but nothing to write them with", t.Name)
	}
	for _, fc := range tp.ScheduleFiles {
		path := filepath.Join(fc.Dir, fc.Name)
		var err error
		if fc.Action == model.Delete {
			want, _ := owner.Parse(fc.Owner)
			err = req.Schedules.Remove(ctx, fc.Dir, fc.Name, t.Name, want)
		} else {
			err = req.Schedules.Write(ctx, fc.Dir, fc.Name, t.Name, []byte(fc.Content))
		}
		if err != nil {
			return res, fmt.Errorf("%s for redis.%s: %w (%d of %d schedule files were done before; configuration and crontab changes were applied)",
				fc.Action, t.Name, err, res.ScheduleFiles, len(tp.ScheduleFiles))
		}
		res.ScheduleFiles++
		verb := map[model.Action]string{model.Create: "created", model.Update: "updated", model.Delete: "removed"}[fc.Action]
		emit(progress.Step, "%s %s", verb, path)
	}
	return res, nil
}

// locationDirectives are where Redis keeps its data: changing one and
// restarting makes Redis look for its files under new names.
var locationDirectives = []string{"dir", "dbfilename", "appenddirname", "appendfilename"}

// LocationChanges lists the directives of a plan that move where the
// server keeps its data.
func LocationChanges(tp *model.TargetPlan) []string {
	var out []string
	for _, c := range tp.Changes {
		if slices.Contains(locationDirectives, c.Directive) && c.LiveBefore.Value != c.After {
			out = append(out, c.Directive)
		}
	}
	return out
}

// relocation is the carrying over of a server's files that a plan needs.
type relocation struct {
	from, to relocate.Names
	aof      bool
	carry    *relocate.Carry
}

// planRelocation checks, before anything changes, that the files can be
// carried over: the restart is allowed and possible, and the new names are
// free.
func planRelocation(ctx context.Context, req Request, desired map[string]model.Directive, moving []string) (*relocation, error) {
	what := strings.Join(moving, ", ")
	switch {
	case !req.AllowRestart && !fileChanges(req.Plan, moving):
		return nil, fmt.Errorf("the config file already sets %s to what the spec says while the server still uses the old value, so a restart by anyone else starts it EMPTY: "+
			"run apply -allow-restart now, which carries the data files over while it restarts the server", what)
	case !req.AllowRestart:
		return nil, fmt.Errorf("changing %s makes Redis look for its data under new names, and a restart with the new names and no files there starts EMPTY. "+
			"apply carries the files over only while it restarts the server: run apply -allow-restart. Writing the file alone is refused, because the next restart would start empty", what)
	case req.Restarter == nil:
		why := req.NoRestarter
		if why == "" {
			why = "the target has no service block to restart it with"
		}
		return nil, fmt.Errorf("changing %s needs a restart that carries the data files over to the new names, but %s", what, why)
	}
	got, err := req.Live.ConfigGet(ctx, "dir", "dbfilename", "appenddirname", "appendfilename", "appendonly")
	if err != nil {
		return nil, fmt.Errorf("read where the server keeps its data: %w", err)
	}
	r := &relocation{
		from: relocate.Names{Dir: got["dir"], DBFilename: got["dbfilename"], AppendDirname: got["appenddirname"], AppendFilename: got["appendfilename"]},
		aof:  got["appendonly"] == "yes",
	}
	r.to = r.from
	for _, d := range []struct {
		name string
		dst  *string
	}{{"dir", &r.to.Dir}, {"dbfilename", &r.to.DBFilename}, {"appenddirname", &r.to.AppendDirname}, {"appendfilename", &r.to.AppendFilename}} {
		if v, ok := desired[d.name]; ok {
			*d.dst = v.Value
		}
	}
	if v, ok := desired["appendonly"]; ok {
		r.aof = v.Value == "yes"
	}
	if dd := req.Target.DataDir; dd != "" {
		if slices.Contains(moving, "dir") {
			return nil, fmt.Errorf("changing dir on a target with data_dir (%s) is refused: redisplan cannot tell where the new dir is on this host, so it cannot carry the files over; move them yourself while the server is stopped", dd)
		}
		r.from.Dir, r.to.Dir = dd, dd
	}
	c, err := relocate.Plan(r.from, r.to, r.aof)
	if err != nil {
		return nil, fmt.Errorf("changing %s needs the data files carried over to the new names, and that is not possible: %w", what, err)
	}
	r.carry = c
	return r, nil
}

// fileChanges reports whether the plan writes any of the directives to the
// config file.
func fileChanges(tp *model.TargetPlan, directives []string) bool {
	for _, c := range tp.Changes {
		if c.FileChange && slices.Contains(directives, c.Directive) {
			return true
		}
	}
	return false
}

func hasLive(tp *model.TargetPlan, directive string) bool {
	for _, c := range tp.Changes {
		if c.Directive == directive && c.LiveChange {
			return true
		}
	}
	return false
}

func renameLine(r model.Rename) string {
	return redisconf.RenameLine(r.Command, r.NewName)
}

// RunGroup applies the plans of a replication group one member at a time
// in the order given, replicas first and the primary last, and stops at
// the first failure: once a replica has failed, the primary (and any later
// replica) is left as it was, so the members that already changed are the
// ones a person checks first. Results are summed.
func RunGroup(ctx context.Context, reqs []Request) (Result, error) {
	var total Result
	// A member whose data files cannot be carried over stops the rollout
	// before any member changes.
	for _, req := range reqs {
		if !req.Plan.OwnChanges() {
			continue
		}
		if moving := LocationChanges(req.Plan); len(moving) > 0 {
			desired := desiredDirectives(req.Target, req.Catalog)
			if _, err := planRelocation(ctx, req, desired, moving); err != nil {
				return total, fmt.Errorf("%w. No member was changed", err)
			}
		}
	}
	for i, req := range reqs {
		if !req.Plan.OwnChanges() {
			continue
		}
		r, err := Run(ctx, req)
		total.LiveChanges += r.LiveChanges
		total.FileChanges += r.FileChanges
		total.Restarted = total.Restarted || r.Restarted
		total.PendingChange = append(total.PendingChange, r.PendingChange...)
		total.CrontabDone = total.CrontabDone || r.CrontabDone
		total.ScheduleFiles += r.ScheduleFiles
		if err != nil {
			if left := len(reqs) - i - 1; left > 0 {
				err = fmt.Errorf("%w; the %d member(s) after it in the order were not changed", err, left)
			}
			return total, err
		}
	}
	return total, nil
}

// desiredDirectives maps the spec's directives by the spec's name and by
// their primary name in the plan's catalog, which may differ (the spec's
// masterauth is Valkey 8's primaryauth): the plan names a change by the
// latter.
func desiredDirectives(t *model.Target, cat *catalog.Catalog) map[string]model.Directive {
	desired := map[string]model.Directive{}
	for _, d := range t.Directives {
		desired[d.Name] = d
		if cat == nil {
			continue
		}
		if p, ok := cat.Lookup(d.Name); ok {
			desired[p.Name] = d
		}
	}
	return desired
}
