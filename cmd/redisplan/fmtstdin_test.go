package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runStdin runs the command in-process with stdin.
func runStdin(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runIn(context.Background(), surroundings{environ: environFor(t), sender: testSender}, args, strings.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// fmt - is what an editor calls: the spec on stdin, the formatted spec on
// stdout, nothing written anywhere.
func TestFmtStdin(t *testing.T) {
	t.Parallel()
	messy := "redis \"main\" {\naddress=\"127.0.0.1:6379\"\n}\n"
	tidy := "redis \"main\" {\n  address = \"127.0.0.1:6379\"\n}\n"
	if code, out, errOut := runStdin(t, messy, "fmt", "-"); code != 0 || out != tidy {
		t.Errorf("fmt -: exit %d, stdout %q, want 0 and %q\n%s", code, out, tidy, errOut)
	}
	if code, out, _ := runStdin(t, tidy, "fmt", "-"); code != 0 || out != tidy {
		t.Errorf("fmt - of a formatted spec: exit %d, stdout %q, want it unchanged", code, out)
	}
	if code, out, _ := runStdin(t, messy, "fmt", "-check", "-"); code != exitNeedsFormat || out != "" {
		t.Errorf("fmt -check -: exit %d, stdout %q, want %d and nothing", code, out, exitNeedsFormat)
	}
	if code, out, _ := runStdin(t, messy, "fmt", "-diff", "-"); code != 0 || !strings.Contains(out, "+  address = ") {
		t.Errorf("fmt -diff -: exit %d, stdout %q, want the change as a diff", code, out)
	}
	code, out, errOut := runStdin(t, "redis \"main\" {\naddress=\n}\n", "fmt", "-")
	if code != 1 || out != "" || !strings.Contains(errOut, "<stdin> line 2") {
		t.Errorf("fmt - of a broken spec: exit %d, stdout %q, stderr %q; want 1 and the error at <stdin> line 2", code, out, errOut)
	}
}

// fmt rewrites a file with the mode it had: a spec kept 0600 stays 0600.
func TestFmtKeepsTheFileMode(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "redis.hcl")
	if err := os.WriteFile(path, []byte("redis \"main\" {\naddress=\"127.0.0.1:6379\"\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCLI(t, "fmt", path); code != 0 {
		t.Fatalf("fmt: exit %d\n%s%s", code, out, errOut)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mode after fmt = %v, want 0600 as before", info.Mode().Perm())
	}
}
