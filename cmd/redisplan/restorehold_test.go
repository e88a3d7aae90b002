package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/internal/failpoint"
	"github.com/redisplan/redisplan/internal/testwait"
)

// A restore of an RDB into an AOF server, SIGKILLed once the restored
// server has loaded and runs refusing writes (min-replicas-to-write
// 2147483647 live and in redis.conf, appendonly no there; a kill during
// the load is TestKillRestoreWhileStreaming's): check says so as critical, plan
// names it as an interrupted restore (not a change made outside
// redisplan), apply refuses and leaves redis.conf.redisplan.bak alone,
// and the next restore finishes with the user's own values, read from
// its record even when redis.conf.redisplan.bak no longer holds them.
func TestKillRestoreWhileWritesHeld(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`, "appendonly yes", "min-replicas-max-lag 7")
	// Bulk in db 5 makes the load and the first AOF rewrite long enough
	// for the kill to land while writes are held.
	bulk(t, d.addr(), 300000)
	fillDataset(t, d.addr(), "backup")
	backedUp := dataset(t, d.addr())
	spec := backupSpec(t, d, t.TempDir(), `    include = ["rdb"]`)
	spec = writeSpec(t, strings.Replace(mustRead(t, spec), "  backup {", "  persistence {\n    aof {\n      enabled = true\n    }\n  }\n  backup {", 1))
	mustRun(t, "backup", "run", "-config", spec)
	c := d.client(t)
	ctx := context.Background()
	c.FlushDB(ctx)
	fillDataset(t, d.addr(), "original")

	probe := redis.NewClient(&redis.Options{Addr: d.addr(), Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	defer probe.Close()
	killWhen(t, func() bool {
		v, err := probe.ConfigGet(ctx, "min-replicas-to-write").Result()
		if err != nil || v["min-replicas-to-write"] != "2147483647" {
			return false
		}
		info, err := probe.Info(ctx, "persistence").Result()
		return err == nil && strings.Contains(info, "\nloading:0")
	}, "restore", "-config", spec, "-target", "main", "-latest", "-auto-approve")
	waitUp(t, c)
	if err := c.Set(ctx, "during", "1", 0).Err(); err == nil || !strings.Contains(err.Error(), "NOREPLICAS") {
		t.Fatalf("SET after the kill: %v, want NOREPLICAS (the kill came too late)", err)
	}

	if got := result(runCheckJSONOK(t, spec), "interrupted_restore"); !strings.HasPrefix(got, "critical: ") ||
		!strings.Contains(got, "refuses every write") || !strings.Contains(got, "run redisplan restore again") {
		t.Errorf("check interrupted_restore = %s, want critical naming the interrupted restore and what to run", got)
	}
	code, out, errOut := runCLI(t, "plan", "-config", spec)
	if code == 0 || !strings.Contains(out+errOut, "a restore was interrupted") || !strings.Contains(out+errOut, "run redisplan restore again") ||
		strings.Contains(out, "Changed outside redisplan") {
		t.Errorf("plan after the kill: exit %d, want it to name the interrupted restore:\n%s%s", code, out, errOut)
	}
	bak := d.conf + ".redisplan.bak"
	bakBefore, _ := os.ReadFile(bak)
	code, out, errOut = runCLI(t, "apply", "-auto-approve", "-config", spec)
	if code == 0 || !strings.Contains(out+errOut, "nothing was applied") {
		t.Errorf("apply after the kill: exit %d, want a refusal:\n%s%s", code, out, errOut)
	}
	if bakAfter, _ := os.ReadFile(bak); string(bakAfter) != string(bakBefore) {
		t.Errorf("apply rewrote %s", bak)
	}
	// Whatever overwrites the copy, the user's values are in the record.
	if err := os.WriteFile(bak, []byte(mustRead(t, d.conf)), 0o600); err != nil {
		t.Fatal(err)
	}

	out = mustRun(t, "restore", "-config", spec, "-target", "main", "-latest", "-auto-approve")
	if diff := cmp.Diff(backedUp, dataset(t, d.addr())); diff != "" {
		t.Errorf("the restore after the kill differs (-want +got):\n%s", diff)
	}
	if err := c.Set(ctx, "after", "1", 0).Err(); err != nil {
		t.Errorf("SET after the restore that followed the kill: %v\n%s", err, out)
	}
	if got := configGet(t, c, "min-replicas-max-lag"); got != "7" {
		t.Errorf("min-replicas-max-lag = %s after the restore, want the user's 7", got)
	}
	if got := configGet(t, c, "appendonly"); got != "yes" {
		t.Errorf("appendonly = %s after the restore, want the user's yes", got)
	}
	conf := mustRead(t, d.conf)
	if strings.Contains(conf, "2147483647") || !strings.Contains(conf, "min-replicas-max-lag 7") || !strings.Contains(conf, "appendonly yes") {
		t.Errorf("redis.conf after the restore does not hold the user's values:\n%s", conf)
	}
	if got := result(runCheckJSONOK(t, spec), "interrupted_restore"); got != "(no result)" {
		t.Errorf("check interrupted_restore after the restore = %s", got)
	}
	if m, _ := filepath.Glob(d.conf + ".redisplan.lock.restore"); len(m) != 0 {
		t.Errorf("the restore's record is left after it finished: %v", m)
	}
}

// A run killed in the middle of writing redis.conf.redisplan.bak (the
// temp file written, not yet renamed) leaves a temp readable by its
// owner alone, although redis.conf is 0644: it is a copy of the config
// file, passwords included. The next run that writes the file removes
// such stale temps of redisplan's exact naming, and nothing else.
func TestKilledConfigWriteLeavesPrivateTemp(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`)
	spec := writeSpec(t, fmt.Sprintf(`redis "main" {
  address     = %q
  config_file = %q
  memory {
    max    = "48mb"
    policy = "allkeys-lru"
  }
}
`, d.addr(), d.conf))
	dir, base := filepath.Dir(d.conf), filepath.Base(d.conf)
	// Not of redisplan's naming: left alone.
	others := []string{"." + base + ".redisplan.bak.tmp-12ab", "." + base + ".tmp-", base + ".tmp-123"}
	for _, n := range others {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	killedAt(t, failpoint.WriteBeforeRename+base+".redisplan.bak", "apply", "-auto-approve", "-config", spec)
	var temps []string
	matches, _ := filepath.Glob(filepath.Join(dir, "."+base+".redisplan.bak.tmp-*"))
	for _, m := range matches {
		if filepath.Base(m) != others[0] {
			temps = append(temps, m)
		}
	}
	if len(temps) != 1 {
		t.Fatalf("temps after the kill: %v, want the one the killed apply was writing", temps)
	}
	st, err := os.Stat(temps[0])
	if err != nil {
		t.Fatal(err)
	}
	if mode := st.Mode().Perm(); mode != 0o600 {
		t.Errorf("the killed apply left %s with mode %o, want 600 (it is a copy of the config file)", temps[0], mode)
	}
	// Older than the next run, as a temp of a run that died is.
	old := time.Now().Add(-time.Hour)
	os.Chtimes(temps[0], old, old)
	stale := filepath.Join(dir, "."+base+".tmp-4242")
	if err := os.WriteFile(stale, []byte("requirepass old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(stale, old, old)

	mustRun(t, "apply", "-auto-approve", "-config", spec)
	for _, p := range []string{temps[0], stale} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s is still there after the next apply (%v)", p, err)
		}
	}
	for _, n := range others {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s, not a temp of redisplan's naming, was removed: %v", n, err)
		}
	}
	if got := configGet(t, d.client(t), "maxmemory"); got != "50331648" {
		t.Errorf("maxmemory = %s after the apply, want 48mb", got)
	}
}

// A restore SIGKILLed right after it stopped the server, or once it had
// swapped the backup's files in (before the start), leaves it down: check
// and plan name the interrupted restore, and the next restore puts the
// original files back, starts the server on them (service start) and
// restores.
func TestKillRestoreAfterStop(t *testing.T) {
	t.Parallel()
	for _, point := range []string{failpoint.RestoreServerStopped, failpoint.RestoreFilesSwapped} {
		t.Run(point, func(t *testing.T) {
			t.Parallel()
			killRestoreWhileDown(t, point)
		})
	}
}

func killRestoreWhileDown(t *testing.T, point string) {
	d := startDaemon(t, `save ""`, "appendonly yes", "min-replicas-max-lag 7")
	fillDataset(t, d.addr(), "backup")
	backedUp := dataset(t, d.addr())
	spec := backupSpec(t, d, t.TempDir(), `    include = ["rdb"]`)
	mustRun(t, "backup", "run", "-config", spec)
	c := d.client(t)
	ctx := context.Background()
	c.FlushDB(ctx)
	fillDataset(t, d.addr(), "original")

	killedAt(t, point, "restore", "-config", spec, "-target", "main", "-latest", "-auto-approve")
	if d.answers() {
		t.Fatal("the server answers after the kill: it was not stopped")
	}
	if got := result(runCheckJSONOK(t, spec), "interrupted_restore"); !strings.HasPrefix(got, "critical: ") || !strings.Contains(got, "run redisplan restore again") {
		t.Errorf("check interrupted_restore with the server down = %s", got)
	}
	if _, out, errOut := runCLI(t, "plan", "-config", spec); !strings.Contains(out+errOut, "run redisplan restore again") {
		t.Errorf("plan with the server down does not name the interrupted restore:\n%s%s", out, errOut)
	}

	out := mustRun(t, "restore", "-config", spec, "-target", "main", "-latest", "-auto-approve")
	if !strings.Contains(out, "was interrupted") || !strings.Contains(out, "started it with the service start command") {
		t.Errorf("the restore does not say it found and started the stopped server:\n%s", out)
	}
	if point == failpoint.RestoreFilesSwapped && !strings.Contains(out, "moved the original files back") {
		t.Errorf("the restore does not say it moved the original files back:\n%s", out)
	}
	if diff := cmp.Diff(backedUp, dataset(t, d.addr())); diff != "" {
		t.Errorf("the restore after the kill differs (-want +got):\n%s", diff)
	}
	if err := c.Set(ctx, "after", "1", 0).Err(); err != nil {
		t.Errorf("SET after the restore: %v", err)
	}
	if got := configGet(t, c, "min-replicas-max-lag"); got != "7" {
		t.Errorf("min-replicas-max-lag = %s, want the user's 7", got)
	}
	if got := configGet(t, c, "appendonly"); got != "yes" {
		t.Errorf("appendonly = %s after the restore, want the user's yes", got)
	}
}

// A restore SIGKILLed while the restored server loads the backup it
// streams into it (a streamed load: a backup directory on this host): the
// server reads its data's early end and exits, refusing it, and the data
// file is the original one again, whole, from the moment the server
// opened the stream: started by hand, the server holds the original data.
// check names the interrupted restore, and the next restore finishes the
// job with the user's own values.
func TestKillRestoreWhileStreaming(t *testing.T) {
	t.Parallel()
	// Bulk in db 5 (not compared) makes the load long enough to kill it.
	d, spec, backedUp, original := restoreSetup(t, 300000)
	c := d.client(t)
	ctx := context.Background()
	probe := redis.NewClient(&redis.Options{Addr: d.addr(), Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	defer probe.Close()
	killWhen(t, func() bool {
		info, err := probe.Info(ctx, "persistence").Result()
		return err == nil && strings.Contains(info, "\nloading:1")
	}, "restore", "-config", spec, "-target", "main", "-latest", "-auto-approve")

	testwait.For(t, 10*time.Second, "the server, its stream cut, to exit", func() (bool, error) { return !d.answers(), nil })
	d.waitExited(t)
	if m, _ := filepath.Glob(filepath.Join(d.dir, "redisplan-safety-*", "dump.rdb")); len(m) != 1 {
		t.Errorf("safety copies of dump.rdb after the kill: %v, want one", m)
	}
	if st, err := os.Lstat(filepath.Join(d.dir, "dump.rdb")); err != nil || !st.Mode().IsRegular() {
		t.Fatalf("dump.rdb after the kill: %v, %v; want the original file", st, err)
	}
	if out, err := exec.Command(d.start, d.conf).CombinedOutput(); err != nil {
		t.Fatalf("start redis-server by hand: %v: %s", err, out)
	}
	waitUp(t, c)
	if diff := cmp.Diff(original, dataset(t, d.addr())); diff != "" {
		t.Errorf("started by hand after the kill, the server does not hold the original data (-want +got):\n%s", diff)
	}
	if got := result(runCheckJSONOK(t, spec), "interrupted_restore"); !strings.HasPrefix(got, "critical: ") || !strings.Contains(got, "run redisplan restore again") {
		t.Errorf("check interrupted_restore = %s, want critical naming the interrupted restore", got)
	}

	out := mustRun(t, "restore", "-config", spec, "-target", "main", "-latest", "-auto-approve")
	if diff := cmp.Diff(backedUp, dataset(t, d.addr())); diff != "" {
		t.Errorf("the restore after the kill differs (-want +got):\n%s", diff)
	}
	if err := c.Set(ctx, "after", "1", 0).Err(); err != nil {
		t.Errorf("SET after the restore that followed the kill: %v\n%s", err, out)
	}
	if conf := mustRead(t, d.conf); strings.Contains(conf, "2147483647") {
		t.Errorf("redis.conf still holds the restore's hold of writes:\n%s", conf)
	}
	if m, _ := filepath.Glob(filepath.Join(d.dir, ".redisplan-restore-*")); len(m) != 0 {
		t.Errorf("the restores left staging behind: %v", m)
	}
}

// A restore SIGKILLed once the restored server has loaded, before its keys
// are checked (the check of the staged files' raw digest and RDB, which
// runs beside the load, may still be running then): the server answers
// with the backup's data and refuses writes, and so does it after a
// restart, since the data dir holds the complete restored file and the
// config file the hold; check names the interrupted restore, and the next
// restore finishes with the user's own values.
func TestKillRestoreAfterLoad(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`, "min-replicas-max-lag 7")
	fillDataset(t, d.addr(), "backup")
	backedUp := dataset(t, d.addr())
	spec := backupSpec(t, d, t.TempDir(), "")
	mustRun(t, "backup", "run", "-config", spec)
	c := d.client(t)
	ctx := context.Background()
	c.FlushDB(ctx)
	fillDataset(t, d.addr(), "original")

	killedAt(t, failpoint.RestoreServerStarted, "restore", "-config", spec, "-target", "main", "-latest", "-auto-approve")
	for _, when := range []string{"after the kill", "after a restart"} {
		if when == "after a restart" {
			// The connection closing is the answer; go-redis's retry of
			// it then finds nothing listening.
			c.ShutdownNoSave(ctx)
			testwait.For(t, 10*time.Second, "the server to stop", func() (bool, error) { return !d.answers(), nil })
			if out, err := exec.Command(d.start, d.conf).CombinedOutput(); err != nil {
				t.Fatalf("start redis-server: %v: %s", err, out)
			}
		}
		waitUp(t, c)
		if diff := cmp.Diff(backedUp, dataset(t, d.addr())); diff != "" {
			t.Errorf("%s the server does not hold the backup's data (-want +got):\n%s", when, diff)
		}
		if err := c.Set(ctx, "during", "1", 0).Err(); err == nil || !strings.Contains(err.Error(), "NOREPLICAS") {
			t.Errorf("SET %s: %v, want NOREPLICAS", when, err)
		}
	}
	if got := result(runCheckJSONOK(t, spec), "interrupted_restore"); !strings.HasPrefix(got, "critical: ") || !strings.Contains(got, "run redisplan restore again") {
		t.Errorf("check interrupted_restore = %s, want critical naming the interrupted restore", got)
	}

	out := mustRun(t, "restore", "-config", spec, "-target", "main", "-latest", "-auto-approve")
	if diff := cmp.Diff(backedUp, dataset(t, d.addr())); diff != "" {
		t.Errorf("the restore after the kill differs (-want +got):\n%s", diff)
	}
	if err := c.Set(ctx, "after", "1", 0).Err(); err != nil {
		t.Errorf("SET after the restore that followed the kill: %v\n%s", err, out)
	}
	// The server held the killed restore's data: the data from before it
	// is in that restore's safety copy, which the new restore names.
	if !strings.Contains(out, "the data from before the interrupted restore of backup") {
		t.Errorf("the restore after the kill does not say where the data from before the killed restore is:\n%s", out)
	}
	if got := configGet(t, c, "min-replicas-max-lag"); got != "7" {
		t.Errorf("min-replicas-max-lag = %s after the restore, want the user's 7", got)
	}
	if conf := mustRead(t, d.conf); strings.Contains(conf, "2147483647") {
		t.Errorf("redis.conf still holds the restore's hold of writes:\n%s", conf)
	}
}

// apply -allow-restart SIGKILLed once the server has saved and exited
// leaves it down: plan names the interrupted restart, and the next apply
// starts the server with the service start command (its record proves
// redisplan stopped it), finds the keys it held, and applies.
func TestKillApplyRestartAfterStop(t *testing.T) {
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
	killedAt(t, failpoint.RestartServerStopped, "apply", "-auto-approve", "-allow-restart", "-config", spec)
	if d.answers() {
		t.Fatal("the server answers after the kill: it was not stopped")
	}
	if _, out, errOut := runCLI(t, "plan", "-config", spec); !strings.Contains(out+errOut, "was interrupted before it started it again") {
		t.Errorf("plan with the server down does not name the interrupted restart:\n%s%s", out, errOut)
	}
	code, out, errOut := runCLI(t, "apply", "-auto-approve", "-allow-restart", "-config", spec)
	if code != 0 || !strings.Contains(out, "started it with the service start command") {
		t.Fatalf("apply after the kill: exit %d, want it to start the server and apply\n%s%s", code, out, errOut)
	}
	if n := c.DBSize(ctx).Val(); n != 100 {
		t.Errorf("DBSIZE = %d after the apply, want all 100 keys", n)
	}
	if got := configGet(t, c, "databases"); got != "32" {
		t.Errorf("databases = %s after the apply, want 32", got)
	}
	if err := c.Set(ctx, "after", "1", 0).Err(); err != nil {
		t.Errorf("SET after the apply: %v", err)
	}
}

// A backup run killed while it holds automatic AOF rewrites off leaves
// auto-aof-rewrite-percentage 0: plan names it as that run's leftover and
// what puts it back, not as a change made outside redisplan.
func TestPlanNamesBackupRewriteLeftover(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`, "appendonly yes", "auto-aof-rewrite-percentage 150")
	fillDataset(t, d.addr(), "k")
	spec := backupSpec(t, d, t.TempDir(), `    include = ["rdb", "aof"]`)
	spec = writeSpec(t, strings.Replace(mustRead(t, spec), "  backup {",
		"  persistence {\n    aof {\n      enabled            = true\n      rewrite_percentage = 150\n    }\n  }\n  backup {", 1))
	killedAt(t, failpoint.BackupAOFRewritesHeld, "backup", "run", "-no-prune", "-config", spec)
	if got := configGet(t, d.client(t), "auto-aof-rewrite-percentage"); got != "0" {
		t.Fatalf("auto-aof-rewrite-percentage = %s after the kill, want the 0 the run held", got)
	}
	_, out, errOut := runCLI(t, "plan", "-config", spec)
	if !strings.Contains(out, "left at 0 by a backup run") || !strings.Contains(out, "the next backup run puts back 150") ||
		strings.Contains(out, "a restart would change it from 0 to 150") {
		t.Errorf("plan after the kill does not name the backup run's leftover:\n%s%s", out, errOut)
	}
}
