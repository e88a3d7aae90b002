package drill

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/redisplan/redisplan/executors/server"
	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/model"
)

// readyTimeout bounds the wait for a scratch server to answer and load
// its files.
const readyTimeout = 2 * time.Minute

// scratch is the redis-server of one RPO run: a data directory and the
// process that currently serves it, if any.
type scratch struct {
	bin     string
	target  *model.Target
	cat     *catalog.Catalog
	dir     string
	conf    string
	logfile string

	srv *server.Server // nil until started
}

func newScratch(bin string, t *model.Target, cat *catalog.Catalog, dir string) *scratch {
	return &scratch{
		bin: bin, target: t, cat: cat, dir: dir,
		conf:    filepath.Join(dir, "redis.conf"),
		logfile: filepath.Join(dir, "redis.log"),
	}
}

// start runs the server on a free port, from whatever files its directory
// holds, and waits until it has loaded them.
func (s *scratch) start(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	srv, err := server.Start(ctx, server.Spec{
		Bin:     s.bin,
		Dir:     s.dir,
		LogFile: s.logfile,
		Args: func(port int) ([]string, error) {
			if err := os.WriteFile(s.conf, scratchConfig(s.target, s.cat, port, s.dir, s.logfile), 0o600); err != nil {
				return nil, fmt.Errorf("write the scratch server's config: %w", err)
			}
			return []string{s.conf}, nil
		},
	})
	if err != nil {
		return fmt.Errorf("the scratch server: %w", err)
	}
	s.srv = srv
	return nil
}

// addr is the address of the running server.
func (s *scratch) addr() string { return s.srv.Addr() }

// pid is the process id of the latest server.
func (s *scratch) pid() int { return s.srv.PID() }

// kill ends the server and its fork children at once with SIGKILL, the
// way a crash ends it: nothing is saved or flushed. Killing a server that
// already exited, or none, does nothing.
func (s *scratch) kill() {
	if s.srv != nil {
		_ = s.srv.Kill()
	}
}

// logTail returns the end of the server's log for an error message.
func (s *scratch) logTail() string {
	if s.srv == nil {
		return ""
	}
	return s.srv.LogTail()
}
