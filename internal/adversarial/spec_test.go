package adversarial

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	hclv2 "github.com/hashicorp/hcl/v2"
	batchv1 "k8s.io/api/batch/v1"
	"sigs.k8s.io/yaml"

	"github.com/redisplan/redisplan/executors/crontab"
	"github.com/redisplan/redisplan/executors/kubecron"
	"github.com/redisplan/redisplan/executors/schedfiles"
	"github.com/redisplan/redisplan/executors/systemd"
	"github.com/redisplan/redisplan/hcl"
	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/redisconf"
)

// outsideContent is what the spec corpus finds two directories above the
// spec, where file("../../outside.txt") reads.
const outsideContent = "read-from-two-directories-above"

// TestSpecCorpus loads every input of testdata/adversarial/spec with
// hcl.Load. want.txt says, per input:
//
//	ok [targets=N] [username=S] [maxalloc=BYTES]
//	                    loads without an error diagnostic; the spec then
//	                    renders a redis.conf that parses and crontab
//	                    lines that are single lines
//	error TEXT          loads with error diagnostics, one of which holds
//	                    TEXT, and no spec
//	either TEXT         loads, or fails with an error holding TEXT: for
//	                    inputs whose outcome depends on the machine
//
// The spec is copied to <sandbox>/inside/a/b/, beside NAME.vars (one -var
// argument a line) and NAME.varfile (a -var-file) when the corpus has
// them; Load must write nothing.
func TestSpecCorpus(t *testing.T) {
	dir, want := cases(t, "spec")
	for _, w := range want {
		t.Run(w.name, func(t *testing.T) {
			// The inputs run side by side, but one whose allocations are
			// bounded runs alone (before the others start): TotalAlloc
			// counts the whole process's.
			if !w.boundsAlloc() {
				t.Parallel()
			}
			sb := newSandbox(t)
			specDir := filepath.Join(sb.Inside, "a", "b")
			if err := os.MkdirAll(specDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(sb.Inside, "outside.txt"), []byte(outsideContent), 0o644); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(specDir, strings.TrimSuffix(w.name, ".gen"))
			if strings.HasSuffix(w.name, ".gen") {
				path += ".hcl"
			}
			if err := os.WriteFile(path, input(t, dir, w.name), 0o644); err != nil {
				t.Fatal(err)
			}
			opts := hcl.Options{Path: path, Vars: []string{}}
			if b, err := os.ReadFile(filepath.Join(dir, w.name+".vars")); err == nil {
				opts.Vars = strings.Split(strings.TrimRight(string(b), "\n"), "\n")
			}
			if b, err := os.ReadFile(filepath.Join(dir, w.name+".varfile")); err == nil {
				vf := filepath.Join(specDir, "vars.varfile")
				if err := os.WriteFile(vf, b, 0o644); err != nil {
					t.Fatal(err)
				}
				opts.VarFiles = []string{vf}
			}
			sb.Allow(t)

			var (
				res   *hcl.Result
				diags hclv2.Diagnostics
				alloc uint64
			)
			if !guarded(t, "hcl.Load", func() {
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				res, diags = hcl.Load(opts)
				runtime.ReadMemStats(&after)
				alloc = after.TotalAlloc - before.TotalAlloc
			}) {
				return
			}
			sb.Check(t, "hcl.Load")
			if res == nil {
				t.Fatal("hcl.Load returned a nil result")
			}
			for _, d := range diags {
				if d.Severity == hclv2.DiagError && strings.TrimSpace(d.Summary) == "" {
					t.Errorf("an error diagnostic has no summary (detail %q)", clip(d.Detail))
				}
			}
			if diags.HasErrors() != (res.Spec == nil) {
				t.Errorf("errors: %v, but spec nil: %v", diags.HasErrors(), res.Spec == nil)
			}
			t.Logf("%d diagnostics, %d bytes allocated", len(diags), alloc)

			checkFormat(t, path)

			switch w.kind() {
			case "ok":
				if diags.HasErrors() {
					t.Fatalf("want the spec to load, got:\n%s", clip(diagText(diags)))
				}
				checkSpecOptions(t, w, res, alloc)
				checkRendered(t, res)
			case "error":
				checkDiags(t, diags, w.rest)
			case "either":
				if diags.HasErrors() {
					checkDiags(t, diags, w.rest)
				} else {
					checkRendered(t, res)
				}
			default:
				t.Fatalf("want.txt:%d: unknown expectation %q", w.line, w.kind())
			}
		})
	}
}

// checkDiags fails unless diags has errors and one of them names the
// problem.
func checkDiags(t *testing.T, diags hclv2.Diagnostics, want string) {
	t.Helper()
	if !diags.HasErrors() {
		t.Errorf("the spec loaded; want an error containing %q", want)
		return
	}
	text := diagText(diags)
	if !strings.Contains(strings.ToLower(text), strings.ToLower(want)) {
		t.Errorf("no error contains %q; got:\n%s", want, clip(text))
	}
}

func diagText(diags hclv2.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		if d.Severity != hclv2.DiagError {
			continue
		}
		fmt.Fprintf(&b, "%s: %s", d.Summary, d.Detail)
		if d.Subject != nil {
			fmt.Fprintf(&b, " (%s)", d.Subject)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// boundsAlloc reports whether the expectation bounds what loading
// allocates (maxalloc=BYTES).
func (e expectation) boundsAlloc() bool {
	for _, f := range e.fields {
		if strings.HasPrefix(f, "maxalloc=") {
			return true
		}
	}
	return false
}

// checkSpecOptions checks the key=value words after "ok".
func checkSpecOptions(t *testing.T, w expectation, res *hcl.Result, alloc uint64) {
	t.Helper()
	for _, f := range w.fields[1:] {
		key, value, ok := strings.Cut(f, "=")
		if !ok {
			t.Fatalf("want.txt:%d: %q is not key=value", w.line, f)
		}
		switch key {
		case "targets":
			n, _ := strconv.Atoi(value)
			if len(res.Spec.Targets) != n {
				t.Errorf("%d targets, want %d", len(res.Spec.Targets), n)
			}
		case "username":
			if len(res.Spec.Targets) == 0 {
				t.Fatal("no target")
			}
			if got := res.Spec.Targets[0].Connection.Username; got != value {
				t.Errorf("username %q, want %q", clip(got), value)
			}
		case "maxalloc":
			n, err := strconv.ParseUint(value, 10, 64)
			if err != nil {
				t.Fatalf("want.txt:%d: maxalloc %q", w.line, value)
			}
			// A loose bound on memory, not on time: it catches a blow-up
			// by orders of magnitude, not a regression of a few percent.
			if alloc > n {
				t.Errorf("loading allocated %d bytes, more than the bound %d", alloc, n)
			}
		default:
			t.Fatalf("want.txt:%d: unknown check %q", w.line, key)
		}
	}
}

// checkRendered renders what a loaded spec writes and checks that it
// stays well-formed whatever the spec held: every target's redis.conf
// parses back to the directives it was rendered from, and its crontab
// block is made of single lines that splice in and read back unchanged.
func checkRendered(t *testing.T, res *hcl.Result) {
	t.Helper()
	if res.Spec == nil {
		return
	}
	for i, tg := range res.Spec.Targets {
		if i >= 20 {
			break // a for_each of thousands says nothing more after a few
		}
		cat, err := catalog.For(tg.RedisVersion)
		if err != nil {
			t.Errorf("%s: a loaded target has an unknown version %q", tg.Name, tg.RedisVersion)
			continue
		}
		conf := redisconf.Render(tg, cat, redisconf.RenderOptions{Source: "spec.hcl", Secrets: true})
		if _, err := redisconf.Parse(conf); err != nil {
			t.Errorf("%s: the rendered redis.conf does not parse: %v", tg.Name, err)
		}
		if _, err := redisconf.Values(conf, cat); err != nil {
			t.Errorf("%s: the rendered redis.conf cannot be read back: %v", tg.Name, err)
		}
		checkSchedules(t, tg)
		lines := crontab.Lines(tg, crontab.RenderOptions{Binary: "/usr/local/bin/redisplan", Config: "/etc/redisplan/spec.hcl"})
		for _, l := range lines {
			if strings.ContainsAny(l, "\r\n\x00") {
				t.Errorf("%s: a crontab line holds a line break or NUL, which splits it in cron: %q", tg.Name, l)
			}
		}
		if lines == nil {
			continue
		}
		spliced := crontab.Splice(nil, tg.Name, lines)
		if got := crontab.Block(spliced, tg.Name); strings.Join(got, "\n") != strings.Join(lines, "\n") {
			t.Errorf("%s: the crontab block reads back as %q, want %q", tg.Name, got, lines)
		}
	}
}

// unitLine is every line a rendered systemd unit may have: a line that is
// anything else was injected through a value.
var unitLine = regexp.MustCompile(`^(|#.*|\[(Unit|Service|Timer|Install)\]|(Description|Wants|After|Type|User|ExecStart|SuccessExitStatus|StateDirectory|Environment|UMask|ProtectSystem|ReadWritePaths|PrivateTmp|NoNewPrivileges|StartLimitIntervalSec|Restart|RestartSec|KillSignal|TimeoutStopSec|OnCalendar|Persistent|RandomizedDelaySec|WantedBy)=.*)$`)

// checkSchedules renders the target's schedules as systemd units and as
// CronJobs, whether or not the spec has such blocks, and checks that no
// value escapes its place: each unit line is one the renderer writes, the
// marker names the target, and each manifest decodes strictly with the
// target's name intact.
func checkSchedules(t *testing.T, tg *model.Target) {
	t.Helper()
	units, err := systemd.Render(tg, &model.SystemdTimers{RunAs: "redis", RandomizedDelay: time.Minute}, systemd.Options{Binary: "/usr/local/bin/redisplan", Config: "/etc/redisplan"})
	if err != nil {
		return // a schedule without an OnCalendar form; hcl refuses it with a systemd block
	}
	for _, f := range units {
		if !schedfiles.HasMarker(f.Content, tg.Name) {
			t.Errorf("%s: %s lacks the target's marker", tg.Name, f.Name)
		}
		for _, l := range strings.Split(string(f.Content), "\n") {
			if !unitLine.MatchString(l) {
				t.Errorf("%s: %s has a line the renderer does not write: %q", tg.Name, f.Name, l)
			}
		}
	}
	manifests, err := kubecron.Render(tg, &model.KubeCronJobs{Image: "redisplan:1", ConfigMap: "spec", Secret: "s", Variables: []string{"pw"}, StartingDeadline: time.Minute}, "/etc/redisplan/spec.hcl")
	if err != nil {
		return
	}
	for _, f := range manifests {
		var cj batchv1.CronJob
		if err := yaml.UnmarshalStrict(f.Content, &cj); err != nil {
			t.Errorf("%s: %s does not decode: %v", tg.Name, f.Name, err)
			continue
		}
		if cj.Annotations[kubecron.AnnotationTarget] != tg.Name || !slices.Contains(cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Args, tg.Name) {
			t.Errorf("%s: %s does not carry the target name intact", tg.Name, f.Name)
		}
	}
}

// checkFormat runs what `redisplan fmt` runs on the spec: a spec that
// parses formats into one that parses too, and formatting is idempotent;
// one that does not parse is reported, not formatted.
func checkFormat(t *testing.T, path string) {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var (
		out, again []byte
		diags, d2  hclv2.Diagnostics
	)
	if !guarded(t, "hcl.Format", func() {
		out, diags = hcl.Format(src, path)
		if !diags.HasErrors() {
			again, d2 = hcl.Format(out, path)
		}
	}) {
		return
	}
	if diags.HasErrors() {
		if out != nil {
			t.Errorf("Format returned output along with errors")
		}
		return
	}
	if d2.HasErrors() {
		t.Errorf("the formatted spec does not parse:\n%s", clip(diagText(d2)))
		return
	}
	if !bytes.Equal(again, out) {
		t.Errorf("formatting the formatted spec changed it again")
	}
}
