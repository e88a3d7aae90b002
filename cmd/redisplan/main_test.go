package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/redisplan/redisplan/internal/testwait"
)

func TestMain(m *testing.M) {
	// The test binary run under the name redisplan (by the scripts, and
	// by binary) is redisplan.
	testscript.Main(testRun{m}, map[string]func(){"redisplan": main})
}

// defaultParallel is how many tests marked t.Parallel run at once unless
// -parallel says otherwise. The tests mostly wait on the servers they
// start, so more of them than cores keep the machine busy.
const defaultParallel = 8

// binDir is where binary puts the redisplan command: a directory every
// user can reach, removed when the tests end.
var binDir string

// testRun runs the tests (not the redisplan command testscript.Main may
// be asked to run instead) with settings of their own:
//   - XDG_STATE_HOME is a temporary directory, so that check, run without
//     -state-dir on a target without a backup folder, keeps its state there
//     and not in the user's ~/.local/state;
//   - binDir is made;
//   - -parallel defaults to defaultParallel rather than the number of cores.
type testRun struct{ m *testing.M }

func (r testRun) Run() int {
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		if err := flag.Set("test.parallel", strconv.Itoa(defaultParallel)); err != nil {
			fmt.Fprintln(os.Stderr, "set -test.parallel:", err)
			return 1
		}
	}
	root, err := os.MkdirTemp("", "redisplan-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(root)
	state := filepath.Join(root, "state")
	binDir = filepath.Join(root, "bin")
	for _, err := range []error{os.Chmod(root, 0o755), os.Mkdir(state, 0o700), os.Mkdir(binDir, 0o755)} {
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	os.Setenv("XDG_STATE_HOME", state)
	return r.m.Run()
}

// TestScripts runs the end-to-end CLI scenarios in testdata/script: the
// real binary, real files, real exit codes.
func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			wd, err := os.Getwd()
			if err != nil {
				return err
			}
			// Scripts reach the repository's examples through $REPO.
			env.Setenv("REPO", wd+"/../..")
			return nil
		},
		// Scripts that need redis-server start with "[skipredis] skip":
		// they skip only when REDISPLAN_SKIP_REDIS=1 says so on purpose.
		Condition: func(cond string) (bool, error) {
			if cond == "skipredis" {
				return os.Getenv("REDISPLAN_SKIP_REDIS") == "1", nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode": cmdExitCode,
			"redis":    cmdRedis,
			"waitfor":  cmdWaitFor,
		},
	})
}

// cmdExitCode runs a command and checks its exact exit status:
// "exitcode 3 redisplan fmt -check". Its stdout and stderr are then
// checked with the usual stdout and stderr commands.
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N command [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: %q is not a number", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exitcode: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}

// cmdWaitFor is "waitfor GLOB": it waits (up to 30s) until a non-empty
// file matches, so a script can act at a known point of a background
// command, such as in the middle of a backup stream.
func cmdWaitFor(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitfor GLOB")
	}
	pattern := ts.MkAbs(args[0])
	err := testwait.UntilEvery(30*time.Second, 10*time.Millisecond, func() (bool, error) {
		matches, _ := filepath.Glob(pattern)
		for _, m := range matches {
			if info, err := os.Stat(m); err == nil && info.Size() > 0 {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		ts.Fatalf("no non-empty file matches %s: %v", args[0], err)
	}
}
