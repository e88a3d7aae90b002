package adversarial

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redisplan/redisplan/executors/conffile"
	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/redisconf"
)

// confEdits is what the runner asks ApplyEdits to do to every input:
// replace one directive, remove one with an alias, replace a repeatable
// one, and replace the rename of one command.
var confEdits = []redisconf.Edit{
	{Directive: "maxmemory", Lines: []string{"maxmemory 2gb"}},
	{Directive: "replicaof", Aliases: []string{"slaveof"}},
	{Directive: "save", Lines: []string{"save 3600 1", "save 300 100"}},
	{Directive: "rename-command", Key: "FLUSHALL", Lines: []string{`rename-command FLUSHALL ""`}},
}

// concerned reports whether one of confEdits may change l.
func concerned(l redisconf.Line) bool {
	switch l.Directive {
	case "maxmemory", "replicaof", "slaveof", "save":
		return true
	case "rename-command":
		return len(l.Args) > 0 && strings.EqualFold(l.Args[0], "FLUSHALL")
	}
	return false
}

// TestRedisConfCorpus feeds every input of testdata/adversarial/redisconf
// to redisconf.Parse and Bytes, redisconf.Values, redisconf.ApplyEdits and
// conffile.Write. want.txt says, per input:
//
//	ok [includes=N]      Parse succeeds and Bytes gives the input back
//	                     byte for byte; Values succeeds (and lists N
//	                     include lines); ApplyEdits succeeds, keeps every
//	                     line it was not asked to change byte for byte,
//	                     and is idempotent; Write writes only the file
//	                     and its backup
//	parse-error TEXT     Parse, Values and ApplyEdits fail with TEXT
//	values-error TEXT    Parse succeeds and round-trips, Values fails
//	                     with TEXT (Redis would refuse the file), and
//	                     ApplyEdits still edits it as above
func TestRedisConfCorpus(t *testing.T) {
	dir, want := cases(t, "redisconf")
	cat, err := catalog.For("7.0")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range want {
		t.Run(w.name, func(t *testing.T) {
			data := input(t, dir, w.name)
			var (
				file     *redisconf.File
				parseErr error
			)
			if !guarded(t, "redisconf.Parse", func() { file, parseErr = redisconf.Parse(data) }) {
				return
			}
			var (
				fv        redisconf.FileValues
				valuesErr error
				edited    []byte
				editErr   error
			)
			if !guarded(t, "redisconf.Values", func() { fv, valuesErr = redisconf.Values(data, cat) }) {
				return
			}
			if !guarded(t, "redisconf.ApplyEdits", func() { edited, editErr = redisconf.ApplyEdits(data, confEdits) }) {
				return
			}

			switch w.kind() {
			case "parse-error":
				checkError(t, "Parse", parseErr, w.rest)
				checkError(t, "Values", valuesErr, w.rest)
				checkError(t, "ApplyEdits", editErr, w.rest)
				return
			case "ok":
				if valuesErr != nil {
					t.Errorf("Values: %v", clip(valuesErr.Error()))
				}
				for _, f := range w.fields[1:] {
					if n, ok := strings.CutPrefix(f, "includes="); ok {
						if want, _ := strconv.Atoi(n); len(fv.Includes) != want {
							t.Errorf("Values found %d include lines (%q), want %s", len(fv.Includes), fv.Includes, n)
						}
					} else {
						t.Fatalf("want.txt:%d: unknown check %q", w.line, f)
					}
				}
			case "values-error":
				checkError(t, "Values", valuesErr, w.rest)
			default:
				t.Fatalf("want.txt:%d: unknown expectation %q", w.line, w.kind())
			}

			// The input parses: it must come back byte for byte, and edit
			// cleanly.
			if parseErr != nil {
				t.Fatalf("Parse: %v", clip(parseErr.Error()))
			}
			if got := file.Bytes(); !bytes.Equal(got, data) {
				t.Errorf("Parse(...).Bytes() differs from the input (%d bytes, want %d)", len(got), len(data))
			}
			if editErr != nil {
				t.Fatalf("ApplyEdits: %v", clip(editErr.Error()))
			}
			checkEdited(t, file, edited)
			checkWrite(t, data, edited)
		})
	}
}

// checkEdited makes sure that ApplyEdits kept every line it was not asked
// to change, in order and byte for byte (include lines among them), that
// it added at most one marker, and that a second run changes nothing.
func checkEdited(t *testing.T, before *redisconf.File, edited []byte) {
	t.Helper()
	after, err := redisconf.Parse(edited)
	if err != nil {
		t.Fatalf("the edited file does not parse: %v", clip(err.Error()))
	}
	kept := func(f *redisconf.File) (lines []string, markers int) {
		for _, l := range f.Lines {
			if strings.TrimRight(l.Raw, "\r") == redisconf.Marker {
				markers++
				continue
			}
			if !concerned(l) {
				lines = append(lines, l.Raw)
			}
		}
		return lines, markers
	}
	wantLines, wantMarkers := kept(before)
	gotLines, gotMarkers := kept(after)
	if !slices.Equal(gotLines, wantLines) {
		t.Errorf("ApplyEdits changed lines it was not asked to: %d lines kept, want %d", len(gotLines), len(wantLines))
		for i := range min(len(gotLines), len(wantLines)) {
			if gotLines[i] != wantLines[i] {
				t.Errorf("first difference at kept line %d: %q, want %q", i+1, clip(gotLines[i]), clip(wantLines[i]))
				break
			}
		}
	}
	if gotMarkers > wantMarkers+1 {
		t.Errorf("ApplyEdits left %d marker lines, the input had %d", gotMarkers, wantMarkers)
	}
	for _, l := range before.Lines {
		if l.Directive == "include" && !slices.ContainsFunc(after.Lines, func(a redisconf.Line) bool { return a.Raw == l.Raw }) {
			t.Errorf("the include line %q is gone or changed", l.Raw)
		}
	}
	var want []string
	for _, e := range confEdits {
		want = append(want, e.Lines...)
	}
	for _, l := range want {
		if !slices.ContainsFunc(after.Lines, func(a redisconf.Line) bool { return strings.TrimRight(a.Raw, "\r") == l }) {
			t.Errorf("the edited file lacks the line %q", l)
		}
	}
	again, err := redisconf.ApplyEdits(edited, confEdits)
	if err != nil {
		t.Fatalf("ApplyEdits on its own output: %v", err)
	}
	if !bytes.Equal(again, edited) {
		t.Errorf("ApplyEdits is not idempotent on this input")
	}
}

// checkWrite writes the input, then the edited file, with conffile.Write
// into a sandbox: only the file and its backup may appear, and a Restore
// puts the input back.
func checkWrite(t *testing.T, data, edited []byte) {
	t.Helper()
	sb := newSandbox(t)
	path := filepath.Join(sb.Inside, "redis.conf")
	var prev1, prev2 []byte
	var err1, err2 error
	if !guarded(t, "conffile.Write", func() {
		prev1, err1 = conffile.Write(path, data)
		prev2, err2 = conffile.Write(path, edited)
	}) {
		return
	}
	if err1 != nil || err2 != nil {
		t.Fatalf("Write: %v, %v", err1, err2)
	}
	if prev1 != nil || !bytes.Equal(prev2, data) {
		t.Errorf("Write returned the wrong previous content")
	}
	sb.Check(t, "conffile.Write")
	names := listDir(t, sb.Inside)
	if !slices.Equal(names, []string{"redis.conf", "redis.conf" + conffile.BackupSuffix}) {
		t.Errorf("Write left %q in its directory", names)
	}
	if err := conffile.Restore(path, prev2, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, data) {
		t.Errorf("Restore did not put the input back")
	}
}
