package lint_test

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	spechcl "github.com/redisplan/redisplan/hcl"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/planner/lint"
)

var update = flag.Bool("update", false, "rewrite golden files from the current output")

// testEnviron gives the sensitive variables of the test specs a value.
var testEnviron = []string{
	"REDISPLAN_VAR_redis_password=test-password-0123456789",
	"REDISPLAN_VAR_config_command=CONFIG_test",
}

func loadSpec(t *testing.T, path string) *model.Spec {
	t.Helper()
	res, diags := spechcl.Load(spechcl.Options{Path: path, Environ: testEnviron})
	if diags.HasErrors() {
		t.Fatalf("load %s: %s", path, diags.Error())
	}
	return res.Spec
}

// goldenLine is one finding as bad.golden holds it:
// file:line:col code severity message.
func goldenLine(f model.Finding) string {
	return fmt.Sprintf("%s:%d:%d %s %s %s", filepath.Base(f.Pos.Filename), f.Pos.Line, f.Pos.Column, f.Code, f.Severity, f.Message)
}

func ofRule(fs []model.Finding, code string) []model.Finding {
	var out []model.Finding
	for _, f := range fs {
		if f.Code == code {
			out = append(out, f)
		}
	}
	return out
}

// compareGolden compares got with the golden file, or rewrites it with
// -update.
func compareGolden(t *testing.T, golden string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs (run go test -update to accept):\n--- want\n%s\n--- got\n%s", golden, want, got)
	}
}

// TestRules: for each rule, testdata/lint/CODE/bad.hcl gives the findings
// of bad.golden for that rule, and good.hcl gives none.
func TestRules(t *testing.T) {
	rules := lint.Rules()
	if len(rules) != 15 {
		t.Fatalf("%d rules, want 15", len(rules))
	}
	for i, r := range rules {
		if want := fmt.Sprintf("RP%03d", i+1); r.Code != want {
			t.Errorf("rule %d is %s, want %s", i, r.Code, want)
		}
		if r.Title == "" || (r.Check == nil) != lint.Across(r.Code) {
			t.Errorf("%s: title missing, or no check (a check besides an across-targets one)", r.Code)
		}
		t.Run(r.Code, func(t *testing.T) {
			dir := filepath.Join("../../testdata/lint", r.Code)

			bad := ofRule(lint.Run(loadSpec(t, filepath.Join(dir, "bad.hcl"))), r.Code)
			if len(bad) == 0 {
				t.Errorf("bad.hcl gives no %s finding", r.Code)
			}
			var b strings.Builder
			for _, f := range bad {
				if f.Severity != r.Severity || f.Doc != "docs/rules/"+r.Code+".md" || f.Target == "" || f.Pos.Line == 0 {
					t.Errorf("finding not filled in: %+v", f)
				}
				b.WriteString(goldenLine(f) + "\n")
			}
			compareGolden(t, filepath.Join(dir, "bad.golden"), []byte(b.String()))

			for _, f := range ofRule(lint.Run(loadSpec(t, filepath.Join(dir, "good.hcl"))), r.Code) {
				t.Errorf("good.hcl: %s", goldenLine(f))
			}
		})
	}
}

// TestRuleDocs: every rule, and RP000, has its page, and each rule's bad
// example gives a finding of that rule while its good example gives none.
func TestRuleDocs(t *testing.T) {
	codes := []string{lint.SuppressionCode}
	for _, r := range lint.Rules() {
		codes = append(codes, r.Code)
	}
	for _, c := range codes {
		b, err := os.ReadFile(filepath.Join("../..", lint.DocPath(c)))
		if err != nil {
			t.Errorf("%s: %v", c, err)
			continue
		}
		doc := string(b)
		for _, section := range []string{"## What", "## Why", "## How to fix", "Bad:\n\n```hcl", "Good:\n\n```hcl"} {
			if !strings.Contains(doc, section) {
				t.Errorf("%s has no %q", lint.DocPath(c), section)
			}
		}
		for _, ex := range []struct {
			label string
			want  bool
		}{{"Bad:", true}, {"Good:", false}} {
			_, rest, _ := strings.Cut(doc, ex.label+"\n\n```hcl\n")
			src, _, ok := strings.Cut(rest, "```")
			if !ok {
				continue
			}
			path := filepath.Join(t.TempDir(), "example.hcl")
			if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			spec := loadSpec(t, path)
			fs := lint.Run(spec)
			if c == lint.SuppressionCode {
				comments, malformed := lint.ParseComments(path, []byte(src))
				fs = lint.Apply(append(fs, malformed...), append(spec.Ignores, comments...), applyDay)
			}
			got := len(ofRule(fs, c)) > 0
			if got != ex.want {
				t.Errorf("%s: the %s example gives a finding: %v, want %v", lint.DocPath(c), strings.TrimSuffix(ex.label, ":"), got, ex.want)
			}
		}
	}
}

// lineOf returns the number of the first line of a file that starts with
// s, leading spaces aside.
func lineOf(t *testing.T, path, s string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if strings.HasPrefix(strings.TrimSpace(sc.Text()), s) {
			return n
		}
	}
	t.Fatalf("no line of %s starts with %q", path, s)
	return 0
}

// TestSeed: the seed's redis.conf as it was has CONFIG renamed to "" and
// an unauthenticated server open to other hosts.
func TestSeed(t *testing.T) {
	const path = "../../testdata/lint/seed.hcl"
	fs := lint.Run(loadSpec(t, path))
	want := map[string]int{
		"RP002": lineOf(t, path, "disabled_commands"),
		"RP003": lineOf(t, path, "bind "),
	}
	for code, line := range want {
		got := ofRule(fs, code)
		if len(got) != 1 || got[0].Pos.Line != line || got[0].Severity != model.SeverityError {
			t.Errorf("%s: got %v, want one error at line %d", code, got, line)
		}
	}
	for _, f := range fs {
		if f.Severity == model.SeverityError && want[f.Code] == 0 {
			t.Errorf("unexpected error: %s", goldenLine(f))
		}
	}
}

// TestExampleHasNoErrors: the example spec passes review.
func TestExampleHasNoErrors(t *testing.T) {
	for _, f := range lint.Run(loadSpec(t, "../../examples/redis.hcl")) {
		if f.Severity == model.SeverityError {
			t.Errorf("%s", goldenLine(f))
		}
	}
}

// TestRunIsSorted: findings of several targets come sorted by file, line
// and code, and Run gives the same result twice.
func TestRunIsSorted(t *testing.T) {
	spec := &model.Spec{}
	for _, code := range []string{"RP003", "RP012"} {
		spec.Targets = append(spec.Targets, loadSpec(t, filepath.Join("../../testdata/lint", code, "bad.hcl")).Targets...)
	}
	fs := lint.Run(spec)
	for i := 1; i < len(fs); i++ {
		a, b := fs[i-1], fs[i]
		if a.Pos.Filename > b.Pos.Filename || a.Pos.Filename == b.Pos.Filename &&
			(a.Pos.Line > b.Pos.Line || a.Pos.Line == b.Pos.Line && a.Code > b.Code) {
			t.Errorf("not sorted: %s before %s", goldenLine(a), goldenLine(b))
		}
	}
	again := lint.Run(spec)
	if fmt.Sprint(fs) != fmt.Sprint(again) {
		t.Error("two runs differ")
	}
	if lint.Run(nil) != nil {
		t.Error("Run(nil) gives findings")
	}
}
