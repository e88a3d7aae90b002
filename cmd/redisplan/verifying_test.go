package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redisplan/redisplan/internal/redistest"
)

// realDump returns the RDB a real server saves with a few keys in it.
func realDump(t *testing.T) []byte {
	t.Helper()
	srv := redistest.Start(t, redistest.Options{})
	c := srv.Client(t)
	ctx := context.Background()
	for i := range 500 {
		c.Set(ctx, "key:"+strings.Repeat("x", i%7), strings.Repeat("v", i), 0)
		c.HSet(ctx, "hash", i, i*i)
	}
	if err := c.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(srv.Dir(), "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRDBCheckedWhileRead: the reader restore stages through passes the
// bytes on unchanged, and turns a damaged RDB into an error at its end,
// which makes the staging (and the restore) fail before the server is
// touched.
func TestRDBCheckedWhileRead(t *testing.T) {
	good := realDump(t)

	got, err := io.ReadAll(newRDBChecked(io.NopCloser(bytes.NewReader(good))))
	if err != nil || !bytes.Equal(got, good) {
		t.Fatalf("a sound RDB: err %v, %d bytes passed of %d", err, len(got), len(good))
	}

	bad := bytes.Clone(good)
	bad[len(bad)/2] ^= 0x40
	got, err = io.ReadAll(newRDBChecked(io.NopCloser(bytes.NewReader(bad))))
	if err == nil || !strings.Contains(err.Error(), "not a sound RDB file") {
		t.Fatalf("a damaged RDB read to the end without error (err %v)", err)
	}
	if !bytes.Equal(got, bad) {
		t.Errorf("the damaged RDB was not passed through whole (%d of %d bytes)", len(got), len(bad))
	}

	// Closed half-way, as when the staging fails for another reason: the
	// check must not keep anything waiting.
	r := newRDBChecked(io.NopCloser(bytes.NewReader(good)))
	if _, err := io.ReadFull(r, make([]byte, len(good)/3)); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close half-way: %v", err)
	}
}
