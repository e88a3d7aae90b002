// Package check evaluates a target's health from what its server, its
// backup catalog and the previous run say, against the spec's thresholds.
// Evaluation is pure; gathering the inputs is a separate step.
package check

import (
	"fmt"
	"time"
)

// Status is a check's outcome, with Nagios's exit codes as values.
type Status int

const (
	OK       Status = 0
	Warning  Status = 1
	Critical Status = 2
	Unknown  Status = 3
)

var statusNames = [...]string{"ok", "warning", "critical", "unknown"}

func (s Status) String() string { return statusNames[s] }

// MarshalText gives JSON the stable lower-case names.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads the stable names back.
func (s *Status) UnmarshalText(b []byte) error {
	for i, n := range statusNames {
		if n == string(b) {
			*s = Status(i)
			return nil
		}
	}
	return fmt.Errorf("unknown status %q", b)
}

// severity orders statuses for "the worst of": critical, then unknown,
// then warning, then ok.
func (s Status) severity() int {
	return [...]int{0, 1, 3, 2}[s]
}

// Worst returns the worst of the statuses (OK for none).
func Worst(statuses ...Status) Status {
	w := OK
	for _, s := range statuses {
		if s.severity() > w.severity() {
			w = s
		}
	}
	return w
}

// Result is one check of one target.
type Result struct {
	Target string `json:"target"`
	// Name is stable and used in alerts and metrics: reachable,
	// memory_used_percent, rdb_last_bgsave, backup_age, ...
	Name   string `json:"name"`
	Status Status `json:"status"`
	// Value is the measured figure when the check has one; Unit is "%",
	// "s", "B", "ratio" or "" for counts.
	Value    *float64 `json:"value,omitempty"`
	Unit     string   `json:"unit,omitempty"`
	Warning  *float64 `json:"warning,omitempty"`
	Critical *float64 `json:"critical,omitempty"`
	// Message is one line a person reads: what was seen, against what.
	Message string `json:"message"`
}

// FormatVersion is the version of the JSON form of a Report. A change that
// only adds fields keeps the major number.
const FormatVersion = "1.0"

// Report is every result of one run.
type Report struct {
	FormatVersion string    `json:"format_version"`
	Time          time.Time `json:"time"`
	Status        Status    `json:"status"`
	Results       []Result  `json:"results"`
}

// NewReport makes the report of a run: its results in the given order and
// the worst of their statuses.
func NewReport(now time.Time, results []Result) Report {
	rep := Report{FormatVersion: FormatVersion, Time: now, Results: results}
	for _, r := range results {
		rep.Status = Worst(rep.Status, r.Status)
	}
	return rep
}

// Counts returns how many results have each status, indexed by Status.
func (r Report) Counts() [4]int {
	var n [4]int
	for _, res := range r.Results {
		if res.Status >= OK && res.Status <= Unknown {
			n[res.Status]++
		}
	}
	return n
}
