package main

import (
	"context"
	"fmt"
	"io"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/rogpeppe/go-internal/diff"

	"github.com/redisplan/redisplan/cmd/redisplan/internal/arguments"
	"github.com/redisplan/redisplan/operations"
)

// exitNeedsFormat is fmt -check's answer when a file is not canonical.
const exitNeedsFormat = 3

func runFmt(_ context.Context, env *cmdEnv, a *arguments.Fmt) int {
	if len(a.Paths) == 1 && a.Paths[0] == "-" {
		return fmtStdin(env, a.Check, a.Diff, a.NoColor)
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
			if err := operations.WriteFormatted(f); err != nil {
				fmt.Fprintf(env.stderr, "redisplan fmt: %v\n", err)
				status = exitError
			}
		}
	}
	if len(diags) > 0 {
		writeDiagnostics(env.stderr, hclFilesSeen, diags, env.color(env.stderr, a.NoColor))
	}
	return status
}

// fmtStdin is "fmt -", what editors call: the spec text on stdin, the
// formatted text on stdout (with -check, only the exit status; with
// -diff, the changes instead).
func fmtStdin(env *cmdEnv, check, showDiff, noColor bool) int {
	src, err := io.ReadAll(env.stdin)
	if err != nil {
		fmt.Fprintf(env.stderr, "redisplan fmt: read stdin: %v\n", err)
		return exitError
	}
	f := operations.FormatSource("<stdin>", src)
	if f.Diags.HasErrors() {
		writeDiagnostics(env.stderr, map[string]*hclv2.File{f.Name: {Bytes: src}}, f.Diags, env.color(env.stderr, noColor))
		return exitError
	}
	switch {
	case showDiff:
		if f.Changed() {
			env.stdout.Write(diff.Diff(f.Name, src, f.Name+" (formatted)", f.Out))
		}
	case !check:
		env.stdout.Write(f.Out)
	}
	if check && f.Changed() {
		return exitNeedsFormat
	}
	return exitOK
}
