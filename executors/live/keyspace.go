package live

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/redisinfo"
)

// DBKeys is one database's line of INFO keyspace.
type DBKeys = redisinfo.DB

// Keyspace is what a server holds, as far as a restart must keep it: the
// keys per database and, when DEBUG is allowed, the dataset's digest.
type Keyspace struct {
	DBs map[int]DBKeys
	// Digest is DEBUG DIGEST's reply; empty when DEBUG is not allowed,
	// and then NoDigest says why.
	Digest   string
	NoDigest string
}

// Total is the number of keys in every database.
func (k Keyspace) Total() int64 {
	var n int64
	for _, db := range k.DBs {
		n += db.Keys
	}
	return n
}

// Expires is the number of keys with a TTL in every database.
func (k Keyspace) Expires() int64 {
	var n int64
	for _, db := range k.DBs {
		n += db.Expires
	}
	return n
}

// String shows the key counts: "5000 keys in db0, 3 in db2", or "no keys".
func (k Keyspace) String() string {
	var parts []string
	for _, db := range slices.Sorted(maps.Keys(k.DBs)) {
		if k.DBs[db].Keys == 0 {
			continue
		}
		if len(parts) == 0 {
			unit := "keys"
			if k.DBs[db].Keys == 1 {
				unit = "key"
			}
			parts = append(parts, fmt.Sprintf("%d %s in db%d", k.DBs[db].Keys, unit, db))
		} else {
			parts = append(parts, fmt.Sprintf("%d in db%d", k.DBs[db].Keys, db))
		}
	}
	if len(parts) == 0 {
		return "no keys"
	}
	return strings.Join(parts, ", ")
}

// commands are the names a target's server knows some commands by
// (rename-command); "" means disabled.
type commands map[string]string

func (c commands) name(cmd string) string {
	if n, ok := c[cmd]; ok {
		return n
	}
	return cmd
}

// do runs cmd under the name the spec gives it and, when the server does
// not know that name, under its own: a server not restarted since the
// spec renamed the command still has it under its old name.
func (c commands) do(ctx context.Context, cl *redis.Client, cmd string, args ...any) *redis.Cmd {
	name := c.name(cmd)
	r := cl.Do(ctx, append([]any{name}, args...)...)
	if name != cmd && name != "" && strings.Contains(errorReply(r.Err()), "unknown command") {
		r = cl.Do(ctx, append([]any{cmd}, args...)...)
	}
	return r
}

// readKeyspace reads INFO keyspace and, when the server allows it, DEBUG
// DIGEST (enable-debug-command; a refusal is not an error: the digest is
// then left out and NoDigest says why).
func readKeyspace(ctx context.Context, c *redis.Client, cmds commands) (Keyspace, error) {
	info, err := Info(ctx, c, "keyspace")
	if err != nil {
		return Keyspace{}, fmt.Errorf("read INFO keyspace: %w", err)
	}
	k := Keyspace{DBs: redisinfo.Keyspace(info)}
	debug := cmds.name("DEBUG")
	if debug == "" {
		k.NoDigest = "DEBUG is disabled by rename-command"
		return k, nil
	}
	d, err := cmds.do(ctx, c, "DEBUG", "DIGEST").Text()
	switch {
	case err == nil:
		k.Digest = d
	case isRedisError(err) && strings.HasPrefix(errorReply(err), "NOPERM"):
		k.NoDigest = "the user may not run DEBUG"
	case isRedisError(err):
		k.NoDigest = "DEBUG is not allowed (enable-debug-command)"
	default:
		return Keyspace{}, fmt.Errorf("DEBUG DIGEST: %w", err)
	}
	return k, nil
}

// activity is what a freshly started server did on its own or for its
// clients between loading its data and the keyspace check: it accounts for
// keys that may legitimately be missing or changed.
type activity struct {
	// expired counts keys dropped at load (rdb_last_load_keys_expired)
	// and expired or evicted since (expired_keys, evicted_keys).
	expired int64
	// writes counts the write commands clients ran (INFO commandstats
	// of the commands COMMAND INFO flags "write"); flushes is set when one
	// of them emptied a database.
	writes  int64
	flushes bool
}

// readActivity reads a new server's activity since it started.
func readActivity(ctx context.Context, c *redis.Client, cmds commands) (activity, error) {
	info, err := Info(ctx, c, "persistence", "stats", "commandstats")
	if err != nil {
		return activity{}, fmt.Errorf("read INFO: %w", err)
	}
	var a activity
	for _, f := range []string{"rdb_last_load_keys_expired", "expired_keys", "evicted_keys"} {
		n, _ := strconv.ParseInt(info[f], 10, 64)
		a.expired += n
	}
	calls := map[string]int64{}
	for k, v := range info {
		name, ok := strings.CutPrefix(k, "cmdstat_")
		if !ok {
			continue
		}
		for _, field := range strings.Split(v, ",") {
			if n, ok := strings.CutPrefix(field, "calls="); ok {
				calls[name], _ = strconv.ParseInt(n, 10, 64)
			}
		}
	}
	if len(calls) == 0 {
		return a, nil
	}
	names := slices.Sorted(maps.Keys(calls))
	args := []any{"INFO"}
	for _, n := range names {
		args = append(args, n)
	}
	if cmds.name("COMMAND") == "" {
		// Without COMMAND the writes cannot be told apart: count every
		// command, which only makes the check more lenient.
		for _, n := range calls {
			a.writes += n
		}
		return a, nil
	}
	reply, err := cmds.do(ctx, c, "COMMAND", args...).Slice()
	if err != nil {
		return activity{}, fmt.Errorf("COMMAND INFO: %w", err)
	}
	for i, r := range reply {
		doc, ok := r.([]any)
		if !ok || i >= len(names) || len(doc) < 3 {
			continue
		}
		flags, _ := doc[2].([]any)
		for _, f := range flags {
			if s, _ := f.(string); s == "write" {
				a.writes += calls[names[i]]
				if names[i] == "flushall" || names[i] == "flushdb" || names[i] == "swapdb" || names[i] == "move" {
					a.flushes = true
				}
			}
		}
	}
	return a, nil
}

// compareKeyspace decides whether a restarted server holds the data it
// held before the restart, and says what was compared.
//
// before was read while client writes and key expiry were paused
// (CLIENT PAUSE WRITE) and stayed paused until the old process ended, so
// it is exactly what the old process wrote to disk. after is read as soon
// as the new process is ready, again under a write pause; by then the new
// server may already have dropped keys whose TTL passed (at load or since)
// and served a few writes. So:
//
//   - with no expiry and no client write on the new server, the key counts
//     of every database and the digest (when both sides have one) must be
//     identical;
//   - otherwise every missing key must be accounted for: the keys missing
//     in all databases together may not exceed the keys expired or evicted
//     plus the write commands run (a command deleting several keys at once
//     is counted once, so the check can only be too strict there, never too
//     lenient); a FLUSHALL, FLUSHDB, SWAPDB or MOVE run by a client makes
//     the counts unaccountable and only the digest-free check that the
//     server is not empty when it held keys remains. The digest is not
//     compared.
func compareKeyspace(before, after Keyspace, act activity) (string, error) {
	dbs := map[int]bool{}
	for db := range before.DBs {
		dbs[db] = true
	}
	for db := range after.DBs {
		dbs[db] = true
	}
	var diffs []string
	var missing int64
	for _, db := range slices.Sorted(maps.Keys(dbs)) {
		b, a := before.DBs[db].Keys, after.DBs[db].Keys
		if a != b {
			diffs = append(diffs, fmt.Sprintf("db%d has %d keys, it had %d", db, a, b))
		}
		if a < b {
			missing += b - a
		}
	}
	quiet := act.expired == 0 && act.writes == 0
	if quiet {
		if len(diffs) > 0 {
			return "", fmt.Errorf("the server came back with different data: %s", strings.Join(diffs, "; "))
		}
		switch {
		case before.Digest != "" && after.Digest != "" && before.Digest != after.Digest:
			return "", fmt.Errorf("the server came back with different data: the same key counts (%s) but DEBUG DIGEST %s, it was %s", after, after.Digest, before.Digest)
		case before.Digest != "" && after.Digest != "":
			return fmt.Sprintf("keyspace unchanged: %s, DEBUG DIGEST identical", after), nil
		}
		why := before.NoDigest
		if why == "" {
			why = after.NoDigest
		}
		return fmt.Sprintf("keyspace unchanged: %s (digest not compared: %s)", after, why), nil
	}
	note := fmt.Sprintf("since it started the server expired or evicted %d keys and ran %d write commands, so the digest was not compared", act.expired, act.writes)
	if act.flushes {
		if before.Total() > 0 && after.Total() == 0 {
			return "", fmt.Errorf("the server came back empty, it held %s (a client flushed it since, or it did not load its data)", before)
		}
		return fmt.Sprintf("%s, it had %s; a client ran FLUSHALL, FLUSHDB, SWAPDB or MOVE since the start, so only emptiness was checked", after, before), nil
	}
	if missing > act.expired+act.writes {
		return "", fmt.Errorf("the server came back with different data: %s; %d keys are missing, more than the %d it expired or evicted and the %d write commands it ran could remove",
			strings.Join(diffs, "; "), missing, act.expired, act.writes)
	}
	return fmt.Sprintf("keyspace kept: %s, it had %s; %s", after, before, note), nil
}

// replicaPauseMillis bounds the write pause SameDataAsPrimary puts on a
// primary: long enough for a replica in sync to take the last writes.
const replicaPauseMillis = 5000

// SameDataAsPrimary checks that a restarted replica holds its primary's
// data. The replica is compared with its primary rather than with itself
// before the restart: it reloads (or resynchronizes) from the primary,
// whose data kept changing meanwhile. The primary's client writes (and
// expiry) are paused for at most a few seconds, until the replica has
// processed the primary's whole replication stream, so that both hold the
// same writes when their key counts and digests are read; the pause is
// lifted before it returns. The target's renames name the commands on
// both servers.
func SameDataAsPrimary(ctx context.Context, replica *model.Target, primary model.Connection) (string, error) {
	cmds := commands{}
	for _, r := range replica.Renames {
		cmds[strings.ToUpper(r.Command)] = r.NewName
	}
	client := cmds.name("CLIENT")
	if client == "" {
		// The replica is in sync (the caller waited); without a pause the
		// data cannot be compared soundly.
		return "in sync; its data was not compared with its primary's: CLIENT is disabled (rename-command)", nil
	}
	pc, err := dialWith(primary, oneShot)
	if err != nil {
		return "", err
	}
	defer pc.Close()
	rc, err := dialWith(replica.Connection, oneShot)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	if err := cmds.do(ctx, pc, "CLIENT", "PAUSE", replicaPauseMillis, "WRITE").Err(); err != nil {
		return "", endpointFor(primary).explain("CLIENT PAUSE", err)
	}
	defer func() { _ = cmds.do(context.WithoutCancel(ctx), pc, "CLIENT", "UNPAUSE").Err() }()
	pi, err := Info(ctx, pc, "replication")
	if err != nil {
		return "", err
	}
	goal, err := strconv.ParseInt(pi["master_repl_offset"], 10, 64)
	if err != nil {
		return "", fmt.Errorf("the primary at %s reports no master_repl_offset", primary.Address)
	}
	wctx, cancel := context.WithTimeout(ctx, replicaPauseMillis*time.Millisecond)
	defer cancel()
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for {
		ri, err := Info(wctx, rc, "replication")
		if err == nil {
			if off, _ := strconv.ParseInt(ri["slave_repl_offset"], 10, 64); off >= goal {
				break
			}
		}
		select {
		case <-wctx.Done():
			return "", fmt.Errorf("the replica %s did not reach its primary's offset %d while the primary's writes were paused", replica.Connection.Address, goal)
		case <-ticker.C:
		}
	}
	want, err := readKeyspace(ctx, pc, cmds)
	if err != nil {
		return "", fmt.Errorf("the primary: %w", err)
	}
	got, err := readKeyspace(ctx, rc, cmds)
	if err != nil {
		return "", err
	}
	summary, err := compareKeyspace(want, got, activity{})
	if err != nil {
		return "", fmt.Errorf("the replica does not hold its primary's data: %w", err)
	}
	return "same data as its primary: " + strings.TrimPrefix(summary, "keyspace unchanged: "), nil
}
