package check

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/backup/capture"
	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/executors/lock"
	"github.com/redisplan/redisplan/executors/replicas"
	"github.com/redisplan/redisplan/executors/restore"
	"github.com/redisplan/redisplan/executors/server"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/secret"
)

const (
	// defaultTimeout bounds each network call when the target sets no
	// timeout.
	defaultTimeout = 5 * time.Second
	// serviceTimeout bounds the service status command.
	serviceTimeout = 30 * time.Second
	// maxServiceOutput bounds how much of the status command's output a
	// message quotes (its end, where the reason usually is).
	maxServiceOutput = 512
)

// Gather reads what Evaluate needs about a target: its server (INFO,
// CONFIG GET of ConfigNames through the target's CONFIG name, LATENCY
// LATEST, SLOWLOG LEN), its service status command when it has one, and,
// when it has a backup block, its backup catalog through backups. prev is
// the previous run's sample, now the time of this run.
//
// Gather never fails: what it cannot read is recorded in the Input (LiveErr
// when the server cannot be read at all, ConfigErr, LatencyErr,
// SlowlogErr, ServiceErr, BackupsErr) for Evaluate to judge. Every network
// call is bounded by the target's connection timeout (5s when unset).
func Gather(ctx context.Context, t *model.Target, backups func(context.Context) ([]*backup.Manifest, error), prev *Sample, now time.Time) Input {
	in := Input{Target: t, Now: now, Previous: prev}
	// Results quote these errors, and results go into output and alerts.
	secrets := secret.New(t.Secrets()...)
	if t.Service != nil && len(t.Service.Status) > 0 {
		err := secrets.Wrap(serviceStatus(ctx, t.Service.Status))
		in.ServiceErr = &err
	}
	if t.Backup != nil {
		if backups == nil {
			in.BackupsErr = errors.New("no backup catalog was given to read")
		} else {
			in.Backups, in.BackupsErr = backups(ctx)
		}
	}
	gatherLive(ctx, t, &in)
	readRewriteHold(t, &in)
	readRestoreHold(t, &in)
	for _, err := range []*error{&in.LiveErr, &in.ConfigErr, &in.BackupsErr, &in.LatencyErr, &in.SlowlogErr} {
		*err = secrets.Wrap(*err)
	}
	for i := range in.Replicas {
		in.Replicas[i].Err = secrets.Wrap(in.Replicas[i].Err)
	}
	return in
}

// readRewriteHold reads the record a backup run of the target keeps
// beside its lock while it holds automatic AOF rewrites off.
func readRewriteHold(t *model.Target, in *Input) {
	data, err := lock.JournalAt(lock.PathFor(t.ConfigFile, t.Name, t.Connection.Address), capture.JournalName).Read()
	if err != nil || data == nil {
		return
	}
	if h, err := capture.ParseRewriteHold(data); err == nil {
		in.RewriteHold, in.RewriteHolding = &h, h.Holding()
	}
}

// readRestoreHold reads what an interrupted restore may have left: the
// min-replicas-to-write hold in the config file, and its record.
func readRestoreHold(t *model.Target, in *Input) {
	if t.ConfigFile != "" {
		if content, err := os.ReadFile(t.ConfigFile); err == nil {
			in.ConfigFileHold = restore.FileHolds(content)
		}
	}
	if r, err := restore.ReadRecord(t); err == nil && r != nil {
		in.RestoreRecord, in.RestoreRecordPath, in.RestoreRunning = r, restore.RecordPath(t), r.Running()
	}
	if r, err := live.ReadRestartRecord(t); err == nil && r != nil {
		in.RestartRecord = r
	}
}

// gatherLive reads the server into in.
func gatherLive(ctx context.Context, t *model.Target, in *Input) {
	conn := t.Connection
	timeout := conn.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	bounded := func(f func(ctx context.Context) error) error {
		cctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		return f(cctx)
	}
	// A plain connection attempt first: go-redis logs every failed dial to
	// stderr, and a server that is down is an ordinary finding here.
	if err := bounded(func(ctx context.Context) error { return probe(ctx, conn) }); err != nil {
		in.LiveErr = err
		return
	}
	c, err := live.Dial(conn)
	if err != nil {
		in.LiveErr = err
		return
	}
	defer c.Close()

	// INFO without a section: the default sections, on every version.
	err = bounded(func(ctx context.Context) (err error) {
		in.Info, err = live.Info(ctx, c)
		return err
	})
	if err != nil {
		in.LiveErr = err
		return
	}
	in.ConfigErr = bounded(func(ctx context.Context) error {
		// A server in the middle of a CONFIG rotation answers under the
		// name in its config file until it restarts.
		cmd, _, err := live.ConfigName(ctx, c, t)
		if err != nil {
			return err
		}
		in.Config, err = live.ConfigGet(ctx, c, cmd, ConfigNames(t)...)
		return err
	})
	if t.Replication != nil {
		for _, addr := range replicas.Addresses(t, in.Info) {
			m := t.Member(addr)
			rc := ReplicaConfig{Address: addr}
			rc.Err = bounded(func(ctx context.Context) error {
				if err := probe(ctx, m.Connection); err != nil {
					return err
				}
				mc, err := live.Dial(m.Connection)
				if err != nil {
					return err
				}
				defer mc.Close()
				rc.Config, err = live.ConfigGet(ctx, mc, m.ConfigCommand(), ConfigNames(t)...)
				return err
			})
			in.Replicas = append(in.Replicas, rc)
		}
	}
	in.LatencyErr = bounded(func(ctx context.Context) (err error) {
		in.Latency, err = latencyLatest(ctx, c)
		return commandError(err, "LATENCY LATEST", "latency|latest", conn)
	})
	in.SlowlogErr = bounded(func(ctx context.Context) (err error) {
		in.SlowlogLen, err = c.Do(ctx, "SLOWLOG", "LEN").Int64()
		return commandError(err, "SLOWLOG LEN", "slowlog|len", conn)
	})
}

// probe connects to the server's address and hangs up.
func probe(ctx context.Context, c model.Connection) error {
	network, addr := server.Address(c)
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, addr)
	if err == nil {
		return nc.Close()
	}
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("cannot connect to %s: connection refused; is redis-server running there? (%w)", c.Address, err)
	case network == "unix" && errors.Is(err, syscall.ENOENT):
		return fmt.Errorf("cannot connect to %s: no such socket; is redis-server running with unixsocket %s? (%w)", c.Address, c.Address, err)
	case errors.As(err, &dnsErr):
		return fmt.Errorf("cannot connect to %s: cannot resolve host %q; check the address (%w)", c.Address, dnsErr.Name, err)
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return fmt.Errorf("cannot connect to %s: no answer in time; check the address and that no firewall drops the traffic (%w)", c.Address, err)
	}
	return fmt.Errorf("cannot connect to %s: %w", c.Address, err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// latencyLatest reads LATENCY LATEST: one [event, unix time, latest ms,
// max ms] array per event.
func latencyLatest(ctx context.Context, c *redis.Client) ([]LatencyEvent, error) {
	reply, err := c.Do(ctx, "LATENCY", "LATEST").Slice()
	if err != nil {
		return nil, err
	}
	out := make([]LatencyEvent, 0, len(reply))
	for _, item := range reply {
		fields, ok := item.([]any)
		if !ok || len(fields) < 4 {
			return nil, fmt.Errorf("unexpected LATENCY LATEST entry %v", item)
		}
		name, ok := fields[0].(string)
		ts, ok1 := fields[1].(int64)
		latest, ok2 := fields[2].(int64)
		maxMs, ok3 := fields[3].(int64)
		if !ok || !ok1 || !ok2 || !ok3 {
			return nil, fmt.Errorf("unexpected LATENCY LATEST entry %v", item)
		}
		out = append(out, LatencyEvent{Event: name, Time: time.Unix(ts, 0).UTC(), LatestMillis: latest, MaxMillis: maxMs})
	}
	return out, nil
}

// commandError explains the failure of a command the checks run besides
// INFO and CONFIG: a missing ACL permission gets the grant that fixes it.
func commandError(err error, op, acl string, c model.Connection) error {
	if err == nil {
		return nil
	}
	user := c.Username
	if user == "" {
		user = "default"
	}
	var rerr redis.Error
	if errors.As(err, &rerr) {
		msg := strings.TrimSpace(rerr.Error())
		switch {
		case strings.HasPrefix(msg, "NOPERM"):
			return fmt.Errorf("the user %s lacks permission for %s on %s; grant it with ACL SETUSER %s +%s: %w", user, op, c.Address, user, acl, err)
		case strings.Contains(msg, "unknown command"):
			return fmt.Errorf("%s does not know %s; if rename-command renamed it, the check cannot run: %w", c.Address, op, err)
		}
	}
	return fmt.Errorf("%s on %s: %w", op, c.Address, err)
}

// serviceStatus runs the target's status command (argv, no shell); a
// non-zero exit is an error quoting the end of its output.
func serviceStatus(ctx context.Context, argv []string) error {
	ctx, cancel := context.WithTimeout(ctx, serviceTimeout)
	defer cancel()
	err := server.RunCommand(ctx, "status", argv)
	var cerr *server.CommandError
	if !errors.As(err, &cerr) {
		return err
	}
	var exitErr *exec.ExitError
	var msg string
	switch {
	case errors.As(cerr.Err, &exitErr) && exitErr.Exited():
		msg = fmt.Sprintf("the service status command %q exited with status %d", argv, exitErr.ExitCode())
	case ctx.Err() != nil:
		msg = fmt.Sprintf("the service status command %q did not finish within %s", argv, serviceTimeout)
	default:
		msg = fmt.Sprintf("the service status command %q failed: %v", argv, cerr.Err)
	}
	if o := oneLine(server.TailOf([]byte(strings.TrimSpace(cerr.Output)), maxServiceOutput)); o != "" {
		msg += ": " + o
	}
	return &statusError{msg: msg, err: cerr.Err}
}

// statusError is a failed status command, described for a person; the
// exec error stays reachable.
type statusError struct {
	msg string
	err error
}

func (e *statusError) Error() string { return e.msg }
func (e *statusError) Unwrap() error { return e.err }
