package planner

import (
	"fmt"
	"io"
	"strings"

	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/units"
	"github.com/redisplan/redisplan/planner/lint"
)

// The plan's human views (text and a pull-request comment) are rendered
// from the same Plan that plan -json prints, so the two cannot disagree.

const (
	sensitiveValue   = "(sensitive value)"
	sensitiveChanged = "(sensitive value changed)"
)

type palette struct{ on bool }

func (p palette) c(code, s string) string {
	if !p.on {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func symbol(a model.Action) string {
	switch a {
	case model.Create:
		return "+"
	case model.Delete:
		return "-"
	}
	return "~"
}

func modeLabel(c model.Change) string {
	switch {
	case NeedsRestart(c):
		return "needs restart"
	case c.LiveChange:
		return "live"
	}
	return "file only"
}

// display shows a normalized value the way people write it: memory in
// units, empty strings quoted.
func display(cat *catalog.Catalog, directive, value string) string {
	if value == "" {
		return `""`
	}
	if cat != nil {
		if p, ok := cat.Lookup(directive); ok && p.Type == catalog.TypeMemory {
			if args := p.FileArgs(value); len(args) == 1 {
				return args[0]
			}
		}
	}
	if strings.ContainsAny(value, " \t") {
		return `"` + value + `"`
	}
	return value
}

func before(cat *catalog.Catalog, c model.Change) string {
	v := c.LiveBefore
	if !c.LiveChange && c.Mode != model.Restart && c.Mode != model.Protected {
		v = c.FileBefore
	}
	if c.Sensitive {
		if !v.Set {
			return "(none)"
		}
		return sensitiveValue
	}
	if !v.Set {
		return "(none)"
	}
	return display(cat, c.Directive, v.Value)
}

func after(cat *catalog.Catalog, c model.Change) string {
	if c.Sensitive {
		return sensitiveChanged
	}
	return display(cat, c.Directive, c.After)
}

// SummaryLine is the plan's closing line.
func SummaryLine(s Summary) string {
	if s.Live+s.Restart+s.File+s.Cron+s.Schedules == 0 {
		if s.Errors > 0 {
			return fmt.Sprintf("No changes for the servers that could be read; %s failed.", units.Plural(s.Errors, "server", "servers"))
		}
		return "No changes. Redis matches the spec."
	}
	// Schedule files are counted only when there are some, so that the
	// line of a spec without systemd or kubernetes blocks keeps its form.
	schedules := ""
	if s.Schedules > 0 {
		schedules = ", " + units.Plural(s.Schedules, "schedule file change", "schedule file changes")
	}
	return fmt.Sprintf("Plan: %s, %s, %s, %s%s.",
		units.Plural(s.Live, "live change", "live changes"),
		fmt.Sprintf("%d needs restart", s.Restart),
		units.Plural(s.File, "file change", "file changes"),
		units.Plural(s.Cron, "crontab change", "crontab changes"), schedules)
}

// catalogFor is the catalog the target's plan was made with.
func catalogFor(tp *model.TargetPlan, t *model.Target) *catalog.Catalog {
	declared := ""
	if t != nil {
		declared = t.RedisVersion
	}
	return PlanCatalog(tp, declared)
}

// WriteText prints the plan of each target, then the policy findings
// given (the CLI gives the unsuppressed ones; none leaves the section out),
// then the summary line.
func WriteText(w io.Writer, p *Plan, targets []*model.Target, findings []model.Finding, color bool) {
	pal := palette{color}
	byName := map[string]*model.Target{}
	for _, t := range targets {
		byName[t.Name] = t
	}
	for _, tp := range p.Targets {
		t := byName[tp.Target]
		cat := catalogFor(tp, t)
		head := "redis." + tp.Target
		if t != nil {
			head += " (" + t.Connection.Address
			if tp.Server != "" {
				head += ", " + tp.Server
			} else if tp.Version != "" {
				head += ", Redis " + tp.Version
			}
			head += ")"
		}
		fmt.Fprintln(w, pal.c("1", head))
		if tp.Error != "" || t == nil || t.Replication == nil {
			writeTargetBody(w, pal, tp, cat, "  ")
			continue
		}
		// A replication group: the members in the order apply changes
		// them, replicas first, each with its own changes.
		order := make([]string, 0, len(tp.Replicas)+1)
		for _, r := range tp.Replicas {
			order = append(order, "replica "+r.Member)
		}
		order = append(order, "primary "+t.Connection.Address)
		fmt.Fprintf(w, "  Replication group, applied in this order: %s\n", strings.Join(order, ", then "))
		if len(tp.Replicas) == 0 {
			fmt.Fprintln(w, "  (the primary lists no replicas)")
		}
		fmt.Fprintln(w)
		for i, r := range tp.Replicas {
			fmt.Fprintf(w, "  %d. replica %s\n", i+1, r.Member)
			writeTargetBody(w, pal, r, catalogFor(r, t), "    ")
		}
		fmt.Fprintf(w, "  %d. primary %s\n", len(tp.Replicas)+1, t.Connection.Address)
		writeTargetBody(w, pal, tp, cat, "    ")
	}
	if len(findings) > 0 {
		fmt.Fprintln(w, pal.c("1", "Policy findings:"))
		lint.WriteText(w, findings, color)
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, pal.c("1", SummaryLine(Summarize(p))))
}

// writeScheduleFiles lists the schedule files to write or remove, grouped
// by directory, with the changed lines of each update.
func writeScheduleFiles(w io.Writer, changes []model.FileChange, pal palette, ind string) {
	dir := ""
	for _, fc := range changes {
		if fc.Dir != dir {
			dir = fc.Dir
			fmt.Fprintf(w, "\n%sSchedule files (%s, %s):\n", ind, fc.Kind, fc.Dir)
		}
		colour := map[model.Action]string{model.Create: "32", model.Update: "33", model.Delete: "31"}[fc.Action]
		fmt.Fprintf(w, "%s  %s %s  (%s)\n", ind, pal.c(colour, symbol(fc.Action)), fc.Name, fc.Action)
		if fc.Note != "" {
			fmt.Fprintf(w, "%s      %s\n", ind, fc.Note)
		}
		for _, l := range fc.Diff {
			c := "32"
			if strings.HasPrefix(l, "-") {
				c = "31"
			}
			fmt.Fprintf(w, "%s      %s %s\n", ind, pal.c(c, l[:1]), l[1:])
		}
	}
}

// MarkdownMarker is the hidden first line of the plan's pull-request comment:
// CI finds the comment by it to update it instead of adding another.
const MarkdownMarker = "<!-- redisplan plan -->"

// WriteMarkdown renders a pull-request comment: lint's markdown of the
// findings (suppressed ones collapsed, with their reasons), a summary
// table, then the text plan in a collapsible block. lint's own marker line
// is left out, so that the comment has one marker, MarkdownMarker, first.
func WriteMarkdown(w io.Writer, p *Plan, targets []*model.Target, findings []model.Finding) {
	fmt.Fprintln(w, MarkdownMarker)
	var lm strings.Builder
	lint.WriteMarkdown(&lm, findings)
	for _, line := range strings.SplitAfter(lm.String(), "\n") {
		if strings.TrimSpace(line) != lint.MarkdownMarker {
			fmt.Fprint(w, line)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, "### redisplan plan\n\n")
	fmt.Fprintln(w, "| target | live | needs restart | file | crontab | drift | status |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---|")
	for _, tp := range p.Targets {
		one := &Plan{Targets: []*model.TargetPlan{tp}}
		s := Summarize(one)
		status := "no changes"
		switch {
		case len(tp.Errors()) > 0:
			status = "error: " + strings.ReplaceAll(strings.Join(tp.Errors(), "; "), "|", `\|`)
		case tp.HasChanges():
			status = "changes"
		}
		fmt.Fprintf(w, "| `%s` | %d | %d | %d | %d | %d | %s |\n", tp.Target, s.Live, s.Restart, s.File, s.Cron, s.Drift, status)
	}
	fmt.Fprintf(w, "\n**%s**\n\n<details><summary>Details</summary>\n\n```text\n", SummaryLine(Summarize(p)))
	WriteText(w, p, targets, nil, false)
	fmt.Fprint(w, "```\n\n</details>\n")
}

// writeTargetBody prints one server's changes, drift, crontab and risks,
// each line indented by ind, and a blank line after them.
func writeTargetBody(w io.Writer, pal palette, tp *model.TargetPlan, cat *catalog.Catalog, ind string) {
	if tp.Error != "" {
		fmt.Fprintf(w, "%s%s %s\n\n", ind, pal.c("31", "Error:"), tp.Error)
		return
	}
	if !tp.OwnChanges() && len(tp.Drift) == 0 {
		fmt.Fprintf(w, "%sNo changes.\n\n", ind)
		return
	}
	if tp.CreatesFile != "" {
		fmt.Fprintf(w, "%s%s does not exist: apply will create it, holding only the directives below\n", ind, tp.CreatesFile)
	}
	for _, c := range tp.Changes {
		sym := symbol(c.Action)
		colour := "33"
		if c.Action == model.Create {
			colour = "32"
		}
		was := before(cat, c)
		if tp.ConfigSource == model.ConfigDisabled && c.Directive == "rename-command CONFIG" {
			was = `"" (disabled)`
		}
		fmt.Fprintf(w, "%s%s %s: %s -> %s  [%s]\n", ind, pal.c(colour, sym), c.Directive, was, after(cat, c), modeLabel(c))
		if c.Reason != "" {
			fmt.Fprintf(w, "%s    %s\n", ind, c.Reason)
		}
	}
	if len(tp.Drift) > 0 {
		fmt.Fprintf(w, "\n%sChanged outside redisplan (live differs from the file):\n", ind)
		for _, d := range tp.Drift {
			if d.Sensitive {
				fmt.Fprintf(w, "%s  %s: the live value differs from the file's (sensitive values)\n", ind, d.Directive)
				continue
			}
			if d.Note != "" {
				fmt.Fprintf(w, "%s  %s: %s is redisplan's own, %s\n", ind, d.Directive, display(cat, d.Directive, d.Live), d.Note)
				continue
			}
			fmt.Fprintf(w, "%s  %s: a restart would change it from %s to %s\n", ind, d.Directive, display(cat, d.Directive, d.Live), display(cat, d.Directive, d.File))
		}
	}
	if cc := tp.Crontab; cc != nil {
		fmt.Fprintf(w, "\n%sCrontab (%s):\n", ind, cc.Where)
		if cc.Note != "" {
			fmt.Fprintf(w, "%s  %s\n", ind, cc.Note)
		}
		for _, l := range cc.Removed {
			fmt.Fprintf(w, "%s  %s %s\n", ind, pal.c("31", "-"), l)
		}
		for _, l := range cc.Added {
			fmt.Fprintf(w, "%s  %s %s\n", ind, pal.c("32", "+"), l)
		}
	}
	writeScheduleFiles(w, tp.ScheduleFiles, pal, ind)
	if len(tp.Risks) > 0 {
		fmt.Fprintf(w, "\n%sRisks:\n", ind)
		for _, r := range tp.Risks {
			fmt.Fprintf(w, "%s  %s %s\n", ind, pal.c("35", "!"), r.Message)
		}
	}
	fmt.Fprintln(w)
}
