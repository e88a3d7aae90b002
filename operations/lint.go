package operations

import (
	"time"

	hclv2 "github.com/hashicorp/hcl/v2"

	spechcl "github.com/redisplan/redisplan/hcl"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/planner/lint"
)

// SpecFindings are every finding on the spec: the built-in rules, the
// user's policies and the problems of suppression comments, with the ignore
// blocks and "# redisplan:ignore" comments applied at now. Suppressed
// findings are kept, with their reason. The diagnostics are those of
// policy conditions that cannot be evaluated.
func SpecFindings(res *spechcl.Result, now time.Time) ([]model.Finding, hclv2.Diagnostics) {
	findings := lint.Run(res.Spec)
	policies, diags := spechcl.EvalPolicies(res)
	findings = append(findings, policies...)
	ignores := append([]model.Ignore(nil), res.Spec.Ignores...)
	for _, name := range res.Filenames {
		f := res.Files[name]
		if f == nil {
			continue
		}
		ig, fs := lint.ParseComments(name, f.Bytes)
		ignores = append(ignores, ig...)
		findings = append(findings, fs...)
	}
	return lint.Apply(findings, ignores, now), diags
}

// Policies are the findings on the selected targets now, and those about
// the suppressions themselves, which belong to the spec as a whole. A
// diagnostic with an error is a broken policy condition: the spec is then
// as invalid as one that does not load.
func Policies(res *spechcl.Result, selected []*model.Target) ([]model.Finding, hclv2.Diagnostics) {
	all, diags := SpecFindings(res, time.Now())
	return forTargets(all, selected), diags
}

// forTargets keeps the findings on the selected targets, and those about
// the suppressions themselves.
func forTargets(fs []model.Finding, selected []*model.Target) []model.Finding {
	names := map[string]bool{}
	for _, t := range selected {
		names[t.Name] = true
	}
	var out []model.Finding
	for _, f := range fs {
		if f.Target == "" || f.Code == lint.SuppressionCode || names[f.Target] {
			out = append(out, f)
		}
	}
	return out
}

// Unsuppressed are the findings that no ignore block or comment hides.
func Unsuppressed(fs []model.Finding) []model.Finding {
	var out []model.Finding
	for _, f := range fs {
		if f.Suppressed == "" {
			out = append(out, f)
		}
	}
	return out
}

// PolicyErrors are the unsuppressed error-level findings: those that fail
// validate and stop apply.
func PolicyErrors(fs []model.Finding) []model.Finding {
	var out []model.Finding
	for _, f := range fs {
		if f.Suppressed == "" && f.Severity == model.SeverityError {
			out = append(out, f)
		}
	}
	return out
}
