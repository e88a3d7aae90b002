package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/planner"
)

// cleanSpec has no finding of any built-in rule: a durable target with
// AOF, backups and their alerts, and a cache that may lose its data. The
// tests add policies and ignores to it.
const cleanSpec = `redis "orders" {
  address = "127.0.0.1:6379"
  durable = true
  persistence {
    aof {
      enabled = true
    }
  }
  memory {
    max    = "1gb"
    policy = "noeviction"
  }
  backup {
    schedule    = "0 3 * * *"
    destination = "/var/backups/redis"
  }
  alerts {
    backup_age {
      critical = "25h"
    }
    rdb_save_failed {
      severity = "critical"
    }
  }
}

redis "cache" {
  address   = "127.0.0.1:6380"
  ephemeral = true
  memory {
    max    = "256mb"
    policy = "allkeys-lru"
  }
}
`

// Policies that hold for one target and not the other.
const (
	errorPolicy = `
policy "small-cache" {
  condition = memory.max <= 128 * 1024 * 1024
  message   = "Keep the cache small."
  targets   = ["cache"]
}
`
	warningPolicy = `
policy "aof" {
  severity  = "warning"
  condition = persistence.aof.enabled
  message   = "Run AOF."
}
`
	noticePolicy = `
policy "lfu" {
  severity  = "notice"
  condition = memory.policy == "allkeys-lfu"
  message   = "Consider LFU."
  targets   = ["cache"]
}
`
)

func TestLintExitCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		extra string
		args  []string
		want  int
		// output is in stdout, or in stderr when the command fails
		// before linting.
		output string
	}{
		{"clean", "", nil, 0, "0 errors, 0 warnings, 0 notices"},
		{"clean, fail on warnings", "", []string{"-fail-on", "warning"}, 0, "0 errors, 0 warnings, 0 notices"},
		{"warning", warningPolicy, nil, 0, "warning aof: Run AOF. (cache)"},
		{"warning, fail on warnings", warningPolicy, []string{"-fail-on", "warning"}, 1, "warning aof: Run AOF. (cache)"},
		{"notice, fail on warnings", noticePolicy, []string{"-fail-on", "warning"}, 0, "notice lfu: Consider LFU. (cache)"},
		{"error", errorPolicy, nil, 1, "error small-cache: Keep the cache small. (cache)"},
		{"error on another target", errorPolicy, []string{"-target", "orders"}, 0, "0 errors, 0 warnings, 0 notices"},
		{"error on the target", errorPolicy, []string{"-target", "cache"}, 1, "error small-cache"},
		{"error suppressed by an ignore block", errorPolicy + `
ignore {
  rule    = "small-cache"
  targets = ["cache"]
  reason  = "sized for the spring sale"
}
`, nil, 0, "reason: sized for the spring sale"},
		{"error suppressed by a comment", strings.Replace(errorPolicy, "  condition =", "  # redisplan:ignore small-cache reason=\"sized for the spring sale\"\n  condition =", 1), nil, 0, "reason: sized for the spring sale"},
		{"an ignore without a reason suppresses nothing", errorPolicy + `
ignore {
  rule = "small-cache"
}
`, nil, 1, "error RP000: an ignore needs a reason"},
		{"an expired ignore suppresses nothing", errorPolicy + `
ignore {
  rule   = "small-cache"
  reason = "sized for the spring sale"
  until  = "2001-01-01"
}
`, nil, 1, "error small-cache"},
		{"built-in rule", strings.Replace(cleanSpec, `ephemeral = true`, "ephemeral = true\n  security {\n    requirepass = \"hunter2hunter2\"\n  }", 1), nil, 1, "error RP010"},
		{"unknown format", "", []string{"-format", "xml"}, 1, `unknown format "xml"`},
		{"unknown fail-on", "", []string{"-fail-on", "notice"}, 1, "-fail-on takes warning or error"},
		{"unknown target", "", []string{"-target", "nope"}, 1, "no target named nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := cleanSpec + tt.extra
			if strings.HasPrefix(tt.extra, "redis") {
				text = tt.extra
			}
			spec := writeSpec(t, text)
			code, out, errOut := runCLI(t, append([]string{"lint", "-config", spec}, tt.args...)...)
			if code != tt.want {
				t.Fatalf("lint %v: exit %d, want %d\n%s%s", tt.args, code, tt.want, out, errOut)
			}
			if !strings.Contains(out+errOut, tt.output) {
				t.Errorf("lint %v: output lacks %q:\n%s%s", tt.args, tt.output, out, errOut)
			}
		})
	}
}

func TestLintFormats(t *testing.T) {
	t.Parallel()
	spec := writeSpec(t, cleanSpec+errorPolicy+warningPolicy+`
ignore {
  rule   = "aof"
  reason = "the cache is rebuilt from the database"
}
`)
	lint := func(format string) string {
		t.Helper()
		code, out, errOut := runCLI(t, "lint", "-config", spec, "-format", format)
		if code != 1 {
			t.Fatalf("lint -format %s: exit %d, want 1 (an error-level finding)\n%s%s", format, code, out, errOut)
		}
		return out
	}

	text := lint("text")
	for _, want := range []string{"error small-cache: Keep the cache small. (cache)", "Suppressed:", "reason: the cache is rebuilt from the database", "1 error, 0 warnings, 0 notices (1 suppressed)"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}

	var doc struct {
		FormatVersion string `json:"format_version"`
		Findings      []struct {
			Code, Severity, Target, Suppressed string
			Pos                                struct{ File string }
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(lint("json")), &doc); err != nil {
		t.Fatalf("json: %v", err)
	}
	got := map[string]string{}
	for _, f := range doc.Findings {
		got[f.Code+" "+f.Target] = f.Severity + "/" + f.Suppressed
		if f.Pos.File != spec {
			t.Errorf("json: %s points at %q, want %q", f.Code, f.Pos.File, spec)
		}
	}
	want := map[string]string{"small-cache cache": "error/", "aof cache": "warning/the cache is rebuilt from the database"}
	if fmt.Sprint(got) != fmt.Sprint(want) || doc.FormatVersion == "" {
		t.Errorf("json findings = %v, want %v", got, want)
	}

	gh := lint("github")
	if lines := strings.Split(strings.TrimSpace(gh), "\n"); len(lines) != 1 ||
		!strings.HasPrefix(lines[0], "::error file="+spec+",line=") || !strings.HasSuffix(lines[0], ",title=small-cache::Keep the cache small. (cache)") {
		t.Errorf("github = %q, want one ::error annotation for small-cache and none for the suppressed finding", gh)
	}

	// GitLab's Code Quality report (its fields are checked in
	// planner/lint): the unsuppressed finding only, at the spec's line.
	var gl []map[string]any
	if err := json.Unmarshal([]byte(lint("gitlab")), &gl); err != nil {
		t.Fatalf("gitlab: %v", err)
	}
	if len(gl) != 1 || gl[0]["check_name"] != "small-cache" || gl[0]["severity"] != "critical" ||
		gl[0]["description"] != "Keep the cache small. (cache)" ||
		!strings.Contains(fmt.Sprint(gl[0]["location"]), filepath.Base(spec)) {
		t.Errorf("gitlab = %v, want one critical small-cache issue in the spec", gl)
	}

	var sarif struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []struct {
				RuleID       string            `json:"ruleId"`
				Suppressions []json.RawMessage `json:"suppressions"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(lint("sarif")), &sarif); err != nil {
		t.Fatalf("sarif: %v", err)
	}
	if sarif.Version != "2.1.0" || len(sarif.Runs) != 1 || len(sarif.Runs[0].Results) != 2 {
		t.Fatalf("sarif = %+v, want version 2.1.0 with one run of two results", sarif)
	}
	for _, r := range sarif.Runs[0].Results {
		if (r.RuleID == "aof") != (len(r.Suppressions) > 0) {
			t.Errorf("sarif result %s: suppressions %v; only aof is suppressed", r.RuleID, r.Suppressions)
		}
	}

	md := lint("markdown")
	if !strings.HasPrefix(md, "<!-- redisplan lint -->\n") || !strings.Contains(md, "Keep the cache small.") || !strings.Contains(md, "1 suppressed") {
		t.Errorf("markdown:\n%s", md)
	}
}

func TestLintBrokenPolicy(t *testing.T) {
	t.Parallel()
	spec := writeSpec(t, cleanSpec+`
policy "typo" {
  condition = persistence.aof.enabld
  message   = "Run AOF."
}
`)
	for _, cmd := range []string{"lint", "validate"} {
		code, out, errOut := runCLI(t, cmd, "-config", spec)
		if code != 1 {
			t.Errorf("%s: exit %d, want 1\n%s%s", cmd, code, out, errOut)
		}
		for _, want := range []string{"Error: Unknown policy attribute", `persistence.aof has no attribute "enabld". Did you mean "enabled"?`, "condition = persistence.aof.enabld"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("%s: stderr lacks %q:\n%s", cmd, want, errOut)
			}
		}
	}
	code, out, _ := runCLI(t, "validate", "-json", "-config", spec)
	if code != 1 || !strings.Contains(out, `"summary": "Unknown policy attribute"`) || !strings.Contains(out, `"valid": false`) {
		t.Errorf("validate -json: exit %d\n%s", code, out)
	}
}

func TestValidateRunsPolicies(t *testing.T) {
	t.Parallel()
	t.Run("error", func(t *testing.T) {
		spec := writeSpec(t, cleanSpec+errorPolicy)
		code, out, errOut := runCLI(t, "validate", "-config", spec)
		if code != 1 || out != "" {
			t.Fatalf("validate: exit %d, stdout %q; want 1 and nothing on stdout", code, out)
		}
		for _, want := range []string{"error small-cache: Keep the cache small. (cache)", "policy errors: 1 (small-cache on redis.cache)"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr lacks %q:\n%s", want, errOut)
			}
		}

		code, out, _ = runCLI(t, "validate", "-json", "-config", spec)
		var res struct {
			Valid       bool              `json:"valid"`
			ErrorCount  int               `json:"error_count"`
			Diagnostics []json.RawMessage `json:"diagnostics"`
			Findings    []struct {
				Code     string `json:"code"`
				Severity string `json:"severity"`
				Target   string `json:"target"`
				Pos      struct {
					Line int `json:"line"`
				} `json:"pos"`
				Range struct {
					Filename string `json:"filename"`
					Start    struct {
						Line   int `json:"line"`
						Column int `json:"column"`
					} `json:"start"`
				} `json:"range"`
			} `json:"findings"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("validate -json: %v\n%s", err, out)
		}
		// valid and error_count agree: the error-level finding is counted.
		if code != 1 || res.Valid || res.ErrorCount != 1 || res.Diagnostics == nil || len(res.Findings) != 1 ||
			res.Findings[0].Code != "small-cache" || res.Findings[0].Severity != "error" || res.Findings[0].Pos.Line == 0 {
			t.Errorf("validate -json: exit %d, %+v; want exit 1, invalid, error_count 1, one small-cache finding", code, res)
		}
		// The finding's position has the diagnostics' shape (range with
		// filename and start), and the deprecated pos says the same.
		if f := res.Findings[0]; f.Range.Filename != spec || f.Range.Start.Line != f.Pos.Line || f.Range.Start.Column == 0 || f.Target != "cache" {
			t.Errorf("finding range = %+v, pos line %d, target %q; want range {filename %s, start} at pos's line", f.Range, f.Pos.Line, f.Target, spec)
		}
	})

	t.Run("warning", func(t *testing.T) {
		spec := writeSpec(t, cleanSpec+warningPolicy+noticePolicy)
		code, out, errOut := runCLI(t, "validate", "-config", spec)
		if code != 0 {
			t.Fatalf("validate: exit %d, want 0 for a warning\n%s%s", code, out, errOut)
		}
		for _, want := range []string{"warning aof: Run AOF. (cache)", "notice lfu: Consider LFU. (cache)", "0 errors, 1 warning, 1 notice"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr lacks %q:\n%s", want, errOut)
			}
		}
		if out != "The spec is valid: 2 target(s) in 1 file(s).\n" {
			t.Errorf("stdout = %q", out)
		}
		code, out, _ = runCLI(t, "validate", "-json", "-config", spec)
		if code != 0 || !strings.Contains(out, `"valid": true`) || !strings.Contains(out, `"code": "aof"`) || !strings.Contains(out, `"code": "lfu"`) ||
			!strings.Contains(out, `"error_count": 0`) || !strings.Contains(out, `"warning_count": 1`) {
			t.Errorf("validate -json: exit %d, want valid with error_count 0 and warning_count 1 (the aof finding)\n%s", code, out)
		}
	})

	t.Run("notice", func(t *testing.T) {
		spec := writeSpec(t, cleanSpec+noticePolicy)
		code, out, errOut := runCLI(t, "validate", "-config", spec)
		if code != 0 || errOut != "" || out != "The spec is valid: 2 target(s) in 1 file(s). 1 policy notice: see redisplan lint.\n" {
			t.Errorf("validate: exit %d\nstdout %q\nstderr %q", code, out, errOut)
		}
	})

	t.Run("clean", func(t *testing.T) {
		spec := writeSpec(t, cleanSpec)
		code, out, errOut := runCLI(t, "validate", "-json", "-config", spec)
		if code != 0 || !strings.Contains(out, `"findings": []`) {
			t.Errorf("validate -json: exit %d\n%s%s", code, out, errOut)
		}
	})
}

// policySpec is one ephemeral target on srv with a maxmemory change and
// extra lines inside its block.
func policySpec(t *testing.T, srv *servertest.Server, inside, outside string) string {
	return writeSpec(t, fmt.Sprintf(`redis "main" {
  address     = %q
  config_file = %q
  ephemeral   = true
  memory {
    max = "64mb"
  }
%s}
%s`, srv.Addr(), srv.ConfigPath(), inside, outside))
}

func TestPlanShowsFindings(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	spec := policySpec(t, srv, "", `
policy "lfu" {
  severity  = "warning"
  condition = memory.policy == "allkeys-lfu"
  message   = "Evict with LFU."
}
policy "suppressed" {
  severity  = "warning"
  condition = false
  message   = "Never true."
}
ignore {
  rule   = "suppressed"
  reason = "kept for the test"
}
`)

	code, out, errOut := runCLI(t, "plan", "-config", spec)
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s%s", code, out, errOut)
	}
	section := strings.Index(out, "Policy findings:\n")
	finding := strings.Index(out, "warning lfu: Evict with LFU. (main)")
	summary := strings.Index(out, "Plan: 1 live change")
	if section < 0 || finding < section || summary < finding {
		t.Errorf("want the findings section, then the finding, then the summary line:\n%s", out)
	}
	if strings.Contains(out, "Never true.") {
		t.Errorf("the text plan shows a suppressed finding:\n%s", out)
	}

	code, out, _ = runCLI(t, "plan", "-json", "-config", spec)
	var pj struct {
		FormatVersion string            `json:"format_version"`
		Targets       []json.RawMessage `json:"targets"`
		Findings      []struct {
			Code string `json:"code"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &pj); err != nil {
		t.Fatalf("plan -json: %v\n%s", err, out)
	}
	if code != 0 || pj.FormatVersion == "" || len(pj.Targets) != 1 || len(pj.Findings) != 1 || pj.Findings[0].Code != "lfu" {
		t.Errorf("plan -json: exit %d, %+v; want the plan and the lfu finding", code, pj)
	}

	code, out, _ = runCLI(t, "plan", "-format", "markdown", "-config", spec)
	if code != 0 || !strings.HasPrefix(out, planner.MarkdownMarker+"\n") {
		t.Fatalf("markdown does not start with the plan marker (exit %d):\n%s", code, out)
	}
	if n := strings.Count(out, "<!--"); n != 1 {
		t.Errorf("markdown has %d hidden marker lines, want 1:\n%s", n, out)
	}
	lintHead, planHead := strings.Index(out, "### redisplan lint"), strings.Index(out, "### redisplan plan")
	if lintHead < 0 || planHead < lintHead || !strings.Contains(out[lintHead:planHead], "Evict with LFU.") {
		t.Errorf("want the findings before the plan:\n%s", out)
	}
	if !strings.Contains(out, "| `main` | 1 | 0 | 1 | 0 | 0 | changes |") {
		t.Errorf("markdown lacks the plan table:\n%s", out)
	}
}

// TestApplyRefusesPolicyErrors: a secret written in the spec (RP010) stops
// apply before it changes anything; -allow-policy-errors applies all the
// same, loudly.
func TestApplyRefusesPolicyErrors(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	const pw = "written-in-the-spec"
	spec := policySpec(t, srv, fmt.Sprintf("  password = %q\n  security {\n    requirepass = %q\n  }\n", pw, pw), "")
	c := srv.Client(t)
	confBefore, err := os.ReadFile(srv.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	maxBefore := configGet(t, c, "maxmemory")

	code, out, errOut := runCLI(t, "apply", "-auto-approve", "-config", spec)
	if code != 1 {
		t.Fatalf("apply: exit %d, want 1\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"error RP010", "refusing to apply: 2 policy errors (RP010 on redis.main, RP010 on redis.main); nothing was changed", "-allow-policy-errors"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(out+errOut, pw) {
		t.Error("the output shows the password")
	}
	if got := configGet(t, c, "maxmemory"); got != maxBefore {
		t.Errorf("maxmemory = %s after a refused apply, want %s", got, maxBefore)
	}
	if got := configGet(t, c, "requirepass"); got != "" {
		t.Error("requirepass was set by a refused apply")
	}
	if conf, _ := os.ReadFile(srv.ConfigPath()); !bytes.Equal(conf, confBefore) {
		t.Errorf("a refused apply changed the config file:\n%s", conf)
	}
	if _, err := os.Stat(srv.ConfigPath() + ".redisplan.bak"); err == nil {
		t.Error("a refused apply left a backup of the config file")
	}

	code, out, errOut = runCLI(t, "apply", "-auto-approve", "-allow-policy-errors", "-config", spec)
	if code != 0 {
		t.Fatalf("apply -allow-policy-errors: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "WARNING: applying despite 2 policy error(s): RP010 on redis.main, RP010 on redis.main") {
		t.Errorf("stderr lacks the warning:\n%s", errOut)
	}
	if !strings.Contains(out, "Policy findings:") || !strings.Contains(out, "Apply complete") {
		t.Errorf("stdout:\n%s", out)
	}
	if strings.Contains(out+errOut, pw) {
		t.Error("the output shows the password")
	}
	authed := redis.NewClient(&redis.Options{Addr: srv.Addr(), Password: pw, Protocol: 2, DisableIdentity: true})
	t.Cleanup(func() { authed.Close() })
	if err := authed.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("after apply, the spec's password does not work: %v", err)
	}
	if got := configGet(t, authed, "maxmemory"); got != "67108864" {
		t.Errorf("maxmemory = %s after apply, want 67108864", got)
	}
}

// TestCIExamples: the CI examples exist, run the checks in order, and
// find the plan's comment by its marker. No YAML library is at hand, so
// their structure is left to the CI systems.
func TestCIExamples(t *testing.T) {
	t.Parallel()
	steps := []string{"go build", "redisplan fmt -check", "redisplan validate", "redisplan lint", "redisplan plan"}
	for name, also := range map[string][]string{
		"github-actions.yml": {"pull_request", "image: redis:7.0", "actions/setup-go", `go-version: "1.26"`,
			"-format github", "-format markdown > plan.md", "actions/github-script", planner.MarkdownMarker},
		"gitlab-ci.yml": {"merge_request_event", "redis:7.0", "-format gitlab > gl-code-quality-report.json", "codequality: gl-code-quality-report.json",
			"-format markdown > plan.md", "GITLAB_TOKEN", "curl", planner.MarkdownMarker},
	} {
		b, err := os.ReadFile(filepath.Join("../../examples/ci", name))
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		if strings.Contains(text, "\t") {
			t.Errorf("%s: YAML does not allow tabs for indentation", name)
		}
		at := 0
		for _, s := range steps {
			i := strings.Index(text[at:], s)
			if i < 0 {
				t.Errorf("%s: %q is missing, or comes before the steps it should follow", name, s)
				continue
			}
			at += i
		}
		for _, s := range also {
			if !strings.Contains(text, s) {
				t.Errorf("%s lacks %q", name, s)
			}
		}
	}
}
