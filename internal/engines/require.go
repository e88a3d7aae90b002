package engines

import (
	"os"
	"strconv"
	"testing"
)

// SkipRequested reports whether REDISPLAN_SKIP_ENGINES asks to run without
// the engines that are missing.
func SkipRequested() bool {
	on, err := strconv.ParseBool(os.Getenv(EnvSkip))
	return err == nil && on
}

// Require returns the installed engines for a test. A missing engine
// fails the test with what is missing and how to install it; with
// REDISPLAN_SKIP_ENGINES=1 the test goes on with the engines that are
// there (and is skipped when there are none).
func Require(t testing.TB) []Engine {
	t.Helper()
	found, err := Find()
	if err == nil {
		return found
	}
	if !SkipRequested() {
		t.Fatalf("%v", err)
		return nil
	}
	t.Logf("%s=1: running without the missing engines: %v", EnvSkip, err)
	if len(found) == 0 {
		t.Skipf("%s=1 and no engine is installed", EnvSkip)
	}
	return found
}
