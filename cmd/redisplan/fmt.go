package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/rogpeppe/go-internal/diff"

	spechcl "github.com/redisplan/redisplan/hcl"
	"github.com/redisplan/redisplan/internal/fsutil"
)

// exitNeedsFormat is fmt -check's answer when a file is not canonical.
const exitNeedsFormat = 3

func runFmt(_ context.Context, env *cmdEnv, args []string) int {
	var (
		check, showDiff, write, noColor bool
		config                          string
	)
	fs := newFlagSet(env, "fmt", "fmt [-check] [-diff] [-write=false] [PATH...]")
	fs.BoolVar(&check, "check", false, "change nothing; exit 3 when a file needs formatting")
	fs.BoolVar(&showDiff, "diff", false, "print the changes as a unified diff")
	fs.BoolVar(&write, "write", true, "rewrite files that need formatting")
	fs.BoolVar(&noColor, "no-color", false, "never use colour in output")
	fs.StringVar(&config, "config", ".", "spec `path` to format when no PATH is given")
	// Accepted like every command's, so that a wrapper can pass the same
	// flags everywhere; formatting does not evaluate variables.
	var ignored multiFlag
	fs.Var(&ignored, "var", "accepted for uniformity; fmt does not evaluate variables")
	fs.Var(&ignored, "var-file", "accepted for uniformity; fmt does not evaluate variables")
	if code, done := parseFlags(env, fs, args); done {
		return code
	}
	paths := fs.Args()
	if len(paths) == 0 {
		paths = []string{config}
	}
	files, err := hclFiles(paths)
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
			if err := fsutil.WriteFile(name, out, 0o644); err != nil {
				fmt.Fprintf(env.stderr, "redisplan fmt: %v\n", err)
				status = exitError
			}
		}
	}
	if len(diags) > 0 {
		writeDiagnostics(env.stderr, hclFilesSeen, diags, !noColor && isTerminal(env.stderr))
	}
	return status
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
