package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/testwait"
)

// These tests drive the CLI in-process against real redis-servers and
// check what a user would check by hand: CONFIG GET, the file, the keys.

func writeSpec(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "spec.hcl")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func configGet(t *testing.T, c *redis.Client, name string) string {
	t.Helper()
	v, err := c.ConfigGet(context.Background(), name).Result()
	if err != nil {
		t.Fatalf("CONFIG GET %s: %v", name, err)
	}
	return v[name]
}

// daemon is a redis-server started the way a service manager would start
// it, daemonized from a config file, so that redisplan can stop and start
// it again through the spec's service commands. It is killed by the PID
// in its pidfile when the test ends.
type daemon struct {
	port             int
	conf, dir, start string
}

func startDaemon(t *testing.T, lines ...string) *daemon {
	t.Helper()
	return startDaemonAt(t, "", lines...)
}

// startDaemonAt is startDaemon with the config file in confDir, named
// redis-PORT.conf, when confDir is set: the layout of several servers on
// one host that a spec's config_file = ".../redis-{port}.conf" names.
func startDaemonAt(t *testing.T, confDir string, lines ...string) *daemon {
	t.Helper()
	bin := servertest.Binary(t)
	dir := t.TempDir()
	d := &daemon{dir: dir, start: bin}
	pidfile, logfile := filepath.Join(dir, "redis.pid"), filepath.Join(dir, "redis.log")
	t.Cleanup(func() {
		// The process may have been restarted by redisplan: the pidfile
		// names the current one.
		if b, err := os.ReadFile(filepath.Join(dir, "redis.pid")); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				syscall.Kill(pid, syscall.SIGKILL)
				testwait.For(t, 10*time.Second, fmt.Sprintf("redis-server (pid %d) to end after SIGKILL", pid), func() (bool, error) {
					return syscall.Kill(pid, 0) != nil || zombie(pid), nil
				})
			}
		}
	})
	// The port was free a moment ago: another test's server may take it
	// first. Ready means answering as the process the pidfile names.
	for attempt := 1; ; attempt++ {
		d.port = servertest.FreePort(t)
		d.conf = filepath.Join(dir, "redis.conf")
		if confDir != "" {
			d.conf = filepath.Join(confDir, fmt.Sprintf("redis-%d.conf", d.port))
		}
		base := []string{
			"# managed by a person before redisplan",
			"port " + strconv.Itoa(d.port),
			"bind 127.0.0.1",
			"dir " + dir,
			"daemonize yes",
			"pidfile " + pidfile,
			"logfile " + logfile,
		}
		if err := os.WriteFile(d.conf, []byte(strings.Join(append(base, lines...), "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(bin, d.conf).CombinedOutput(); err != nil {
			t.Fatalf("start redis-server: %v: %s", err, out)
		}
		probe := redis.NewClient(&redis.Options{Addr: d.addr(), Protocol: 2, DisableIdentity: true, MaxRetries: -1})
		err := testwait.Until(10*time.Second, func() (bool, error) {
			if log, _ := os.ReadFile(logfile); strings.Contains(string(log), "Address already in use") {
				return false, testwait.Stop(errPortTaken)
			}
			b, err := os.ReadFile(pidfile)
			if err != nil {
				return false, err
			}
			info, err := probe.Info(context.Background(), "server").Result()
			if err != nil {
				return false, err
			}
			if pid := strings.TrimSpace(string(b)); !strings.Contains(info, "process_id:"+pid+"\r\n") {
				return false, fmt.Errorf("the port is answered by another process than %s", pid)
			}
			return true, nil
		})
		probe.Close()
		if errors.Is(err, errPortTaken) && attempt < 3 {
			t.Logf("port %d was taken before redis-server could bind it; trying another port", d.port)
			os.Remove(logfile)
			if confDir != "" {
				os.Remove(d.conf)
			}
			continue
		}
		if err != nil {
			log, _ := os.ReadFile(logfile)
			t.Fatalf("redis-server did not start: %v\n%s", err, log)
		}
		return d
	}
}

// waitExited waits until the process its pidfile names has exited: a
// server that refuses its data (an early end of a streamed load) checks
// the RDB at its name before it exits, and holds its port meanwhile
// without answering.
func (d *daemon) waitExited(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(d.dir, "redis.pid"))
	if err != nil {
		return // removed by a clean exit, or never written
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return
	}
	testwait.For(t, 30*time.Second, fmt.Sprintf("redis-server (pid %d) to exit", pid), func() (bool, error) {
		return syscall.Kill(pid, 0) != nil || zombie(pid), nil
	})
}

// errPortTaken is a daemon's port taken by another process.
var errPortTaken = errors.New("its port was taken by another process")

// zombie reports whether pid has exited but was not reaped: a daemonized
// server's parent is init, which in a container may never reap it, and
// signal 0 still finds it.
func zombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses.
	_, rest, ok := strings.Cut(string(b), ") ")
	return ok && strings.HasPrefix(rest, "Z")
}

func (d *daemon) addr() string { return fmt.Sprintf("127.0.0.1:%d", d.port) }

func (d *daemon) client(t *testing.T) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: d.addr(), Protocol: 2, DisableIdentity: true})
	t.Cleanup(func() { c.Close() })
	return c
}

// answers reports whether the server answers PING now. It asks once: the
// retries of a client from client take about two seconds to give up on a
// server that is down.
func (d *daemon) answers() bool {
	c := redis.NewClient(&redis.Options{Addr: d.addr(), Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	defer c.Close()
	return c.Ping(context.Background()).Err() == nil
}

func (d *daemon) service() string {
	return fmt.Sprintf("service {\n    start = [%q, %q]\n  }", d.start, d.conf)
}

func TestApplyPersistsAcrossRestart(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	spec := writeSpec(t, fmt.Sprintf(`redis "main" {
  address     = %q
  config_file = %q
  memory {
    max    = "64mb"
    policy = "allkeys-lfu"
  }
  persistence {
    rdb {
      snapshot {
        after   = "15m"
        changes = 1
      }
    }
  }
}
`, srv.Addr(), srv.ConfigPath()))

	if code, out, errOut := runCLI(t, "plan", "-detailed-exitcode", "-config", spec); code != 2 {
		t.Fatalf("plan before apply: exit %d, want 2\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, "apply", "-auto-approve", "-config", spec); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := runCLI(t, "plan", "-detailed-exitcode", "-config", spec); code != 0 || !strings.Contains(out, "No changes. Redis matches the spec.") {
		t.Fatalf("plan after apply: exit %d, want 0 and no changes\n%s", code, out)
	}
	c := srv.Client(t)
	check := func(when string) {
		t.Helper()
		for name, want := range map[string]string{"maxmemory": "67108864", "maxmemory-policy": "allkeys-lfu", "save": "900 1"} {
			if got := configGet(t, c, name); got != want {
				t.Errorf("%s: %s = %q, want %q", when, name, got, want)
			}
		}
	}
	check("after apply")
	conf, _ := os.ReadFile(srv.ConfigPath())
	for _, line := range []string{"maxmemory 64mb", "maxmemory-policy allkeys-lfu", "save 900 1"} {
		if !strings.Contains(string(conf), line+"\n") {
			t.Errorf("redis.conf lacks %q:\n%s", line, conf)
		}
	}
	srv.Restart(t)
	check("after a restart")
}

func TestApplyRestartOnlyChange(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`, "appendonly yes")
	c := d.client(t)
	ctx := context.Background()
	for i := 0; i < 100; i++ {
		c.Set(ctx, fmt.Sprintf("key:%d", i), i, 0)
	}
	spec := writeSpec(t, fmt.Sprintf(`redis "main" {
  address     = %q
  config_file = %q
  %s
  settings = {
    "databases" = 32
  }
}
`, d.addr(), d.conf, d.service()))

	code, out, errOut := runCLI(t, "apply", "-auto-approve", "-config", spec)
	if code != 0 || !strings.Contains(out, "pending: databases") {
		t.Fatalf("apply without -allow-restart: exit %d, want 0 with databases pending\n%s%s", code, out, errOut)
	}
	if got := configGet(t, c, "databases"); got != "16" {
		t.Fatalf("databases = %s without -allow-restart, want it untouched (16)", got)
	}
	if code, out, _ := runCLI(t, "plan", "-detailed-exitcode", "-config", spec); code != 2 || !strings.Contains(out, "databases: 16 -> 32  [needs restart]") {
		t.Fatalf("the pending change is not shown: exit %d\n%s", code, out)
	}

	code, out, errOut = runCLI(t, "apply", "-auto-approve", "-allow-restart", "-config", spec)
	if code != 0 || !strings.Contains(out, "restarted the server") {
		t.Fatalf("apply -allow-restart: exit %d\n%s%s", code, out, errOut)
	}
	if got := configGet(t, c, "databases"); got != "32" {
		t.Errorf("databases = %s after the restart, want 32", got)
	}
	if n := c.DBSize(ctx).Val(); n != 100 {
		t.Errorf("DBSIZE = %d after the restart, want all 100 keys", n)
	}
	if code, out, _ := runCLI(t, "plan", "-detailed-exitcode", "-config", spec); code != 0 {
		t.Errorf("plan after the restart: exit %d\n%s", code, out)
	}
}

func TestApplyEnablesAOFWithoutLosingData(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`)
	c := d.client(t)
	ctx := context.Background()
	for i := 0; i < 1000; i++ {
		c.Set(ctx, fmt.Sprintf("key:%d", i), strings.Repeat("v", 100), 0)
	}
	spec := writeSpec(t, fmt.Sprintf(`redis "main" {
  address     = %q
  config_file = %q
  %s
  persistence {
    aof {
      enabled = true
      fsync   = "everysec"
    }
  }
}
`, d.addr(), d.conf, d.service()))
	code, out, errOut := runCLI(t, "plan", "-config", spec)
	if code != 0 || !strings.Contains(out, "enabling AOF starts a rewrite") {
		t.Fatalf("plan does not warn about the AOF rewrite: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, "apply", "-auto-approve", "-config", spec); code != 0 || !strings.Contains(out, "AOF enabled live and its first rewrite finished") {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	if n := c.DBSize(ctx).Val(); n != 1000 {
		log, _ := os.ReadFile(filepath.Join(d.dir, "redis.log"))
		t.Fatalf("DBSIZE right after apply = %d, want 1000\n%s", n, log)
	}
	// The trap: a restart with appendonly yes in the file and no AOF on
	// disk would start empty. redisplan made the AOF first.
	// The reply to SHUTDOWN is the connection closing; whether go-redis
	// reports that as EOF or a refused retry does not matter: waitGone
	// checks that the server is gone.
	_ = c.Do(ctx, "SHUTDOWN", "NOSAVE").Err()
	waitGone(t, d)
	if out, err := exec.Command(d.start, d.conf).CombinedOutput(); err != nil {
		t.Fatalf("restart: %v %s", err, out)
	}
	waitUp(t, c)
	if n := c.DBSize(ctx).Val(); n != 1000 {
		t.Fatalf("DBSIZE after a restart = %d, want 1000: the AOF did not hold the data", n)
	}
	if got := configGet(t, c, "appendonly"); got != "yes" {
		t.Errorf("appendonly = %s after restart, want yes from the file", got)
	}
}

func waitGone(t *testing.T, d *daemon) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: d.addr(), Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	defer c.Close()
	testwait.For(t, 10*time.Second, "the server to stop", func() (bool, error) {
		return c.Ping(context.Background()).Err() != nil, nil
	})
}

func waitUp(t *testing.T, c *redis.Client) {
	t.Helper()
	testwait.For(t, 10*time.Second, "the server to come back with its data loaded", func() (bool, error) {
		info, err := c.Info(context.Background(), "persistence").Result()
		return err == nil && strings.Contains(info, "loading:0"), err
	})
}

func TestApplyRejectedBatchChangesNothing(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	busy := servertest.Start(t, servertest.Options{})
	before, err := os.ReadFile(srv.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	// Redis accepts port as a value but cannot listen on a port another
	// server holds, so the whole CONFIG SET fails and rolls back.
	spec := writeSpec(t, fmt.Sprintf(`redis "main" {
  address     = %q
  config_file = %q
  memory {
    max = "32mb"
  }
  settings = {
    "port" = %d
  }
}
`, srv.Addr(), srv.ConfigPath(), busy.Port()))
	code, out, errOut := runCLI(t, "apply", "-auto-approve", "-config", spec)
	if code != 1 {
		t.Fatalf("apply: exit %d, want 1\n%s%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "port") || !strings.Contains(errOut, "Unable to listen on this port") {
		t.Errorf("the error does not name the directive and Redis's reason:\n%s", errOut)
	}
	if !strings.Contains(out, "rolled back: restored") {
		t.Errorf("apply does not say it restored the file:\n%s", out)
	}
	c := srv.Client(t)
	if got := configGet(t, c, "maxmemory"); got != "0" {
		t.Errorf("maxmemory = %s after a failed batch, want it unchanged (0)", got)
	}
	after, _ := os.ReadFile(srv.ConfigPath())
	if string(after) != string(before) {
		t.Errorf("the config file was not restored:\n--- before\n%s\n--- after\n%s", before, after)
	}
}

func TestApplyKeepsUnmanagedLinesAndCrontab(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	original := "# Operator notes: do not remove.\n\n# memory\nmaxmemory 1mb   # tuned in 2024\n\ninclude /nonexistent/*.conf\ntimeout 30\r\nhz 15\n"
	conf := filepath.Join(t.TempDir(), "redis.conf")
	if err := os.WriteFile(conf, []byte(original), 0o640); err != nil {
		t.Fatal(err)
	}
	cronFile := filepath.Join(t.TempDir(), "redisplan")
	cronBefore := "SHELL=/bin/sh\n# someone else's job\n5 * * * * root /usr/bin/true\n"
	if err := os.WriteFile(cronFile, []byte(cronBefore), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := writeSpec(t, fmt.Sprintf(`redis "main" {
  address     = %q
  config_file = %q
  memory {
    max    = "128mb"
    policy = "volatile-ttl"
  }
  backup {
    schedule    = "0 3 * * *"
    destination = "/var/backups/redis"
  }
  cron {
    file   = %q
    binary = "/usr/local/bin/redisplan"
  }
}
`, srv.Addr(), conf, cronFile))
	if code, out, errOut := runCLI(t, "apply", "-auto-approve", "-config", spec); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	got, _ := os.ReadFile(conf)
	gotLines := strings.Split(string(got), "\n")
	for i, line := range strings.Split(strings.TrimSuffix(original, "\n"), "\n") {
		if strings.HasPrefix(line, "maxmemory ") {
			continue
		}
		if i >= len(gotLines) || gotLines[i] != line {
			t.Errorf("line %d changed: %q, want %q\n%s", i+1, gotLines[min(i, len(gotLines)-1)], line, got)
		}
	}
	if !strings.Contains(string(got), "\nmaxmemory 128mb\n") || !strings.Contains(string(got), "maxmemory-policy volatile-ttl\n") {
		t.Errorf("managed lines missing:\n%s", got)
	}
	if info, _ := os.Stat(conf); info.Mode().Perm() != 0o640 {
		t.Errorf("mode = %o, want the file's own 0640", info.Mode().Perm())
	}
	cron, _ := os.ReadFile(cronFile)
	if !strings.HasPrefix(string(cron), cronBefore) {
		t.Errorf("lines outside the markers changed:\n%s", cron)
	}
	if !strings.Contains(string(cron), "# BEGIN redisplan main\n# redisplan owner: spec \""+spec+"\", target \"main\"\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n0 3 * * * root /usr/local/bin/redisplan backup run") {
		t.Errorf("the managed block is missing:\n%s", cron)
	}
	if code, out, _ := runCLI(t, "plan", "-detailed-exitcode", "-config", spec); code != 0 {
		t.Errorf("plan after apply: exit %d\n%s", code, out)
	}
}

func TestFleetWithOneUnreachableTarget(t *testing.T) {
	t.Parallel()
	var entries []string
	for i := 0; i < 4; i++ {
		srv := servertest.Start(t, servertest.Options{})
		entries = append(entries, fmt.Sprintf("    s%d = %q", i, srv.Addr()))
	}
	entries = append(entries, fmt.Sprintf("    s4 = \"127.0.0.1:%d\"", servertest.FreePort(t)))
	spec := writeSpec(t, fmt.Sprintf(`redis "fleet" {
  for_each = {
%s
  }
  address = each.value
  memory {
    max = "100mb"
  }
}
`, strings.Join(entries, "\n")))
	code, out, errOut := runCLI(t, "plan", "-parallelism", "3", "-config", spec)
	if code != 1 {
		t.Fatalf("plan: exit %d, want 1 for the unreachable target\n%s%s", code, out, errOut)
	}
	if !strings.Contains(errOut, `redis.fleet["s4"]`) || !strings.Contains(errOut, "connection refused") {
		t.Errorf("the error does not name the target and the cause:\n%s", errOut)
	}
	if n := strings.Count(out, "~ maxmemory: 0 -> 100mb  [live]"); n != 4 {
		t.Errorf("%d reachable targets planned, want 4:\n%s", n, out)
	}

	// Applying the reachable ones concurrently works.
	code, out, errOut = runCLI(t, "apply", "-auto-approve", "-config", spec, "-target", `fleet["s0"]`, "-target", `fleet["s1"]`, "-target", `fleet["s2"]`, "-target", `fleet["s3"]`)
	if code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	if n := strings.Count(out, "CONFIG SET maxmemory"); n != 4 {
		t.Errorf("%d targets applied, want 4:\n%s", n, out)
	}
}

func execCommand(name string, args ...string) ([]byte, error) {
	return exec.Command(name, args...).CombinedOutput()
}

// TestMissingConfigFile: a config_file that does not exist is either said
// to be created (the server runs without one) or refused as the typo it
// is (the server was started from another file), and then nothing is
// written anywhere.
func TestMissingConfigFile(t *testing.T) {
	t.Parallel()
	d := startDaemon(t)
	typo := filepath.Join(filepath.Dir(d.conf), "redis.cnof")
	spec := writeSpec(t, fmt.Sprintf(`redis "main" {
  address     = %q
  config_file = %q
  memory {
    max = "64mb"
  }
}
`, d.addr(), typo))
	code, out, errOut := runCLI(t, "plan", "-config", spec)
	if code != 1 || !strings.Contains(out+errOut, "config_file "+typo+" does not exist, and the server was started from "+d.conf) {
		t.Fatalf("plan with a mistyped config_file: exit %d, want 1 and the file the server reads named\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, "apply", "-auto-approve", "-config", spec); code != 1 {
		t.Fatalf("apply with a mistyped config_file: exit %d, want 1\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(typo); !os.IsNotExist(err) {
		t.Errorf("apply created the mistyped %s (stat: %v)", typo, err)
	}
	if got := configGet(t, d.client(t), "maxmemory"); got != "0" {
		t.Errorf("maxmemory = %s after a refused apply, want 0", got)
	}

	// A server started without a config file: the file is new, and the
	// plan says so before apply creates it.
	bare := startWithoutConfigFile(t)
	if started := bare.client(t).Info(context.Background(), "server").Val(); !strings.Contains(started, "config_file:\r\n") {
		t.Fatalf("the server was started from a config file; this case needs one without:\n%s", started)
	}
	fresh := filepath.Join(t.TempDir(), "redis.conf")
	spec = writeSpec(t, fmt.Sprintf(`redis "main" {
  address     = %q
  config_file = %q
  memory {
    max = "64mb"
  }
}
`, bare.addr(), fresh))
	code, out, errOut = runCLI(t, "plan", "-config", spec)
	if code != 0 || !strings.Contains(out, fresh+" does not exist: apply will create it") {
		t.Fatalf("plan with a new config_file: exit %d, want 0 and the file said to be created\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, "apply", "-auto-approve", "-config", spec); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	if b, err := os.ReadFile(fresh); err != nil || !strings.Contains(string(b), "maxmemory 64mb\n") {
		t.Errorf("the new config file: %v\n%s", err, b)
	}
}

// startWithoutConfigFile starts a daemonized redis-server from command-line
// options alone, as some installs do, killed by its pidfile's PID at the end.
func startWithoutConfigFile(t *testing.T) *daemon {
	t.Helper()
	dir := t.TempDir()
	d := &daemon{port: servertest.FreePort(t), dir: dir, start: servertest.Binary(t)}
	pidfile := filepath.Join(dir, "redis.pid")
	out, err := exec.Command(d.start, "--port", strconv.Itoa(d.port), "--bind", "127.0.0.1", "--dir", dir,
		"--daemonize", "yes", "--pidfile", pidfile, "--logfile", filepath.Join(dir, "redis.log"), "--save", "").CombinedOutput()
	if err != nil {
		t.Fatalf("start redis-server: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if b, err := os.ReadFile(pidfile); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	c := d.client(t)
	testwait.For(t, 10*time.Second, "redis-server to start", func() (bool, error) {
		err := c.Ping(context.Background()).Err()
		return err == nil, err
	})
	return d
}
