package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/redisplan/redisplan/cmd/redisplan/internal/arguments"
	"github.com/redisplan/redisplan/operations"
)

// runRender prints what operations.Render makes (schedule files each
// after a comment naming where plan and apply put it, manifests separated
// by "---" so that the output can be piped to kubectl), or writes it into
// the -o directory.
func runRender(_ context.Context, env *cmdEnv, a *arguments.Render) int {
	outDir, what := a.Out, a.What
	res, selected, ok := loadTargets(env, a.Spec, a.Targets, "render")
	if !ok {
		return exitError
	}
	if len(selected) == 0 {
		fmt.Fprintln(env.stderr, "redisplan render: the spec has no targets")
		return exitError
	}
	if conf := what != "crontab" && what != "systemd" && what != "kubernetes" && what != "prometheus-rules"; conf && outDir == "" && len(selected) > 1 {
		fmt.Fprintf(env.stderr, "redisplan render: the spec has %d targets; pick one with -target, or write them all with -o DIR\n", len(selected))
		return exitError
	}
	files, err := operations.Render(operations.RenderRequest{Targets: selected, What: what,
		Source: strings.Join(res.Filenames, ", "), Secrets: outDir != "", Config: a.Spec.Config, VarFiles: a.Spec.VarFiles})
	for i, f := range files {
		if outDir != "" {
			path, err := operations.WriteRendered(outDir, f)
			if err != nil {
				return fail(env, "render", err)
			}
			fmt.Fprintf(env.stdout, "Wrote %s\n", path)
			continue
		}
		if f.Dir != "" {
			switch {
			case what == "kubernetes" && i > 0:
				fmt.Fprintln(env.stdout, "---")
			case i > 0:
				fmt.Fprintln(env.stdout)
			}
			fmt.Fprintf(env.stdout, "# %s\n", filepath.Join(f.Dir, f.Name))
		}
		env.stdout.Write(f.Data)
	}
	if err != nil {
		return fail(env, "render", err)
	}
	return exitOK
}
