package live

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/internal/failpoint"
	"github.com/redisplan/redisplan/internal/interrupt"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/secret"
)

const (
	// maxOutput bounds how much of a command's output an error quotes
	// (its end, where the reason usually is).
	maxOutput = 2048
	// waitDelay is how long a finished service command may keep its
	// output open (through a daemon it started) before it is cut off.
	waitDelay = 2 * time.Second
)

// errLoading reports a server that answers but is still loading its data.
var errLoading = errors.New("the server is still loading its data (loading:1)")

// WaitReady polls the server until it answers PING and INFO persistence
// says loading:0, and returns the run_id it reports. It keeps trying while
// nothing answers or the server is loading, until ctx ends; a refusal that
// waiting cannot fix (wrong password, missing permission) returns at once.
func WaitReady(ctx context.Context, conn model.Connection) (runID string, err error) {
	if _, err := options(conn); err != nil {
		return "", err // a TLS file that waiting will not fix
	}
	ep := endpointFor(conn)
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	var last error
	for {
		id, perr := probeReady(ctx, conn)
		if perr == nil {
			return id, nil
		}
		if ctx.Err() == nil && !worthRetrying(perr) {
			return "", perr
		}
		if ctx.Err() == nil || last == nil {
			last = perr
		}
		select {
		case <-ctx.Done():
			return "", ep.newError(ctx.Err(), "%s was not ready yet when %s; last attempt: %v", ep.addr, interrupt.When(context.Cause(ctx)), last)
		case <-ticker.C:
		}
	}
}

// probeReady asks the server once whether it is ready, on a connection of
// its own: a fresh client keeps go-redis' dial back-off out of the way.
func probeReady(ctx context.Context, conn model.Connection) (string, error) {
	if err := reachable(ctx, conn); err != nil {
		return "", err
	}
	c, err := dialWith(conn, oneShot)
	if err != nil {
		return "", err
	}
	defer c.Close()
	ep := endpointFor(conn)
	if err := c.Ping(ctx).Err(); err != nil {
		return "", ep.explain("PING", err)
	}
	info, err := Info(ctx, c, "server", "persistence")
	if err != nil {
		return "", err
	}
	if info["loading"] != "0" {
		return "", errLoading
	}
	return info["run_id"], nil
}

// worthRetrying reports whether waiting may fix err: nothing answers yet,
// or the server is loading.
func worthRetrying(err error) bool {
	if errors.Is(err, errLoading) {
		return true
	}
	var rerr redis.Error
	if errors.As(err, &rerr) {
		return strings.HasPrefix(rerr.Error(), "LOADING")
	}
	return true
}

// oneShot makes a client that tries each command once on one connection.
func oneShot(o *redis.Options) {
	o.MaxRetries = -1
	o.PoolSize = 1
}

// Restart stops and starts the server of a target and waits until the new
// process is ready, returning its run_id.
//
// The server is stopped with the target's service stop command when it
// has one, and otherwise with SHUTDOWN SAVE (under the name rename-command
// gave SHUTDOWN in the target), so that the data reaches the disk. Restart
// then waits until nothing answers at the address, runs the service start
// command, which is required, and waits for the new process. Commands run
// without a shell; their output is quoted in errors.
func Restart(ctx context.Context, t *model.Target) (runID string, err error) {
	conn := t.Connection
	defer func() {
		if err != nil {
			err = secret.New(t.Secrets()...).Errorf("restart %s: %w", t.Name, err)
		}
	}()
	svc := t.Service
	if svc == nil || len(svc.Start) == 0 {
		return "", fmt.Errorf(`redisplan does not know how to start the server at %s: add service { start = [...] } `+
			`to the target, for example start = ["systemctl", "start", "redis-server"]`, conn.Address)
	}
	shutdownCmd := "SHUTDOWN"
	for _, r := range t.Renames {
		if strings.EqualFold(r.Command, "SHUTDOWN") {
			shutdownCmd = r.NewName
		}
	}
	if len(svc.Stop) == 0 && shutdownCmd == "" {
		return "", fmt.Errorf(`SHUTDOWN is renamed to "" on %s, so redisplan cannot stop the server itself: `+
			`add service { stop = [...] } to the target`, conn.Address)
	}

	oldRunID, err := runIDOf(ctx, conn)
	if err != nil {
		return "", err
	}
	if oldRunID != "" {
		// On disk before the stop: should redisplan die while the server
		// is down, the next run knows that redisplan stopped it, with its
		// data saved, and what it held.
		if err := writeRestartRecord(ctx, t, oldRunID); err != nil {
			return "", err
		}
	}
	// A stop that fails with the server still running leaves nothing to
	// recover: the record goes.
	stopFailed := func(err error) (string, error) {
		if id, _ := runIDOf(ctx, conn); id == oldRunID && id != "" {
			_ = restartJournal(t).Remove()
		}
		return "", err
	}
	if len(svc.Stop) > 0 {
		if err := runService(ctx, "stop", svc.Stop, conn.Password); err != nil {
			return stopFailed(err)
		}
	} else if oldRunID != "" {
		if err := shutdownSave(ctx, conn, shutdownCmd); err != nil {
			return stopFailed(err)
		}
	}
	if err := waitStopped(ctx, conn, oldRunID); err != nil {
		return "", fmt.Errorf("%w; the server was asked to stop, and the start command was not run", err)
	}
	failpoint.Hit(failpoint.RestartServerStopped)
	if err := runService(ctx, "start", svc.Start, conn.Password); err != nil {
		return "", fmt.Errorf("%w; the server was stopped and may not be running now", err)
	}
	runID, err = WaitReady(ctx, conn)
	if err == nil {
		if rerr := restartJournal(t).Remove(); rerr != nil {
			return "", rerr
		}
	}
	if err != nil {
		return "", fmt.Errorf("%w; the server was stopped and its start command ran: it may still be starting "+
			"or loading its data, or have failed to start (its log says which)", err)
	}
	if runID == oldRunID {
		return "", fmt.Errorf("the server at %s still reports run_id %s after the restart: it did not restart; "+
			"check that the service commands control the server at this address", conn.Address, runID)
	}
	return runID, nil
}

// runIDOf returns the run_id of the server at the address, or "" when
// nothing answers there.
func runIDOf(ctx context.Context, conn model.Connection) (string, error) {
	err := reachable(ctx, conn)
	if err != nil && connectionGone(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	c, err := dialWith(conn, oneShot)
	if err != nil {
		return "", err
	}
	defer c.Close()
	info, err := Info(ctx, c, "server")
	switch {
	case err != nil && connectionGone(err):
		return "", nil
	case err != nil:
		return "", err
	}
	return info["run_id"], nil
}

// shutdownSave sends SHUTDOWN SAVE under the given name. The connection
// closing is success; an error reply means the server refused and keeps
// running.
func shutdownSave(ctx context.Context, conn model.Connection, name string) error {
	c, err := dialWith(conn, oneShot)
	if err != nil {
		return err
	}
	defer c.Close()
	err = c.Do(ctx, name, "SAVE").Err()
	var rerr redis.Error
	if !errors.As(err, &rerr) {
		// Closed connection (success), or no answer while the final save
		// runs: waitStopped finds out which.
		return nil
	}
	ep := endpointFor(conn)
	msg := strings.TrimRight(rerr.Error(), ". ")
	if strings.HasPrefix(msg, "NOPERM") || strings.HasPrefix(msg, "NOAUTH") ||
		strings.HasPrefix(msg, "WRONGPASS") || strings.Contains(msg, "unknown command") {
		return ep.explain("SHUTDOWN", err)
	}
	return ep.newError(err, "the server at %s refused SHUTDOWN SAVE and keeps running: %s; its log says why "+
		"(often the final save failed: check the permissions of dir and the free disk space)", ep.addr, msg)
}

// waitStopped polls until nothing answers at the address any more, or a
// different process (another run_id) does.
func waitStopped(ctx context.Context, conn model.Connection, oldRunID string) error {
	ep := endpointFor(conn)
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for {
		runID, err := runIDOf(ctx, conn)
		switch {
		case err == nil && runID == "":
			return nil
		case err == nil && oldRunID != "" && runID != oldRunID:
			return nil
		case err != nil && isRedisError(err) && strings.HasPrefix(errorReply(err), "LOADING"):
			return nil // a new process is loading its data
		}
		select {
		case <-ctx.Done():
			return ep.newError(ctx.Err(), "the server at %s was still running when %s; "+
				"check the service stop command, or the server's log for a slow or failed final save", ep.addr, interrupt.When(context.Cause(ctx)))
		case <-ticker.C:
		}
	}
}

// errorReply returns the text of the server's error reply in err.
func errorReply(err error) string {
	var rerr redis.Error
	if errors.As(err, &rerr) {
		return rerr.Error()
	}
	return ""
}

// runService runs one service command (argv, no shell). A command that
// exits 0 but leaves a daemon holding its output is a success.
func runService(ctx context.Context, what string, argv []string, password string) error {
	out := &tailBuffer{}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.WaitDelay = waitDelay
	err := cmd.Run()
	if err == nil || errors.Is(err, exec.ErrWaitDelay) {
		return nil
	}
	msg := fmt.Sprintf("service %s command %q failed: %v", what, argv, err)
	if o := out.String(); o != "" {
		msg += "; its output:\n" + o
	}
	return &explained{msg: secret.New(password).Redact(msg), err: err}
}

// tailBuffer keeps the last maxOutput bytes written to it.
type tailBuffer struct {
	b       []byte
	dropped bool
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if over := len(t.b) - maxOutput; over > 0 {
		t.b = append(t.b[:0:0], t.b[over:]...)
		t.dropped = true
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	s := strings.TrimRight(string(t.b), "\n")
	if t.dropped {
		s = "[...]" + s
	}
	return s
}

// tail returns the end of a command's output for an error message.
func tail(b []byte) string {
	t := &tailBuffer{}
	_, _ = t.Write(b)
	return t.String()
}
