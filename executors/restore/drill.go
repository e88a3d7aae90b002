package restore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/internal/redisconf"
)

// EnvRedisServer names the redis-server binary Drill runs: a path, or a
// name looked up in PATH. Without it, Drill runs redis-server from PATH.
const EnvRedisServer = "REDISPLAN_REDIS_SERVER"

// startAttempts is how many free ports Drill tries when another process
// takes the one it picked before the scratch server binds it.
const startAttempts = 3

// Drill proves that a backup restores: it writes the backup's files into a
// new temporary directory (its AOF when it has one, else its RDB, with
// appendonly to match), starts a scratch redis-server there on a free
// loopback port, measures the time until the data is loaded, compares the
// keys per database with the manifest, stops the server with SHUTDOWN
// NOSAVE and removes the directory. It never touches a target.
//
// A drill whose keys do not match returns its Result (with After and
// LoadSeconds) and an error.
func Drill(ctx context.Context, src Source, opts Options) (res Result, err error) {
	m := src.Manifest
	if m == nil || src.Open == nil {
		return Result{}, errors.New("drill: the backup source has no manifest or no way to read its files")
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("drill backup %s: %w", m.ID, err)
		}
	}()
	files, err := classify(m.Files)
	if err != nil {
		return Result{}, err
	}
	bin, err := serverBinary()
	if err != nil {
		return Result{}, err
	}
	version, err := binaryVersion(ctx, bin)
	if err != nil {
		return Result{}, err
	}

	dir, err := os.MkdirTemp("", "redisplan-drill-")
	if err != nil {
		return Result{}, fmt.Errorf("create the scratch directory: %w", err)
	}
	// Runs after the server is stopped (deferred later, so earlier).
	defer func() {
		if rerr := os.RemoveAll(dir); rerr != nil {
			opts.emit(progress.Warning, "could not remove the scratch directory %s: %v", dir, rerr)
		} else {
			opts.emit(progress.Step, "removed %s", dir)
		}
	}()

	p := &plan{
		version:        version,
		dir:            dir,
		dbfilename:     "dump.rdb",
		appenddirname:  "appendonlydir",
		appendfilename: "appendonly.aof",
		aofOn:          files.hasAOF(),
	}
	if files.hasAOF() {
		p.appendfilename = strings.TrimSuffix(path.Base(files.aofManifest.Original), ".manifest")
	}
	if err := p.choose(nil, files, nil); err != nil {
		return Result{}, err
	}
	if err := p.checkAOFManifest(ctx, src, files); err != nil {
		return Result{}, err
	}
	if err := p.checkRDBVersion(ctx, src, files); err != nil {
		return Result{}, err
	}
	var placed int64
	for _, pl := range p.placements {
		placed += pl.file.RawSize
	}
	p.need = spaceNeeded(placed, 0, 0)
	if p.free, err = freeSpace(dir); err != nil {
		return Result{}, err
	}
	if err := enoughSpace(dir, p.need, p.free); err != nil {
		return Result{}, err
	}
	for _, pl := range p.placements {
		crc, err := place(ctx, src, pl, opts.Emit.With(progress.Event{Operation: progress.OpDrill, Phase: progress.PhaseStage}))
		if err != nil {
			return Result{}, err
		}
		opts.emit(progress.Step, "wrote %s (%s)", pl.path(), formatBytes(pl.file.RawSize))
		if crc == crcMissing && pl.file.RawSHA256 == "" {
			opts.emit(progress.Warning, "%s", noChecksumWarning(pl.file))
		}
	}

	loadCtx, cancel := context.WithTimeout(ctx, opts.loadTimeout())
	defer cancel()
	s, err := startScratch(loadCtx, bin, p, opts)
	if err != nil {
		return Result{}, err
	}
	defer s.stop(opts)
	res.LoadSeconds = s.loadSeconds
	opts.emit(progress.Step, "the scratch server loaded the backup in %.2fs", res.LoadSeconds)

	c, err := live.Dial(s.conn)
	if err != nil {
		return res, err
	}
	defer c.Close()
	if res.After, err = readStats(ctx, c); err != nil {
		return res, err
	}
	lines, err := compareKeys(m.Keyspace, res.After.Keyspace)
	for _, l := range lines {
		opts.emit(l.kind, "%s", l.text)
	}
	return res, err
}

// scratch is a redis-server that Drill runs.
type scratch struct {
	pid         int
	pgid        bool // it leads its process group
	done        chan struct{}
	conn        model.Connection
	dir         string
	loadSeconds float64
}

// startScratch writes the scratch server's config and starts it on a free
// port, retrying with another port when the one it picked was taken.
func startScratch(ctx context.Context, bin string, p *plan, opts Options) (*scratch, error) {
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s, err := launch(ctx, bin, p, port, opts)
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, errPortTaken) || attempt == startAttempts {
			return nil, err
		}
	}
}

var errPortTaken = errors.New("the port was taken")

// launch runs one scratch server and waits until it has loaded its data.
// A server that does not become ready is killed, and has exited, before
// launch returns.
func launch(ctx context.Context, bin string, p *plan, port int, opts Options) (*scratch, error) {
	dir := p.dir
	conf := filepath.Join(dir, "redis.conf")
	logfile := filepath.Join(dir, "redis.log")
	aof := "no"
	if p.restoreAOF {
		aof = "yes"
	}
	lines := []string{
		"# Scratch server of a redisplan restore drill.",
		redisconf.FormatLine("port", strconv.Itoa(port)),
		redisconf.FormatLine("bind", "127.0.0.1"),
		redisconf.FormatLine("protected-mode", "yes"),
		redisconf.FormatLine("daemonize", "no"),
		redisconf.FormatLine("dir", dir),
		redisconf.FormatLine("logfile", logfile),
		redisconf.FormatLine("dbfilename", p.dbfilename),
		redisconf.FormatLine("appendonly", aof),
		redisconf.FormatLine("appendfilename", p.appendfilename),
		redisconf.FormatLine("appenddirname", p.appenddirname),
		redisconf.FormatLine("save", ""),
	}
	if err := os.WriteFile(conf, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write the scratch server's config: %w", err)
	}
	logf, err := os.OpenFile(logfile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the scratch server's log: %w", err)
	}
	w := newStartWatch("", logfile)
	cmd := exec.Command(bin, conf)
	cmd.Dir = dir
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = sysProcAttr()
	start := time.Now()
	err = cmd.Start()
	logf.Close() // the child has its own copy
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", bin, err)
	}
	s := &scratch{
		pid:  cmd.Process.Pid,
		pgid: cmd.SysProcAttr.Setpgid,
		done: make(chan struct{}),
		conn: model.Connection{Address: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))},
		dir:  dir,
	}
	go func() {
		_ = cmd.Wait()
		close(s.done)
	}()
	w.exited = s.done
	w.pid = s.pid
	opts.emit(progress.Step, "started a scratch %s (pid %d) on %s in %s", filepath.Base(bin), s.pid, s.conn.Address, dir)
	if _, err := waitLoaded(ctx, s.conn, w); err != nil {
		s.kill()
		if strings.Contains(w.logTail(), "Address already in use") {
			return nil, fmt.Errorf("%w: %d", errPortTaken, port)
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("%w; the end of its log:\n%s", err, w.logTail())
		}
		return nil, fmt.Errorf("the scratch server did not load the backup: %w", err)
	}
	s.loadSeconds = time.Since(start).Seconds()
	return s, nil
}

// stop ends the scratch server with SHUTDOWN NOSAVE, or SIGKILL when it
// does not exit in time, and waits until it has exited.
func (s *scratch) stop(opts Options) {
	select {
	case <-s.done:
		s.killGroup()
		return
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), killTimeout)
	defer cancel()
	if err := shutdown(ctx, s.conn, []any{"SHUTDOWN", "NOSAVE"}); err != nil {
		opts.emit(progress.Warning, "the scratch server refused SHUTDOWN NOSAVE (%v): killing it", err)
	}
	select {
	case <-s.done:
		s.killGroup() // a fork child, if any
	case <-ctx.Done():
		s.kill()
	}
	opts.emit(progress.Step, "stopped the scratch server")
}

// kill ends the server and its fork children with SIGKILL and waits until
// it has exited.
func (s *scratch) kill() {
	s.killGroup()
	_ = syscall.Kill(s.pid, syscall.SIGKILL)
	<-s.done
}

func (s *scratch) killGroup() {
	if s.pgid {
		_ = syscall.Kill(-s.pid, syscall.SIGKILL)
	}
}

// serverBinary finds the redis-server binary for drills.
func serverBinary() (string, error) {
	name := "redis-server"
	if v := os.Getenv(EnvRedisServer); v != "" {
		name = v
	}
	bin, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("a drill runs a scratch redis-server, and %q was not found (%v): install redis-server "+
			"or set %s to its path", name, err, EnvRedisServer)
	}
	return bin, nil
}

var versionRE = regexp.MustCompile(`^(\w+) server v=([0-9][0-9A-Za-z.\-]*)`)

// binaryVersion asks a server binary for its release: "7.0.15", or
// "valkey 8.0.1".
func binaryVersion(ctx context.Context, bin string) (string, error) {
	out, err := exec.CommandContext(ctx, bin, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("%s --version: %w", bin, err)
	}
	m := versionRE.FindStringSubmatch(strings.TrimSpace(string(out)))
	if m == nil {
		return "", fmt.Errorf("%s --version printed no version: %q", bin, out)
	}
	if strings.EqualFold(m[1], "valkey") {
		return "valkey " + m[2], nil
	}
	return m[2], nil
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
