package model

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestEnumNames checks that every action, mode and severity is written
// under its stable name and read back, and that an unknown name or value
// is reported rather than taken for another.
func TestEnumNames(t *testing.T) {
	type row struct {
		Action   Action   `json:"action"`
		Mode     Mode     `json:"mode"`
		Severity Severity `json:"severity"`
	}
	for _, r := range []row{
		{NoOp, Live, SeverityNotice},
		{Create, Restart, SeverityWarning},
		{Update, FileOnly, SeverityError},
		{Delete, Protected, SeverityError},
	} {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		want := `{"action":"` + r.Action.String() + `","mode":"` + r.Mode.String() + `","severity":"` + r.Severity.String() + `"}`
		if string(b) != want {
			t.Errorf("marshal %v = %s, want %s", r, b, want)
		}
		var back row
		if err := json.Unmarshal(b, &back); err != nil || back != r {
			t.Errorf("unmarshal %s = %v, %v; want %v", b, back, err, r)
		}
	}
	if got := []string{Delete.String(), Protected.String(), SeverityWarning.String()}; strings.Join(got, " ") != "delete protected warning" {
		t.Errorf("names = %q", got)
	}
	var r row
	if err := json.Unmarshal([]byte(`{"mode":"sometimes"}`), &r); err == nil || !strings.Contains(err.Error(), `unknown mode "sometimes"`) {
		t.Errorf("unmarshal of an unknown mode = %v", err)
	}
	if got := Mode(42).String(); got != "unknown" {
		t.Errorf("Mode(42) = %q", got)
	}
	if got := Action(-1).String(); got != "unknown" {
		t.Errorf("Action(-1) = %q", got)
	}
}
