package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// check -format nagios answers every run that cannot check, whatever the
// reason, with one UNKNOWN status line on stdout and exit 3: Nagios shows
// the first line of stdout, and an empty one reads as a broken plugin.
func TestCheckNagiosUnknownOnEveryFailure(t *testing.T) {
	t.Parallel()
	spec := writeSpec(t, `redis "main" {
  address = "127.0.0.1:1"
}
`)
	cases := []struct {
		name string
		args []string
		why  string
	}{
		{"a bad flag", []string{"check", "-format", "nagios", "-bogus"}, "the command line is not valid"},
		{"a stray argument", []string{"check", "-format=nagios", "-config", spec, "main"}, "the command line is not valid"},
		{"an unreadable spec", []string{"check", "--format", "nagios", "-config", filepath.Join(t.TempDir(), "missing.hcl")}, "the spec did not load"},
		{"an unknown target", []string{"check", "-format", "nagios", "-config", spec, "-target", "nosuch"}, "nosuch"},
	}
	for _, c := range cases {
		code, out, errOut := runCLI(t, c.args...)
		lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
		if code != 3 || len(lines) != 1 || !strings.HasPrefix(lines[0], "REDISPLAN UNKNOWN - ") || !strings.Contains(lines[0], c.why) {
			t.Errorf("%s: exit %d, stdout %q; want exit 3 and one UNKNOWN line naming %q\nstderr: %s", c.name, code, out, c.why, errOut)
		}
	}
	// Other formats keep stdout for their own output.
	if code, out, _ := runCLI(t, "check", "-format", "json", "-bogus"); code != 3 || out != "" {
		t.Errorf("check -format json -bogus: exit %d, stdout %q; want 3 and nothing on stdout", code, out)
	}
}
