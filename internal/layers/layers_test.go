package layers

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/redisplan/redisplan/"

// layer is a group of packages and its height: a package may import one of
// a lower layer, or of its own group.
type layer struct {
	group  string
	height int
}

// layerOf places a package (its path in the module) in its layer.
func layerOf(pkg string) (layer, bool) {
	top, _, _ := strings.Cut(pkg, "/")
	switch top {
	case "cmd", "scripts", "tests":
		return layer{top, 4}, true
	case "operations":
		return layer{top, 3}, true
	case "planner", "executors":
		return layer{top, 2}, true
	case "hcl":
		return layer{top, 1}, true
	case "internal":
		return layer{top, 0}, true
	}
	return layer{}, false
}

// allowed reports whether a package of layer from may import one of layer to.
func allowed(from, to layer) bool {
	return from.group == to.group || from.height > to.height
}

// testOnly are packages whose tests exercise every layer on purpose; their
// non-test code is checked like any other.
var testOnly = map[string]bool{
	"internal/adversarial": true,
}

// harness reports whether a package is a test harness (s3test,
// storagetest, servertest...): code that tests use to run real servers or
// shared contract suites. Any test may import one, wherever it lives; a
// harness's own code follows the layers like any other.
func harness(pkg string) bool {
	return strings.HasSuffix(path.Base(pkg), "test")
}

// imports returns, for each Go file under root (testdata and hidden
// directories skipped), its package directory and the module packages it
// imports.
func imports(t *testing.T, root string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			if strings.HasPrefix(p, module) {
				out[filepath.ToSlash(rel)] = append(out[filepath.ToSlash(rel)], strings.TrimPrefix(p, module))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// violations lists the imports of files against the grain.
func violations(files map[string][]string) []string {
	var out []string
	for file, imps := range files {
		pkg := filepath.ToSlash(filepath.Dir(file))
		from, ok := layerOf(pkg)
		if !ok {
			out = append(out, fmt.Sprintf("%s: package %s is in no layer; add its directory to layerOf", file, pkg))
			continue
		}
		if testOnly[pkg] && strings.HasSuffix(file, "_test.go") {
			continue
		}
		for _, imp := range imps {
			if harness(imp) && strings.HasSuffix(file, "_test.go") {
				continue
			}
			to, ok := layerOf(imp)
			if !ok || !allowed(from, to) {
				out = append(out, fmt.Sprintf("%s imports %s: %s may import only lower layers (cmd → operations → planner | executors → hcl → internal) and its own", file, imp, from.group))
			}
		}
	}
	return out
}

func TestImportsPointDown(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", root, err)
	}
	files := imports(t, root)
	if len(files) == 0 {
		t.Fatal("found no Go file importing a module package: the walk is broken")
	}
	for _, v := range violations(files) {
		t.Error(v)
	}
}

// TestViolationsFound makes sure the check fails on the imports it exists
// to refuse.
func TestViolationsFound(t *testing.T) {
	bad := map[string][]string{
		"planner/diff.go":            {"executors/conffile"},
		"executors/live/inspect.go":  {"planner"},
		"hcl/policy.go":              {"planner/lint"},
		"internal/model/model.go":    {"hcl"},
		"executors/apply/apply.go":   {"operations"},
		"internal/adversarial/x.go":  {"executors/backup"},
		"planner/lint/rules_test.go": {"executors/live"},
		"internal/units/units.go":    {"executors/server/servertest"},
		"internal/s3test/s3test.go":  {"executors/server/servertest"},
	}
	if got := violations(bad); len(got) != len(bad) {
		t.Errorf("found %d violations in %d bad imports:\n%s", len(got), len(bad), strings.Join(got, "\n"))
	}
	good := map[string][]string{
		"cmd/redisplan/main.go":                 {"operations", "planner", "executors/live", "hcl", "internal/model"},
		"operations/plan.go":                    {"planner", "executors/live"},
		"executors/restore/restore.go":          {"executors/backup", "internal/redisconf"},
		"planner/lint/rules_test.go":            {"hcl", "planner"},
		"hcl/policy.go":                         {"internal/model"},
		"internal/redisconf/render.go":          {"internal/model"},
		"internal/adversarial/spec_test.go":     {"executors/backup", "hcl"},
		"scripts/benchreport/main.go":           {"internal/fsutil"},
		"cmd/redisplan/internal/arguments/a.go": {"executors/drill"},
		"internal/catalog/live_test.go":         {"executors/server/servertest"},
		"executors/backup/file/file_test.go":    {"executors/backup/storagetest", "executors/server/servertest"},
	}
	if got := violations(good); len(got) != 0 {
		t.Errorf("allowed imports reported:\n%s", strings.Join(got, "\n"))
	}
}
