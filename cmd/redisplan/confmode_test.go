package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestConfigFileKeepsSecretsFromOtherUsers: apply wrote requirepass and
// the secret CONFIG name into a redis.conf that every user could read
// (mode 0644, as the file was found), and neither plan nor apply said so.
// The plan now names the risk, and apply leaves the file and its backup
// without access for other users, keeping the owner's and group's.
func TestConfigFileKeepsSecretsFromOtherUsers(t *testing.T) {
	t.Parallel()
	d := startDaemon(t)
	if err := os.Chmod(d.conf, 0o644); err != nil {
		t.Fatal(err)
	}
	spec := writeSpec(t, fmt.Sprintf(`variable "password" {
  type      = string
  sensitive = true
}

redis "main" {
  address     = %q
  password    = var.password
  config_file = %q
  security {
    requirepass = var.password
  }
}
`, d.addr(), d.conf))
	setVar(t, "REDISPLAN_VAR_password", "Pw-for-others-7731")
	// The server has no password yet: the spec's first apply sets it, and
	// it is sent only once the server asks for one.
	code, out, errOut := runCLI(t, "plan", "-config", spec)
	if code != 0 || !strings.Contains(out, "is readable by every user on this host (mode 0644) and holds the target's secrets") {
		t.Fatalf("plan: exit %d, want 0 and the file's mode named as a risk\n%s%s", code, out, errOut)
	}
	mustRun(t, "apply", "-auto-approve", "-config", spec)
	for _, p := range []string{d.conf, d.conf + ".redisplan.bak"} {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != 0o640 {
			t.Errorf("%s has mode %04o after apply, want 0640 (the owner's and group's access kept, others' taken away)", p, got)
		}
	}
	b, _ := os.ReadFile(d.conf)
	if !strings.Contains(string(b), "requirepass") {
		t.Errorf("the file does not hold requirepass after apply:\n%s", b)
	}
}
