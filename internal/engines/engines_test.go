package engines_test

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/engines"
	"github.com/redisplan/redisplan/internal/redisinfo"
)

func TestParseVersion(t *testing.T) {
	for _, tc := range []struct {
		out, kind, version string
	}{
		{"Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=ff9c7de6d1e4c5a5", "redis", "7.0.15"},
		{"Redis server v=8.0.2 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=b843bbd074c0e1da", "redis", "8.0.2"},
		{"valkey-check-rdb v=8.0.1 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=39f7c371e0a96e3d", "valkey", "8.0.1"},
		{"Valkey server v=8.1.1 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=384b3c0d511f998a", "valkey", "8.1.1"},
	} {
		kind, v, err := engines.ParseVersion(tc.out)
		if err != nil || kind != tc.kind || v != tc.version {
			t.Errorf("ParseVersion(%q) = %q, %q, %v; want %q, %q", tc.out, kind, v, err, tc.kind, tc.version)
		}
	}
	if _, _, err := engines.ParseVersion("bash: redis-server: not found"); err == nil {
		t.Error("ParseVersion of an output without v= gave no error")
	}
}

// TestFindNamesTheMissingEngine points the cache folder at an empty
// directory: every cache engine is reported missing, with the install hint.
func TestFindNamesTheMissingEngine(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	_, err := engines.Find()
	if err == nil {
		t.Fatal("Find with an empty cache folder gave no error")
	}
	for _, want := range []string{"redis-8.0", "valkey-8.0", "valkey-8.1", "scripts/install-deps.sh", engines.EnvSkip} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Find error does not mention %q: %v", want, err)
		}
	}
}

// TestEnginesStartAndReportTheirVersion starts every installed engine
// through the test harness and checks that INFO reports the version the
// binary printed, under the engine's own field, and that its CLI talks to
// it.
func TestEnginesStartAndReportTheirVersion(t *testing.T) {
	t.Parallel()
	list := engines.Require(t)
	if len(list) < len(engines.Wanted) && !engines.SkipRequested() {
		t.Fatalf("Require returned %d engines, want %d", len(list), len(engines.Wanted))
	}
	for _, e := range list {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			s := servertest.Start(t, servertest.Options{Binary: e.Server})
			info, err := s.Client(t).Info(context.Background(), "server").Result()
			if err != nil {
				t.Fatalf("INFO server: %v\n%s", err, s.Log())
			}
			fields := redisinfo.Parse(info)
			versionField := "redis_version"
			if e.Kind == "valkey" {
				versionField = "valkey_version"
				if fields["server_name"] != "valkey" {
					t.Errorf("%s: INFO server_name = %q, want valkey", e.Name, fields["server_name"])
				}
			} else if fields["valkey_version"] != "" {
				t.Errorf("%s: INFO has valkey_version %q on a Redis server", e.Name, fields["valkey_version"])
			}
			if got := fields[versionField]; got != e.Version {
				t.Errorf("%s: INFO %s = %q, want %q (from %s --version)", e.Name, versionField, got, e.Version, e.Server)
			}
			if !strings.HasPrefix(e.Version, e.Series()+".") {
				t.Errorf("%s: version %q is not in series %q", e.Name, e.Version, e.Series())
			}
			out, err := exec.Command(e.CLI, "-h", "127.0.0.1", "-p", strconv.Itoa(s.Port()), "PING").CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != "PONG" {
				t.Errorf("%s: %s PING = %q, %v; want PONG", e.Name, e.CLI, out, err)
			}
		})
	}
}
