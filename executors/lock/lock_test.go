package lock

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
)

func TestAcquireRelease(t *testing.T) {
	path := filepath.Join(t.TempDir(), "redis.conf.redisplan.lock")
	l, warning, err := Acquire(path, "apply main")
	if err != nil {
		t.Fatal(err)
	}
	if warning != "" {
		t.Errorf("warning for a free lock: %s", warning)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got&^0o600 != 0 {
		t.Errorf("lock file mode %o, want at most 600", got)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, since, holder := parse(string(b))
	if pid != os.Getpid() || since.IsZero() || holder != "apply main" {
		t.Errorf("lock file %q reads as pid %d time %v holder %q", b, pid, since, holder)
	}

	_, _, err = Acquire(path, "backup main")
	var held *HeldError
	if !errors.As(err, &held) {
		t.Fatalf("second Acquire: %v, want a *HeldError", err)
	}
	if held.PID != os.Getpid() || held.Holder != "apply main" || held.Path != path || !held.Since.Equal(since) {
		t.Errorf("HeldError = %+v", held)
	}
	msg := err.Error()
	for _, want := range []string{strconv.Itoa(os.Getpid()), "apply main", "rm " + path} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}

	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Errorf("second Release: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock file still there after Release: %v", err)
	}
	l2, _, err := Acquire(path, "backup main")
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	if err := l2.Release(); err != nil {
		t.Fatal(err)
	}
}

// deadPID returns the pid of a process that has exited and been reaped.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skipf("cannot run true: %v", err)
	}
	pid := cmd.Process.Pid
	if alive(pid) {
		t.Skipf("pid %d was reused already", pid)
	}
	return pid
}

func writeLock(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestTakeOverDeadProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	pid := deadPID(t)
	writeLock(t, path, fmt.Sprintf("pid=%d\ntime=2024-01-02T03:04:05Z\nholder=apply main\n", pid))

	l, warning, err := Acquire(path, "apply main")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	if !strings.Contains(warning, strconv.Itoa(pid)) || !strings.Contains(warning, "took over") {
		t.Errorf("warning %q does not say it took over the lock of %d", warning, pid)
	}
	b, _ := os.ReadFile(path)
	if got, _, _ := parse(string(b)); got != os.Getpid() {
		t.Errorf("lock file after take-over: %q", b)
	}
}

func TestUnreadableLockFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	writeLock(t, path, "garbage")

	_, _, err := Acquire(path, "apply")
	var held *HeldError
	if !errors.As(err, &held) || held.PID != 0 {
		t.Fatalf("fresh unreadable lock: %v, want a *HeldError without pid", err)
	}
	if !strings.Contains(err.Error(), "rm "+path) {
		t.Errorf("message %q does not say how to remove the lock", err)
	}

	old := time.Now().Add(-2 * staleAfter)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	l, warning, err := Acquire(path, "apply")
	if err != nil {
		t.Fatalf("old unreadable lock: %v", err)
	}
	defer l.Release()
	if warning == "" {
		t.Error("no warning for taking over an unreadable lock file")
	}
}

func TestReleaseKeepsAnotherHoldersLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	l, _, err := Acquire(path, "apply")
	if err != nil {
		t.Fatal(err)
	}
	other := "pid=1\ntime=2024-01-02T03:04:05Z\nholder=backup\n"
	writeLock(t, path, other)
	if err := l.Release(); err == nil {
		t.Error("Release removed a lock it no longer held")
	}
	if b, _ := os.ReadFile(path); string(b) != other {
		t.Errorf("lock file now %q", b)
	}

	os.Remove(path)
	if err := l.Release(); err == nil || !strings.Contains(err.Error(), "removed") {
		t.Errorf("Release of a removed lock file: %v", err)
	}
}

func TestConcurrentAcquire(t *testing.T) {
	for _, stale := range []bool{false, true} {
		t.Run(fmt.Sprintf("stale=%v", stale), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.lock")
			if stale {
				writeLock(t, path, fmt.Sprintf("pid=%d\ntime=2024-01-02T03:04:05Z\nholder=old\n", deadPID(t)))
			}
			const n = 16
			var (
				wg       sync.WaitGroup
				start    = make(chan struct{})
				mu       sync.Mutex
				won      []*Lock
				warnings int
			)
			for i := range n {
				wg.Go(func() {
					<-start
					l, warning, err := Acquire(path, fmt.Sprintf("worker %d", i))
					var held *HeldError
					if err != nil && !errors.As(err, &held) {
						t.Errorf("worker %d: %v", i, err)
					}
					mu.Lock()
					defer mu.Unlock()
					if l != nil {
						won = append(won, l)
					}
					if warning != "" {
						warnings++
					}
				})
			}
			close(start)
			wg.Wait()
			if len(won) != 1 {
				t.Fatalf("%d of %d concurrent Acquires succeeded, want 1", len(won), n)
			}
			// The one that removed the stale lock warns, unless another
			// worker created the lock before it could.
			if warnings > 1 {
				t.Errorf("%d take-over warnings, want at most 1", warnings)
			}
			if err := won[0].Release(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestPathFor(t *testing.T) {
	if got := PathFor("/etc/redis/redis.conf", "main", "127.0.0.1:6379"); got != "/etc/redis/redis.conf.redisplan.lock" {
		t.Errorf("PathFor with a config file = %s", got)
	}
	a := PathFor("", "main", "127.0.0.1:6379")
	if filepath.Dir(a) != filepath.Clean(os.TempDir()) || !strings.HasPrefix(filepath.Base(a), "redisplan-") || !strings.HasSuffix(a, ".lock") {
		t.Errorf("PathFor without a config file = %s", a)
	}
	if b := PathFor("", "main", "127.0.0.1:6379"); b != a {
		t.Errorf("PathFor is not stable: %s then %s", a, b)
	}
	for _, other := range []string{PathFor("", "main", "127.0.0.1:6380"), PathFor("", "cache", "127.0.0.1:6379"), PathFor("", "main1", "27.0.0.1:6379")} {
		if other == a {
			t.Errorf("two targets share the lock %s", a)
		}
	}
}

// TestReusedPID: a lock whose pid runs again as another process (pid 1
// of the next container, with the lock on a volume that outlived the
// killed one) is stale: the start time it recorded is not the process's.
func TestReusedPID(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	host, _ := os.Hostname()
	if backup.ProcStart(os.Getpid()) == "" {
		t.Skip("no /proc: process start times cannot be read")
	}
	writeLock(t, path, fmt.Sprintf("pid=%d\ntime=2026-01-02T03:04:05Z\nholder=backup main\nhost=%s\nstart=1\n", os.Getpid(), host))
	l, warning, err := Acquire(path, "backup main")
	if err != nil {
		t.Fatalf("a lock of a reused pid is respected: %v", err)
	}
	defer l.Release()
	if !strings.Contains(warning, "took over") {
		t.Errorf("warning %q does not say it took over the lock", warning)
	}
	b, _ := os.ReadFile(path)
	if h, start := origin(string(b)); h == "" || start != backup.ProcStart(os.Getpid()) {
		t.Errorf("the new lock records host %q start %q:\n%s", h, start, b)
	}
	// The live holder's own lock, with its true start time, holds.
	if _, _, err := Acquire(path, "backup main"); err == nil {
		t.Error("a second Acquire took the lock of a live holder")
	}
}

// TestOtherHostLock: a lock taken on another host (a pod before this one)
// cannot be checked: it holds, with a message naming the host and the
// file to remove, until it is older than backup.StaleAfter.
func TestOtherHostLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	since := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	writeLock(t, path, fmt.Sprintf("pid=1\ntime=%s\nholder=backup main\nhost=redisplan-main-backup-29001-x7k2p\nstart=42\n", since))
	_, _, err := Acquire(path, "backup main")
	var held *HeldError
	if !errors.As(err, &held) || held.Host != "redisplan-main-backup-29001-x7k2p" {
		t.Fatalf("Acquire = %v, want a *HeldError naming the other host", err)
	}
	for _, want := range []string{"redisplan-main-backup-29001-x7k2p", "rm " + path} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	old := time.Now().Add(-backup.StaleAfter - time.Hour).UTC().Format(time.RFC3339)
	writeLock(t, path, fmt.Sprintf("pid=1\ntime=%s\nholder=backup main\nhost=redisplan-main-backup-29001-x7k2p\nstart=42\n", old))
	l, warning, err := Acquire(path, "backup main")
	if err != nil {
		t.Fatalf("a day-old lock of another host: %v", err)
	}
	defer l.Release()
	if !strings.Contains(warning, "redisplan-main-backup-29001-x7k2p") {
		t.Errorf("warning %q does not name the host", warning)
	}
}
