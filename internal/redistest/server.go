package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

const (
	// readyTimeout bounds the wait for a started server to answer.
	readyTimeout = 15 * time.Second
	// stopTimeout bounds the wait for a server to exit after SIGTERM or
	// SHUTDOWN before it is killed.
	stopTimeout = 10 * time.Second
	// startAttempts is how many ports Start tries when the one it picked
	// was taken before redis-server could bind it.
	startAttempts = 3
	// logTailLines is how much of the log failure messages quote.
	logTailLines = 40
)

// errAddrInUse reports that redis-server could not bind its port.
var errAddrInUse = errors.New("address already in use")

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
	bin      string
	opts     Options
	dir      string
	confPath string
	logPath  string

	mu   sync.Mutex
	port int
	argv []string // arguments after the binary; fixed once started
	proc *process // the last process started; kept after it exits
}

// process is one run of redis-server. err is set before done is closed.
type process struct {
	pid  int
	done chan struct{}
	err  error
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Start runs redis-server on a free loopback port in a new directory under
// t.TempDir(), waits until it answers PING and has finished loading its
// data, and registers a cleanup that kills it (and any fork child) when the
// test ends. A server that does not become ready within 15s fails the test
// with the end of its log.
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
		t.Fatalf("redistest: create server directory: %v", err)
		return nil
	}
	s := &Server{
		bin:      bin,
		opts:     opts,
		dir:      dir,
		confPath: filepath.Join(dir, "redis.conf"),
		logPath:  filepath.Join(dir, "redis.log"),
	}
	if opts.ConfigFile != "" {
		abs, err := filepath.Abs(opts.ConfigFile)
		if err != nil {
			t.Fatalf("redistest: config file: %v", err)
			return nil
		}
		s.confPath = abs
	}
	// Registered before the first process exists, so that a failure at any
	// later point still kills it.
	t.Cleanup(s.cleanup)

	s.mu.Lock()
	defer s.mu.Unlock()
	for attempt := 1; ; attempt++ {
		port := FreePort(t)
		if port == 0 {
			return nil
		}
		if err := s.configure(port); err != nil {
			t.Fatalf("redistest: %v", err)
			return nil
		}
		err := s.launch()
		if err == nil {
			return s
		}
		if errors.Is(err, errAddrInUse) && attempt < startAttempts {
			t.Logf("redistest: port %d was taken before redis-server could bind it; trying another port", port)
			continue
		}
		t.Fatalf("redistest: start %s: %v\n%s", bin, err, s.logTail())
		return nil
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("redistest: find a free loopback port: %v", err)
		return 0
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		t.Fatalf("redistest: find a free loopback port: %v", err)
		return 0
	}
	return port
}

// Addr returns the server's address, "127.0.0.1:PORT".
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr()
}

// addr returns the server's address. Called with s.mu held.
func (s *Server) addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
}

// Port returns the server's TCP port. It does not change on Restart.
func (s *Server) Port() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.port
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
	if s.proc == nil {
		return 0
	}
	return s.proc.pid
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
	c := s.newClient(s.Addr(), nil)
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
	forced, err := s.stop()
	if err != nil {
		t.Fatalf("redistest: stop redis-server: %v\n%s", err, s.logTail())
		return
	}
	if forced {
		t.Logf("redistest: redis-server (pid %d) was still running %s after SIGTERM and was killed with SIGKILL\n%s",
			s.proc.pid, stopTimeout, s.logTail())
	}
}

// Kill ends the server and any fork child at once with SIGKILL: nothing is
// saved or flushed. Kill is idempotent.
func (s *Server) Kill(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return
	}
	if err := killProcess(s.proc); err != nil {
		t.Fatalf("redistest: kill redis-server: %v", err)
	}
}

// Shutdown sends SHUTDOWN SAVE (save true) or SHUTDOWN NOSAVE over a new
// connection and waits for the process to exit. A reply from the server
// means it refused, and fails the test; the connection closing is success.
func (s *Server) Shutdown(t testing.TB, save bool) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.proc
	if p == nil || p.exited() {
		t.Fatalf("redistest: shutdown: redis-server is not running")
		return
	}
	mode := "NOSAVE"
	if save {
		mode = "SAVE"
	}
	c := s.newClient(s.addr(), func(o *redis.Options) { o.MaxRetries = -1 })
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	var err error
	if save {
		err = c.ShutdownSave(ctx).Err()
	} else {
		err = c.ShutdownNoSave(ctx).Err()
	}
	var rerr redis.Error
	if errors.As(err, &rerr) {
		t.Fatalf("redistest: SHUTDOWN %s refused: %v\n%s", mode, err, s.logTail())
		return
	}
	select {
	case <-p.done:
		killGroup(p.pid) // a fork child, if any
	case <-time.After(stopTimeout):
		kerr := killProcess(p)
		t.Fatalf("redistest: redis-server (pid %d) was still running %s after SHUTDOWN %s (reply: %v); killed it (%v)\n%s",
			p.pid, stopTimeout, mode, err, kerr, s.logTail())
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
	forced, err := s.stop()
	if err != nil {
		t.Fatalf("redistest: restart: stop redis-server: %v\n%s", err, s.logTail())
		return
	}
	if forced {
		t.Fatalf("redistest: restart: redis-server (pid %d) was still running %s after SIGTERM and was killed; its data may not have reached the disk\n%s",
			s.proc.pid, stopTimeout, s.logTail())
		return
	}
	if err := s.launch(); err != nil {
		t.Fatalf("redistest: restart redis-server on %s: %v\n%s", s.addr(), err, s.logTail())
	}
}

// cleanup kills the server when the test ends, passed or failed.
func (s *Server) cleanup() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		// Nothing to report to: the test is over. killProcess waits for
		// the exit, so the TempDir removal that follows finds no writer.
		_ = killProcess(s.proc)
	}
}

// configure fixes the port and the command line, writing redis.conf
// unless the test brought its own file. Called with s.mu held.
func (s *Server) configure(port int) error {
	s.port = port
	if s.opts.ConfigFile != "" {
		s.argv = append([]string{
			s.confPath,
			"--port", strconv.Itoa(port),
			"--bind", "127.0.0.1",
			"--dir", s.dir,
			"--logfile", s.logPath,
			"--daemonize", "no",
		}, s.opts.Args...)
		return nil
	}
	if err := os.WriteFile(s.confPath, []byte(s.configText(port)), 0o600); err != nil {
		return fmt.Errorf("write redis.conf: %w", err)
	}
	s.argv = append([]string{s.confPath}, s.opts.Args...)
	return nil
}

// configText is the redis.conf the harness writes.
func (s *Server) configText(port int) string {
	var b strings.Builder
	b.WriteString("# One test server's config, written by redistest.\n")
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

// launch starts a process with s.argv and waits until it is ready. A
// process that does not become ready is killed before launch returns.
// Called with s.mu held.
func (s *Server) launch() error {
	offset := fileSize(s.logPath)
	logf, err := os.OpenFile(s.logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	cmd := exec.Command(s.bin, s.argv...)
	cmd.Dir = s.dir
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = sysProcAttr()
	err = cmd.Start()
	logf.Close() // the child has its own copy
	if err != nil {
		return fmt.Errorf("run %s: %w", s.bin, err)
	}
	p := &process{pid: cmd.Process.Pid, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	s.proc = p
	if err := s.waitReady(p, offset); err != nil {
		_ = killProcess(p)
		return err
	}
	return nil
}

// waitReady polls the server until it answers and has loaded its data,
// it exits, or readyTimeout passes.
func (s *Server) waitReady(p *process, logOffset int64) error {
	addr := s.addr()
	deadline := time.Now().Add(readyTimeout)
	var why error
	for {
		if p.exited() {
			return s.exitError(p, addr, logOffset)
		}
		ready, err := s.probe(addr, p)
		if ready {
			return nil
		}
		why = err
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server (pid %d) was not ready on %s after %s: %v", p.pid, addr, readyTimeout, why)
		}
		select {
		case <-p.done:
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// probe asks the server at addr once whether it is ready. A fresh client
// each time keeps go-redis' dial back-off out of the way.
func (s *Server) probe(addr string, p *process) (bool, error) {
	c := s.newClient(addr, func(o *redis.Options) {
		o.MaxRetries = -1
		o.PoolSize = 1
		o.DialTimeout = time.Second
		o.ReadTimeout = 2 * time.Second
		o.WriteTimeout = 2 * time.Second
	})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	// Something else on the port may accept the connection and never
	// answer: give up as soon as our process exits. Closing the client
	// interrupts a read that the context alone does not.
	go func() {
		select {
		case <-p.done:
			_ = c.Close()
		case <-ctx.Done():
		}
	}()

	// INFO answers while the data loads, and names the process that owns
	// the port: another test's server may have taken it first.
	info, err := c.Info(ctx).Result()
	switch {
	case err == nil:
		if got := infoField(info, "process_id"); got != "" && got != strconv.Itoa(p.pid) {
			return false, fmt.Errorf("the port is answered by process %s, not %d", got, p.pid)
		}
		if infoField(info, "loading") == "1" {
			return false, errors.New("still loading its data")
		}
	case redis.IsLoadingError(err):
		return false, err
	case !isRedisError(err):
		return false, err
	}
	// A Redis error reply other than LOADING (NOAUTH with requirepass and
	// no Password, a renamed INFO) still means the server answers.
	err = c.Ping(ctx).Err()
	if err == nil || (isRedisError(err) && !redis.IsLoadingError(err)) {
		return true, nil
	}
	return false, err
}

func isRedisError(err error) bool {
	var rerr redis.Error
	return errors.As(err, &rerr)
}

// infoField returns the value of key in an INFO reply.
func infoField(info, key string) string {
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), key+":"); ok {
			return v
		}
	}
	return ""
}

// exitError explains why a process exited before it was ready.
func (s *Server) exitError(p *process, addr string, logOffset int64) error {
	status := "exit status 0"
	if p.err != nil {
		status = p.err.Error()
	}
	if strings.Contains(readFrom(s.logPath, logOffset), "Address already in use") {
		return fmt.Errorf("%w: redis-server could not listen on %s (%s)", errAddrInUse, addr, status)
	}
	return fmt.Errorf("redis-server exited before it was ready (%s)", status)
}

// stop ends the current process with SIGTERM, falling back to SIGKILL
// after stopTimeout; forced reports the fallback. Called with s.mu held.
func (s *Server) stop() (forced bool, err error) {
	p := s.proc
	if p == nil {
		return false, nil
	}
	if p.exited() {
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
	case <-time.After(stopTimeout):
		return true, killProcess(p)
	}
}

// killProcess kills the process and its process group with SIGKILL and
// waits until it has been reaped.
func killProcess(p *process) error {
	killGroup(p.pid)
	select {
	case <-p.done:
		return nil
	case <-time.After(stopTimeout):
		return fmt.Errorf("pid %d still running %s after SIGKILL", p.pid, stopTimeout)
	}
}

// killGroup sends SIGKILL to the process group the server leads, which
// also holds its fork children (BGSAVE, BGREWRITEAOF).
func killGroup(pid int) {
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}

// newClient returns a client for the server at addr; edit, when not nil,
// adjusts the options.
func (s *Server) newClient(addr string, edit func(*redis.Options)) *redis.Client {
	o := &redis.Options{
		Addr:     addr,
		Password: s.opts.Password,
		// Redis 7.0 has no CLIENT SETINFO, and a local test server has
		// no maintenance events to announce.
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	}
	if edit != nil {
		edit(o)
	}
	return redis.NewClient(o)
}

// logTail returns the end of the server's log, ready to append to a
// failure message.
func (s *Server) logTail() string {
	lines := strings.Split(strings.TrimRight(s.Log(), "\n"), "\n")
	if len(lines) > logTailLines {
		lines = lines[len(lines)-logTailLines:]
	}
	return "--- end of " + s.logPath + " ---\n" + strings.Join(lines, "\n")
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// readFrom returns the content of path from offset on.
func readFrom(path string, offset int64) string {
	b, err := os.ReadFile(path)
	if err != nil || offset > int64(len(b)) {
		return ""
	}
	return string(b[offset:])
}
