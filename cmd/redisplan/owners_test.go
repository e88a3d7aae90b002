package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redisplan/redisplan/executors/server/servertest"
)

// Two specs in two directories, each with a target "main" on its own
// redis-server, share one cron file, one systemd unit directory and one
// Kubernetes manifest directory: the first spec's jobs must survive the
// second spec's apply.

// ownerSpec writes dir/spec.hcl: target "main" at addr with maxmemory
// max, a backup at hour, and the cron blocks in cron.
func ownerSpec(t *testing.T, dir, addr, max, hour, cron string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "spec.hcl")
	text := fmt.Sprintf(`redis "main" {
  address = %q
  memory {
    max = %q
  }
  backup {
    schedule    = "0 %s * * *"
    destination = %q
  }
%s
}
`, addr, max, hour, filepath.Join(dir, "backups"), cron)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// cronBlocks are the cron blocks of each kind, on the shared places.
func cronBlocks(kind, cronFile, units, manifests, id string) string {
	idLine := ""
	if id != "" {
		idLine = fmt.Sprintf("    id = %q\n", id)
	}
	switch kind {
	case "crontab":
		return fmt.Sprintf("  cron {\n%s    file = %q\n  }", idLine, cronFile)
	case "systemd":
		return fmt.Sprintf("  cron {\n    kind = \"systemd\"\n%s    dir  = %q\n  }", idLine, units)
	default:
		return fmt.Sprintf("  cron {\n    kind       = \"kubernetes\"\n%s    dir        = %q\n    image      = \"redisplan:test\"\n    config_map = \"redisplan-spec\"\n  }", idLine, manifests)
	}
}

// fileContents returns every file under the shared places, path -> content.
func fileContents(t *testing.T, roots ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, root := range roots {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := os.ReadFile(p)
				out[p] = string(b)
			}
			return nil
		})
	}
	return out
}

func TestSecondSpecDoesNotTakeTheFirstSpecsSchedules(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"crontab", "systemd", "kubernetes"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			srvA := servertest.Start(t, servertest.Options{})
			srvB := servertest.Start(t, servertest.Options{})
			shared := t.TempDir()
			cronFile := filepath.Join(shared, "cron.d", "redisplan")
			units := filepath.Join(shared, "units")
			manifests := filepath.Join(shared, "k8s")
			if err := os.MkdirAll(filepath.Dir(cronFile), 0o755); err != nil {
				t.Fatal(err)
			}
			specA := ownerSpec(t, filepath.Join(shared, "team-a"), srvA.Addr(), "32mb", "3", cronBlocks(kind, cronFile, units, manifests, ""))
			specB := ownerSpec(t, filepath.Join(shared, "team-b"), srvB.Addr(), "64mb", "4", cronBlocks(kind, cronFile, units, manifests, ""))

			if code, out, errOut := runCLI(t, "apply", "-auto-approve", "-config", specA); code != 0 {
				t.Fatalf("apply of the first spec: exit %d\n%s%s", code, out, errOut)
			}
			before := fileContents(t, cronFile, units, manifests)
			if len(before) == 0 {
				t.Fatal("the first apply wrote no schedule")
			}
			for p, content := range before {
				if !strings.Contains(content, fmt.Sprintf("# redisplan owner: spec %q, target \"main\"\n", specA)) {
					t.Errorf("%s does not record the first spec as its owner:\n%s", p, content)
				}
			}
			owner := fmt.Sprintf(`belongs to spec %s, target "main"`, specA)

			// The plan says whose the block or files are, and how to
			// resolve it.
			code, out, errOut := runCLI(t, "plan", "-config", specB)
			if code != 1 {
				t.Errorf("plan of the second spec: exit %d, want 1\n%s%s", code, out, errOut)
			}
			if !strings.Contains(out+errOut, owner) || !strings.Contains(out+errOut, `cron { id = "..." }`) {
				t.Errorf("the plan does not name the owner and the fix (want %q):\n%s%s", owner, out, errOut)
			}

			// apply refuses before it changes anything: the first spec's
			// schedules are intact, and the second server was not touched.
			code, out, errOut = runCLI(t, "apply", "-auto-approve", "-config", specB)
			if code != 1 {
				t.Errorf("apply of the second spec: exit %d, want 1\n%s%s", code, out, errOut)
			}
			if !strings.Contains(out+errOut, owner) || !strings.Contains(errOut, "nothing was applied") {
				t.Errorf("apply does not say whose the schedules are and that nothing was applied:\n%s%s", out, errOut)
			}
			if after := fileContents(t, cronFile, units, manifests); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("the first spec's schedules changed:\nbefore %q\nafter  %q", before, after)
			}
			if got := configGet(t, srvB.Client(t), "maxmemory"); got != "0" {
				t.Errorf("maxmemory of the second server is %s: apply changed it before refusing", got)
			}

			// With an id of its own, the second spec gets a block or files
			// of its own, and both specs are in sync.
			ownerSpec(t, filepath.Join(shared, "team-b"), srvB.Addr(), "64mb", "4", cronBlocks(kind, cronFile, units, manifests, "team-b-main"))
			if code, out, errOut := runCLI(t, "apply", "-auto-approve", "-config", specB); code != 0 {
				t.Fatalf("apply of the second spec with an id: exit %d\n%s%s", code, out, errOut)
			}
			after := fileContents(t, cronFile, units, manifests)
			for p, content := range before {
				if kind == "crontab" {
					if !strings.Contains(after[p], content) {
						t.Errorf("the first spec's block changed:\n%s", after[p])
					}
				} else if after[p] != content {
					t.Errorf("%s changed:\n%s", p, after[p])
				}
			}
			all := fmt.Sprint(after)
			if !strings.Contains(all, "team-b-main") || !strings.Contains(all, `# redisplan owner: id "team-b-main"`) {
				t.Errorf("the second spec's schedules are missing:\n%s", all)
			}
			if got := configGet(t, srvB.Client(t), "maxmemory"); got != "67108864" {
				t.Errorf("maxmemory of the second server is %s after its apply", got)
			}
			for _, spec := range []string{specA, specB} {
				if code, out, errOut := runCLI(t, "plan", "-detailed-exitcode", "-config", spec); code != 0 {
					t.Errorf("plan of %s after both applies: exit %d\n%s%s", spec, code, out, errOut)
				}
			}

			// The first spec sets an id too: what it wrote under the
			// target's name is replaced by what it writes under the id,
			// so its jobs do not run twice; the second spec's stay.
			ownerSpec(t, filepath.Join(shared, "team-a"), srvA.Addr(), "32mb", "3", cronBlocks(kind, cronFile, units, manifests, "team-a-main"))
			if code, out, errOut := runCLI(t, "apply", "-auto-approve", "-config", specA); code != 0 {
				t.Fatalf("apply of the first spec with an id: exit %d\n%s%s", code, out, errOut)
			}
			final := fmt.Sprint(fileContents(t, cronFile, units, manifests))
			if strings.Contains(final, "redisplan-main-") || strings.Contains(final, "# BEGIN redisplan main\n") {
				t.Errorf("what the first spec wrote before its id is still there:\n%s", final)
			}
			// One block (crontab), one .service and .timer (systemd) or
			// one manifest (kubernetes) per spec, each with its owner line.
			if n, want := strings.Count(final, "# redisplan owner: "), map[string]int{"crontab": 2, "systemd": 4, "kubernetes": 2}[kind]; n != want {
				t.Errorf("%d blocks or files, want %d:\n%s", n, want, final)
			}
			for _, id := range []string{"team-a-main", "team-b-main"} {
				if !strings.Contains(final, fmt.Sprintf("# redisplan owner: id %q", id)) {
					t.Errorf("no schedule owned by %s:\n%s", id, final)
				}
			}
			for _, spec := range []string{specA, specB} {
				if code, out, errOut := runCLI(t, "plan", "-detailed-exitcode", "-config", spec); code != 0 {
					t.Errorf("plan of %s after the ids: exit %d\n%s%s", spec, code, out, errOut)
				}
			}
		})
	}
}

// TestScheduleWithoutOwnerLine: a crontab block written by an older
// redisplan (no owner line) is adopted by the spec its lines run, and
// refused to any other.
func TestScheduleWithoutOwnerLine(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	shared := t.TempDir()
	cronFile := filepath.Join(shared, "redisplan")
	specA := ownerSpec(t, filepath.Join(shared, "team-a"), srv.Addr(), "32mb", "3", cronBlocks("crontab", cronFile, "", "", ""))
	specB := ownerSpec(t, filepath.Join(shared, "team-b"), srv.Addr(), "32mb", "3", cronBlocks("crontab", cronFile, "", "", ""))
	legacy := "MAILTO=ops\n# BEGIN redisplan main\n0 3 * * * root /usr/bin/redisplan backup run -no-color -config " + specA + " -target main\n# END redisplan main\n"
	if err := os.WriteFile(cronFile, []byte(legacy), 0o644); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := runCLI(t, "apply", "-auto-approve", "-config", specB)
	if code != 1 || !strings.Contains(out+errOut, "has no owner line") || !strings.Contains(out+errOut, "do not run this spec") {
		t.Errorf("apply of another spec: exit %d, want 1 and why\n%s%s", code, out, errOut)
	}
	if b, _ := os.ReadFile(cronFile); string(b) != legacy {
		t.Errorf("the block was changed:\n%s", b)
	}

	code, out, errOut = runCLI(t, "apply", "-auto-approve", "-config", specA)
	if code != 0 || !strings.Contains(out, "adopted: the block has no owner line") {
		t.Errorf("apply of the spec the lines run: exit %d, want 0 and the adoption in the plan\n%s%s", code, out, errOut)
	}
	b, _ := os.ReadFile(cronFile)
	if !strings.HasPrefix(string(b), "MAILTO=ops\n# BEGIN redisplan main\n# redisplan owner: spec \""+specA+"\", target \"main\"\n") {
		t.Errorf("the adopted block has no owner line:\n%s", b)
	}
}

// TestConfigDirAndFileAreOneOwner: "-config ." in a directory holding one
// spec file, and "-config spec.hcl", named two owners of the same
// server's schedules, so following the plan error's advice duplicated the
// jobs. They are now one spec: the second form plans no change.
func TestConfigDirAndFileAreOneOwner(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	shared := t.TempDir()
	cronFile := filepath.Join(shared, "cron.d", "redisplan")
	if err := os.MkdirAll(filepath.Dir(cronFile), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(shared, "team-a")
	spec := ownerSpec(t, dir, srv.Addr(), "32mb", "3", cronBlocks("crontab", cronFile, "", "", ""))
	mustRun(t, "apply", "-auto-approve", "-config", dir)
	before := fileContents(t, cronFile)
	code, out, errOut := runCLI(t, "plan", "-detailed-exitcode", "-config", spec)
	if code != 0 {
		t.Errorf("plan -config %s after apply -config %s: exit %d, want 0 (no changes)\n%s%s", spec, dir, code, out, errOut)
	}
	if after := fileContents(t, cronFile); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("the cron file changed:\n%v\n%v", before, after)
	}
	if b := before[cronFile]; !strings.Contains(b, "-config "+spec) {
		t.Errorf("the job lines do not name the spec file:\n%s", b)
	}
}
