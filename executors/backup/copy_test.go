package backup_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/backup/file"
	"github.com/redisplan/redisplan/internal/progress"
)

const copyID = "20261129T030000Z"

func newFileStore(t *testing.T) *file.Store {
	t.Helper()
	s, err := file.New(filepath.Join(t.TempDir(), "b"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// commitFiles stores a backup whose manifest records each file's SHA-256.
func commitFiles(t *testing.T, s backup.Storage, files map[string][]byte) *backup.Manifest {
	t.Helper()
	ctx := context.Background()
	p, err := s.Begin(ctx, copyID)
	if err != nil {
		t.Fatal(err)
	}
	m := &backup.Manifest{Version: backup.ManifestVersion, ID: copyID, Target: "main"}
	for name, data := range files {
		w, err := p.Create(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		m.Files = append(m.Files, backup.File{Name: name, Original: name, Kind: backup.KindRDB, StoredSize: int64(len(data)),
			SHA256: hex.EncodeToString(sum[:]), Compression: backup.CompressionNone})
	}
	if err := p.Commit(ctx, m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCopyVerifiesTheCopy(t *testing.T) {
	ctx := context.Background()
	src, dst := newFileStore(t), newFileStore(t)
	data := bytes.Repeat([]byte("redis"), 10000)
	m := commitFiles(t, src, map[string][]byte{"dump.rdb": data, "appendonlydir/a.aof": []byte("aof")})
	uploaded := map[string]int64{}
	res, err := backup.Copy(ctx, src, dst, m, func(e progress.Event) {
		if e.Done && e.Phase == progress.PhaseUpload && e.Operation == progress.OpUpload && e.Target == "main" {
			uploaded[e.File] += e.Bytes
		}
	})
	if err != nil || res.Existed || res.Bytes != int64(len(data)+3) {
		t.Fatalf("Copy = %+v, %v; want a fresh copy of %d bytes", res, err, len(data)+3)
	}
	// Its progress counted every stored byte of every file, once.
	if want := map[string]int64{"dump.rdb": int64(len(data)), "appendonlydir/a.aof": 3}; !maps.Equal(uploaded, want) {
		t.Errorf("Copy reported %v bytes uploaded, want %v", uploaded, want)
	}
	got, err := backup.ReadManifest(ctx, dst, copyID)
	if err != nil || len(got.Files) != 2 {
		t.Fatalf("the copy's manifest: %+v, %v", got, err)
	}
	// A second copy finds it there and checks it.
	if res, err := backup.Copy(ctx, src, dst, m, nil); err != nil || !res.Existed {
		t.Fatalf("second Copy = %+v, %v; want Existed", res, err)
	}
	// Damage the copy: VerifyStored and a further Copy report it.
	path := filepath.Join(dst.Dir(), copyID, "dump.rdb")
	b, _ := os.ReadFile(path)
	b[100] ^= 1
	os.WriteFile(path, b, 0o600)
	if _, err := backup.VerifyStored(ctx, dst, m); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Errorf("VerifyStored of a damaged copy = %v, want a checksum error", err)
	}
	if _, err := backup.Copy(ctx, src, dst, m, nil); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("Copy onto a damaged copy = %v, want it reported", err)
	}
}

func TestCopyRefusesADamagedOriginal(t *testing.T) {
	ctx := context.Background()
	src, dst := newFileStore(t), newFileStore(t)
	m := commitFiles(t, src, map[string][]byte{"dump.rdb": []byte("original data")})
	os.WriteFile(filepath.Join(src.Dir(), copyID, "dump.rdb"), []byte("0riginal data"), 0o600)
	if _, err := backup.Copy(ctx, src, dst, m, nil); err == nil || !strings.Contains(err.Error(), "original") {
		t.Fatalf("Copy of a damaged original = %v, want an error naming the original", err)
	}
	if ids, err := dst.List(ctx); err != nil || len(ids) != 0 {
		t.Errorf("the destination lists %v (%v) after a refused copy, want nothing", ids, err)
	}
	if n, err := dst.Clean(ctx); err != nil || n != 0 {
		t.Errorf("Clean after a refused copy = %d, %v; want nothing left to clean", n, err)
	}
}
