package drill

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/progress"
)

// The RPO tests crash real redis-servers. They assert counts and the
// consistency of the figures, never how long anything took.

// events records what a drill emits, from any goroutine.
type events struct {
	mu    sync.Mutex
	lines []string
}

func (e *events) emit(ev progress.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lines = append(e.lines, ev.Message)
}

func (e *events) String() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return strings.Join(e.lines, "\n")
}

var (
	rootRE = regexp.MustCompile(`in (\S+redisplan-rpo-\S+);`)
	pidRE  = regexp.MustCompile(`(?:started|restarted as) pid (\d+)`)
)

// scratchOf returns the drill's scratch directory and every pid it
// started, from its events.
func (e *events) scratchOf(t *testing.T) (string, []int) {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	var root string
	var pids []int
	for _, l := range e.lines {
		if m := rootRE.FindStringSubmatch(l); m != nil {
			root = m[1]
		}
		for _, m := range pidRE.FindAllStringSubmatch(l, -1) {
			pid, _ := strconv.Atoi(m[1])
			pids = append(pids, pid)
		}
	}
	if root == "" {
		t.Fatalf("no event names the scratch directory:\n%s", strings.Join(e.lines, "\n"))
	}
	return root, pids
}

// assertCleanedUp fails when a server the drill started still runs or its
// directory is still there.
func assertCleanedUp(t *testing.T, ev *events) {
	t.Helper()
	root, pids := ev.scratchOf(t)
	if _, err := os.Stat(root); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the scratch directory %s is still there: %v", root, err)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("the scratch server (pid %d) still runs: %v", pid, err)
		}
	}
}

// checkFigures asserts what holds for every RPO result.
func checkFigures(t *testing.T, res RPOResult, runs int) {
	t.Helper()
	if len(res.Runs) != runs {
		t.Fatalf("%d runs, want %d", len(res.Runs), runs)
	}
	var lost []int64
	var ms []float64
	for i, r := range res.Runs {
		if r.Acknowledged <= 0 {
			t.Errorf("run %d: %d writes acknowledged, want some", i+1, r.Acknowledged)
		}
		if r.Recovered+r.Lost != r.Acknowledged || r.Recovered < 0 || r.Lost < 0 {
			t.Errorf("run %d: %d recovered + %d lost != %d acknowledged", i+1, r.Recovered, r.Lost, r.Acknowledged)
		}
		if r.LostMillis < 0 || (r.Lost == 0 && r.LostMillis != 0) {
			t.Errorf("run %d: %d lost writes spanning %vms", i+1, r.Lost, r.LostMillis)
		}
		lost = append(lost, r.Lost)
		ms = append(ms, r.LostMillis)
	}
	if res.WorstLost != slices.Max(lost) || res.WorstLostMillis != slices.Max(ms) {
		t.Errorf("worst %d (%vms), want the runs' maximum %d (%vms)", res.WorstLost, res.WorstLostMillis, slices.Max(lost), slices.Max(ms))
	}
	if res.MedianLost < slices.Min(lost) || res.MedianLost > res.WorstLost ||
		res.MedianLostMillis < slices.Min(ms) || res.MedianLostMillis > res.WorstLostMillis {
		t.Errorf("median %d (%vms) is outside the runs' range", res.MedianLost, res.MedianLostMillis)
	}
}

func TestRPO(t *testing.T) {
	servertest.Binary(t)
	const runs = 3
	for _, tt := range []struct {
		name        string
		directives  []string
		persistence string
		check       func(*testing.T, RPOResult)
	}{
		{
			name:        "aof always",
			directives:  []string{"appendfsync", "always", "appendonly", "yes"},
			persistence: "appendonly yes, appendfsync always",
			check: func(t *testing.T, res RPOResult) {
				if res.WorstLost != 0 {
					t.Errorf("appendfsync always lost %d acknowledged writes", res.WorstLost)
				}
				if v := JudgeRPO(res, time.Second); !v.Pass {
					t.Errorf("JudgeRPO: %s", v.Reason)
				}
			},
		},
		{
			name:        "aof everysec",
			directives:  []string{"appendfsync", "everysec", "appendonly", "yes"},
			persistence: "appendonly yes, appendfsync everysec",
		},
		{
			name:        "nothing persists",
			directives:  []string{"save", ""},
			persistence: `appendonly no, save ""`,
			check: func(t *testing.T, res RPOResult) {
				for i, r := range res.Runs {
					if r.Lost != r.Acknowledged || r.Recovered != 0 {
						t.Errorf("run %d: %d of %d acknowledged writes lost, want all", i+1, r.Lost, r.Acknowledged)
					}
				}
				if v := JudgeRPO(res, time.Second); v.Pass {
					t.Errorf("JudgeRPO passed a server that keeps nothing: %s", v.Reason)
				}
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev := &events{}
			res, err := RPO(testContext(t), target(tt.directives...), RPOOptions{Runs: runs, Duration: 400 * time.Millisecond, Seed: 1, Emit: ev.emit})
			t.Logf("events:\n%s", ev)
			if err != nil {
				t.Fatalf("RPO: %v", err)
			}
			t.Logf("result: %+v", res)
			checkFigures(t, res, runs)
			if res.Persistence != tt.persistence {
				t.Errorf("Persistence = %q, want %q", res.Persistence, tt.persistence)
			}
			if tt.check != nil {
				tt.check(t, res)
			}
			assertCleanedUp(t, ev)
		})
	}
}

func TestRPOServerThatCannotStart(t *testing.T) {
	servertest.Binary(t)
	t.Parallel()
	ev := &events{}
	_, err := RPO(testContext(t), target("appendfsync", "sometimes", "appendonly", "yes"), RPOOptions{Runs: 2, Duration: 100 * time.Millisecond, Emit: ev.emit})
	if err == nil || !strings.Contains(err.Error(), "did not become ready") || !strings.Contains(err.Error(), "appendfsync") {
		t.Fatalf("RPO with an invalid appendfsync: %v; want an error quoting the server's log", err)
	}
	t.Logf("error: %v", err)
	assertCleanedUp(t, ev)
}

func TestRPOCancelled(t *testing.T) {
	servertest.Binary(t)
	t.Parallel()
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	ev := &events{}
	emit := func(e progress.Event) {
		ev.emit(e)
		if strings.Contains(e.Message, "run 1/5: started") {
			cancel()
		}
	}
	_, err := RPO(ctx, target("appendonly", "yes"), RPOOptions{Runs: 5, Duration: time.Minute, Emit: emit})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("RPO after a cancel: %v; want context.Canceled", err)
	}
	assertCleanedUp(t, ev)
}

func TestRPOOptionsChecked(t *testing.T) {
	for _, o := range []RPOOptions{{Runs: -1}, {Duration: -time.Second}} {
		if _, err := RPO(context.Background(), target(), o); err == nil {
			t.Errorf("RPO(%+v) accepted the options", o)
		}
	}
	if _, err := RPO(context.Background(), nil, RPOOptions{}); err == nil {
		t.Errorf("RPO without a target returned no error")
	}
}
