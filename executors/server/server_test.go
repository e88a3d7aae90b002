package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redisplan/redisplan/internal/model"
)

// These tests run real redis-servers, found as the product finds them
// (REDISPLAN_REDIS_SERVER or PATH). The test harness (servertest) is built
// on this package, so it is not used here.

func binary(t *testing.T) string {
	t.Helper()
	if os.Getenv("REDISPLAN_SKIP_REDIS") == "1" {
		t.Skip("REDISPLAN_SKIP_REDIS=1 is set: skipping a test that needs a real redis-server")
	}
	bin, err := Binary()
	if err != nil {
		t.Fatalf("this test needs a real redis-server: %v", err)
	}
	return bin
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// spec is a scratch server in a new directory with config lines extra.
func spec(t *testing.T, extra ...string) Spec {
	bin := binary(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "redis.conf")
	logfile := filepath.Join(dir, "redis.log")
	return Spec{
		Bin: bin, Dir: dir, LogFile: logfile,
		Args: func(port int) ([]string, error) {
			text := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nlogfile %s\ndaemonize no\nsave \"\"\n%s\n", port, dir, logfile, strings.Join(extra, "\n"))
			return []string{conf}, os.WriteFile(conf, []byte(text), 0o600)
		},
	}
}

func start(t *testing.T, sp Spec) *Server {
	t.Helper()
	s, err := Start(testContext(t), sp)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Kill() })
	return s
}

func gone(pid int) bool { return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) }

func TestBinaryAndVersion(t *testing.T) {
	bin := binary(t)
	v, err := Version(testContext(t), bin)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`).MatchString(strings.TrimPrefix(v, "valkey ")) {
		t.Errorf("Version(%s) = %q, want a dotted release", bin, v)
	}
	t.Setenv(EnvBinary, filepath.Join(t.TempDir(), "no-redis-server"))
	_, err = Binary()
	if err == nil || !strings.Contains(err.Error(), "no-redis-server") || !strings.Contains(err.Error(), EnvBinary) {
		t.Errorf("Binary() with a missing binary = %v; want an error naming it and %s", err, EnvBinary)
	}
}

// Valkey prints its name first: catalog.For takes "valkey 8.0.1".
func TestVersionNamesValkey(t *testing.T) {
	for out, want := range map[string]string{
		"Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=f3b1b9e4d7c8f2c9": "7.0.15",
		"Valkey server v=8.0.1 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=8e6bf5f0d6f2a1e4": "valkey 8.0.1",
	} {
		bin := filepath.Join(t.TempDir(), "server")
		if err := os.WriteFile(bin, []byte("#!/bin/sh\necho '"+out+"'\n"), 0o700); err != nil {
			t.Fatal(err)
		}
		if got, err := Version(testContext(t), bin); err != nil || got != want {
			t.Errorf("Version of %q = %q, %v; want %q", out, got, err, want)
		}
	}
	bin := filepath.Join(t.TempDir(), "server")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho hello\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := Version(testContext(t), bin); err == nil || !strings.Contains(err.Error(), "no version") {
		t.Errorf("Version of a binary that prints no version = %v", err)
	}
}

// TestBinaryOf: the first candidate whose --version prints the release
// wins over PATH; a release no binary has falls back to PATH's
// redis-server with a note naming the release; REDISPLAN_REDIS_SERVER wins
// over everything.
func TestBinaryOf(t *testing.T) {
	fake := func(out string) string {
		bin := filepath.Join(t.TempDir(), "valkey-server")
		if err := os.WriteFile(bin, []byte("#!/bin/sh\necho '"+out+"'\n"), 0o700); err != nil {
			t.Fatal(err)
		}
		return bin
	}
	v81 := fake("Valkey server v=8.1.1 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=1")
	v80 := fake("Valkey server v=8.0.1 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=1")
	t.Setenv("PATH", filepath.Dir(binary(t)))
	t.Setenv(EnvBinary, "")
	ctx := testContext(t)

	if bin, note, err := BinaryOf(ctx, "valkey 8.1.1", "", "/nonexistent/valkey-server", v80, v81); bin != v81 || note != "" || err != nil {
		t.Errorf("BinaryOf(valkey 8.1.1) = %q, %q, %v; want %s", bin, note, err, v81)
	}
	bin, note, err := BinaryOf(ctx, "valkey 8.1.1", v80)
	if err != nil || filepath.Base(bin) != "redis-server" || !strings.Contains(note, "no valkey 8.1.1 binary") || !strings.Contains(note, EnvBinary) {
		t.Errorf("BinaryOf(valkey 8.1.1) without such a binary = %q, %q, %v; want redis-server from PATH and a note", bin, note, err)
	}
	if bin, note, err := BinaryOf(ctx, "", v81); err != nil || filepath.Base(bin) != "redis-server" || !strings.Contains(note, "could not be read") {
		t.Errorf("BinaryOf of an unread server = %q, %q, %v", bin, note, err)
	}
	t.Setenv(EnvBinary, v80)
	if bin, note, err := BinaryOf(ctx, "valkey 8.1.1", v81); bin != v80 || note != "" || err != nil {
		t.Errorf("BinaryOf with %s set = %q, %q, %v; want %s", EnvBinary, bin, note, err, v80)
	}
}

func TestFreePortCanBeBound(t *testing.T) {
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatalf("FreePort() = %d, which cannot be bound: %v", port, err)
	}
	l.Close()
}

func TestStartAnswersAsItsOwnProcess(t *testing.T) {
	t.Parallel()
	var started int
	sp := spec(t)
	sp.Started = func(pid int, addr string) { started = pid }
	s := start(t, sp)
	c := NewClient(s.Addr(), "", nil)
	defer c.Close()
	info, err := c.Info(testContext(t), "server", "persistence").Result()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(info, fmt.Sprintf("process_id:%d\r\n", s.PID())) || !strings.Contains(info, "loading:0\r\n") {
		t.Errorf("INFO of the started server (pid %d):\n%s", s.PID(), info)
	}
	if started != s.PID() {
		t.Errorf("Started saw pid %d, the server is %d", started, s.PID())
	}
	if s.Addr() != fmt.Sprintf("127.0.0.1:%d", s.Port()) {
		t.Errorf("Addr() = %q, Port() = %d", s.Addr(), s.Port())
	}
}

func TestStopEndsWithoutSaving(t *testing.T) {
	t.Parallel()
	s := start(t, spec(t, "save 3600 1"))
	c := NewClient(s.Addr(), "", nil)
	defer c.Close()
	if err := c.Set(testContext(t), "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(5 * time.Second); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !gone(s.PID()) {
		t.Errorf("pid %d still runs after Stop", s.PID())
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "dump.rdb")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Stop (SHUTDOWN NOSAVE) left an RDB: %v", err)
	}
	if err := s.Stop(time.Second); err != nil {
		t.Errorf("a second Stop: %v", err)
	}
}

// A server that refuses SHUTDOWN (here: renamed away) is killed, and
// Stop says so.
func TestStopKillsAServerThatRefuses(t *testing.T) {
	t.Parallel()
	s := start(t, spec(t, `rename-command SHUTDOWN ""`))
	err := s.Stop(5 * time.Second)
	if err == nil || !strings.Contains(err.Error(), "refused SHUTDOWN NOSAVE") || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Stop of a server without SHUTDOWN = %v", err)
	}
	if !gone(s.PID()) {
		t.Errorf("pid %d still runs after Stop", s.PID())
	}
}

func TestShutdownSaveAndRestartOnTheSamePort(t *testing.T) {
	t.Parallel()
	s := start(t, spec(t))
	ctx := testContext(t)
	c := NewClient(s.Addr(), "", nil)
	defer c.Close()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	oldPID, port := s.PID(), s.Port()
	if err := s.Restart(ctx); err == nil {
		t.Error("Restart of a running server did not fail")
	}
	if err := s.Shutdown(ctx, true); err != nil {
		t.Fatal(err)
	}
	if !gone(oldPID) {
		t.Fatalf("pid %d still runs after SHUTDOWN SAVE", oldPID)
	}
	if err := s.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if s.PID() == oldPID || s.Port() != port {
		t.Errorf("after Restart: pid %d (was %d), port %d (was %d)", s.PID(), oldPID, s.Port(), port)
	}
	if got, err := c.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Errorf("GET k after SHUTDOWN SAVE and Restart = %q, %v", got, err)
	}
}

// Kill is a crash: only what the AOF had fsynced comes back.
func TestKillIsACrash(t *testing.T) {
	t.Parallel()
	s := start(t, spec(t, "appendonly yes", "appendfsync always"))
	ctx := testContext(t)
	c := NewClient(s.Addr(), "", nil)
	defer c.Close()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	pid := s.PID()
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	if !gone(pid) || s.Process().Status() != "signal: killed" {
		t.Fatalf("after Kill: gone %v, status %q", gone(pid), s.Process().Status())
	}
	if err := s.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Errorf("GET k after the crash = %q, %v; want the fsynced write", got, err)
	}
}

func TestTerminateIsAnOrdinaryShutdown(t *testing.T) {
	t.Parallel()
	s := start(t, spec(t))
	forced, err := s.Terminate(10 * time.Second)
	if err != nil || forced {
		t.Fatalf("Terminate = %v, %v", forced, err)
	}
	b, _ := os.ReadFile(filepath.Join(s.Dir(), "redis.log"))
	if !strings.Contains(string(b), "Received SIGTERM") {
		t.Errorf("the log shows no SIGTERM:\n%s", b)
	}
}

func TestStartFailureQuotesTheLog(t *testing.T) {
	t.Parallel()
	sp := spec(t, "appendfsync sometimes")
	var pid int
	sp.Started = func(p int, _ string) { pid = p }
	_, err := Start(testContext(t), sp)
	for _, want := range []string{"did not become ready", "it exited", "the end of its log", "appendfsync"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Start with a bad config = %v; want it to say %q", err, want)
		}
	}
	if pid == 0 || !gone(pid) {
		t.Errorf("the server that failed (pid %d) was not reaped", pid)
	}
}

func TestStartOnATakenPort(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = StartOn(testContext(t), spec(t), l.Addr().(*net.TCPAddr).Port)
	if !errors.Is(err, ErrPortTaken) {
		t.Fatalf("StartOn a taken port = %v, want %v", err, ErrPortTaken)
	}
}

// An interrupted wait says so and wraps the context's error, so that a
// cancelled drill is reported as cancelled.
func TestStartCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(testContext(t))
	sp := spec(t)
	sp.Started = func(int, string) { cancel() }
	_, err := Start(ctx, sp)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "redisplan was interrupted") {
		t.Fatalf("Start cancelled while waiting = %v", err)
	}
}

func TestWaitLoaded(t *testing.T) {
	t.Parallel()
	s := start(t, spec(t, "requirepass secret-pass"))
	ctx := testContext(t)

	c := NewClient(s.Addr(), "secret-pass", nil)
	defer c.Close()
	info, err := WaitLoaded(ctx, c, Waiting{Name: s.Addr(), PID: s.PID()})
	if err != nil || info["loading"] != "0" || info["run_id"] == "" {
		t.Fatalf("WaitLoaded = %v, %v", info, err)
	}

	// Another process answering the port is not the one waited for.
	sctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	_, err = WaitLoaded(sctx, c, Waiting{Name: s.Addr(), PID: 1})
	if err == nil || !strings.Contains(err.Error(), "not 1") || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitLoaded for another pid = %v", err)
	}

	// A refusal returns at once.
	nc := NewClient(s.Addr(), "", nil)
	defer nc.Close()
	_, err = WaitLoaded(ctx, nc, Waiting{Name: s.Addr()})
	var refused *RefusedError
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), "NOAUTH") {
		t.Errorf("WaitLoaded without the password = %v, want a *RefusedError", err)
	}

	// A server known to be gone ends the wait with its error.
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	dead := errors.New("it exited")
	none := NewClient(fmt.Sprintf("127.0.0.1:%d", port), "", nil)
	defer none.Close()
	if _, err := WaitLoaded(ctx, none, Waiting{Exited: func() error { return dead }}); !errors.Is(err, dead) {
		t.Errorf("WaitLoaded of an exited server = %v", err)
	}
}

func TestNotAnsweringAndWaitGone(t *testing.T) {
	t.Parallel()
	s := start(t, spec(t))
	ctx := testContext(t)
	network, addr := Address(model.Connection{Address: s.Addr()})
	if down, err := NotAnswering(ctx, network, addr); down || err != nil {
		t.Errorf("NotAnswering on a running server = %v, %v", down, err)
	}
	sctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if err := WaitGone(sctx, s.Addr(), network, addr); err == nil || !strings.Contains(err.Error(), "still answered") {
		t.Errorf("WaitGone on a running server = %v", err)
	}
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	if down, _ := NotAnswering(ctx, network, addr); !down {
		t.Error("NotAnswering after the kill = false")
	}
	if err := WaitGone(ctx, s.Addr(), network, addr); err != nil {
		t.Errorf("WaitGone after the kill: %v", err)
	}
}

func TestAddress(t *testing.T) {
	for in, want := range map[string][2]string{
		"/run/redis/redis.sock": {"unix", "/run/redis/redis.sock"},
		"10.0.0.1":              {"tcp", "10.0.0.1:6379"},
		"10.0.0.1:7000":         {"tcp", "10.0.0.1:7000"},
		"[::1]":                 {"tcp", "[::1]:6379"},
		"localhost":             {"tcp", "localhost:6379"},
	} {
		n, a := Address(model.Connection{Address: in})
		if n != want[0] || a != want[1] {
			t.Errorf("Address(%q) = %s %s, want %s %s", in, n, a, want[0], want[1])
		}
	}
}

// KillPID kills a server redisplan did not start and never kills a
// process that is not a server.
func TestKillPID(t *testing.T) {
	t.Parallel()
	s := start(t, spec(t))
	if !ProcessAlive(s.PID()) || !IsServerProcess(s.PID()) {
		t.Fatalf("pid %d: alive %v, server %v", s.PID(), ProcessAlive(s.PID()), IsServerProcess(s.PID()))
	}
	if err := KillPID(s.PID()); err != nil {
		t.Fatal(err)
	}
	<-s.Process().Done()
	if ProcessAlive(s.PID()) {
		t.Error("the server still runs after KillPID")
	}
	if err := KillPID(s.PID()); err != nil {
		t.Errorf("KillPID of a process that is gone = %v", err)
	}

	sleep := exec.Command("sleep", "30")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sleep.Process.Kill(); _ = sleep.Wait() }()
	if err := KillPID(sleep.Process.Pid); err == nil || !strings.Contains(err.Error(), "not a redis-server") {
		t.Errorf("KillPID of sleep = %v", err)
	}
	if !ProcessAlive(sleep.Process.Pid) {
		t.Error("KillPID killed a process that is not a server")
	}
}

func TestRunCommand(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	if err := RunCommand(ctx, "start", []string{"true"}); err != nil {
		t.Errorf("RunCommand(true) = %v", err)
	}
	err := RunCommand(ctx, "stop", []string{"sh", "-c", "echo unit redis.service not loaded; exit 5"})
	var cerr *CommandError
	if !errors.As(err, &cerr) || cerr.Output != "unit redis.service not loaded" || cerr.What != "stop" {
		t.Fatalf("RunCommand of a failing command = %#v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "service stop command") || !strings.Contains(msg, "exit status 5") || !strings.Contains(msg, "its output:\nunit redis.service not loaded") {
		t.Errorf("message: %s", msg)
	}
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		t.Errorf("the exec error is not reachable: %v", err)
	}
	// A daemon the command leaves behind keeps its output open: the
	// command still succeeded.
	if err := RunCommand(ctx, "start", []string{"sh", "-c", "sleep 5 & echo started"}); err != nil {
		t.Errorf("RunCommand of a command that leaves a daemon = %v", err)
	}
	if err := RunCommand(ctx, "start", nil); err == nil {
		t.Error("RunCommand without a command did not fail")
	}
}

func TestTail(t *testing.T) {
	if got := TailOf([]byte("abcdef\n\n"), 10); got != "abcdef" {
		t.Errorf("TailOf short = %q", got)
	}
	tb := &Tail{Max: 4}
	for _, s := range []string{"ab", "cd", "ef"} {
		_, _ = tb.Write([]byte(s))
	}
	if got := tb.String(); got != "[...]cdef" {
		t.Errorf("Tail = %q, want [...]cdef", got)
	}
}
