// Package engines_test runs redisplan's main paths on every server engine
// it supports (Redis 7.0 and 8.0, Valkey 8.0 and 8.1; internal/engines),
// through the CLI binary, built once: the seed's configuration planned,
// applied with a restart and converged; backups by BGSAVE and by
// replication restored to an identical DEBUG DIGEST; check passing.
package engines_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/engines"
	"github.com/redisplan/redisplan/internal/testwait"
)

// cli is the redisplan binary TestMain builds.
var cli string

func TestMain(m *testing.M) {
	code, err := buildAndRun(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(code)
}

func buildAndRun(m *testing.M) (int, error) {
	dir, err := os.MkdirTemp("", "redisplan-matrix-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	cli = filepath.Join(dir, "redisplan")
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out, err := exec.Command(gobin, "build", "-o", cli, "github.com/redisplan/redisplan/cmd/redisplan").CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("build the redisplan binary: %v\n%s", err, out)
	}
	return m.Run(), nil
}

// run runs the CLI and returns its exit code and output.
func run(t *testing.T, args ...string) (int, string) {
	t.Helper()
	return runEnv(t, nil, args...)
}

// runEnv is run with env added to this process's environment.
func runEnv(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cli, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err == nil {
		return 0, out.String()
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String()
	}
	t.Fatalf("run redisplan %v: %v\n%s", args, err, out.String())
	return -1, ""
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out := run(t, args...)
	if code != 0 {
		t.Fatalf("redisplan %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

// serverConf is what every test server needs: its own port, directory,
// pidfile and log, daemonized as a service manager would run it, and DEBUG
// allowed from loopback for DEBUG DIGEST.
func serverConf(port int, dir string) string {
	return fmt.Sprintf(`port %d
bind 127.0.0.1
dir %s
daemonize yes
pidfile %s
logfile %s
enable-debug-command local
`, port, dir, filepath.Join(dir, "redis.pid"), filepath.Join(dir, "redis.log"))
}

// seedConf is the seed system's redis.conf (docs/migrate.md: its
// persistence, memory, security and monitoring lines) on a test server.
func seedConf(port int, dir string) string {
	return serverConf(port, dir) + `
# Persistence
appendonly yes
appendfsync everysec
aof-use-rdb-preamble yes

save 3600 1
save 300 100
save 60 10000

# Memory
maxmemory 2gb
maxmemory-policy allkeys-lru

# Security
rename-command FLUSHDB ""
rename-command FLUSHALL ""
rename-command CONFIG ""

# Performance
lazyfree-lazy-eviction yes
lazyfree-lazy-expire yes
activerehashing yes
jemalloc-bg-thread yes

# Monitoring
slowlog-log-slower-than 10000
latency-monitor-threshold 100
notify-keyspace-events Ex
`
}

// seedSpec is the seed described as a spec (examples/redis.hcl without the
// Docker service, cron and webhook): CONFIG gets a secret name, which the
// server takes at the restart apply makes.
func seedSpec(addr, conf, server, dest string) string {
	return fmt.Sprintf(`variable "config_command" {
  type      = string
  sensitive = true
}

variable "backup_method" {
  type    = string
  default = "bgsave"
}

variable "backup_include" {
  type    = list(string)
  default = ["rdb", "aof"]
}

redis "main" {
  address     = %q
  config_file = %q

  service {
    start = [%q, %q]
  }

  persistence {
    aof {
      enabled      = true
      fsync        = "everysec"
      rdb_preamble = true
    }
    rdb {
      snapshot {
        after   = "1h"
        changes = 1
      }
      snapshot {
        after   = "5m"
        changes = 100
      }
      snapshot {
        after   = "1m"
        changes = 10000
      }
    }
  }

  memory {
    max    = "2gb"
    policy = "allkeys-lru"
    lazyfree {
      eviction = true
      expire   = true
    }
  }

  security {
    disabled_commands = ["FLUSHDB", "FLUSHALL"]
    renamed_commands = {
      CONFIG = var.config_command
    }
  }

  monitoring {
    slowlog_threshold = "10ms"
    latency_threshold = "100ms"
    keyspace_events   = "Ex"
  }

  settings = {
    "activerehashing"    = true
    "jemalloc-bg-thread" = true
  }

  backup {
    destination = %q
    method      = var.backup_method
    include     = var.backup_include
  }

  alerts {
    backup_age {
      critical = "25h"
    }
    rdb_save_failed {
      severity = "critical"
    }
  }
}
`, addr, conf, server, conf, dest)
}

// startSeed starts the engine daemonized from the seed's config, the way
// a service manager would, and kills it by its pidfile's PID at the end.
// On Valkey the server also offers dual-channel replication, which the
// replication backup method must not depend on (it never asks for it).
func startSeed(t *testing.T, e engines.Engine) (addr, conf, dir string) {
	t.Helper()
	if e.Kind == "valkey" {
		return startDaemon(t, e, func(port int, dir string) string {
			return seedConf(port, dir) + "\n# Replication\ndual-channel-replication-enabled yes\n"
		})
	}
	return startDaemon(t, e, seedConf)
}

// startDaemon starts the engine daemonized from the config file config
// gives for its port and directory, and kills it by its pidfile's PID at
// the end.
func startDaemon(t *testing.T, e engines.Engine, config func(port int, dir string) string) (addr, conf, dir string) {
	t.Helper()
	dir = t.TempDir()
	port := servertest.FreePort(t)
	conf = filepath.Join(dir, "redis.conf")
	if err := os.WriteFile(conf, []byte(config(port, dir)), 0o640); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(e.Server, conf).CombinedOutput(); err != nil {
		t.Fatalf("start %s: %v\n%s", e.Server, err, out)
	}
	// apply restarts the server: the pidfile names the current one, and
	// the cleanup kills it (and its fork children).
	servertest.WatchPidfile(t, filepath.Join(dir, "redis.pid"))
	addr = fmt.Sprintf("127.0.0.1:%d", port)
	waitUp(t, client(t, addr), dir)
	return addr, conf, dir
}

func client(t *testing.T, addr string) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

// waitUp waits until the server answers PING, for at most 20s.
func waitUp(t *testing.T, c *redis.Client, dir string) {
	t.Helper()
	if err := testwait.Until(20*time.Second, func() (bool, error) {
		err := c.Ping(context.Background()).Err()
		return err == nil, err
	}); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
		t.Fatalf("the server does not answer: %v\n%s", err, log)
	}
}

// fill writes every value type, in three databases, some keys with a TTL.
func fill(t *testing.T, addr, tag string) {
	t.Helper()
	ctx := context.Background()
	for db := 0; db < 3; db++ {
		c := redis.NewClient(&redis.Options{Addr: addr, DB: db, Protocol: 2, DisableIdentity: true})
		pipe := c.Pipeline()
		for i := 0; i < 300; i++ {
			k := fmt.Sprintf("%s:%d:%d", tag, db, i)
			pipe.Set(ctx, k+":s", fmt.Sprintf(`{"id":%d,"tag":%q}`, i, tag), 0)
			pipe.HSet(ctx, k+":h", "a", i, "b", tag)
			pipe.RPush(ctx, k+":l", "x", i, tag)
			pipe.SAdd(ctx, k+":set", "m1", i, tag)
			pipe.ZAdd(ctx, k+":z", redis.Z{Score: float64(i), Member: tag}, redis.Z{Score: 0.5, Member: "half"})
			pipe.XAdd(ctx, &redis.XAddArgs{Stream: k + ":x", ID: fmt.Sprintf("%d-1", i+1), Values: []any{"f", tag}})
			pipe.Set(ctx, k+":ttl", "v", time.Hour)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatalf("fill db %d: %v", db, err)
		}
		c.Close()
	}
}

func digest(t *testing.T, c *redis.Client) string {
	t.Helper()
	d, err := c.Do(context.Background(), "DEBUG", "DIGEST").Text()
	if err != nil {
		t.Fatalf("DEBUG DIGEST: %v", err)
	}
	return d
}

// everyEngine returns every wanted engine; one that is missing fails the
// test unless REDISPLAN_SKIP_ENGINES=1 is set.
func everyEngine(t *testing.T) []engines.Engine {
	t.Helper()
	list := engines.Require(t)
	if len(list) < len(engines.Wanted) && !engines.SkipRequested() {
		t.Fatalf("%d engines installed, want %d", len(list), len(engines.Wanted))
	}
	return list
}

// TestSeedOnEveryEngine runs on every installed engine, in parallel.
func TestSeedOnEveryEngine(t *testing.T) {
	for _, e := range everyEngine(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			seedOnEngine(t, e)
		})
	}
}

func seedOnEngine(t *testing.T, e engines.Engine) {
	addr, conf, dir := startSeed(t, e)
	c := client(t, addr)
	fill(t, addr, "seed")

	dest := t.TempDir()
	spec := filepath.Join(t.TempDir(), "redis.hcl")
	if err := os.WriteFile(spec, []byte(seedSpec(addr, conf, e.Server, dest)), 0o600); err != nil {
		t.Fatal(err)
	}
	secret := "-var=config_command=CONFIG_" + strings.ReplaceAll(e.Name, ".", "_")

	// Plan: CONFIG is disabled, so the plan is the restart that gives it
	// the spec's secret name.
	if code, out := run(t, "plan", "-detailed-exitcode", secret, "-config", spec); code != 2 {
		t.Fatalf("plan of the seed: exit %d, want 2 (changes)\n%s", code, out)
	}
	before := digest(t, c)
	mustRun(t, "apply", "-auto-approve", "-allow-restart", secret, "-config", spec)
	waitUp(t, c, dir)
	if got := digest(t, c); got != before {
		t.Fatalf("the data changed across apply's restart: digest %s, was %s", got, before)
	}
	if code, out := run(t, "plan", "-detailed-exitcode", secret, "-config", spec); code != 0 {
		t.Fatalf("plan after apply: exit %d, want 0 (converged)\n%s", code, out)
	}

	ctx := context.Background()
	// BGSAVE copies the RDB and the AOF; replication streams the RDB alone
	// (it has no access to the server's files).
	for _, b := range []struct{ method, include string }{{"bgsave", `["rdb","aof"]`}, {"replication", `["rdb"]`}} {
		method := b.method
		methodVar := "-var=backup_method=" + method
		includeVar := "-var=backup_include=" + b.include
		want := digest(t, c)
		out := mustRun(t, "backup", "run", secret, methodVar, includeVar, "-config", spec)
		if !strings.Contains(out, "verified") {
			t.Fatalf("backup run (%s) does not say the backup was verified:\n%s", method, out)
		}
		// Change the data (FLUSHALL is disabled by the seed), then restore.
		fill(t, addr, "after-"+method)
		if err := c.Del(ctx, "seed:0:1:s", "seed:0:2:h").Err(); err != nil {
			t.Fatal(err)
		}
		if digest(t, c) == want {
			t.Fatal("the data did not change after the backup")
		}
		out = mustRun(t, "restore", secret, methodVar, includeVar, "-config", spec, "-target", "main", "-latest", "-auto-approve")
		if !strings.Contains(out, "Restore complete") {
			t.Fatalf("restore (%s) output:\n%s", method, out)
		}
		waitUp(t, c, dir)
		if got := digest(t, c); got != want {
			t.Errorf("%s: after restoring the %s backup the digest is %s, want %s (the backup's)", e.Name, method, got, want)
		}
	}

	// The test's own DEBUG DIGEST calls walk every key and, on a loaded
	// machine, pass the seed's 100ms latency threshold: they are not the
	// server's health.
	if err := c.Do(ctx, "LATENCY", "RESET").Err(); err != nil {
		t.Fatalf("LATENCY RESET: %v", err)
	}
	if code, out := run(t, "check", secret, "-config", spec); code != 0 {
		t.Errorf("check: exit %d, want 0\n%s", code, out)
	}

	// drill rto loads the newest backup into a scratch server of the
	// engine's own binary (REDISPLAN_REDIS_SERVER): the spec sets no rto,
	// so it passes when the load succeeds and the keys match.
	env := []string{"REDISPLAN_REDIS_SERVER=" + e.Server}
	if code, out := runEnv(t, env, "drill", "rto", secret, "-config", spec, "-target", "main"); code != 0 {
		t.Errorf("drill rto on %s: exit %d, want 0\n%s", e.Name, code, out)
	}
}
