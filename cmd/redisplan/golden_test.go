package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/notify"
	"github.com/redisplan/redisplan/executors/repository"
	spechcl "github.com/redisplan/redisplan/hcl"
	"github.com/redisplan/redisplan/internal/model"
)

var update = flag.Bool("update", false, "rewrite golden files from the current output")

// renderSpecs are the specs whose renders are kept as golden files.
var renderSpecs = map[string]string{
	"example":   "../../examples/redis.hcl",
	"minimal":   "../../testdata/valid/minimal.hcl",
	"fleet":     "../../testdata/valid/fleet.hcl",
	"full":      "../../testdata/valid/full.hcl",
	"schedules": "../../testdata/valid/schedules.hcl",
}

// runCLI runs the command in-process and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runIn(context.Background(), surroundings{environ: environFor(t), sender: testSender}, args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// testSender delivers the alerts of the commands tests run in-process,
// retrying as notify's defaults do but 1ms apart instead of 1s, 2s, 4s
// (notify's own tests check those).
var testSender = &notify.Sender{Backoff: func(int) time.Duration { return time.Millisecond }}

// testVars are the environment variables setVar set, by test name.
var (
	testVarsMu sync.Mutex
	testVars   = map[string]map[string]string{}
)

// setVar sets the environment variable key to value for the commands
// that t and its subtests run with runCLI until t ends. Unlike t.Setenv,
// which changes the whole process's environment, it lets t run in
// parallel with other tests.
func setVar(t *testing.T, key, value string) {
	t.Helper()
	testVarsMu.Lock()
	defer testVarsMu.Unlock()
	name := t.Name()
	vars := testVars[name]
	if vars == nil {
		vars = map[string]string{}
		testVars[name] = vars
		t.Cleanup(func() {
			testVarsMu.Lock()
			defer testVarsMu.Unlock()
			delete(testVars, name)
		})
	}
	vars[key] = value
}

// environFor returns the process's environment with, after it, the
// variables setVar set for t and the tests above it, the innermost test's
// last so that its values win.
func environFor(t *testing.T) []string {
	testVarsMu.Lock()
	defer testVarsMu.Unlock()
	var names []string
	for name := range testVars {
		if name == t.Name() || strings.HasPrefix(t.Name(), name+"/") {
			names = append(names, name)
		}
	}
	sort.Slice(names, func(i, j int) bool { return len(names[i]) < len(names[j]) })
	environ := os.Environ()
	for _, name := range names {
		keys := make([]string, 0, len(testVars[name]))
		for k := range testVars[name] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			environ = append(environ, k+"="+testVars[name][k])
		}
	}
	return environ
}

// TestRenderGolden renders each target's redis.conf and each spec's
// crontab and compares them with testdata/golden; -update rewrites them.
// Rendering twice must give the same bytes.
func TestRenderGolden(t *testing.T) {
	t.Parallel()
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	setVar(t, "REDISPLAN_VAR_redis_password", "golden-secret")
	for name, path := range renderSpecs {
		res, diags := spechcl.Load(spechcl.Options{Path: path, Environ: []string{"REDISPLAN_VAR_redis_password=golden-secret"}})
		if diags.HasErrors() {
			t.Fatalf("%s: %s", name, diags.Error())
		}
		for _, tg := range res.Spec.Targets {
			args := []string{"render", "-config", path, "-target", tg.Name}
			compareGolden(t, filepath.Join("testdata/golden", name, repository.FileName(tg.Name)+".conf"), repo, args)
		}
		args := []string{"render", "-config", path, "crontab"}
		compareGolden(t, filepath.Join("testdata/golden", name, "crontab"), repo, args)
		for _, kind := range []string{"systemd", "kubernetes"} {
			if hasKind(res.Spec, kind) {
				args := []string{"render", "-config", path, kind}
				compareGolden(t, filepath.Join("testdata/golden", name, kind), repo, args)
			}
		}
	}
}

func hasKind(s *model.Spec, kind string) bool {
	for _, t := range s.Targets {
		if kind == "systemd" && len(t.Timers) > 0 || kind == "kubernetes" && len(t.CronJobs) > 0 {
			return true
		}
	}
	return false
}

func compareGolden(t *testing.T, golden, repo string, args []string) {
	t.Helper()
	code, first, stderr := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, stderr)
	}
	if _, second, _ := runCLI(t, args...); second != first {
		t.Errorf("%v: two renders differ:\n%s\n---\n%s", args, first, second)
	}
	if strings.Contains(first, "golden-secret") {
		t.Errorf("%v: printed output holds a secret", args)
	}
	// Absolute paths differ between checkouts and test binaries.
	got := strings.ReplaceAll(first, repo, "$REPO")
	if exe, err := os.Executable(); err == nil {
		got = strings.ReplaceAll(got, exe, "$REDISPLAN")
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %v output:\n--- want\n%s\n--- got\n%s", golden, args, want, got)
	}
}
