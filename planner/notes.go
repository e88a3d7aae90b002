package planner

import (
	"fmt"
	"math/big"

	"github.com/redisplan/redisplan/executors/conffile"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/units"
)

// renameChanges compares the spec's rename-command lines with the file's.
// CONFIG GET cannot see renames, so the file is the only side.
func renameChanges(tp *TargetPlan, t *model.Target, file *conffile.FileValues) {
	if len(t.Renames) == 0 {
		return
	}
	if file == nil {
		tp.Risks = append(tp.Risks, Risk{Directive: "rename-command",
			Message: "the spec renames or disables commands, but the target has no config_file: rename-command exists only in redis.conf, so nothing can apply it"})
		return
	}
	for _, r := range t.Renames {
		now, present := file.Renames[r.Command]
		if present && now == r.NewName {
			continue
		}
		c := Change{
			Address:    fmt.Sprintf("redis.%s.rename-command.%s", t.Name, r.Command),
			Directive:  "rename-command " + r.Command,
			Action:     Update,
			Mode:       FileOnly,
			FileBefore: Value{Set: present, Value: now},
			After:      r.NewName,
			Sensitive:  r.Sensitive,
			FileChange: true,
			Reason:     "rename-command exists only in redis.conf: it applies at the next restart",
		}
		if !present {
			c.Action = Create
		}
		tp.Changes = append(tp.Changes, c)
	}
}

// risks are the notes a careful operator would add to the plan, from what
// INFO says about the running server.
func risks(t *model.Target, tp *TargetPlan, live *LiveState) []Risk {
	out := []Risk{}
	changed := map[string]Change{}
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
			out = append(out, Risk{Directive: "maxmemory", Message: msg})
		}
	}
	if tp.EnableAOF {
		out = append(out, Risk{Directive: "appendonly", Message: fmt.Sprintf(
			"enabling AOF starts a rewrite: Redis forks and writes the whole dataset (used_memory %s). apply turns AOF on live first and waits for the rewrite before writing appendonly yes to the file, because Redis 7 started from a file saying yes with no AOF on disk would start EMPTY",
			humanString(used))})
	}
	if offAfter(tp, live) {
		out = append(out, Risk{Message: "after this change the server has no persistence at all (save \"\" and appendonly no): a restart loses every key"})
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
		out = append(out, Risk{Directive: name, Message: already + fmt.Sprintf(
			"changing %s changes where Redis looks for its data: restarted with the new names and no files under them, Redis starts EMPTY. "+
				"apply -allow-restart carries the data over: it stops the server, hard-links its files to the new names (rewriting the AOF manifest), "+
				"starts it, checks that it holds the same keys, and only then removes the old names; if that cannot be done (a new name is taken, "+
				"the files are not on this host) apply refuses before changing anything. Without -allow-restart apply refuses this change: "+
				"a file naming the new place would make the next restart start empty", locationName(c))})
	}
	return out
}

// locationName shows a location change: "dbfilename (dump.rdb -> orders.rdb)".
func locationName(c Change) string {
	if c.Sensitive {
		return c.Directive
	}
	return fmt.Sprintf("%s (%s -> %s)", c.Directive, c.LiveBefore.Value, c.After)
}

// offAfter reports whether the plan turns the last form of persistence off.
func offAfter(tp *TargetPlan, live *LiveState) bool {
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
func cronChange(in Input) *CrontabChange {
	var have []string
	where := ""
	if in.State.Cron != nil {
		have = in.State.Cron.Lines
		where = in.State.Cron.Where
	}
	want := in.CronLines
	if in.Target.Cron == nil || equalLines(have, want) {
		return nil
	}
	cc := &CrontabChange{Where: where, Lines: want, Added: []string{}, Removed: []string{}}
	switch {
	case have == nil:
		cc.Action = Create
	case want == nil:
		cc.Action = Delete
	default:
		cc.Action = Update
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
	return cc
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
