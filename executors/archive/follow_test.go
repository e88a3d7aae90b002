package archive

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/engines"
	"github.com/redisplan/redisplan/internal/testwait"
)

// writeMix writes what the stream must carry exactly: several dbs,
// transactions, a script replicated as its effects, expiries (relative
// ones become PEXPIREAT), deletions, and big values.
func writeMix(t *testing.T, addr string, round int) {
	t.Helper()
	ctx := context.Background()
	for db := range 3 {
		c := redis.NewClient(&redis.Options{Addr: addr, DB: db})
		p := strconv.Itoa(round) + ":" + strconv.Itoa(db)
		for i := range 200 {
			if err := c.Set(ctx, "k:"+p+":"+strconv.Itoa(i), strings.Repeat("v", i), 0).Err(); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := c.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
			pipe.Incr(ctx, "counter")
			pipe.HSet(ctx, "h:"+p, "a", 1, "b", 2)
			pipe.RPush(ctx, "list", p)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := c.Eval(ctx, "redis.call('SET', KEYS[1], ARGV[1]); redis.call('INCRBY', KEYS[2], 5); return 1",
			[]string{"script:" + p, "counter"}, "x").Err(); err != nil {
			t.Fatal(err)
		}
		c.Set(ctx, "ttl:"+p, "soon", time.Hour)
		c.Expire(ctx, "k:"+p+":1", 30*time.Minute)
		c.Del(ctx, "k:"+p+":2")
		c.Set(ctx, "big:"+p, strings.Repeat("0123456789", 30000), 0)
		c.Close()
	}
}

// Writes of every kind end up in segments that, replayed onto the base
// as a multi-part AOF, give a server identical to the source (DEBUG
// DIGEST), FLUSHALL included; WAIT 1 returns 1 only once a write is
// committed.
func TestFollowReplaysExactly(t *testing.T) {
	t.Parallel()
	src := servertest.Start(t, servertest.Options{Config: debugConfig})
	c := src.Client(t)
	writeMix(t, src.Addr(), 0)
	repo := openRepo(t, archiveTarget(t, src))
	a := follow(t, repo, 200*time.Millisecond)
	testwait.For(t, 30*time.Second, "the base", func() (bool, error) { return len(bases(t, repo)) == 1, nil })
	writeMix(t, src.Addr(), 1)
	ctx := context.Background()
	if err := c.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	writeMix(t, src.Addr(), 2)
	// Keys that expire: the master deletes them when they are touched
	// (EXISTS) and propagates a DEL, which the archive must carry.
	for i := range 10 {
		if err := c.Set(ctx, "short:"+strconv.Itoa(i), "x", 20*time.Millisecond).Err(); err != nil {
			t.Fatal(err)
		}
	}
	testwait.For(t, 10*time.Second, "the short keys to expire", func() (bool, error) {
		n, err := c.Exists(ctx, "short:0", "short:1", "short:2", "short:3", "short:4", "short:5", "short:6", "short:7", "short:8", "short:9").Result()
		return n == 0, err
	})
	// WAIT: the archiver acknowledges only committed offsets.
	if err := c.Set(ctx, "waited", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	_, off := masterOffset(t, c) // the write's end, before WAIT's GETACK
	n, err := c.Do(ctx, "WAIT", 1, 10000).Int()
	_, committed := a.position()
	if err != nil || n != 1 || committed < off {
		t.Fatalf("WAIT 1 = %d, %v with the archive committed up to %d of %d", n, err, committed, off)
	}
	a.waitArchived(t, c)
	a.stop(t)
	if n := countCommands(t, repo, func(args [][]byte) bool {
		return (isCmd(args[0], "del") || isCmd(args[0], "unlink")) && strings.HasPrefix(string(args[1]), "short:")
	}); n != 10 {
		t.Errorf("the archive holds %d deletions of expired keys, want 10", n)
	}
	// Scripts are replicated as their effects, inside MULTI/EXEC.
	if n := countCommands(t, repo, func(a [][]byte) bool { return isCmd(a[0], "eval") || isCmd(a[0], "evalsha") }); n != 0 {
		t.Errorf("the archive holds %d EVALs, want the scripts' effects only", n)
	}
	if n := countCommands(t, repo, func(a [][]byte) bool { return isCmd(a[0], "set") && strings.HasPrefix(string(a[1]), "script:") }); n != 6 {
		t.Errorf("the archive holds %d SETs of the scripts, want 6 (two rounds of three dbs)", n)
	}
	want := digest(t, c)
	r := replayed(t, repo)
	if got := digest(t, r.Client(t)); got != want {
		t.Fatalf("replayed digest %s, source %s\n%s", got, want, strings.Join(a.messages(), "\n"))
	}
}

// A write is acknowledged to WAIT only once committed: with a flush of a
// minute, WAIT 1 gives up on it (a replica that acknowledged what it
// received would answer at once), and a stop commits it.
func TestWaitMeansCommitted(t *testing.T) {
	t.Parallel()
	src := servertest.Start(t, servertest.Options{Config: debugConfig + "repl-ping-replica-period 3600\n"})
	c := src.Client(t)
	repo := openRepo(t, archiveTarget(t, src))
	a := follow(t, repo, time.Minute)
	testwait.For(t, 30*time.Second, "the base", func() (bool, error) { return len(bases(t, repo)) == 1, nil })
	ctx := context.Background()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Do(ctx, "WAIT", 1, 300).Int(); err != nil || n != 0 {
		t.Fatalf("WAIT 1 before the flush = %d, %v; want 0", n, err)
	}
	_, off := masterOffset(t, c)
	a.stop(t)
	if _, committed := a.position(); committed < off {
		t.Errorf("after the stop the archive ends at %d, the write at %d", committed, off)
	}
}

// Every engine's stream (Redis 7.0 and 8.0, Valkey 8.0 and 8.1) is
// archived and replays, as a multi-part AOF on the same engine, to the
// source's dataset.
func TestFollowEngines(t *testing.T) {
	t.Parallel()
	for _, e := range engines.Require(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			src := servertest.Start(t, servertest.Options{Binary: e.Server, Config: debugConfig})
			c := src.Client(t)
			repo := openRepo(t, archiveTarget(t, src))
			a := follow(t, repo, 100*time.Millisecond)
			writeMix(t, src.Addr(), 0)
			a.waitArchived(t, c)
			a.stop(t)
			if got, want := digest(t, replayedWith(t, repo, e.Server).Client(t)), digest(t, c); got != want {
				t.Fatalf("replayed digest %s, source %s", got, want)
			}
		})
	}
}
