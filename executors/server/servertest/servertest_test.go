package servertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

func TestStartPing(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{})
	c := s.Client(t)
	if got, err := c.Ping(context.Background()).Result(); err != nil || got != "PONG" {
		t.Fatalf("PING = %q, %v; want PONG\n%s", got, err, s.Log())
	}
	if want := fmt.Sprintf("127.0.0.1:%d", s.Port()); s.Addr() != want {
		t.Errorf("Addr() = %q, want %q", s.Addr(), want)
	}
	if got, want := s.ConfigPath(), filepath.Join(s.Dir(), "redis.conf"); got != want {
		t.Errorf("ConfigPath() = %q, want %q", got, want)
	}
	if !strings.Contains(s.Log(), "Ready to accept connections") {
		t.Errorf("the log has no readiness line:\n%s", s.Log())
	}
	if s.PID() <= 0 {
		t.Errorf("PID() = %d", s.PID())
	}
}

func TestDefaultsAreLoopbackAndNoSave(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{})
	want := map[string]string{"bind": "127.0.0.1", "save": "", "dir": s.Dir(), "appendonly": "no"}
	for k, v := range want {
		if got := configGet(t, s, k); got != v {
			t.Errorf("CONFIG GET %s = %q, want %q", k, got, v)
		}
	}
}

func TestRestartKeepsAOFData(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{Config: "appendonly yes\nappendfsync always\n"})
	ctx := context.Background()
	c := s.Client(t)
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	oldPID, oldPort := s.PID(), s.Port()
	s.Restart(t)
	if s.PID() == oldPID {
		t.Errorf("PID() = %d after Restart, want a new process", s.PID())
	}
	if s.Port() != oldPort {
		t.Errorf("Port() = %d after Restart, want %d", s.Port(), oldPort)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "appendonlydir")); err != nil {
		t.Errorf("no AOF directory: %v", err)
	}
	// The client made before the restart reconnects.
	if got, err := c.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("GET k after Restart = %q, %v; want \"v\"\n%s", got, err, s.Log())
	}
}

func TestTwoServersGetDifferentPorts(t *testing.T) {
	t.Parallel()
	a := Start(t, Options{})
	b := Start(t, Options{})
	if a.Port() == b.Port() {
		t.Fatalf("both servers on port %d", a.Port())
	}
	if a.Dir() == b.Dir() {
		t.Fatalf("both servers in %s", a.Dir())
	}
	ctx := context.Background()
	if err := a.Client(t).Set(ctx, "only-in-a", 1, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := b.Client(t).Exists(ctx, "only-in-a").Result(); err != nil || n != 0 {
		t.Fatalf("EXISTS on the other server = %d, %v; want 0", n, err)
	}
}

func TestStopEndsTheProcess(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{})
	pid := s.PID()
	s.Stop(t)
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("kill(%d, 0) after Stop = %v, want ESRCH", pid, err)
	}
	s.Stop(t) // idempotent
	s.Kill(t)
	if !strings.Contains(s.Log(), "Received SIGTERM") {
		t.Errorf("the log does not show a SIGTERM shutdown:\n%s", s.Log())
	}
}

func TestKillEndsTheProcess(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{})
	pid := s.PID()
	s.Kill(t)
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("kill(%d, 0) after Kill = %v, want ESRCH", pid, err)
	}
	s.Kill(t) // idempotent
	s.Stop(t)
}

func TestCleanupKillsTheServer(t *testing.T) {
	t.Parallel()
	var pid int
	t.Run("server", func(t *testing.T) {
		s := Start(t, Options{})
		pid = s.PID()
	})
	if pid == 0 {
		t.Fatal("the subtest started no server")
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("kill(%d, 0) after the test ended = %v, want ESRCH", pid, err)
	}
}

func TestConfigIsApplied(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{Config: "maxmemory 1mb\nmaxmemory-policy allkeys-lru"})
	if got := configGet(t, s, "maxmemory"); got != "1048576" {
		t.Errorf("CONFIG GET maxmemory = %q, want 1048576", got)
	}
	if got := configGet(t, s, "maxmemory-policy"); got != "allkeys-lru" {
		t.Errorf("CONFIG GET maxmemory-policy = %q, want allkeys-lru", got)
	}
}

func TestConfigSavePointsReplaceTheDefault(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{Config: "save 3600 1 300 100"})
	if got := configGet(t, s, "save"); got != "3600 1 300 100" {
		t.Errorf("CONFIG GET save = %q, want \"3600 1 300 100\"", got)
	}
}

func TestArgsOverrideTheConfig(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{Config: "maxmemory 1mb", Args: []string{"--maxmemory", "2mb"}})
	if got := configGet(t, s, "maxmemory"); got != "2097152" {
		t.Errorf("CONFIG GET maxmemory = %q, want 2097152", got)
	}
}

func TestConfigRewriteGoesToConfigPath(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{})
	ctx := context.Background()
	c := s.Client(t)
	if err := c.ConfigSet(ctx, "maxmemory", "3mb").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.ConfigRewrite(ctx).Err(); err != nil {
		t.Fatalf("CONFIG REWRITE: %v\n%s", err, s.Log())
	}
	b, err := os.ReadFile(s.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "maxmemory 3mb") {
		t.Errorf("%s after CONFIG REWRITE:\n%s", s.ConfigPath(), b)
	}
	s.Restart(t)
	if got := configGet(t, s, "maxmemory"); got != "3145728" {
		t.Errorf("CONFIG GET maxmemory after Restart = %q, want 3145728", got)
	}
}

func TestConfigFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "mine.conf")
	conf := "maxmemory-policy volatile-ttl\nsave \"\"\nport 1\nbind 0.0.0.0\n"
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	s := Start(t, Options{ConfigFile: path, Config: "maxmemory 1mb"})
	if s.ConfigPath() != path {
		t.Errorf("ConfigPath() = %q, want %q", s.ConfigPath(), path)
	}
	want := map[string]string{
		"maxmemory-policy": "volatile-ttl",
		"maxmemory":        "0", // Config is ignored with ConfigFile
		"port":             fmt.Sprint(s.Port()),
		"bind":             "127.0.0.1",
		"dir":              s.Dir(),
		"logfile":          s.LogPath(),
	}
	for k, v := range want {
		if got := configGet(t, s, k); got != v {
			t.Errorf("CONFIG GET %s = %q, want %q", k, got, v)
		}
	}
}

func TestPassword(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{Config: "requirepass s3cret", Password: "s3cret"})
	if err := s.Client(t).Ping(context.Background()).Err(); err != nil {
		t.Fatalf("PING with the password: %v", err)
	}
	s.Restart(t)
	s.Shutdown(t, false)
}

func TestRequirepassWithoutPasswordStillStarts(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{Config: "requirepass s3cret"})
	err := s.Client(t).Ping(context.Background()).Err()
	if err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		t.Fatalf("PING without the password = %v, want NOAUTH", err)
	}
}

func TestShutdownSave(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{})
	ctx := context.Background()
	if err := s.Client(t).Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	pid := s.PID()
	s.Shutdown(t, true)
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("kill(%d, 0) after Shutdown = %v, want ESRCH", pid, err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "dump.rdb")); err != nil {
		t.Fatalf("SHUTDOWN SAVE wrote no RDB: %v", err)
	}
	s.Restart(t) // starts the stopped server
	if got, err := s.Client(t).Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("GET k after SHUTDOWN SAVE and Restart = %q, %v; want \"v\"", got, err)
	}
}

func TestShutdownNoSave(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{Config: "save 3600 1"})
	ctx := context.Background()
	if err := s.Client(t).Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	s.Shutdown(t, false)
	if _, err := os.Stat(filepath.Join(s.Dir(), "dump.rdb")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("SHUTDOWN NOSAVE left an RDB behind: %v", err)
	}
	s.Restart(t)
	if n, err := s.Client(t).Exists(ctx, "k").Result(); err != nil || n != 0 {
		t.Fatalf("EXISTS k after SHUTDOWN NOSAVE and Restart = %d, %v; want 0", n, err)
	}
}

func TestStopDoesNotSaveByDefault(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{})
	if err := s.Client(t).Set(context.Background(), "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	s.Stop(t)
	if _, err := os.Stat(filepath.Join(s.Dir(), "dump.rdb")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Stop wrote an RDB the test did not ask for: %v", err)
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	v := Version(t)
	if !regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+`).MatchString(v) {
		t.Fatalf("Version() = %q, want a dotted version", v)
	}
}

// recorder is a testing.TB that records Fatalf and Skipf instead of
// stopping the test, to check what Binary reports.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	if r.fatal == "" {
		r.fatal = fmt.Sprintf(format, args...)
	}
}

func (r *recorder) Skipf(format string, args ...any) {
	if r.skip == "" {
		r.skip = fmt.Sprintf(format, args...)
	}
}

func TestMissingBinaryFailsWithInstallHint(t *testing.T) {
	t.Setenv(EnvSkip, "")
	t.Setenv(EnvServer, "/nonexistent/redis-server")
	r := &recorder{TB: t}
	if got := Binary(r); got != "" {
		t.Errorf("Binary() = %q, want \"\"", got)
	}
	if r.skip != "" {
		t.Errorf("Binary skipped (%q), want a failure", r.skip)
	}
	for _, want := range []string{"/nonexistent/redis-server", "apt-get install redis-server", EnvServer, EnvSkip + "=1"} {
		if !strings.Contains(r.fatal, want) {
			t.Errorf("failure message lacks %q:\n%s", want, r.fatal)
		}
	}
	if s := Start(r, Options{}); s != nil {
		t.Errorf("Start() = %v, want nil", s)
	}
}

func TestSkipRedis(t *testing.T) {
	t.Setenv(EnvSkip, "1")
	r := &recorder{TB: t}
	if got := Binary(r); got != "" {
		t.Errorf("Binary() = %q, want \"\"", got)
	}
	if r.fatal != "" {
		t.Errorf("Binary failed (%q), want a skip", r.fatal)
	}
	if !strings.Contains(r.skip, EnvSkip+"=1") || !strings.Contains(r.skip, "skipping") {
		t.Errorf("skip message = %q, want it to name %s=1 and say it skips", r.skip, EnvSkip)
	}
	if s := Start(r, Options{}); s != nil {
		t.Errorf("Start() = %v, want nil", s)
	}
}

func configGet(t *testing.T, s *Server, key string) string {
	t.Helper()
	m, err := s.Client(t).ConfigGet(context.Background(), key).Result()
	if err != nil {
		t.Fatalf("CONFIG GET %s: %v", key, err)
	}
	return m[key]
}
