package operations

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
)

// backupTarget starts a real redis-server holding n keys and returns a
// target for it, backed up to a directory with one copy_to directory.
func backupTarget(t *testing.T, n int) *model.Target {
	t.Helper()
	srv := servertest.Start(t, servertest.Options{})
	c := srv.Client(t)
	for i := range n {
		if err := c.Set(context.Background(), fmt.Sprintf("k%d", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	return &model.Target{
		Name: "main", Pos: model.Pos{Filename: filepath.Join(dir, "redis.hcl")},
		Connection: model.Connection{Address: srv.Addr()}, ConfigFile: srv.ConfigPath(),
		Backup: &model.Backup{
			Destination: filepath.Join(dir, "backups"), CopyTo: []string{filepath.Join(dir, "offsite")},
			Method: "bgsave", Include: []string{"rdb"}, Compression: "zstd",
			Retention: model.Retention{KeepLast: 5},
		},
	}
}

// The steps of backup run, then backup verify with a drill and the source
// a restore reads, called without the CLI.
func TestBackupRunVerifyRestoreSource(t *testing.T) {
	t.Parallel()
	tg := backupTarget(t, 120)
	ctx := context.Background()
	var msgs, warnings []string
	o := BackupOptions{Version: "test", Emit: func(e progress.Event) { msgs = append(msgs, e.Message) },
		Warn: func(s string) { warnings = append(warnings, s) }}

	m, err := TakeBackup(ctx, tg, o)
	if err != nil {
		t.Fatalf("TakeBackup: %v\n%s", err, strings.Join(msgs, "\n"))
	}
	if m.TotalKeys() != 120 || m.RedisplanVersion != "test" {
		t.Fatalf("manifest: %d keys, version %q", m.TotalKeys(), m.RedisplanVersion)
	}
	copies, err := CopyBackup(ctx, tg, m, o)
	if err != nil || len(copies) != 1 || copies[0].Bytes == 0 {
		t.Fatalf("CopyBackup = %+v, %v", copies, err)
	}
	runs, err := Prune(ctx, tg, "", false, o)
	if err != nil || len(runs) != 2 || !runs[0].Main || runs[1].Main {
		t.Fatalf("Prune = %+v, %v; want the destination, then the copy", runs, err)
	}
	for _, r := range runs {
		if len(r.Result.Decisions) != 1 || !r.Result.Decisions[0].Keep || r.Result.Deleted != 0 {
			t.Errorf("prune of %s: %+v; want the one backup kept", r.Destination, r.Result)
		}
	}
	l, err := ListBackups(ctx, []*model.Target{tg}, tg.Backup.CopyTo[0])
	if err != nil || len(l.Backups) != 1 || l.Backups[0].ID != m.ID || l.Backups[0].Status != "verified" || l.Backups[0].Keys != 120 {
		t.Fatalf("ListBackups(copy) = %+v, %v", l, err)
	}

	res, err := VerifyBackup(ctx, tg, VerifyRequest{Destination: tg.Backup.CopyTo[0], Drill: true}, o)
	if err != nil || !res.Verified || res.Manifest.ID != m.ID || res.Drill == nil {
		t.Fatalf("VerifyBackup = %+v, %v", res, err)
	}
	if got := res.Drill.After.Keyspace[0].Keys; got != 120 {
		t.Errorf("the drill's scratch server holds %d keys, want 120", got)
	}
	if v, err := backup.ReadVerification(ctx, mustOpen(t, tg, tg.Backup.CopyTo[0]), m.ID); err != nil || v == nil || !v.OK {
		t.Errorf("the copy's verification record: %+v, %v", v, err)
	}

	src, notes, err := RestoreSource(ctx, tg, SourceRequest{})
	if err != nil || len(notes) != 0 || src.Manifest.ID != m.ID {
		t.Fatalf("RestoreSource(latest) = %v, %v, %v", src.Manifest, notes, err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings: %q", warnings)
	}
}

// A plain file that is not an RDB is refused before anything else.
func TestRestoreSourceRefusesNonRDBFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "dump.rdb")
	if err := os.WriteFile(path, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := RestoreSource(context.Background(), &model.Target{Name: "main"}, SourceRequest{File: path})
	if err == nil || !strings.Contains(err.Error(), "is not a sound RDB file") {
		t.Fatalf("RestoreSource = %v, want a refusal", err)
	}
}

func mustOpen(t *testing.T, tg *model.Target, dest string) backup.Storage {
	t.Helper()
	r, err := openRepository(tg, dest, "test")
	if err != nil {
		t.Fatal(err)
	}
	return r.Storage
}

func TestImportProblemsNamesEveryMissingFileAndFolder(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "dump.rdb")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := ImportProblems([]string{file, filepath.Join(dir, "main"), dir})
	if len(got) != 2 || !strings.Contains(got[0], "no such file") || !strings.Contains(got[1], "is a directory") {
		t.Fatalf("problems = %q, want the missing file and the folder, and nothing of the file that is there", got)
	}
}
