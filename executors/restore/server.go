package restore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/executors/server"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/redisinfo"
	"github.com/redisplan/redisplan/internal/secret"
)

const (
	// pollInterval is how often a wait asks again.
	pollInterval = 50 * time.Millisecond
	// probeTimeout bounds one question to the server.
	probeTimeout = 5 * time.Second
	// killTimeout bounds the wait for a scratch server to stop.
	killTimeout = server.KillTimeout
	// maxOutput bounds how much of a log an error quotes (its end, where
	// the reason usually is).
	maxOutput = 2048
	// logLines is how many lines of the server's log an error quotes.
	logLines = 12
)

// readStats reads INFO keyspace and memory.
func readStats(ctx context.Context, c *redis.Client) (Stats, error) {
	info, err := live.Info(ctx, c, "keyspace", "memory")
	if err != nil {
		return Stats{}, err
	}
	s := Stats{Keyspace: redisinfo.Keyspace(info)}
	s.UsedMemory, _ = strconv.ParseInt(info["used_memory"], 10, 64)
	return s, nil
}

// stopServer stops the server so that it cannot write its files any more,
// and waits until nothing answers at its address.
//
// It uses the service stop command when the target has one: a service
// manager restarts a server that exits on its own (Debian's unit has
// Restart=always), which would then load, and later save over, the files
// being swapped. Without one it sends SHUTDOWN NOSAVE (under its name on
// this server). A SIGTERM from the stop command may make the server save
// first: that is the current data, before anything is moved.
//
// force is for rollbacks, which must stop whatever runs: when a way fails
// it tries the next one, SHUTDOWN NOSAVE NOW FORCE (no wait for replicas,
// no refusal while the first AOF rewrite runs) and then SIGKILL of the
// process w watched start, which also ends a hung process that no longer
// listens.
func stopServer(ctx context.Context, t *model.Target, p *plan, force bool, w *startWatch) (how string, err error) {
	conn := t.Connection
	network, addr := server.Address(conn)
	if gone, _ := server.NotAnswering(ctx, network, addr); gone {
		if force {
			if err := killWatched(w); err != nil {
				return "", err
			}
		}
		return "it was not running", nil
	}

	type way struct {
		name string
		do   func(context.Context) error
	}
	var ways []way
	if t.Service != nil && len(t.Service.Stop) > 0 {
		ways = append(ways, way{"the service stop command", func(ctx context.Context) error {
			return secret.New(conn.Password).Wrap(server.RunCommand(ctx, "stop", t.Service.Stop))
		}})
	}
	if p.shutdown != "" {
		args, name := []any{p.shutdown, "NOSAVE"}, "SHUTDOWN NOSAVE"
		if force && forceSupported(p.version) {
			args, name = append(args, "NOW", "FORCE"), name+" NOW FORCE"
		}
		ways = append(ways, way{name, func(ctx context.Context) error { return shutdown(ctx, conn, args) }})
	}
	if !force {
		ways = ways[:min(1, len(ways))]
	} else {
		ways = append(ways, way{"SIGKILL", func(context.Context) error {
			if w.knownPID() <= 0 {
				return errors.New("the process id of the server redisplan started is unknown")
			}
			return killWatched(w)
		}})
	}
	if len(ways) == 0 {
		return "", errors.New("no way to stop the server: SHUTDOWN is disabled and the target has no service stop command")
	}

	var failures []string
	for i, wy := range ways {
		wctx, cancel := ctx, context.CancelFunc(func() {})
		if force && i < len(ways)-1 {
			wctx, cancel = context.WithTimeout(ctx, stopTimeout/4)
		}
		err := wy.do(wctx)
		if err == nil {
			err = server.WaitGone(wctx, conn.Address, network, addr)
		}
		cancel()
		if err == nil {
			if force {
				if err := killWatched(w); err != nil {
					return "", err
				}
			}
			return wy.name, nil
		}
		failures = append(failures, fmt.Sprintf("%s: %v", wy.name, err))
	}
	return "", errors.New(strings.Join(failures, "; "))
}

// forceSupported reports whether SHUTDOWN takes NOW and FORCE (Redis 7).
func forceSupported(version string) bool {
	v := strings.TrimPrefix(version, "valkey ")
	major, _ := strconv.Atoi(strings.SplitN(v, ".", 2)[0])
	return major >= 7
}

// shutdown sends SHUTDOWN on a connection of its own, which is never
// retried: a retry could stop a server that a service manager restarted.
// The connection closing is success; an error reply means the server
// refused and keeps running.
func shutdown(ctx context.Context, conn model.Connection, args []any) error {
	c, err := live.Dial(conn)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := server.Shutdown(ctx, c, args...); err != nil {
		return fmt.Errorf("the server at %s refused SHUTDOWN and keeps running: %s; its log says why", conn.Address, strings.TrimSpace(err.Error()))
	}
	return nil
}

// startWatch follows a server being started, to tell when it died: it
// learns the process id from INFO while the server answers, from a
// pidfile that changed since the start.
type startWatch struct {
	pidfile    string
	pidfileWas string
	logfile    string
	logOffset  int64
	pid        int
}

// newStartWatch notes the pidfile's content and the log's size before a
// start.
func newStartWatch(pidfile, logfile string) *startWatch {
	w := &startWatch{pidfile: pidfile, logfile: logfile}
	if pidfile != "" {
		b, _ := os.ReadFile(pidfile)
		w.pidfileWas = string(b)
	}
	if logfile != "" {
		if st, err := os.Stat(logfile); err == nil {
			w.logOffset = st.Size()
		}
	}
	return w
}

// knownPID returns the started server's process id, or 0.
func (w *startWatch) knownPID() int {
	if w == nil {
		return 0
	}
	if w.pid > 0 {
		return w.pid
	}
	if w.pidfile == "" {
		return 0
	}
	b, err := os.ReadFile(w.pidfile)
	if err != nil || string(b) == w.pidfileWas {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// dead reports whether the started server is known to have exited.
func (w *startWatch) dead() bool {
	pid := w.knownPID()
	return pid > 0 && !server.ProcessAlive(pid)
}

// logTail returns the end of what the server logged since the start.
func (w *startWatch) logTail() string {
	if w.logfile == "" {
		return ""
	}
	f, err := os.Open(w.logfile)
	if err != nil {
		return ""
	}
	defer f.Close()
	if _, err := f.Seek(w.logOffset, 0); err != nil {
		return ""
	}
	b := make([]byte, 64<<10)
	n, _ := f.Read(b)
	lines := strings.Split(strings.TrimRight(string(b[:n]), "\n"), "\n")
	if len(lines) > logLines {
		lines = lines[len(lines)-logLines:]
	}
	s := strings.Join(lines, "\n")
	if len(s) > maxOutput {
		s = "[...]" + s[len(s)-maxOutput:]
	}
	return strings.TrimSpace(s)
}

// exitedError explains a server that died while starting.
func (w *startWatch) exitedError() error {
	msg := "the server exited while starting or loading its data"
	if pid := w.knownPID(); pid > 0 {
		msg = fmt.Sprintf("the server (pid %d) exited while starting or loading its data", pid)
	}
	if tail := w.logTail(); tail != "" {
		msg += "; the end of its log " + w.logfile + ":\n" + tail
	} else if w.logfile != "" {
		msg += "; its log " + w.logfile + " says why"
	}
	return errors.New(msg)
}

// killWatched kills the watched server's process (and its fork children)
// when it still runs and is a Redis or Valkey server.
func killWatched(w *startWatch) error {
	return server.KillPID(w.knownPID())
}

// waitLoaded polls the server until it answers and INFO persistence says
// loading:0, and returns INFO server and persistence. It fails at once
// when the server is known to have exited or refuses the connection's
// credentials, and otherwise when ctx ends. It notes the process id the
// server reports in w.
func waitLoaded(ctx context.Context, conn model.Connection, w *startWatch) (map[string]string, error) {
	c, err := live.Dial(conn)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return server.WaitLoaded(ctx, c, server.Waiting{
		Name: conn.Address,
		Exited: func() error {
			if w.dead() {
				return w.exitedError()
			}
			return nil
		},
		Answered: func(info map[string]string) {
			if pid, _ := strconv.Atoi(info["process_id"]); pid > 0 {
				w.pid = pid
			}
		},
	})
}

func replyText(err error) string {
	var rerr redis.Error
	if errors.As(err, &rerr) {
		return strings.TrimSpace(rerr.Error())
	}
	return ""
}
