package operations

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/check"
	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/testwait"
)

// TestArchiveOpsFollowARealServer: with redisplan archive following a
// real redis-server, check says the archive keeps up (lag 0 once the
// writes are committed), backup list shows the window from the
// archiver's base; after the server restarts under the archiver (a new
// replication ID, so a new base), list and check report the gap; once
// the archiver stops, archive_lag warns that none is connected; verify
// finds both chains whole, and a prune keeping one backup deletes the
// old base and exactly the segments of its stream, after which the gap
// is gone from list and check.
func TestArchiveOpsFollowARealServer(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{Config: "appendonly yes\n"})
	if srv == nil {
		return
	}
	dir := t.TempDir()
	res := loadSpec(t, fmt.Sprintf(`redis "main" {
  address = %q
  backup {
    destination = %q
    retention {
      keep_last = 1
    }
    archive {
      flush = "200ms"
    }
  }
  alerts {
    archive_lag {
      warning  = "30s"
      critical = "5m"
    }
  }
}
`, srv.Addr(), filepath.Join(dir, "backups")))
	tg := res.Spec.Targets[0]
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Archive(ctx, tg, ArchiveOptions{Version: "test"}) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("the archiver ended with %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("the archiver did not stop within 30s of its context ending")
		}
	}
	defer stop()

	c := srv.Client(t)
	write := func(prefix string, n int) {
		t.Helper()
		for i := range n {
			if err := c.Set(context.Background(), prefix+strconv.Itoa(i), "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	runCheck := func() (*check.Result, *check.Result) {
		t.Helper()
		r, err := Check(context.Background(), CheckOptions{Targets: res.Spec.Targets, StateDir: dir, Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return resultOf(r.Report.Results, check.CheckArchiveLag), resultOf(r.Report.Results, check.CheckArchiveGap)
	}
	list := func() ArchiveEntry {
		t.Helper()
		l, err := ListBackups(context.Background(), res.Spec.Targets, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Archives) != 1 {
			t.Fatalf("archives %+v", l.Archives)
		}
		return l.Archives[0]
	}

	testwait.For(t, 30*time.Second, "the archiver's first base", func() (bool, error) {
		return len(list().Windows) == 1, nil
	})
	testwait.For(t, 30*time.Second, "the archiver's first base", func() (bool, error) {
		return len(list().Windows) == 1, nil
	})
	write("a", 200)
	var lag *check.Result
	if err := testwait.Until(30*time.Second, func() (bool, error) {
		lag, _ = runCheck()
		return lag != nil && lag.Status == check.OK && lag.Value != nil && *lag.Value == 0 && list().Segments > 0, nil
	}); err != nil {
		t.Fatalf("archive_lag never 0 with the writes archived: last %+v; archive %+v", lag, list())
	}
	a := list()
	if len(a.Windows) != 1 || len(a.Gaps) != 0 || a.Segments == 0 {
		t.Fatalf("archive before the restart: %+v", a)
	}
	first := a.Windows[0]

	srv.Restart(t)
	c = srv.Client(t)
	write("b", 100)
	testwait.For(t, 60*time.Second, "the archiver to take a new base after the restart", func() (bool, error) {
		a = list()
		return len(a.Windows) == 2 && len(a.Gaps) == 1, nil
	})
	if !strings.Contains(a.Gaps[0].Reason, "replication ID changed") {
		t.Errorf("gap %+v", a.Gaps[0])
	}
	testwait.For(t, 30*time.Second, "archive_lag to be 0 after the restart", func() (bool, error) {
		lag, _ = runCheck()
		return lag.Status == check.OK && *lag.Value == 0, nil
	})
	if _, gap := runCheck(); gap.Status != check.Warning || !strings.Contains(gap.Message, "1 gap in the archive") {
		t.Errorf("archive_gap after the restart = %+v", gap)
	}
	stop()
	// With the archiver gone the archive is still caught up, but nothing
	// archives what comes next: archive_lag says so and how to fix it.
	testwait.For(t, 30*time.Second, "archive_lag to warn that no archiver is connected", func() (bool, error) {
		lag, _ = runCheck()
		return lag.Status == check.Warning, nil
	})
	if !strings.Contains(lag.Message, "no archiver is connected") || !strings.Contains(lag.Message, "start redisplan archive -target main") {
		t.Errorf("archive_lag with the archiver stopped = %+v", lag)
	}

	v, err := VerifyBackup(context.Background(), tg, VerifyRequest{}, BackupOptions{})
	if err != nil || v.Archive == nil || !v.Archive.OK() || v.Archive.Chains != 2 {
		t.Fatalf("verify: %+v %v", v.Archive, err)
	}
	// The segments of the first stream, as the archiver left them when it
	// stopped (it may have committed more of it after the first look).
	oldSegments := 0
	for _, w := range list().Windows {
		if w.ReplID == first.ReplID {
			oldSegments += w.Segments
		}
	}
	runs, err := Prune(context.Background(), tg, "", false, BackupOptions{})
	if err != nil || runs[0].Result.Deleted != 1 || runs[0].Archive == nil || oldSegments == 0 || runs[0].Archive.Deleted != oldSegments {
		t.Fatalf("prune: %+v %v; want the first base and its %d segments deleted", runs, err, oldSegments)
	}
	a = list()
	if len(a.Windows) != 1 || len(a.Gaps) != 0 || a.Windows[0].ReplID == first.ReplID || len(a.Unanchored) != 0 {
		t.Errorf("archive after prune: %+v", a)
	}
	if _, gap := runCheck(); gap.Status != check.OK {
		t.Errorf("archive_gap after prune = %+v", gap)
	}
}
