package redistest

import (
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/redisplan/redisplan/internal/engines"
)

const (
	// EnvServer names the redis-server binary to use: a path, or a name
	// looked up in PATH.
	EnvServer = "REDISPLAN_REDIS_SERVER"
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
		t.Skipf("redistest: %s=%s is set: skipping a test that needs a real redis-server", EnvSkip, os.Getenv(EnvSkip))
		return ""
	}
	name, source := "redis-server", "PATH"
	if v := os.Getenv(EnvServer); v != "" {
		name, source = v, EnvServer
	}
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("redistest: redis-server not found (%s=%q): %v\nThis test needs a real redis-server: %s.",
			source, name, err, installHint)
		return ""
	}
	return path
}

// SkipRequested reports whether EnvSkip asks to skip the tests that need
// real servers (Redis, and the S3 server of internal/s3test).
func SkipRequested() bool {
	on, err := strconv.ParseBool(os.Getenv(EnvSkip))
	return err == nil && on
}

// Version returns the version of the redis-server binary, for example
// "7.0.15", as printed by `redis-server --version`.
func Version(t testing.TB) string {
	t.Helper()
	bin := Binary(t)
	if bin == "" {
		return ""
	}
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("redistest: %s --version: %v\n%s", bin, err, out)
		return ""
	}
	_, v, err := engines.ParseVersion(string(out))
	if err != nil {
		t.Fatalf("redistest: %s: %v", bin, err)
		return ""
	}
	return v
}
