package version

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestFromBuild(t *testing.T) {
	rev := "0123456789abcdef0123456789abcdef01234567"
	vcs := []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.time", Value: "2026-12-04T10:00:00Z"}}
	cases := []struct {
		name    string
		release string
		bi      *debug.BuildInfo
		want    string
	}{
		{"no build info", "", nil, "dev"},
		{"nothing stamped", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev"},
		{"go install at a version", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.4.1"}}, "v0.4.1"},
		{"go build in a clean checkout", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs}, "0123456789ab"},
		{"go build in a modified checkout", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: append(vcs, debug.BuildSetting{Key: "vcs.modified", Value: "true"})}, "0123456789ab-modified"},
		{"go build stamping a pseudo-version", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261204100000-0123456789ab"}, Settings: vcs}, "v0.0.0-20261204100000-0123456789ab"},
		{"release build overrides", "v1.0.0", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs}, "v1.0.0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := fromBuild(c.release, c.bi).Version; got != c.want {
				t.Errorf("version = %q, want %q", got, c.want)
			}
		})
	}
}

// A binary built with `go build` from a checkout names the commit it was
// built from, as `redisplan version -json` prints it.
func TestGoBuildNamesTheCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	head, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout (%v): nothing to stamp", err)
	}
	if fi, err := os.Stat(filepath.Join(root, ".git")); err == nil && !fi.IsDir() {
		// The Go toolchain stamps VCS information only where .git is a
		// directory: a clone, not a git worktree.
		t.Skip("a git worktree (.git is a file): go build stamps no commit here")
	}
	bin := filepath.Join(t.TempDir(), "redisplan")
	// -buildvcs=auto: a GOFLAGS=-buildvcs=false in the environment would
	// otherwise leave the revision out, as it does for `make build`.
	build := exec.Command("go", "build", "-buildvcs=auto", "-o", bin, "./cmd/redisplan")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version", "-json").Output()
	if err != nil {
		t.Fatalf("redisplan version -json: %v", err)
	}
	var info Info
	if err := json.Unmarshal(out, &info); err != nil {
		t.Fatalf("version -json is not JSON: %v\n%s", err, out)
	}
	if info.Revision != strings.TrimSpace(string(head)) {
		t.Fatalf("revision = %q, want HEAD %q", info.Revision, strings.TrimSpace(string(head)))
	}
	// Go stamps a pseudo-version such as v0.0.0-20261205004333-b4e1b31fae5c
	// (older toolchains "(devel)", and then the revision is used): either
	// way the version names the commit.
	if !strings.Contains(info.Version, info.Revision[:12]) {
		t.Errorf("version = %q, want it to name the commit %q", info.Version, info.Revision[:12])
	}
	if info.GoVersion == "" || info.Platform == "" {
		t.Errorf("version -json lacks the Go version or platform: %s", out)
	}
	text, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.Contains(string(text), info.Version) {
		t.Errorf("redisplan version = %q (%v), want it to name %q", text, err, info.Version)
	}
}
