package servertest

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/redisplan/redisplan/executors/server"
)

const (
	// EnvServer names the redis-server binary to use: a path, or a name
	// looked up in PATH.
	EnvServer = server.EnvBinary
	// EnvSkip, set to 1, skips every test that needs a real redis-server.
	EnvSkip = "REDISPLAN_SKIP_REDIS"
)

const installHint = "install it (Debian/Ubuntu: apt-get install redis-server) " +
	"or set " + EnvServer + " to its path; to skip tests that need Redis on purpose, set " + EnvSkip + "=1"

// Binary returns the path of the redis-server binary the tests use.
//
// With REDISPLAN_SKIP_REDIS=1 it skips the test. Otherwise a binary that
// cannot be found fails the test with a message that says how to install it.
// When t does not stop the test on Skipf or Fatalf, Binary returns "".
func Binary(t testing.TB) string {
	t.Helper()
	if SkipRequested() {
		t.Skipf("servertest: %s=%s is set: skipping a test that needs a real redis-server", EnvSkip, os.Getenv(EnvSkip))
		return ""
	}
	path, err := server.Binary()
	if err != nil {
		t.Fatalf("servertest: redis-server not found: %v\nThis test needs a real redis-server: %s.", err, installHint)
		return ""
	}
	return path
}

// SkipRequested reports whether EnvSkip asks to skip the tests that need
// real servers.
func SkipRequested() bool {
	on, err := strconv.ParseBool(os.Getenv(EnvSkip))
	return err == nil && on
}

// Version returns the release of the redis-server binary, for example
// "7.0.15" (without Valkey's "valkey " prefix), as printed by
// `redis-server --version`.
func Version(t testing.TB) string {
	t.Helper()
	bin := Binary(t)
	if bin == "" {
		return ""
	}
	v, err := server.Version(context.Background(), bin)
	if err != nil {
		t.Fatalf("servertest: %v", err)
		return ""
	}
	return strings.TrimPrefix(v, "valkey ")
}
