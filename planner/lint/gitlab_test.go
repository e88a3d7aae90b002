package lint

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/redisplan/redisplan/internal/model"
)

// codeQualityIssue is an issue of GitLab's Code Quality report as its
// documentation lists the required fields.
type codeQualityIssue struct {
	Description string `json:"description"`
	CheckName   string `json:"check_name"`
	Fingerprint string `json:"fingerprint"`
	Severity    string `json:"severity"`
	Location    struct {
		Path  string `json:"path"`
		Lines struct {
			Begin int `json:"begin"`
		} `json:"lines"`
	} `json:"location"`
}

func gitlabReport(t *testing.T, fs []model.Finding, base, fallback string) []codeQualityIssue {
	t.Helper()
	var b bytes.Buffer
	if err := WriteGitLab(&b, fs, base, fallback); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(&b)
	dec.DisallowUnknownFields()
	var out []codeQualityIssue
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("not a Code Quality report: %v\n%s", err, b.String())
	}
	if out == nil {
		t.Fatal("the report is null, want an array")
	}
	return out
}

// TestWriteGitLab: one issue per unsuppressed finding with GitLab's
// fields, severities on GitLab's scale, paths relative to the working
// directory, and fingerprints that survive a line move but tell two
// identical findings in one file apart.
func TestWriteGitLab(t *testing.T) {
	base := t.TempDir()
	spec := filepath.Join(base, "specs", "redis.hcl")
	fs := []model.Finding{
		{Code: "RP001", Severity: model.SeverityError, Target: "main", Message: "no password", Pos: model.Pos{Filename: spec, Line: 3, Column: 5}},
		{Code: "RP012", Severity: model.SeverityWarning, Target: "main", Message: "maxmemory is not set", Pos: model.Pos{Filename: spec, Line: 1}},
		{Code: "RP010", Severity: model.SeverityNotice, Message: "advice", Pos: model.Pos{}},
		{Code: "aof", Severity: model.SeverityWarning, Target: "main", Message: "run AOF", Pos: model.Pos{Filename: spec, Line: 2}, Suppressed: "a cache"},
		{Code: "RP001", Severity: model.SeverityError, Target: "main", Message: "no password", Pos: model.Pos{Filename: spec, Line: 9}},
	}
	got := gitlabReport(t, fs, base, spec)
	if len(got) != 4 {
		t.Fatalf("got %d issues, want 4 (the suppressed finding left out): %+v", len(got), got)
	}
	for i, want := range []struct {
		check, severity, path string
		line                  int
	}{
		{"RP001", "critical", "specs/redis.hcl", 3},
		{"RP012", "major", "specs/redis.hcl", 1},
		{"RP010", "info", "specs/redis.hcl", 1},
		{"RP001", "critical", "specs/redis.hcl", 9},
	} {
		g := got[i]
		if g.CheckName != want.check || g.Severity != want.severity || g.Location.Path != want.path || g.Location.Lines.Begin != want.line {
			t.Errorf("issue %d = %+v, want %+v", i, g, want)
		}
		if g.Description == "" || len(g.Fingerprint) != 32 {
			t.Errorf("issue %d: description %q, fingerprint %q", i, g.Description, g.Fingerprint)
		}
	}
	if got[0].Description != "no password (main)" {
		t.Errorf("description = %q, want the message and the target", got[0].Description)
	}
	if got[0].Fingerprint == got[3].Fingerprint {
		t.Error("two identical findings in one file share a fingerprint: GitLab would show only one")
	}

	// The same finding on another line keeps its fingerprint.
	moved := append([]model.Finding(nil), fs[0])
	moved[0].Pos.Line = 30
	if again := gitlabReport(t, moved, base, spec); again[0].Fingerprint != got[0].Fingerprint {
		t.Error("moving a finding to another line changed its fingerprint: GitLab would report it as new")
	}

	// Nothing to report is an empty array; a path outside the base stays
	// as it is.
	if empty := gitlabReport(t, nil, base, spec); len(empty) != 0 {
		t.Errorf("no findings: %+v", empty)
	}
	outside := gitlabReport(t, []model.Finding{{Code: "RP001", Message: "m", Pos: model.Pos{Filename: "/elsewhere/r.hcl", Line: 1}}}, base, spec)
	if outside[0].Location.Path != "/elsewhere/r.hcl" {
		t.Errorf("path outside the working directory = %q", outside[0].Location.Path)
	}
}
