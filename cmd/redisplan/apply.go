package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/redisplan/redisplan/cmd/redisplan/internal/arguments"
	"github.com/redisplan/redisplan/executors/crontab"
	"github.com/redisplan/redisplan/internal/units"
	"github.com/redisplan/redisplan/operations"
	"github.com/redisplan/redisplan/planner"
	"github.com/redisplan/redisplan/planner/lint"
)

func runApply(ctx context.Context, env *cmdEnv, a *arguments.Apply) int {
	targets := a.Targets
	res, ok := loadSpec(env, a.Spec)
	if !ok {
		return exitError
	}
	var saved *planner.Plan
	var err error
	if a.PlanFile != "" {
		if saved, err = operations.LoadPlan(a.PlanFile); err != nil {
			return fail(env, "apply", err)
		}
		if len(targets) == 0 {
			for _, tp := range saved.Targets {
				targets = append(targets, tp.Target)
			}
		}
	}
	selected, err := operations.SelectTargets(res.Spec, targets)
	var cronOpts crontab.RenderOptions
	if err == nil {
		cronOpts, err = operations.CrontabOptions(a.Spec.Config, a.Spec.VarFiles)
	}
	if err != nil {
		return fail(env, "apply", err)
	}
	// Policy errors stop apply before it reads or changes anything.
	findings, ok := checkPolicies(env, a.Spec, res, selected)
	if !ok {
		return exitError
	}
	findings = operations.Unsuppressed(findings)
	if errs := operations.PolicyErrors(findings); len(errs) > 0 {
		if !a.AllowPolicyErrors {
			lint.WriteText(env.stderr, errs, env.color(env.stderr, a.Spec.NoColor))
			fmt.Fprintf(env.stderr, "redisplan apply: refusing to apply: %s (%s); nothing was changed. Fix them, suppress each with an ignore block or a # redisplan:ignore comment that gives a reason, or run again with -allow-policy-errors.\n",
				units.Plural(len(errs), "policy error", "policy errors"), lint.FindingList(errs))
			return exitError
		}
		fmt.Fprintf(env.stderr, "WARNING: applying despite %d policy error(s): %s. -allow-policy-errors overrides them; this apply goes against the spec's own policies.\n",
			len(errs), lint.FindingList(errs))
	}

	view := newProgressView(env, env.stdout, a.JSON)
	o := operations.ApplyOptions{
		Spec: res, Targets: selected, Cron: cronOpts, Parallelism: a.Parallelism,
		Saved: saved, AllowRestart: a.AllowRestart,
		Show: func(p *planner.Plan) {
			planner.WriteText(env.stdout, p, selected, operations.Unsuppressed(findings), env.color(env.stdout, a.Spec.NoColor))
		},
		Emit: view.sink(""),
	}
	if a.JSON {
		o.Show = func(p *planner.Plan) {
			view.record(operations.NewApplyPlanRecord(p, lint.FindingsJSON(findings), time.Now()))
		}
	}
	if !a.AutoApprove {
		o.Approve = func() bool {
			return confirm(env, "apply", "Do you want to apply these changes?",
				"Review the plan and run again with -auto-approve, or save it with plan -out FILE and run apply FILE.")
		}
	}
	r, err := operations.Apply(ctx, o)
	if err != nil {
		return fail(env, "apply", err)
	}
	if a.JSON {
		s := r.Summary(time.Now())
		view.record(s)
		if s.Outcome == operations.ApplyApplied || s.Outcome == operations.ApplyNoChanges {
			return exitOK
		}
		return exitError
	}
	switch {
	case len(r.Stale) > 0:
		fmt.Fprintf(env.stderr, "Saved plan is stale: %s since the plan was made.\nRun redisplan plan again and review the new plan.\n", strings.Join(r.Stale, "; "))
		return exitError
	case r.Plan.HasErrors():
		writePlanErrors(env, r.Plan)
		fmt.Fprintln(env.stderr, "redisplan apply: some targets could not be planned (see the errors above); nothing was applied")
		return exitError
	case r.Declined:
		return exitError
	case !r.Plan.HasChanges():
		return exitOK
	}
	for _, f := range r.Failures {
		fmt.Fprintf(env.stderr, "Error: redis.%s: %v\n", f.Target, f.Err)
	}
	if len(r.Failures) > 0 {
		fmt.Fprintln(env.stdout, "Apply failed for some targets; see the errors above. Targets without an error were applied.")
		return exitError
	}
	totals := r.Applied
	schedules := ""
	if totals.ScheduleFiles > 0 {
		schedules = ", " + units.Plural(totals.ScheduleFiles, "schedule file", "schedule files")
	}
	fmt.Fprintf(env.stdout, "Apply complete: %s, %s%s, %d pending restart.\n",
		units.Plural(totals.LiveChanges, "live change", "live changes"),
		units.Plural(totals.FileChanges, "file change", "file changes"),
		schedules, len(totals.PendingChange))
	return exitOK
}

// confirm asks for "yes" on a terminal before the command named by what
// ("apply", "restore") changes anything. Without a terminal nobody can
// answer, so it refuses rather than guess; hint says how to go on.
func confirm(env *cmdEnv, what, question, hint string) bool {
	f, ok := env.stdin.(*os.File)
	if !ok || !isTerminal(f) {
		fmt.Fprintf(env.stderr, "redisplan %s: refusing to %s without confirmation: stdin is not a terminal; nothing was changed. %s\n", what, what, hint)
		return false
	}
	fmt.Fprintf(env.stdout, "\n%s Only 'yes' will be accepted: ", question)
	answer, _ := bufio.NewReader(env.stdin).ReadString('\n')
	if strings.TrimSpace(answer) != "yes" {
		fmt.Fprintf(env.stderr, "redisplan %s: cancelled; nothing was changed.\n", what)
		return false
	}
	return true
}
