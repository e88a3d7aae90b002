package live

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/internal/interrupt"
	"github.com/redisplan/redisplan/internal/redisinfo"
)

// pollInterval is how often EnableAOF and the waits of Restart ask the
// server again.
const pollInterval = 50 * time.Millisecond

// errConfigDisabled is returned when CONFIG was renamed to "".
var errConfigDisabled = errors.New(`CONFIG is disabled on this server (rename-command CONFIG "")`)

// ConfigGet returns the named parameters as the server prints them. Names
// are exact (or glob patterns such as "*"); a name the server does not
// know is simply absent from the result. configCmd is the name CONFIG is
// reachable under.
func ConfigGet(ctx context.Context, c *redis.Client, configCmd string, names ...string) (map[string]string, error) {
	ep := endpointOf(c, configCmd)
	if configCmd == "" {
		return nil, ep.newError(errConfigDisabled, "cannot read the configuration of %s: %v", ep.addr, errConfigDisabled)
	}
	out := map[string]string{}
	if len(names) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(names)+2)
	args = append(args, configCmd, "GET")
	for _, n := range names {
		args = append(args, n)
	}
	reply, err := c.Do(ctx, args...).Slice()
	if err != nil {
		return nil, ep.explain("CONFIG GET", err)
	}
	if len(reply)%2 != 0 {
		return nil, fmt.Errorf("CONFIG GET on %s: odd number of elements (%d) in the reply", ep.addr, len(reply))
	}
	for i := 0; i < len(reply); i += 2 {
		k, ok1 := reply[i].(string)
		v, ok2 := reply[i+1].(string)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("CONFIG GET on %s: unexpected element types %T, %T in the reply", ep.addr, reply[i], reply[i+1])
		}
		out[k] = v
	}
	return out, nil
}

// ConfigSet sets every pair in one CONFIG SET call, which Redis 7 applies
// all or nothing. When the server refuses the values the error is a
// *SetError naming the directive Redis blamed; other failures (network,
// permissions) are explained like every other error of the package.
func ConfigSet(ctx context.Context, c *redis.Client, configCmd string, pairs [][2]string) error {
	ep := endpointOf(c, configCmd)
	if configCmd == "" {
		return ep.newError(errConfigDisabled, "cannot change the configuration of %s: %v", ep.addr, errConfigDisabled)
	}
	if len(pairs) == 0 {
		return nil
	}
	args := make([]any, 0, 2*len(pairs)+2)
	args = append(args, configCmd, "SET")
	for _, p := range pairs {
		args = append(args, p[0], p[1])
	}
	err := c.Do(ctx, args...).Err()
	if err == nil {
		return nil
	}
	var rerr redis.Error
	if errors.As(err, &rerr) {
		if se, ok := setError(ep.addr, strings.TrimSpace(rerr.Error()), pairs, ep.password); ok {
			return se
		}
	}
	return ep.explain("CONFIG SET", err)
}

// Info returns the fields of the given INFO sections (the default
// sections when none are given). Keyspace lines keep their whole value:
// db0 -> "keys=1,expires=0,avg_ttl=0".
func Info(ctx context.Context, c *redis.Client, sections ...string) (map[string]string, error) {
	text, err := c.Info(ctx, sections...).Result()
	if err != nil {
		return nil, endpointOf(c, "").explain("INFO", err)
	}
	return redisinfo.Parse(text), nil
}

// EnableAOF turns AOF on while the server runs and waits for the initial
// rewrite to finish, which is when the AOF holds the whole dataset and
// `appendonly yes` may safely go into the config file: INFO persistence
// shows aof_enabled:1, no rewrite running or scheduled, and
// aof_last_bgrewrite_status:ok. A failed rewrite is rescheduled by Redis,
// so EnableAOF keeps waiting until ctx ends.
func EnableAOF(ctx context.Context, c *redis.Client, configCmd string) error {
	ep := endpointOf(c, configCmd)
	if err := ConfigSet(ctx, c, configCmd, [][2]string{{"appendonly", "yes"}}); err != nil {
		return err
	}
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	var last map[string]string
	for {
		info, err := Info(ctx, c, "persistence")
		if err != nil && ctx.Err() == nil {
			return err
		}
		if err == nil {
			last = info
			if aofReady(info) {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return aofTimeout(ep, last, context.Cause(ctx))
		case <-ticker.C:
		}
	}
}

// aofReady reports whether INFO persistence shows AOF on with its initial
// rewrite done.
func aofReady(info map[string]string) bool {
	return info["aof_enabled"] == "1" &&
		info["aof_rewrite_in_progress"] == "0" &&
		info["aof_rewrite_scheduled"] == "0" &&
		info["aof_last_bgrewrite_status"] == "ok"
}

// aofTimeout explains why EnableAOF gave up.
func aofTimeout(ep endpoint, info map[string]string, cause error) error {
	if info == nil {
		return ep.newError(cause, "enabling AOF on %s: the server had not answered INFO persistence when %s", ep.addr, interrupt.When(cause))
	}
	if info["aof_last_bgrewrite_status"] == "err" {
		return ep.newError(cause, "enabling AOF on %s: the initial AOF rewrite failed (aof_last_bgrewrite_status:err, "+
			"%s consecutive failures) and had not succeeded when %s; the server's log says why "+
			"(often disk space or the permissions of dir); AOF stays on and Redis keeps retrying, so do not put "+
			"appendonly yes into the config file until the rewrite succeeds",
			ep.addr, orUnknown(info["aof_rewrites_consecutive_failures"]), interrupt.When(cause))
	}
	return ep.newError(cause, "enabling AOF on %s: the initial AOF rewrite had not finished when %s: "+
		"aof_enabled:%s aof_rewrite_in_progress:%s aof_rewrite_scheduled:%s aof_last_bgrewrite_status:%s; "+
		"a large dataset needs more time, or another child process (BGSAVE) is holding the rewrite back",
		ep.addr, interrupt.When(cause), orUnknown(info["aof_enabled"]), orUnknown(info["aof_rewrite_in_progress"]),
		orUnknown(info["aof_rewrite_scheduled"]), orUnknown(info["aof_last_bgrewrite_status"]))
}

func orUnknown(s string) string {
	if s == "" {
		return "?"
	}
	return s
}
