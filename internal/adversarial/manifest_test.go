package adversarial

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/backup/file"
	"github.com/redisplan/redisplan/executors/restore"
	"github.com/redisplan/redisplan/internal/model"
)

// artifact is the content of every artifact the manifest runner stores;
// the corpus's digests and sizes (21 bytes, sha256 1b0988...) are its.
const artifact = "adversarial artifact\n"

// noService is the message restore.Check gives, for a target without a
// service block, right after the manifest's files passed its checks: it
// marks the point where a restore would need a running server.
const noService = "does not know how to start the server"

// manifestTarget is the target the restore checks run against: it has no
// service block, so a check that gets past the manifest stops before it
// would dial a server.
func manifestTarget() *model.Target {
	return &model.Target{Name: "main", Connection: model.Connection{Address: "127.0.0.1:1"}}
}

// TestManifestCorpus reads every input of testdata/adversarial/manifest as
// the manifest.json of a backup in a file store, and follows it as far as
// the product would. want.txt says, per input:
//
//	NAME ID STAGE [TEXT]
//
// where ID is the backup's directory (the ID the manifest is read as) and
// STAGE is the first step that must fail, with an error containing TEXT:
//
//	parse    backup.ParseManifest and backup.ReadManifest (and
//	         backup.CheckManifest, when the JSON decodes)
//	read     backup.ReadManifest only (its size bound)
//	restore  restore.Check and restore.Drill, which classify the files
//	         before anything touches a server or a disk
//	verify   reading the artifacts back with backup.OpenStream, which
//	         checks sizes and digests
//	ok       nothing: the manifest is sound and its artifacts verify
//
// Every step before STAGE must pass; restore.Check then stops at the
// missing service block. Nothing may be written outside the sandbox.
func TestManifestCorpus(t *testing.T) {
	dir, want := cases(t, "manifest")
	for _, w := range want {
		t.Run(w.name, func(t *testing.T) {
			if len(w.fields) < 2 {
				t.Fatalf("want.txt:%d: want NAME ID STAGE [TEXT]", w.line)
			}
			id, stage := w.fields[0], w.fields[1]
			text := strings.TrimSpace(strings.TrimPrefix(w.rest, stage))
			if stage != "ok" && text == "" {
				t.Fatalf("want.txt:%d: stage %s needs the text of its error", w.line, stage)
			}
			data := input(t, dir, w.name)

			sb := newSandbox(t)
			setTempDir(t, sb)
			storeDir := filepath.Join(sb.Inside, "store")
			store, err := file.New(storeDir)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join(storeDir, id, "appendonlydir"), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(storeDir, id, backup.ManifestName), data, 0o600); err != nil {
				t.Fatal(err)
			}
			if stage == "verify" || stage == "ok" {
				storeArtifacts(t, filepath.Join(storeDir, id), data)
			}
			sb.Allow(t)
			ctx := guardCtx(t)

			var (
				parsed, read       *backup.Manifest
				parseErr, readErr  error
				checkErr, decodeOK error
			)
			if !guarded(t, "ParseManifest/ReadManifest", func() {
				parsed, parseErr = backup.ParseManifest(data, id)
				read, readErr = backup.ReadManifest(ctx, store, id)
				var m backup.Manifest
				if decodeOK = json.Unmarshal(data, &m); decodeOK == nil {
					checkErr = backup.CheckManifest(&m, id)
				}
			}) {
				return
			}
			defer sb.Check(t, "reading the backup")

			if stage == "parse" {
				checkError(t, "ParseManifest", parseErr, text)
				checkError(t, "ReadManifest", readErr, text)
				if decodeOK == nil && checkErr == nil {
					t.Errorf("CheckManifest accepts what ParseManifest refuses: %v", parseErr)
				}
				return
			}
			if parseErr != nil {
				t.Fatalf("ParseManifest: %v", clip(parseErr.Error()))
			}
			if decodeOK == nil && checkErr != nil {
				t.Errorf("CheckManifest refuses what ParseManifest accepts: %v", checkErr)
			}
			if stage == "read" {
				checkError(t, "ReadManifest", readErr, text)
				return
			}
			if readErr != nil {
				t.Fatalf("ReadManifest: %v", clip(readErr.Error()))
			}
			if len(read.Files) != len(parsed.Files) || read.ID != parsed.ID {
				t.Errorf("ReadManifest and ParseManifest disagree")
			}

			src := restore.Source{Manifest: parsed, Open: func(ctx context.Context, f backup.File) (io.ReadCloser, error) {
				return openArtifact(ctx, store, id, f)
			}}
			var restoreErr error
			if !guarded(t, "restore.Check", func() { _, restoreErr = restore.Check(ctx, manifestTarget(), src) }) {
				return
			}
			if stage == "restore" {
				checkError(t, "restore.Check", restoreErr, text)
				var drillErr error
				if !guarded(t, "restore.Drill", func() { _, drillErr = restore.Drill(ctx, src, restore.Options{}) }) {
					return
				}
				checkError(t, "restore.Drill", drillErr, text)
				return
			}
			checkError(t, "restore.Check", restoreErr, noService)

			var verifyErr error
			if !guarded(t, "verify", func() { verifyErr = verifyAll(ctx, store, id, parsed) }) {
				return
			}
			switch stage {
			case "verify":
				checkError(t, "verify", verifyErr, text)
			case "ok":
				if verifyErr != nil {
					t.Errorf("verify: %v", verifyErr)
				}
			default:
				t.Fatalf("want.txt:%d: unknown stage %q", w.line, stage)
			}
		})
	}
}

// storeArtifacts writes the artifact content under every name the
// manifest lists (each name was checked by ParseManifest before any
// verify-stage input gets here).
func storeArtifacts(t *testing.T, dir string, data []byte) {
	t.Helper()
	var m backup.Manifest
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&m); err != nil {
		t.Fatalf("a verify-stage manifest must decode: %v", err)
	}
	for _, f := range m.Files {
		if err := backup.CheckName(f.Name); err != nil {
			t.Fatalf("a verify-stage manifest must hold valid names: %v", err)
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(artifact), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// openArtifact is what backup verify and restore do for one file: open
// it in the store and undo its compression and encryption, checking its
// sizes and digests.
func openArtifact(ctx context.Context, s backup.Storage, id string, f backup.File) (io.ReadCloser, error) {
	rc, err := s.Open(ctx, id, f.Name)
	if err != nil {
		return nil, err
	}
	r, err := backup.OpenStream(rc, f, nil)
	if err != nil {
		rc.Close()
		return nil, err
	}
	return readCloser{r, func() error { return errors.Join(r.Close(), rc.Close()) }}, nil
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }

// verifyAll reads every artifact of a backup to its end.
func verifyAll(ctx context.Context, s backup.Storage, id string, m *backup.Manifest) error {
	for _, f := range m.Files {
		rc, err := openArtifact(ctx, s, id, f)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, rc)
		if cerr := rc.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}
