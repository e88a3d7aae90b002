package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// noSecret fails the test when any of the outputs holds one of the
// secrets.
func noSecret(t *testing.T, what string, secrets []string, outputs ...string) {
	t.Helper()
	for _, s := range secrets {
		for _, o := range outputs {
			if strings.Contains(o, s) {
				t.Errorf("%s prints the secret %q:\n%s", what, s, o)
			}
		}
	}
}

// An operator rotates the secret CONFIG name: the spec carries the new
// name, the server still runs with the old one from its config file.
// redisplan reaches the server under the file's name, applies a live
// change through it, holds the new name back until it may restart, and
// after the restart talks to the server under the new name, with every
// key still there and no name ever printed.
func TestApplyRotatesConfigName(t *testing.T) {
	t.Parallel()
	const oldName, newName = "CFG_old_5e1f0a", "CFG_new_9b27c4"
	setVar(t, "REDISPLAN_VAR_config_command", newName)
	secrets := []string{oldName, newName}
	d := startDaemon(t, "save 3600 1", "rename-command CONFIG "+oldName)
	c := d.client(t)
	ctx := context.Background()
	for i := 0; i < 200; i++ {
		c.Set(ctx, fmt.Sprintf("key:%d", i), i, 0)
	}
	spec := writeSpec(t, fmt.Sprintf(`variable "config_command" {
  type      = string
  sensitive = true
}

redis "main" {
  address     = %q
  config_file = %q
  %s
  memory {
    max = "64mb"
  }
  security {
    renamed_commands = { CONFIG = var.config_command }
  }
}
`, d.addr(), d.conf, d.service()))
	getUnder := func(name, param string) (string, error) {
		v, err := c.Do(ctx, name, "GET", param).StringSlice()
		if err != nil {
			return "", err
		}
		if len(v) != 2 {
			return "", fmt.Errorf("%s GET %s: %q", name, param, v)
		}
		return v[1], nil
	}

	planFile := filepath.Join(t.TempDir(), "rotate.plan")
	code, out, errOut := runCLI(t, "plan", "-detailed-exitcode", "-out", planFile, "-config", spec)
	if code != 2 || !strings.Contains(out, "~ rename-command CONFIG: (sensitive value) -> (sensitive value changed)  [needs restart]") ||
		!strings.Contains(out, "+ maxmemory: 0 -> 64mb  [live]") {
		t.Fatalf("plan during a rotation: exit %d, want 2 with the rename (both names hidden) and maxmemory\n%s%s", code, out, errOut)
	}
	saved, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	_, jsonOut, jsonErr := runCLI(t, "plan", "-json", "-config", spec)
	noSecret(t, "plan", secrets, out, errOut, string(saved), jsonOut, jsonErr)

	// Without -allow-restart the live change is made under the old name
	// and the file keeps the old name: it is how the next run finds the
	// server.
	code, out, errOut = runCLI(t, "apply", "-auto-approve", "-config", spec)
	if code != 0 || !strings.Contains(out, "pending: rename-command CONFIG: not written yet") {
		t.Fatalf("apply without -allow-restart: exit %d\n%s%s", code, out, errOut)
	}
	noSecret(t, "apply", secrets, out, errOut)
	if got, err := getUnder(oldName, "maxmemory"); err != nil || got != "67108864" {
		t.Errorf("maxmemory under the old name after apply = %q, %v; want 67108864", got, err)
	}
	if conf, _ := os.ReadFile(d.conf); !strings.Contains(string(conf), "rename-command CONFIG "+oldName+"\n") {
		t.Errorf("apply without a restart replaced the CONFIG name the server runs with:\n%s", conf)
	}

	code, out, errOut = runCLI(t, "apply", "-auto-approve", "-allow-restart", "-config", spec)
	if code != 0 || !strings.Contains(out, "restarted the server for rename-command CONFIG") {
		t.Fatalf("apply -allow-restart: exit %d\n%s%s", code, out, errOut)
	}
	noSecret(t, "apply -allow-restart", secrets, out, errOut)
	if got, err := getUnder(newName, "maxmemory"); err != nil || got != "67108864" {
		t.Errorf("maxmemory under the new name after the restart = %q, %v; want 67108864", got, err)
	}
	if _, err := getUnder(oldName, "port"); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("the old name still works after the restart: %v", err)
	}
	if n := c.DBSize(ctx).Val(); n != 200 {
		t.Errorf("DBSIZE after the restart = %d, want 200", n)
	}
	code, out, errOut = runCLI(t, "plan", "-detailed-exitcode", "-config", spec)
	if code != 0 || !strings.Contains(out, "No changes. Redis matches the spec.") {
		t.Errorf("plan after the rotation: exit %d, want 0 and no changes\n%s%s", code, out, errOut)
	}
	noSecret(t, "plan after the rotation", secrets, out, errOut)
}

// The seed's redis.conf disables CONFIG (rename-command CONFIG ""). The
// plan says so, proposes the one restart that gives CONFIG the spec's
// secret name and says that the live settings are compared after it;
// apply -allow-restart does it through the spec's service commands and
// keeps every key; the next plan compares the live settings.
func TestApplyGivesDisabledConfigAName(t *testing.T) {
	t.Parallel()
	const secret = "CFG_seed_41d8e2"
	setVar(t, "REDISPLAN_VAR_config_command", secret)
	secrets := []string{secret}
	// The persistence, memory and security lines of the seed's redis.conf.
	d := startDaemon(t,
		"save 3600 1", "save 300 100", "save 60 10000",
		"rdbcompression yes", "rdbchecksum yes", "dbfilename dump.rdb",
		`rename-command FLUSHDB ""`, `rename-command FLUSHALL ""`, `rename-command CONFIG ""`,
		"rename-command SHUTDOWN SHUTDOWN_MASTERTRADE",
		"maxmemory 2gb", "maxmemory-policy allkeys-lru",
		"appendonly yes", `appendfilename "appendonly.aof"`, "appendfsync everysec",
		"aof-use-rdb-preamble yes", "notify-keyspace-events Ex")
	c := d.client(t)
	ctx := context.Background()
	for i := 0; i < 300; i++ {
		c.Set(ctx, fmt.Sprintf("key:%d", i), i, 0)
	}
	pidfile := filepath.Join(d.dir, "redis.pid")
	spec := writeSpec(t, fmt.Sprintf(`variable "config_command" {
  type      = string
  sensitive = true
}

redis "main" {
  address     = %q
  config_file = %q
  service {
    start = [%q, %q]
    stop  = ["/bin/sh", "-c", "kill $(cat %s)"]
  }
  persistence {
    aof {
      enabled = true
      fsync   = "everysec"
    }
  }
  memory {
    max    = "1gb"
    policy = "allkeys-lru"
  }
  security {
    disabled_commands = ["FLUSHDB", "FLUSHALL"]
    renamed_commands  = { CONFIG = var.config_command, SHUTDOWN = "SHUTDOWN_MASTERTRADE" }
  }
}
`, d.addr(), d.conf, d.start, d.conf, pidfile))

	code, out, errOut := runCLI(t, "plan", "-detailed-exitcode", "-config", spec)
	for _, want := range []string{
		`~ rename-command CONFIG: "" (disabled) -> (sensitive value changed)  [needs restart]`,
		fmt.Sprintf(`CONFIG is disabled in %s (rename-command CONFIG "")`, d.conf),
		"One restart with the secret name fixes it: apply -allow-restart",
		"the spec also differs from the file in maxmemory",
		"Plan: 0 live changes, 1 needs restart, 1 file change",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan of a server with CONFIG disabled lacks %q", want)
		}
	}
	if code != 2 || t.Failed() {
		t.Fatalf("plan: exit %d, want 2\n%s%s", code, out, errOut)
	}
	noSecret(t, "plan", secrets, out, errOut)

	code, out, errOut = runCLI(t, "apply", "-auto-approve", "-allow-restart", "-config", spec)
	if code != 0 || !strings.Contains(out, "restarted the server for rename-command CONFIG") {
		t.Fatalf("apply -allow-restart: exit %d\n%s%s", code, out, errOut)
	}
	noSecret(t, "apply", secrets, out, errOut)
	if n := c.DBSize(ctx).Val(); n != 300 {
		t.Errorf("DBSIZE after the restart = %d, want 300", n)
	}
	if v, err := c.Do(ctx, secret, "GET", "maxmemory").StringSlice(); err != nil || len(v) != 2 || v[1] != "2147483648" {
		t.Errorf("CONFIG under its new name after the restart: %q, %v; want maxmemory still 2gb", v, err)
	}

	// Now the live settings can be read: the next plan compares them.
	code, out, errOut = runCLI(t, "plan", "-detailed-exitcode", "-config", spec)
	if code != 2 || !strings.Contains(out, "~ maxmemory: 2gb -> 1gb  [live]") || strings.Contains(out, "~ rename-command") {
		t.Fatalf("plan after the restart: exit %d, want 2 with maxmemory only\n%s%s", code, out, errOut)
	}
	if code, out, errOut = runCLI(t, "apply", "-auto-approve", "-config", spec); code != 0 {
		t.Fatalf("apply after the restart: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut = runCLI(t, "plan", "-detailed-exitcode", "-config", spec); code != 0 {
		t.Errorf("plan after both applies: exit %d, want 0\n%s%s", code, out, errOut)
	}
	if n := c.DBSize(ctx).Val(); n != 300 {
		t.Errorf("DBSIZE at the end = %d, want 300", n)
	}
}

// Without a stop command, a restart stops the server with SHUTDOWN SAVE
// under the name the running server knows: the one in its config file
// when it started, whether the spec renames SHUTDOWN to a new name (the
// new one is for the process the restart starts) or does not mention it
// (the seed's SHUTDOWN_MASTERTRADE, not declared).
func TestApplyRestartStopsUnderTheRunningShutdownName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, security string }{
		{"the spec renames SHUTDOWN anew", `security {
    renamed_commands = { SHUTDOWN = "SHUTDOWN_NEW" }
  }`},
		{"the spec leaves SHUTDOWN alone", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := startDaemon(t, "save 3600 1", "rename-command SHUTDOWN SHUTDOWN_MASTERTRADE")
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
  %s
}
`, d.addr(), d.conf, d.service(), tc.security))
			// Without a restart, the file keeps the SHUTDOWN name the
			// running server knows.
			if code, out, errOut := runCLI(t, "apply", "-auto-approve", "-config", spec); code != 0 {
				t.Fatalf("apply without -allow-restart: exit %d\n%s%s", code, out, errOut)
			}
			if conf, _ := os.ReadFile(d.conf); !strings.Contains(string(conf), "rename-command SHUTDOWN SHUTDOWN_MASTERTRADE\n") {
				t.Errorf("apply without a restart replaced the SHUTDOWN name the server runs with:\n%s", conf)
			}
			code, out, errOut := runCLI(t, "apply", "-auto-approve", "-allow-restart", "-config", spec)
			if code != 0 || !strings.Contains(out, "restarted the server") {
				t.Fatalf("apply -allow-restart: exit %d\n%s%s", code, out, errOut)
			}
			if got := configGet(t, c, "databases"); got != "32" {
				t.Errorf("databases = %s after the restart, want 32", got)
			}
			if n := c.DBSize(ctx).Val(); n != 100 {
				t.Errorf("DBSIZE after the restart = %d, want 100", n)
			}
			if code, out, errOut := runCLI(t, "plan", "-detailed-exitcode", "-config", spec); code != 0 {
				t.Errorf("plan after the restart: exit %d, want 0\n%s%s", code, out, errOut)
			}
		})
	}
}

// Between the change of the CONFIG name in the spec and the restart that
// makes the server take it, backup run, check and restore keep working:
// they find the name the server runs with in its config file, and stop
// the server under the SHUTDOWN name of that file (the seed's, which this
// spec does not declare). No name is printed.
func TestBackupAndRestoreDuringRotation(t *testing.T) {
	t.Parallel()
	const oldName, newName = "CFG_old_0c3d7a", "CFG_new_e5f218"
	setVar(t, "REDISPLAN_VAR_config_command", newName)
	secrets := []string{oldName, newName}
	d := startDaemon(t, "save 3600 1", "rename-command CONFIG "+oldName, "rename-command SHUTDOWN SHUTDOWN_MASTERTRADE")
	fillDataset(t, d.addr(), "kept")
	want := dataset(t, d.addr())
	dest := t.TempDir()
	spec := writeSpec(t, fmt.Sprintf(`variable "config_command" {
  type      = string
  sensitive = true
}

redis "main" {
  address     = %q
  config_file = %q
  %s
  security {
    renamed_commands = { CONFIG = var.config_command }
  }
  backup {
    destination = %q
  }
}
`, d.addr(), d.conf, d.service(), dest))

	code, out, errOut := runCLI(t, "backup", "run", "-config", spec)
	if code != 0 {
		t.Fatalf("backup run during a rotation: exit %d\n%s%s", code, out, errOut)
	}
	noSecret(t, "backup run", secrets, out, errOut)
	code, out, errOut = runCLI(t, "check", "-json", "-config", spec)
	if strings.Contains(out, "cannot read") || code == 3 {
		t.Errorf("check during a rotation: exit %d\n%s%s", code, out, errOut)
	}
	noSecret(t, "check", secrets, out, errOut)

	fillDataset(t, d.addr(), "later")
	code, out, errOut = runCLI(t, "restore", "-config", spec, "-target", "main", "-latest", "-auto-approve")
	if code != 0 {
		t.Fatalf("restore during a rotation: exit %d\n%s%s", code, out, errOut)
	}
	noSecret(t, "restore", secrets, out, errOut)
	if diff := cmp.Diff(want, dataset(t, d.addr())); diff != "" {
		t.Errorf("restored data differs from the backup (-want +got):\n%s", diff)
	}
}
