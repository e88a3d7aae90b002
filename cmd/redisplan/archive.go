package main

import (
	"context"
	"fmt"

	"github.com/redisplan/redisplan/cmd/redisplan/internal/arguments"
	"github.com/redisplan/redisplan/operations"
)

// runArchive follows one target's write stream until SIGTERM or SIGINT.
func runArchive(ctx context.Context, env *cmdEnv, a *arguments.Archive) int {
	t, ok := oneTarget(env, a.Spec, a.Targets, "archive", "archive follows exactly one -target")
	if !ok {
		return exitError
	}
	view := newProgressView(env, env.stdout, false)
	defer view.close()
	err := operations.Archive(ctx, t, operations.ArchiveOptions{
		Version: version, Emit: view.sink(t.Name),
		Warn: func(s string) { fmt.Fprintf(env.stderr, "warning: %s\n", s) },
	})
	if err != nil {
		fmt.Fprintf(env.stderr, "Error: the archive of redis.%s stopped: %v\nWhat was committed before stays in the archive.\n", t.Name, err)
		return exitError
	}
	fmt.Fprintf(env.stdout, "redis.%s: archive stopped; what it had received is committed (backup list shows the window)\n", t.Name)
	return exitOK
}
