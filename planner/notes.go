package planner

import (
	"fmt"
	"github.com/redisplan/redisplan/internal/owner"
	"math/big"
	"strings"

	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/redisconf"
	"github.com/redisplan/redisplan/internal/units"
)

// renameChanges compares the spec's rename-command lines with the file's.
// CONFIG GET cannot see renames, so the file is the only side.
func renameChanges(tp *model.TargetPlan, t *model.Target, file *redisconf.FileValues) {
	if len(t.Renames) == 0 {
		return
	}
	if file == nil {
		tp.Risks = append(tp.Risks, model.Risk{Directive: "rename-command",
			Message: "the spec renames or disables commands, but the target has no config_file: rename-command exists only in redis.conf, so nothing can apply it"})
		return
	}
	for _, r := range t.Renames {
		now, present := file.Renames[r.Command]
		if present && now == r.NewName {
			continue
		}
		c := model.Change{
			Address:    fmt.Sprintf("redis.%s.rename-command.%s", t.Name, r.Command),
			Directive:  "rename-command " + r.Command,
			Action:     model.Update,
			Mode:       model.FileOnly,
			FileBefore: model.Value{Set: present, Value: now},
			After:      r.NewName,
			Sensitive:  r.Sensitive,
			FileChange: true,
			Reason:     "rename-command exists only in redis.conf: it applies at the next restart",
		}
		if !present {
			c.Action = model.Create
		}
		if r.Command == "SHUTDOWN" {
			c.Reason = "redisplan stops the server with SHUTDOWN: the new name applies at the next restart, and apply writes it only together with that restart (-allow-restart), so that the file keeps the name the running server knows until then"
		}
		if r.Command == "CONFIG" {
			// Both names are secrets, the old one as much as the new: a
			// rotation must not print the name it replaces.
			c.Sensitive = c.Sensitive || r.NewName != "" || now != ""
			c.Reason = configRenameReason(tp.ConfigSource)
		}
		tp.Changes = append(tp.Changes, c)
	}
}

// configRenameReason explains a change of CONFIG's name, which the server
// takes only when it restarts, and which apply writes only together with
// that restart: the file must keep the name the running server answers
// under, or nothing could reach it any more.
func configRenameReason(src model.ConfigSource) string {
	const apply = "; apply writes this line only together with that restart (-allow-restart), so that the file keeps the name the running server answers under until then"
	switch src {
	case model.ConfigFromFile:
		return "the server does not know the spec's CONFIG name yet: it answers under the name in its config file, which this plan used to read it, and takes the spec's name at its next restart" + apply
	case model.ConfigDisabled:
		return `CONFIG is disabled in the config file (rename-command CONFIG ""): the server takes the spec's secret name at its next restart` + apply
	}
	return "the server takes the new CONFIG name at its next restart" + apply
}

// configDisabledPlan is the plan of a server whose config file disables
// CONFIG (rename-command CONFIG "", as the seed's redis.conf does) while the
// spec gives it a secret name. Nothing reads the running server's settings:
// the plan holds the file's rename-command lines, whose one restart makes
// CONFIG reachable, and says that everything else is compared after it.
func configDisabledPlan(tp *model.TargetPlan, in Input, file *redisconf.FileValues) {
	t := in.Target
	path := "the config file"
	if in.State.File != nil {
		path = in.State.File.Path
	}
	named := false
	for _, r := range t.Renames {
		if r.Command == "CONFIG" && r.NewName != "" {
			named = true
		}
	}
	if !named || file == nil {
		tp.Error = fmt.Sprintf(`CONFIG is disabled in %s (rename-command CONFIG ""), so the running server's configuration can be neither read nor changed: `+
			`give CONFIG a secret name in the spec (security { renamed_commands = { CONFIG = var.config_command } }), and plan proposes the one restart that makes it reachable`, path)
		return
	}
	if file.Values["appendonly"] == "yes" && in.State.Live.Info["aof_enabled"] == "0" {
		// Redis 7 started from a file saying appendonly yes with no AOF on
		// disk starts empty.
		tp.Error = fmt.Sprintf("%s says appendonly yes but the running server has AOF off (INFO aof_enabled:0): a restart from this file would start it EMPTY. "+
			"Put appendonly no back into the file, let the restart give CONFIG its name, then let redisplan turn AOF on live", path)
		return
	}
	renameChanges(tp, t, file)
	// What the file already says is all that can be compared: the names
	// of the directives it holds otherwise, so that nobody is surprised by
	// the plan after the restart. Values stay out: some may be secrets.
	var differ []string
	for _, d := range t.Directives {
		p, ok := in.Catalog.Lookup(d.Name)
		if !ok {
			continue
		}
		want, err := p.Normalize(d.Value)
		if err != nil {
			want = d.Value
		}
		if !file.Present[p.Name] || normalizeOr(p, file.Values[p.Name]) != want {
			differ = append(differ, p.Name)
		}
	}
	later := "the file already holds every other setting of the spec"
	if len(differ) > 0 {
		later = fmt.Sprintf("the spec also differs from the file in %s, which that plan will show", strings.Join(differ, ", "))
	}
	tp.Risks = append(tp.Risks, model.Risk{Directive: "rename-command", Message: fmt.Sprintf(
		`CONFIG is disabled in %s (rename-command CONFIG ""), so nothing can read the running server's settings: this plan changes only the file's rename-command lines. `+
			`The running values are what the file held when the server started (nothing can change them while CONFIG is disabled), unless the file was edited since. `+
			`One restart with the secret name fixes it: apply -allow-restart writes the name and restarts the server through its service commands; `+
			`then run plan again, which compares every setting with the spec, live and in the file (%s)`, path, later)})
}

// risks are the notes a careful operator would add to the plan, from what
// INFO says about the running server.
func risks(t *model.Target, tp *model.TargetPlan, live *model.LiveState, file *model.FileState) []model.Risk {
	out := []model.Risk{}
	changed := map[string]model.Change{}
	for _, c := range tp.Changes {
		changed[c.Directive] = c
	}
	used := live.Info["used_memory"]

	if c, ok := changed["maxmemory"]; ok && c.LiveChange && !c.Sensitive {
		after, okA := new(big.Int).SetString(c.After, 10)
		usedN, okU := new(big.Int).SetString(used, 10)
		if okA && okU && after.Sign() > 0 && after.Cmp(usedN) < 0 {
			msg := fmt.Sprintf("the new maxmemory (%s) is below the memory in use (%s): Redis starts evicting at once", human(after), human(usedN))
			if live.Config["maxmemory-policy"] == "noeviction" {
				msg = fmt.Sprintf("the new maxmemory (%s) is below the memory in use (%s): with noeviction, writes fail with OOM at once", human(after), human(usedN))
			}
			out = append(out, model.Risk{Directive: "maxmemory", Message: msg})
		}
	}
	if tp.EnableAOF {
		out = append(out, model.Risk{Directive: "appendonly", Message: fmt.Sprintf(
			"enabling AOF starts a rewrite: Redis forks and writes the whole dataset (used_memory %s). apply turns AOF on live first and waits for the rewrite before writing appendonly yes to the file, because Redis 7 started from a file saying yes with no AOF on disk would start EMPTY",
			humanString(used))})
	}
	if f := file; f != nil && f.Exists && f.Mode&0o007 != 0 && len(t.Secrets()) > 0 {
		// The file holds (or is about to hold) requirepass, masterauth and
		// the secret command names: every local user could read them.
		out = append(out, model.Risk{Message: fmt.Sprintf(
			"%s is readable by every user on this host (mode %04o) and holds the target's secrets: apply writes it without access for other users (mode %04o); until then, chmod o-rwx it",
			f.Path, f.Mode, f.Mode&^0o007)})
	}
	if offAfter(tp, live) {
		out = append(out, model.Risk{Message: "after this change the server has no persistence at all (save \"\" and appendonly no): a restart loses every key"})
	}
	for _, name := range []string{"appenddirname", "appendfilename", "dbfilename", "dir"} {
		c, ok := changed[name]
		if !ok || c.LiveBefore.Value == c.After {
			continue
		}
		already := ""
		if c.FileBefore.Set && !c.FileChange {
			already = "the config file already names the new place while the server still uses the old one, so a restart by anyone else starts it EMPTY. "
		}
		out = append(out, model.Risk{Directive: name, Message: already + fmt.Sprintf(
			"changing %s changes where Redis looks for its data: restarted with the new names and no files under them, Redis starts EMPTY. "+
				"apply -allow-restart carries the data over: it stops the server, hard-links its files to the new names (rewriting the AOF manifest), "+
				"starts it, checks that it holds the same keys, and only then removes the old names; if that cannot be done (a new name is taken, "+
				"the files are not on this host) apply refuses before changing anything. Without -allow-restart apply refuses this change: "+
				"a file naming the new place would make the next restart start empty", locationName(c))})
	}
	return out
}

// locationName shows a location change: "dbfilename (dump.rdb -> orders.rdb)".
func locationName(c model.Change) string {
	if c.Sensitive {
		return c.Directive
	}
	return fmt.Sprintf("%s (%s -> %s)", c.Directive, c.LiveBefore.Value, c.After)
}

// offAfter reports whether the plan turns the last form of persistence off.
func offAfter(tp *model.TargetPlan, live *model.LiveState) bool {
	save, aof := live.Config["save"], live.Config["appendonly"]
	wasOn := save != "" || aof == "yes"
	for _, c := range tp.Changes {
		switch c.Directive {
		case "save":
			save = c.After
		case "appendonly":
			aof = c.After
		}
	}
	return wasOn && save == "" && aof != "yes"
}

func human(n *big.Int) string {
	if !n.IsUint64() {
		return n.String()
	}
	return units.FormatMemory(n.Uint64())
}

// humanString shows a byte count from INFO roughly, for prose: 1015696
// is "992K".
func humanString(s string) string {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok || !n.IsUint64() {
		return s
	}
	v := float64(n.Uint64())
	for _, unit := range []string{"B", "K", "M", "G", "T"} {
		if v < 1024 || unit == "T" {
			if unit == "B" {
				return fmt.Sprintf("%.0f%s", v, unit)
			}
			return fmt.Sprintf("%.1f%s", v, unit)
		}
		v /= 1024
	}
	return s
}

// cronChange compares the desired managed block with the installed one.
// A block of the same name that is not this spec's is never replaced: the
// second result then says whose it is and how to resolve it.
func cronChange(in Input) (*model.CrontabChange, string) {
	if in.Target.Cron == nil {
		return nil, ""
	}
	var have []string
	where := ""
	if in.State.Cron != nil {
		have = in.State.Cron.Lines
		where = in.State.Cron.Where
	}
	want := in.CronLines
	name := in.Target.Name
	if in.Target.Cron.ID != "" {
		name = in.Target.Cron.ID
	}
	self := in.CronOwner
	note := ""
	if have != nil {
		found, recorded := owner.FindLines(have)
		switch {
		case recorded && !found.IsZero() && self.Claims(found):
			// This spec's block.
		case want == nil:
			// Not this spec's, and this spec wants no block: nothing to
			// do, and nothing to refuse.
			return nil, ""
		case recorded && found.IsZero():
			return nil, fmt.Sprintf("the crontab block %q in %s has an owner line redisplan cannot read (edited by hand?), so it may be another spec's. %s",
				name, where, resolveCron(self, have))
		case recorded:
			return nil, fmt.Sprintf("the crontab block %q in %s belongs to %s, not to this spec (%s): applying would replace that server's backup and check jobs. %s",
				name, where, found, self.Spec, resolveCron(self, have))
		case (self.ID == "" || self.ID == in.Target.Name) && mentionsPath(strings.Join(have, "\n"), self.Spec):
			note = "adopted: the block has no owner line (an older redisplan wrote it) and its lines run this spec; apply adds the owner line"
		default:
			return nil, fmt.Sprintf("the crontab block %q in %s has no owner line (an older redisplan wrote it) and its lines do not run this spec (%s): it is probably another spec's, and applying would replace its jobs. %s",
				name, where, self.Spec, resolveCron(self, have))
		}
	}
	// The block this spec wrote under the target's name before the block
	// had an id would run the jobs a second time: it goes, when it is
	// provably this spec's.
	var previous []string
	if prev := in.State.Cron; prev != nil && prev.Previous != nil && name != in.Target.Name {
		found, recorded := owner.FindLines(prev.Previous)
		if recorded && !found.IsZero() && self.Claims(found) ||
			!recorded && mentionsPath(strings.Join(prev.Previous, "\n"), self.Spec) {
			previous = prev.Previous
		}
	}
	if equalLines(have, want) && previous == nil {
		return nil, ""
	}
	cc := &model.CrontabChange{Where: where, Block: name, Lines: want, Added: []string{}, Removed: []string{}, Owner: self.Line(), Note: note}
	switch {
	case have == nil && want == nil:
		cc.Action = model.Delete
	case have == nil:
		cc.Action = model.Create
	case want == nil:
		cc.Action = model.Delete
	default:
		cc.Action = model.Update
	}
	if previous != nil {
		cc.Previous = in.Target.Name
		cc.Removed = append(cc.Removed, previous...)
		if cc.Note != "" {
			cc.Note += "; "
		}
		cc.Note += fmt.Sprintf("the block %q this spec wrote before the cron block had an id is removed", in.Target.Name)
	}
	inHave := map[string]bool{}
	for _, l := range have {
		inHave[l] = true
	}
	inWant := map[string]bool{}
	for _, l := range want {
		inWant[l] = true
		if !inHave[l] {
			cc.Added = append(cc.Added, l)
		}
	}
	for _, l := range have {
		if !inWant[l] {
			cc.Removed = append(cc.Removed, l)
		}
	}
	return cc, ""
}

func equalLines(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
