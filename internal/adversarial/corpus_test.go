// Package adversarial feeds the hostile inputs under testdata/adversarial
// to the real parsers and writers of redisplan, and checks that each one
// ends in a clear error or a correct result: never a panic, never a hang,
// never a write outside the directory the test hands out.
//
// Every folder of the corpus holds its inputs and a want.txt that says,
// for each input, what must happen. An input named *.gen is a small
// descriptor of a big input that the runner builds at run time (see
// generate), so that the committed corpus stays small.
package adversarial

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// corpusDir is the root of the corpus, relative to this package.
const corpusDir = "../../testdata/adversarial"

// hangGuard bounds one input's run. It is not a performance assertion:
// it only turns a hang into a failure that names the input, and it is
// generous enough for a slow, shared machine and the race detector.
const hangGuard = 3 * time.Minute

// maxCommitted bounds the size of the committed corpus: big inputs are
// generated, not committed.
const maxCommitted = 1 << 20

// expectation is one line of a want.txt: an input's name and what must
// happen to it, as the folder's runner reads it.
type expectation struct {
	name string
	line int
	// fields are the words after the name; rest is the text after the
	// first field (the kind), trimmed, for messages that hold spaces.
	fields []string
	rest   string
}

// kind is the first word after the name: ok, error, ...
func (e expectation) kind() string {
	if len(e.fields) == 0 {
		return ""
	}
	return e.fields[0]
}

// readWant reads dir/want.txt. Blank lines and lines starting with '#'
// are comments.
func readWant(t *testing.T, dir string) []expectation {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "want.txt"))
	if err != nil {
		t.Fatalf("read the expectations: %v", err)
	}
	defer f.Close()
	var out []expectation
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, after, _ := strings.Cut(line, " ")
		after = strings.TrimSpace(after)
		fields := strings.Fields(after)
		if len(fields) == 0 {
			t.Fatalf("%s/want.txt:%d: %q has no expectation", dir, n, name)
		}
		if seen[name] {
			t.Fatalf("%s/want.txt:%d: %s is listed twice", dir, n, name)
		}
		seen[name] = true
		rest := strings.TrimSpace(strings.TrimPrefix(after, fields[0]))
		out = append(out, expectation{name: name, line: n, fields: fields, rest: rest})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// isSidecar reports whether a file of a corpus folder is not an input of
// its own: the expectations, notes, and the extra inputs a case carries.
func isSidecar(name string) bool {
	switch {
	case name == "want.txt", name == "README.md", name == ".gitattributes":
		return true
	case strings.HasSuffix(name, ".vars"), strings.HasSuffix(name, ".varfile"):
		return true
	}
	return false
}

// cases returns the expectations of a corpus folder and checks that they
// and its inputs match one for one, so that no input is silently skipped.
func cases(t *testing.T, kind string) (dir string, want []expectation) {
	t.Helper()
	dir = filepath.Join(corpusDir, kind)
	want = readWant(t, dir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, w := range want {
		listed[w.name] = true
	}
	for _, e := range entries {
		if e.IsDir() || isSidecar(e.Name()) {
			continue
		}
		if !listed[e.Name()] {
			t.Errorf("%s/%s has no line in want.txt", kind, e.Name())
		}
		delete(listed, e.Name())
	}
	for name := range listed {
		t.Errorf("%s/want.txt lists %s, which does not exist", kind, name)
	}
	return dir, want
}

// input returns the bytes of a corpus input, generating it when it is a
// .gen descriptor.
func input(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(name, ".gen") {
		return b
	}
	out, err := generate(b)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out
}

// generate builds an input from a .gen descriptor. Each line that is not
// blank or a '#' comment is a Go double-quoted string, optionally followed
// by "* N": the string is written N times, with every "{i}" in it replaced
// by the repetition's index (0 to N-1). For example
//
//	"locals {\n"
//	"  k{i} = {i}\n" * 3
//	"}\n"
//
// writes a locals block of three numbered entries.
func generate(desc []byte) ([]byte, error) {
	var out bytes.Buffer
	for n, line := range strings.Split(string(desc), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		lit, count := line, 1
		if i := strings.LastIndex(line, "\" *"); i >= 0 {
			c, err := strconv.Atoi(strings.TrimSpace(line[i+3:]))
			if err != nil || c < 0 {
				return nil, fmt.Errorf("line %d: bad repetition count in %q", n+1, line)
			}
			lit, count = line[:i+1], c
		}
		s, err := strconv.Unquote(lit)
		if err != nil {
			return nil, fmt.Errorf("line %d: %q is not a Go string literal: %v", n+1, lit, err)
		}
		if count == 1 || !strings.Contains(s, "{i}") {
			out.WriteString(strings.Repeat(s, count))
			continue
		}
		for i := range count {
			out.WriteString(strings.ReplaceAll(s, "{i}", strconv.Itoa(i)))
		}
	}
	return out.Bytes(), nil
}

// guarded runs fn in its own goroutine: a panic becomes a test failure
// with its stack, and a run that does not end within hangGuard fails as a
// hang. It returns false when fn did not finish normally.
func guarded(t *testing.T, what string, fn func()) bool {
	t.Helper()
	type outcome struct {
		panicked any
		stack    []byte
	}
	done := make(chan outcome, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- outcome{panicked: r, stack: debug.Stack()}
				return
			}
			done <- outcome{}
		}()
		fn()
	}()
	timer := time.NewTimer(hangGuard)
	defer timer.Stop()
	select {
	case o := <-done:
		if o.panicked != nil {
			t.Errorf("%s panicked: %v\n%s", what, o.panicked, o.stack)
			return false
		}
		return true
	case <-timer.C:
		t.Errorf("%s did not return within %s: it hangs", what, hangGuard)
		return false
	}
}

// guardCtx is a context for product calls that take one: a hang guard,
// like guarded.
func guardCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	t.Cleanup(cancel)
	return ctx
}

// checkError fails unless err is non-nil, has a message, and the message
// contains want (case-insensitively): an error must say what is wrong.
func checkError(t *testing.T, what string, err error, want string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want one containing %q", what, want)
		return
	}
	msg := err.Error()
	if strings.TrimSpace(msg) == "" {
		t.Errorf("%s: the error has an empty message", what)
		return
	}
	if !strings.Contains(strings.ToLower(msg), strings.ToLower(want)) {
		t.Errorf("%s: error %q does not contain %q", what, clip(msg), want)
	}
}

// clip shortens a message for a failure report: some inputs are megabytes.
func clip(s string) string {
	const max = 600
	if len(s) <= max {
		return s
	}
	return s[:max] + fmt.Sprintf("... (%d bytes)", len(s))
}

// sandbox is a directory tree a writer is given: it may write under
// Inside only. Outside holds sentinel files where a "../" escape from
// Inside would land; Check makes sure nothing outside Inside changed.
type sandbox struct {
	Root, Inside, Outside string
	before                map[string]string
	parent                []string
}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	root := t.TempDir()
	s := &sandbox{Root: root, Inside: filepath.Join(root, "inside"), Outside: filepath.Join(root, "outside")}
	for _, d := range []string{s.Inside, s.Outside, filepath.Join(s.Outside, "etc")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range map[string]string{
		"outside/sentinel":      "do not touch\n",
		"outside/etc/x":         "do not touch either\n",
		"outside/redis.conf":    "port 6379\n",
		"outside/cron":          "# BEGIN redisplan main\n# END redisplan main\n",
		"outside/dump.rdb":      "REDIS0011",
		"outside/manifest.json": "{}",
	} {
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s.before = s.snapshot(t)
	s.parent = listDir(t, filepath.Dir(root))
	return s
}

// snapshot records every path under Root outside Inside, with its content
// or link target.
func (s *sandbox) snapshot(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(s.Root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == s.Inside {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(s.Root, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out[rel] = "link:" + target
		case d.IsDir():
			out[rel] = "dir"
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = "file:" + string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Check fails the test when anything outside Inside was created, changed
// or removed, in Root or next to it.
func (s *sandbox) Check(t *testing.T, what string) {
	t.Helper()
	after := s.snapshot(t)
	for p, v := range after {
		if old, ok := s.before[p]; !ok {
			t.Errorf("%s wrote %s, outside the directory it was given", what, p)
		} else if old != v {
			t.Errorf("%s changed %s, outside the directory it was given", what, p)
		}
	}
	for p := range s.before {
		if _, ok := after[p]; !ok {
			t.Errorf("%s removed %s, outside the directory it was given", what, p)
		}
	}
	if parent := listDir(t, filepath.Dir(s.Root)); !slices.Equal(parent, s.parent) {
		t.Errorf("%s changed the directory above its sandbox: %q, was %q", what, parent, s.parent)
	}
}

// Allow records the current state outside Inside as expected: for
// fixtures a test plants there on purpose.
func (s *sandbox) Allow(t *testing.T) { s.before = s.snapshot(t) }

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestCorpusSize keeps the committed corpus small and big enough: big
// inputs are generated, and each folder holds at least the number of
// inputs the corpus promises.
func TestCorpusSize(t *testing.T) {
	min := map[string]int{"spec": 25, "redisconf": 15, "crontab": 8, "manifest": 12}
	total := int64(0)
	err := filepath.WalkDir(corpusDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			total += info.Size()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if total > maxCommitted {
		t.Errorf("the committed corpus is %d bytes; keep it under %d by generating big inputs (.gen)", total, maxCommitted)
	}
	for kind, n := range min {
		_, want := cases(t, kind)
		if len(want) < n {
			t.Errorf("%s holds %d inputs, want at least %d", kind, len(want), n)
		}
		t.Logf("%s: %d inputs", kind, len(want))
	}
}

func TestGenerate(t *testing.T) {
	got, err := generate([]byte("# comment\n\"a\\n\"\n\"[{i}]\" * 3\n\"x\" * 2\n\"\" * 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "a\n[0][1][2]xx"; string(got) != want {
		t.Errorf("generate = %q, want %q", got, want)
	}
	for _, bad := range []string{"nope\n", "\"a\" * -1\n", "\"a\" * x\n"} {
		if _, err := generate([]byte(bad)); err == nil {
			t.Errorf("generate(%q) succeeded", bad)
		}
	}
}
