package pitr

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/archive"
	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/repository"
	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/redisinfo"
	"github.com/redisplan/redisplan/internal/testwait"
)

// A real archiver is stopped; the server writes, runs FLUSHALL and writes
// again; the archiver comes back and resumes (+CONTINUE). A time during
// the outage is refused, naming the exact times around it; the time the
// stream was lost is restored.
func TestRefusesATimeWhileTheArchiverWasAway(t *testing.T) {
	ctx := testContext(t)
	src := servertest.Start(t, servertest.Options{})
	c := src.Client(t)
	dir := t.TempDir()
	tg := &model.Target{Name: "main", Pos: model.Pos{Filename: filepath.Join(dir, "spec.hcl")},
		Connection: model.Connection{Address: src.Addr(), Timeout: 5 * time.Second},
		Backup:     &model.Backup{Destination: filepath.Join(dir, "backups"), Method: "bgsave", Include: []string{"rdb"}, Compression: "zstd"}}
	repo, err := repository.Open(tg, "")
	if err != nil {
		t.Fatal(err)
	}
	repo.Version = "test"
	var mu sync.Mutex
	var committed int64
	var replID string
	start := func() (stop func()) {
		fctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			done <- archive.Follow(fctx, archive.Options{Repo: repo, Flush: 100 * time.Millisecond,
				Committed: func(id string, off int64) { mu.Lock(); replID, committed = id, off; mu.Unlock() }})
		}()
		return func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Follow: %v", err)
			}
		}
	}
	archived := func() {
		s, err := c.Info(ctx, "replication").Result()
		if err != nil {
			t.Fatal(err)
		}
		off, _ := strconv.ParseInt(redisinfo.Parse(s)["master_repl_offset"], 10, 64)
		testwait.For(t, 60*time.Second, "the archive to reach offset "+strconv.FormatInt(off, 10), func() (bool, error) {
			// The ID is read each time: a master takes a new one when a
			// replica first attaches.
			s, err := c.Info(ctx, "replication").Result()
			if err != nil {
				return false, err
			}
			mu.Lock()
			defer mu.Unlock()
			return replID == redisinfo.Parse(s)["master_replid"] && committed >= off, nil
		})
	}
	stop := start()
	archived() // the base
	if err := c.Set(ctx, "kept", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	archived()
	stop()
	for _, cmd := range [][]any{{"SET", "before", "1"}, {"FLUSHALL"}, {"SET", "after", "1"}} {
		if err := c.Do(ctx, cmd...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	during := time.Now()
	time.Sleep(5 * time.Millisecond) // the resume is at a later millisecond
	stop = start()
	archived()
	stop()

	cut := func(at time.Time) (Cut, error) {
		own, _, err := repo.Catalog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var bases []*backup.Manifest
		for _, m := range own {
			if m.ReplID != "" {
				bases = append(bases, m)
			}
		}
		segs, err := archive.ListSegments(ctx, repo)
		if err != nil {
			t.Fatal(err)
		}
		chains, _ := archive.Chains(bases, segs)
		lasts, err := LastTimes(ctx, repo, chains)
		if err != nil {
			t.Fatal(err)
		}
		ch, err := Choose(chains, lasts, at)
		if err != nil {
			t.Fatal(err)
		}
		rc := OpenStream(ctx, repo, ch)
		defer rc.Close()
		return CutAt(io.Discard, rc, at)
	}
	_, err = cut(during)
	var ie *ImpreciseError
	if !errors.As(err, &ie) {
		t.Fatalf("a restore to %v, during the outage: %v; want it refused as imprecise", during, err)
	}
	if !ie.Lost.Before(during) || !ie.Next.After(during) {
		t.Errorf("nearest exact times %v and %v do not surround %v", ie.Lost, ie.Next, during)
	}
	t.Log(err)
	if c, err := cut(ie.Lost); err != nil || c.Writes == 0 {
		t.Errorf("a restore to %v, when the stream was lost: %+v, %v; want the writes before it", ie.Lost, c, err)
	}
	if c, err := cut(ie.Next); err != nil || c.Next.IsZero() && c.Writes < 4 {
		t.Errorf("a restore to %v, after the late writes arrived: %+v, %v", ie.Next, c, err)
	}
}
