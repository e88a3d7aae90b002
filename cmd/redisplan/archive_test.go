package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/testwait"
)

// syncBuffer is a buffer a running command writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// redisplan archive takes a base, commits segments while writes flow,
// refuses a second archiver of the same target, and on SIGTERM (its
// context) commits what it received and exits 0; a target without an
// archive block is refused with what to add.
func TestArchiveCommand(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	dest := filepath.Join(t.TempDir(), "backups")
	spec := writeSpec(t, fmt.Sprintf(`redis "main" {
  address = %q
  backup {
    destination = %q
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
	segments := func() int {
		m, _ := filepath.Glob(filepath.Join(dest, "main", "archive", "*.aof.zst"))
		return len(m)
	}
	testwait.For(t, 60*time.Second, "a segment", func() (bool, error) {
		if err := c.Incr(context.Background(), "n").Err(); err != nil {
			return false, err
		}
		select {
		case code := <-done:
			return false, fmt.Errorf("archive exited %d early:\n%s%s", code, stdout.String(), stderr.String())
		default:
		}
		return segments() > 0, nil
	})
	if code, _, errOut := runCLI(t, "archive", "-config", spec, "-target", "main"); code != 1 || !strings.Contains(errOut, "lock") {
		t.Errorf("a second archiver: exit %d\n%s", code, errOut)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("archive after SIGTERM: exit %d\n%s%s", code, stdout.String(), stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("archive did not end 30s after SIGTERM")
	}
	if out := stdout.String(); !strings.Contains(out, "stored base") || !strings.Contains(out, "archive stopped") {
		t.Errorf("output:\n%s", out)
	}
	if info, err := os.Stat(filepath.Join(dest, "main", "archive")); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("archive folder: %v, %v", info, err)
	}

	enc := writeSpec(t, fmt.Sprintf("redis \"main\" {\n  address = %q\n  backup {\n    destination = %q\n    recipients = [%q]\n    archive {\n      flush = \"1s\"\n    }\n  }\n}\n",
		srv.Addr(), dest, "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"))
	if code, _, errOut := runCLI(t, "archive", "-config", enc, "-target", "main"); code != 1 || !strings.Contains(errOut, "does not encrypt its segments") {
		t.Errorf("a target with recipients: exit %d\n%s", code, errOut)
	}
	plain := writeSpec(t, fmt.Sprintf("redis \"main\" {\n  address = %q\n  backup {\n    destination = %q\n  }\n}\n", srv.Addr(), dest))
	if code, _, errOut := runCLI(t, "archive", "-config", plain, "-target", "main"); code != 1 || !strings.Contains(errOut, "archive { flush") {
		t.Errorf("a target without an archive block: exit %d\n%s", code, errOut)
	}
}
