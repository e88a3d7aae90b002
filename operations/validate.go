package operations

import (
	"encoding/json"

	hclv2 "github.com/hashicorp/hcl/v2"

	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/planner/lint"
)

// ValidateResult is the machine-readable result of validate. Its shape is
// versioned: fields are only ever added under the same major version.
type ValidateResult struct {
	FormatVersion string           `json:"format_version"`
	Valid         bool             `json:"valid"`
	ErrorCount    int              `json:"error_count"`
	WarningCount  int              `json:"warning_count"`
	Diagnostics   []JSONDiagnostic `json:"diagnostics"`
	// Findings are the unsuppressed policy findings, in the shape of lint
	// -format json's; an error-level one makes the spec invalid.
	Findings json.RawMessage `json:"findings"`
}

// JSONDiagnostic is one diagnostic of the spec, with where it is.
type JSONDiagnostic struct {
	Severity string     `json:"severity"`
	Summary  string     `json:"summary"`
	Detail   string     `json:"detail,omitempty"`
	Range    *JSONRange `json:"range,omitempty"`
}

// JSONRange is a diagnostic's place in a file.
type JSONRange struct {
	Filename string  `json:"filename"`
	Start    JSONPos `json:"start"`
	End      JSONPos `json:"end"`
}

// JSONPos is one end of a JSONRange.
type JSONPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

// Validate judges a spec from its diagnostics and its policy findings: it
// is valid without an error diagnostic and without an unsuppressed
// error-level finding.
func Validate(diags hclv2.Diagnostics, findings []model.Finding) ValidateResult {
	out := ValidateResult{FormatVersion: "1.0", Diagnostics: []JSONDiagnostic{}}
	for _, d := range diags {
		jd := JSONDiagnostic{Summary: d.Summary, Detail: d.Detail, Severity: "error"}
		if d.Severity == hclv2.DiagWarning {
			jd.Severity = "warning"
			out.WarningCount++
		} else {
			out.ErrorCount++
		}
		if r := d.Subject; r != nil {
			jd.Range = &JSONRange{
				Filename: r.Filename,
				Start:    JSONPos{r.Start.Line, r.Start.Column, r.Start.Byte},
				End:      JSONPos{r.End.Line, r.End.Column, r.End.Byte},
			}
		}
		out.Diagnostics = append(out.Diagnostics, jd)
	}
	out.Findings = lint.FindingsJSON(Unsuppressed(findings))
	out.Valid = out.ErrorCount == 0 && len(PolicyErrors(findings)) == 0
	return out
}
