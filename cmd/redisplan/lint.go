package main

import (
	"context"
	"os"

	"github.com/redisplan/redisplan/cmd/redisplan/internal/arguments"
	spechcl "github.com/redisplan/redisplan/hcl"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/operations"
	"github.com/redisplan/redisplan/planner/lint"
)

func runLint(_ context.Context, env *cmdEnv, a *arguments.Lint) int {
	failOn, err := model.ParseSeverity(a.FailOn)
	if err != nil {
		return fail(env, "lint", err)
	}

	res, selected, ok := loadTargets(env, a.Spec, a.Targets, "lint")
	if !ok {
		return exitError
	}
	all, ok := checkPolicies(env, a.Spec, res, selected)
	if !ok {
		return exitError
	}

	// Each writer shows suppressed findings its own way: apart with their
	// reasons (text, markdown), marked (JSON, SARIF) or not at all (GitHub
	// annotations).
	switch a.Format {
	case "json":
		err = lint.WriteJSON(env.stdout, all)
	case "github":
		lint.WriteGitHub(env.stdout, all)
	case "gitlab":
		wd, _ := os.Getwd()
		err = lint.WriteGitLab(env.stdout, all, wd, firstFile(res.Filenames))
	case "sarif":
		err = lint.WriteSARIF(env.stdout, all, version)
	case "markdown":
		lint.WriteMarkdown(env.stdout, all)
	default:
		lint.WriteText(env.stdout, all, env.color(env.stdout, a.Spec.NoColor))
	}
	if err != nil {
		return fail(env, "lint", err)
	}
	for _, f := range operations.Unsuppressed(all) {
		if f.Severity >= failOn {
			return exitError
		}
	}
	return exitOK
}

// firstFile is the first of the spec's files, or "" when there is none.
func firstFile(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

// checkPolicies is operations.Policies for the selected targets, printing
// the diagnostics of policy conditions. ok is false when a condition is
// broken: the spec is then as invalid as one that does not load.
func checkPolicies(env *cmdEnv, s arguments.Spec, res *spechcl.Result, selected []*model.Target) ([]model.Finding, bool) {
	fs, diags := operations.Policies(res, selected)
	if len(diags) > 0 {
		writeDiagnostics(env.stderr, res.Files, diags, env.color(env.stderr, s.NoColor))
	}
	return fs, !diags.HasErrors()
}
