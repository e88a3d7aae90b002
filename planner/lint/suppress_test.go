package lint_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/planner/lint"
)

var applyDay = time.Date(2026, time.June, 15, 12, 0, 0, 0, time.UTC)

// brief is what the suppression tests compare: where, what, and whether
// it is silenced.
type brief struct {
	Line       int
	Code       string
	Severity   string
	Target     string
	Suppressed string
	Message    string
}

func briefs(fs []model.Finding, withMessage bool) []brief {
	var out []brief
	for _, f := range fs {
		b := brief{Line: f.Pos.Line, Code: f.Code, Severity: f.Severity.String(), Target: f.Target, Suppressed: f.Suppressed}
		if withMessage {
			b.Message = f.Message
		}
		out = append(out, b)
	}
	return out
}

// TestSuppressSpec runs the rules over testdata/lint/suppress.hcl and
// applies its comments and ignore blocks.
func TestSuppressSpec(t *testing.T) {
	const path = "../../testdata/lint/suppress.hcl"
	spec := loadSpec(t, path)
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	comments, malformed := lint.ParseComments(path, src)
	findings := append(lint.Run(spec), malformed...)
	got := lint.Apply(findings, append(spec.Ignores, comments...), applyDay)

	const (
		cacheLine = 4
		storeLine = 22
	)
	want := []brief{
		{Line: cacheLine, Code: "RP009", Severity: "warning", Target: "cache", Suppressed: "backed up by the storage snapshots"},
		{Line: cacheLine, Code: "RP013", Severity: "warning", Target: "cache"},
		// The comment above the line.
		{Line: 11, Code: "RP005", Severity: "warning", Target: "cache", Suppressed: "sessions may be evicted; the ledger is elsewhere"},
		// The trailing comment.
		{Line: 16, Code: "RP004", Severity: "warning", Target: "cache", Suppressed: "docker network only"},
		// Not silenced: its ignore block expired.
		{Line: 17, Code: "RP011", Severity: "notice", Target: "cache"},
		{Line: 21, Code: "RP000", Severity: "notice", Message: "the ignore of RP012 expired on 2026-01-01"},
		{Line: storeLine, Code: "RP000", Severity: "error", Message: "an ignore needs a reason: this ignore of RP013 suppresses nothing until it says why the rule does not apply"},
		{Line: storeLine, Code: "RP009", Severity: "warning", Target: "store"},
		{Line: storeLine, Code: "RP012", Severity: "warning", Target: "store"},
		{Line: storeLine, Code: "RP013", Severity: "warning", Target: "store"},
		{Line: 25, Code: "RP000", Severity: "warning", Message: "malformed suppression comment: there is no built-in rule RP099"},
		{Line: 27, Code: "RP000", Severity: "warning", Message: `malformed suppression comment: unknown directive "redisplan:ignroe"; the only one is redisplan:ignore`},
		{Line: 38, Code: "RP000", Severity: "error", Message: "an ignore needs a reason: this ignore of RP013 suppresses nothing until it says why the rule does not apply"},
		{Line: 42, Code: "RP000", Severity: "notice", Message: "the ignore of RP011 expired on 2026-01-01"},
	}
	gotBriefs := briefs(got, false)
	for i, f := range got {
		if f.Code == lint.SuppressionCode {
			gotBriefs[i].Message = f.Message
		}
	}
	if diff := cmp.Diff(want, gotBriefs); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

func TestParseComments(t *testing.T) {
	src := strings.Join([]string{
		`redis "main" { # redisplan:ignore RP004 reason="a \"quoted\" word" until=2027-03-31`,
		`  // redisplan:ignore RP005 reason=short`,
		`  /* redisplan:ignore aof-everywhere reason="user policy" */`,
		`  # redisplan: an ordinary comment`,
		`  s = "# redisplan:ignore RP001 inside a string is not a comment"`,
		`  # redisplan:ignore RP006`,
		`  # redisplan:ignore`,
		`  # redisplan:ignore RP007 reason="x" until=31.03.2027`,
		`  # redisplan:ignore RP007 reason="unclosed`,
		`  # redisplan:ignore RP007 reason="x" owner=me`,
		`  # redisplan:ignore RP007 reason="x" reason="y"`,
		`  # redisplan:ignore RP000 reason="no"`,
		`  # redisplan:ignore RP007 because`,
		`}`,
	}, "\n")
	ignores, findings := lint.ParseComments("main.hcl", []byte(src))
	at := func(line int) model.Pos { return model.Pos{Filename: "main.hcl", Line: line} }
	wantIgnores := []model.Ignore{
		{Rule: "RP004", Reason: `a "quoted" word`, Until: time.Date(2027, time.March, 31, 0, 0, 0, 0, time.UTC), Pos: at(1)},
		{Rule: "RP005", Reason: "short", Pos: at(2)},
		{Rule: "aof-everywhere", Reason: "user policy", Pos: at(3)},
		{Rule: "RP006", Pos: at(6)},
	}
	if diff := cmp.Diff(wantIgnores, ignores); diff != "" {
		t.Errorf("ignores (-want +got):\n%s", diff)
	}
	wantLines := []int{7, 8, 9, 10, 11, 12, 13}
	if len(findings) != len(wantLines) {
		t.Fatalf("got %d malformed comments, want %d: %v", len(findings), len(wantLines), findings)
	}
	for i, f := range findings {
		if f.Pos.Line != wantLines[i] || f.Pos.Column != 3 || f.Code != "RP000" || f.Severity != model.SeverityWarning || f.Doc != "docs/rules/RP000.md" {
			t.Errorf("finding %d: %+v, want an RP000 warning at line %d column 3", i, f, wantLines[i])
		}
		if !strings.HasPrefix(f.Message, "malformed suppression comment: ") {
			t.Errorf("finding %d: %q", i, f.Message)
		}
	}
}

func TestApply(t *testing.T) {
	pos := func(line int) model.Pos { return model.Pos{Filename: "a.hcl", Line: line, Column: 5} }
	findings := []model.Finding{
		{Code: "RP005", Severity: model.SeverityWarning, Target: `cache["eu"]`, Pos: pos(10)},
		{Code: "RP005", Severity: model.SeverityWarning, Target: "store", Pos: pos(20)},
		{Code: "RP004", Severity: model.SeverityWarning, Target: "store", Pos: pos(30)},
	}
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	comment := func(rule, reason string, line int, until string) model.Ignore {
		ig := model.Ignore{Rule: rule, Reason: reason, Pos: model.Pos{Filename: "a.hcl", Line: line}}
		if until != "" {
			ig.Until = day(until)
		}
		return ig
	}
	block := model.Pos{Filename: "a.hcl", Line: 50, Column: 1}
	tests := []struct {
		name    string
		ignores []model.Ignore
		want    []brief
	}{
		{
			name:    "block with a future until silences every finding of the rule",
			ignores: []model.Ignore{{Rule: "RP005", Reason: "caches", Until: day("2026-06-16"), Pos: block}},
			want: []brief{
				{Line: 10, Code: "RP005", Severity: "warning", Target: `cache["eu"]`, Suppressed: "caches"},
				{Line: 20, Code: "RP005", Severity: "warning", Target: "store", Suppressed: "caches"},
				{Line: 30, Code: "RP004", Severity: "warning", Target: "store"},
			},
		},
		{
			name:    "until today still holds",
			ignores: []model.Ignore{{Rule: "RP004", Reason: "r", Until: day("2026-06-15"), Pos: block}},
			want: []brief{
				{Line: 10, Code: "RP005", Severity: "warning", Target: `cache["eu"]`},
				{Line: 20, Code: "RP005", Severity: "warning", Target: "store"},
				{Line: 30, Code: "RP004", Severity: "warning", Target: "store", Suppressed: "r"},
			},
		},
		{
			name:    "a for_each block's name covers its instances",
			ignores: []model.Ignore{{Rule: "RP005", Targets: []string{"cache"}, Reason: "caches", Pos: block}},
			want: []brief{
				{Line: 10, Code: "RP005", Severity: "warning", Target: `cache["eu"]`, Suppressed: "caches"},
				{Line: 20, Code: "RP005", Severity: "warning", Target: "store"},
				{Line: 30, Code: "RP004", Severity: "warning", Target: "store"},
			},
		},
		{
			name:    "expired: reported, nothing silenced",
			ignores: []model.Ignore{{Rule: "RP005", Reason: "caches", Until: day("2026-06-14"), Pos: block}},
			want: []brief{
				{Line: 10, Code: "RP005", Severity: "warning", Target: `cache["eu"]`},
				{Line: 20, Code: "RP005", Severity: "warning", Target: "store"},
				{Line: 30, Code: "RP004", Severity: "warning", Target: "store"},
				{Line: 50, Code: "RP000", Severity: "notice", Message: "the ignore of RP005 expired on 2026-06-14"},
			},
		},
		{
			name:    "no reason: an error, nothing silenced",
			ignores: []model.Ignore{{Rule: "RP004", Targets: []string{"store"}, Reason: " ", Pos: block}},
			want: []brief{
				{Line: 10, Code: "RP005", Severity: "warning", Target: `cache["eu"]`},
				{Line: 20, Code: "RP005", Severity: "warning", Target: "store"},
				{Line: 30, Code: "RP004", Severity: "warning", Target: "store"},
				{Line: 50, Code: "RP000", Severity: "error", Target: "store", Message: "an ignore needs a reason: this ignore of RP004 suppresses nothing until it says why the rule does not apply"},
			},
		},
		{
			name: "comments cover their line and the next",
			ignores: []model.Ignore{
				comment("RP005", "above", 9, ""),
				comment("RP005", "trailing", 20, "2027-01-01"),
				comment("RP004", "two lines above", 28, ""),
			},
			want: []brief{
				{Line: 10, Code: "RP005", Severity: "warning", Target: `cache["eu"]`, Suppressed: "above"},
				{Line: 20, Code: "RP005", Severity: "warning", Target: "store", Suppressed: "trailing"},
				{Line: 30, Code: "RP004", Severity: "warning", Target: "store"},
			},
		},
		{
			name:    "a comment in another file does not match",
			ignores: []model.Ignore{{Rule: "RP005", Reason: "r", Pos: model.Pos{Filename: "b.hcl", Line: 10}}},
			want: []brief{
				{Line: 10, Code: "RP005", Severity: "warning", Target: `cache["eu"]`},
				{Line: 20, Code: "RP005", Severity: "warning", Target: "store"},
				{Line: 30, Code: "RP004", Severity: "warning", Target: "store"},
			},
		},
		{
			name:    "an expired comment is reported at its line",
			ignores: []model.Ignore{comment("RP004", "r", 29, "2026-01-01")},
			want: []brief{
				{Line: 10, Code: "RP005", Severity: "warning", Target: `cache["eu"]`},
				{Line: 20, Code: "RP005", Severity: "warning", Target: "store"},
				{Line: 29, Code: "RP000", Severity: "notice", Message: "the ignore of RP004 expired on 2026-01-01"},
				{Line: 30, Code: "RP004", Severity: "warning", Target: "store"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := briefs(findings, true)
			got := lint.Apply(findings, tt.ignores, applyDay)
			gotBriefs := briefs(got, false)
			for i, f := range got {
				if f.Code == lint.SuppressionCode {
					gotBriefs[i].Message = f.Message
					if f.Pos.Column == 0 || f.Doc != "docs/rules/RP000.md" {
						t.Errorf("RP000 finding without a column or doc: %+v", f)
					}
				}
			}
			if diff := cmp.Diff(tt.want, gotBriefs); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, briefs(findings, true)); diff != "" {
				t.Errorf("Apply changed its input:\n%s", diff)
			}
		})
	}
}

// TestSuppressionFindingsStay: an RP000 finding cannot itself be ignored.
func TestSuppressionFindingsStay(t *testing.T) {
	fs := []model.Finding{{Code: lint.SuppressionCode, Severity: model.SeverityWarning, Pos: model.Pos{Filename: "a.hcl", Line: 3, Column: 1}}}
	got := lint.Apply(fs, []model.Ignore{{Rule: "RP000", Reason: "quiet"}}, applyDay)
	if len(got) != 1 || got[0].Suppressed != "" {
		t.Errorf("got %+v", got)
	}
}
