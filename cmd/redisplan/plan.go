package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redisplan/redisplan/cmd/redisplan/internal/arguments"
	"github.com/redisplan/redisplan/operations"
	"github.com/redisplan/redisplan/planner"
	"github.com/redisplan/redisplan/planner/lint"
)

// exitChanges is plan -detailed-exitcode's answer when something differs.
const exitChanges = 2

func runPlan(ctx context.Context, env *cmdEnv, a *arguments.Plan) int {
	out := a.Out
	res, selected, ok := loadTargets(env, a.Spec, a.Targets, "plan")
	if !ok {
		return exitError
	}
	cronOpts, err := operations.CrontabOptions(a.Spec.Config, a.Spec.VarFiles)
	if err != nil {
		return fail(env, "plan", err)
	}
	findings, ok := checkPolicies(env, a.Spec, res, selected)
	if !ok {
		return exitError
	}
	o := operations.PlanOptions{Spec: res, Targets: selected, Cron: cronOpts, Parallelism: a.Parallelism}
	if out != "" {
		// Only a saved plan needs fingerprints.
		o.KDF = planner.NewKDF()
	}
	p := operations.Plan(ctx, o)

	switch a.Format {
	case "json":
		writeJSON(env.stdout, planJSON{Plan: publicPlan(p), Findings: lint.FindingsJSON(operations.Unsuppressed(findings))})
	case "markdown":
		planner.WriteMarkdown(env.stdout, p, selected, findings)
	default:
		planner.WriteText(env.stdout, p, selected, operations.Unsuppressed(findings), env.color(env.stdout, a.Spec.NoColor))
	}
	writePlanErrors(env, p)
	if out != "" {
		if err := operations.SavePlan(out, p); err != nil {
			return fail(env, "plan", err)
		}
		if a.Format == "text" {
			fmt.Fprintf(env.stdout, "\nSaved the plan to %s. Apply exactly it with: %s\n", out, arguments.ApplyCommand(a.Spec, out))
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
