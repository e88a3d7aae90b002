package main

import (
	"context"
	"fmt"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/rogpeppe/go-internal/diff"

	"github.com/redisplan/redisplan/cmd/redisplan/internal/arguments"
	"github.com/redisplan/redisplan/internal/fsutil"
	"github.com/redisplan/redisplan/operations"
)

// exitNeedsFormat is fmt -check's answer when a file is not canonical.
const exitNeedsFormat = 3

func runFmt(_ context.Context, env *cmdEnv, args []string) int {
	a, err := arguments.ParseFmt(args)
	if code, done := parsed(env, "fmt", err, exitError); done {
		return code
	}
	files, err := operations.HCLFiles(a.Paths)
	if err != nil {
		return fail(env, "fmt", err)
	}
	status := exitOK
	hclFilesSeen := map[string]*hclv2.File{}
	var diags hclv2.Diagnostics
	for _, name := range files {
		f := operations.FormatFile(name)
		switch {
		case f.Err != nil:
			fmt.Fprintf(env.stderr, "redisplan fmt: %v\n", f.Err)
			status = exitError
			continue
		case f.Diags.HasErrors():
			diags = append(diags, f.Diags...)
			hclFilesSeen[name] = &hclv2.File{Bytes: f.Src}
			status = exitError
			continue
		case !f.Changed():
			continue
		}
		fmt.Fprintln(env.stdout, name)
		if a.Diff {
			env.stdout.Write(diff.Diff(name, f.Src, name+" (formatted)", f.Out))
		}
		if a.Check {
			if status == exitOK {
				status = exitNeedsFormat
			}
		} else if a.Write {
			if err := fsutil.WriteFile(name, f.Out, 0o644); err != nil {
				fmt.Fprintf(env.stderr, "redisplan fmt: %v\n", err)
				status = exitError
			}
		}
	}
	if len(diags) > 0 {
		writeDiagnostics(env.stderr, hclFilesSeen, diags, !a.NoColor && isTerminal(env.stderr))
	}
	return status
}
