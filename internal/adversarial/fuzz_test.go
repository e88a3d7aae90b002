package adversarial

import (
	"context"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/restore"
)

// addCorpus adds every committed input of a corpus folder (not the .gen
// descriptors: the fuzzer mutates small inputs best) as a seed.
func addCorpus(f *testing.F, kind string, add func(b []byte)) {
	f.Helper()
	dir := filepath.Join(corpusDir, kind)
	entries, err := os.ReadDir(dir)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() || isSidecar(e.Name()) || strings.HasSuffix(e.Name(), ".gen") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		add(b)
	}
}

// FuzzCrontabSplice: for any crontab and any target name redisplan can
// produce (no line break, no surrounding space), Splice keeps every byte
// outside the target's blocks and reads back what it wrote; see
// checkSplice.
func FuzzCrontabSplice(f *testing.F) {
	addCorpus(f, "crontab", func(b []byte) {
		f.Add(b, "main")
		f.Add(b, `main["eu"]`)
	})
	f.Fuzz(func(t *testing.T, data []byte, target string) {
		if target == "" || target != strings.TrimSpace(target) || strings.ContainsAny(target, "\r\n") {
			return
		}
		checkSplice(t, data, target)
	})
}

// FuzzManifest: for any bytes, ParseManifest returns a manifest that
// passes CheckManifest and survives an encode/decode round trip, or an
// error with a message; and a manifest that the restore checks accept
// places every file under a plain name, inside the data dir.
func FuzzManifest(f *testing.F) {
	addCorpus(f, "manifest", func(b []byte) { f.Add(b) })
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := backup.ParseManifest(data, storeID)
		if err != nil {
			if strings.TrimSpace(err.Error()) == "" {
				t.Fatal("ParseManifest failed with an empty message")
			}
			return
		}
		if err := backup.CheckManifest(m, storeID); err != nil {
			t.Fatalf("ParseManifest accepted what CheckManifest refuses: %v", err)
		}
		for _, fl := range m.Files {
			if err := backup.CheckName(fl.Name); err != nil {
				t.Fatalf("ParseManifest accepted the name %q: %v", fl.Name, err)
			}
		}
		b, err := backup.MarshalManifest(m)
		if err != nil {
			t.Fatalf("MarshalManifest: %v", err)
		}
		again, err := backup.ParseManifest(b, storeID)
		if err != nil {
			t.Fatalf("a marshalled manifest does not parse: %v\n%s", err, b)
		}
		// Empty and absent lists are the same manifest: recipients is
		// omitted when empty.
		if diff := cmp.Diff(m, again, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("the round trip changed the manifest (-before +after):\n%s", diff)
		}

		src := restore.Source{Manifest: m, Open: func(context.Context, backup.File) (io.ReadCloser, error) {
			t.Fatal("a restore check read a file before it had a server")
			return nil, nil
		}}
		_, err = restore.Check(ctx, manifestTarget(), src)
		if err == nil || strings.TrimSpace(err.Error()) == "" {
			t.Fatalf("restore.Check without a service: %v", err)
		}
		if !strings.Contains(err.Error(), noService) {
			return // refused: what matters is that it said so
		}
		for _, fl := range m.Files {
			base := path.Base(fl.Original)
			if base == "." || base == ".." || base == "/" || strings.ContainsAny(base, "/\\\x00") ||
				path.IsAbs(fl.Original) || strings.Contains("/"+fl.Original+"/", "/../") {
				t.Fatalf("the restore checks accept the original name %q", fl.Original)
			}
		}
	})
}
