package restore

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// GuardArg is the first argument of the process that guards a streamed
// load's pipe (RunGuard): the CLI runs it when it sees it, and sets
// GuardCommand to itself with it.
const GuardArg = "__restore-pipe-guard"

// GuardCommand, when set (the CLI sets it to its own executable and
// GuardArg), is run beside a streamed load while its pipe waits at the
// data file's name for the server to open it: should redisplan die then,
// the guard gives whatever opens the pipe the original file whole, and
// puts the original back at its name (RunGuard). Without it (tests that
// restore in their own process) that moment is unguarded, and a server
// started on the pipe waits until the next check or restore.
var GuardCommand []string

// pipeGuard is the running guard.
type pipeGuard struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	once  sync.Once
}

// startGuard starts the guard of the pipe at dir/name, the original
// file's hard link being in safety; nil when there is no GuardCommand.
func startGuard(dir, name, safety string) (*pipeGuard, error) {
	if len(GuardCommand) == 0 {
		return nil, nil
	}
	cmd := exec.Command(GuardCommand[0], append(GuardCommand[1:], dir, name, safety)...)
	// A session of its own: a Ctrl-C or a hang-up meant for redisplan
	// does not reach it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the guard of the restore's pipe: %w", err)
	}
	return &pipeGuard{cmd: cmd, stdin: stdin}, nil
}

// done tells the guard the pipe is no longer at the data file's name,
// and waits for it to exit.
func (g *pipeGuard) done() {
	if g == nil {
		return
	}
	g.once.Do(func() {
		io.WriteString(g.stdin, "done\n")
		g.stdin.Close()
		g.cmd.Wait()
	})
}

// RunGuard is the guard's process: args are the data dir, the data
// file's name and the safety copy. It waits on stdin: "done" ends it; an
// end without it means redisplan died while the pipe was at the data
// file's name. Then, if the pipe is still there, the original goes back
// under the name and, when a server has the pipe open (the restore's own
// start, or a start by hand), the guard writes the original file into it
// whole, so that the server loads the data it had. It returns the exit
// code.
func RunGuard(args []string, stdin io.Reader, stderr io.Writer) int {
	if len(args) != 3 || !plainName(args[1]) {
		fmt.Fprintln(stderr, "redisplan: the restore's pipe guard takes a data dir, a file name and a safety copy")
		return 2
	}
	line, _ := bufio.NewReader(stdin).ReadString('\n')
	if strings.TrimSpace(line) == "done" {
		return 0
	}
	if err := takeOverPipe(args[0], args[1], args[2]); err != nil {
		fmt.Fprintf(stderr, "redisplan: the restore's pipe guard: %v\n", err)
		return 1
	}
	return 0
}

// takeOverPipe is RunGuard's work once redisplan died: the original
// back under the name (so that whatever opens it from now on finds it),
// then, when a server has the pipe open (the restore's own start, or one
// by hand; the feed sends nothing before the original is back, so none
// has read anything yet), the original file written into it whole.
func takeOverPipe(dir, name, safety string) error {
	pipe, err := originalBack(dir, name, safety)
	if err != nil || pipe == "" {
		return err // "": the feed had put the original back
	}
	defer func() {
		if isFIFO(pipe) {
			os.Remove(pipe)
		}
	}()
	fd, err := openFIFONow(pipe)
	if err != nil {
		return nil // no server waits on it
	}
	w := newFIFOWriter(context.Background(), fd)
	defer w.Close()
	f, err := os.Open(filepath.Join(safety, name))
	if err != nil {
		return err // the server reads an early end, and exits
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	_, err = w.spliceFrom(f, 0, st.Size())
	return err
}
