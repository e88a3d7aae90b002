// Package replicas knows the replication group of a primary: which
// replicas it has (declared in the spec or reported by INFO replication),
// whether a replica is in sync, how to wait until it is, and which member a
// backup reads from.
package replicas

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/internal/interrupt"
	"github.com/redisplan/redisplan/internal/model"
)

// MaxBackupLag is how far behind its primary (in bytes of the replication
// stream) a replica may be and still count as in sync for a backup: about
// the writes of a busy second, so the backup is as fresh as one taken on
// the primary a moment earlier.
const MaxBackupLag = 1 << 20

// pollInterval is how often waits ask the servers again.
const pollInterval = 50 * time.Millisecond

// Reported is one replica as its primary lists it in INFO replication:
//
//	slave0:ip=10.0.0.2,port=6379,state=online,offset=1234,lag=0
type Reported struct {
	Address string
	State   string
	Offset  int64
}

// FromInfo returns the replicas a primary's INFO replication fields list,
// in the primary's order (slave0, slave1, ...).
func FromInfo(info map[string]string) []Reported {
	type indexed struct {
		n int
		r Reported
	}
	var found []indexed
	for k, v := range info {
		rest, ok := strings.CutPrefix(k, "slave")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(rest)
		if err != nil {
			continue // slave_repl_offset, slave_read_only, ...
		}
		fields := map[string]string{}
		for _, part := range strings.Split(v, ",") {
			if key, val, ok := strings.Cut(part, "="); ok {
				fields[key] = val
			}
		}
		if fields["ip"] == "" || fields["port"] == "" {
			continue
		}
		off, _ := strconv.ParseInt(fields["offset"], 10, 64)
		found = append(found, indexed{n, Reported{
			Address: net.JoinHostPort(fields["ip"], fields["port"]),
			State:   fields["state"],
			Offset:  off,
		}})
	}
	sort.Slice(found, func(i, j int) bool { return found[i].n < found[j].n })
	out := make([]Reported, len(found))
	for i, f := range found {
		out[i] = f.r
	}
	return out
}

// Addresses returns the replicas of t in the order they are changed: the
// declared ones, or, with discovery, those the primary's INFO replication
// (primaryInfo) lists. Nil when t has no replicas.
func Addresses(t *model.Target, primaryInfo map[string]string) []string {
	r := t.Replication
	if r == nil {
		return nil
	}
	if !r.Discover {
		return r.Replicas
	}
	var out []string
	for _, rep := range FromInfo(primaryInfo) {
		out = append(out, rep.Address)
	}
	return out
}

// Status is what a replica says about its link to its primary.
type Status struct {
	// Role is "slave" for a replica, "master" otherwise.
	Role    string
	LinkUp  bool
	Syncing bool
	// Offset is slave_repl_offset: how much of the primary's stream the
	// replica has processed.
	Offset int64
}

// StatusOf reads a Status from a replica's INFO replication fields.
func StatusOf(info map[string]string) Status {
	off, _ := strconv.ParseInt(info["slave_repl_offset"], 10, 64)
	return Status{
		Role:    info["role"],
		LinkUp:  info["master_link_status"] == "up",
		Syncing: info["master_sync_in_progress"] == "1",
		Offset:  off,
	}
}

// primaryOffset reads master_repl_offset from a primary's fields.
func primaryOffset(info map[string]string) (int64, error) {
	s, ok := info["master_repl_offset"]
	if !ok {
		return 0, errors.New("INFO replication has no master_repl_offset")
	}
	return strconv.ParseInt(s, 10, 64)
}

// Lag compares a replica with its primary: it returns how many bytes of
// the replication stream the replica has yet to process, or an error that
// says why it is not in sync at all (not a replica, link down, full sync
// running).
func Lag(replicaInfo, primaryInfo map[string]string) (int64, error) {
	st := StatusOf(replicaInfo)
	switch {
	case st.Role != "slave":
		return 0, fmt.Errorf("it is not a replica (role:%s)", orUnknown(st.Role))
	case !st.LinkUp:
		return 0, fmt.Errorf("its link to the primary is %s", orUnknown(replicaInfo["master_link_status"]))
	case st.Syncing:
		return 0, errors.New("a full synchronization is in progress")
	case primaryInfo["master_replid"] != "" && replicaInfo["master_replid"] != primaryInfo["master_replid"]:
		return 0, fmt.Errorf("it replicates %s:%s, not this primary (the replication IDs differ)", replicaInfo["master_host"], replicaInfo["master_port"])
	}
	p, err := primaryOffset(primaryInfo)
	if err != nil {
		return 0, err
	}
	if lag := p - st.Offset; lag > 0 {
		return lag, nil
	}
	return 0, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// info reads INFO replication on its own short-lived connection.
func info(ctx context.Context, conn model.Connection) (map[string]string, error) {
	c, err := live.Dial(conn)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return live.Info(ctx, c, "replication")
}

// WaitInSync waits until the replica at replica reports its link up and
// has processed the primary's whole replication stream as it stood once
// the link was up: every write the primary acknowledged before then is on
// the replica. It keeps asking while the replica restarts or resyncs, until
// ctx ends.
func WaitInSync(ctx context.Context, primary, replica model.Connection) error {
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	var (
		goal    int64 = -1
		lastWhy string
	)
	for {
		ri, err := info(ctx, replica)
		if err == nil {
			st := StatusOf(ri)
			switch {
			case st.Role != "slave":
				return fmt.Errorf("%s is not a replica (role:%s): it was promoted, or its file lacks replicaof", replica.Address, orUnknown(st.Role))
			case !st.LinkUp || st.Syncing:
				lastWhy = fmt.Sprintf("master_link_status:%s, master_sync_in_progress:%s", orUnknown(ri["master_link_status"]), orUnknown(ri["master_sync_in_progress"]))
			default:
				pi, perr := info(ctx, primary)
				if perr != nil {
					return fmt.Errorf("read the primary's offset at %s: %w", primary.Address, perr)
				}
				if pi["master_replid"] != ri["master_replid"] {
					return fmt.Errorf("%s replicates %s:%s, not the primary at %s (the replication IDs differ)", replica.Address, ri["master_host"], ri["master_port"], primary.Address)
				}
				if goal < 0 {
					if goal, perr = primaryOffset(pi); perr != nil {
						return fmt.Errorf("read the primary's offset at %s: %w", primary.Address, perr)
					}
				}
				if st.Offset >= goal {
					return nil
				}
				lastWhy = fmt.Sprintf("its offset is %d, the primary's was %d", st.Offset, goal)
			}
		} else {
			lastWhy = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s had not caught up with its primary %s when %s; last seen: %s: %w", replica.Address, primary.Address, interrupt.When(context.Cause(ctx)), lastWhy, ctx.Err())
		case <-ticker.C:
		}
	}
}

// Source is the member a backup reads from.
type Source struct {
	Target *model.Target
	// Role is "primary" or "replica".
	Role string
	// Skipped says why each replica passed over was not used.
	Skipped []string
}

// BackupSource picks the member of t that a backup reads from, as
// t.Backup.From asks: the primary; the first replica in sync (link up,
// no full sync running, at most MaxBackupLag bytes behind); or that
// replica when there is one and the primary otherwise. With From
// "replica" and no replica in sync, it fails and says why each one is
// not.
func BackupSource(ctx context.Context, t *model.Target) (*Source, error) {
	from := model.FromAny
	if t.Backup != nil && t.Backup.From != "" {
		from = t.Backup.From
	}
	primary := &Source{Target: t, Role: "primary"}
	if from == model.FromPrimary || (t.Replication == nil && from == model.FromAny) {
		return primary, nil
	}
	if t.Replication == nil {
		return nil, fmt.Errorf(`redis.%s backs up from = "replica" but declares no replicas: add replicas = [...] or replicas = "discover" to the target, or use from = "any"`, t.Name)
	}
	pi, err := info(ctx, t.Connection)
	if err != nil {
		return nil, fmt.Errorf("read the replication state of redis.%s: %w", t.Name, err)
	}
	addrs := Addresses(t, pi)
	var skipped []string
	for _, addr := range addrs {
		m := t.Member(addr)
		ri, err := info(ctx, m.Connection)
		if err != nil {
			skipped = append(skipped, fmt.Sprintf("%s: %v", addr, err))
			continue
		}
		lag, err := Lag(ri, pi)
		switch {
		case err != nil:
			skipped = append(skipped, fmt.Sprintf("%s: %v", addr, err))
		case lag > MaxBackupLag:
			skipped = append(skipped, fmt.Sprintf("%s: %d bytes behind the primary (at most %d allowed)", addr, lag, MaxBackupLag))
		default:
			m.Backup = t.Backup
			return &Source{Target: m, Role: "replica", Skipped: skipped}, nil
		}
	}
	if from == model.FromAny {
		primary.Skipped = skipped
		return primary, nil
	}
	why := "it has none"
	if len(addrs) > 0 {
		why = strings.Join(skipped, "; ")
	} else if t.Replication.Discover {
		why = "INFO replication on the primary lists none"
	}
	return nil, fmt.Errorf(`redis.%s backs up from = "replica", but no replica is in sync: %s. Fix the replication, or use from = "any" to fall back to the primary`, t.Name, why)
}
