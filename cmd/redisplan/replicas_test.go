package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/internal/redisinfo"
	"github.com/redisplan/redisplan/internal/testwait"
)

// These tests run a replication group of three real redis-servers: one
// primary and two replicas started with replicaof, each daemonized from
// its own redis-PORT.conf in one directory, as several servers on one host
// are laid out.

type group struct {
	confDir  string
	primary  *daemon
	replicas []*daemon
}

func startGroup(t *testing.T, lines ...string) *group {
	t.Helper()
	g := &group{confDir: t.TempDir()}
	// A full sync starts at once instead of waiting 5s for more replicas.
	lines = append([]string{"repl-diskless-sync-delay 0"}, lines...)
	g.primary = startDaemonAt(t, g.confDir, lines...)
	for i := 0; i < 2; i++ {
		r := startDaemonAt(t, g.confDir, append([]string{"replicaof 127.0.0.1 " + strconv.Itoa(g.primary.port)}, lines...)...)
		g.replicas = append(g.replicas, r)
	}
	for _, r := range g.replicas {
		waitLinkUp(t, r.client(t))
	}
	return g
}

func (g *group) members() []*daemon { return append(append([]*daemon{}, g.replicas...), g.primary) }

// spec is a target for the group: the replicas listed in order, the
// config file and start command named with {port}.
func (g *group) spec(t *testing.T, body string) string {
	return writeSpec(t, fmt.Sprintf(`redis "main" {
  address     = %q
  config_file = "%s/redis-{port}.conf"
  replicas    = [%q, %q]
  service {
    start = [%q, "%s/redis-{port}.conf"]
  }
%s
}
`, g.primary.addr(), g.confDir, g.replicas[0].addr(), g.replicas[1].addr(), g.primary.start, g.confDir, body))
}

func infoField(t *testing.T, c *redis.Client, section, key string) string {
	t.Helper()
	text, err := c.Info(context.Background(), section).Result()
	if err != nil {
		t.Fatalf("INFO %s: %v", section, err)
	}
	return redisinfo.Parse(text)[key]
}

func waitLinkUp(t *testing.T, c *redis.Client) {
	t.Helper()
	testwait.For(t, 10*time.Second, "the replica's link to its primary to come up", func() (bool, error) {
		return infoField(t, c, "replication", "master_link_status") == "up", nil
	})
}

func TestReplicaGroupLiveChange(t *testing.T) {
	t.Parallel()
	g := startGroup(t, `save ""`)
	spec := g.spec(t, `  memory {
    max    = "64mb"
    policy = "allkeys-lru"
  }`)

	code, out, errOut := runCLI(t, "plan", "-detailed-exitcode", "-config", spec)
	order := fmt.Sprintf("Replication group, applied in this order: replica %s, then replica %s, then primary %s",
		g.replicas[0].addr(), g.replicas[1].addr(), g.primary.addr())
	if code != 2 || !strings.Contains(out, order) || strings.Count(out, "maxmemory: 0 -> 64mb") != 3 {
		t.Fatalf("plan: exit %d, want 2 with the order and the change on each of the three members\n%s%s", code, out, errOut)
	}

	code, out, errOut = runCLI(t, "apply", "-auto-approve", "-config", spec)
	if code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	// The replicas first, in the listed order, then the primary.
	var seen []int
	for _, d := range g.members() {
		seen = append(seen, strings.Index(out, fmt.Sprintf("redis.main%s: CONFIG SET", memberSuffix(g, d))))
	}
	if seen[0] < 0 || seen[0] > seen[1] || seen[1] > seen[2] {
		t.Errorf("CONFIG SET did not run replicas first, then the primary (positions %v):\n%s", seen, out)
	}
	for _, d := range g.members() {
		c := d.client(t)
		if got := configGet(t, c, "maxmemory"); got != "67108864" {
			t.Errorf("%s: maxmemory = %s, want 67108864", d.addr(), got)
		}
		if got := configGet(t, c, "maxmemory-policy"); got != "allkeys-lru" {
			t.Errorf("%s: maxmemory-policy = %s, want allkeys-lru", d.addr(), got)
		}
		conf, _ := os.ReadFile(d.conf)
		if !strings.Contains(string(conf), "maxmemory 64mb\n") {
			t.Errorf("%s lacks maxmemory 64mb:\n%s", d.conf, conf)
		}
	}
	// What makes a replica one is left alone.
	for _, r := range g.replicas {
		conf, _ := os.ReadFile(r.conf)
		if !strings.Contains(string(conf), "replicaof 127.0.0.1 "+strconv.Itoa(g.primary.port)+"\n") {
			t.Errorf("%s lost its replicaof line:\n%s", r.conf, conf)
		}
		if role := infoField(t, r.client(t), "replication", "role"); role != "slave" {
			t.Errorf("%s: role = %s after apply, want slave", r.addr(), role)
		}
	}
	if code, out, _ := runCLI(t, "plan", "-detailed-exitcode", "-config", spec); code != 0 {
		t.Errorf("plan after apply: exit %d, want 0\n%s", code, out)
	}
}

func memberSuffix(g *group, d *daemon) string {
	if d == g.primary {
		return ""
	}
	return "/" + d.addr()
}

// TestReplicaGroupRestartInOrder changes an immutable directive: each
// replica restarts and catches up before the next, the primary last, while
// a client keeps writing numbered keys to the primary. Every write the
// primary acknowledged must be there afterwards, on it and on both
// replicas.
func TestReplicaGroupRestartInOrder(t *testing.T) {
	t.Parallel()
	g := startGroup(t, `save ""`)
	spec := g.spec(t, `  settings = {
    "databases" = 32
  }`)
	members := g.members()
	runIDs := func() []string {
		var ids []string
		for _, d := range members {
			ids = append(ids, infoField(t, d.client(t), "server", "run_id"))
		}
		return ids
	}
	before := runIDs()

	code, out, errOut := runCLI(t, "apply", "-auto-approve", "-config", spec)
	if code != 0 || strings.Count(out, "pending: databases") != 3 {
		t.Fatalf("apply without -allow-restart: exit %d, want 0 with databases pending on all three\n%s%s", code, out, errOut)
	}
	if now := runIDs(); fmt.Sprint(now) != fmt.Sprint(before) {
		t.Fatalf("apply without -allow-restart restarted a server: run_ids %v, then %v", before, now)
	}

	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup

	// The writer: SET w:N N, N counting up; a write counts once the
	// primary acknowledged it. While the primary restarts, writes fail and
	// are retried.
	var acked atomic.Int64
	var longestGap time.Duration // the primary's unavailability, for the log
	wg.Add(1)
	go func() {
		defer wg.Done()
		c := redis.NewClient(&redis.Options{Addr: g.primary.addr(), Protocol: 2, DisableIdentity: true, MaxRetries: -1})
		defer c.Close()
		last := time.Now()
		for n := int64(0); ctx.Err() == nil; {
			if err := c.Set(context.Background(), fmt.Sprintf("w:%d", n), n, 0).Err(); err != nil {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			n++
			acked.Store(n)
			longestGap = max(longestGap, time.Since(last))
			last = time.Now()
		}
	}()

	// The watcher: the order in which each member's run_id changes.
	var mu sync.Mutex
	var restarted []string
	wg.Add(1)
	go func() {
		defer wg.Done()
		clients := make([]*redis.Client, len(members))
		for i, d := range members {
			clients[i] = redis.NewClient(&redis.Options{Addr: d.addr(), Protocol: 2, DisableIdentity: true, MaxRetries: -1})
			defer clients[i].Close()
		}
		done := make([]bool, len(members))
		for ctx.Err() == nil {
			for i, c := range clients {
				id, err := c.Do(context.Background(), "INFO", "server").Text()
				if err != nil || done[i] || strings.Contains(id, "run_id:"+before[i]) {
					continue
				}
				done[i] = true
				mu.Lock()
				restarted = append(restarted, members[i].addr())
				mu.Unlock()
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()

	started := time.Now()
	code, out, errOut = runCLI(t, "apply", "-auto-approve", "-allow-restart", "-config", spec)
	t.Logf("the rollout took %v", time.Since(started))
	if code == 0 {
		// The watcher polls every 5ms: give it the time to see the last
		// restart. Whether it saw all three, and in which order, is
		// checked below.
		_ = testwait.Until(5*time.Second, func() (bool, error) {
			mu.Lock()
			defer mu.Unlock()
			return len(restarted) == len(members), nil
		})
	}
	stop()
	wg.Wait()
	if code != 0 {
		t.Fatalf("apply -allow-restart: exit %d\n%s%s", code, out, errOut)
	}
	want := []string{members[0].addr(), members[1].addr(), members[2].addr()}
	if fmt.Sprint(restarted) != fmt.Sprint(want) {
		t.Errorf("servers restarted in the order %v, want replicas first, then the primary: %v\n%s", restarted, want, out)
	}
	for i, id := range runIDs() {
		if id == before[i] {
			t.Errorf("%s was not restarted (run_id %s unchanged)", members[i].addr(), id)
		}
	}
	n := acked.Load()
	if n == 0 {
		t.Fatal("no write was acknowledged during the rollout")
	}
	for _, d := range members {
		c := d.client(t)
		if got := configGet(t, c, "databases"); got != "32" {
			t.Errorf("%s: databases = %s after apply, want 32", d.addr(), got)
		}
		var missing []int64
		for lo := int64(0); lo < n; lo += 1000 {
			hi := min(lo+1000, n)
			keys := make([]string, 0, hi-lo)
			for i := lo; i < hi; i++ {
				keys = append(keys, fmt.Sprintf("w:%d", i))
			}
			vals, err := c.MGet(context.Background(), keys...).Result()
			if err != nil {
				t.Fatalf("%s: MGET: %v", d.addr(), err)
			}
			for i, v := range vals {
				if v != strconv.FormatInt(lo+int64(i), 10) {
					missing = append(missing, lo+int64(i))
				}
			}
		}
		if len(missing) > 0 {
			t.Errorf("%s lacks %d of the %d acknowledged writes (first: w:%d)", d.addr(), len(missing), n, missing[0])
		}
	}
	t.Logf("%d writes acknowledged during the rollout, all present on the three servers; writes waited at most %v", n, longestGap)
	if code, out, _ := runCLI(t, "plan", "-detailed-exitcode", "-config", spec); code != 0 {
		t.Errorf("plan after the rollout: exit %d, want 0\n%s", code, out)
	}
}

func TestReplicaGroupBackupFromReplica(t *testing.T) {
	t.Parallel()
	g := startGroup(t, `save ""`)
	c := g.primary.client(t)
	for i := 0; i < 200; i++ {
		c.Set(context.Background(), fmt.Sprintf("k:%d", i), i, 0)
	}
	for _, r := range g.replicas {
		waitCaughtUp(t, c, r.client(t))
	}
	dest := t.TempDir()
	spec := g.spec(t, fmt.Sprintf(`  backup {
    destination = %q
    from        = "replica"
  }`, dest))
	saves := func(d *daemon) string { return infoField(t, d.client(t), "persistence", "rdb_saves") }
	primaryBefore, replicaBefore := saves(g.primary), saves(g.replicas[0])

	out := mustRun(t, "backup", "run", "-config", spec)
	if got := saves(g.primary); got != primaryBefore {
		t.Errorf("the primary's rdb_saves moved from %s to %s: the backup forked the primary\n%s", primaryBefore, got, out)
	}
	if got := saves(g.replicas[0]); got == replicaBefore {
		t.Errorf("the replica's rdb_saves stayed %s: the backup did not save on the replica\n%s", got, out)
	}
	raw, err := os.ReadFile(storedFile(t, dest, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		SourceRole    string         `json:"source_role"`
		SourceAddress string         `json:"source_address"`
		Keyspace      map[string]any `json:"keyspace"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if m.SourceRole != "replica" || m.SourceAddress != g.replicas[0].addr() {
		t.Errorf("manifest says the data came from %s %s, want replica %s", m.SourceRole, m.SourceAddress, g.replicas[0].addr())
	}

	// With no replica in sync, from = "replica" fails and says why.
	for _, r := range g.replicas {
		if err := r.client(t).Do(context.Background(), "REPLICAOF", "NO", "ONE").Err(); err != nil {
			t.Fatal(err)
		}
	}
	code, _, errOut := runCLI(t, "backup", "run", "-config", spec)
	if code == 0 || !strings.Contains(errOut, "no replica is in sync") || !strings.Contains(errOut, "role:master") {
		t.Errorf("backup from = \"replica\" without a replica in sync: exit %d, want a failure saying why\n%s", code, errOut)
	}
	if got := saves(g.primary); got != primaryBefore {
		t.Errorf("the refused backup forked the primary: rdb_saves %s -> %s", primaryBefore, got)
	}
}

func waitCaughtUp(t *testing.T, primary, replica *redis.Client) {
	t.Helper()
	goal, _ := strconv.ParseInt(infoField(t, primary, "replication", "master_repl_offset"), 10, 64)
	testwait.For(t, 10*time.Second, fmt.Sprintf("the replica to catch up with its primary's offset %d", goal), func() (bool, error) {
		off, _ := strconv.ParseInt(infoField(t, replica, "replication", "slave_repl_offset"), 10, 64)
		return off >= goal, nil
	})
}

func TestReplicaGroupCheckPersistence(t *testing.T) {
	t.Parallel()
	g := startGroup(t, `save ""`, "appendonly yes", "appendfsync everysec")
	spec := g.spec(t, `  persistence {
    aof {
      enabled = true
      fsync   = "everysec"
    }
  }`)
	state := t.TempDir()
	if _, cj := runCheckJSON(t, "-config", spec, "-state-dir", state); !strings.HasPrefix(result(cj, "replica_persistence"), "ok: the 2 replicas match") {
		t.Fatalf("replica_persistence with matching replicas: %s", result(cj, "replica_persistence"))
	}
	odd := g.replicas[1]
	if err := odd.client(t).ConfigSet(context.Background(), "appendfsync", "always").Err(); err != nil {
		t.Fatal(err)
	}
	_, cj := runCheckJSON(t, "-config", spec, "-state-dir", state)
	got := result(cj, "replica_persistence")
	want := fmt.Sprintf(`warning: replica %s: appendfsync is "always", the primary's "everysec"`, odd.addr())
	if got != want {
		t.Errorf("replica_persistence = %q\nwant %q", got, want)
	}
}

// TestReplicaGroupStopsAtFailedReplica: when a replica does not come back,
// apply stops there: the primary is neither restarted nor changed.
func TestReplicaGroupStopsAtFailedReplica(t *testing.T) {
	t.Parallel()
	g := startGroup(t, `save ""`)
	// Each member starts through its own script; the second replica's
	// fails, as a broken host would.
	for _, d := range g.members() {
		script := fmt.Sprintf("#!/bin/sh\nexec %s %s\n", d.start, d.conf)
		if d == g.replicas[1] {
			script = "#!/bin/sh\necho 'redis-server: cannot open the data directory' >&2\nexit 1\n"
		}
		if err := os.WriteFile(fmt.Sprintf("%s/start-%d.sh", g.confDir, d.port), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	spec := writeSpec(t, fmt.Sprintf(`redis "main" {
  address     = %q
  config_file = "%s/redis-{port}.conf"
  replicas    = [%q, %q]
  service {
    start = ["%s/start-{port}.sh"]
  }
  settings = {
    "databases" = 32
  }
}
`, g.primary.addr(), g.confDir, g.replicas[0].addr(), g.replicas[1].addr(), g.confDir))
	pc := g.primary.client(t)
	primaryRunID := infoField(t, pc, "server", "run_id")

	code, out, errOut := runCLI(t, "apply", "-auto-approve", "-allow-restart", "-config", spec)
	if code == 0 || !strings.Contains(errOut, "cannot open the data directory") || !strings.Contains(errOut, "the 1 member(s) after it in the order were not changed") {
		t.Fatalf("apply with a replica that does not start: exit %d, want a failure naming it\n%s%s", code, out, errOut)
	}
	if got := infoField(t, pc, "server", "run_id"); got != primaryRunID {
		t.Errorf("the primary was restarted (run_id %s -> %s) after a replica failed", primaryRunID, got)
	}
	conf, _ := os.ReadFile(g.primary.conf)
	if strings.Contains(string(conf), "databases") {
		t.Errorf("the primary's file was changed after a replica failed:\n%s", conf)
	}
	if got := configGet(t, g.replicas[0].client(t), "databases"); got != "32" {
		t.Errorf("the first replica: databases = %s, want 32 (it restarted before the failure)", got)
	}
}

// TestReplicaGroupRefusesToEmptyThePrimary: a primary that persists
// nothing, stopped by its service command, would come back empty and its
// replicas would copy the empty dataset; apply refuses before touching any
// member.
func TestReplicaGroupRefusesToEmptyThePrimary(t *testing.T) {
	t.Parallel()
	g := startGroup(t, `save ""`, "appendonly no")
	spec := writeSpec(t, fmt.Sprintf(`redis "main" {
  address     = %q
  config_file = "%s/redis-{port}.conf"
  replicas    = [%q, %q]
  service {
    start = [%q, "%s/redis-{port}.conf"]
    stop  = ["systemctl", "stop", "redis-server@{port}"]
  }
  settings = {
    "databases" = 32
  }
}
`, g.primary.addr(), g.confDir, g.replicas[0].addr(), g.replicas[1].addr(), g.primary.start, g.confDir))
	var before []string
	for _, d := range g.members() {
		before = append(before, infoField(t, d.client(t), "server", "run_id"))
	}
	code, out, errOut := runCLI(t, "apply", "-auto-approve", "-allow-restart", "-config", spec)
	if code == 0 || !strings.Contains(errOut, `persists nothing (save "" and appendonly no)`) || !strings.Contains(errOut, "Nothing was changed") {
		t.Fatalf("apply: exit %d, want a refusal\n%s%s", code, out, errOut)
	}
	for i, d := range g.members() {
		if got := infoField(t, d.client(t), "server", "run_id"); got != before[i] {
			t.Errorf("%s was restarted", d.addr())
		}
		if conf, _ := os.ReadFile(d.conf); strings.Contains(string(conf), "databases") {
			t.Errorf("%s was written", d.conf)
		}
	}
}

// TestReplicaGroupSavedPlanStale: a saved plan covers every member; a
// replica changed since makes it stale.
func TestReplicaGroupSavedPlanStale(t *testing.T) {
	t.Parallel()
	g := startGroup(t, `save ""`)
	spec := g.spec(t, `  memory {
    max = "64mb"
  }`)
	planFile := t.TempDir() + "/group.plan"
	if code, out, errOut := runCLI(t, "plan", "-out", planFile, "-config", spec); code != 0 {
		t.Fatalf("plan -out: exit %d\n%s%s", code, out, errOut)
	}
	if err := g.replicas[1].client(t).ConfigSet(context.Background(), "maxmemory", "32mb").Err(); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "apply", "-config", spec, planFile)
	want := fmt.Sprintf("maxmemory on redis.main/%s changed from 0 to 33554432", g.replicas[1].addr())
	if code == 0 || !strings.Contains(errOut, "Saved plan is stale") || !strings.Contains(errOut, want) {
		t.Fatalf("apply of a stale group plan: exit %d, want a refusal naming the replica\n%s%s", code, out, errOut)
	}
	if got := configGet(t, g.primary.client(t), "maxmemory"); got != "0" {
		t.Errorf("the refused plan changed the primary: maxmemory = %s", got)
	}
}

// TestReplicaGroupDiscover: replicas = "discover" finds the replicas in the
// primary's INFO replication and changes them as if they were listed.
func TestReplicaGroupDiscover(t *testing.T) {
	t.Parallel()
	g := startGroup(t, `save ""`)
	spec := writeSpec(t, fmt.Sprintf(`redis "main" {
  address  = %q
  replicas = "discover"
  memory {
    policy = "allkeys-lfu"
  }
}
`, g.primary.addr()))
	code, out, errOut := runCLI(t, "plan", "-detailed-exitcode", "-config", spec)
	if code != 2 || !strings.Contains(out, "replica "+g.replicas[0].addr()) || !strings.Contains(out, "replica "+g.replicas[1].addr()) ||
		!strings.Contains(out, "then primary "+g.primary.addr()) {
		t.Fatalf("plan with discovery: exit %d, want both replicas before the primary\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, "apply", "-auto-approve", "-config", spec); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	for _, d := range g.members() {
		if got := configGet(t, d.client(t), "maxmemory-policy"); got != "allkeys-lfu" {
			t.Errorf("%s: maxmemory-policy = %s, want allkeys-lfu", d.addr(), got)
		}
	}
}
