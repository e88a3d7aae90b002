package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/server/servertest"
)

// TestDemo runs scripts/demo.sh, what `make demo` runs, with binaries
// built from this tree, and checks the summary a newcomer reads at its
// end: the spec's own lint is clean, apply and the drift fix work, the
// alert fires before the first backup and resolves after the restore,
// the archiver acknowledges the writes made after the backup, and the
// restore to the second before the FLUSHALL brings back every key it
// removed, those written after the backup included; the server and the
// archiver are gone afterwards.
func TestDemo(t *testing.T) {
	servertest.Binary(t) // a clear failure without redis-server; skipped with REDISPLAN_SKIP_REDIS=1
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Fatalf("the demo needs redis-cli: %v (make deps installs it)", err)
	}
	dir := t.TempDir()
	redisplan, hook := filepath.Join(dir, "redisplan"), filepath.Join(dir, "demohook")
	for bin, pkg := range map[string]string{redisplan: "../../cmd/redisplan", hook: "."} {
		if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	cmd := exec.Command("bash", "../demo.sh")
	cmd.Env = append(os.Environ(), "REDISPLAN="+redisplan, "DEMOHOOK="+hook, "NO_COLOR=1")
	b, err := cmd.CombinedOutput()
	out := string(b)
	if err != nil {
		t.Fatalf("demo.sh: %v\n%s", err, out)
	}
	_, summary, ok := strings.Cut(out, "==> Summary (")
	if !ok {
		t.Fatalf("no summary:\n%s", out)
	}
	lines := strings.Split(summary, "\n")[1:]
	want := []string{
		`^lint: 0 errors, 0 warnings, 0 notices$`,
		`^plan: \d+ live changes?, \d+ needs restart, \d+ file changes?, 0 crontab changes\.$`,
		`^apply: Apply complete: \d+ live changes?, \d+ file changes?, 0 pending restart\.$`,
		`^drift: maxmemory was 64mb behind redisplan's back, plan exited 2, and it is 268435456 bytes \(256mb\) again$`,
		`^check: Overall: CRITICAL \(2 critical, \d+ ok\); the webhook got: alert firing: redis\.demo backup_age \(critical\): `,
		`^data: 10000 keys$`,
		`^backup: backup \S+ complete: 10000 keys, .* stored in .*, verified$`,
		`^archive: 500 more keys written after the backup \(10500 keys\), WAIT 1 1000 says 1 replica \(the archiver\) has them committed$`,
		`^FLUSHALL: 0 keys left$`,
		`^restore -to-time \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: base backup verified while staged, 500 writes replayed from the archive, loaded in [0-9.]+s, the server answered no one for [0-9.]+s; 10500 keys back$`,
		`^check: Overall: OK \(\d+ ok\); the webhook got: alert resolved: redis\.demo backup_age \(critical\): `,
	}
	for i, re := range want {
		if i >= len(lines) || !regexp.MustCompile(re).MatchString(lines[i]) {
			got := "(none)"
			if i < len(lines) {
				got = lines[i]
			}
			t.Errorf("summary line %d: %q, want %s", i+1, got, re)
		}
	}
	if t.Failed() {
		t.Logf("demo output:\n%s", out)
	}
	// The throwaway server is gone, also after the restore started it
	// again under another process id.
	if m := regexp.MustCompile(`redis\.demo \((127\.0\.0\.1:\d+),`).FindStringSubmatch(out); m == nil {
		t.Errorf("the demo does not name its server's address:\n%s", out)
	} else if c, err := net.DialTimeout("tcp", m[1], time.Second); err == nil {
		c.Close()
		t.Errorf("a server still answers at %s after the demo", m[1])
	}
	// The archiver it ran in the background was stopped too: the process
	// of that PID is gone, or is no longer this redisplan (a reused PID).
	if m := regexp.MustCompile(`(?m)^archiver: PID (\d+)$`).FindStringSubmatch(out); m == nil {
		t.Errorf("the demo does not name its archiver's PID:\n%s", out)
	} else if cmdline, err := os.ReadFile("/proc/" + m[1] + "/cmdline"); err == nil && strings.HasPrefix(string(cmdline), redisplan+"\x00archive") {
		t.Errorf("the archiver (PID %s) still runs after the demo", m[1])
	}
	// Everything it made lived in one temp dir, removed at the end.
	if m := regexp.MustCompile(`kept in (\S+)/data/`).FindStringSubmatch(out); m == nil {
		t.Errorf("the restore does not say where it kept the previous files:\n%s", out)
	} else if _, err := os.Stat(m[1]); !os.IsNotExist(err) {
		t.Errorf("the demo left %s behind (%v)", m[1], err)
	}
}
