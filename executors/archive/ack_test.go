package archive

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/redisinfo"
	"github.com/redisplan/redisplan/internal/testwait"
)

// ackedOffset is the server's master_repl_offset and the offset its one
// replica (the archiver) acknowledged, read from one INFO reply.
func ackedOffset(t *testing.T, c *redis.Client) (master, acked int64) {
	t.Helper()
	s, err := c.Info(context.Background(), "replication").Result()
	if err != nil {
		t.Fatal(err)
	}
	f := redisinfo.Parse(s)
	master, _ = redisinfo.Int(f, "master_repl_offset")
	acked = -1
	if v, ok := f["slave0"]; ok {
		if n, err := strconv.ParseInt(redisinfo.Values(v)["offset"], 10, 64); err == nil {
			acked = n
		}
	}
	return master, acked
}

// waitInStep waits until the archiver acknowledged the server's whole
// stream, and returns the offset it reached.
func waitInStep(t *testing.T, c *redis.Client) int64 {
	t.Helper()
	var off int64
	testwait.For(t, 30*time.Second, "the archiver's ACK to reach master_repl_offset", func() (bool, error) {
		master, acked := ackedOffset(t, c)
		off = master
		return acked == master, nil
	})
	return off
}

// The master's PINGs, which carry no write, are acknowledged as soon as
// they arrive, though they are committed only with the next segment; a
// write is acknowledged only once it is committed, PINGs or not.
func TestAckCoversPings(t *testing.T) {
	t.Parallel()
	src := servertest.Start(t, servertest.Options{Config: debugConfig + "repl-ping-replica-period 1\n"})
	c := src.Client(t)
	repo := openRepo(t, archiveTarget(t, src))
	a := follow(t, repo, time.Minute)
	testwait.For(t, 30*time.Second, "the base", func() (bool, error) {
		id, _ := a.position()
		return id != "" && len(bases(t, repo)) == 1, nil
	})
	_, base := a.position()
	testwait.For(t, 30*time.Second, "PINGs acknowledged beyond the committed offset", func() (bool, error) {
		master, acked := ackedOffset(t, c)
		_, committed := a.position()
		return master > base && committed == base && acked == master, nil
	})
	ctx := context.Background()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	_, off := masterOffset(t, c)
	// More than a PING period: the PINGs after the write do not make the
	// uncommitted write acknowledged.
	if n, err := c.Do(ctx, "WAIT", 1, 2500).Int(); err != nil || n != 0 {
		t.Fatalf("WAIT 1 before the write is committed = %d, %v; want 0", n, err)
	}
	if _, acked := ackedOffset(t, c); acked >= off {
		t.Fatalf("the archiver acknowledged offset %d, past the uncommitted write that ends at %d", acked, off)
	}
	a.stop(t)
	if _, committed := a.position(); committed < off {
		t.Errorf("after the stop the archive ends at %d, the write at %d", committed, off)
	}
}

// A server with the archiver attached shuts down without waiting for it
// (shutdown-timeout) when the archiver has everything but PINGs.
func TestShutdownDoesNotWaitForArchiver(t *testing.T) {
	t.Parallel()
	src := servertest.Start(t, servertest.Options{Config: debugConfig + "repl-ping-replica-period 1\n"})
	c := src.Client(t)
	repo := openRepo(t, archiveTarget(t, src))
	a := follow(t, repo, 100*time.Millisecond)
	writeMix(t, src.Addr(), 0)
	a.waitArchived(t, c)
	_, committed := a.position()
	testwait.For(t, 30*time.Second, "PINGs after the last write", func() (bool, error) {
		master, _ := ackedOffset(t, c)
		return master > committed, nil
	})
	waitInStep(t, c)
	// No PING between the check and the SHUTDOWN: the log then says
	// whether the server waited for the archiver, with no race.
	if err := c.ConfigSet(context.Background(), "repl-ping-replica-period", "3600").Err(); err != nil {
		t.Fatal(err)
	}
	off := waitInStep(t, c)
	src.Shutdown(t, false)
	log := src.Log()
	for _, bad := range []string{"Waiting for replicas", "Lagging replica"} {
		if strings.Contains(log, bad) {
			t.Errorf("the server waited for the archiver at its shutdown (offset %d):\n%s", off, log)
		}
	}
	a.stop(t)
	if _, got := a.position(); got < committed {
		t.Errorf("the archive ends at %d after the shutdown, before the last write's %d", got, committed)
	}
}
