package live

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/model"
)

// testTimeout bounds every test's calls, so that a hung server fails the
// test instead of the whole run. Nothing asserts how long a call takes.
const testTimeout = 60 * time.Second

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// targetFor returns a target that connects to the server.
func targetFor(s *servertest.Server) *model.Target {
	return &model.Target{
		Name:       "main",
		Connection: model.Connection{Address: s.Addr()},
	}
}

// mustNotContain fails the test when the error's text contains secret.
func mustNotContain(t *testing.T, err error, secret string) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), secret) {
		t.Errorf("error contains the password %q: %v", secret, err)
	}
}

// mustContain fails the test when the error is nil or its text lacks any
// of the parts.
func mustContain(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", parts)
	}
	t.Logf("error: %v", err)
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}
