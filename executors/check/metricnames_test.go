package check

import (
	"bufio"
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// redisExporterNames reads testdata/prometheus/redis_exporter_metrics.txt: every
// metric name redis_exporter exports, from its source (the file says which
// commit and files).
func redisExporterNames(t *testing.T) map[string]bool {
	t.Helper()
	f, err := os.Open("../../testdata/prometheus/redis_exporter_metrics.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			names[line] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	// A list that lost its well-known names would make the test pass
	// for nothing.
	for _, n := range []string{"redis_up", "redis_connected_slaves", "redis_rdb_last_save_timestamp_seconds", "redis_memory_used_bytes", "redis_master_link_up"} {
		if !names[n] {
			t.Fatalf("the redis_exporter list lacks %s", n)
		}
	}
	return names
}

// fill sets every field of v (a pointer to a struct) to a value that is
// not its zero value, recursively, so that a writer that skips nil or
// zero figures writes them all.
func fill(v reflect.Value) {
	v = v.Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		if !f.CanSet() {
			continue
		}
		switch f.Kind() {
		case reflect.Pointer:
			p := reflect.New(f.Type().Elem())
			setLeaf(p.Elem())
			if p.Elem().Kind() == reflect.Struct {
				fill(p)
			}
			f.Set(p)
		case reflect.Struct:
			if f.Type() == reflect.TypeOf(time.Time{}) {
				f.Set(reflect.ValueOf(time.Unix(1_700_000_000, 0)))
				continue
			}
			p := reflect.New(f.Type())
			fill(p)
			f.Set(p.Elem())
		default:
			setLeaf(f)
		}
	}
}

func setLeaf(f reflect.Value) {
	switch f.Kind() {
	case reflect.Bool:
		f.SetBool(true)
	case reflect.Int, reflect.Int32, reflect.Int64:
		f.SetInt(1)
	case reflect.Uint, reflect.Uint32, reflect.Uint64:
		f.SetUint(1)
	case reflect.Float32, reflect.Float64:
		f.SetFloat(1)
	case reflect.String:
		f.SetString("x")
	case reflect.Struct:
		if f.Type() == reflect.TypeOf(time.Time{}) {
			f.Set(reflect.ValueOf(time.Unix(1_700_000_000, 0)))
		}
	}
}

// TestMetricNamesAreRedisplans: every metric redisplan writes for the
// textfile collector is in the redisplan_ namespace and is none of
// redis_exporter's names, so that a dashboard or a rule that reads
// redis_exporter's series never counts redisplan's figures twice. It
// checks both what WritePrometheus writes with every figure set (new
// fields of TargetMetrics included) and every family declared in the
// package's source, so that metrics added later are covered too.
func TestMetricNamesAreRedisplans(t *testing.T) {
	exporter := redisExporterNames(t)
	check := func(name, where string) {
		if !strings.HasPrefix(name, "redisplan_") {
			t.Errorf("%s: metric %q is not in the redisplan_ namespace", where, name)
		}
		if exporter[name] {
			t.Errorf("%s: metric %q is one of redis_exporter's names", where, name)
		}
	}

	var tm TargetMetrics
	fill(reflect.ValueOf(&tm))
	tm.Target = "main"
	var rep Report
	for _, name := range []string{CheckReachable, "memory_used_percent"} {
		rep.Results = append(rep.Results, Result{Target: "other", Name: name, Status: OK})
	}
	var b bytes.Buffer
	WritePrometheus(&b, rep, Metrics{tm})
	written := 0
	for _, line := range strings.Split(b.String(), "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			written++
			check(f[2], "WritePrometheus")
		}
	}
	if written < 10 {
		t.Fatalf("WritePrometheus wrote %d families with every figure set; want them all:\n%s", written, b.String())
	}

	// Every family{name: "..."} literal in the package's source.
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	declared := 0
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			cl, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			// family{...}, or an element {...} of a []*family literal.
			if id, ok := cl.Type.(*ast.Ident); cl.Type != nil && (!ok || id.Name != "family") {
				return true
			}
			for _, el := range cl.Elts {
				kv, ok := el.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				if k, ok := kv.Key.(*ast.Ident); !ok || k.Name != "name" {
					continue
				}
				lit, ok := kv.Value.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				name, err := strconv.Unquote(lit.Value)
				if err != nil {
					continue
				}
				declared++
				check(name, fset.Position(lit.Pos()).String())
			}
			return true
		})
	}
	if declared < written {
		t.Errorf("found %d family declarations in the source, fewer than the %d families written", declared, written)
	}
}
