package live

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/model"
)

// daemon is a redis-server that daemonizes itself, as a service manager
// would run it: Restart must stop and start it through commands, so the
// servertest harness (which owns its processes) cannot run it.
type daemon struct {
	bin      string
	conf     string
	password string
	dir      string
	pidfile  string
	port     int

	pids *servertest.Pidfile // every process seen, killed when the test ends
}

// startDaemon writes a redis.conf (with extra appended), starts the server
// and waits until it is ready. Every process it or a restart started is
// killed with SIGKILL when the test ends, passed or failed.
func startDaemon(t *testing.T, extra string) *daemon {
	t.Helper()
	bin := servertest.Binary(t)
	dir := t.TempDir()
	d := &daemon{
		bin:     bin,
		conf:    filepath.Join(dir, "redis.conf"),
		dir:     dir,
		pidfile: filepath.Join(dir, "redis.pid"),
		port:    servertest.FreePort(t),
	}
	conf := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %q\ndaemonize yes\npidfile %q\nlogfile %q\nsave \"\"\n%s",
		d.port, dir, d.pidfile, filepath.Join(dir, "redis.log"), extra)
	if err := os.WriteFile(d.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	// Registered after t.TempDir, so it runs before the directory is
	// removed.
	d.pids = servertest.WatchPidfile(t, d.pidfile)

	ctx := testContext(t)
	if out, err := exec.CommandContext(ctx, bin, d.conf).CombinedOutput(); err != nil {
		t.Fatalf("start %s %s: %v\n%s\n%s", bin, d.conf, err, out, d.log())
	}
	// A server with requirepass counts as ready: WaitReady fails at once
	// on NOAUTH, and the test sets d.password before talking to it.
	if _, err := WaitReady(ctx, d.connection()); err != nil && !strings.Contains(err.Error(), "authentication failed") {
		d.notePID()
		t.Fatalf("redis-server did not become ready: %v\n%s", err, d.log())
	}
	d.notePID()
	return d
}

func (d *daemon) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(d.port)) }

func (d *daemon) connection() model.Connection {
	return model.Connection{Address: d.addr(), Password: d.password, Timeout: 5 * time.Second}
}

func (d *daemon) log() string {
	b, _ := os.ReadFile(filepath.Join(d.dir, "redis.log"))
	return "--- redis.log ---\n" + string(b)
}

// notePID remembers the process named in the pidfile.
func (d *daemon) notePID() { d.pids.Note() }

// target returns a target for the daemon with the given service.
func (d *daemon) target(svc *model.Service) *model.Target {
	return &model.Target{Name: "main", Connection: d.connection(), ConfigFile: d.conf, Service: svc}
}

// runID returns the server's current run_id.
func (d *daemon) runID(t *testing.T) string {
	t.Helper()
	id, err := WaitReady(testContext(t), d.connection())
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (d *daemon) set(t *testing.T, key, value string) {
	t.Helper()
	c, err := Dial(d.connection())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Set(testContext(t), key, value, 0).Err(); err != nil {
		t.Fatal(err)
	}
}

func (d *daemon) get(t *testing.T, key string) string {
	t.Helper()
	c, err := Dial(d.connection())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	v, err := c.Get(testContext(t), key).Result()
	if err != nil {
		t.Fatalf("GET %s: %v", key, err)
	}
	return v
}

func redisCLI(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath(filepath.Join(filepath.Dir(servertest.Binary(t)), "redis-cli"))
	if err == nil {
		return p
	}
	p, err = exec.LookPath("redis-cli")
	if err != nil {
		t.Fatalf("redis-cli not found (it comes with redis-server; Debian/Ubuntu: apt-get install redis-tools): %v", err)
	}
	return p
}

func TestRestartWithServiceStop(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	d.set(t, "survivor", "yes")
	old := d.runID(t)

	tg := d.target(&model.Service{
		Start: []string{d.bin, d.conf},
		Stop:  []string{redisCLI(t), "-p", strconv.Itoa(d.port), "shutdown", "save"},
	})
	res, err := Restart(testContext(t), tg, RestartOptions{})
	runID := res.RunID
	d.notePID()
	if err != nil {
		t.Fatalf("Restart: %v\n%s", err, d.log())
	}
	if runID == "" || runID == old {
		t.Errorf("run_id after restart = %q, before %q", runID, old)
	}
	if got := d.runID(t); got != runID {
		t.Errorf("server reports run_id %q, Restart returned %q", got, runID)
	}
	if got := d.get(t, "survivor"); got != "yes" {
		t.Errorf("survivor = %q after restart", got)
	}
}

func TestRestartWithRenamedShutdown(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "rename-command SHUTDOWN SHUT_x\nrequirepass restart-pass\n")
	d.password = "restart-pass"
	d.set(t, "survivor", "yes")
	old := d.runID(t)

	tg := d.target(&model.Service{Start: []string{d.bin, d.conf}})
	tg.Renames = []model.Rename{{Command: "SHUTDOWN", NewName: "SHUT_x"}}
	res, err := Restart(testContext(t), tg, RestartOptions{})
	runID := res.RunID
	d.notePID()
	if err != nil {
		t.Fatalf("Restart: %v\n%s", err, d.log())
	}
	if runID == "" || runID == old {
		t.Errorf("run_id after restart = %q, before %q", runID, old)
	}
	if got := d.get(t, "survivor"); got != "yes" {
		t.Errorf("survivor = %q after restart: SHUTDOWN SAVE did not save", got)
	}
}

func TestRestartStartFails(t *testing.T) {
	t.Parallel()
	const password = "restart-s3cret"
	d := startDaemon(t, "requirepass "+password+"\n")
	d.password = password
	tg := d.target(&model.Service{Start: []string{d.bin, filepath.Join(d.dir, "missing-"+password+".conf")}})

	_, err := Restart(testContext(t), tg, RestartOptions{})
	mustContain(t, err, "restart main", "service start command", "can't open config file", "(redacted)")
	mustNotContain(t, err, password)
}

func TestRestartRefusedShutdown(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	// SHUTDOWN SAVE fails, and the server keeps running, when the final
	// save cannot be written: here its directory is gone.
	if err := os.RemoveAll(d.dir); err != nil {
		t.Fatal(err)
	}
	// Without its directory the config file has no lock beside it either:
	// the restart's record goes to the temp dir's lock, as for a target
	// without config_file.
	tg := d.target(&model.Service{Start: []string{d.bin, d.conf}})
	tg.ConfigFile = ""
	_, err := Restart(testContext(t), tg, RestartOptions{})
	mustContain(t, err, "refused SHUTDOWN SAVE", d.addr(), "keeps running")
	if _, err := os.Stat(restartJournal(tg).Path()); !os.IsNotExist(err) {
		t.Errorf("the record of a restart whose stop was refused is left (%v)", err)
	}
}

func TestRestartNeedsStartCommand(t *testing.T) {
	t.Parallel()
	for _, svc := range []*model.Service{nil, {Stop: []string{"true"}}} {
		tg := &model.Target{Name: "main", Connection: model.Connection{Address: "127.0.0.1:1"}, Service: svc}
		_, err := Restart(testContext(t), tg, RestartOptions{})
		mustContain(t, err, "restart main", "service { start = [...] }", "127.0.0.1:1")
	}
}

func TestRestartShutdownDisabledNeedsStop(t *testing.T) {
	t.Parallel()
	tg := &model.Target{
		Name:       "main",
		Connection: model.Connection{Address: "127.0.0.1:1"},
		Service:    &model.Service{Start: []string{"true"}},
		Renames:    []model.Rename{{Command: "SHUTDOWN", NewName: ""}},
	}
	_, err := Restart(testContext(t), tg, RestartOptions{})
	mustContain(t, err, `SHUTDOWN is renamed to ""`, "service { stop = [...] }")
}

func TestRestartServerKeepsRunning(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	// Commands that leave the server alone: the old process keeps
	// answering, so the wait for it to stop ends with the context.
	ctx, cancel := context.WithTimeout(testContext(t), 500*time.Millisecond)
	defer cancel()
	_, err := Restart(ctx, d.target(&model.Service{Start: []string{"true"}, Stop: []string{"true"}}), RestartOptions{})
	mustContain(t, err, "still running", d.addr())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("errors.Is(err, DeadlineExceeded) = false for %v", err)
	}
}

func TestWaitReadyAuthFailsAtOnce(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{Config: "requirepass right-pass\n", Password: "right-pass"})
	conn := targetFor(s).Connection
	conn.Password = "wrong-pass"
	_, err := WaitReady(testContext(t), conn)
	mustContain(t, err, "authentication failed")
	if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitReady waited for the deadline on a wrong password: %v", err)
	}
	mustNotContain(t, err, "wrong-pass")
}

// An interrupted restart (Ctrl-C, SIGTERM: a cancelled context) says so,
// and where it left the server; a deadline says deadline. Each moment of
// the restart is held open by service commands that do nothing, so the
// cancellation or the deadline comes while Restart waits. A restart cut
// short after the stop is rolled back: the second run of the start
// command starts the server again.
func TestRestartInterruptedSaysSo(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		svc   func(d *daemon) *model.Service
		state string
	}{
		// The stop command leaves the server running: the wait for it
		// to stop is what ends.
		{"while stopping", func(*daemon) *model.Service { return &model.Service{Start: []string{"true"}, Stop: []string{"true"}} },
			"was still running when %s; check the service stop command"},
		// SHUTDOWN SAVE stops it and the start command starts nothing
		// the first time: the wait for the new process is what ends.
		{"while starting", func(d *daemon) *model.Service {
			marker := filepath.Join(d.dir, "started-once")
			return &model.Service{Start: []string{"sh", "-c", `if [ -e "$1" ]; then exec "$2" "$3"; else touch "$1"; fi`, "sh", marker, d.bin, d.conf}}
		}, "was not ready yet when %s"},
	} {
		for _, how := range []string{"interrupted", "deadline"} {
			t.Run(tt.name+"/"+how, func(t *testing.T) {
				t.Parallel()
				d := startDaemon(t, "")
				d.set(t, "k", "v")
				var ctx context.Context
				var cancel context.CancelFunc
				want := "the deadline passed"
				if how == "deadline" {
					ctx, cancel = context.WithTimeout(testContext(t), 1500*time.Millisecond)
				} else {
					ctx, cancel = context.WithCancel(testContext(t))
					time.AfterFunc(1500*time.Millisecond, cancel)
					want = "redisplan was interrupted"
				}
				defer cancel()
				_, err := Restart(ctx, d.target(tt.svc(d)), RestartOptions{})
				d.notePID()
				mustContain(t, err, fmt.Sprintf(tt.state, want))
				if how == "interrupted" && strings.Contains(err.Error(), "deadline") {
					t.Errorf("an interruption is reported as a deadline: %v", err)
				}
				if tt.name == "while starting" {
					mustContain(t, err, "the server was stopped and its start command ran", "the restart was rolled back")
					if got := d.get(t, "k"); got != "v" {
						t.Errorf("after the rollback k = %q, want v", got)
					}
				} else {
					mustContain(t, err, "the start command was not run")
				}
			})
		}
	}
}

// The keyspace check runs through renamed commands: CLIENT under the name
// the server has, DEBUG under a name the spec gives it although the
// running server still knows it as DEBUG (renamed in the spec, not yet
// applied by a restart).
func TestRestartKeyspaceCheckWithRenamedCommands(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "rename-command CLIENT CLI_x\nenable-debug-command local\nappendonly yes\n")
	for i := 0; i < 100; i++ {
		d.set(t, fmt.Sprintf("k%d", i), "v")
	}
	tg := d.target(&model.Service{Start: []string{d.bin, d.conf}})
	tg.Renames = []model.Rename{{Command: "CLIENT", NewName: "CLI_x"}, {Command: "DEBUG", NewName: "DBG_new"}}
	res, err := Restart(testContext(t), tg, RestartOptions{})
	d.notePID()
	if err != nil {
		t.Fatalf("Restart: %v\n%s", err, d.log())
	}
	if !strings.Contains(res.Keyspace, "100 keys in db0, DEBUG DIGEST identical") {
		t.Errorf("keyspace check %q, want 100 keys and the digest compared", res.Keyspace)
	}
}

// A restart whose server comes back without its data is rolled back: the
// new process is stopped without saving, Undo runs, and the server starts
// again; the error says what differed.
func TestRestartDifferentDataRollsBack(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "appendonly yes\n")
	d.set(t, "survivor", "yes")
	empty := t.TempDir()
	// The first start after the stop lands on an empty dir; the start
	// after the rollback on the real one.
	marker := filepath.Join(t.TempDir(), "started-once")
	script := fmt.Sprintf(`if [ ! -e %q ]; then touch %q; exec %q %q --dir %q; fi; exec %q %q`, marker, marker, d.bin, d.conf, empty, d.bin, d.conf)
	tg := d.target(&model.Service{Start: []string{"/bin/sh", "-c", script}})
	undone := false
	_, err := Restart(testContext(t), tg, RestartOptions{Undo: func(context.Context) error { undone = true; return nil }})
	d.notePID()
	var rb *RolledBackError
	if !errors.As(err, &rb) {
		t.Fatalf("Restart = %v, want a *RolledBackError\n%s", err, d.log())
	}
	mustContain(t, err, "db0 has 0 keys, it had 1", "rolled back", "with the data it had")
	if !undone {
		t.Error("Undo was not called")
	}
	if got := d.get(t, "survivor"); got != "yes" {
		t.Errorf("survivor = %q after the rollback", got)
	}
}

// TestRestartWaitsForInitialAOF: a server writing its initial AOF (AOF
// just turned on, or a replica just after a full sync) refuses SHUTDOWN
// with "Writing initial AOF, can't exit", which failed the restart. The
// restart now waits for the rewrite to end.
func TestRestartWaitsForInitialAOF(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	c := redis.NewClient(&redis.Options{Addr: d.addr(), Protocol: 2, DisableIdentity: true})
	defer c.Close()
	ctx := testContext(t)
	pipe := c.Pipeline()
	for i := 0; i < 1000; i++ {
		pipe.Set(ctx, fmt.Sprintf("k%d", i), "v", 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	// About a second of initial rewrite: 1 ms per key.
	if err := c.ConfigSet(ctx, "rdb-key-save-delay", "1000").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.ConfigSet(ctx, "appendonly", "yes").Err(); err != nil {
		t.Fatal(err)
	}
	_, err := Restart(ctx, d.target(&model.Service{Start: []string{d.bin, d.conf}}), RestartOptions{})
	d.notePID()
	if err != nil {
		t.Fatalf("Restart while the initial AOF is written: %v\n%s", err, d.log())
	}
	if n := c.DBSize(ctx).Val(); n != 1000 {
		t.Errorf("DBSIZE after the restart = %d, want 1000", n)
	}
}

// TestRestartStopCommandFailsAfterStop: redis-cli treats only the literal
// SHUTDOWN specially, so a stop command sending a renamed SHUTDOWN exits 1
// ("Server closed the connection") although the server stopped. The
// restart used to end there with the server down; it now sees that the
// server is gone, goes on, and says that the stop command failed. The
// renamed name, which the spec gives in clear, is not redacted.
func TestRestartStopCommandFailsAfterStop(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "rename-command SHUTDOWN SHUTDOWN_RENAMED\n")
	d.set(t, "survivor", "yes")
	old := d.runID(t)
	tg := d.target(&model.Service{
		Start: []string{d.bin, d.conf},
		Stop:  []string{redisCLI(t), "-p", strconv.Itoa(d.port), "SHUTDOWN_RENAMED"},
	})
	tg.Renames = []model.Rename{{Command: "SHUTDOWN", NewName: "SHUTDOWN_RENAMED"}}
	res, err := Restart(testContext(t), tg, RestartOptions{})
	d.notePID()
	if err != nil {
		t.Fatalf("Restart: %v\n%s", err, d.log())
	}
	if got := d.runID(t); got == old {
		t.Errorf("the server still runs as %s: it was not restarted", old)
	}
	if got := d.get(t, "survivor"); got != "yes" {
		t.Errorf("survivor = %q after the restart", got)
	}
	for _, want := range []string{"service stop command", "SHUTDOWN_RENAMED", "exit status 1", "did stop, so the restart went on"} {
		if !strings.Contains(res.Note, want) {
			t.Errorf("note %q does not contain %q", res.Note, want)
		}
	}
	if !strings.Contains(res.Keyspace, "1 key in db0") {
		t.Errorf("keyspace check %q, want the key compared", res.Keyspace)
	}
}

// A stop command that fails with the server still running stops nothing:
// the error says so, the server keeps its data, and a renamed command name
// the spec declares secret stays redacted.
func TestRestartStopCommandFailsServerRuns(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "rename-command SHUTDOWN SHUT_secret\n")
	d.set(t, "survivor", "yes")
	old := d.runID(t)
	tg := d.target(&model.Service{
		Start: []string{d.bin, d.conf},
		Stop:  []string{"/bin/sh", "-c", "echo cannot $1; exit 1", "sh", "SHUT_secret"},
	})
	tg.Renames = []model.Rename{{Command: "SHUTDOWN", NewName: "SHUT_secret", Sensitive: true}}
	_, err := Restart(testContext(t), tg, RestartOptions{})
	mustContain(t, err, "service stop command", "exit status 1", "still runs: nothing was stopped", "(redacted)")
	mustNotContain(t, err, "SHUT_secret")
	if got := d.runID(t); got != old {
		t.Errorf("run_id %s, before %s: the server was restarted", got, old)
	}
	if got := d.get(t, "survivor"); got != "yes" {
		t.Errorf("survivor = %q", got)
	}
}
