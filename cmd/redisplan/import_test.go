package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// seedBackup writes what the seed's backup_redis.sh writes for one RDB
// backup: BACKUP_DIR/rdb/dump_STAMP.rdb.gz (gzip -f of a copy of
// dump.rdb) and BACKUP_DIR/metadata/rdb_STAMP.meta, the JSON its heredoc
// prints. gz, when set, is written in place of gzip's output. It returns
// the .rdb.gz path.
func seedBackup(t *testing.T, backupDir, stamp, iso string, rdbFile, gz []byte) string {
	t.Helper()
	for _, sub := range []string{"rdb", "metadata"} {
		if err := os.MkdirAll(filepath.Join(backupDir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	raw := filepath.Join(backupDir, "rdb", "dump_"+stamp+".rdb")
	path := raw + ".gz"
	if gz == nil {
		if err := os.WriteFile(raw, rdbFile, 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("gzip", "-f", raw).CombinedOutput(); err != nil {
			t.Fatalf("gzip: %v: %s", err, out)
		}
	} else if err := os.WriteFile(path, gz, 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	meta := fmt.Sprintf(`{
  "backup_type": "rdb",
  "backup_file": "%s",
  "timestamp": "%s",
  "redis_version": "7.0.15",
  "used_memory": "1.53M",
  "total_keys": "1050",
  "original_size_bytes": %d,
  "compressed_size_bytes": %d,
  "compression_ratio": %.2f,
  "checksum": "%s"
}
`, filepath.Base(path), iso, len(rdbFile), len(b), float64(len(rdbFile))/float64(len(b)), hex.EncodeToString(sum[:]))
	if err := os.WriteFile(filepath.Join(backupDir, "metadata", "rdb_"+stamp+".meta"), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func fileSum(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// An operator moving from the seed's scripts imports their .rdb.gz + JSON
// backups into the catalog: backup list shows them, restore of one gives
// back the dataset it holds (same DEBUG DIGEST), the source files are not
// touched, and a damaged file (broken gzip, or an RDB whose CRC-64 does
// not match) is refused with nothing written.
func TestBackupImportSeedBackups(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`, "enable-debug-command local")
	fillDataset(t, d.addr(), "seed")
	want := digest(t, d.client(t))
	ctx := context.Background()
	if err := d.client(t).Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	rdbFile, err := os.ReadFile(filepath.Join(d.dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	seedDir := filepath.Join(t.TempDir(), "data")
	good := seedBackup(t, seedDir, "20251112_030000", "2025-11-12T03:00:00+01:00", rdbFile, nil)
	goodMeta := filepath.Join(seedDir, "metadata", "rdb_20251112_030000.meta")
	sums := map[string]string{good: fileSum(t, good), goodMeta: fileSum(t, goodMeta)}

	// A file cut short after the script wrote it, and a whole gzip stream
	// of an RDB with one byte changed, which the script's checksum
	// matches: only the RDB's CRC-64 trailer tells.
	cut := seedBackup(t, seedDir, "20251113_030000", "2025-11-13T03:00:00+01:00", rdbFile, nil)
	if err := os.Truncate(cut, 200); err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(rdbFile)
	flipped[len(flipped)/2] ^= 0xff
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(flipped)
	zw.Close()
	crc := seedBackup(t, seedDir, "20251114_030000", "2025-11-14T03:00:00+01:00", flipped, buf.Bytes())

	dest := t.TempDir()
	spec := backupSpec(t, d, dest, "")
	for _, tc := range []struct{ file, want string }{
		{cut, "is not a sound gzip file"},
		{crc, "checksum mismatch"},
	} {
		code, out, errOut := runCLI(t, "backup", "import", "-config", spec, "-target", "main", tc.file)
		if code != 1 || !strings.Contains(errOut, tc.want) || !strings.Contains(errOut, "nothing was imported") {
			t.Errorf("import of %s: exit %d, want 1 and %q\n%s%s", filepath.Base(tc.file), code, tc.want, out, errOut)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(dest, "main")); len(entries) != 0 {
		t.Errorf("refused imports left %d entries in the catalog", len(entries))
	}

	// A flag after a file would not be read, and a word that is not a
	// file (a target name) is not one to import: either line imports
	// nothing, not even the sound file it names first.
	otherDest := t.TempDir()
	other := backupSpec(t, d, otherDest, "")
	for _, late := range []string{"-no-load", "main"} {
		args := []string{"backup", "import", "-config", other, "-target", "main", good, late}
		code, out, errOut := runCLI(t, args...)
		if code != 1 || out != "" || !strings.Contains(errOut, "Nothing was done.") {
			t.Errorf("%q: exit %d, want 1 with nothing done\nstdout:\n%s\nstderr:\n%s", args, code, out, errOut)
		}
		if entries, _ := os.ReadDir(filepath.Join(otherDest, "main")); len(entries) != 0 {
			t.Errorf("%q left %d entries in the catalog", args, len(entries))
		}
	}

	// -no-load skips the scratch server: the file is still verified and
	// stored, without key counts.
	if out := mustRun(t, "backup", "import", "-no-load", "-config", other, "-target", "main", good); !strings.Contains(out, "as backup 20251112T020000.000Z: keys not counted") {
		t.Errorf("backup import -no-load output:\n%s", out)
	}
	if out := mustRun(t, "backup", "verify", "-config", other, "latest"); !strings.Contains(out, "is intact") {
		t.Errorf("backup verify of the -no-load import:\n%s", out)
	}

	out := mustRun(t, "backup", "import", "-config", spec, "-target", "main", good)
	if !strings.Contains(out, "imported "+good+" as backup 20251112T020000.000Z: 1050 keys") {
		t.Fatalf("backup import output:\n%s", out)
	}
	out = mustRun(t, "backup", "list", "-config", spec)
	if !strings.Contains(out, "20251112T020000.000Z  2025-11-12 02:00:00  import  1050") {
		t.Fatalf("backup list does not show the imported backup:\n%s", out)
	}
	// Importing the same file again writes nothing.
	if out := mustRun(t, "backup", "import", "-config", spec, "-target", "main", good); !strings.Contains(out, "already in the catalog as backup 20251112T020000.000Z") {
		t.Errorf("second import:\n%s", out)
	}
	mustRun(t, "backup", "verify", "-config", spec, "latest")

	// The dataset moves on; restoring the imported backup brings it back.
	fillDataset(t, d.addr(), "later")
	if digest(t, d.client(t)) == want {
		t.Fatal("the dataset did not change")
	}
	mustRun(t, "restore", "-config", spec, "-target", "main", "-latest", "-auto-approve")
	if got := digest(t, d.client(t)); got != want {
		t.Errorf("DEBUG DIGEST after restoring the imported backup = %s, want %s", got, want)
	}
	for path, sum := range sums {
		if got := fileSum(t, path); got != sum {
			t.Errorf("%s changed during the import", path)
		}
	}
}
