package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/testwait"
)

// TestBackupCommandsShowTheArchive: after redisplan archive followed a
// real server, backup list says the recovery window (text and -json),
// backup verify that the chain is whole, backup prune -dry-run what it
// keeps of the archive, and check -format prometheus carries the
// archive's figures.
func TestBackupCommandsShowTheArchive(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	dest := filepath.Join(t.TempDir(), "backups")
	spec := writeSpec(t, fmt.Sprintf(`redis "main" {
  address = %q
  backup {
    destination = %q
    retention {
      keep_last = 3
    }
    archive {
      flush = "200ms"
    }
  }
}
`, srv.Addr(), dest))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- runIn(ctx, surroundings{environ: environFor(t)}, []string{"archive", "-config", spec, "-target", "main"},
			strings.NewReader(""), &stdout, &stderr)
	}()
	c := srv.Client(t)
	testwait.For(t, 60*time.Second, "a segment", func() (bool, error) {
		if err := c.Incr(context.Background(), "n").Err(); err != nil {
			return false, err
		}
		m, _ := filepath.Glob(filepath.Join(dest, "main", "archive", "*.aof.zst"))
		return len(m) > 0, nil
	})
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("archive exited %d:\n%s%s", code, stdout.String(), stderr.String())
	}

	out := mustRun(t, "backup", "list", "-config", spec)
	if !strings.Contains(out, "redis.main: point-in-time recovery from ") || strings.Contains(out, "gap from") {
		t.Errorf("backup list:\n%s", out)
	}
	if out := mustRun(t, "backup", "list", "-json", "-config", spec); !strings.Contains(out, `"archives": [`) || !strings.Contains(out, `"windows": [`) {
		t.Errorf("backup list -json:\n%s", out)
	}
	if out := mustRun(t, "backup", "verify", "-config", spec); !strings.Contains(out, "redis.main: archive: 1 chains from their base backups to the newest segments are whole") {
		t.Errorf("backup verify:\n%s", out)
	}
	if out := mustRun(t, "backup", "prune", "-dry-run", "-config", spec); !strings.Contains(out, "redis.main: archive: keep ") {
		t.Errorf("backup prune -dry-run:\n%s", out)
	}
	_, out, _ = runCLI(t, "check", "-format", "prometheus", "-config", spec)
	for _, want := range []string{`redisplan_archive_segments{target="main"} `, `redisplan_check_status{target="main",check="archive_lag"} `} {
		if !strings.Contains(out, want) {
			t.Errorf("check -format prometheus lacks %q:\n%s", want, out)
		}
	}
}
