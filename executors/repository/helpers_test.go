package repository

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/owner"
)

// testTarget is a target named main, declared in spec.hcl under dir, whose
// backups go to dir/backups.
func testTarget(dir string) *model.Target {
	return &model.Target{
		Name:   "main",
		Pos:    model.Pos{Filename: filepath.Join(dir, "spec.hcl")},
		Backup: &model.Backup{Destination: filepath.Join(dir, "backups"), Method: "bgsave", Include: []string{"rdb"}, Compression: "none"},
	}
}

// stored describes a backup put into a repository by put.
type stored struct {
	id       string
	age      time.Duration // before now
	verified bool
	keys     int64
	// owner is whose it is; nil records none (a backup made before owners
	// were recorded).
	owner *owner.Owner
}

var now = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// put commits a one-file backup described by s into r's storage.
func put(t *testing.T, r *Repository, s stored) *backup.Manifest {
	t.Helper()
	ctx := context.Background()
	data := []byte("not an rdb, only bytes for " + s.id)
	p, err := r.Storage.Begin(ctx, s.id)
	if err != nil {
		t.Fatalf("begin %s: %v", s.id, err)
	}
	w, err := p.Create(ctx, "dump.rdb")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	started := now.Add(-s.age)
	m := &backup.Manifest{
		Version: backup.ManifestVersion, ID: s.id, Target: "main", Method: "bgsave",
		Started: started, Finished: started.Add(time.Second), Verified: s.verified,
		Keyspace: map[int]backup.DBStats{0: {Keys: s.keys}}, Owner: s.owner, RedisplanVersion: "test",
		Files: []backup.File{{Name: "dump.rdb", Original: "dump.rdb", Kind: backup.KindRDB,
			RawSize: int64(len(data)), StoredSize: int64(len(data)), Compression: backup.CompressionNone}},
	}
	if s.verified {
		m.VerifiedAt = m.Finished
	}
	if err := p.Commit(ctx, m); err != nil {
		t.Fatalf("commit %s: %v", s.id, err)
	}
	return m
}

// otherSpec is the owner of another spec's target of the same name.
func otherSpec(dir string) *owner.Owner {
	return &owner.Owner{Spec: filepath.Join(dir, "other", "spec.hcl"), Target: "main"}
}

func open(t *testing.T, tg *model.Target, dest string) *Repository {
	t.Helper()
	r, err := Open(tg, dest)
	if err != nil {
		t.Fatalf("Open(%q): %v", dest, err)
	}
	r.Version = "test"
	return r
}

func ids(ms []*backup.Manifest) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

func exists(t *testing.T, path string) bool {
	t.Helper()
	_, err := os.Stat(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return err == nil
}
