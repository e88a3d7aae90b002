package operations

import (
	"encoding/json"

	hclv2 "github.com/hashicorp/hcl/v2"

	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/planner/lint"
)

// ValidateFormatVersion is the version of ValidateResult's JSON. Fields
// are only ever added under the same major version. 1.1: error_count and
// warning_count count the policy findings too, and findings give their
// position as range, the shape of the diagnostics' range.
const ValidateFormatVersion = "1.1"

// ValidateResult is the machine-readable result of validate (docs/json.md).
type ValidateResult struct {
	FormatVersion string `json:"format_version"`
	Valid         bool   `json:"valid"`
	// ErrorCount counts the error diagnostics and the unsuppressed
	// error-level findings: valid is false exactly when it is not 0.
	ErrorCount int `json:"error_count"`
	// WarningCount counts the warning diagnostics and the unsuppressed
	// warning-level findings.
	WarningCount int              `json:"warning_count"`
	Diagnostics  []JSONDiagnostic `json:"diagnostics"`
	// Findings are the unsuppressed policy findings, in the shape of lint
	// -format json's; an error-level one makes the spec invalid.
	Findings json.RawMessage `json:"findings"`
}

// JSONDiagnostic is one diagnostic of the spec, with where it is.
type JSONDiagnostic struct {
	Severity string          `json:"severity"`
	Summary  string          `json:"summary"`
	Detail   string          `json:"detail,omitempty"`
	Range    *lint.JSONRange `json:"range,omitempty"`
}

// Validate judges a spec from its diagnostics and its policy findings: it
// is valid without an error diagnostic and without an unsuppressed
// error-level finding.
func Validate(diags hclv2.Diagnostics, findings []model.Finding) ValidateResult {
	out := ValidateResult{FormatVersion: ValidateFormatVersion, Diagnostics: []JSONDiagnostic{}}
	for _, d := range diags {
		jd := JSONDiagnostic{Summary: d.Summary, Detail: d.Detail, Severity: "error"}
		if d.Severity == hclv2.DiagWarning {
			jd.Severity = "warning"
			out.WarningCount++
		} else {
			out.ErrorCount++
		}
		if r := d.Subject; r != nil {
			startByte, endByte := r.Start.Byte, r.End.Byte
			jd.Range = &lint.JSONRange{
				Filename: r.Filename,
				Start:    lint.JSONRangePoint{Line: r.Start.Line, Column: r.Start.Column, Byte: &startByte},
				End:      &lint.JSONRangePoint{Line: r.End.Line, Column: r.End.Column, Byte: &endByte},
			}
		}
		out.Diagnostics = append(out.Diagnostics, jd)
	}
	shown := Unsuppressed(findings)
	for _, f := range shown {
		switch f.Severity {
		case model.SeverityError:
			out.ErrorCount++
		case model.SeverityWarning:
			out.WarningCount++
		}
	}
	out.Findings = lint.FindingsJSON(shown)
	out.Valid = out.ErrorCount == 0
	return out
}
