package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	hclv2 "github.com/hashicorp/hcl/v2"

	"github.com/redisplan/redisplan/cmd/redisplan/internal/arguments"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/operations"
	"github.com/redisplan/redisplan/planner/lint"
)

func runValidate(_ context.Context, env *cmdEnv, args []string) int {
	a, err := arguments.ParseValidate(args)
	if code, done := parsed(env, "validate", err, exitError); done {
		return code
	}
	sf, asJSON := specFlagsOf(a.Spec), a.JSON

	if asJSON {
		res, diags := loadQuiet(env, &sf)
		var findings []model.Finding
		if !diags.HasErrors() {
			var pd hclv2.Diagnostics
			findings, pd = operations.SpecFindings(res, time.Now())
			diags = append(diags, pd...)
		}
		out := validateJSON(diags)
		out.Findings = lint.FindingsJSON(operations.Unsuppressed(findings))
		out.Valid = out.Valid && len(operations.PolicyErrors(findings)) == 0
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(out)
		if !out.Valid {
			return exitError
		}
		return exitOK
	}

	res, ok := loadSpec(env, &sf)
	if !ok {
		return exitError
	}
	findings, ok := checkPolicies(env, &sf, res, res.Spec.Targets)
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
		lint.WriteText(env.stderr, shown, !sf.noColor && isTerminal(env.stderr))
		notices = 0
	}
	if errs := operations.PolicyErrors(findings); len(errs) > 0 {
		fmt.Fprintf(env.stderr, "redisplan validate: policy errors: %d (%s). Fix them, or suppress each with an ignore block or a # redisplan:ignore comment that gives a reason.\n",
			len(errs), findingList(errs))
		return exitError
	}
	fmt.Fprintf(env.stdout, "The spec is valid: %d target(s) in %d file(s).", len(res.Spec.Targets), len(res.Filenames))
	if notices > 0 {
		fmt.Fprintf(env.stdout, " %s: see redisplan lint.", plural(notices, "policy notice", "policy notices"))
	}
	fmt.Fprintln(env.stdout)
	return exitOK
}

// validateJSON is the machine-readable result of validate. Its shape is
// versioned: fields are only ever added under the same major version.
type validateResult struct {
	FormatVersion string           `json:"format_version"`
	Valid         bool             `json:"valid"`
	ErrorCount    int              `json:"error_count"`
	WarningCount  int              `json:"warning_count"`
	Diagnostics   []jsonDiagnostic `json:"diagnostics"`
	// Findings are the unsuppressed policy findings, in the shape of lint
	// -format json's; an error-level one makes the spec invalid.
	Findings json.RawMessage `json:"findings"`
}

type jsonDiagnostic struct {
	Severity string     `json:"severity"`
	Summary  string     `json:"summary"`
	Detail   string     `json:"detail,omitempty"`
	Range    *jsonRange `json:"range,omitempty"`
}

type jsonRange struct {
	Filename string  `json:"filename"`
	Start    jsonPos `json:"start"`
	End      jsonPos `json:"end"`
}

type jsonPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

func validateJSON(diags hclv2.Diagnostics) validateResult {
	out := validateResult{FormatVersion: "1.0", Diagnostics: []jsonDiagnostic{}, Findings: json.RawMessage("[]")}
	for _, d := range diags {
		jd := jsonDiagnostic{Summary: d.Summary, Detail: d.Detail, Severity: "error"}
		if d.Severity == hclv2.DiagWarning {
			jd.Severity = "warning"
			out.WarningCount++
		} else {
			out.ErrorCount++
		}
		if r := d.Subject; r != nil {
			jd.Range = &jsonRange{
				Filename: r.Filename,
				Start:    jsonPos{r.Start.Line, r.Start.Column, r.Start.Byte},
				End:      jsonPos{r.End.Line, r.End.Column, r.End.Byte},
			}
		}
		out.Diagnostics = append(out.Diagnostics, jd)
	}
	out.Valid = out.ErrorCount == 0
	return out
}
