package hcl

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	hclv2 "github.com/hashicorp/hcl/v2"
)

var errorMark = regexp.MustCompile(`#\s*ERROR:\s*(.+?)\s*$`)

// TestInvalidSpecs loads every spec in testdata/invalid. Each marks its
// offending lines with "# ERROR: <summary>"; the errors reported must be
// exactly those, each with its range on the marked line.
func TestInvalidSpecs(t *testing.T) {
	files, err := filepath.Glob("../testdata/invalid/*.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 30 {
		t.Fatalf("testdata/invalid holds %d specs, want at least 30", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			want := expectedErrors(t, f)
			if len(want) == 0 {
				t.Fatalf("%s marks no line with # ERROR:", f)
			}
			res, diags := Load(Options{Path: f})
			if res == nil {
				t.Fatal("Load returned a nil result")
			}
			if !diags.HasErrors() {
				t.Fatalf("no error reported; want %v", want)
			}
			if res.Spec != nil {
				t.Error("Load returned a spec despite errors")
			}
			got := map[string]bool{}
			for _, d := range diags.Errs() {
				hd := d.(*hclv2.Diagnostic)
				if hd.Subject == nil {
					t.Errorf("error without a source range: %s: %s", hd.Summary, hd.Detail)
					continue
				}
				if filepath.Base(hd.Subject.Filename) != filepath.Base(f) {
					t.Errorf("error points at another file %s", hd.Subject.Filename)
				}
				got[fmt.Sprintf("%d: %s", hd.Subject.Start.Line, hd.Summary)] = true
				if strings.TrimSpace(hd.Detail) == "" {
					t.Errorf("line %d: %q has no detail telling how to fix it", hd.Subject.Start.Line, hd.Summary)
				}
			}
			if g, w := keys(got), keys(want); strings.Join(g, "\n") != strings.Join(w, "\n") {
				t.Errorf("errors reported:\n  %s\nwant:\n  %s\ndiagnostics:\n%s", strings.Join(g, "\n  "), strings.Join(w, "\n  "), diags.Error())
			}
		})
	}
}

func expectedErrors(t *testing.T, path string) map[string]bool {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for i, line := range strings.Split(string(src), "\n") {
		if m := errorMark.FindStringSubmatch(line); m != nil {
			want[fmt.Sprintf("%d: %s", i+1, m[1])] = true
		}
	}
	return want
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
