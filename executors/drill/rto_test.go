package drill

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/restore"
	"github.com/redisplan/redisplan/executors/server"
	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/internal/rdb"
)

// rdbSource saves a real server holding keys in two databases and returns
// its dump.rdb as a backup source whose manifest lists those keys.
func rdbSource(t *testing.T) restore.Source {
	t.Helper()
	srv := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)
	keyspace := map[int]backup.DBStats{}
	for db, n := range map[int]int{0: 120, 3: 7} {
		c := server.NewClient(srv.Addr(), "", func(o *redis.Options) { o.DB = db })
		for i := range n {
			if err := c.Set(ctx, fmt.Sprintf("k:%d:%d", db, i), i, 0).Err(); err != nil {
				t.Fatal(err)
			}
		}
		keyspace[db] = backup.DBStats{Keys: int64(n)}
		c.Close()
	}
	if err := srv.Client(t).Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(srv.Dir(), "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dump.rdb")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	m := &backup.Manifest{
		Version: backup.ManifestVersion, ID: "20260101T030000Z", Target: "main", Method: "bgsave",
		RedisVersion: servertest.Version(t), Keyspace: keyspace,
		Files: []backup.File{{Name: "dump.rdb", Original: "dump.rdb", Kind: backup.KindRDB, RawSize: int64(len(data)), StoredSize: int64(len(data)), Compression: "none"}},
	}
	return restore.Source{Manifest: m, Open: func(context.Context, backup.File) (io.ReadCloser, error) { return os.Open(path) }}
}

// verifyRDB reads every file of the source and checks its RDB structure,
// counting its calls.
func verifyRDB(calls *int) func(context.Context, restore.Source) error {
	return func(ctx context.Context, src restore.Source) error {
		*calls++
		for _, f := range src.Manifest.Files {
			r, err := src.Open(ctx, f)
			if err != nil {
				return err
			}
			_, err = rdb.Verify(r)
			r.Close()
			if err != nil {
				return fmt.Errorf("%s: %w", f.Name, err)
			}
		}
		return nil
	}
}

func TestRTO(t *testing.T) {
	servertest.Binary(t)
	t.Parallel()
	src := rdbSource(t)
	var calls int
	var done int64
	res, err := RTO(testContext(t), src, verifyRDB(&calls), func(e progress.Event) {
		if e.Done && e.Operation == progress.OpDrill && e.Phase == progress.PhaseStage {
			done += e.Bytes
		}
	})
	if err != nil {
		t.Fatalf("RTO: %v", err)
	}
	// The drill reported every byte of the backup it wrote.
	if want := src.Manifest.Files[0].RawSize; len(src.Manifest.Files) != 1 || done != want {
		t.Errorf("the drill reported %d bytes written, the backup's one file has %d", done, want)
	}
	t.Logf("result: %+v", res)
	if calls != 1 {
		t.Errorf("verify ran %d times, want once", calls)
	}
	if !res.KeysMatch || res.Mismatch != "" || res.Keys != 127 || res.ExpectedKeys != 127 {
		t.Errorf("keys: match %v (%q), %d restored, %d expected; want 127 matching", res.KeysMatch, res.Mismatch, res.Keys, res.ExpectedKeys)
	}
	if res.BackupID != src.Manifest.ID {
		t.Errorf("BackupID = %q, want %q", res.BackupID, src.Manifest.ID)
	}
	if res.LoadSeconds <= 0 || res.VerifySeconds < 0 || res.TotalSeconds < res.VerifySeconds+res.LoadSeconds {
		t.Errorf("figures do not add up: verify %v + load %v, total %v", res.VerifySeconds, res.LoadSeconds, res.TotalSeconds)
	}
}

func TestRTOKeysMissing(t *testing.T) {
	servertest.Binary(t)
	t.Parallel()
	src := rdbSource(t)
	m := *src.Manifest
	m.Keyspace = map[int]backup.DBStats{0: {Keys: 500}, 3: {Keys: 7}}
	src.Manifest = &m
	res, err := RTO(testContext(t), src, nil, nil)
	if err != nil {
		t.Fatalf("RTO: %v; keys that do not match are a figure, not an error", err)
	}
	if res.KeysMatch || !strings.Contains(res.Mismatch, "db0") || res.Keys != 127 || res.ExpectedKeys != 507 {
		t.Errorf("RTO = %+v; want a mismatch naming db0, 127 keys of 507", res)
	}
	if v := JudgeRTO(res, 0); v.Pass {
		t.Errorf("JudgeRTO passed a restore that lacks keys: %s", v.Reason)
	}
}

func TestRTOVerifyFails(t *testing.T) {
	src := restore.Source{
		Manifest: &backup.Manifest{ID: "b1", Files: []backup.File{{Name: "dump.rdb", Kind: backup.KindRDB}}},
		Open: func(context.Context, backup.File) (io.ReadCloser, error) {
			t.Error("the drill read the backup after its verification failed")
			return nil, errors.New("not reached")
		},
	}
	damaged := errors.New("dump.rdb: checksum mismatch")
	_, err := RTO(testContext(t), src, func(context.Context, restore.Source) error { return damaged }, nil)
	if !errors.Is(err, damaged) || !strings.Contains(err.Error(), "b1") {
		t.Errorf("RTO with a failing verification: %v", err)
	}
	if _, err := RTO(testContext(t), restore.Source{}, nil, nil); err == nil {
		t.Errorf("RTO without a manifest returned no error")
	}
}
