package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/rogpeppe/go-internal/diff"

	"github.com/redisplan/redisplan/cmd/redisplan/internal/arguments"
	spechcl "github.com/redisplan/redisplan/hcl"
	"github.com/redisplan/redisplan/internal/fsutil"
)

// exitNeedsFormat is fmt -check's answer when a file is not canonical.
const exitNeedsFormat = 3

func runFmt(_ context.Context, env *cmdEnv, args []string) int {
	a, err := arguments.ParseFmt(args)
	if code, done := parsed(env, "fmt", err, exitError); done {
		return code
	}
	check, showDiff, write, noColor := a.Check, a.Diff, a.Write, a.NoColor
	if len(a.Paths) == 1 && a.Paths[0] == "-" {
		return fmtStdin(env, check, showDiff, noColor)
	}
	files, err := hclFiles(a.Paths)
	if err != nil {
		fmt.Fprintf(env.stderr, "redisplan fmt: %v\n", err)
		return exitError
	}

	status := exitOK
	hclFilesSeen := map[string]*hclv2.File{}
	var diags hclv2.Diagnostics
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintf(env.stderr, "redisplan fmt: %v\n", err)
			status = exitError
			continue
		}
		out, d := spechcl.Format(src, name)
		if d.HasErrors() {
			diags = append(diags, d...)
			hclFilesSeen[name] = &hclv2.File{Bytes: src}
			status = exitError
			continue
		}
		if !spechcl.NeedsFormat(src, out) {
			continue
		}
		fmt.Fprintln(env.stdout, name)
		if showDiff {
			env.stdout.Write(diff.Diff(name, src, name+" (formatted)", out))
		}
		if check {
			if status == exitOK {
				status = exitNeedsFormat
			}
			continue
		}
		if write {
			mode := os.FileMode(0o644)
			if info, err := os.Stat(name); err == nil {
				mode = info.Mode().Perm() // a 0600 spec stays 0600
			}
			if err := fsutil.WriteFile(name, out, mode); err != nil {
				fmt.Fprintf(env.stderr, "redisplan fmt: %v\n", err)
				status = exitError
			}
		}
	}
	if len(diags) > 0 {
		writeDiagnostics(env.stderr, hclFilesSeen, diags, env.color(env.stderr, noColor))
	}
	return status
}

// fmtStdin is "fmt -", what editors call: the spec text on stdin, the
// formatted text on stdout (with -check, only the exit status; with
// -diff, the changes instead).
func fmtStdin(env *cmdEnv, check, showDiff, noColor bool) int {
	const name = "<stdin>"
	src, err := io.ReadAll(env.stdin)
	if err != nil {
		fmt.Fprintf(env.stderr, "redisplan fmt: read stdin: %v\n", err)
		return exitError
	}
	out, diags := spechcl.Format(src, name)
	if diags.HasErrors() {
		writeDiagnostics(env.stderr, map[string]*hclv2.File{name: {Bytes: src}}, diags, env.color(env.stderr, noColor))
		return exitError
	}
	needs := spechcl.NeedsFormat(src, out)
	switch {
	case showDiff:
		if needs {
			env.stdout.Write(diff.Diff(name, src, name+" (formatted)", out))
		}
	case !check:
		env.stdout.Write(out)
	}
	if check && needs {
		return exitNeedsFormat
	}
	return exitOK
}

// hclFiles expands paths: a file stands for itself, a directory for the
// *.hcl files in it.
func hclFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			out = append(out, p)
			continue
		}
		matches, err := filepath.Glob(filepath.Join(p, "*.hcl"))
		if err != nil {
			return nil, err
		}
		sort.Strings(matches)
		out = append(out, matches...)
	}
	return out, nil
}
