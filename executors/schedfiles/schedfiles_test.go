package schedfiles

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redisplan/redisplan/internal/owner"
)

func TestSlug(t *testing.T) {
	tests := map[string]string{
		"main":        "main",
		`cache["eu"]`: "cache-eu",
		"Queue_West":  "queue-west",
	}
	for in, want := range tests {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
	long := strings.Repeat("shard", 10)
	a, b := Slug(long+"a"), Slug(long+"b")
	if len(a) > 30 || a == b {
		t.Errorf("long names give %q and %q: want at most 30 characters, and different", a, b)
	}
	if s := Slug(`["!"]`); s == "" {
		t.Error("a name without letters gives an empty slug")
	}
}

// TestReadWriteRemove: only files with the target's marker are read and
// removed; a same-named file without it is reported, and others are not
// looked at.
func TestReadWriteRemove(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "units")
	d, err := Read(ctx, dir, "main", "main")
	if err != nil || len(d.Files) != 0 {
		t.Fatalf("Read of a missing directory = %+v, %v", d, err)
	}
	w := Writer{}
	ours := []byte(Marker("main") + "\n[Timer]\n")
	if err := w.Write(ctx, dir, "redisplan-main-backup.timer", "main", ours); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"backup.timer":                  "[Timer]\n",                      // not a redisplan- name
		"redisplan-main-check.timer":    "[Timer]\n",                      // our name, no marker
		"redisplan-other-backup.timer":  Marker("other") + "\n[Timer]\n",  // another target's
		"redisplan-main-x-backup.timer": Marker("main-x") + "\n[Timer]\n", // a target whose name starts alike
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d, err = Read(ctx, dir, "main", "main")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Files) != 1 || d.Files[0].Name != "redisplan-main-backup.timer" || string(d.Files[0].Content) != string(ours) {
		t.Errorf("files = %+v, want only redisplan-main-backup.timer", d.Files)
	}
	if strings.Join(d.Others, " ") != "redisplan-main-check.timer redisplan-main-x-backup.timer" {
		t.Errorf("others = %q", d.Others)
	}
	info, err := os.Stat(filepath.Join(dir, "redisplan-main-backup.timer"))
	if err != nil || info.Mode().Perm() != 0o644 {
		t.Errorf("written file: %v, %v; want mode 644", info, err)
	}

	if err := w.Remove(ctx, dir, "redisplan-main-check.timer", "main", owner.Owner{}); err == nil || !strings.Contains(err.Error(), "left alone") {
		t.Errorf("Remove of a file without the marker = %v", err)
	}
	// Neither a file without the marker nor another target's is
	// overwritten (two targets whose names make the same file name).
	for _, name := range []string{"redisplan-main-check.timer", "redisplan-other-backup.timer"} {
		before, _ := os.ReadFile(filepath.Join(dir, name))
		if err := w.Write(ctx, dir, name, "main", ours); err == nil || !strings.Contains(err.Error(), "left alone") {
			t.Errorf("Write over %s = %v", name, err)
		}
		if after, _ := os.ReadFile(filepath.Join(dir, name)); string(after) != string(before) {
			t.Errorf("%s was overwritten", name)
		}
	}
	if err := w.Remove(ctx, dir, "redisplan-main-backup.timer", "main", owner.Owner{}); err != nil {
		t.Fatal(err)
	}
	if err := w.Remove(ctx, dir, "redisplan-main-backup.timer", "main", owner.Owner{}); err != nil {
		t.Errorf("Remove of a file already gone = %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 4 {
		t.Errorf("directory holds %d entries, want the 4 that are not ours (no temp files)", len(entries))
	}
	for _, bad := range []string{"../redisplan-x", "backup.timer", "redisplan-a/b"} {
		if err := w.Write(ctx, dir, bad, "main", ours); err == nil {
			t.Errorf("Write(%q) succeeded", bad)
		}
	}
}
