package model

// Severity of a finding. Only error-level findings fail validate and stop
// apply.
type Severity int

const (
	SeverityNotice Severity = iota
	SeverityWarning
	SeverityError
)

var severityNames = [...]string{"notice", "warning", "error"}

func (s Severity) String() string { return enumName(severityNames[:], s) }

// MarshalText gives JSON the stable names.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads the stable names back.
func (s *Severity) UnmarshalText(b []byte) error {
	return parseEnum(s, severityNames[:], b, "severity")
}

// ParseSeverity reads "error", "warning" or "notice".
func ParseSeverity(s string) (Severity, error) {
	var v Severity
	err := v.UnmarshalText([]byte(s))
	return v, err
}

// Finding is one rule's verdict on one target: a built-in lint rule's
// (planner/lint) or a user policy's (hcl).
type Finding struct {
	Code     string   `json:"code"` // RP001..., or the user policy's name
	Severity Severity `json:"severity"`
	Target   string   `json:"target"`
	Message  string   `json:"message"`
	// Pos is where the finding points in the spec (the attribute or block
	// that causes it, or the target's block).
	Pos Pos `json:"pos"`
	// Doc is the documentation page of a built-in rule: docs/rules/CODE.md.
	Doc string `json:"doc,omitempty"`
	// Fix is a suggested change, when one is mechanical.
	Fix string `json:"fix,omitempty"`
	// Suppressed holds the reason when a suppression silences the finding.
	Suppressed string `json:"suppressed,omitempty"`
}
