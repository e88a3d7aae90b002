package live

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/model"
)

func TestInspectFreshServer(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	if err := s.Client(t).Set(testContext(t), "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}

	st, err := Inspector{}.Inspect(testContext(t), targetFor(s))
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	if st.Error != nil || st.File != nil || st.Cron != nil {
		t.Errorf("state = %+v, want only Live", st)
	}
	live := st.Live
	if live == nil {
		t.Fatal("Live is nil")
	}
	for name, want := range map[string]string{
		"maxmemory":       "0",
		"appendonly":      "no",
		"watchdog-period": "0", // HIDDEN: not in CONFIG GET *
		"save":            "",
	} {
		if got, ok := live.Config[name]; !ok || got != want {
			t.Errorf("Config[%q] = %q (present %v), want %q", name, got, ok, want)
		}
	}
	for _, field := range []string{"redis_version", "used_memory", "aof_enabled", "role", "loading"} {
		if _, ok := live.Info[field]; !ok {
			t.Errorf("Info lacks %s", field)
		}
	}
	if got := live.Info["db0"]; !strings.HasPrefix(got, "keys=1,") {
		t.Errorf(`Info["db0"] = %q, want "keys=1,..."`, got)
	}
	if live.RunID == "" || live.RunID != live.Info["run_id"] {
		t.Errorf("RunID = %q, Info run_id = %q", live.RunID, live.Info["run_id"])
	}
	if !live.Loopback {
		t.Error("Loopback = false for 127.0.0.1")
	}
	if !strings.HasPrefix(live.Version, "7.") || live.Version != servertest.Version(t) {
		t.Errorf("Version = %q, want the binary's %s", live.Version, servertest.Version(t))
	}
	if live.Server != "redis" {
		t.Errorf("Server = %q, want redis", live.Server)
	}
}

func TestInspectRenamedConfig(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{Config: "rename-command CONFIG CFG_secret\n"})
	ctx := testContext(t)

	t.Run("config_command", func(t *testing.T) {
		tg := targetFor(s)
		tg.Connection.ConfigCommand = "CFG_secret"
		st, err := Inspector{}.Inspect(ctx, tg)
		if err != nil {
			t.Fatalf("Inspect: %v", err)
		}
		if got := st.Live.Config["maxmemory"]; got != "0" {
			t.Errorf("maxmemory = %q, want 0", got)
		}
	})
	t.Run("rename in the spec", func(t *testing.T) {
		tg := targetFor(s)
		tg.Renames = []model.Rename{{Command: "CONFIG", NewName: "CFG_secret"}}
		if _, err := (Inspector{}).Inspect(ctx, tg); err != nil {
			t.Fatalf("Inspect: %v", err)
		}
	})
	t.Run("rename unknown to redisplan", func(t *testing.T) {
		st, err := Inspector{}.Inspect(ctx, targetFor(s))
		mustContain(t, err, s.Addr(), "does not know the command CONFIG", "config_command")
		if st == nil || st.Error == nil || st.Live != nil {
			t.Errorf("state = %+v, want Error set and no Live", st)
		}
	})
}

func TestInspectConfigDisabled(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{Config: "rename-command CONFIG \"\"\n"})
	tg := targetFor(s)
	tg.Renames = []model.Rename{{Command: "CONFIG", NewName: ""}}
	st, err := Inspector{}.Inspect(testContext(t), tg)
	mustContain(t, err, s.Addr(), `CONFIG was renamed to ""`, "config_command", "ACL")
	if st == nil || !errors.Is(st.Error, errConfigDisabled) {
		t.Errorf("state = %+v, want Error set", st)
	}
}

func TestInspectConnectionRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	conf := filepath.Join(dir, "redis.conf")
	confText := "maxmemory 1gb\n"
	if err := os.WriteFile(conf, []byte(confText), 0o600); err != nil {
		t.Fatal(err)
	}
	cronFile := filepath.Join(dir, "redisplan.cron")
	cronText := "MAILTO=ops\n# BEGIN redisplan main\n0 3 * * * redis /usr/bin/redisplan backup run\n# END redisplan main\n"
	if err := os.WriteFile(cronFile, []byte(cronText), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(servertest.FreePort(t)))
	tg := &model.Target{
		Name:       "main",
		Connection: model.Connection{Address: addr, Password: "pw-never-shown"},
		ConfigFile: conf,
		Cron:       &model.Cron{File: cronFile},
	}

	st, err := Inspector{}.Inspect(testContext(t), tg)
	mustContain(t, err, "cannot connect to "+addr, "connection refused", "is redis-server running there?")
	mustNotContain(t, err, "pw-never-shown")
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("errors.Is(err, ECONNREFUSED) = false for %v", err)
	}
	if st == nil {
		t.Fatal("state is nil")
	}
	if st.Error != err || st.Live != nil {
		t.Errorf("state Error = %v, Live = %+v; want the returned error and no Live", st.Error, st.Live)
	}
	if st.File == nil || !st.File.Exists || st.File.Path != conf || string(st.File.Content) != confText {
		t.Errorf("File = %+v", st.File)
	}
	wantLines := []string{"# BEGIN redisplan main", "0 3 * * * redis /usr/bin/redisplan backup run", "# END redisplan main"}
	if st.Cron == nil || st.Cron.Where != cronFile || string(st.Cron.Content) != cronText || !slices.Equal(st.Cron.Lines, wantLines) {
		t.Errorf("Cron = %+v", st.Cron)
	}
}

func TestInspectMissingFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tg := &model.Target{
		Name:       "main",
		Connection: model.Connection{Address: filepath.Join(dir, "no-such.sock")},
		ConfigFile: filepath.Join(dir, "redis.conf"),
		Cron:       &model.Cron{File: filepath.Join(dir, "cron")},
	}
	st, err := Inspector{}.Inspect(testContext(t), tg)
	mustContain(t, err, "no such socket", tg.Connection.Address)
	if st == nil || st.File == nil || st.File.Exists || st.File.Path != tg.ConfigFile || st.File.Content != nil {
		t.Errorf("File = %+v, want a missing file", st.File)
	}
	if st.Cron == nil || st.Cron.Lines != nil || st.Cron.Content != nil {
		t.Errorf("Cron = %+v, want an empty crontab", st.Cron)
	}

	// A config file that exists but cannot be read is an error of its own.
	tg.ConfigFile = dir
	st, err = Inspector{}.Inspect(testContext(t), tg)
	if err == nil || st != nil {
		t.Errorf("Inspect with a directory as config file = %+v, %v; want an error and no state", st, err)
	}
}

func TestInspectUserCrontab(t *testing.T) {
	// A stand-in crontab command on PATH: the machine may have no cron.
	bin := t.TempDir()
	fixture := filepath.Join(bin, "fixture")
	content := "# BEGIN redisplan main\n*/15 * * * * /usr/bin/redisplan check -notify\n# END redisplan main\n"
	if err := os.WriteFile(fixture, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\n" +
		"[ \"$1 $2 $3\" = \"-l -u redis\" ] && exec cat " + fixture + "\n" +
		"echo \"no crontab for $3\" >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "crontab"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	if _, err := exec.LookPath("crontab"); err != nil {
		t.Fatal(err)
	}

	ctx := testContext(t)
	st, err := readCron(ctx, &model.Cron{User: "redis"}, "main")
	if err != nil {
		t.Fatal(err)
	}
	if st.Where != "crontab of redis" || string(st.Content) != content || len(st.Lines) != 3 {
		t.Errorf("crontab of redis = %+v", st)
	}
	st, err = readCron(ctx, &model.Cron{User: "nobody"}, "main")
	if err != nil {
		t.Fatal(err)
	}
	if st.Where != "crontab of nobody" || st.Content != nil || st.Lines != nil {
		t.Errorf("crontab of nobody = %+v, want empty", st)
	}
}

func TestInspectAuth(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{Config: "requirepass s3cret\n", Password: "s3cret"})
	ctx := testContext(t)

	t.Run("wrong password", func(t *testing.T) {
		tg := targetFor(s)
		tg.Connection.Password = "not-the-s3cret"
		_, err := Inspector{}.Inspect(ctx, tg)
		mustContain(t, err, "authentication failed for user default", s.Addr())
		mustNotContain(t, err, "not-the-s3cret")
	})
	t.Run("no password", func(t *testing.T) {
		_, err := Inspector{}.Inspect(ctx, targetFor(s))
		mustContain(t, err, "authentication failed for user default", "requires a password")
	})
	t.Run("right password", func(t *testing.T) {
		tg := targetFor(s)
		tg.Connection.Password = "s3cret"
		st, err := Inspector{}.Inspect(ctx, tg)
		if err != nil {
			t.Fatalf("Inspect: %v", err)
		}
		if got := st.Live.Config["requirepass"]; got != "s3cret" {
			t.Errorf("requirepass = %q", got)
		}
	})
}

func TestInspectNoPermission(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{Config: "user limited on >limited-pass ~* +ping +info\n"})
	tg := targetFor(s)
	tg.Connection.Username = "limited"
	tg.Connection.Password = "limited-pass"
	_, err := Inspector{}.Inspect(testContext(t), tg)
	mustContain(t, err, "the user limited lacks permission for CONFIG GET", s.Addr(), "+config|get")
	mustNotContain(t, err, "limited-pass")
}

func TestInspectTimeout(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	// Every client's commands wait while the server is paused; the
	// harness kills the server at the end.
	if err := s.Client(t).Do(testContext(t), "CLIENT", "PAUSE", "60000", "ALL").Err(); err != nil {
		t.Fatal(err)
	}
	tg := targetFor(s)
	tg.Connection.Timeout = 100 * time.Millisecond
	_, err := Inspector{}.Inspect(testContext(t), tg)
	mustContain(t, err, "no answer from "+s.Addr(), "CLIENT PAUSE")
}
