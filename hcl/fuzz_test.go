package hcl

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the loader: it must never panic, and
// it must either return a spec or at least one error.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/*/*.hcl")
	seeds = append(seeds, "../examples/redis.hcl")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	dir := f.TempDir()
	path := filepath.Join(dir, "spec.hcl")
	f.Fuzz(func(t *testing.T, src []byte) {
		if err := os.WriteFile(path, src, 0o600); err != nil {
			t.Fatal(err)
		}
		res, diags := Load(Options{Path: path, Vars: []string{}})
		if res == nil {
			t.Fatal("nil result")
		}
		if !diags.HasErrors() && res.Spec == nil {
			t.Fatal("no errors and no spec")
		}
		if diags.HasErrors() && res.Spec != nil {
			t.Fatal("errors and a spec")
		}
	})
}
