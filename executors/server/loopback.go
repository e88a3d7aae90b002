package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/internal/redisconf"
)

const (
	// startAttempts is how many free ports Start tries when another
	// process takes the one it picked before the server binds it.
	startAttempts = 3
	// logLines is how much of a server's log an error quotes.
	logLines = 15
)

// ErrPortTaken reports that the server could not bind its port.
var ErrPortTaken = errors.New("the port was taken")

// Spec is a server to run on a loopback port in a directory of its own.
type Spec struct {
	// Bin is the server binary (see Binary).
	Bin string
	// Dir is the server's working directory.
	Dir string
	// LogFile receives the server's stdout and stderr; its config should
	// name it as logfile too, so that every line lands in one file.
	LogFile string
	// Args returns the command line after the binary for a port: the
	// config file to read, with options. It may write that config file.
	Args func(port int) ([]string, error)
	// Password authenticates the connections this package makes (the
	// readiness probe, SHUTDOWN). It does not configure the server.
	Password string
	// Started, when set, is told about each process as soon as it runs,
	// before the wait for its data: a caller that reports it can name the
	// process even when it then fails to load.
	Started func(pid int, addr string)
}

// Server is a server process that redisplan runs on a loopback port: a
// drill's scratch server, a test's server. It is not safe for concurrent
// use.
type Server struct {
	spec      Spec
	port      int
	args      []string
	proc      *Process
	logOffset int64 // the log's size when the latest process started
}

// Start runs a server on a free loopback port and waits until it has
// loaded its data (INFO from its own process id says loading:0), or ctx
// ends. A port taken by another process before the server could bind it
// costs another port, three at most. A server that does not become ready
// is killed, and reaped, before Start returns an error that quotes the
// end of its log.
//
// A server that answers but refuses INFO (requirepass without
// Spec.Password, a renamed INFO) counts as started: it answers, and the
// caller's own commands will say what it refuses.
func Start(ctx context.Context, spec Spec) (*Server, error) {
	for attempt := 1; ; attempt++ {
		port, err := FreePort()
		if err != nil {
			return nil, err
		}
		s, err := StartOn(ctx, spec, port)
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, ErrPortTaken) || attempt == startAttempts {
			return nil, err
		}
	}
}

// StartOn is Start on one given port; an error wraps ErrPortTaken when
// the server could not bind it.
func StartOn(ctx context.Context, spec Spec, port int) (*Server, error) {
	args, err := spec.Args(port)
	if err != nil {
		return nil, err
	}
	s := &Server{spec: spec, port: port, args: args}
	if err := s.launch(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Restart runs the server again with the same command line, on the same
// port and in the same directory, once its process has ended (Kill,
// Terminate, Shutdown, a crash), and waits until it has loaded its data
// as Start does.
func (s *Server) Restart(ctx context.Context) error {
	if s.proc != nil && !s.proc.Exited() {
		return fmt.Errorf("restart the server on %s: its process (pid %d) still runs", s.Addr(), s.proc.pid)
	}
	return s.launch(ctx)
}

// launch starts a process with s.args and waits until it is ready. A
// process that does not become ready is killed before launch returns.
func (s *Server) launch(ctx context.Context) error {
	s.logOffset = fileSize(s.spec.LogFile)
	p, err := Spawn(s.spec.Bin, s.args, s.spec.Dir, s.spec.LogFile)
	if err != nil {
		return err
	}
	s.proc = p
	if s.spec.Started != nil {
		s.spec.Started(p.pid, s.Addr())
	}
	c := NewClient(s.Addr(), s.spec.Password, func(o *redis.Options) {
		o.PoolSize = 1
		o.DialTimeout = time.Second
		o.ReadTimeout = 2 * time.Second
		o.WriteTimeout = 2 * time.Second
	})
	defer c.Close()
	// Something else on the port may accept the connection and never
	// answer: give up as soon as the process exits. Closing the client
	// interrupts a read that the context alone does not.
	waited := make(chan struct{})
	defer close(waited)
	go func() {
		select {
		case <-p.done:
			_ = c.Close()
		case <-waited:
		}
	}()
	_, err = WaitLoaded(ctx, c, Waiting{
		Name: s.Addr(),
		PID:  p.pid,
		Exited: func() error {
			if p.Exited() {
				return fmt.Errorf("it exited (%s)", p.Status())
			}
			return nil
		},
	})
	var refused *RefusedError
	if err == nil || (errors.As(err, &refused) && !p.Exited()) {
		return nil
	}
	_ = p.Kill()
	log := readFrom(s.spec.LogFile, s.logOffset)
	if strings.Contains(log, "Address already in use") {
		return fmt.Errorf("%w: %s could not listen on %s (%s)", ErrPortTaken, filepath.Base(s.spec.Bin), s.Addr(), p.Status())
	}
	return fmt.Errorf("%s (pid %d) did not become ready on %s: %w%s", filepath.Base(s.spec.Bin), p.pid, s.Addr(), err, quoteLog(log))
}

// Addr is the server's address, "127.0.0.1:PORT".
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Port is the server's TCP port. It does not change on Restart.
func (s *Server) Port() int { return s.port }

// Dir is the server's working directory.
func (s *Server) Dir() string { return s.spec.Dir }

// Process is the latest process; after it ended, the one that ended.
func (s *Server) Process() *Process { return s.proc }

// PID is the process id of the latest process.
func (s *Server) PID() int {
	if s.proc == nil {
		return 0
	}
	return s.proc.pid
}

// Kill ends the server at once with SIGKILL, as a crash does (see
// Process.Kill). Killing a server that has ended does nothing more.
func (s *Server) Kill() error {
	if s.proc == nil {
		return nil
	}
	return s.proc.Kill()
}

// Terminate ends the server with SIGTERM, and SIGKILL after timeout (see
// Process.Terminate).
func (s *Server) Terminate(timeout time.Duration) (forced bool, err error) {
	if s.proc == nil {
		return false, nil
	}
	return s.proc.Terminate(timeout)
}

// Shutdown sends SHUTDOWN SAVE (save true) or SHUTDOWN NOSAVE and waits
// until the process has exited. A refusal is an error, and the server
// keeps running; a server still running when ctx ends is killed, and that
// is an error too.
func (s *Server) Shutdown(ctx context.Context, save bool) error {
	p := s.proc
	if p == nil || p.Exited() {
		return fmt.Errorf("shut down the server on %s: it is not running", s.Addr())
	}
	mode := "NOSAVE"
	if save {
		mode = "SAVE"
	}
	c := NewClient(s.Addr(), s.spec.Password, nil)
	defer c.Close()
	if err := Shutdown(ctx, c, "SHUTDOWN", mode); err != nil {
		return fmt.Errorf("the server (pid %d) refused SHUTDOWN %s and keeps running: %w", p.pid, mode, err)
	}
	select {
	case <-p.done:
		killGroup(p.pid) // a fork child, if any
		return nil
	case <-ctx.Done():
		kerr := p.Kill()
		return fmt.Errorf("the server (pid %d) still ran when %s after SHUTDOWN %s; killed it (%v)", p.pid, ctx.Err(), mode, kerr)
	}
}

// Stop ends a server whose data does not matter any more (a scratch
// server, after its check): SHUTDOWN NOSAVE, so that it writes nothing,
// and SIGKILL when it refuses or has not exited after timeout. The
// process has ended when Stop returns; the error says why it had to be
// killed.
func (s *Server) Stop(timeout time.Duration) error {
	p := s.proc
	if p == nil {
		return nil
	}
	if p.Exited() {
		killGroup(p.pid)
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := s.Shutdown(ctx, false)
	if err != nil && !p.Exited() {
		if kerr := p.Kill(); kerr != nil {
			return errors.Join(err, kerr)
		}
		return fmt.Errorf("%w: killed it", err)
	}
	return err
}

// LogTail quotes the end of the server's log for an error message:
// "; the end of its log:\n..." or "" when the log is empty.
func (s *Server) LogTail() string {
	return quoteLog(readFrom(s.spec.LogFile, 0))
}

// LastLines returns the last n lines of text.
func LastLines(text string, n int) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// quoteLog formats the last lines of a log for an error message; "" when
// there is nothing to quote.
func quoteLog(text string) string {
	text = strings.TrimRight(text, "\n")
	if text == "" {
		return ""
	}
	return "; the end of its log:\n" + LastLines(text, logLines)
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// readFrom returns the content of path from offset on, or "".
func readFrom(path string, offset int64) string {
	b, err := os.ReadFile(path)
	if err != nil || offset > int64(len(b)) {
		return ""
	}
	return string(b[offset:])
}

// LoopbackLines are the redis.conf lines that make a server one of
// redisplan's own (a scratch server): port on 127.0.0.1 only, protected
// mode, in the foreground, with its dir and log file. Written last in a
// config, they win over anything before them.
func LoopbackLines(port int, dir, logFile string) []string {
	return []string{
		redisconf.FormatLine("port", strconv.Itoa(port)),
		redisconf.FormatLine("bind", "127.0.0.1"),
		redisconf.FormatLine("protected-mode", "yes"),
		redisconf.FormatLine("daemonize", "no"),
		redisconf.FormatLine("dir", dir),
		redisconf.FormatLine("logfile", logFile),
	}
}
