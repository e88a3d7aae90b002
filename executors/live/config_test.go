package live

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/server/servertest"
)

// dialServer returns a Dial client for the server, closed when the test
// ends.
func dialServer(t *testing.T, s *servertest.Server) *redis.Client {
	t.Helper()
	c, err := Dial(targetFor(s).Connection)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestDialNamesTheClient(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	c := dialServer(t, s)
	name, err := c.ClientGetName(testContext(t)).Result()
	if err != nil || name != ClientName {
		t.Errorf("CLIENT GETNAME = %q, %v; want %q", name, err, ClientName)
	}
}

func TestConfigGet(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	got, err := ConfigGet(testContext(t), dialServer(t, s), "CONFIG", "maxmemory", "watchdog-period", "no-such-param")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"maxmemory": "0", "watchdog-period": "0"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ConfigGet = %v, want %v (unknown names are left out)", got, want)
	}
}

func TestConfigSetBatch(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)
	c := dialServer(t, s)
	err := ConfigSet(ctx, c, "CONFIG", [][2]string{{"maxmemory", "10mb"}, {"maxmemory-policy", "allkeys-lru"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ConfigGet(ctx, c, "CONFIG", "maxmemory", "maxmemory-policy")
	if err != nil {
		t.Fatal(err)
	}
	if got["maxmemory"] != "10485760" || got["maxmemory-policy"] != "allkeys-lru" {
		t.Errorf("after CONFIG SET: %v", got)
	}
	if err := ConfigSet(ctx, c, "CONFIG", nil); err != nil {
		t.Errorf("ConfigSet with no pairs: %v", err)
	}
}

func TestConfigSetAllOrNothing(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)
	c := dialServer(t, s)

	err := ConfigSet(ctx, c, "CONFIG", [][2]string{{"maxmemory", "20mb"}, {"maxmemory-policy", "bogus"}})
	var se *SetError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v (%T), want *SetError", err, err)
	}
	if se.Directive != "maxmemory-policy" || !strings.Contains(se.Reason, "allkeys-lru") || se.Addr != s.Addr() {
		t.Errorf("SetError = %+v", se)
	}
	mustContain(t, err, "maxmemory-policy", s.Addr(), "nothing was changed")
	got, err := ConfigGet(ctx, c, "CONFIG", "maxmemory")
	if err != nil {
		t.Fatal(err)
	}
	if got["maxmemory"] != "0" {
		t.Errorf("maxmemory = %q after the refused batch, want 0", got["maxmemory"])
	}

	err = ConfigSet(ctx, c, "CONFIG", [][2]string{{"maxmemory", "1mb"}, {"no-such-param", "1"}})
	if !errors.As(err, &se) || se.Directive != "no-such-param" {
		t.Errorf("unknown parameter: err = %v, want *SetError naming no-such-param", err)
	}
}

func TestConfigSetHidesSensitiveValues(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	c := dialServer(t, s)
	// requirepass takes one argument; the value must not show up in the
	// error whatever Redis says.
	err := ConfigSet(testContext(t), c, "CONFIG", [][2]string{{"requirepass", "hunter2-secret"}, {"maxmemory", "lots"}})
	var se *SetError
	if !errors.As(err, &se) || se.Directive != "maxmemory" {
		t.Fatalf("err = %v, want *SetError naming maxmemory", err)
	}
	mustNotContain(t, err, "hunter2-secret")
}

func TestConfigSetNoPermission(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{Config: "user reader on >reader-pass ~* +ping +info +config|get\n"})
	tg := targetFor(s)
	tg.Connection.Username, tg.Connection.Password = "reader", "reader-pass"
	c, err := Dial(tg.Connection)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = ConfigSet(testContext(t), c, "CONFIG", [][2]string{{"maxmemory", "1mb"}})
	var se *SetError
	if errors.As(err, &se) {
		t.Errorf("NOPERM reported as *SetError: %v", err)
	}
	mustContain(t, err, "the user reader lacks permission for CONFIG SET", "+config|set")
	mustNotContain(t, err, "reader-pass")
}

func TestInfoKeyspace(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)
	c := dialServer(t, s)
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	info, err := Info(ctx, c, "keyspace", "persistence")
	if err != nil {
		t.Fatal(err)
	}
	if got := info["db0"]; got != "keys=1,expires=0,avg_ttl=0" {
		t.Errorf("db0 = %q", got)
	}
	if info["aof_enabled"] != "0" {
		t.Errorf("aof_enabled = %q", info["aof_enabled"])
	}
	if _, ok := info["redis_version"]; ok {
		t.Error("INFO keyspace persistence returned the server section too")
	}
}

// fillKeys writes n small keys through a pipeline.
func fillKeys(t *testing.T, c *redis.Client, n int) {
	t.Helper()
	ctx := testContext(t)
	p := c.Pipeline()
	for i := range n {
		p.Set(ctx, "key:"+strconv.Itoa(i), strings.Repeat("x", 100), 0)
	}
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestEnableAOF(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)
	c := dialServer(t, s)
	fillKeys(t, c, 1000)

	if err := EnableAOF(ctx, c, "CONFIG"); err != nil {
		t.Fatalf("EnableAOF: %v", err)
	}
	checkAOFDone(t, c, s)
	// Already on: returns at once.
	if err := EnableAOF(ctx, c, "CONFIG"); err != nil {
		t.Fatalf("EnableAOF again: %v", err)
	}
}

func TestEnableAOFWhileBGSAVE(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)
	c := dialServer(t, s)
	fillKeys(t, c, 200)
	// Slow the BGSAVE child down (1ms per key) so that the AOF rewrite has
	// to be scheduled behind it.
	if err := ConfigSet(ctx, c, "CONFIG", [][2]string{{"rdb-key-save-delay", "1000"}}); err != nil {
		t.Fatal(err)
	}
	if err := c.BgSave(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := EnableAOF(ctx, c, "CONFIG"); err != nil {
		t.Fatalf("EnableAOF: %v", err)
	}
	checkAOFDone(t, c, s)
}

func checkAOFDone(t *testing.T, c *redis.Client, s *servertest.Server) {
	t.Helper()
	info, err := Info(testContext(t), c, "persistence")
	if err != nil {
		t.Fatal(err)
	}
	if !aofReady(info) {
		t.Errorf("INFO persistence after EnableAOF: %v", info)
	}
	if n, _ := strconv.Atoi(info["aof_rewrites"]); n < 1 {
		t.Errorf("aof_rewrites = %q, want >= 1", info["aof_rewrites"])
	}
	manifest, err := os.ReadFile(filepath.Join(s.Dir(), "appendonlydir", "appendonly.aof.manifest"))
	if err != nil {
		t.Fatalf("AOF manifest: %v", err)
	}
	if !strings.Contains(string(manifest), "type b") {
		t.Errorf("manifest lists no base file:\n%s", manifest)
	}
}

func TestEnableAOFRefused(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	c := dialServer(t, s)
	// Without its directory the server cannot create appendonlydir, and
	// CONFIG SET appendonly yes fails (the harness kills the server).
	if err := os.RemoveAll(s.Dir()); err != nil {
		t.Fatal(err)
	}
	err := EnableAOF(testContext(t), c, "CONFIG")
	var se *SetError
	if !errors.As(err, &se) || se.Directive != "appendonly" {
		t.Fatalf("err = %v, want *SetError naming appendonly", err)
	}
	mustContain(t, err, "Unable to turn on AOF")
}

func TestEnableAOFDeadline(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	c := dialServer(t, s)
	ctx, cancel := context.WithCancel(testContext(t))
	cancel()
	err := EnableAOF(ctx, c, "CONFIG")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("EnableAOF with a cancelled context: %v", err)
	}
}

func TestAOFTimeoutMessage(t *testing.T) {
	ep := endpoint{addr: "127.0.0.1:6379"}
	err := aofTimeout(ep, map[string]string{
		"aof_enabled": "1", "aof_rewrite_in_progress": "0", "aof_rewrite_scheduled": "1",
		"aof_last_bgrewrite_status": "err", "aof_rewrites_consecutive_failures": "3",
	}, context.DeadlineExceeded)
	mustContain(t, err, "127.0.0.1:6379", "aof_last_bgrewrite_status:err", "3 consecutive failures", "log")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("errors.Is(err, DeadlineExceeded) = false")
	}
	err = aofTimeout(ep, map[string]string{"aof_enabled": "1", "aof_rewrite_in_progress": "1"}, context.DeadlineExceeded)
	mustContain(t, err, "aof_rewrite_in_progress:1", "had not finished")
}
