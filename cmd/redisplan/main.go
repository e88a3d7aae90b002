// Command redisplan manages the durability of Redis from an HCL spec:
// validate, fmt and render today; plan, apply, backup, restore and check
// build on the same spec.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/redisplan/redisplan/executors/restore"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == restore.GuardArg {
		// Not a command: the process a streamed restore leaves beside
		// its pipe (executors/restore, guard.go).
		os.Exit(restore.RunGuard(os.Args[2:], os.Stdin, os.Stderr))
	}
	if exe, err := os.Executable(); err == nil {
		restore.GuardCommand = []string{exe, restore.GuardArg}
	}
	// Output that goes away (stdout piped into `head`, a closed terminal)
	// must not kill a run halfway: Go kills a program that writes to a
	// broken pipe on fd 1 or 2 unless it handles SIGPIPE. Handled here, a
	// write to a broken pipe fails with EPIPE instead, which the writers
	// ignore, and the run goes on to its end: a backup completes (and
	// releases its lock, AOF hold and pending upload) rather than being
	// abandoned with them left behind, and a restore is never cut between
	// stopping the server and starting it again. The signal is handled
	// (not ignored), so that commands redisplan runs get the default
	// SIGPIPE back when they exec.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
