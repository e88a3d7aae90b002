package archive

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/internal/testwait"
)

// The environment that makes TestArchiverProcess an archiver.
const (
	envAddr = "REDISPLAN_TEST_ARCHIVER_ADDR"
	envDir  = "REDISPLAN_TEST_ARCHIVER_DIR"
)

// processTarget is the target an archiver process follows: srv's address,
// its spec and backups in dir.
func processTarget(addr, dir string) *model.Target {
	return &model.Target{
		Name: "main", Pos: model.Pos{Filename: filepath.Join(dir, "spec.hcl")},
		Connection: model.Connection{Address: addr, Timeout: 5 * time.Second},
		Backup:     &model.Backup{Destination: filepath.Join(dir, "backups"), Method: "bgsave", Include: []string{"rdb"}, Compression: "zstd"},
	}
}

// TestArchiverProcess is not a test: run by archiverProcess with its
// environment set, it is an archiver in a process of its own, which a
// test can SIGKILL. It ends on SIGTERM.
func TestArchiverProcess(t *testing.T) {
	addr, dir := os.Getenv(envAddr), os.Getenv(envDir)
	if addr == "" {
		t.Skip("run by the tests that kill an archiver")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	repo := openRepo(t, processTarget(addr, dir))
	emit := func(e progress.Event) {
		if !e.IsBytes() {
			fmt.Fprintf(os.Stderr, "%s %s: %s\n", time.Now().Format("15:04:05.000"), e.Level, e.Message)
		}
	}
	if err := Follow(ctx, Options{Repo: repo, Flush: 100 * time.Millisecond, Emit: emit}); err != nil {
		t.Fatal(err)
	}
}

// archiverProcess starts an archiver process for the server at addr,
// keeping its archive in dir.
func archiverProcess(t *testing.T, addr, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestArchiverProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), envAddr+"="+addr, envDir+"="+dir)
	out, err := os.Create(filepath.Join(dir, "archiver-"+strconv.FormatInt(time.Now().UnixNano(), 10)+".log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		out.Close()
		if t.Failed() {
			b, _ := os.ReadFile(out.Name())
			t.Logf("archiver %s:\n%s", filepath.Base(out.Name()), b)
		}
	})
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd
}

// archivedTo is the end of the newest committed segment of replid, or
// of its base.
func archivedTo(t *testing.T, dir, addr, replid string) int64 {
	t.Helper()
	repo := openRepo(t, processTarget(addr, dir))
	p, ok, err := ResumePoint(context.Background(), repo)
	if err != nil {
		t.Fatal(err)
	}
	if !ok || p.ReplID != replid {
		return -1
	}
	return p.Offset
}

// writer writes to the server without pause until stopped: INCRs and
// RPUSHes, which a write lost or replayed twice would change.
type writer struct {
	stop chan struct{}
	wg   sync.WaitGroup
	n    atomic.Int64
}

func startWriter(t *testing.T, addr string) *writer {
	t.Helper()
	w := &writer{stop: make(chan struct{})}
	c := redis.NewClient(&redis.Options{Addr: addr})
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer c.Close()
		ctx := context.Background()
		for i := 0; ; i++ {
			select {
			case <-w.stop:
				return
			default:
			}
			k := strconv.Itoa(i % 10)
			if _, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Incr(ctx, "n:"+k)
				p.RPush(ctx, "l:"+k, i)
				return nil
			}); err != nil {
				t.Errorf("write %d: %v", i, err)
				return
			}
			c.Incr(ctx, "plain")
			w.n.Add(1)
		}
	}()
	return w
}

func (w *writer) halt() {
	close(w.stop)
	w.wg.Wait()
}

// An archiver SIGKILLed while writes flow and started again continues the
// stream where its last committed segment ends: one base, and base +
// segments give the source's dataset exactly (no write lost or doubled).
func TestArchiverKilledAndRestarted(t *testing.T) {
	t.Parallel()
	src := servertest.Start(t, servertest.Options{Config: debugConfig})
	c := src.Client(t)
	dir := t.TempDir()
	w := startWriter(t, src.Addr())
	a := archiverProcess(t, src.Addr(), dir)
	var replid string
	testwait.For(t, 60*time.Second, "segments", func() (bool, error) {
		// The master takes a new replication ID when its first
		// replica attaches.
		replid, _ = masterOffset(t, c)
		return archivedTo(t, dir, src.Addr(), replid) > 0, nil
	})
	before := w.n.Load()
	testwait.For(t, 60*time.Second, "more writes", func() (bool, error) { return w.n.Load() > before+200, nil })
	if err := a.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	a.Wait()
	killedAt := archivedTo(t, dir, src.Addr(), replid)
	before = w.n.Load()
	testwait.For(t, 60*time.Second, "writes while no archiver runs", func() (bool, error) { return w.n.Load() > before+200, nil })
	b := archiverProcess(t, src.Addr(), dir)
	testwait.For(t, 60*time.Second, "the restarted archiver to commit", func() (bool, error) {
		return archivedTo(t, dir, src.Addr(), replid) > killedAt, nil
	})
	w.halt()
	_, off := masterOffset(t, c)
	testwait.For(t, 60*time.Second, "the archive to reach the server's offset", func() (bool, error) {
		return archivedTo(t, dir, src.Addr(), replid) >= off, nil
	})
	if err := b.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := b.Wait(); err != nil {
		t.Fatalf("the archiver's exit after SIGTERM: %v", err)
	}
	repo := openRepo(t, processTarget(src.Addr(), dir))
	if n := len(bases(t, repo)); n != 1 {
		t.Errorf("%d bases, want 1: the restart resumed the stream", n)
	}
	want := digest(t, c)
	if got := digest(t, replayed(t, repo).Client(t)); got != want {
		t.Fatalf("replayed digest %s, source %s after %d writes", got, want, w.n.Load())
	}
}
