package restore

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/model"
)

// A restore's waits say "redisplan was interrupted" when the context is
// cancelled (Ctrl-C, SIGTERM) and "the deadline passed" when it times
// out: they used to say "the deadline passed (context canceled)" for both.
func TestWaitsSayInterruptedOrDeadline(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	running := model.Connection{Address: srv.Addr(), Timeout: 5 * time.Second}
	// Nothing listens on a fresh free port: the server never becomes
	// ready there.
	nothing := model.Connection{Address: "127.0.0.1:" + strconv.Itoa(servertest.FreePort(t)), Timeout: 5 * time.Second}
	dir := t.TempDir()

	waits := map[string]func(ctx context.Context) error{
		// The server keeps answering while restore waits for it to stop.
		"stop": func(ctx context.Context) error {
			a, err := addressOf(running)
			if err != nil {
				t.Fatal(err)
			}
			return waitGone(ctx, running.Address, a)
		},
		// The server never answers while restore waits for it to load.
		"load": func(ctx context.Context) error {
			_, err := waitLoaded(ctx, nothing, newStartWatch(filepath.Join(dir, "none.pid"), filepath.Join(dir, "none.log")))
			return err
		},
	}
	for name, wait := range waits {
		for _, how := range []string{"interrupted", "deadline"} {
			ctx, cancel := context.WithCancel(testContext(t))
			want := "redisplan was interrupted"
			if how == "deadline" {
				cancel()
				ctx, cancel = context.WithTimeout(testContext(t), 300*time.Millisecond)
				want = "the deadline passed"
			} else {
				time.AfterFunc(300*time.Millisecond, cancel)
			}
			err := wait(ctx)
			cancel()
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s, %s: err = %v, want it to say %q", name, how, err, want)
			}
			if how == "interrupted" && err != nil && strings.Contains(err.Error(), "deadline") {
				t.Errorf("%s: an interruption is reported as a deadline: %v", name, err)
			}
		}
	}
}
