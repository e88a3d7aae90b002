package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/internal/testwait"
)

// These tests change where a server keeps its data (appendfilename,
// appenddirname, dbfilename) with apply -allow-restart, and check what an
// operator would: the keys and the digest after the restart, the names of
// the files in use, the config file.

const relocateKeys = 5000

// fill writes n keys (a few with a long TTL) and returns DEBUG DIGEST.
func fill(t *testing.T, c *redis.Client, n int) string {
	t.Helper()
	ctx := context.Background()
	pipe := c.Pipeline()
	for i := 0; i < n; i++ {
		pipe.Set(ctx, fmt.Sprintf("order:%d", i), strings.Repeat("x", i%50), 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatalf("write %d keys: %v", n, err)
	}
	return digest(t, c)
}

func digest(t *testing.T, c *redis.Client) string {
	t.Helper()
	d, err := c.Do(context.Background(), "DEBUG", "DIGEST").Text()
	if err != nil {
		t.Fatalf("DEBUG DIGEST: %v", err)
	}
	return d
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("list %s: %v", dir, err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func hasPrefixed(names []string, prefix string) bool {
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			return true
		}
	}
	return false
}

// checkKept fails unless the server holds relocateKeys keys with the
// digest it had.
func checkKept(t *testing.T, d *daemon, c *redis.Client, want string) {
	t.Helper()
	if n := c.DBSize(context.Background()).Val(); n != relocateKeys {
		log, _ := os.ReadFile(filepath.Join(d.dir, "redis.log"))
		t.Fatalf("DBSIZE after the restart = %d, want %d\n%s", n, relocateKeys, log)
	}
	if got := digest(t, c); got != want {
		t.Errorf("DEBUG DIGEST after the restart = %s, want %s (the data changed)", got, want)
	}
}

func TestApplyRenamedAppendfilenameKeepsData(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`, "appendonly yes", "enable-debug-command local")
	c := d.client(t)
	want := fill(t, c, relocateKeys)
	spec := writeSpec(t, fmt.Sprintf(`redis "main" {
  address     = %q
  config_file = %q
  %s
  persistence {
    aof {
      enabled  = true
      filename = "orders.aof"
    }
  }
}
`, d.addr(), d.conf, d.service()))

	code, out, errOut := runCLI(t, "plan", "-config", spec)
	if code != 0 || !strings.Contains(out, "apply -allow-restart carries the data over") {
		t.Errorf("plan does not say the files are carried over: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "apply", "-auto-approve", "-allow-restart", "-config", spec)
	if code != 0 {
		t.Fatalf("apply -allow-restart: exit %d\n%s%s", code, out, errOut)
	}
	checkKept(t, d, c, want)
	if !strings.Contains(out, "carried the data files over") || !strings.Contains(out, "DEBUG DIGEST identical") {
		t.Errorf("apply does not report the carrying over and the keyspace check:\n%s", out)
	}
	if got := configGet(t, c, "appendfilename"); got != "orders.aof" {
		t.Errorf("appendfilename = %s after apply, want orders.aof", got)
	}
	names := dirNames(t, filepath.Join(d.dir, "appendonlydir"))
	if !hasPrefixed(names, "orders.aof.manifest") || hasPrefixed(names, "appendonly.aof") {
		t.Errorf("appendonlydir holds %v, want only orders.aof.* files", names)
	}
	manifest, _ := os.ReadFile(filepath.Join(d.dir, "appendonlydir", "orders.aof.manifest"))
	if strings.Contains(string(manifest), "appendonly.aof") || !strings.Contains(string(manifest), "file orders.aof.1.base.rdb seq 1 type b") {
		t.Errorf("the new manifest still names the old files:\n%s", manifest)
	}
	// The server really runs on the new files: another restart through
	// the new manifest keeps every key.
	_ = c.Do(context.Background(), "SHUTDOWN", "NOSAVE").Err()
	waitGone(t, d)
	if out, err := runStart(d); err != nil {
		t.Fatalf("start again: %v %s", err, out)
	}
	waitUp(t, c)
	checkKept(t, d, c, want)
	if code, out, _ := runCLI(t, "plan", "-detailed-exitcode", "-config", spec); code != 0 {
		t.Errorf("plan after apply: exit %d, want 0\n%s", code, out)
	}
}

func TestApplyRenamedAppenddirnameKeepsData(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`, "appendonly yes", "enable-debug-command local")
	c := d.client(t)
	want := fill(t, c, relocateKeys)
	spec := writeSpec(t, fmt.Sprintf(`redis "main" {
  address     = %q
  config_file = %q
  %s
  persistence {
    aof {
      enabled = true
      dirname = "orders-aof"
    }
  }
}
`, d.addr(), d.conf, d.service()))
	code, out, errOut := runCLI(t, "apply", "-auto-approve", "-allow-restart", "-config", spec)
	if code != 0 {
		t.Fatalf("apply -allow-restart: exit %d\n%s%s", code, out, errOut)
	}
	checkKept(t, d, c, want)
	if got := configGet(t, c, "appenddirname"); got != "orders-aof" {
		t.Errorf("appenddirname = %s after apply, want orders-aof", got)
	}
	if names := dirNames(t, filepath.Join(d.dir, "orders-aof")); !hasPrefixed(names, "appendonly.aof.manifest") {
		t.Errorf("orders-aof holds %v, want the manifest and its files", names)
	}
	if _, err := os.Stat(filepath.Join(d.dir, "appendonlydir")); !os.IsNotExist(err) {
		t.Errorf("the old appendonlydir is still there (%v): its files were moved, so it should be gone", err)
	}
}

func TestApplyChangedDirKeepsData(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "save 3600 1", "appendonly yes", "enable-debug-command local")
	c := d.client(t)
	want := fill(t, c, relocateKeys)
	newDir := filepath.Join(t.TempDir(), "data")
	spec := writeSpec(t, fmt.Sprintf(`redis "main" {
  address     = %q
  config_file = %q
  %s
  settings = {
    "dir" = %q
  }
}
`, d.addr(), d.conf, d.service(), newDir))
	code, out, errOut := runCLI(t, "apply", "-auto-approve", "-allow-restart", "-config", spec)
	if code != 0 {
		t.Fatalf("apply -allow-restart: exit %d\n%s%s", code, out, errOut)
	}
	checkKept(t, d, c, want)
	if got := configGet(t, c, "dir"); got != newDir {
		t.Errorf("dir = %s after apply, want %s", got, newDir)
	}
	if names := dirNames(t, filepath.Join(newDir, "appendonlydir")); !hasPrefixed(names, "appendonly.aof.manifest") {
		t.Errorf("%s/appendonlydir holds %v, want the manifest and its files", newDir, names)
	}
	if names := dirNames(t, d.dir); hasPrefixed(names, "appendonlydir") || hasPrefixed(names, "dump.rdb") {
		t.Errorf("the old dir still holds %v: its files were carried over, so their old names should be gone", names)
	}
}

func TestApplyRenamedDbfilenameKeepsData(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "save 3600 1", "appendonly no", "enable-debug-command local")
	c := d.client(t)
	want := fill(t, c, relocateKeys)
	if err := c.Save(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	spec := writeSpec(t, fmt.Sprintf(`redis "main" {
  address     = %q
  config_file = %q
  %s
  persistence {
    rdb {
      filename = "orders.rdb"
      snapshot {
        after   = "1h"
        changes = 1
      }
    }
  }
}
`, d.addr(), d.conf, d.service()))
	code, out, errOut := runCLI(t, "apply", "-auto-approve", "-allow-restart", "-config", spec)
	if code != 0 {
		t.Fatalf("apply -allow-restart: exit %d\n%s%s", code, out, errOut)
	}
	checkKept(t, d, c, want)
	if got := configGet(t, c, "dbfilename"); got != "orders.rdb" {
		t.Errorf("dbfilename = %s after apply, want orders.rdb", got)
	}
	names := dirNames(t, d.dir)
	if !hasPrefixed(names, "orders.rdb") || hasPrefixed(names, "dump.rdb") {
		t.Errorf("dir holds %v, want orders.rdb and no dump.rdb", names)
	}
}

func TestApplyRenameRefusedWhenTheNewNameIsTaken(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "save 3600 1", "enable-debug-command local")
	c := d.client(t)
	want := fill(t, c, relocateKeys)
	if err := c.Save(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	// Somebody else's file under the new name: redisplan must not replace
	// it, nor start the server on it.
	theirs := filepath.Join(d.dir, "orders.rdb")
	if err := os.WriteFile(theirs, []byte("not redisplan's"), 0o600); err != nil {
		t.Fatal(err)
	}
	confBefore, _ := os.ReadFile(d.conf)
	runID := c.Info(context.Background(), "server").Val()
	spec := writeSpec(t, fmt.Sprintf(`redis "main" {
  address     = %q
  config_file = %q
  %s
  persistence {
    rdb {
      filename = "orders.rdb"
      snapshot {
        after   = "1h"
        changes = 1
      }
    }
  }
}
`, d.addr(), d.conf, d.service()))
	code, out, errOut := runCLI(t, "apply", "-auto-approve", "-allow-restart", "-config", spec)
	if code != 1 || !strings.Contains(errOut, theirs+" already exists") || !strings.Contains(errOut, "Nothing was changed") {
		t.Fatalf("apply: exit %d, want 1 with a refusal naming %s\n%s%s", code, theirs, out, errOut)
	}
	if strings.Contains(errOut, "redis.main: redis.main:") {
		t.Errorf("the target is named twice:\n%s", errOut)
	}
	if got, _ := os.ReadFile(d.conf); string(got) != string(confBefore) {
		t.Errorf("the config file changed although apply refused:\n%s", got)
	}
	if got, _ := os.ReadFile(theirs); string(got) != "not redisplan's" {
		t.Errorf("%s was overwritten: %q", theirs, got)
	}
	if got := c.Info(context.Background(), "server").Val(); infoLine(got, "run_id") != infoLine(runID, "run_id") {
		t.Errorf("the server was restarted although apply refused")
	}
	checkKept(t, d, c, want)

	// Without -allow-restart the change is refused too: a file naming
	// orders.rdb would make the next restart start empty.
	if err := os.Remove(theirs); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCLI(t, "apply", "-auto-approve", "-config", spec)
	if code != 1 || !strings.Contains(errOut, "run apply -allow-restart") {
		t.Fatalf("apply without -allow-restart: exit %d, want 1 and a refusal\n%s%s", code, out, errOut)
	}
	if got, _ := os.ReadFile(d.conf); string(got) != string(confBefore) {
		t.Errorf("the config file changed although apply refused:\n%s", got)
	}
}

// A restart that brings the server back with other data is a failed
// apply: here the start command starts the server on an empty dir as soon
// as the config file holds the new setting.
func TestApplyRestartWithDifferentDataRollsBack(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`, "appendonly yes", "enable-debug-command local")
	c := d.client(t)
	want := fill(t, c, relocateKeys)
	empty := t.TempDir()
	confBefore, _ := os.ReadFile(d.conf)
	script := fmt.Sprintf(`if grep -q '^databases 32' %q; then exec %q %q --dir %q; else exec %q %q; fi`, d.conf, d.start, d.conf, empty, d.start, d.conf)
	spec := writeSpec(t, fmt.Sprintf(`redis "main" {
  address     = %q
  config_file = %q
  service {
    start = ["/bin/sh", "-c", %q]
  }
  settings = {
    "databases" = 32
  }
}
`, d.addr(), d.conf, script))
	code, out, errOut := runCLI(t, "apply", "-auto-approve", "-allow-restart", "-config", spec)
	t.Logf("apply:\n%s%s", out, errOut)
	if code != 1 {
		t.Fatalf("apply: exit %d, want 1\n%s%s", code, out, errOut)
	}
	for _, s := range []string{"came back with different data", "db0 has 0 keys, it had 5000", "rolled back", "old configuration was put back", "with the data it had", "the apply was undone"} {
		if !strings.Contains(errOut, s) {
			t.Errorf("the error does not say %q:\n%s", s, errOut)
		}
	}
	if strings.Contains(out, "Apply complete") {
		t.Errorf("apply claims success:\n%s", out)
	}
	if got, _ := os.ReadFile(d.conf); string(got) != string(confBefore) {
		t.Errorf("the config file was not restored:\n%s", got)
	}
	checkKept(t, d, c, want)
	if got := configGet(t, c, "databases"); got != "16" {
		t.Errorf("databases = %s after the rollback, want the old 16", got)
	}
}

// A restart whose new process never comes up (here the start command
// fails once the config file holds the new setting) is rolled back too.
func TestApplyRestartThatDoesNotStartRollsBack(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "save 3600 1", "enable-debug-command local")
	c := d.client(t)
	want := fill(t, c, relocateKeys)
	confBefore, _ := os.ReadFile(d.conf)
	script := fmt.Sprintf(`if grep -q '^databases 32' %q; then echo "refusing the new config" >&2; exit 3; fi; exec %q %q`, d.conf, d.start, d.conf)
	spec := writeSpec(t, fmt.Sprintf(`redis "main" {
  address     = %q
  config_file = %q
  service {
    start = ["/bin/sh", "-c", %q]
  }
  settings = {
    "databases" = 32
  }
}
`, d.addr(), d.conf, script))
	code, out, errOut := runCLI(t, "apply", "-auto-approve", "-allow-restart", "-config", spec)
	t.Logf("apply:\n%s%s", out, errOut)
	if code != 1 {
		t.Fatalf("apply: exit %d, want 1\n%s%s", code, out, errOut)
	}
	for _, s := range []string{"refusing the new config", "rolled back", "the apply was undone"} {
		if !strings.Contains(errOut, s) {
			t.Errorf("the error does not say %q:\n%s", s, errOut)
		}
	}
	if got, _ := os.ReadFile(d.conf); string(got) != string(confBefore) {
		t.Errorf("the config file was not restored:\n%s", got)
	}
	checkKept(t, d, c, want)
}

func infoLine(info, key string) string {
	for _, l := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(l, key+":"); ok {
			return v
		}
	}
	return ""
}

// runStart starts the daemon again as its service start command would.
func runStart(d *daemon) ([]byte, error) {
	return exec.Command(d.start, d.conf).CombinedOutput()
}

// A replica that comes back holding other data than its primary (here its
// start command starts it on an empty dir, cut off from the primary, once
// its file holds the new setting) fails the rollout and is rolled back;
// the primary is not touched.
func TestReplicaRestartWithDifferentDataRollsBack(t *testing.T) {
	t.Parallel()
	g := startGroup(t, `save ""`, "appendonly yes", "enable-debug-command local")
	want := fill(t, g.primary.client(t), relocateKeys)
	empty := t.TempDir()
	bad := g.replicas[0]
	for _, d := range g.members() {
		script := fmt.Sprintf("#!/bin/sh\nexec %s %s\n", d.start, d.conf)
		if d == bad {
			script = fmt.Sprintf("#!/bin/sh\nif grep -q '^databases 32' %s; then exec %s %s --dir %s --replicaof no one; fi\nexec %s %s\n", d.conf, d.start, d.conf, empty, d.start, d.conf)
		}
		if err := os.WriteFile(fmt.Sprintf("%s/start-%d.sh", g.confDir, d.port), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	confBefore, _ := os.ReadFile(bad.conf)
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
`, g.primary.addr(), g.confDir, bad.addr(), g.replicas[1].addr(), g.confDir))
	pc := g.primary.client(t)
	primaryRunID := infoField(t, pc, "server", "run_id")

	code, out, errOut := runCLI(t, "apply", "-auto-approve", "-allow-restart", "-config", spec)
	t.Logf("apply:\n%s%s", out, errOut)
	if code != 1 {
		t.Fatalf("apply: exit %d, want 1", code)
	}
	for _, s := range []string{"is not a replica", "rolled back", "the apply was undone"} {
		if !strings.Contains(errOut, s) {
			t.Errorf("the error does not say %q", s)
		}
	}
	if got, _ := os.ReadFile(bad.conf); string(got) != string(confBefore) {
		t.Errorf("the replica's config file was not restored:\n%s", got)
	}
	if got := infoField(t, pc, "server", "run_id"); got != primaryRunID {
		t.Errorf("the primary was restarted after its replica failed")
	}
	rc := bad.client(t)
	waitLinkUp(t, rc)
	testwait.For(t, 10*time.Second, fmt.Sprintf("the replica to hold its %d keys again", relocateKeys), func() (bool, error) {
		n, err := rc.DBSize(context.Background()).Result()
		return n == relocateKeys, err
	})
	checkKept(t, bad, rc, want)
}

// The state an earlier apply without -allow-restart left behind: the file
// already names orders.aof, the server still writes appendonly.aof. The
// plan says a restart would start empty; apply -allow-restart carries the
// files over.
func TestApplyFileAlreadyRenamedKeepsData(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`, "appendonly yes", "enable-debug-command local")
	c := d.client(t)
	want := fill(t, c, relocateKeys)
	f, err := os.OpenFile(d.conf, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("appendfilename orders.aof\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	spec := writeSpec(t, fmt.Sprintf(`redis "main" {
  address     = %q
  config_file = %q
  %s
  persistence {
    aof {
      enabled  = true
      filename = "orders.aof"
    }
  }
}
`, d.addr(), d.conf, d.service()))
	code, out, errOut := runCLI(t, "plan", "-config", spec)
	if code != 0 || !strings.Contains(out, "the config file already names the new place") {
		t.Errorf("plan does not warn that a restart would start empty: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "apply", "-auto-approve", "-config", spec)
	if code != 1 || !strings.Contains(errOut, "run apply -allow-restart now") {
		t.Errorf("apply without -allow-restart: exit %d, want 1 saying to restart now\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "apply", "-auto-approve", "-allow-restart", "-config", spec)
	if code != 0 {
		t.Fatalf("apply -allow-restart: exit %d\n%s%s", code, out, errOut)
	}
	checkKept(t, d, c, want)
	if names := dirNames(t, filepath.Join(d.dir, "appendonlydir")); !hasPrefixed(names, "orders.aof.manifest") {
		t.Errorf("appendonlydir holds %v, want orders.aof.*", names)
	}
}

// TestApplyRenameWithUnitOnOtherFilesRollsBack: a service start command
// that does not start the server from its config file (a unit pointing at
// an old copy of it, or giving its own --dir) brought the server back on
// the old names or on other data with the same key count, and apply said
// "Apply complete" and removed the old names. A crash later brought the
// server back empty. Now the new process must report the new names and
// its config file, or the restart is rolled back; a rollback that cannot
// bring the old data back stops the server without saving.
func TestApplyRenameWithUnitOnOtherFilesRollsBack(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		start func(d *daemon) []string
	}{
		// A copy of the config file as it was before apply.
		{"other config file", func(d *daemon) []string {
			other := filepath.Join(d.dir, "other.conf")
			b, err := os.ReadFile(d.conf)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(other, b, 0o644); err != nil {
				t.Fatal(err)
			}
			return []string{d.start, other}
		}},
		// The config file, but another dir holding an older copy with as
		// many keys (no DEBUG DIGEST on this server to tell them apart).
		{"its own dir", func(d *daemon) []string {
			stale := filepath.Join(d.dir, "stale")
			if err := os.Mkdir(stale, 0o755); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(d.dir, "dump.rdb"))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(stale, "orders.rdb"), b, 0o644); err != nil {
				t.Fatal(err)
			}
			return []string{d.start, d.conf, "--dir", stale}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := startDaemon(t, "save 3600 1", "appendonly no")
			c := d.client(t)
			ctx := context.Background()
			pipe := c.Pipeline()
			for i := 0; i < relocateKeys; i++ {
				pipe.Set(ctx, fmt.Sprintf("order:%d", i), "v", 0)
			}
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatal(err)
			}
			if err := c.Save(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			start := tc.start(d)
			// Written after the copies above: only the real files hold it.
			if err := c.Set(ctx, "only-in-the-real-files", "1", 0).Err(); err != nil {
				t.Fatal(err)
			}
			if err := c.Del(ctx, "order:0").Err(); err != nil { // same key count
				t.Fatal(err)
			}
			if err := c.Save(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			confBefore, _ := os.ReadFile(d.conf)
			var quoted []string
			for _, a := range start {
				quoted = append(quoted, fmt.Sprintf("%q", a))
			}
			spec := writeSpec(t, fmt.Sprintf(`redis "main" {
  address     = %q
  config_file = %q
  service {
    start = [%s]
  }
  persistence {
    rdb {
      filename = "orders.rdb"
      snapshot {
        after   = "1h"
        changes = 1
      }
    }
  }
}
`, d.addr(), d.conf, strings.Join(quoted, ", ")))
			code, out, errOut := runCLI(t, "apply", "-auto-approve", "-allow-restart", "-config", spec)
			if code != 1 || strings.Contains(out, "Apply complete") {
				t.Fatalf("apply with a unit that starts the server on other files: exit %d, want 1\n%s%s", code, out, errOut)
			}
			if _, err := os.Stat(filepath.Join(d.dir, "dump.rdb")); err != nil {
				t.Errorf("the old dump.rdb is gone: %v", err)
			}
			if b, _ := os.ReadFile(d.conf); string(b) != string(confBefore) {
				t.Errorf("the config file was not put back:\n%s", b)
			}
			// The server is either stopped (the rollback could not bring
			// the old data back) or runs with it; never on other data.
			if d.answers() {
				if n, err := c.Exists(ctx, "only-in-the-real-files").Result(); err == nil && n != 1 {
					t.Errorf("the server runs without the data it had (EXISTS only-in-the-real-files = %d)\n%s%s", n, out, errOut)
				}
			}
			// Started again from its real config file, it has every key.
			if !d.answers() {
				if o, err := exec.Command(d.start, d.conf).CombinedOutput(); err != nil {
					t.Fatalf("start the server again: %v\n%s", err, o)
				}
				waitPing(t, c)
			}
			if n := c.Exists(ctx, "only-in-the-real-files").Val(); n != 1 {
				t.Errorf("after a start from its config file the server lacks the last write\n%s%s", out, errOut)
			}
		})
	}
}

func waitPing(t *testing.T, c *redis.Client) {
	t.Helper()
	testwait.For(t, 10*time.Second, "the server to answer", func() (bool, error) {
		err := c.Ping(context.Background()).Err()
		return err == nil, err
	})
}

// TestFailingStartCommandOutputHidesFileSecrets: Redis echoes a bad config
// line, and a start command's output is quoted in apply's error. During a
// rotation the config file holds a CONFIG name the spec no longer gives,
// which was printed in clear.
func TestFailingStartCommandOutputHidesFileSecrets(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "rename-command CONFIG SuperSecretCfgName42", "save 3600 1")
	spec := writeSpec(t, fmt.Sprintf(`variable "cfg" {
  type      = string
  sensitive = true
}

redis "main" {
  address     = %q
  config_file = %q
  service {
    start = ["/bin/sh", "-c", "echo config error: >&2; grep -i rename %s >&2; exit 1"]
  }
  security {
    renamed_commands = { CONFIG = var.cfg }
  }
  settings = {
    "databases" = 32
  }
}
`, d.addr(), d.conf, d.conf))
	code, out, errOut := runCLI(t, "apply", "-auto-approve", "-allow-restart", "-var", "cfg=RotatedSecretXYZ99", "-config", spec)
	if code != 1 || !strings.Contains(errOut, "config error") {
		t.Fatalf("apply with a failing start command: exit %d, want 1 quoting its output\n%s%s", code, out, errOut)
	}
	for _, s := range []string{"SuperSecretCfgName42", "RotatedSecretXYZ99"} {
		if strings.Contains(strings.ToLower(out+errOut), strings.ToLower(s)) {
			t.Errorf("apply printed the secret %s:\n%s%s", s, out, errOut)
		}
	}
}
