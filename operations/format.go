package operations

import (
	"os"
	"path/filepath"
	"sort"

	hclv2 "github.com/hashicorp/hcl/v2"

	spechcl "github.com/redisplan/redisplan/hcl"
)

// Formatted is what fmt makes of one file: Src as read, Out its
// canonical form. Err is a file that could not be read; Diags, one that
// does not parse (Out is then nil).
type Formatted struct {
	Name     string
	Src, Out []byte
	Err      error
	Diags    hclv2.Diagnostics
}

// Changed says whether the file is not in its canonical form.
func (f Formatted) Changed() bool {
	return f.Err == nil && !f.Diags.HasErrors() && spechcl.NeedsFormat(f.Src, f.Out)
}

// FormatFile reads and formats one spec file; it writes nothing.
func FormatFile(name string) Formatted {
	f := Formatted{Name: name}
	if f.Src, f.Err = os.ReadFile(name); f.Err == nil {
		f.Out, f.Diags = spechcl.Format(f.Src, name)
	}
	return f
}

// HCLFiles expands paths: a file stands for itself, a directory for the
// *.hcl files in it, in order.
func HCLFiles(paths []string) ([]string, error) {
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
