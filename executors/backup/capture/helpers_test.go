package capture

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/testwait"
)

// testTimeout bounds every test's calls, so that a hung server fails the
// test instead of the whole run. Nothing asserts how long a call takes.
const testTimeout = 90 * time.Second

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// dialServer returns a client made by live.Dial, the way the product
// connects, closed when the test ends.
func dialServer(t *testing.T, conn model.Connection) *redis.Client {
	t.Helper()
	c, err := live.Dial(conn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// populate writes n string keys key:0..key:n-1 with values value(i).
func populate(t *testing.T, ctx context.Context, c *redis.Client, n int) {
	t.Helper()
	const batch = 1000
	for start := 0; start < n; start += batch {
		var args []any
		for i := start; i < min(start+batch, n); i++ {
			args = append(args, key(i), value(i))
		}
		if err := c.MSet(ctx, args...).Err(); err != nil {
			t.Fatalf("MSET: %v", err)
		}
	}
}

func key(i int) string   { return "key:" + strconv.Itoa(i) }
func value(i int) string { return fmt.Sprintf("value-%d-%s", i, strings.Repeat("x", i%50)) }

// infoField reads one INFO persistence field.
func infoField(t *testing.T, ctx context.Context, c *redis.Client, name string) string {
	t.Helper()
	info, err := live.Info(ctx, c, "persistence")
	if err != nil {
		t.Fatal(err)
	}
	return info[name]
}

// infoInt reads one integer INFO persistence field.
func infoInt(t *testing.T, ctx context.Context, c *redis.Client, name string) int64 {
	t.Helper()
	s := infoField(t, ctx, c, name)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("INFO %s = %q: %v", name, s, err)
	}
	return n
}

// waitFor polls INFO persistence until name has the value want.
func waitFor(t *testing.T, ctx context.Context, c *redis.Client, name, want string) {
	t.Helper()
	testwait.For(t, testTimeout, fmt.Sprintf("INFO %s to become %s", name, want), func() (bool, error) {
		return infoField(t, ctx, c, name) == want, nil
	})
}

// slowSaves makes every save (and AOF rewrite) spend delay microseconds
// per key, through the hidden rdb-key-save-delay parameter.
func slowSaves(t *testing.T, ctx context.Context, c *redis.Client, micros int) {
	t.Helper()
	if err := c.ConfigSet(ctx, "rdb-key-save-delay", strconv.Itoa(micros)).Err(); err != nil {
		t.Fatal(err)
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

// startFrom starts a fresh server, stops it, lets prepare put data files
// into its dir, and starts it again on them.
func startFrom(t *testing.T, opts servertest.Options, prepare func(dir string)) *servertest.Server {
	t.Helper()
	s := servertest.Start(t, opts)
	s.Shutdown(t, false)
	prepare(s.Dir())
	s.Restart(t)
	return s
}

// writeFile writes data to path or fails the test.
func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
