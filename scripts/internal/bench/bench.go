// Package bench holds what the measuring scripts share: a work directory
// with redisplan built into it, a free loopback port, and a command's
// peak memory.
package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// Workdir makes a temporary directory named after prefix and builds
// redisplan (./cmd/redisplan, from the module root the script runs in)
// into it as bin. cleanup removes the directory.
func Workdir(prefix string) (work, bin string, cleanup func(), err error) {
	work, err = os.MkdirTemp("", prefix)
	if err != nil {
		return "", "", nil, err
	}
	cleanup = func() { os.RemoveAll(work) }
	bin = filepath.Join(work, "redisplan")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/redisplan").CombinedOutput(); err != nil {
		cleanup()
		return "", "", nil, fmt.Errorf("build: %v\n%s", err, out)
	}
	return work, bin, cleanup, nil
}

// PeakRSS is the peak resident memory, in MB, of a command that has run.
func PeakRSS(cmd *exec.Cmd) float64 {
	return float64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) / 1024
}

// Finish ends a script's run: on err it prints it after the script's name
// and exits 1; with asJSON it prints res as indented JSON and reports
// true, so that the caller returns; otherwise false, and the caller prints
// its table.
func Finish(name string, res any, err error, asJSON bool) (done bool) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
	if !asJSON {
		return false
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
	return true
}

// QuietLogger drops go-redis's own log lines: the scripts restart and
// kill servers on purpose, and the refused dials that follow are expected.
type QuietLogger struct{}

// Printf discards the line.
func (QuietLogger) Printf(context.Context, string, ...any) {}
