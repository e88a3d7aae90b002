package server

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// KillTimeout bounds the wait for a killed process to be reaped.
const KillTimeout = 10 * time.Second

// Process is one run of a server binary that redisplan started and
// waits for.
type Process struct {
	pid  int
	done chan struct{}
	err  error // set before done is closed
}

// Spawn runs bin with args in dir, its stdout and stderr appended to
// logFile, in a process group of its own. It does not wait for anything:
// see WaitLoaded, or Start, which does both.
func Spawn(bin string, args []string, dir, logFile string) (*Process, error) {
	logf, err := os.OpenFile(logFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the server's log: %w", err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = sysProcAttr()
	err = cmd.Start()
	logf.Close() // the child has its own copy
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", bin, err)
	}
	p := &Process{pid: cmd.Process.Pid, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// PID is the process id.
func (p *Process) PID() int { return p.pid }

// Done is closed once the process has exited and was reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has exited.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Status says how the process ended ("exit status 1", "signal: killed"),
// or "running".
func (p *Process) Status() string {
	if !p.Exited() {
		return "running"
	}
	if p.err != nil {
		return p.err.Error()
	}
	return "exit status 0"
}

// Kill ends the process and its fork children at once with SIGKILL, the
// way a crash ends it: nothing is saved or flushed. It waits until the
// process was reaped, at most KillTimeout. Killing a process that already
// exited kills what is left of its group.
func (p *Process) Kill() error {
	killGroup(p.pid)
	_ = syscall.Kill(p.pid, syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(KillTimeout):
		return fmt.Errorf("pid %d still running %s after SIGKILL", p.pid, KillTimeout)
	}
	killGroup(p.pid) // a fork child that outlived its parent's signal
	return nil
}

// Terminate ends the process with SIGTERM, Redis' ordinary shutdown (a
// final save when save points are configured, an AOF flush), and kills it
// with SIGKILL when it still runs after timeout (Redis 7 stays up when
// that final save fails); forced reports the kill.
func (p *Process) Terminate(timeout time.Duration) (forced bool, err error) {
	if p.Exited() {
		killGroup(p.pid)
		return false, nil
	}
	if err := syscall.Kill(p.pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return false, fmt.Errorf("send SIGTERM to pid %d: %w", p.pid, err)
	}
	select {
	case <-p.done:
		killGroup(p.pid) // a fork child, if any
		return false, nil
	case <-time.After(timeout):
		return true, p.Kill()
	}
}

// killGroup sends SIGKILL to the process group the server leads, which
// also holds its fork children.
func killGroup(pid int) {
	if pid > 0 {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
}
