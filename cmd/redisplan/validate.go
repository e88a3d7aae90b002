package main

import (
	"context"
	"encoding/json"
	"fmt"

	hclv2 "github.com/hashicorp/hcl/v2"
)

func runValidate(_ context.Context, env *cmdEnv, args []string) int {
	var sf specFlags
	var asJSON bool
	fs := newFlagSet(env, "validate", "validate [-json] [-config PATH] [-var name=value] [-var-file FILE]")
	sf.register(fs)
	fs.BoolVar(&asJSON, "json", false, "print the result as JSON")
	if code, done := parseFlags(env, fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.stderr, "redisplan validate: unexpected argument %q; use -config PATH\n", fs.Arg(0))
		return exitError
	}

	if asJSON {
		res, diags := loadQuiet(env, &sf)
		_ = res
		out := validateJSON(diags)
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(out)
		if diags.HasErrors() {
			return exitError
		}
		return exitOK
	}

	res, ok := loadSpec(env, &sf)
	if !ok {
		return exitError
	}
	fmt.Fprintf(env.stdout, "The spec is valid: %d target(s) in %d file(s).\n", len(res.Spec.Targets), len(res.Filenames))
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
	out := validateResult{FormatVersion: "1.0", Diagnostics: []jsonDiagnostic{}}
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
