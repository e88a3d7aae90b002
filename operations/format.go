package operations

import (
	"os"
	"path/filepath"
	"sort"

	hclv2 "github.com/hashicorp/hcl/v2"

	spechcl "github.com/redisplan/redisplan/hcl"
	"github.com/redisplan/redisplan/internal/fsutil"
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
	src, err := os.ReadFile(name)
	if err != nil {
		return Formatted{Name: name, Err: err}
	}
	return FormatSource(name, src)
}

// FormatSource formats spec text named name (a file, or "<stdin>").
func FormatSource(name string, src []byte) Formatted {
	f := Formatted{Name: name, Src: src}
	f.Out, f.Diags = spechcl.Format(src, name)
	return f
}

// WriteFormatted writes f's canonical form over its file atomically,
// keeping the file's mode: a 0600 spec stays 0600.
func WriteFormatted(f Formatted) error {
	mode := os.FileMode(0o644)
	if info, err := os.Stat(f.Name); err == nil {
		mode = info.Mode().Perm()
	}
	return fsutil.WriteFile(f.Name, f.Out, mode)
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
