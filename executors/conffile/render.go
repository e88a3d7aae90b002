// Package conffile renders and edits the redis.conf that redisplan manages.
package conffile

import (
	"bytes"
	"fmt"

	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/redisconf"
)

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
func Render(t *model.Target, cat *catalog.Catalog, opts RenderOptions) []byte {
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
func DirectiveLines(cat *catalog.Catalog, name, value string) []string {
	if name == "save" {
		pairs := catalog.SavePairs(value)
		if len(pairs) == 0 {
			return []string{redisconf.FormatLine("save", "")}
		}
		lines := make([]string, len(pairs))
		for i, p := range pairs {
			lines[i] = redisconf.FormatLine("save", p[0], p[1])
		}
		return lines
	}
	args := []string{value}
	if p, ok := cat.Lookup(name); ok {
		args = p.FileArgs(value)
	}
	return []string{redisconf.FormatLine(name, args...)}
}

// RenameLine is the rename-command line for a command; an empty new name
// disables it.
func RenameLine(command, newName string) string {
	return redisconf.FormatLine("rename-command", command, newName)
}
