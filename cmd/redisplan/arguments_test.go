package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A command line with a stray word, a flag after an argument or an unknown
// flag must do nothing at all: Go's flag package stops at the first
// argument, and the flags after it were silently dropped.

// argCase is one command with a command line it would run as it stands.
type argCase struct {
	cmd  []string // the command and subcommand
	base []string // flags that make a runnable line
	arg  string   // an argument it takes, "" when it takes none
	flag string   // a flag of its own, put after the argument
	code int      // its exit code for a line that cannot be run
	// files is true when its arguments are any number of files (fmt,
	// backup import): a stray word is then one more file name.
	files bool
}

func argCases(spec string) []argCase {
	cfg := []string{"-config", spec}
	with := func(extra ...string) []string { return append(append([]string{}, cfg...), extra...) }
	return []argCase{
		{cmd: []string{"validate"}, base: cfg, flag: "-json", code: 1},
		{cmd: []string{"render"}, base: cfg, arg: "crontab", flag: "-no-color", code: 1},
		{cmd: []string{"plan"}, base: cfg, flag: "-json", code: 1},
		{cmd: []string{"apply"}, base: with("-auto-approve"), arg: "saved.plan", flag: "-allow-restart", code: 1},
		{cmd: []string{"lint"}, base: cfg, flag: "-no-color", code: 1},
		{cmd: []string{"backup", "run"}, base: cfg, flag: "-no-prune", code: 1},
		{cmd: []string{"backup", "list"}, base: cfg, flag: "-json", code: 1},
		{cmd: []string{"backup", "verify"}, base: cfg, arg: "latest", flag: "-drill", code: 1},
		{cmd: []string{"backup", "prune"}, base: cfg, flag: "-dry-run", code: 1},
		{cmd: []string{"restore"}, base: with("-target", "main"), arg: "latest", flag: "-auto-approve", code: 1},
		// check speaks Nagios: a line it cannot run is UNKNOWN, not a
		// WARNING about the servers.
		{cmd: []string{"check"}, base: cfg, flag: "-no-color", code: 3},
		{cmd: []string{"drill", "rpo"}, base: with("-target", "main"), flag: "-json", code: 1},
		{cmd: []string{"drill", "rto"}, base: with("-target", "main"), flag: "-json", code: 1},
		// import takes files: a -no-load after one would import with a
		// scratch server the user said not to start.
		{cmd: []string{"backup", "import"}, base: with("-target", "main"), arg: "a.rdb.gz", flag: "-no-load", code: 1, files: true},
	}
}

// snapshot records every file under dir with its size, mode and time.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out[p] = info.Mode().String() + " " + info.ModTime().Format(time.RFC3339Nano) + " " + strconv.FormatInt(info.Size(), 10)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestArgumentErrorsDoNothing runs every command with a stray argument, a
// flag after an argument and an unknown flag. Each must exit with its
// usage error, say what is wrong and that nothing was done, print nothing
// on stdout and leave every file as it was. The spec's server, config
// file and destination are in the same directory, and the spec itself is
// not formatted canonically, so fmt would rewrite it.
func TestArgumentErrorsDoNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	spec := filepath.Join(dir, "spec.hcl")
	dest := filepath.Join(dir, "backups")
	if err := os.MkdirAll(filepath.Join(dest, "main", "20260101T000000.000Z"), 0o700); err != nil {
		t.Fatal(err)
	}
	text := `redis "main" {
  address     =   "127.0.0.1:1"
  config_file = "` + filepath.Join(dir, "redis.conf") + `"
  backup {
    destination = "` + dest + `"
  }
}
`
	for name, data := range map[string]string{spec: text, filepath.Join(dir, "redis.conf"): "port 1\n", filepath.Join(dir, "saved.plan"): "{}\n"} {
		if err := os.WriteFile(name, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cases := argCases(spec)
	// fmt takes paths: a flag after one is the mistake to catch (the file
	// would be rewritten although -check was asked for).
	cases = append(cases, argCase{cmd: []string{"fmt"}, arg: spec, flag: "-check", code: 1, files: true})
	before := snapshot(t, dir)

	for _, c := range cases {
		name := strings.Join(c.cmd, " ")
		type line struct{ args, want []string }
		lines := map[string]line{
			"unknown flag": {
				args: concat(c.cmd, c.base, []string{"-bogus"}),
				want: []string{"redisplan " + name + ": unknown flag -bogus"},
			},
			"flag after argument": {
				args: concat(c.cmd, c.base, []string{orMain(c.arg), c.flag}),
				want: []string{"flags go before arguments", c.flag},
			},
		}
		if !c.files {
			// A target named as an argument: the mistake of the report.
			// It says where a target name goes; validate has no -target.
			hint := "a target is chosen with -target"
			if c.cmd[0] == "validate" {
				hint = "the spec is named with -config PATH"
			}
			stray := concat(c.cmd, c.base, nonEmpty(c.arg), []string{"main"})
			lines["stray argument"] = line{stray, []string{`unexpected argument "main"`, hint}}
			lines["stray argument then flag"] = line{concat(stray, []string{c.flag}), []string{`unexpected argument "main"`, "flags go before arguments", c.flag}}
		}
		if c.cmd[0] != "fmt" {
			lines["spec as argument"] = line{concat(c.cmd, c.base, []string{"prod.hcl"}), []string{`"prod.hcl"`, "-config prod.hcl"}}
		}
		if name == "backup import" {
			// Every word after the flags is a file to import: a flag after
			// the second one is as late as after the first, and a target
			// named as an argument is a file that is not there, so nothing
			// is imported, not even the file that is.
			lines["flag after two files"] = line{concat(c.cmd, c.base, []string{"a.rdb.gz", "b.rdb.gz", c.flag}),
				[]string{`-no-load after the argument "b.rdb.gz" would not be read: flags go before arguments`}}
			lines["target as a file"] = line{concat(c.cmd, c.base, []string{filepath.Join(dir, "saved.plan"), "main"}),
				[]string{`"main": no such file`, "a target is chosen with -target"}}
			lines["no target"] = line{concat(c.cmd, []string{"-config", spec, "a.rdb.gz"}), []string{"exactly one -target"}}
			lines["no file"] = line{concat(c.cmd, c.base), []string{"at least one file"}}
		}
		for what, l := range lines {
			t.Run(name+"/"+what, func(t *testing.T) {
				code, out, errOut := runCLI(t, l.args...)
				if code != c.code {
					t.Errorf("%q: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", l.args, code, c.code, out, errOut)
				}
				for _, w := range append(l.want, "Nothing was done.") {
					if !strings.Contains(errOut, w) {
						t.Errorf("%q: stderr lacks %q:\n%s", l.args, w, errOut)
					}
				}
				if out != "" {
					t.Errorf("%q: printed on stdout, so it ran:\n%s", l.args, out)
				}
			})
		}
	}
	after := snapshot(t, dir)
	for p, b := range before {
		if after[p] != b {
			t.Errorf("%s changed: %s -> %s", p, b, after[p])
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s was created", p)
		}
	}
}

func concat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// orMain is the command's argument, or "main" for a command that takes
// none.
func orMain(arg string) string {
	if arg == "" {
		return "main"
	}
	return arg
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// TestStrayArgumentDoesNotPrune is the report's case on a real server:
// "backup prune -config F main -dry-run" read -dry-run as an argument and
// deleted every backup the retention does not keep, exiting 0. Now it
// deletes nothing and says why; the line with its flags first is a dry
// run.
func TestStrayArgumentDoesNotPrune(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`)
	fillDataset(t, d.addr(), "stray")
	spec := backupSpec(t, d, t.TempDir(), "    retention {\n      keep_last = 1\n    }")
	for i := 0; i < 3; i++ {
		mustRun(t, "backup", "run", "-no-prune", "-config", spec)
	}
	list := func() []string {
		var ids []string
		for _, l := range strings.Split(mustRun(t, "backup", "list", "-config", spec), "\n")[1:] {
			if f := strings.Fields(l); len(f) > 1 {
				ids = append(ids, f[1])
			}
		}
		return ids
	}
	before := list()
	if len(before) != 3 {
		t.Fatalf("backups = %v, want 3", before)
	}

	code, out, errOut := runCLI(t, "backup", "prune", "-config", spec, "main", "-dry-run")
	if after := list(); len(after) != 3 {
		t.Fatalf("backup prune -config F main -dry-run deleted backups: %v -> %v (exit %d)\n%s%s", before, after, code, out, errOut)
	}
	if code != 1 || !strings.Contains(errOut, `unexpected argument "main": flags go before arguments`) || !strings.Contains(errOut, "-target") {
		t.Errorf("exit %d, want 1 with the reason; stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	out = mustRun(t, "backup", "prune", "-config", spec, "-target", "main", "-dry-run")
	if n := strings.Count(out, "would delete"); n != 2 || len(list()) != 3 {
		t.Errorf("the corrected line is a dry run that would delete 2 of 3, got %d and %v:\n%s", n, list(), out)
	}
}

// TestVerifyDrillAfterArgumentRefused: "backup verify -config F latest
// -drill" ran no drill and exited 0, so the user believed a restore drill
// had passed. Now it refuses, and the line with -drill first runs the
// drill on a scratch server.
func TestVerifyDrillAfterArgumentRefused(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`)
	fillDataset(t, d.addr(), "drill")
	spec := backupSpec(t, d, t.TempDir(), "")
	mustRun(t, "backup", "run", "-config", spec)

	code, out, errOut := runCLI(t, "backup", "verify", "-config", spec, "latest", "-drill")
	if code != 1 {
		t.Fatalf("backup verify -config F latest -drill: exit %d, want 1 (it did not run the drill it was asked for)\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, `-drill after the argument "latest" would not be read: flags go before arguments`) || out != "" {
		t.Errorf("stdout:\n%s\nstderr:\n%s", out, errOut)
	}

	out = mustRun(t, "backup", "verify", "-config", spec, "-drill", "latest")
	if !strings.Contains(out, "is intact") || !strings.Contains(out, "drill restored backup") {
		t.Errorf("backup verify -drill latest did not verify and drill:\n%s", out)
	}
}

// cancelOn is stdout that cancels the command's context (as Ctrl-C does
// through signal.NotifyContext) when a line containing trigger is written.
type cancelOn struct {
	strings.Builder
	trigger string
	cancel  context.CancelFunc
}

func (c *cancelOn) Write(p []byte) (int, error) {
	if strings.Contains(string(p), c.trigger) {
		c.cancel()
	}
	return c.Builder.Write(p)
}

// TestApplyInterruptedSaysSo interrupts apply -allow-restart while it
// restarts the server (its start command starts nothing, so the restart
// is still waiting). It used to say "the deadline passed (context
// canceled)"; it must say it was interrupted, and what state the server
// and its files are in.
func TestApplyInterruptedSaysSo(t *testing.T) {
	t.Parallel()
	d := startDaemon(t)
	spec := writeSpec(t, fmt.Sprintf(`redis "main" {
  address     = %q
  config_file = %q
  service {
    start = ["true"]
  }
  settings = {
    databases = 32
  }
}
`, d.addr(), d.conf))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout := &cancelOn{trigger: "wrote 1 change(s)", cancel: cancel}
	var stderr strings.Builder
	code := run(ctx, []string{"apply", "-auto-approve", "-allow-restart", "-config", spec}, strings.NewReader(""), stdout, &stderr)
	errOut := stderr.String()
	if code != exitError || ctx.Err() == nil {
		t.Fatalf("exit %d (context %v)\nstdout:\n%s\nstderr:\n%s", code, ctx.Err(), stdout.String(), errOut)
	}
	for _, want := range []string{
		"redisplan was interrupted",
		"the file and live changes were applied",
		"redisplan apply: stopped because redisplan was interrupted; the messages above say what was done",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, "deadline") {
		t.Errorf("an interruption is reported as a deadline:\n%s", errOut)
	}
}

// TestHelpOnce: "redisplan help CMD" and "CMD -help" (-h, --help) print
// the command's usage, description and example once, on stdout, and exit
// 0. The flag package used to print it on stderr too.
func TestHelpOnce(t *testing.T) {
	t.Parallel()
	cmds := [][]string{{"fmt"}, {"backup"}, {"drill"}}
	for _, c := range argCases("spec.hcl") {
		cmds = append(cmds, c.cmd)
	}
	for _, cmd := range cmds {
		name := strings.Join(cmd, " ")
		for _, args := range [][]string{
			append([]string{"help"}, cmd...),
			append(append([]string{}, cmd...), "-help"),
			append(append([]string{}, cmd...), "-h"),
			append(append([]string{}, cmd...), "--help"),
		} {
			code, out, errOut := runCLI(t, args...)
			if code != 0 || errOut != "" || strings.Count(out, "Usage: redisplan "+name) != 1 || !strings.Contains(out, "\nExample:\n  redisplan "+name) {
				t.Errorf("%q: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, out, errOut)
			}
		}
	}
	if code, _, errOut := runCLI(t, "help", "frobnicate"); code != 1 || !strings.Contains(errOut, `no command "frobnicate"`) {
		t.Errorf("help frobnicate: exit %d, stderr:\n%s", code, errOut)
	}
	// A flag where the command goes: the command comes first, and a
	// value given with = is not repeated.
	if code, out, errOut := runCLI(t, "-var=password=hunter2", "plan"); code != 1 || out != "" ||
		!strings.Contains(errOut, "-var is not a command: the command comes first") || strings.Contains(errOut, "hunter2") {
		t.Errorf("-var=... plan: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
