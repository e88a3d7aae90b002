package lint_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/planner/lint"
)

// formatFindings is the fixed set every format's golden file renders: each
// severity, a suppressed finding, a user policy, an RP000, and text that
// needs escaping in every format.
func formatFindings() []model.Finding {
	pos := func(file string, line, col int) model.Pos { return model.Pos{Filename: file, Line: line, Column: col} }
	return []model.Finding{
		{
			Code: "RP002", Severity: model.SeverityError, Target: "main", Pos: pos("redis.hcl", 12, 25), Doc: "docs/rules/RP002.md",
			Message: `CONFIG is renamed to "", which deletes the command: nobody, redisplan included, can inspect or change the server's configuration live any more`,
			Fix:     "rename CONFIG to a secret name instead (renamed_commands = { CONFIG = var.config_command }), or leave it and deny it to applications with an ACL user",
		},
		{
			Code: "RP003", Severity: model.SeverityError, Target: `cache["eu"]`, Pos: pos("fleet/cache, eu.hcl", 7, 12), Doc: "docs/rules/RP003.md",
			Message: "the server listens on 0.0.0.0 with no password | 100% open\nsecond line: see docs",
			Fix:     "set security.requirepass = var.redis_password",
		},
		{
			Code: "RP012", Severity: model.SeverityWarning, Target: "main", Pos: pos("redis.hcl", 30, 11), Doc: "docs/rules/RP012.md",
			Message: "maxmemory 12gb is more than half of host_memory 16gb: a BGSAVE or AOF rewrite fork can need as much again through copy-on-write, and the host then runs out of memory",
			Fix:     `max = "8gb"`,
		},
		{
			Code: "aof-everywhere", Severity: model.SeverityWarning, Target: "main", Pos: pos("redis.hcl", 40, 3),
			Message: "Every trading Redis must run AOF.",
		},
		{
			Code: "RP011", Severity: model.SeverityNotice, Target: "main", Pos: pos("redis.hcl", 12, 25), Doc: "docs/rules/RP011.md",
			Message: "rename-command is used for CONFIG, FLUSHALL; Redis deprecates it in favour of ACL users, which deny commands per client without hiding them from tools, AOF files and replicas",
		},
		{
			Code: "RP000", Severity: model.SeverityNotice, Pos: pos("redis.hcl", 50, 1), Doc: "docs/rules/RP000.md",
			Message: "the ignore of RP004 expired on 2026-01-01",
		},
		{
			Code: "RP005", Severity: model.SeverityWarning, Target: "main", Pos: pos("redis.hcl", 20, 14), Doc: "docs/rules/RP005.md",
			Message:    "maxmemory-policy allkeys-lru deletes keys when memory is full, but the target is marked durable = true: its keys must never disappear silently",
			Fix:        `policy = "noeviction"`,
			Suppressed: "sessions may be evicted, <not> the ledger",
		},
	}
}

func TestFormatGolden(t *testing.T) {
	fs := formatFindings()
	for _, tt := range []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"text", func(b *bytes.Buffer) error { lint.WriteText(b, fs, false); return nil }},
		{"text-color", func(b *bytes.Buffer) error { lint.WriteText(b, fs, true); return nil }},
		{"json", func(b *bytes.Buffer) error { return lint.WriteJSON(b, fs) }},
		{"github", func(b *bytes.Buffer) error { lint.WriteGitHub(b, fs); return nil }},
		{"sarif", func(b *bytes.Buffer) error { return lint.WriteSARIF(b, fs, "1.2.3") }},
		{"markdown", func(b *bytes.Buffer) error { lint.WriteMarkdown(b, fs); return nil }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var first, second bytes.Buffer
			if err := tt.write(&first); err != nil {
				t.Fatal(err)
			}
			if err := tt.write(&second); err != nil {
				t.Fatal(err)
			}
			if first.String() != second.String() {
				t.Error("two renders differ")
			}
			compareGolden(t, filepath.Join("../../testdata/lint/formats", tt.name+".golden"), first.Bytes())
		})
	}
}

func TestTextSummary(t *testing.T) {
	var b bytes.Buffer
	lint.WriteText(&b, formatFindings(), false)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if got, want := lines[len(lines)-1], "2 errors, 2 warnings, 2 notices (1 suppressed)"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	b.Reset()
	lint.WriteText(&b, nil, true)
	if got := b.String(); got != "0 errors, 0 warnings, 0 notices\n" {
		t.Errorf("empty: %q", got)
	}
}

func TestJSONEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := lint.WriteJSON(&b, nil); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		FormatVersion string            `json:"format_version"`
		Findings      []json.RawMessage `json:"findings"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.FormatVersion != lint.FormatVersion || doc.FormatVersion == "" || doc.Findings == nil || !strings.Contains(b.String(), `"findings": []`) {
		t.Errorf("got %s", b.String())
	}
}

var githubLine = regexp.MustCompile(`^::(error|warning|notice) file=[^,]+,line=\d+,col=\d+,title=RP\d{3}::.+$`)

func TestGitHub(t *testing.T) {
	var fs []model.Finding
	for _, f := range formatFindings() {
		if strings.HasPrefix(f.Code, "RP") {
			fs = append(fs, f)
		}
	}
	var b bytes.Buffer
	lint.WriteGitHub(&b, fs)
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != len(fs)-1 {
		t.Errorf("%d lines for %d findings of which one is suppressed:\n%s", len(lines), len(fs), b.String())
	}
	for _, l := range lines {
		if !githubLine.MatchString(l) {
			t.Errorf("not a workflow command: %q", l)
		}
	}
	if !strings.Contains(b.String(), "file=fleet/cache%2C eu.hcl,") || !strings.Contains(b.String(), "password | 100%25 open%0Asecond line") {
		t.Errorf("escaping:\n%s", b.String())
	}
	if strings.Contains(b.String(), "RP005") {
		t.Error("a suppressed finding is annotated")
	}
}

// sarifDoc holds the fields SARIF 2.1.0 requires, and those the brief
// promises, to check that they are present.
type sarifDoc struct {
	Schema  *string `json:"$schema"`
	Version *string `json:"version"`
	Runs    []struct {
		Tool *struct {
			Driver *struct {
				Name           *string `json:"name"`
				Version        string  `json:"version"`
				InformationURI string  `json:"informationUri"`
				Rules          []struct {
					ID               *string `json:"id"`
					Name             string  `json:"name"`
					ShortDescription *struct {
						Text *string `json:"text"`
					} `json:"shortDescription"`
					HelpURI              string `json:"helpUri"`
					DefaultConfiguration *struct {
						Level string `json:"level"`
					} `json:"defaultConfiguration"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results *[]struct {
			RuleID    *string `json:"ruleId"`
			RuleIndex *int    `json:"ruleIndex"`
			Level     string  `json:"level"`
			Message   *struct {
				Text *string `json:"text"`
			} `json:"message"`
			Locations []struct {
				PhysicalLocation *struct {
					ArtifactLocation *struct {
						URI *string `json:"uri"`
					} `json:"artifactLocation"`
					Region *struct {
						StartLine   *int `json:"startLine"`
						StartColumn *int `json:"startColumn"`
					} `json:"region"`
				} `json:"physicalLocation"`
			} `json:"locations"`
			Suppressions []struct {
				Kind          *string `json:"kind"`
				Justification string  `json:"justification"`
			} `json:"suppressions"`
		} `json:"results"`
	} `json:"runs"`
}

func TestSARIFStructure(t *testing.T) {
	fs := formatFindings()
	var b bytes.Buffer
	if err := lint.WriteSARIF(&b, fs, "1.2.3"); err != nil {
		t.Fatal(err)
	}
	var doc sarifDoc
	dec := json.NewDecoder(&b)
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema == nil || !strings.Contains(*doc.Schema, "sarif") || doc.Version == nil || *doc.Version != "2.1.0" {
		t.Fatalf("$schema or version missing: %+v", doc)
	}
	if len(doc.Runs) != 1 || doc.Runs[0].Tool == nil || doc.Runs[0].Tool.Driver == nil || doc.Runs[0].Results == nil {
		t.Fatal("runs[0].tool.driver or runs[0].results missing")
	}
	run := doc.Runs[0]
	d := run.Tool.Driver
	if d.Name == nil || *d.Name != "redisplan" || d.Version != "1.2.3" || d.InformationURI == "" {
		t.Errorf("driver: name %v, version %q, informationUri %q", d.Name, d.Version, d.InformationURI)
	}
	ruleIDs := map[string]int{}
	levels := map[string]bool{"error": true, "warning": true, "note": true}
	for i, r := range d.Rules {
		if r.ID == nil || r.Name == "" || r.ShortDescription == nil || r.ShortDescription.Text == nil || r.DefaultConfiguration == nil || !levels[r.DefaultConfiguration.Level] {
			t.Errorf("rule %d incomplete", i)
			continue
		}
		if strings.HasPrefix(*r.ID, "RP") && !strings.HasSuffix(r.HelpURI, "docs/rules/"+*r.ID+".md") {
			t.Errorf("rule %s helpUri %q", *r.ID, r.HelpURI)
		}
		ruleIDs[*r.ID] = i
	}
	for _, want := range []string{"RP000", "RP001", "RP013", "aof-everywhere"} {
		if _, ok := ruleIDs[want]; !ok {
			t.Errorf("rule %s not in the driver's rules", want)
		}
	}
	results := *run.Results
	if len(results) != len(fs) {
		t.Fatalf("%d results for %d findings", len(results), len(fs))
	}
	for i, r := range results {
		if r.RuleID == nil || r.Message == nil || r.Message.Text == nil || *r.Message.Text == "" || r.RuleIndex == nil {
			t.Errorf("result %d: ruleId, ruleIndex or message.text missing", i)
			continue
		}
		idx, ok := ruleIDs[*r.RuleID]
		if !ok || idx != *r.RuleIndex {
			t.Errorf("result %d: ruleId %s at index %d, rules have it at %d (%v)", i, *r.RuleID, *r.RuleIndex, idx, ok)
		}
		if !levels[r.Level] {
			t.Errorf("result %d: level %q", i, r.Level)
		}
		if len(r.Locations) != 1 || r.Locations[0].PhysicalLocation == nil || r.Locations[0].PhysicalLocation.ArtifactLocation == nil ||
			r.Locations[0].PhysicalLocation.ArtifactLocation.URI == nil || r.Locations[0].PhysicalLocation.Region == nil ||
			r.Locations[0].PhysicalLocation.Region.StartLine == nil || r.Locations[0].PhysicalLocation.Region.StartColumn == nil {
			t.Errorf("result %d: location incomplete", i)
		}
		suppressed := fs[i].Suppressed != ""
		if suppressed != (len(r.Suppressions) == 1) {
			t.Errorf("result %d: suppressions %+v for suppressed %q", i, r.Suppressions, fs[i].Suppressed)
		}
		if suppressed && (r.Suppressions[0].Kind == nil || *r.Suppressions[0].Kind != "external" || r.Suppressions[0].Justification != fs[i].Suppressed) {
			t.Errorf("result %d: suppression %+v", i, r.Suppressions[0])
		}
	}
}

func TestMarkdown(t *testing.T) {
	var b bytes.Buffer
	lint.WriteMarkdown(&b, formatFindings())
	out := b.String()
	if !strings.HasPrefix(out, "<!-- redisplan lint -->\n") {
		t.Errorf("no marker line:\n%s", out)
	}
	for _, want := range []string{"| error | 2 |", "[RP002](docs/rules/RP002.md)", "`redis.hcl:12`", `no password \| 100% open<br>second line`} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
}

func TestFindingListNamesCodeAndTarget(t *testing.T) {
	got := lint.FindingList([]model.Finding{{Code: "RP010", Target: "main"}, {Code: "RP002"}})
	if got != "RP010 on redis.main, RP002" {
		t.Errorf("FindingList = %q", got)
	}
}
