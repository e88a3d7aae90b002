package main

import (
	"context"
	"fmt"
	"time"

	hclv2 "github.com/hashicorp/hcl/v2"

	"github.com/redisplan/redisplan/cmd/redisplan/internal/arguments"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/units"
	"github.com/redisplan/redisplan/operations"
	"github.com/redisplan/redisplan/planner/lint"
)

func runValidate(_ context.Context, env *cmdEnv, a *arguments.Validate) int {
	if a.JSON {
		res, diags := loadQuiet(env, a.Spec)
		var findings []model.Finding
		if !diags.HasErrors() {
			var pd hclv2.Diagnostics
			findings, pd = operations.SpecFindings(res, time.Now())
			diags = append(diags, pd...)
		}
		out := operations.Validate(diags, findings)
		writeJSON(env.stdout, out)
		return verdictExit(out.Valid)
	}

	res, ok := loadSpec(env, a.Spec)
	if !ok {
		return exitError
	}
	findings, ok := checkPolicies(env, a.Spec, res, res.Spec.Targets)
	if !ok {
		return exitError
	}
	// Errors and warnings are problems, shown with any notices beside
	// them. Notices alone are advice: validate only counts them, and lint
	// shows them.
	shown := operations.Unsuppressed(findings)
	notices := 0
	for _, f := range shown {
		if f.Severity < model.SeverityWarning {
			notices++
		}
	}
	if len(shown) > notices {
		lint.WriteText(env.stderr, shown, env.color(env.stderr, a.Spec.NoColor))
		notices = 0
	}
	if errs := operations.PolicyErrors(findings); len(errs) > 0 {
		fmt.Fprintf(env.stderr, "redisplan validate: policy errors: %d (%s). Fix them, or suppress each with an ignore block or a # redisplan:ignore comment that gives a reason.\n",
			len(errs), lint.FindingList(errs))
		return exitError
	}
	fmt.Fprintf(env.stdout, "The spec is valid: %d target(s) in %d file(s).", len(res.Spec.Targets), len(res.Filenames))
	if notices > 0 {
		fmt.Fprintf(env.stdout, " %s: see redisplan lint.", units.Plural(notices, "policy notice", "policy notices"))
	}
	fmt.Fprintln(env.stdout)
	return exitOK
}
