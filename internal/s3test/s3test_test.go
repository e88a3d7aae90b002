package s3test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// recorder is a testing.TB that records Fatalf and Skipf instead of
// stopping the test, to check what Binary reports.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	if r.fatal == "" {
		r.fatal = fmt.Sprintf(format, args...)
	}
}

func (r *recorder) Skipf(format string, args ...any) {
	if r.skip == "" {
		r.skip = fmt.Sprintf(format, args...)
	}
}

func TestStartServesAndStopEndsIt(t *testing.T) {
	s := Start(t)
	ctx := context.Background()
	s.Bucket(t, "probe")
	buckets, err := s.Client(t).ListBuckets(ctx)
	if err != nil || len(buckets) != 1 || buckets[0].Name != "probe" {
		t.Fatalf("ListBuckets = %v, %v; want [probe]\n%s", buckets, err, s.Log())
	}
	if !strings.HasPrefix(s.Endpoint, "http://127.0.0.1:") {
		t.Errorf("Endpoint = %q, want a loopback URL", s.Endpoint)
	}
	pid := s.PID()
	s.stop()
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("kill(%d, 0) after stop = %v, want ESRCH", pid, err)
	}
}

func TestMissingBinaryFailsWithHint(t *testing.T) {
	t.Setenv(EnvSkip, "")
	t.Setenv(EnvBinary, "/nonexistent/versitygw")
	r := &recorder{TB: t}
	if got := Binary(r); got != "" {
		t.Errorf("Binary() = %q, want \"\"", got)
	}
	for _, want := range []string{"/nonexistent/versitygw", "scripts/install-deps.sh", EnvBinary, EnvSkip + "=1"} {
		if !strings.Contains(r.fatal, want) {
			t.Errorf("failure message lacks %q:\n%s", want, r.fatal)
		}
	}
	// Not named, not on PATH, not in the cache.
	t.Setenv(EnvBinary, "")
	t.Setenv("PATH", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	r = &recorder{TB: t}
	if got := Binary(r); got != "" || !strings.Contains(r.fatal, "versitygw not found") || r.skip != "" {
		t.Errorf("Binary() = %q, fatal %q, skip %q; want a failure", got, r.fatal, r.skip)
	}
}

func TestBinaryFromCache(t *testing.T) {
	t.Setenv(EnvSkip, "")
	t.Setenv(EnvBinary, "")
	t.Setenv("PATH", t.TempDir())
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	want := filepath.Join(cache, "redisplan", "bin", "versitygw")
	os.MkdirAll(filepath.Dir(want), 0o755)
	os.WriteFile(want, []byte("#!/bin/sh\n"), 0o755)
	r := &recorder{TB: t}
	if got := Binary(r); got != want || r.fatal != "" {
		t.Errorf("Binary() = %q (%q), want %q", got, r.fatal, want)
	}
}

func TestSkip(t *testing.T) {
	t.Setenv(EnvSkip, "1")
	r := &recorder{TB: t}
	if s := Start(r); s != nil || r.fatal != "" || !strings.Contains(r.skip, EnvSkip+"=1") {
		t.Errorf("Start = %v, fatal %q, skip %q; want a skip naming %s=1", s, r.fatal, r.skip, EnvSkip)
	}
}
