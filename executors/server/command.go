package server

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

const (
	// commandWaitDelay is how long a finished service command may keep
	// its output open (through a daemon it started) before it is cut off.
	commandWaitDelay = 2 * time.Second
	// maxOutput bounds how much of a command's output an error quotes
	// (its end, where the reason usually is).
	maxOutput = 2048
)

// CommandError is a service command that failed. Its message quotes the
// end of the command's output; redact it with the target's secrets before
// showing it, since the output may quote a config file.
type CommandError struct {
	What   string // "start", "stop", "status"
	Argv   []string
	Err    error  // from os/exec: an *exec.ExitError, a context error
	Output string // the end of stdout and stderr together
}

func (e *CommandError) Error() string {
	msg := fmt.Sprintf("service %s command %q failed: %v", e.What, e.Argv, e.Err)
	if e.Output != "" {
		msg += "; its output:\n" + e.Output
	}
	return msg
}

func (e *CommandError) Unwrap() error { return e.Err }

// RunCommand runs one service command of a target (argv, no shell: a
// service manager's start, stop or status) until it exits or ctx ends. A
// command that exits 0 but leaves a daemon holding its output open is a
// success. A failure is a *CommandError.
func RunCommand(ctx context.Context, what string, argv []string) error {
	if len(argv) == 0 {
		return fmt.Errorf("no service %s command", what)
	}
	out := &Tail{Max: maxOutput}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.WaitDelay = commandWaitDelay
	err := cmd.Run()
	if err == nil || errors.Is(err, exec.ErrWaitDelay) {
		return nil
	}
	return &CommandError{What: what, Argv: argv, Err: err, Output: out.String()}
}

// Tail is an io.Writer that keeps the last Max bytes written to it.
type Tail struct {
	Max     int
	b       []byte
	dropped bool
}

func (t *Tail) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if over := len(t.b) - t.Max; over > 0 {
		t.b = append(t.b[:0:0], t.b[over:]...)
		t.dropped = true
	}
	return len(p), nil
}

// String is what was kept, without trailing newlines, marked "[...]" at
// the start when something was dropped.
func (t *Tail) String() string {
	s := strings.TrimRight(string(t.b), "\n")
	if t.dropped {
		s = "[...]" + s
	}
	return s
}

// TailOf returns the end of b, as a Tail of max bytes keeps it.
func TailOf(b []byte, max int) string {
	t := &Tail{Max: max}
	_, _ = t.Write(b)
	return t.String()
}
