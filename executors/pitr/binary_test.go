package pitr

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redisplan/redisplan/executors/server"
	"github.com/redisplan/redisplan/executors/server/servertest"
)

// TestScratchBinary: the replay's scratch server is of the base's engine
// and a release that loads its RDB version, whatever PATH's redis-server
// is; when none is installed the error names the engine, the releases
// and REDISPLAN_REDIS_SERVER; REDISPLAN_REDIS_SERVER wins over everything.
func TestScratchBinary(t *testing.T) {
	fake := func(name, out string) string {
		bin := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(bin, []byte("#!/bin/sh\necho '"+out+"'\n"), 0o700); err != nil {
			t.Fatal(err)
		}
		return bin
	}
	v81 := fake("valkey-server", "Valkey server v=8.1.1 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=1")
	r80 := fake("redis-server", "Redis server v=8.0.2 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=1")
	t.Setenv("PATH", filepath.Dir(servertest.Binary(t)))
	t.Setenv(server.EnvBinary, "")
	ctx := t.Context()
	path := servertest.Binary(t)

	if bin, err := ScratchBinary(ctx, "valkey", 11, r80, v81); bin != v81 || err != nil {
		t.Errorf("ScratchBinary(valkey, 11) = %q, %v; want %s", bin, err, v81)
	}
	if bin, err := ScratchBinary(ctx, "redis", 12, "", v81, r80); bin != r80 || err != nil {
		t.Errorf("ScratchBinary(redis, 12) = %q, %v; want %s", bin, err, r80)
	}
	if bin, err := ScratchBinary(ctx, "redis", 10, r80); bin != r80 || err != nil {
		t.Errorf("ScratchBinary(redis, 10) = %q, %v; want the candidate %s first", bin, err, r80)
	}
	_, err := ScratchBinary(ctx, "valkey", 11, r80)
	if err == nil || !strings.Contains(err.Error(), "valkey-server that loads RDB version 11 (Valkey 7.2 or newer)") ||
		!strings.Contains(err.Error(), server.EnvBinary) || !strings.Contains(err.Error(), r80+" is Redis 8.0.2") {
		t.Errorf("ScratchBinary(valkey, 11) without Valkey = %v; want the engine, the releases, what was found and %s", err, server.EnvBinary)
	}
	_, err = ScratchBinary(ctx, "redis", 12)
	if err == nil || !strings.Contains(err.Error(), "RDB version 12 (Redis 7.4 or newer)") || !strings.Contains(err.Error(), path) {
		t.Errorf("ScratchBinary(redis, 12) with only PATH's %s = %v", path, err)
	}
	t.Setenv(server.EnvBinary, r80)
	if bin, err := ScratchBinary(ctx, "valkey", 11, v81); bin != r80 || err != nil {
		t.Errorf("BinaryLoading with %s set = %q, %v; want %s", server.EnvBinary, bin, err, r80)
	}
}
