package job

import (
	"context"
	"fmt"
	"io"
	"maps"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/backup/file"
	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/executors/restore"
	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
)

// A backup run on a real server reports the bytes of every file it
// stores, and they add up to the backup's size; a drill of that backup
// (a restore into a scratch server) reports every byte it writes, and so
// does a verification.
func TestRunReportsBytesThatAddUp(t *testing.T) {
	for _, include := range [][]string{{"rdb"}, {"rdb", "aof"}} {
		t.Run(fmt.Sprint(include), func(t *testing.T) {
			t.Parallel()
			s := servertest.Start(t, servertest.Options{Config: "appendonly yes\n"})
			c := s.Client(t)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			for i := 0; i < 2000; i++ {
				if err := c.Set(ctx, fmt.Sprintf("key:%d", i), fmt.Sprintf("value %d with some padding to make it larger", i), 0).Err(); err != nil {
					t.Fatal(err)
				}
			}
			store, err := file.New(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			tg := &model.Target{
				Name:       "main",
				Connection: model.Connection{Address: s.Addr()},
				DataDir:    s.Dir(),
				Backup:     &model.Backup{Method: "bgsave", Include: include, Compression: "zstd"},
			}
			client, err := live.Dial(tg.Connection)
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			ev := &progress.Recorder{}
			m, err := Run(ctx, Request{Target: tg, Storage: store, Client: client, Emit: ev.Emit})
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, s.Log())
			}
			want := map[string]int64{} // each file's raw size
			for _, f := range m.Files {
				want[f.Original] = f.RawSize
			}
			if len(want) != len(m.Files) {
				t.Fatalf("files with the same name in %+v", m.Files)
			}
			if got := progress.DoneBytes(ev.Events(), progress.OpBackup, progress.PhaseStore); !maps.Equal(got, want) {
				t.Errorf("backup run reported %v bytes stored per file, the manifest says %v", got, want)
			}
			for _, e := range ev.Events() {
				if e.IsBytes() && e.Target != "main" {
					t.Errorf("byte count without its target: %+v", e)
				}
			}

			src := restore.Source{Manifest: m, Open: func(ctx context.Context, f backup.File) (io.ReadCloser, error) {
				r, err := store.Open(ctx, m.ID, f.Name)
				if err != nil {
					return nil, err
				}
				return backup.OpenStream(r, f, nil)
			}}
			ev = &progress.Recorder{}
			if _, err := restore.Verify(ctx, src, ev.Emit); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got := progress.DoneBytes(ev.Events(), progress.OpVerify, progress.PhaseVerify); !maps.Equal(got, want) {
				t.Errorf("verify reported %v bytes per file, the manifest says %v", got, want)
			}

			ev = &progress.Recorder{}
			if _, err := restore.Drill(ctx, src, restore.Options{Emit: ev.Emit}); err != nil {
				t.Fatalf("Drill: %v", err)
			}
			if staged := progress.DoneBytes(ev.Events(), progress.OpDrill, progress.PhaseStage); !maps.Equal(staged, want) {
				t.Errorf("drill reported %v bytes written per file, the backup holds %v", staged, want)
			}
		})
	}
}
