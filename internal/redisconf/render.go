package redisconf

import (
	"bytes"
	"fmt"

	"github.com/redisplan/redisplan/internal/model"
)

// Catalog is what rendering directives and reading a file's values need
// of the parameter catalog; internal/catalog's *Catalog is one. (That
// package reads values with this package's lexer, so it is named here
// rather than imported.)
type Catalog interface {
	// ValueName returns the canonical name of the directive a redis.conf
	// line sets (replicaof for slaveof), and false when the line sets no
	// value the catalog tracks: an unknown directive (a module's), one
	// Redis ignores, or a file-only one.
	ValueName(directive string) (string, bool)
	// FileLines returns the arguments of the redis.conf lines that set a
	// directive to a normalized value, one list per line.
	FileLines(directive, value string) [][]string
}

// RenderOptions says how a redis.conf is rendered.
type RenderOptions struct {
	// Source names the spec the file comes from, for the header.
	Source string
	// Secrets writes sensitive values into the file. Without it they are
	// left out, with a comment saying so: that form is safe to print.
	Secrets bool
}

// Render returns the redis.conf for a target: every managed directive in
// canonical form, rename-command lines first (Redis applies them while
// reading the file, so their place matters only for readability), then
// the directives in name order. The output depends only on its inputs, so
// rendering twice gives the same bytes.
func Render(t *model.Target, cat Catalog, opts RenderOptions) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# redis.conf for target %s, rendered by redisplan", t.Name)
	if opts.Source != "" {
		fmt.Fprintf(&b, " from %s", opts.Source)
	}
	b.WriteString(".\n# Change the spec, not this file: `redisplan plan` shows where the two differ.\n")

	if len(t.Renames) > 0 {
		b.WriteString("\n")
		for _, r := range t.Renames {
			if r.Sensitive && !opts.Secrets {
				fmt.Fprintf(&b, "# rename-command %s (sensitive name, written only to files)\n", r.Command)
				continue
			}
			b.WriteString(RenameLine(r.Command, r.NewName) + "\n")
		}
	}
	if len(t.Directives) > 0 {
		b.WriteString("\n")
	}
	for _, d := range t.Directives {
		if d.Sensitive && !opts.Secrets {
			fmt.Fprintf(&b, "# %s (sensitive value, written only to files)\n", d.Name)
			continue
		}
		for _, line := range DirectiveLines(cat, d.Name, d.Value) {
			b.WriteString(line + "\n")
		}
	}
	return b.Bytes()
}

// DirectiveLines returns the redis.conf lines that set a directive to a
// normalized value: one line for most directives, one per pair for save.
func DirectiveLines(cat Catalog, name, value string) []string {
	args := cat.FileLines(name, value)
	lines := make([]string, len(args))
	for i, a := range args {
		lines[i] = FormatLine(name, a...)
	}
	return lines
}

// RenameLine is the rename-command line for a command; an empty new name
// disables it.
func RenameLine(command, newName string) string {
	return FormatLine("rename-command", command, newName)
}
