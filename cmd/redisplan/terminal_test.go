package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/secret"
)

// openTerminal opens a pseudo-terminal's follower side: a real terminal,
// as a person's shell gives redisplan.
func openTerminal(t *testing.T) *os.File {
	t.Helper()
	leader, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("open a pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { leader.Close() })
	if err := unix.IoctlSetPointerInt(int(leader.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock the pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(int(leader.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("name the pseudo-terminal: %v", err)
	}
	follower, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open the pseudo-terminal's follower: %v", err)
	}
	t.Cleanup(func() { follower.Close() })
	return follower
}

// Colour goes to a terminal only, and NO_COLOR, TERM=dumb and -no-color
// each turn it off; /dev/null is a character device but no terminal.
func TestColorOnlyOnATerminalThatWantsIt(t *testing.T) {
	tty := openTerminal(t)
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	cases := []struct {
		name    string
		w       *os.File
		environ []string
		noColor bool
		want    bool
	}{
		{"a terminal", tty, []string{"TERM=xterm-256color"}, false, true},
		{"NO_COLOR set", tty, []string{"TERM=xterm-256color", "NO_COLOR=1"}, false, false},
		{"NO_COLOR empty is unset", tty, []string{"TERM=xterm", "NO_COLOR="}, false, true},
		{"TERM=dumb", tty, []string{"TERM=dumb"}, false, false},
		{"-no-color", tty, []string{"TERM=xterm"}, true, false},
		{"/dev/null", devNull, []string{"TERM=xterm"}, false, false},
	}
	for _, c := range cases {
		env := &cmdEnv{environ: c.environ}
		if got := env.color(c.w, c.noColor); got != c.want {
			t.Errorf("%s: colour = %v, want %v", c.name, got, c.want)
		}
	}
	if !isTerminal(secret.Writer{W: tty}) {
		t.Error("a terminal behind the secret filter is not seen as one")
	}
}

// apply </dev/null has nobody to ask: it refuses without -auto-approve
// and changes nothing, instead of prompting into the void.
func TestApplyFromDevNullRefuses(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	spec := writeSpec(t, fmt.Sprintf(`redis "main" {
  address     = %q
  config_file = %q
  memory {
    max = "64mb"
  }
}
`, srv.Addr(), srv.ConfigPath()))
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	var stdout, stderr bytes.Buffer
	code := runIn(context.Background(), surroundings{environ: environFor(t), sender: testSender},
		[]string{"apply", "-config", spec}, devNull, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "stdin is not a terminal") {
		t.Fatalf("apply </dev/null: exit %d, want 1 and a refusal naming stdin\n%s%s", code, stdout.String(), stderr.String())
	}
	if got := srv.Client(t).ConfigGet(context.Background(), "maxmemory").Val()["maxmemory"]; got != "0" {
		t.Errorf("maxmemory = %s after a refused apply, want 0 (unchanged)", got)
	}
}
