package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/redisplan/redisplan/cmd/redisplan/internal/arguments"
	"github.com/redisplan/redisplan/executors/crontab"
	"github.com/redisplan/redisplan/operations"
	"github.com/redisplan/redisplan/planner"
	"github.com/redisplan/redisplan/planner/lint"
)

// exitChanges is plan -detailed-exitcode's answer when something differs.
const exitChanges = 2

func runPlan(ctx context.Context, env *cmdEnv, args []string) int {
	a, err := arguments.ParsePlan(args)
	if code, done := parsed(env, "plan", err, exitError); done {
		return code
	}
	sf, out, format := specFlagsOf(a.Spec), a.Out, a.Format

	res, selected, ok := loadTargets(env, &sf, a.Targets, "plan")
	if !ok {
		return exitError
	}
	cronOpts, err := operations.CrontabOptions(sf.config, sf.varFiles)
	if err != nil {
		return fail(env, "plan", err)
	}
	findings, ok := checkPolicies(env, &sf, res, selected)
	if !ok {
		return exitError
	}
	o := operations.PlanOptions{Spec: res, Targets: selected, Cron: cronOpts, Parallelism: a.Parallelism}
	if out != "" {
		// Only a saved plan needs fingerprints.
		o.KDF = planner.NewKDF()
	}
	p := operations.Plan(ctx, o)

	switch format {
	case "json":
		writeJSON(env.stdout, planJSON{Plan: publicPlan(p), Findings: lint.FindingsJSON(operations.Unsuppressed(findings))})
	case "markdown":
		writeMarkdown(env.stdout, p, selected, findings)
	default:
		writePlanText(env.stdout, p, selected, findings, env.color(env.stdout, sf.noColor))
	}
	writePlanErrors(env, p)
	if out != "" {
		if err := operations.SavePlan(out, p); err != nil {
			return fail(env, "plan", err)
		}
		if format == "text" {
			fmt.Fprintf(env.stdout, "\nSaved the plan to %s. Apply exactly it with: %s\n", out, applyCommand(a.Spec, out))
		}
	}
	switch {
	case p.HasErrors():
		return exitError
	case a.DetailedExitcode && p.HasChanges():
		return exitChanges
	}
	return exitOK
}

// writePlanErrors prints the targets that could not be planned.
func writePlanErrors(env *cmdEnv, p *planner.Plan) {
	for _, tp := range p.Targets {
		for _, e := range tp.Errors() {
			fmt.Fprintf(env.stderr, "Error: redis.%s: %s\n", tp.Target, e)
		}
	}
}

// planJSON is what plan -json prints: the plan, and the unsuppressed
// policy findings on its targets beside it, in lint -format json's shape.
type planJSON struct {
	*planner.Plan
	Findings json.RawMessage `json:"findings"`
}

// publicPlan is the plan without its fingerprints: -json is for people
// and tools reading changes; the fingerprints belong to plan files.
func publicPlan(p *planner.Plan) *planner.Plan {
	c := *p
	c.Fingerprints = nil
	return &c
}

// applyCommand is the apply command for a plan saved to out, with the
// spec flags plan was given: -config and -var-file as given, -var by name
// only (its value may be a secret; the user gives it again).
func applyCommand(spec arguments.Spec, out string) string {
	args := []string{"redisplan", "apply"}
	if spec.Config != "" {
		args = append(args, "-config", crontab.ShellQuote(spec.Config))
	}
	for _, f := range spec.VarFiles {
		args = append(args, "-var-file", crontab.ShellQuote(f))
	}
	for _, v := range spec.Vars {
		name, _, _ := strings.Cut(v, "=")
		args = append(args, "-var", "'"+name+"=...'")
	}
	return strings.Join(append(args, crontab.ShellQuote(out)), " ")
}
