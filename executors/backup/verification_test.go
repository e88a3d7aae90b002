package backup_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
)

// TestLoadCatalogKnowsWhatIsWrong: a backup counts as verified (Usable)
// only while its artifacts are there with their sizes and its last
// re-verification, if any, passed; a later pass clears a failure.
func TestLoadCatalogKnowsWhatIsWrong(t *testing.T) {
	ctx := context.Background()
	load := func(s backup.Storage) *backup.Manifest {
		t.Helper()
		ms, err := backup.LoadCatalog(ctx, s)
		if err != nil || len(ms) != 1 {
			t.Fatalf("LoadCatalog = %v, %v; want one backup", ms, err)
		}
		return ms[0]
	}
	commit := func(t *testing.T) (*backup.Manifest, backup.Storage, string) {
		s := newFileStore(t)
		m := commitFiles(t, s, map[string][]byte{"dump.rdb": []byte("data"), "appendonlydir/a.aof": nil})
		return m, s, filepath.Join(s.Dir(), m.ID)
	}

	t.Run("sound", func(t *testing.T) {
		_, s, _ := commit(t)
		// commitFiles does not mark its manifest verified.
		if m := load(s); m.Problem != "" || m.LastVerification != nil {
			t.Errorf("a sound backup: problem %q, last verification %+v", m.Problem, m.LastVerification)
		}
	})
	t.Run("missing artifact", func(t *testing.T) {
		_, s, dir := commit(t)
		os.Remove(filepath.Join(dir, "dump.rdb"))
		if m := load(s); !strings.Contains(m.Problem, "dump.rdb is missing") {
			t.Errorf("problem %q", m.Problem)
		}
	})
	t.Run("truncated artifact", func(t *testing.T) {
		_, s, dir := commit(t)
		os.WriteFile(filepath.Join(dir, "dump.rdb"), []byte("da"), 0o600)
		if m := load(s); !strings.Contains(m.Problem, "dump.rdb is 2 bytes, the manifest says 4") {
			t.Errorf("problem %q", m.Problem)
		}
	})
	t.Run("failed then passed", func(t *testing.T) {
		m0, s, dir := commit(t)
		at := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
		if err := backup.RecordVerification(ctx, s, m0.ID, at, errors.New("the stored file is damaged"), "test"); err != nil {
			t.Fatal(err)
		}
		if info, err := os.Stat(filepath.Join(dir, backup.VerificationName)); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("the verification record: %v, %v; want mode 0600", info, err)
		}
		m := load(s)
		if m.LastVerification == nil || m.LastVerification.OK || !strings.Contains(m.Problem, "failed verification on 2026-12-01 03:00:00Z: the stored file is damaged") {
			t.Errorf("after a failed verify: problem %q, last %+v", m.Problem, m.LastVerification)
		}
		m.Verified = true
		if m.Usable() {
			t.Error("a backup that failed its last verification is usable")
		}
		if err := backup.RecordVerification(ctx, s, m0.ID, at.Add(time.Hour), nil, "test"); err != nil {
			t.Fatal(err)
		}
		m = load(s)
		m.Verified = true
		if !m.Usable() || m.LastVerification == nil || !m.LastVerification.OK || !m.LastVerification.At.Equal(at.Add(time.Hour)) {
			t.Errorf("after a passed verify: problem %q, last %+v", m.Problem, m.LastVerification)
		}
	})
	t.Run("unreadable record", func(t *testing.T) {
		_, s, dir := commit(t)
		os.WriteFile(filepath.Join(dir, backup.VerificationName), []byte("{"), 0o600)
		if m := load(s); !strings.Contains(m.Problem, "unreadable") {
			t.Errorf("problem %q", m.Problem)
		}
	})
}
