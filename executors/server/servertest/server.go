package servertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/redisplan/redisplan/executors/server"
)

const (
	// readyTimeout bounds the wait for a started server to answer.
	readyTimeout = 15 * time.Second
	// stopTimeout bounds the wait for a server to exit after SIGTERM or
	// SHUTDOWN before it is killed.
	stopTimeout = 10 * time.Second
	// logTailLines is how much of the log failure messages quote.
	logTailLines = 40
)

// Options configures a server started by Start.
type Options struct {
	// Config is redis.conf content appended after the lines the harness
	// writes itself:
	//
	//	port N
	//	bind 127.0.0.1
	//	dir DIR
	//	daemonize no
	//	logfile DIR/redis.log
	//	save ""            (only when Config has no save line)
	//
	// Later lines win, but Config must not change port, bind, dir,
	// daemonize or logfile: the harness relies on them.
	Config string

	// ConfigFile, when set, is a config file the test wrote; the server
	// reads it as is and Config is ignored. The command line is
	//
	//	redis-server FILE --port N --bind 127.0.0.1 --dir DIR --logfile DIR/redis.log --daemonize no ARGS...
	//
	// Command-line options override the file, and CONFIG REWRITE writes
	// them into FILE. The file's own save lines apply: without any, Redis'
	// built-in save points do.
	ConfigFile string

	// Args are extra command-line arguments, for example
	// []string{"--appendonly", "yes"}.
	Args []string

	// Password is used by the clients the harness makes (Client, readiness
	// checks, Shutdown) to authenticate. It does not configure the server:
	// set requirepass (or ACL users) in Config or ConfigFile.
	Password string

	// Binary, when set, is the server binary to run (an engine of
	// internal/engines, such as Valkey 8.1's valkey-server) instead of the
	// one Binary returns. REDISPLAN_SKIP_REDIS=1 still skips the test.
	Binary string
}

// Server is a redis-server process started by Start. Its methods may be
// called from several goroutines; lifecycle calls run one at a time.
type Server struct {
	opts     Options
	dir      string
	confPath string
	logPath  string

	mu  sync.Mutex
	srv *server.Server // nil until started
}

// Start runs redis-server on a free loopback port in a new directory under
// t.TempDir(), waits until it answers and has finished loading its data
// (server.Start), and registers a cleanup that kills it (and any fork
// child) when the test ends. A server that does not become ready within
// 15s fails the test with the end of its log.
//
// When t does not stop the test on Skipf or Fatalf, Start returns nil on
// those paths.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	bin := opts.Binary
	if bin == "" || SkipRequested() {
		bin = Binary(t)
	}
	if bin == "" {
		return nil
	}
	dir := filepath.Join(t.TempDir(), "redis")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatalf("servertest: create server directory: %v", err)
		return nil
	}
	s := &Server{
		opts:     opts,
		dir:      dir,
		confPath: filepath.Join(dir, "redis.conf"),
		logPath:  filepath.Join(dir, "redis.log"),
	}
	if opts.ConfigFile != "" {
		abs, err := filepath.Abs(opts.ConfigFile)
		if err != nil {
			t.Fatalf("servertest: config file: %v", err)
			return nil
		}
		s.confPath = abs
	}
	t.Cleanup(s.cleanup)

	s.mu.Lock()
	defer s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	srv, err := server.Start(ctx, server.Spec{
		Bin:      bin,
		Dir:      dir,
		LogFile:  s.logPath,
		Args:     s.args,
		Password: opts.Password,
	})
	if err != nil {
		t.Fatalf("servertest: start %s: %v\n%s", bin, err, s.logTail())
		return nil
	}
	s.srv = srv
	return s
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	port, err := server.FreePort()
	if err != nil {
		t.Fatalf("servertest: %v", err)
		return 0
	}
	return port
}

// Addr returns the server's address, "127.0.0.1:PORT".
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srv.Addr()
}

// Port returns the server's TCP port. It does not change on Restart.
func (s *Server) Port() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srv.Port()
}

// Dir returns the server's working directory (its dir directive), where
// its RDB and AOF files, redis.conf and redis.log live. It is a
// subdirectory of a t.TempDir() of its own.
func (s *Server) Dir() string { return s.dir }

// ConfigPath returns the config file the server reads: Options.ConfigFile
// made absolute, or else the redis.conf the harness wrote in Dir.
func (s *Server) ConfigPath() string { return s.confPath }

// LogPath returns the server's log file; its stdout and stderr go there too.
func (s *Server) LogPath() string { return s.logPath }

// PID returns the process id of the server's latest process. After Stop,
// Kill or Shutdown it is the id of the process that ended.
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srv.PID()
}

// Log returns the content of the server's log file, for failure messages.
func (s *Server) Log() string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return fmt.Sprintf("(cannot read the redis-server log: %v)", err)
	}
	return string(b)
}

// Client returns a go-redis client for the server, authenticated with
// Options.Password when it is set, and closed when the test ends. It keeps
// working across Restart: the pool reconnects.
func (s *Server) Client(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{
		Addr:     s.Addr(),
		Password: s.opts.Password,
		// Redis 7.0 has no CLIENT SETINFO, and a local test server has
		// no maintenance events to announce.
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Stop ends the server with SIGTERM, Redis' ordinary shutdown: it saves an
// RDB only when save points are configured (the harness writes save "" unless
// the test sets some) and flushes the AOF when appendonly is on. A server
// still running 10s later (Redis 7 stays up when that final save fails, for
// example because its dir is gone) is killed with SIGKILL, and the test log
// says so. Stop is idempotent.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	forced, err := s.srv.Terminate(stopTimeout)
	if err != nil {
		t.Fatalf("servertest: stop redis-server: %v\n%s", err, s.logTail())
		return
	}
	if forced {
		t.Logf("servertest: redis-server (pid %d) was still running %s after SIGTERM and was killed with SIGKILL\n%s",
			s.srv.PID(), stopTimeout, s.logTail())
	}
}

// Kill ends the server and any fork child at once with SIGKILL: nothing is
// saved or flushed. Kill is idempotent.
func (s *Server) Kill(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.srv.Kill(); err != nil {
		t.Fatalf("servertest: kill redis-server: %v", err)
	}
}

// Shutdown sends SHUTDOWN SAVE (save true) or SHUTDOWN NOSAVE over a new
// connection and waits for the process to exit. A reply from the server
// means it refused, and fails the test; the connection closing is success.
// A server still running 10s later is killed and fails the test.
func (s *Server) Shutdown(t testing.TB, save bool) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	if err := s.srv.Shutdown(ctx, save); err != nil {
		t.Fatalf("servertest: %v\n%s", err, s.logTail())
	}
}

// Restart stops the server as Stop does (SIGTERM, so save points and the
// AOF decide what reaches the disk) and starts it again with the same
// command line: same port, config file and dir. It also starts a server
// that Stop, Kill or Shutdown ended, for example after the test replaced
// its data files. It waits until the server is ready; a server that had to
// be killed, or that does not come back, fails the test.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	forced, err := s.srv.Terminate(stopTimeout)
	if err != nil {
		t.Fatalf("servertest: restart: stop redis-server: %v\n%s", err, s.logTail())
		return
	}
	if forced {
		t.Fatalf("servertest: restart: redis-server (pid %d) was still running %s after SIGTERM and was killed; its data may not have reached the disk\n%s",
			s.srv.PID(), stopTimeout, s.logTail())
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	if err := s.srv.Restart(ctx); err != nil {
		t.Fatalf("servertest: restart redis-server on %s: %v\n%s", s.srv.Addr(), err, s.logTail())
	}
}

// cleanup kills the server when the test ends, passed or failed.
func (s *Server) cleanup() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		// Nothing to report to: the test is over. Kill waits for the
		// exit, so the TempDir removal that follows finds no writer.
		_ = s.srv.Kill()
	}
}

// args is the command line for a port, writing redis.conf unless the test
// brought its own file.
func (s *Server) args(port int) ([]string, error) {
	if s.opts.ConfigFile != "" {
		return append([]string{
			s.confPath,
			"--port", strconv.Itoa(port),
			"--bind", "127.0.0.1",
			"--dir", s.dir,
			"--logfile", s.logPath,
			"--daemonize", "no",
		}, s.opts.Args...), nil
	}
	if err := os.WriteFile(s.confPath, []byte(s.configText(port)), 0o600); err != nil {
		return nil, fmt.Errorf("write redis.conf: %w", err)
	}
	return append([]string{s.confPath}, s.opts.Args...), nil
}

// configText is the redis.conf the harness writes.
func (s *Server) configText(port int) string {
	var b strings.Builder
	b.WriteString("# One test server's config, written by servertest.\n")
	fmt.Fprintf(&b, "port %d\n", port)
	b.WriteString("bind 127.0.0.1\n")
	fmt.Fprintf(&b, "dir %s\n", confQuote(s.dir))
	b.WriteString("daemonize no\n")
	fmt.Fprintf(&b, "logfile %s\n", confQuote(s.logPath))
	if !setsSave(s.opts.Config) {
		b.WriteString("save \"\"\n")
	}
	if s.opts.Config != "" {
		b.WriteString("\n# Options.Config\n")
		b.WriteString(s.opts.Config)
		if !strings.HasSuffix(s.opts.Config, "\n") {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// setsSave reports whether config has a save directive.
func setsSave(config string) bool {
	for line := range strings.Lines(config) {
		f := strings.Fields(line)
		if len(f) > 0 && strings.EqualFold(f[0], "save") {
			return true
		}
	}
	return false
}

// confQuote quotes s as a redis.conf argument.
func confQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}

// logTail returns the end of the server's log, ready to append to a
// failure message.
func (s *Server) logTail() string {
	return "--- end of " + s.logPath + " ---\n" + server.LastLines(s.Log(), logTailLines)
}
