package adversarial

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/backup/file"
	"github.com/redisplan/redisplan/executors/restore"
	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/progress"
)

const storeID = "20261129T030000Z"

// newStoreWithBackup makes a file store in the sandbox holding one
// complete backup whose manifest is the corpus's ok_baseline.json.
func newStoreWithBackup(t *testing.T, sb *sandbox) (*file.Store, string) {
	t.Helper()
	dir := filepath.Join(sb.Inside, "store")
	s, err := file.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(corpusDir, "manifest", "ok_baseline.json"))
	if err != nil {
		t.Fatal(err)
	}
	bdir := filepath.Join(dir, storeID)
	if err := os.MkdirAll(bdir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bdir, backup.ManifestName), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return s, bdir
}

// readAll opens name in backup id and reads it to the end.
func readAll(ctx context.Context, s *file.Store, id, name string) (string, error) {
	rc, err := s.Open(ctx, id, name)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return string(b), err
}

// TestStoreRefusesSymlinksOut plants symbolic links in a stored backup
// that lead out of it. The file backend opens artifacts with
// os.OpenInRoot rooted at the backup's directory, so each must be
// refused: the content outside must never be returned.
func TestStoreRefusesSymlinksOut(t *testing.T) {
	secret := "outside the store\n"
	tests := []struct {
		name  string
		plant func(t *testing.T, bdir, outside string)
		open  string
	}{
		{"artifact to an absolute path outside", func(t *testing.T, bdir, outside string) {
			symlink(t, filepath.Join(outside, "secret"), filepath.Join(bdir, "dump.rdb"))
		}, "dump.rdb"},
		{"artifact to a relative path outside", func(t *testing.T, bdir, outside string) {
			symlink(t, "../../../outside/secret", filepath.Join(bdir, "dump.rdb"))
		}, "dump.rdb"},
		{"artifact to another backup", func(t *testing.T, bdir, outside string) {
			other := filepath.Join(filepath.Dir(bdir), "20250101T000000Z")
			if err := os.MkdirAll(other, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(other, "dump.rdb"), []byte(secret), 0o600); err != nil {
				t.Fatal(err)
			}
			symlink(t, "../20250101T000000Z/dump.rdb", filepath.Join(bdir, "dump.rdb"))
		}, "dump.rdb"},
		{"artifact to an absolute path inside the backup", func(t *testing.T, bdir, outside string) {
			if err := os.WriteFile(filepath.Join(bdir, "real.rdb"), []byte(secret), 0o600); err != nil {
				t.Fatal(err)
			}
			symlink(t, filepath.Join(bdir, "real.rdb"), filepath.Join(bdir, "dump.rdb"))
		}, "dump.rdb"},
		{"directory on the way", func(t *testing.T, bdir, outside string) {
			symlink(t, outside, filepath.Join(bdir, "appendonlydir"))
		}, "appendonlydir/secret"},
		{"manifest", func(t *testing.T, bdir, outside string) {
			if err := os.Remove(filepath.Join(bdir, backup.ManifestName)); err != nil {
				t.Fatal(err)
			}
			symlink(t, filepath.Join(outside, "secret"), filepath.Join(bdir, backup.ManifestName))
		}, backup.ManifestName},
		{"chain of links", func(t *testing.T, bdir, outside string) {
			symlink(t, "b", filepath.Join(bdir, "dump.rdb"))
			symlink(t, "c", filepath.Join(bdir, "b"))
			symlink(t, "../../../outside/secret", filepath.Join(bdir, "c"))
		}, "dump.rdb"},
		{"loop of links", func(t *testing.T, bdir, outside string) {
			symlink(t, "b", filepath.Join(bdir, "dump.rdb"))
			symlink(t, "dump.rdb", filepath.Join(bdir, "b"))
		}, "dump.rdb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := newSandbox(t)
			if err := os.WriteFile(filepath.Join(sb.Outside, "secret"), []byte(secret), 0o644); err != nil {
				t.Fatal(err)
			}
			s, bdir := newStoreWithBackup(t, sb)
			tt.plant(t, bdir, sb.Outside)
			sb.Allow(t)
			var (
				got string
				err error
			)
			if !guarded(t, "Store.Open", func() { got, err = readAll(guardCtx(t), s, storeID, tt.open) }) {
				return
			}
			if err == nil || strings.Contains(got, secret) {
				t.Fatalf("Open(%s) read %q through a link, err %v: it must refuse", tt.open, got, err)
			}
			if strings.TrimSpace(err.Error()) == "" || !strings.Contains(err.Error(), storeID) {
				t.Errorf("the error %q does not name the backup", err)
			}
			if tt.open == backup.ManifestName {
				_, err := backup.ReadManifest(guardCtx(t), s, storeID)
				checkError(t, "ReadManifest", err, "read manifest of "+storeID)
			}
			sb.Check(t, "Store.Open")
		})
	}
}

// TestStoreRefusesSpecialFiles plants a FIFO and a directory where a
// backup's files should be. Opening a FIFO for reading waits for a writer,
// so Open must refuse it rather than hang; a directory is refused too.
func TestStoreRefusesSpecialFiles(t *testing.T) {
	for _, tt := range []struct {
		name  string
		plant func(t *testing.T, path string)
	}{
		{"fifo", func(t *testing.T, path string) {
			if err := syscall.Mkfifo(path, 0o600); err != nil {
				t.Skipf("cannot make a FIFO here: %v", err)
			}
		}},
		{"directory", func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		for _, name := range []string{backup.ManifestName, "dump.rdb"} {
			t.Run(tt.name+" as "+name, func(t *testing.T) {
				sb := newSandbox(t)
				s, bdir := newStoreWithBackup(t, sb)
				if name == backup.ManifestName {
					if err := os.Remove(filepath.Join(bdir, name)); err != nil {
						t.Fatal(err)
					}
				}
				tt.plant(t, filepath.Join(bdir, name))
				sb.Allow(t)
				var err error
				if !guarded(t, "Store.Open", func() { _, err = readAll(guardCtx(t), s, storeID, name) }) {
					return
				}
				checkError(t, "Open", err, "not a regular file")
				if name == backup.ManifestName {
					var rerr error
					if !guarded(t, "ReadManifest", func() { _, rerr = backup.ReadManifest(guardCtx(t), s, storeID) }) {
						return
					}
					checkError(t, "ReadManifest", rerr, "not a regular file")
				}
				sb.Check(t, "Store.Open")
			})
		}
	}
}

// TestStoreLinkInsideBackup: a relative link that stays inside the
// backup's directory is followed; that is the one kind os.OpenInRoot
// allows.
func TestStoreLinkInsideBackup(t *testing.T) {
	sb := newSandbox(t)
	s, bdir := newStoreWithBackup(t, sb)
	if err := os.WriteFile(filepath.Join(bdir, "real.rdb"), []byte(artifact), 0o600); err != nil {
		t.Fatal(err)
	}
	symlink(t, "real.rdb", filepath.Join(bdir, "dump.rdb"))
	got, err := readAll(guardCtx(t), s, storeID, "dump.rdb")
	if err != nil || got != artifact {
		t.Fatalf("Open through a link inside the backup: %q, %v", got, err)
	}
}

// TestStoreBackupDirLinkedOut: the backup's own directory is a link to a
// directory outside the store that holds a manifest. List must not show
// it, and Open must not read through it.
func TestStoreBackupDirLinkedOut(t *testing.T) {
	sb := newSandbox(t)
	dir := filepath.Join(sb.Inside, "store")
	s, err := file.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(corpusDir, "manifest", "ok_baseline.json"))
	if err != nil {
		t.Fatal(err)
	}
	elsewhere := filepath.Join(sb.Outside, "backup")
	if err := os.Mkdir(elsewhere, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{backup.ManifestName: string(b), "dump.rdb": artifact} {
		if err := os.WriteFile(filepath.Join(elsewhere, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	symlink(t, elsewhere, filepath.Join(dir, storeID))
	sb.Allow(t)
	ctx := guardCtx(t)

	ids, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 0 {
		t.Errorf("List shows %q, a link out of the store", ids)
	}
	got, err := readAll(ctx, s, storeID, "dump.rdb")
	if err == nil {
		t.Errorf("Open read %q through a backup directory that links out of the store", got)
	} else if !strings.Contains(err.Error(), storeID) {
		t.Errorf("the error %q does not name the backup", err)
	}
	if _, err := backup.ReadManifest(ctx, s, storeID); err == nil {
		t.Errorf("ReadManifest read a manifest through a backup directory that links out of the store")
	}
	sb.Check(t, "Store.Open")
}

// TestStoreCreateStaysInside gives Pending.Create hostile names, and a
// link planted in the pending directory, and checks that every write
// lands inside the store or is refused with a message.
func TestStoreCreateStaysInside(t *testing.T) {
	sb := newSandbox(t)
	dir := filepath.Join(sb.Inside, "store")
	s, err := file.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := guardCtx(t)
	p, err := s.Begin(ctx, storeID)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"../escape":                      `".." elements are not allowed`,
		"../../outside/sentinel":         `".." elements are not allowed`,
		"a/../../../x":                   `".." elements are not allowed`,
		"/etc/x":                         "must be relative",
		`..\..\x`:                        "backslashes",
		"dump\x00.rdb":                   "control characters",
		"":                               "empty",
		backup.ManifestName:              "reserved",
		strings.Repeat("a", 2000):        "longer than 1024",
		"appendonlydir//x":               "empty",
		"appendonlydir/./x":              `"." and ".." elements`,
		"x\n* * * * * root touch /tmp/p": "control characters",
	} {
		_, err := p.Create(ctx, name)
		checkError(t, "Create("+clip(name)+")", err, want)
	}

	// A link planted where Create makes a subdirectory.
	// The pending directory, not its owner record beside it.
	pending, err := filepath.Glob(filepath.Join(dir, ".pending-*[^r]"))
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending directories: %q, %v", pending, err)
	}
	symlink(t, sb.Outside, filepath.Join(pending[0], "appendonlydir"))
	symlink(t, filepath.Join(sb.Outside, "planted"), filepath.Join(pending[0], "dump.rdb"))
	sb.Allow(t)
	if w, err := p.Create(ctx, "appendonlydir/appendonly.aof.1.base.rdb"); err == nil {
		w.Close()
		t.Errorf("Create wrote through a link planted in the pending directory")
	}
	if w, err := p.Create(ctx, "dump.rdb"); err == nil {
		w.Close()
		t.Errorf("Create wrote through a dangling link planted in the pending directory")
	}

	// A manifest that lists what was never written is refused at Commit.
	m := &backup.Manifest{Version: backup.ManifestVersion, ID: storeID, Files: []backup.File{{Name: "never-written.rdb", StoredSize: 1}}}
	checkError(t, "Commit", p.Commit(ctx, m), "was not written")
	if err := p.Abort(ctx); err != nil {
		t.Fatal(err)
	}
	sb.Check(t, "Pending.Create")
}

// TestRestorePlacementStaysInDataDir: the place a restore writes each
// file to is derived from the manifest's original names, and a name that
// would leave the data dir must be refused before anything is written.
// Placement itself runs only once the server is stopped, so it needs a
// running server; what a test can reach without one is the validation
// that runs first in both restore.Check and restore.Drill (classify), and
// that is what this test drives, with names a hostile manifest could hold.
func TestRestorePlacementStaysInDataDir(t *testing.T) {
	for _, original := range []string{
		"../../etc/x",
		"/etc/cron.d/x",
		"appendonlydir/../../x",
		"..",
		".",
		"",
		`..\..\x`,
		"dump\x00.rdb",
		"a/b/../../../x",
		"appendonlydir/\x00",
	} {
		t.Run(original, func(t *testing.T) {
			sb := newSandbox(t)
			setTempDir(t, sb)
			m := &backup.Manifest{Version: 1, ID: storeID, Files: []backup.File{{
				Name: "dump.rdb", Original: original, Kind: backup.KindRDB, RawSize: 21, StoredSize: 21, Compression: "none",
			}}}
			opened := false
			src := restore.Source{Manifest: m, Open: func(context.Context, backup.File) (io.ReadCloser, error) {
				opened = true
				return io.NopCloser(strings.NewReader(artifact)), nil
			}}
			ctx := guardCtx(t)
			var checkErr, drillErr error
			if !guarded(t, "restore", func() {
				_, checkErr = restore.Check(ctx, manifestTarget(), src)
				_, drillErr = restore.Drill(ctx, src, restore.Options{})
			}) {
				return
			}
			checkError(t, "restore.Check", checkErr, "unusable original name")
			checkError(t, "restore.Drill", drillErr, "unusable original name")
			if opened {
				t.Errorf("the backup's file was opened before its name was checked")
			}
			sb.Check(t, "restore")
		})
	}
}

// TestRestorePlacementUsesBaseNames: an original name with directories
// in it is not refused, because placement never uses them: an RDB goes to
// the server's dbfilename and an AOF file to its appenddirname under the
// name's last element. These names get past the name checks, to the
// point where a restore needs the server.
func TestRestorePlacementUsesBaseNames(t *testing.T) {
	for _, original := range []string{"appendonlydir/", "x/y/dump.rdb", "...", "dump.rdb/"} {
		t.Run(original, func(t *testing.T) {
			m := &backup.Manifest{Version: 1, ID: storeID, Files: []backup.File{{
				Name: "dump.rdb", Original: original, Kind: backup.KindRDB, RawSize: 21, StoredSize: 21, Compression: "none",
			}}}
			src := restore.Source{Manifest: m, Open: func(context.Context, backup.File) (io.ReadCloser, error) {
				return io.NopCloser(strings.NewReader(artifact)), nil
			}}
			_, err := restore.Check(guardCtx(t), manifestTarget(), src)
			checkError(t, "restore.Check", err, noService)
		})
	}
}

// emptyRDB is the smallest RDB a server loads: the magic and version 10
// (which Redis 7.0 and later read), the EOF opcode, and a zero checksum
// (which Redis does not check).
const emptyRDB = "REDIS0010\xff\x00\x00\x00\x00\x00\x00\x00\x00"

// TestDrillPlacementStaysInside drives the real placement code, which
// restore.Drill runs into a scratch directory without needing a target,
// with original names that pass the checks but carry directories and
// odd forms. Every file must be written under the scratch directory
// (which TMPDIR puts in the sandbox) by its base name, the scratch
// server must load them, and nothing may appear outside the sandbox.
func TestDrillPlacementStaysInside(t *testing.T) {
	bin := servertest.Binary(t)
	t.Setenv(restore.EnvRedisServer, bin)
	type stored struct {
		f       backup.File
		content string
	}
	file := func(name, original, kind, content string) stored {
		return stored{backup.File{Name: name, Original: original, Kind: kind, RawSize: int64(len(content)), StoredSize: int64(len(content)), Compression: "none"}, content}
	}
	aofManifest := "file appendonly.aof.1.base.rdb seq 1 type b\n"
	for _, tt := range []struct {
		name  string
		files []stored
	}{
		{"rdb with directories in its original name", []stored{
			file("dump.rdb", "x/y/z/dump.rdb", backup.KindRDB, emptyRDB),
		}},
		{"rdb named like the aof directory", []stored{
			file("dump.rdb", "appendonlydir/", backup.KindRDB, emptyRDB),
		}},
		{"aof whose originals nest deep", []stored{
			file("m", "a/b/c/appendonly.aof.manifest", backup.KindAOFManifest, aofManifest),
			file("b", "d/e/appendonly.aof.1.base.rdb", backup.KindAOFBase, emptyRDB),
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sb := newSandbox(t)
			setTempDir(t, sb)
			scratchParent := filepath.Join(sb.Inside, "tmp")
			m := &backup.Manifest{Version: 1, ID: storeID, Keyspace: map[int]backup.DBStats{}}
			content := map[string]string{}
			for _, f := range tt.files {
				m.Files = append(m.Files, f.f)
				content[f.f.Name] = f.content
			}
			src := restore.Source{Manifest: m, Open: func(_ context.Context, f backup.File) (io.ReadCloser, error) {
				return io.NopCloser(strings.NewReader(content[f.Name])), nil
			}}
			var wrote []string
			opts := restore.Options{Emit: func(e progress.Event) {
				if p, ok := strings.CutPrefix(e.Message, "wrote "); ok {
					wrote = append(wrote, strings.Fields(p)[0])
				}
			}}
			var err error
			if !guarded(t, "restore.Drill", func() { _, err = restore.Drill(guardCtx(t), src, opts) }) {
				return
			}
			if err != nil {
				t.Fatalf("Drill: %v", err)
			}
			t.Logf("wrote %q", wrote)
			if len(wrote) != len(m.Files) {
				t.Errorf("Drill reported writing %q, want %d files", wrote, len(m.Files))
			}
			for _, p := range wrote {
				rel, err := filepath.Rel(scratchParent, p)
				if err != nil || strings.HasPrefix(rel, "..") || strings.Count(rel, string(filepath.Separator)) > 2 {
					t.Errorf("Drill wrote %s, not directly in its scratch directory under %s", p, scratchParent)
				}
			}
			sb.Check(t, "restore.Drill")
			if left := listDir(t, scratchParent); len(left) != 0 {
				t.Errorf("Drill left %q behind", left)
			}
		})
	}
}

// setTempDir points TMPDIR, where restore.Drill makes its scratch
// directory, into the sandbox.
func setTempDir(t *testing.T, sb *sandbox) {
	t.Helper()
	dir := filepath.Join(sb.Inside, "tmp")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", dir)
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}
