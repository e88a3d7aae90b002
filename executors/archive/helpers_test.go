package archive

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/repository"
	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/internal/redisinfo"
	"github.com/redisplan/redisplan/internal/testwait"
)

// debugConfig lets the tests compare datasets with DEBUG DIGEST.
const debugConfig = "enable-debug-command local\n"

// archiveTarget is a target for srv whose backups go to a new directory.
func archiveTarget(t *testing.T, srv *servertest.Server) *model.Target {
	t.Helper()
	dir := t.TempDir()
	return &model.Target{
		Name: "main", Pos: model.Pos{Filename: filepath.Join(dir, "spec.hcl")},
		Connection: model.Connection{Address: srv.Addr(), Timeout: 5 * time.Second},
		Backup:     &model.Backup{Destination: filepath.Join(dir, "backups"), Method: "bgsave", Include: []string{"rdb"}, Compression: "zstd"},
	}
}

func openRepo(t *testing.T, tg *model.Target) *repository.Repository {
	t.Helper()
	r, err := repository.Open(tg, "")
	if err != nil {
		t.Fatal(err)
	}
	r.Version = "test"
	return r
}

// running is an archiver started by follow.
type running struct {
	cancel context.CancelFunc
	done   chan error
	mu     sync.Mutex
	events []progress.Event
	// committed is the stream position of the last commit.
	replID    string
	committed int64
}

// follow starts Follow on repo in the background; the test ends it.
func follow(t *testing.T, repo *repository.Repository, flush time.Duration) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1)}
	o := Options{Repo: repo, Flush: flush,
		Emit: func(e progress.Event) {
			r.mu.Lock()
			defer r.mu.Unlock()
			if !e.IsBytes() {
				r.events = append(r.events, e)
			}
		},
		Committed: func(id string, off int64) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.replID, r.committed = id, off
		},
	}
	go func() { r.done <- Follow(ctx, o) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop ends the archiver as SIGTERM does and waits for it.
func (r *running) stop(t *testing.T) {
	t.Helper()
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("Follow: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("Follow did not end 30s after its context")
	}
}

func (r *running) position() (string, int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.replID, r.committed
}

func (r *running) messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, e.Level.String()+": "+e.Message)
	}
	return out
}

// masterOffset is the server's replication ID and offset.
func masterOffset(t *testing.T, c *redis.Client) (string, int64) {
	t.Helper()
	s, err := c.Info(context.Background(), "replication").Result()
	if err != nil {
		t.Fatal(err)
	}
	f := redisinfo.Parse(s)
	off, _ := strconv.ParseInt(f["master_repl_offset"], 10, 64)
	return f["master_replid"], off
}

// waitArchived waits until the archiver committed the server's stream up
// to its current offset.
func (r *running) waitArchived(t *testing.T, c *redis.Client) {
	t.Helper()
	_, off := masterOffset(t, c)
	testwait.For(t, 60*time.Second, "the archive to reach offset "+strconv.FormatInt(off, 10), func() (bool, error) {
		// The ID is read each time: a master takes a new one when a
		// replica first attaches after it started.
		id, _ := masterOffset(t, c)
		gid, got := r.position()
		return gid == id && got >= off, nil
	})
}

func digest(t *testing.T, c *redis.Client) string {
	t.Helper()
	d, err := c.Do(context.Background(), "DEBUG", "DIGEST").Text()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// replayed starts a server that loads, as a multi-part AOF, the newest
// base of the archive in repo plus its chain's segments (the commands
// after the base's position).
func replayed(t *testing.T, repo *repository.Repository) *servertest.Server {
	t.Helper()
	return replayedWith(t, repo, "")
}

// replayedWith is replayed on the server binary bin (the harness's when
// empty).
func replayedWith(t *testing.T, repo *repository.Repository, bin string) *servertest.Server {
	t.Helper()
	ctx := context.Background()
	own, _, err := repo.Catalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	segs, err := ListSegments(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}
	chains, _ := Chains(own, segs)
	var c *Chain
	for i := range chains {
		if chains[i].Recoverable() && (c == nil || !chains[i].First.Before(c.First)) {
			c = &chains[i]
		}
	}
	if c == nil {
		t.Fatalf("no recoverable chain among %+v", chains)
	}
	base := c.Bases[len(c.Bases)-1]
	rc, err := repo.Reader(base, nil)(ctx, base.Files[0])
	if err != nil {
		t.Fatal(err)
	}
	rdbData, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	var incr bytes.Buffer
	incr.Write(cmd("SELECT", strconv.Itoa(base.ReplStreamDB)))
	for _, s := range c.Segments {
		rc, err := repo.ReadObject(ctx, repository.Archive, s.Name)
		if err != nil {
			t.Fatal(err)
		}
		r, err := OpenSegment(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		for {
			e, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if !e.Mark && e.Offset <= base.ReplOffset {
				continue // in the base already
			}
			incr.Write(e.Raw)
		}
	}
	return loadAOF(t, bin, rdbData, incr.Bytes())
}

// loadAOF starts a server on a multi-part AOF made of base (an RDB) and
// incr.
func loadAOF(t *testing.T, bin string, base, incr []byte) *servertest.Server {
	t.Helper()
	s := servertest.Start(t, servertest.Options{Binary: bin, Config: debugConfig + "appendonly yes\nappenddirname aof\n"})
	s.Stop(t)
	dir := filepath.Join(s.Dir(), "aof")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"appendonly.aof.1.base.rdb": base,
		"appendonly.aof.1.incr.aof": incr,
		"appendonly.aof.manifest":   []byte("file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s.Restart(t)
	return s
}

// bases are the backups of repo with a stream position.
func bases(t *testing.T, repo *repository.Repository) []*backup.Manifest {
	t.Helper()
	own, _, err := repo.Catalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []*backup.Manifest
	for _, m := range own {
		if m.ReplID != "" {
			out = append(out, m)
		}
	}
	return out
}

// countCommands counts the commands in repo's segments that match.
func countCommands(t *testing.T, repo *repository.Repository, match func(args [][]byte) bool) int {
	t.Helper()
	ctx := context.Background()
	segs, err := ListSegments(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range segs {
		rc, err := repo.ReadObject(ctx, repository.Archive, s.Name)
		if err != nil {
			t.Fatal(err)
		}
		r, err := OpenSegment(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		for {
			e, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if !e.Mark && match(e.Args) {
				n++
			}
		}
	}
	return n
}
