package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/failpoint"
	"github.com/redisplan/redisplan/internal/testwait"
)

// Fault injection: redisplan killed with SIGKILL at chosen moments, the
// server killed under it, broken destinations, concurrent runs. Each test
// asserts where the data ends up, not only an exit code.

var (
	builtOnce sync.Once
	builtPath string
	builtErr  error
)

// binary returns the redisplan command for the tests that must run it as
// a process of its own (to kill it, or run it as another user): the test
// binary under the name redisplan, which TestMain runs as redisplan's
// main. It lives in binDir, which every user can reach.
func binary(t *testing.T) string {
	t.Helper()
	builtOnce.Do(func() {
		exe, err := os.Executable()
		if err != nil {
			builtErr = err
			return
		}
		builtPath = filepath.Join(binDir, "redisplan")
		if os.Link(exe, builtPath) == nil {
			return
		}
		builtErr = copyExecutable(exe, builtPath)
	})
	if builtErr != nil {
		t.Fatal(builtErr)
	}
	return builtPath
}

// copyExecutable copies the file from to the new file to, mode 0755.
func copyExecutable(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// killWhen starts redisplan with args, waits until ready() says the
// moment has come, and SIGKILLs it. It fails the test if the command ends
// on its own first.
func killWhen(t *testing.T, ready func() bool, args ...string) {
	t.Helper()
	cmd, out, done := startBinary(t, args...)
	var ended error
	// The moment may last only milliseconds: poll every millisecond.
	err := testwait.UntilEvery(30*time.Second, time.Millisecond, func() (bool, error) {
		select {
		case err := <-done:
			ended = fmt.Errorf("redisplan %v ended (%v) before the moment to kill it came", args, err)
			return false, testwait.Stop(ended)
		default:
		}
		return ready(), nil
	})
	if ended != nil {
		t.Fatalf("%v:\n%s", ended, out)
	}
	if err != nil {
		cmd.Process.Kill()
		<-done
		t.Fatalf("the moment to kill redisplan %v never came: %v\n%s", args, err, out)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// startBinary starts redisplan with args as a process of its own, its
// stdout and stderr into out; done receives cmd.Wait's result.
func startBinary(t *testing.T, args ...string) (cmd *exec.Cmd, out *strings.Builder, done chan error) {
	t.Helper()
	cmd = exec.Command(binary(t), args...)
	out = &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done = make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	return cmd, out, done
}

func backupIDs(t *testing.T, spec string) []string {
	t.Helper()
	out := mustRun(t, "backup", "list", "-config", spec)
	var ids []string
	for _, l := range strings.Split(out, "\n")[1:] {
		// Lines naming what is left alone start with "redis.TARGET:".
		if f := strings.Fields(l); len(f) > 1 && !strings.HasSuffix(f[0], ":") {
			ids = append(ids, f[1])
		}
	}
	return ids
}

func TestKillBackupRun(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`)
	fillDataset(t, d.addr(), "k")
	c := d.client(t)
	ctx := context.Background()
	dest := t.TempDir()
	spec := backupSpec(t, d, dest, "")
	mustRun(t, "backup", "run", "-config", spec)
	earlier := backupIDs(t, spec)

	// During the BGSAVE wait: the server saves slowly (rdb-key-save-delay
	// is in microseconds per key).
	c.ConfigSet(ctx, "rdb-key-save-delay", "2000")
	killWhen(t, func() bool { return infoValue(t, c, "rdb_bgsave_in_progress") == "1" }, "backup", "run", "-config", spec)
	c.ConfigSet(ctx, "rdb-key-save-delay", "0")
	testwait.For(t, 30*time.Second, "the killed run's BGSAVE to end", func() (bool, error) {
		return infoValue(t, c, "rdb_bgsave_in_progress") == "0", nil
	})
	if got := backupIDs(t, spec); !cmp.Equal(got, earlier) {
		t.Fatalf("after a kill during BGSAVE the catalog is %v, want only the earlier %v", got, earlier)
	}

	// Before the final rename: every file and the manifest are written
	// and synced in the pending directory, which is not yet a backup.
	killedAt(t, failpoint.BackupBeforeRename, "backup", "run", "-no-prune", "-config", spec)
	pending, _ := filepath.Glob(filepath.Join(dest, "main", ".pending-*", "manifest.json"))
	if len(pending) != 1 {
		t.Fatalf("the kill before the rename left %d complete pending directories, want 1 (the kill came elsewhere)", len(pending))
	}
	if got := backupIDs(t, spec); !cmp.Equal(got, earlier) {
		t.Fatalf("after a kill before the rename the catalog is %v, want only the earlier %v", got, earlier)
	}

	out := mustRun(t, "backup", "verify", "-config", spec, earlier[0])
	if !strings.Contains(out, "is intact") {
		t.Errorf("the earlier backup does not verify:\n%s", out)
	}
	mustRun(t, "backup", "run", "-no-prune", "-config", spec)
	if got := backupIDs(t, spec); len(got) != 2 {
		t.Errorf("the run after the kills did not add exactly one backup: %v", got)
	}
	// No pending leftovers remain once a run has cleaned up.
	leftovers, _ := filepath.Glob(filepath.Join(dest, "main", ".pending-*"))
	if len(leftovers) != 0 {
		t.Errorf("leftovers after the next run: %v", leftovers)
	}
}

func TestKillRestore(t *testing.T) {
	t.Parallel()
	for _, moment := range []string{"while staging", "after the server stopped"} {
		t.Run(moment, func(t *testing.T) {
			t.Parallel()
			// Bulk in db 5 (not compared) makes loading take long enough
			// for the kill to land while the server is down.
			d, spec, backedUp, original := restoreSetup(t, 300000)
			c := d.client(t)
			ctx := context.Background()

			var ready func() bool
			switch moment {
			case "while staging":
				ready = func() bool {
					m, _ := filepath.Glob(filepath.Join(d.dir, ".redisplan-restore-*", "dump.rdb"))
					return len(m) > 0
				}
			default:
				probe := redis.NewClient(&redis.Options{Addr: d.addr(), Protocol: 2, DisableIdentity: true, MaxRetries: -1})
				defer probe.Close()
				ready = func() bool { return probe.Ping(ctx).Err() != nil }
			}
			killWhen(t, ready, "restore", "-config", spec, "-target", "main", "-latest", "-auto-approve")

			// Whatever the moment, the server must come back (started by
			// hand if redisplan had stopped it) with one complete set of
			// data: the original or the backup's, never none, never mixed.
			if !d.answers() {
				d.waitExited(t)
				if out, err := execCommand(d.start, d.conf); err != nil {
					t.Fatalf("start: %v %s", err, out)
				}
				waitUp(t, c)
			}
			got := dataset(t, d.addr())
			if !cmp.Equal(got, original) && !cmp.Equal(got, backedUp) {
				t.Fatalf("after a kill %s the server holds %d keys that are neither the original data nor the backup's", moment, len(got))
			}
			// And a new restore still works and finishes the job.
			mustRun(t, "restore", "-config", spec, "-target", "main", "-latest", "-auto-approve")
			if diff := cmp.Diff(backedUp, dataset(t, d.addr())); diff != "" {
				t.Errorf("the restore after the kill differs (-want +got):\n%s", diff)
			}
			// The killed restore may have left the restored server's
			// refusal of writes in the config file: the new one does not
			// take it for the user's setting.
			if err := c.Set(ctx, "after-restore", "1", 0).Err(); err != nil {
				t.Errorf("SET after the restore that followed the kill: %v", err)
			}
		})
	}
}

// TestKillApplyAfterFileWrite kills apply with SIGKILL between the file
// write and the CONFIG SET (at the failpoint there, the window being too
// short to hit from outside): the file already says what the spec says,
// the server does not. The next plan shows exactly that difference and
// apply converges.
func TestKillApplyAfterFileWrite(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	spec := writeSpec(t, fmt.Sprintf(`redis "main" {
  address     = %q
  config_file = %q
  memory {
    max    = "48mb"
    policy = "allkeys-lru"
  }
}
`, srv.Addr(), srv.ConfigPath()))
	killedAt(t, failpoint.ApplyAfterFileWrite, "apply", "-auto-approve", "-config", spec)

	conf, err := os.ReadFile(srv.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(conf), "maxmemory 48mb") {
		t.Fatalf("the kill came before the file was written:\n%s", conf)
	}
	if got := configGet(t, srv.Client(t), "maxmemory"); got != "0" {
		t.Fatalf("maxmemory = %s: the kill came after the CONFIG SET", got)
	}
	code, out, _ := runCLI(t, "plan", "-detailed-exitcode", "-config", spec)
	if code != 2 || !strings.Contains(out, "~ maxmemory: 0 -> 48mb  [live]") || !strings.Contains(out, "Plan: 2 live changes, 0 needs restart, 0 file changes") {
		t.Fatalf("plan after an interrupted apply: exit %d\n%s", code, out)
	}
	mustRun(t, "apply", "-auto-approve", "-config", spec)
	if code, out, _ := runCLI(t, "plan", "-detailed-exitcode", "-config", spec); code != 0 {
		t.Fatalf("apply did not converge: exit %d\n%s", code, out)
	}
	if got := configGet(t, srv.Client(t), "maxmemory"); got != "50331648" {
		t.Errorf("maxmemory = %s after the second apply, want 48mb", got)
	}
}

// killedAt runs redisplan with the failpoint set and checks that it died
// there, by SIGKILL.
func killedAt(t *testing.T, point string, args ...string) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(os.Environ(), failpoint.Env+"="+point)
	out, err := cmd.CombinedOutput()
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if err == nil || !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("redisplan %v did not die at %s (%v):\n%s", args, point, err, out)
	}
}

func TestServerKilledDuringBackup(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`)
	fillDataset(t, d.addr(), "k")
	c := d.client(t)
	spec := backupSpec(t, d, t.TempDir(), "")
	c.ConfigSet(context.Background(), "rdb-key-save-delay", "2000")
	cmd := exec.Command(binary(t), "backup", "run", "-config", spec)
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	testwait.For(t, 30*time.Second, "the backup's BGSAVE to start", func() (bool, error) {
		return infoValue(t, c, "rdb_bgsave_in_progress") == "1", nil
	})
	pid := infoValue(t, c, "process_id")
	exec.Command("kill", "-9", pid).Run()
	err := cmd.Wait()
	if err == nil || !strings.Contains(out.String(), "backup of redis.main failed") {
		t.Fatalf("backup with the server killed under it: %v\n%s", err, out)
	}
	if ids := backupIDs(t, spec); len(ids) != 0 {
		t.Errorf("a failed backup left catalog entries: %v", ids)
	}
	t.Logf("the error said: %s", strings.TrimSpace(out.String()))
}

func TestConcurrentBackupRuns(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`)
	fillDataset(t, d.addr(), "k")
	c := d.client(t)
	spec := backupSpec(t, d, t.TempDir(), "")
	c.ConfigSet(context.Background(), "rdb-key-save-delay", "1000")
	first := exec.Command(binary(t), "backup", "run", "-config", spec)
	firstOut := &strings.Builder{}
	first.Stdout, first.Stderr = firstOut, firstOut
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	testwait.For(t, 30*time.Second, "the backup's BGSAVE to start", func() (bool, error) {
		return infoValue(t, c, "rdb_bgsave_in_progress") == "1", nil
	})
	code, _, errOut := runCLI(t, "backup", "run", "-config", spec)
	if code != 1 || !strings.Contains(errOut, fmt.Sprint(first.Process.Pid)) || !strings.Contains(errOut, "redisplan backup run") {
		t.Errorf("the second run: exit %d, want 1 naming the holder (pid %d):\n%s", code, first.Process.Pid, errOut)
	}
	c.ConfigSet(context.Background(), "rdb-key-save-delay", "0")
	if err := first.Wait(); err != nil {
		t.Fatalf("the first run: %v\n%s", err, firstOut)
	}
	if ids := backupIDs(t, spec); len(ids) != 1 {
		t.Errorf("catalog = %v, want exactly the first run's backup", ids)
	}
}

func TestUnwritablePlaces(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`)
	fillDataset(t, d.addr(), "k")
	// As root, permissions stop nothing; a regular file where a directory
	// must be stops everyone.
	blocker := filepath.Join(t.TempDir(), "not-a-dir")
	os.WriteFile(blocker, []byte("x"), 0o600)

	spec := backupSpec(t, d, filepath.Join(blocker, "backups"), "")
	code, _, errOut := runCLI(t, "backup", "run", "-config", spec)
	if code != 1 || !strings.Contains(errOut, blocker) {
		t.Errorf("backup into an impossible destination: exit %d, want 1 naming the path:\n%s", code, errOut)
	}

	spec = writeSpec(t, fmt.Sprintf("redis \"main\" {\n  address     = %q\n  config_file = %q\n  memory {\n    max = \"16mb\"\n  }\n}\n", d.addr(), filepath.Join(blocker, "redis.conf")))
	code, _, errOut = runCLI(t, "apply", "-auto-approve", "-config", spec)
	if code != 1 || !strings.Contains(errOut, blocker) {
		t.Errorf("apply with an impossible config file: exit %d, want 1 naming the path:\n%s", code, errOut)
	}
	if got := configGet(t, d.client(t), "maxmemory"); got != "0" {
		t.Errorf("maxmemory = %s: a failed apply changed the server", got)
	}
}

func TestConnectionErrors(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{Config: "requirepass right-password\nuser limited on >pw ~* +ping +info"})
	for _, tc := range []struct{ name, conn, want string }{
		{"wrong password", `password = "wrong-password"`, "authentication failed"},
		{"no CONFIG permission", "username = \"limited\"\n  password = \"pw\"", "lacks permission for CONFIG GET"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := writeSpec(t, fmt.Sprintf("redis \"main\" {\n  address = %q\n  %s\n  memory {\n    max = \"1mb\"\n  }\n}\n", srv.Addr(), tc.conn))
			code, out, errOut := runCLI(t, "plan", "-config", spec)
			if code != 1 || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, want 1 with %q:\n%s%s", code, tc.want, out, errOut)
			}
			if strings.Contains(out+errOut, "wrong-password") || strings.Contains(out+errOut, "right-password") {
				t.Errorf("a password is in the output:\n%s%s", out, errOut)
			}
		})
	}
}

// bulk writes n keys of 100 bytes into db 5 with one script call.
func bulk(t *testing.T, addr string, n int) {
	t.Helper()
	// Pipelined batches rather than one script: a long script makes the
	// server answer BUSY to everyone, the test's own retries included,
	// when the machine is slow.
	c := redis.NewClient(&redis.Options{Addr: addr, DB: 5, Protocol: 2, DisableIdentity: true, ReadTimeout: time.Minute})
	defer c.Close()
	value := strings.Repeat("b", 100)
	for i := 0; i < n; i += 10000 {
		p := c.Pipeline()
		for j := i; j < min(i+10000, n); j++ {
			p.Set(context.Background(), fmt.Sprintf("bulk:%d", j), value, 0)
		}
		if _, err := p.Exec(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDestinationFull(t *testing.T) {
	t.Parallel()
	dest := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", dest).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs here (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dest).Run() })
	d := startDaemon(t, `save ""`)
	c := d.client(t)
	c.Set(context.Background(), "small", "fits", 0)
	spec := backupSpec(t, d, dest, `    compression = "none"`)
	mustRun(t, "backup", "run", "-config", spec)
	earlier := backupIDs(t, spec)

	// About 3 MB of random bytes, which neither LZF nor anything else
	// shrinks: more than the disk holds.
	p := c.Pipeline()
	buf := make([]byte, 1024)
	for i := 0; i < 3000; i++ {
		rand.Read(buf)
		p.Set(context.Background(), fmt.Sprintf("random:%d", i), string(buf), 0)
	}
	if _, err := p.Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCLI(t, "backup", "run", "-config", spec)
	if code != 1 || !strings.Contains(errOut, "no space left on device") {
		t.Fatalf("backup onto a full disk: exit %d, want 1 saying so:\n%s", code, errOut)
	}
	if got := backupIDs(t, spec); !cmp.Equal(got, earlier) {
		t.Errorf("catalog = %v, want only the earlier %v", got, earlier)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dest, "main", ".pending-*"))
	if len(leftovers) != 0 {
		t.Errorf("the failed run left %v", leftovers)
	}
	if out := mustRun(t, "backup", "verify", "-config", spec, earlier[0]); !strings.Contains(out, "is intact") {
		t.Errorf("the earlier backup does not verify:\n%s", out)
	}
}

// asUnprivileged runs redisplan as a user without write permission on
// the test's directories: nobody when the tests run as root (for whom
// permissions stop nothing), else the current user.
func asUnprivileged(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	state := t.TempDir()
	traversable(t, state)
	os.Chmod(state, 0o777)
	cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+state)
	if os.Geteuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}
	out, err := cmd.CombinedOutput()
	if err != nil && cmd.ProcessState == nil {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), string(out)
}

// traversable lets every user through the directories from dir up to
// the system temp directory, so that only the mode a test sets on
// purpose stops the unprivileged user.
func traversable(t *testing.T, dir string) {
	t.Helper()
	top := filepath.Clean(os.TempDir())
	for d := filepath.Clean(dir); strings.HasPrefix(d, top+string(filepath.Separator)); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPermissionDenied: a destination, a config file and a data dir that
// the user running redisplan may not write. Each error names the path and
// the permission, and nothing changes.
func TestPermissionDenied(t *testing.T) {
	t.Parallel()
	// The data dir apart from the config file's directory, so that each
	// can be the one place redisplan may not write.
	dataDir := t.TempDir()
	d := startDaemon(t, `save ""`, "dir "+dataDir)
	fillDataset(t, d.addr(), "k")
	want := dataset(t, d.addr())
	dest := t.TempDir()
	spec := backupSpec(t, d, dest, "")
	mustRun(t, "backup", "run", "-config", spec)
	ids := backupIDs(t, spec)
	for _, p := range []string{d.dir, dataDir, filepath.Dir(spec)} {
		traversable(t, p)
	}
	filepath.Walk(dest, func(p string, fi os.FileInfo, err error) error {
		if err == nil {
			if fi.IsDir() {
				traversable(t, p)
			} else {
				os.Chmod(p, 0o644)
			}
		}
		return nil
	})
	// unwritable makes dir readable but not writable by anyone but root
	// for the rest of one subtest.
	unwritable := func(t *testing.T, dir string) {
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
	}
	confBefore, _ := os.ReadFile(d.conf)

	t.Run("destination", func(t *testing.T) {
		unwritable(t, filepath.Join(dest, "main"))
		// The lock file is made beside the config file: that directory
		// is the user's, only the destination is closed to it.
		os.Chmod(d.dir, 0o777)
		defer os.Chmod(d.dir, 0o755)
		code, out := asUnprivileged(t, "backup", "run", "-config", spec)
		if code != 1 || !strings.Contains(out, filepath.Join(dest, "main")) || !strings.Contains(out, "permission denied") {
			t.Errorf("backup into an unwritable destination: exit %d, want 1 naming the path and the permission:\n%s", code, out)
		}
		if got := backupIDs(t, spec); !cmp.Equal(got, ids) {
			t.Errorf("catalog = %v, want it unchanged %v", got, ids)
		}
		t.Logf("the error said: %s", out)
	})

	for _, tc := range []struct {
		name string
		deny func(t *testing.T)
	}{
		{"config dir", func(t *testing.T) { unwritable(t, d.dir) }},
		// The directory is writable (so the lock can be taken and a
		// rename would succeed); the file itself is not.
		{"config file", func(t *testing.T) {
			os.Chmod(d.dir, 0o777)
			t.Cleanup(func() { os.Chmod(d.dir, 0o755) })
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.deny(t)
			applySpec := writeSpec(t, fmt.Sprintf("redis \"main\" {\n  address     = %q\n  config_file = %q\n  memory {\n    max = \"16mb\"\n  }\n}\n", d.addr(), d.conf))
			traversable(t, filepath.Dir(applySpec))
			code, out := asUnprivileged(t, "apply", "-auto-approve", "-config", applySpec)
			if code != 1 || !strings.Contains(out, d.conf) || !strings.Contains(out, "permission denied") {
				t.Errorf("apply with an unwritable %s: exit %d, want 1 naming the path and the permission:\n%s", tc.name, code, out)
			}
			if got := configGet(t, d.client(t), "maxmemory"); got != "0" {
				t.Errorf("maxmemory = %s: a failed apply changed the server", got)
			}
			if conf, _ := os.ReadFile(d.conf); string(conf) != string(confBefore) {
				t.Errorf("a failed apply changed %s", d.conf)
			}
			t.Logf("the error said: %s", out)
		})
	}

	t.Run("data dir", func(t *testing.T) {
		unwritable(t, dataDir)
		// restore takes the target's lock beside the config file, as
		// backup run does: that directory is the user's, only the data
		// dir is closed to it.
		os.Chmod(d.dir, 0o777)
		defer os.Chmod(d.dir, 0o755)
		c := d.client(t)
		c.FlushAll(context.Background())
		fillDataset(t, d.addr(), "current")
		current := dataset(t, d.addr())
		if cmp.Equal(current, want) {
			t.Fatal("the current data must differ from the backup's")
		}
		code, out := asUnprivileged(t, "restore", "-config", spec, "-target", "main", "-latest", "-auto-approve")
		if code != 1 || !strings.Contains(out, dataDir) || !strings.Contains(out, "permission denied") {
			t.Errorf("restore into an unwritable data dir: exit %d, want 1 naming the path and the permission:\n%s", code, out)
		}
		if err := c.Ping(context.Background()).Err(); err != nil {
			t.Fatalf("the server is down after a refused restore: %v", err)
		}
		if diff := cmp.Diff(current, dataset(t, d.addr())); diff != "" {
			t.Errorf("a refused restore changed the data (-want +got):\n%s", diff)
		}
		t.Logf("the error said: %s", out)
	})
}
