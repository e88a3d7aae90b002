package engines_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/internal/testwait"
)

// archiveBlock archives the target's writes, flushed every 200ms.
const archiveBlock = "    archive {\n      flush = \"200ms\"\n    }\n"

// archiveOn runs redisplan archive on the spec's target main until the
// test calls the function it returns, which stops it with SIGTERM and
// checks that it exited 0.
func archiveOn(t *testing.T, env []string, spec string) (stop func()) {
	t.Helper()
	cmd := exec.Command(cli, "archive", "-config", spec, "-target", "main")
	cmd.Env = append(os.Environ(), env...)
	log, err := os.Create(filepath.Join(t.TempDir(), "archive.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	output := func() string { b, _ := os.ReadFile(log.Name()); return string(b) }
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	return func() {
		t.Helper()
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("archive: %v\n%s", err, output())
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("archive did not end 30s after SIGTERM\n%s", output())
		}
	}
}

// archived writes a few keys and waits until the archiver has committed
// them (WAIT 1 returns 1 only then).
func archived(t *testing.T, addr, tag string) {
	t.Helper()
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true}).Conn()
	defer c.Close()
	for _, cmd := range [][]any{
		{"SET", tag + ":a", "1"}, {"INCRBY", "counter", 5}, {"HSET", tag + ":h", "f", "v"},
		{"SELECT", 2}, {"ZADD", tag + ":z", 1.5, "m"}, {"SELECT", 0},
	} {
		if err := c.Do(ctx, cmd...).Err(); err != nil {
			t.Fatalf("%v: %v", cmd, err)
		}
	}
	testwait.For(t, 2*time.Minute, "the archiver to commit the writes (WAIT 1 100 = 1)", func() (bool, error) {
		n, err := c.Do(ctx, "WAIT", 1, 100).Int()
		return n == 1, err
	})
}

// TestRestoreToTimeOnEngines: restore -to-time on a Redis 8.0 and a
// Valkey 8.1 target replays in a scratch server of the base's engine (the
// target's start command names it; PATH has only Redis 7.0, which loads
// neither base, and REDISPLAN_REDIS_SERVER is not set) and brings back the
// DEBUG DIGEST from just before a FLUSHALL. Without such a server the
// restore is refused before the replay, naming what it needs, and the
// target keeps its data.
func TestRestoreToTimeOnEngines(t *testing.T) {
	all := byName(t, "redis-7.0", "redis-8.0", "valkey-8.1")
	env := []string{"REDISPLAN_REDIS_SERVER=", "PATH=" + filepath.Dir(all["redis-7.0"].Server) + string(os.PathListSeparator) + os.Getenv("PATH")}
	for _, name := range []string{"redis-8.0", "valkey-8.1"} {
		e := all[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if p, err := exec.LookPath(filepath.Base(e.Server)); err == nil && e.Kind == "valkey" {
				t.Skipf("PATH has %s: this test needs a PATH without %s", p, filepath.Base(e.Server))
			}
			addr, conf, _ := startDaemon(t, e, plainConf)
			dest := t.TempDir()
			spec := specWith(t, addr, conf, e.Server, dest, archiveBlock, "")
			c := client(t, addr)
			stop := archiveOn(t, env, spec)
			archived(t, addr, "one")
			want := digest(t, c)
			at := time.Now().UTC()
			time.Sleep(20 * time.Millisecond)
			if err := c.FlushAll(context.Background()).Err(); err != nil {
				t.Fatal(err)
			}
			archived(t, addr, "after")
			stop()
			flushed := digest(t, c)

			// A start command that names no server binary (the refusal
			// comes before any start): with PATH's Redis 7.0 only, nothing
			// can replay the base.
			// The spec file is the same (its path is the backups' owner).
			raw, err := os.ReadFile(spec)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(spec, []byte(strings.Replace(string(raw), "start = [\""+e.Server, "start = [\"/bin/sh", 1)), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out := runEnv(t, env, "restore", "-config", spec, "-target", "main", "-to-time", at.Format(time.RFC3339Nano), "-auto-approve")
			if code == 0 {
				t.Fatalf("restore -to-time with no %s server succeeded:\n%s", e.Kind, out)
			}
			need := map[string]string{"redis": "a redis-server of Redis that loads RDB version 12 (Redis 7.4 or newer)",
				"valkey": "a valkey-server that loads RDB version 11 (Valkey 7.2 or newer)"}[e.Kind]
			for _, w := range []string{need, "REDISPLAN_REDIS_SERVER", "nothing was changed"} {
				if !strings.Contains(out, w) {
					t.Errorf("the refusal does not say %q:\n%s", w, out)
				}
			}
			if got := digest(t, c); got != flushed {
				t.Errorf("the refused restore changed the data: digest %s, was %s", got, flushed)
			}

			if err := os.WriteFile(spec, raw, 0o600); err != nil {
				t.Fatal(err)
			}
			out = mustRunEnv(t, env, "restore", "-config", spec, "-target", "main", "-to-time", at.Format(time.RFC3339Nano), "-auto-approve")
			if got := digest(t, client(t, addr)); got != want {
				t.Errorf("after restore -to-time the digest is %s; just before the FLUSHALL it was %s\n%s", got, want, out)
			}
		})
	}
}

func mustRunEnv(t *testing.T, env []string, args ...string) string {
	t.Helper()
	code, out := runEnv(t, env, args...)
	if code != 0 {
		t.Fatalf("redisplan %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
	return out
}
