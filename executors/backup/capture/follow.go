package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/internal/redisinfo"
)

// followStep is how long a Save waits at the end of the file the server's
// child is still writing before it reads again.
const followStep = 5 * time.Millisecond

// Save is a BGSAVE in progress, read as it is written. Read returns the
// RDB file's bytes; io.EOF comes only once the save has ended with
// rdb_last_bgsave_status:ok and every byte it wrote was read. Info then
// holds INFO as BGSave returns it.
//
// When the server's child process and its temp file can be found (the
// server runs on this host, in this PID namespace, and Linux lists
// children in /proc), the file is read while the child writes it, so that
// compression and checksums overlap the save instead of following it.
// Otherwise Save waits for the save to end and reads the finished file,
// exactly as BGSave. Either way the caller checks the RDB's own CRC-64,
// which a partly written file cannot pass.
type Save struct {
	ctx  context.Context
	c    *redis.Client
	ep   endpoint
	mark saveMark
	how  accepted

	path     string // the finished file: dir + dbfilename
	f        *os.File
	Followed bool // the file was read while the save ran
	finished bool
	info     map[string]string
	lastPoll time.Time
}

// FollowBGSave starts a save as BGSave does and returns it for reading.
func FollowBGSave(ctx context.Context, c *redis.Client, configCmd, dataDir string) (*Save, error) {
	// The server's pid, read before the request so that the child found
	// afterwards is the one this request forked.
	server, _ := live.Info(ctx, c, "server")
	s, dir, err := beginSave(ctx, c, configCmd, dataDir)
	if err != nil {
		return nil, err
	}
	if s.how == started {
		if pid, ok := redisinfo.Int(server, "process_id"); ok {
			s.f = s.openChildFile(dir, int(pid))
		}
	}
	if s.f != nil {
		s.Followed = true
		return s, nil
	}
	// Not found: wait for the end and read the finished file.
	if !s.finished {
		if err := s.waitEnd(); err != nil {
			return nil, err
		}
	}
	f, err := os.Open(s.path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w (is the backup running on the Redis host, with read access to its dir? method = \"replication\" works without file access)", s.path, err)
	}
	s.f = f
	return s, nil
}

// openChildFile looks for temp-<child pid>.rdb, which Redis's save child
// writes in the server's dir before renaming it to dbfilename, while the
// save runs. It returns nil when it cannot be found: the save may already
// be over, the server may be elsewhere or in another PID namespace.
func (s *Save) openChildFile(dir string, serverPID int) *os.File {
	children := fmt.Sprintf("/proc/%d/task/%d/children", serverPID, serverPID)
	for !s.finished {
		b, err := os.ReadFile(children)
		if err != nil {
			return nil
		}
		for _, field := range strings.Fields(string(b)) {
			f, err := os.Open(filepath.Join(dir, "temp-"+field+".rdb"))
			if err == nil {
				return f
			}
		}
		// The child may not have created its file yet.
		if err := s.poll(); err != nil {
			return nil
		}
		if err := sleep(s.ctx, followStep); err != nil {
			return nil
		}
	}
	return nil
}

// poll asks INFO persistence whether the save has ended, at most every
// pollInterval, and records the outcome.
func (s *Save) poll() error {
	if s.finished || time.Since(s.lastPoll) < pollInterval {
		return nil
	}
	s.lastPoll = time.Now()
	info, err := live.Info(s.ctx, s.c, "persistence")
	if err != nil {
		return err
	}
	if n, ok := redisinfo.Int(info, "rdb_saves"); ok && s.mark.hasSaves && n < s.mark.saves {
		return s.ep.Errorf(nil, "BGSAVE on %s: the server restarted during the save (rdb_saves went from %d to %s); "+
			"run the backup again", s.ep.Addr(), s.mark.saves, info["rdb_saves"])
	}
	if !saveFinished(s.mark, info, s.how == started) {
		return nil
	}
	return s.finish(info)
}

// waitEnd waits for the save as BGSave does.
func (s *Save) waitEnd() error {
	done, err := waitSave(s.ctx, s.c, s.ep, s.mark, s.how)
	if err != nil {
		return err
	}
	return s.finish(done)
}

func (s *Save) finish(persistence map[string]string) error {
	if st := persistence["rdb_last_bgsave_status"]; st != "ok" {
		return s.ep.Errorf(nil, "BGSAVE on %s failed: the server reports rdb_last_bgsave_status:%s; "+
			"its log says why (often a full disk, or a dir %s the server cannot write)", s.ep.Addr(), orUnknown(st), filepath.Dir(s.path))
	}
	info, err := live.Info(s.ctx, s.c)
	if err != nil {
		return err
	}
	s.finished, s.info = true, info
	return nil
}

// Read reads the RDB, waiting at its end while the save still runs.
func (s *Save) Read(p []byte) (int, error) {
	for {
		n, err := s.f.Read(p)
		if n > 0 || (err != nil && !errors.Is(err, io.EOF)) {
			return n, err
		}
		// At the end of what is written so far. Once the save has
		// ended, every byte is in the file: the end is the end.
		if s.finished {
			return 0, io.EOF
		}
		if err := s.poll(); err != nil {
			return 0, err
		}
		if s.finished {
			continue // read what was written since
		}
		if err := sleep(s.ctx, followStep); err != nil {
			return 0, s.ep.Errorf(err, "waiting for BGSAVE on %s: %v", s.ep.Addr(), err)
		}
	}
}

// Info is INFO as read right after the save ended; nil before.
func (s *Save) Info() map[string]string { return s.info }

// Close closes the file.
func (s *Save) Close() error { return s.f.Close() }

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
