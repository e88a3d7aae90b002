package planner

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/words"
)

// JobVariables says where the scheduled jobs (crontab lines, systemd
// services) can find values for the spec's variables. A job runs the
// spec with the -var-files its line carries and the environment its
// scheduler gives it, never with the -var values or the environment of
// the plan that wrote it.
type JobVariables struct {
	// Required are the spec's variables without a default, sorted.
	Required []string
	// FromVarFiles are the variables set by the -var-files the job lines
	// carry.
	FromVarFiles []string
	// OnlyHere are the variables this plan was given with -var or in its
	// environment, with another value than the -var-files or the default
	// give the jobs.
	OnlyHere []string
	// PodDefaults are the variables a Kubernetes job takes from the
	// spec's default (non-sensitive, with a default) whose value in this
	// plan is another: the pods get only the Secret's variables.
	PodDefaults []string
}

// EnvPrefix is the prefix of the environment variables that set spec
// variables (hcl.EnvPrefix).
const EnvPrefix = "REDISPLAN_VAR_"

// unresolvedJobVariables returns the error of a target whose crontab
// lines or systemd services would run without a value for a required
// variable, empty when every job can resolve them all. Kubernetes jobs
// take every variable without a default from their Secret (validate
// refuses a cron block without one), so they are not checked here.
func unresolvedJobVariables(in Input) string {
	jv := in.JobVariables
	if jv == nil || len(jv.Required) == 0 {
		return ""
	}
	var missing []string
	for _, name := range jv.Required {
		if !slices.Contains(jv.FromVarFiles, name) {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return ""
	}
	var problems []string
	if len(in.CronLines) > 0 {
		where := "the crontab"
		var content []byte
		if in.State.Cron != nil {
			where, content = in.State.Cron.Where, in.State.Cron.Content
		}
		env := cronEnvironment(content, cronBlockName(in))
		var left []string
		for _, name := range missing {
			if !env[EnvPrefix+name] {
				left = append(left, name)
			}
		}
		if len(left) > 0 {
			problems = append(problems, fmt.Sprintf(
				"the crontab jobs in %s could not run: %s no default, and the job lines get no value for %s: the -var-files they carry do not set %s, and no %s line is above the block (-var values and the environment of this plan never reach a job), so every scheduled backup and check would fail with \"No value for required variable\". Pass %s with -var-file, which the job lines carry, or set %s in the cron file's environment (a line such as %s=... before the block)",
				where, hasNo(left), them(left), them(left), envNames(left), them(left), envNames(left), EnvPrefix+left[0]))
		}
	}
	for _, d := range in.Schedules {
		if d.Kind != "systemd" || len(d.Files) == 0 {
			continue
		}
		problems = append(problems, fmt.Sprintf(
			"the systemd services in %s could not run: %s no default, and the -var-files their ExecStart= lines carry do not set %s (the units give the jobs no other variables; -var values and the environment of this plan never reach a job), so every scheduled backup and check would fail with \"No value for required variable\". Pass %s with -var-file, which the job lines carry",
			d.Dir, hasNo(missing), them(missing), them(missing)))
	}
	if len(problems) == 0 {
		return ""
	}
	return strings.Join(problems, "; and ") + ". Nothing is applied until then: a plan never installs job lines that cannot run"
}

func cronBlockName(in Input) string {
	if in.Target.Cron != nil && in.Target.Cron.ID != "" {
		return in.Target.Cron.ID
	}
	return in.Target.Name
}

func hasNo(names []string) string {
	if len(names) == 1 {
		return fmt.Sprintf("the variable %s has", names[0])
	}
	return fmt.Sprintf("the variables %s have", strings.Join(names, ", "))
}

func them(names []string) string {
	if len(names) == 1 {
		return "it"
	}
	return "them"
}

func envNames(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = EnvPrefix + n
	}
	return strings.Join(out, ", ")
}

// cronEnvironment returns the names of the environment lines
// (NAME=value, crontab(5)) that the jobs of block get: cron gives a job
// the environment lines above it, so those before the block's begin
// marker, or all of them when the block is not there yet (apply appends
// it). Lines inside redisplan's blocks are skipped: apply rewrites them.
func cronEnvironment(content []byte, block string) map[string]bool {
	env := map[string]bool{}
	lines := strings.Split(string(content), "\n")
	begin := "# BEGIN redisplan " + block
	inBlock := false
	for _, raw := range lines {
		line := strings.TrimSpace(raw)
		switch {
		case line == begin:
			return env
		case strings.HasPrefix(line, "# BEGIN redisplan "):
			inBlock = true
			continue
		case strings.HasPrefix(line, "# END redisplan "):
			inBlock = false
			continue
		}
		if inBlock {
			continue
		}
		if name, ok := envLine(line); ok {
			env[name] = true
		}
	}
	return env
}

// envLine reports whether a crontab line is an environment setting, and
// its name: cron reads a name up to a space or '=', then, after optional
// spaces, an '='. A job line's first field is followed by another field,
// not by '='.
func envLine(line string) (string, bool) {
	if line == "" || line[0] == '#' {
		return "", false
	}
	i := strings.IndexAny(line, " \t=")
	if i <= 0 {
		return "", false
	}
	name := line[:i]
	if rest := strings.TrimLeft(line[i:], " \t"); !strings.HasPrefix(rest, "=") {
		return "", false
	}
	name = strings.Trim(name, `"'`)
	return name, name != ""
}

// otherValueRisk warns when the jobs the target writes would run with
// another value of a variable than this plan: one given with -var or in
// the environment of the plan, over a -var-file's value or the default.
// A variable no -var-file sets that the cron file's environment sets is
// left out: the jobs take that value, which the plan does not compare.
func otherValueRisk(in Input) []model.Risk {
	jv := in.JobVariables
	if jv == nil || len(jv.OnlyHere) == 0 {
		return nil
	}
	systemd := false
	for _, d := range in.Schedules {
		systemd = systemd || d.Kind == "systemd" && len(d.Files) > 0
	}
	if len(in.CronLines) == 0 && !systemd {
		return nil
	}
	var env map[string]bool
	if in.State.Cron != nil {
		env = cronEnvironment(in.State.Cron.Content, cronBlockName(in))
	}
	var names []string
	for _, name := range jv.OnlyHere {
		if !systemd && !slices.Contains(jv.FromVarFiles, name) && env[EnvPrefix+name] {
			continue
		}
		names = append(names, name)
	}
	if len(names) == 0 {
		return nil
	}
	what := "the variable " + names[0]
	if len(names) > 1 {
		what = "the variables " + strings.Join(names, ", ")
	}
	return []model.Risk{{Message: fmt.Sprintf(
		"the scheduled backup and check will run with another value of %s than this plan: this plan was given %s with -var or %s in its environment, which never reach a job, and the job lines take %s from their -var-files or the default. Put the value in the -var-file the jobs carry (or in the cron file's environment) so that they use it",
		what, them(names), envNames(names), them(names))}}
}

// podDefaultRisk warns when the target's CronJobs would run with the
// default of a variable that this plan was given another value for.
func podDefaultRisk(in Input) []model.Risk {
	jv := in.JobVariables
	if jv == nil || len(jv.PodDefaults) == 0 {
		return nil
	}
	for _, d := range in.Schedules {
		if d.Kind == "kubernetes" && len(d.Files) > 0 {
			what := "the variable " + jv.PodDefaults[0]
			if len(jv.PodDefaults) > 1 {
				what = "the variables " + strings.Join(jv.PodDefaults, ", ")
			}
			return []model.Risk{{Message: fmt.Sprintf(
				"the Kubernetes CronJobs will run with the default of %s, not this plan's value: their pods get no -var-file, only the Secret's variables (the sensitive ones and those without a default). Change the default in the spec, or make %s sensitive and add %s to the Secret",
				what, them(jv.PodDefaults), them(jv.PodDefaults))}}
		}
	}
	return nil
}

// varFileRisks says in words when the job lines of a crontab block or a
// systemd service would pass other -var-files than the installed ones: a
// -var-file dropped from the lines is a source of variables the jobs lose,
// which a line diff shows but does not explain.
func varFileRisks(in Input, cron *model.CrontabChange, files []model.FileChange) []model.Risk {
	var out []model.Risk
	if cron != nil && cron.Action == model.Update && in.State.Cron != nil {
		if r, ok := varFileRisk("the crontab jobs in "+cron.Where,
			cronVarFiles(in.State.Cron.Lines), cronVarFiles(in.CronLines)); ok {
			out = append(out, r)
		}
	}
	for _, f := range files {
		if f.Action != model.Update || f.Kind != "systemd" || !strings.HasSuffix(f.Name, ".service") {
			continue
		}
		var before, after []string
		for _, l := range f.Diff {
			switch {
			case strings.HasPrefix(l, "-ExecStart="):
				before = append(before, execVarFiles(strings.TrimPrefix(l, "-ExecStart="))...)
			case strings.HasPrefix(l, "+ExecStart="):
				after = append(after, execVarFiles(strings.TrimPrefix(l, "+ExecStart="))...)
			}
		}
		if len(before) == 0 && len(after) == 0 {
			continue
		}
		if r, ok := varFileRisk("the systemd service "+f.Name, before, after); ok {
			out = append(out, r)
		}
	}
	return out
}

func varFileRisk(what string, before, after []string) (model.Risk, bool) {
	var dropped, added []string
	for _, f := range uniq(before) {
		if !slices.Contains(after, f) {
			dropped = append(dropped, f)
		}
	}
	for _, f := range uniq(after) {
		if !slices.Contains(before, f) {
			added = append(added, f)
		}
	}
	if len(dropped) == 0 && len(added) == 0 {
		return model.Risk{}, false
	}
	var parts []string
	if len(dropped) > 0 {
		parts = append(parts, "stop passing -var-file "+strings.Join(dropped, ", -var-file ")+
			" (the installed lines pass it), so they will no longer read the variables it sets")
	}
	if len(added) > 0 {
		parts = append(parts, "start passing -var-file "+strings.Join(added, ", -var-file "))
	}
	msg := what + " change where they take the spec's variables from: they " + strings.Join(parts, ", and ") +
		". The jobs get only what their lines carry (and the cron file's environment), never this plan's -var values: plan with the -var-files the jobs need"
	if len(dropped) == 0 {
		msg = what + " change where they take the spec's variables from: they " + strings.Join(parts, ", and ")
	}
	return model.Risk{Message: msg}, true
}

func uniq(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return slices.Compact(s)
}

// cronVarFiles returns the -var-file arguments of a block's job lines.
func cronVarFiles(lines []string) []string {
	var out []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		// cron turns "\%" into "%" before the shell sees the line.
		out = append(out, varFileArgs(shellWords(strings.ReplaceAll(t, `\%`, "%")))...)
	}
	return out
}

// execVarFiles returns the -var-file arguments of an ExecStart= value.
func execVarFiles(v string) []string {
	v = strings.NewReplacer("%%", "%", "$$", "$").Replace(v)
	return varFileArgs(shellWords(v))
}

func varFileArgs(words []string) []string {
	var out []string
	for i, w := range words {
		switch {
		case (w == "-var-file" || w == "--var-file") && i+1 < len(words):
			out = append(out, words[i+1])
		case strings.HasPrefix(w, "-var-file="):
			out = append(out, strings.TrimPrefix(w, "-var-file="))
		case strings.HasPrefix(w, "--var-file="):
			out = append(out, strings.TrimPrefix(w, "--var-file="))
		}
	}
	return out
}

// shellWords splits a command line into words the way a shell (and,
// for what redisplan writes, systemd) does: single quotes are literal,
// double quotes and a backslash outside quotes escape one character.
func shellWords(s string) []string {
	w, _ := words.Split(s, shellQuoted)
	return w
}

// shellQuoted reads a shell's quoted part or escape at s[i]. An unclosed
// single quote runs to the end of the line, as does an unclosed double
// quote.
func shellQuoted(s string, i int) (string, int, bool, error) {
	switch {
	case s[i] == '\'':
		j := strings.IndexByte(s[i+1:], '\'')
		if j < 0 {
			return s[i+1:], len(s) - 1, true, nil
		}
		return s[i+1 : i+1+j], i + 1 + j, true, nil
	case s[i] == '"':
		var b strings.Builder
		j := i + 1
		for ; j < len(s) && s[j] != '"'; j++ {
			if s[j] == '\\' && j+1 < len(s) {
				j++
			}
			b.WriteByte(s[j])
		}
		return b.String(), j, true, nil
	case s[i] == '\\' && i+1 < len(s):
		return s[i+1 : i+2], i + 1, true, nil
	}
	return "", i, false, nil
}
