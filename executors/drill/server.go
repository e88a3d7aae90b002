package drill

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
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/interrupt"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/redisinfo"
)

const (
	// readyTimeout bounds the wait for a scratch server to answer and
	// load its files.
	readyTimeout = 2 * time.Minute
	// pollInterval is how often the wait asks again.
	pollInterval = 20 * time.Millisecond
	// killTimeout bounds the wait for a killed process to be reaped.
	killTimeout = 10 * time.Second
	// startAttempts is how many free ports a start tries when another
	// process takes the one it picked before the server binds it.
	startAttempts = 3
	// logLines is how much of a server's log an error quotes.
	logLines = 15
)

var errPortTaken = errors.New("the port was taken")

// scratch is the redis-server of one RPO run: a data directory and the
// process that currently serves it, if any.
type scratch struct {
	bin     string
	target  *model.Target
	cat     *catalog.Catalog
	dir     string
	conf    string
	logfile string

	proc *process
	addr string
}

// process is one run of redis-server; done is closed once it was reaped.
type process struct {
	pid  int
	done chan struct{}
	err  error // set before done is closed
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func newScratch(bin string, t *model.Target, cat *catalog.Catalog, dir string) *scratch {
	return &scratch{
		bin: bin, target: t, cat: cat, dir: dir,
		conf:    filepath.Join(dir, "redis.conf"),
		logfile: filepath.Join(dir, "redis.log"),
	}
}

// start runs the server on a free port, from whatever files its directory
// holds, and waits until it has loaded them. A port taken by another
// process before the server could bind it costs another port.
func (s *scratch) start(ctx context.Context) error {
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		err = s.launch(ctx, port)
		if err == nil {
			return nil
		}
		if !errors.Is(err, errPortTaken) || attempt == startAttempts {
			return err
		}
	}
}

// launch writes the config for port, starts the process and waits until it
// is ready. A process that does not become ready is killed, and reaped,
// before launch returns.
func (s *scratch) launch(ctx context.Context, port int) error {
	if err := os.WriteFile(s.conf, scratchConfig(s.target, s.cat, port, s.dir, s.logfile), 0o600); err != nil {
		return fmt.Errorf("write the scratch server's config: %w", err)
	}
	offset := fileSize(s.logfile)
	logf, err := os.OpenFile(s.logfile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open the scratch server's log: %w", err)
	}
	cmd := exec.Command(s.bin, s.conf)
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
	s.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))

	wctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if err := waitLoaded(wctx, p, s.addr); err != nil {
		s.kill()
		tail := readFrom(s.logfile, offset)
		if strings.Contains(tail, "Address already in use") {
			return fmt.Errorf("%w: %d", errPortTaken, port)
		}
		return fmt.Errorf("the scratch redis-server did not become ready: %w%s", err, quoteLog(tail))
	}
	return nil
}

// kill ends the server and its fork children (BGSAVE, BGREWRITEAOF) at
// once with SIGKILL, the way a crash ends it: nothing is saved or flushed.
// It waits until the process was reaped. Killing a server that already
// exited, or none, does nothing.
func (s *scratch) kill() {
	p := s.proc
	if p == nil {
		return
	}
	killGroup(p.pid)
	_ = syscall.Kill(p.pid, syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(killTimeout):
	}
	killGroup(p.pid) // a fork child that outlived its parent's signal
}

// logTail returns the end of the server's log for an error message.
func (s *scratch) logTail() string {
	return quoteLog(readFrom(s.logfile, 0))
}

// waitLoaded polls the server at addr until it answers INFO with
// loading:0 as process p, p exits, or ctx ends.
func waitLoaded(ctx context.Context, p *process, addr string) error {
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	var last error
	for {
		if p.exited() {
			status := "exit status 0"
			if p.err != nil {
				status = p.err.Error()
			}
			return fmt.Errorf("it exited (%s)", status)
		}
		err := probe(ctx, p, addr)
		if err == nil {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("it was not ready on %s when %s; last: %v: %w", addr, interrupt.When(context.Cause(ctx)), last, ctx.Err())
		case <-p.done:
		case <-ticker.C:
		}
	}
}

// probe asks the server once, on a connection of its own that is never
// retried, whether it is process p and has loaded its data. It dials the
// address itself first, so that a server not listening yet costs no
// go-redis dial (whose pool logs each failure).
func probe(ctx context.Context, p *process, addr string) error {
	var d net.Dialer
	dctx, cancel := context.WithTimeout(ctx, time.Second)
	nc, err := d.DialContext(dctx, "tcp", addr)
	cancel()
	if err != nil {
		return err
	}
	nc.Close()
	c := newClient(addr, func(o *redis.Options) {
		o.PoolSize = 1
		o.DialTimeout = time.Second
		o.ReadTimeout = 2 * time.Second
		o.WriteTimeout = 2 * time.Second
	})
	defer c.Close()
	ctx, cancel = context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	text, err := c.Info(ctx, "server", "persistence").Result()
	if err != nil {
		return err
	}
	info := redisinfo.Parse(text)
	if pid := info["process_id"]; pid != strconv.Itoa(p.pid) {
		return fmt.Errorf("the port is answered by process %s, not %d", pid, p.pid)
	}
	if info["loading"] != "0" {
		return errors.New("still loading its data (loading:1)")
	}
	return nil
}

// newClient returns a client for a scratch server that tries every command
// once: after a kill, a retry could only fail again, and a resent write
// would blur what was acknowledged.
func newClient(addr string, edit func(*redis.Options)) *redis.Client {
	o := &redis.Options{
		Addr:                  addr,
		Protocol:              2,
		DisableIdentity:       true,
		ContextTimeoutEnabled: true,
		MaxRetries:            -1,
		DialerRetries:         1,
		MaintNotificationsConfig: &maintnotifications.Config{
			Mode: maintnotifications.ModeDisabled,
		},
	}
	if edit != nil {
		edit(o)
	}
	return redis.NewClient(o)
}

// killGroup sends SIGKILL to the process group the server leads.
func killGroup(pid int) {
	if pid > 0 {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free loopback port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("find a free loopback port: %w", err)
	}
	return port, nil
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

// quoteLog formats the last lines of a log for an error message; "" when
// there is nothing to quote.
func quoteLog(text string) string {
	text = strings.TrimRight(text, "\n")
	if text == "" {
		return ""
	}
	lines := strings.Split(text, "\n")
	if len(lines) > logLines {
		lines = lines[len(lines)-logLines:]
	}
	return "; the end of its log:\n" + strings.Join(lines, "\n")
}
