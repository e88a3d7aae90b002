package servertest

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/server"
	"github.com/redisplan/redisplan/internal/testwait"
)

// Pidfile follows the processes of a redis-server that daemonizes itself,
// as a service manager runs it (daemonize yes, pidfile): a test that
// starts and stops such a server through commands cannot own its
// processes the way Start does, so it notes each process from the
// pidfile, and every one noted is killed when the test ends.
type Pidfile struct {
	path string

	mu   sync.Mutex
	pids map[int]bool // every process seen
}

// WatchPidfile follows the pidfile at path. Call it after creating the
// server's t.TempDir, so that its cleanup (which kills every process
// noted, and notes the pidfile's last one first) runs before the
// directory is removed.
func WatchPidfile(t testing.TB, path string) *Pidfile {
	p := &Pidfile{path: path, pids: map[int]bool{}}
	t.Cleanup(func() { p.kill(t) })
	return p
}

// Note remembers the process the pidfile names now.
func (p *Pidfile) Note() {
	b, err := os.ReadFile(p.path)
	if err != nil {
		return
	}
	if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
		p.mu.Lock()
		p.pids[pid] = true
		p.mu.Unlock()
	}
}

// kill ends every process noted, and its fork children: a daemonized
// redis-server leads its own session and process group.
func (p *Pidfile) kill(t testing.TB) {
	p.Note()
	p.mu.Lock()
	defer p.mu.Unlock()
	for pid := range p.pids {
		if !server.ProcessAlive(pid) || !server.IsServerProcess(pid) {
			continue // gone, or the id was reused by something else
		}
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		_ = syscall.Kill(pid, syscall.SIGKILL)
		// Not our child: wait until it is gone or a zombie (dead, waiting
		// for its new parent to reap it).
		testwait.For(t, 10*time.Second, fmt.Sprintf("redis-server (pid %d) to end after SIGKILL", pid), func() (bool, error) {
			return !server.ProcessAlive(pid), nil
		})
	}
}
