package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEmptyServerKeepsLastBackupWithData: a server that comes back empty
// (a lost disk, a renamed persistence file, a FLUSHALL) goes on being
// backed up every night. With keep_last = 1, each of those empty backups
// used to push the last backup with data out, so after one night no copy
// of the data was left. The newest verified backup holding keys stays,
// and prune says why.
func TestEmptyServerKeepsLastBackupWithData(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`)
	fillDataset(t, d.addr(), "precious")
	dest := t.TempDir()
	spec := backupSpec(t, d, dest, "    retention {\n      keep_last = 1\n    }")
	mustRun(t, "backup", "run", "-config", spec)
	withData := backupDirs(t, dest)
	if len(withData) != 1 {
		t.Fatalf("backups after the first run: %v", withData)
	}

	if err := d.client(t).FlushAll(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	for night := 0; night < 2; night++ {
		mustRun(t, "backup", "run", "-config", spec)
	}
	left := backupDirs(t, dest)
	if len(left) != 2 || left[0] != withData[0] {
		t.Fatalf("after two backups of the emptied server, the backups are %v; want the one with data (%s) and the newest", left, withData[0])
	}
	out := mustRun(t, "backup", "prune", "-dry-run", "-config", spec)
	if !strings.Contains(out, withData[0]) || !strings.Contains(out, "newest verified backup holding keys") {
		t.Errorf("prune -dry-run does not say why the backup with data stays:\n%s", out)
	}
}

// backupDirs lists the complete backups (directories with a manifest)
// under dest/main, oldest first.
func backupDirs(t *testing.T, dest string) []string {
	t.Helper()
	ms, err := filepath.Glob(filepath.Join(dest, "main", "*", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range ms {
		if _, err := os.Stat(m); err == nil {
			ids = append(ids, filepath.Base(filepath.Dir(m)))
		}
	}
	return ids
}

// TestDamagedBackupNamesItsFileOnce: a damaged stored file was reported
// as "dump.rdb.gz: dump.rdb.gz: the stored file is damaged"; each name
// now appears once, in a sentence.
func TestDamagedBackupNamesItsFileOnce(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`)
	fillDataset(t, d.addr(), "damaged")
	dest := t.TempDir()
	spec := backupSpec(t, d, dest, `    compression = "gzip"`)
	mustRun(t, "backup", "run", "-config", spec)
	stored, err := filepath.Glob(filepath.Join(dest, "main", "*", "dump.rdb.gz"))
	if err != nil || len(stored) != 1 {
		t.Fatalf("stored files: %v, %v", stored, err)
	}
	f, err := os.OpenFile(stored[0], os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("XXXXXXXX"), 200); err != nil {
		t.Fatal(err)
	}
	f.Close()
	code, out, errOut := runCLI(t, "backup", "verify", "-config", spec)
	// Where the damage shows depends on the bytes it hit (a decoder error,
	// more bytes than recorded, a checksum): each says "the stored file".
	if code != 1 || !strings.Contains(errOut, "the stored file dump.rdb.gz ") || strings.Count(errOut, "dump.rdb.gz") != 1 {
		t.Errorf("verify of a damaged backup: exit %d, want 1 and the stored file named once\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
