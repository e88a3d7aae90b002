package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/redisplan/redisplan/internal/interrupt"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/redisinfo"
)

const (
	// pollInterval is how often a wait asks again, once it has waited a
	// while; the first waits are shorter (pollBackoff). A restore's
	// unavailability holds up to one of these at the stop and one at the
	// end of the load; a loading server answers only between chunks of
	// its load anyway (every 2 MB loaded), which paces a long wait.
	pollInterval = 5 * time.Millisecond
	// firstPoll is the first wait between two probes.
	firstPoll = 2 * time.Millisecond
	// probeTimeout bounds one readiness probe.
	probeTimeout = 5 * time.Second
	// defaultPort is Redis' port, for an address that names only a host.
	defaultPort = "6379"
)

// Address returns where a connection dials: ("unix", path) for an address
// that starts with "/", else ("tcp", host:port), with Redis' default port
// when the address names only a host.
func Address(conn model.Connection) (network, addr string) {
	if strings.HasPrefix(conn.Address, "/") {
		return "unix", conn.Address
	}
	return "tcp", WithPort(conn.Address)
}

// WithPort adds Redis' default port to an address that names only a host.
func WithPort(addr string) string {
	if _, _, err := net.SplitHostPort(addr); err == nil {
		return addr
	}
	host := strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")
	if strings.Contains(host, "[") || strings.Contains(host, "]") {
		return addr // malformed: let the dialer say so
	}
	return net.JoinHostPort(host, defaultPort)
}

// NotAnswering reports whether nothing listens at the address any more: a
// refused connection or a missing socket file. Any other failure (a
// timeout) proves nothing and reports false with the error. It dials
// itself rather than through go-redis, whose pool logs every failed dial.
func NotAnswering(ctx context.Context, network, addr string) (bool, error) {
	dctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(dctx, network, addr)
	if err == nil {
		_ = nc.Close()
		return false, nil
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT), err
}

// pollBackoff gives the waits between the probes of a wait: firstPoll,
// then half again as long each time, up to pollInterval. A server that
// stops or loads within a few milliseconds is seen within a few (a
// restore's unavailability counts them twice: the stop and the load),
// and a long load is asked about no more often than every pollInterval.
type pollBackoff struct{ d time.Duration }

func (b *pollBackoff) next() <-chan time.Time {
	if b.d == 0 {
		b.d = firstPoll
	} else {
		b.d = min(b.d*3/2, pollInterval)
	}
	return time.After(b.d)
}

// WaitGone polls until nothing answers at the address; name is the
// address as the user wrote it, for the error.
func WaitGone(ctx context.Context, name, network, addr string) error {
	var poll pollBackoff
	for {
		if gone, _ := NotAnswering(ctx, network, addr); gone {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the server at %s still answered when %s: check the server's log, "+
				"or whether a service manager restarted it: %w", name, interrupt.When(context.Cause(ctx)), ctx.Err())
		case <-poll.next():
		}
	}
}

// Waiting describes the server WaitLoaded waits for.
type Waiting struct {
	// Name is the server's address as the user wrote it, for errors.
	Name string
	// PID, when not 0, is the process that must answer: another process
	// answering at the address is not the server being waited for.
	PID int
	// Exited, when set, is asked while the server does not answer: an
	// error means the server being waited for is known to have exited,
	// and WaitLoaded returns it at once.
	Exited func() error
	// Answered, when set, sees the fields of every INFO reply, also the
	// ones given while the server loads (to learn its process id).
	Answered func(info map[string]string)
}

// RefusedError is a server that answers but refuses INFO (a wrong
// password, a missing permission, a renamed INFO): waiting longer does
// not help.
type RefusedError struct {
	Name string
	Err  error // the server's error reply
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("the server at %s answers but refuses INFO: %s", e.Name, replyText(e.Err))
}

func (e *RefusedError) Unwrap() error { return e.Err }

// WaitLoaded polls the server behind c until it answers and INFO
// persistence says loading:0, and returns the fields of INFO server and
// persistence. Each probe dials the address itself first, so that a
// server that is not listening yet costs no go-redis dial, and then asks
// on one connection of c's. It fails at once with a *RefusedError when the
// server refuses INFO, and with w.Exited's error when the server exited;
// otherwise it keeps asking until ctx ends, and then says what the last
// probe found.
func WaitLoaded(ctx context.Context, c *redis.Client, w Waiting) (map[string]string, error) {
	o := c.Options()
	var poll pollBackoff
	var last error
	answered := false // the last probe got a reply: c's connection is there
	for {
		info, err := probe(ctx, c, o.Network, o.Addr, !answered)
		answered = err == nil || isReply(err)
		if err == nil && w.Answered != nil {
			w.Answered(info)
		}
		switch {
		case err == nil && w.PID != 0 && info["process_id"] != strconv.Itoa(w.PID):
			last = fmt.Errorf("the port is answered by process %s, not %d", info["process_id"], w.PID)
		case err == nil && info["loading"] != "0":
			last = errors.New("still loading its data (loading:1)")
		case err == nil:
			return info, nil
		case isReply(err) && !strings.HasPrefix(replyText(err), "LOADING"):
			return nil, &RefusedError{Name: w.Name, Err: err}
		default:
			// A probe cut short by the end of ctx says nothing about the
			// server: keep what the one before found.
			if !ended(ctx) || last == nil {
				last = err
			}
		}
		if w.Exited != nil {
			if err := w.Exited(); err != nil {
				return nil, err
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("the server at %s was not ready when %s; last: %v: %w", w.Name, interrupt.When(context.Cause(ctx)), last, ctx.Err())
		case <-poll.next():
		}
	}
}

// ended reports whether ctx has ended or its deadline has passed (a dial
// may time out on the deadline before ctx reports it).
func ended(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

// probe asks the server once for INFO server and persistence. With
// dialFirst it first dials the address itself, so that a server that is
// not listening costs no go-redis dial; a probe after one that got a
// reply asks on the connection that reply came on, without a dial.
func probe(ctx context.Context, c *redis.Client, network, addr string, dialFirst bool) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	if dialFirst {
		if gone, err := NotAnswering(ctx, network, addr); gone || err != nil {
			if err == nil {
				err = errors.New("nothing answers")
			}
			return nil, err
		}
	}
	cn := c.Conn()
	defer cn.Close()
	text, err := cn.Info(ctx, "server", "persistence").Result()
	if err != nil {
		return nil, err
	}
	return redisinfo.Parse(text), nil
}

// Shutdown sends SHUTDOWN with args (its name first: rename-command may
// have changed it, then NOSAVE, SAVE, NOW, FORCE) on a connection of its
// own. The connection closing, or no answer, is success: the caller waits
// until the server is gone. An error reply means the server refused and
// keeps running: Shutdown returns the reply, for the caller to explain.
func Shutdown(ctx context.Context, c *redis.Client, args ...any) error {
	cn := c.Conn()
	defer cn.Close()
	err := cn.Do(ctx, args...).Err()
	if isReply(err) {
		return err
	}
	return nil
}

// NewClient returns a client for a server that redisplan runs on a
// loopback port. It speaks RESP2 and tries every command once: after a
// kill, a retry could only fail again, and a resent write would blur what
// was acknowledged. edit, when not nil, adjusts the options.
func NewClient(addr, password string, edit func(*redis.Options)) *redis.Client {
	o := &redis.Options{
		Addr:                  addr,
		Password:              password,
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

func isReply(err error) bool {
	var rerr redis.Error
	return errors.As(err, &rerr)
}

// replyText returns the text of the server's error reply in err.
func replyText(err error) string {
	var rerr redis.Error
	if errors.As(err, &rerr) {
		return strings.TrimSpace(rerr.Error())
	}
	return ""
}
