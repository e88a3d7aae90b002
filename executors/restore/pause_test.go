package restore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/internal/testwait"
)

// windowHold is how long the tests keep a restore at the moments where
// writes used to slip through (between the save and the stop, between the
// start of the restored server and its key check), so that a writer
// running at full speed is certain to send writes in them.
const windowHold = 300 * time.Millisecond

// writer writes continuously to db0 (a SET of a key of its own, then an
// INCR of a counter), each command sent once (no retry), and records
// every write the server acknowledged.
type writer struct {
	c    *redis.Client
	stop chan struct{}
	done chan struct{}

	mu    sync.Mutex
	sets  []int   // acknowledged SET w:<i> <i>
	incrs []int64 // the replies of acknowledged INCR w:counter, in order
	fails int
}

func startWriter(t *testing.T, conn model.Connection) *writer {
	t.Helper()
	w := &writer{
		c: redis.NewClient(&redis.Options{Addr: conn.Address, Password: conn.Password, MaxRetries: -1,
			DialTimeout: time.Second, ReadTimeout: time.Minute, PoolSize: 1}),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	t.Cleanup(func() { w.halt(); w.c.Close() })
	go w.run()
	return w
}

func (w *writer) run() {
	defer close(w.done)
	ctx := context.Background()
	for i := 0; ; i++ {
		select {
		case <-w.stop:
			return
		default:
		}
		err := w.c.Set(ctx, "w:"+strconv.Itoa(i), i, 0).Err()
		var n int64
		if err == nil {
			w.record(func() { w.sets = append(w.sets, i) })
			n, err = w.c.Incr(ctx, "w:counter").Result()
		}
		if err == nil {
			w.record(func() { w.incrs = append(w.incrs, n) })
			continue
		}
		w.record(func() { w.fails++ })
		time.Sleep(time.Millisecond)
	}
}

func (w *writer) record(f func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f()
}

func (w *writer) acked() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.sets)
}

// waitAcked waits until the writer has n more acknowledged writes.
func (w *writer) waitAcked(t *testing.T, n int) {
	t.Helper()
	want := w.acked() + n
	testwait.For(t, testTimeout, fmt.Sprintf("%d acknowledged writes", want), func() (bool, error) {
		got := w.acked()
		return got >= want, fmt.Errorf("the writer got %d", got)
	})
}

func (w *writer) halt() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

// missing returns the acknowledged SETs that no server in conns holds,
// and, with counter, whether the acknowledged INCR replies ever failed to
// grow: a lost increment makes a later one repeat a value.
func (w *writer) missing(t *testing.T, counter bool, conns ...model.Connection) []string {
	t.Helper()
	ctx := testContext(t)
	var clients []*redis.Client
	for _, conn := range conns {
		clients = append(clients, dbClient(t, conn, 0))
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	var lost []string
	for _, i := range w.sets {
		found := false
		for _, c := range clients {
			v, err := c.Get(ctx, "w:"+strconv.Itoa(i)).Result()
			if err != nil && !errors.Is(err, redis.Nil) {
				t.Fatal(err)
			}
			if v == strconv.Itoa(i) {
				found = true
				break
			}
		}
		if !found {
			lost = append(lost, "w:"+strconv.Itoa(i))
		}
	}
	for k := 1; counter && k < len(w.incrs); k++ {
		if w.incrs[k] <= w.incrs[k-1] {
			lost = append(lost, fmt.Sprintf("INCR w:counter answered %d after %d: acknowledged increments were lost", w.incrs[k], w.incrs[k-1]))
			break
		}
	}
	return lost
}

func (w *writer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return fmt.Sprintf("%d SETs and %d INCRs acknowledged, %d writes failed", len(w.sets), len(w.incrs), w.fails)
}

// holdAt returns an Emit that records events and, at the step events
// containing one of the given texts, keeps the restore waiting for
// windowHold after running probe (when not nil) with the text.
func holdAt(rec *recorder, probe func(at string), at ...string) func(progress.Event) {
	return func(e progress.Event) {
		rec.emit(e)
		if e.Level != progress.Step {
			return
		}
		for _, a := range at {
			if strings.Contains(e.Message, a) {
				if probe != nil {
					probe(a)
				}
				time.Sleep(windowHold)
			}
		}
	}
}

const (
	atSaved   = "saved the current data"
	atStarted = "started the server (pid"
)

// A writer runs through a restore that rolls back (the restored data
// lacks keys the manifest lists): every write any server acknowledged is
// in the server's data afterwards. Writes acknowledged after the safety
// SAVE and before the stop, or by the restored server before its check
// failed, used to exist nowhere.
func TestRestoreRollbackKeepsAcknowledgedWrites(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	conn := d.connection()
	fillData(t, conn, "A", 0, 1)
	saveNow(t, conn)
	src := rdbBackup(t, conn, d.dataDir)
	db1 := src.Manifest.Keyspace[1]
	db1.Keys += 100
	src.Manifest.Keyspace[1] = db1
	flushAll(t, conn)
	fillData(t, conn, "B", 0)

	w := startWriter(t, conn)
	w.waitAcked(t, 100)
	rec := &recorder{}
	_, err := Restore(testContext(t), d.target(), src, Options{KeepSafetyCopy: true, Emit: holdAt(rec, nil, atSaved, atStarted), LoadTimeout: testLoadTimeout})
	t.Logf("events:\n%s", rec)
	mustContain(t, err, "lacks keys", "rolled back")
	var re *Error
	if !errors.As(err, &re) || !re.RolledBack {
		t.Fatalf("err = %v, want a rolled-back *Error\n%s", err, d.log())
	}
	// The writer goes on against the rolled-back server.
	w.waitAcked(t, 100)
	w.halt()
	t.Logf("writer: %s", w)
	if lost := w.missing(t, true, conn); len(lost) > 0 {
		t.Errorf("%d acknowledged writes are not in the rolled-back server: %s", len(lost), strings.Join(lost[:min(len(lost), 20)], ", "))
	}
}

// A writer runs through a restore that succeeds: every write the original
// server acknowledged is in the safety copy, and the restored server takes
// no write until its data is checked.
func TestRestoreHoldsWritesUntilChecked(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	conn := d.connection()
	fillData(t, conn, "A", 0, 1)
	saveNow(t, conn)
	src := rdbBackup(t, conn, d.dataDir)
	flushAll(t, conn)
	fillData(t, conn, "B", 0)

	// At each window, one more write from another client must not be
	// acknowledged while the restore holds there.
	probed := map[string]error{}
	var mu sync.Mutex
	probe := func(at string) {
		c := redis.NewClient(&redis.Options{Addr: conn.Address, MaxRetries: -1, DialTimeout: time.Second, ContextTimeoutEnabled: true})
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), windowHold)
		defer cancel()
		err := c.Set(ctx, "probe:"+at, "acknowledged", 0).Err()
		mu.Lock()
		probed[at] = err
		mu.Unlock()
	}

	w := startWriter(t, conn)
	w.waitAcked(t, 100)
	rec := &recorder{}
	res, err := Restore(testContext(t), d.target(), src, Options{KeepSafetyCopy: true, Emit: holdAt(rec, probe, atSaved, atStarted), LoadTimeout: testLoadTimeout})
	t.Logf("events:\n%s", rec)
	if err != nil {
		t.Fatalf("Restore: %v\n%s", err, d.log())
	}
	w.waitAcked(t, 100)
	w.halt()
	t.Logf("writer: %s", w)

	for _, at := range []string{atSaved, atStarted} {
		err, ok := probed[at]
		switch {
		case !ok:
			t.Errorf("the restore never reported %q", at)
		case err == nil:
			t.Errorf("a write was acknowledged at %q: writes must wait or be refused there", at)
		default:
			t.Logf("write at %q: %v", at, err)
		}
	}
	// Every acknowledged write is in the safety copy (taken by the
	// original server) or in the restored server (taken after the check).
	// The counter starts again from the backup's data.
	safety := serverWithFile(t, filepath.Join(res.SafetyCopy, "dump.rdb"))
	if lost := w.missing(t, false, serverConn(safety), conn); len(lost) > 0 {
		t.Errorf("%d acknowledged writes are in neither the safety copy nor the restored server: %s", len(lost), strings.Join(lost[:min(len(lost), 20)], ", "))
	}
	// The restored server takes writes again, with its own settings.
	ctx := testContext(t)
	c := d.client(t, 0)
	if err := c.Set(ctx, "after", "1", 0).Err(); err != nil {
		t.Errorf("SET after the restore: %v", err)
	}
	got, err := c.ConfigGet(ctx, "min-replicas-*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if got["min-replicas-to-write"] != "0" {
		t.Errorf("min-replicas-to-write after the restore = %q, want the server's 0", got["min-replicas-to-write"])
	}
}

// When the restore fails before the server is stopped, the pause of
// writes is lifted at once: clients do not wait for it to run out.
func TestRestoreLiftsPauseWhenStopFails(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	conn := d.connection()
	fillData(t, conn, "A", 0)
	saveNow(t, conn)
	src := rdbBackup(t, conn, d.dataDir)
	tg := d.target()
	tg.Service.Stop = []string{"false"}

	rec := &recorder{}
	_, err := Restore(testContext(t), tg, src, Options{Emit: rec.emit, LoadTimeout: testLoadTimeout})
	t.Logf("events:\n%s", rec)
	mustContain(t, err, "stop the server", "nothing was changed")
	if !rec.has(progress.Step, "paused writes") || !rec.has(progress.Step, "lifted the pause") {
		t.Error("the events do not show the pause and its end")
	}
	// Well under pauseTTL: a pause left to run out would block this SET.
	ctx, cancel := context.WithTimeout(testContext(t), pauseTTL/2)
	defer cancel()
	c := redis.NewClient(&redis.Options{Addr: conn.Address, MaxRetries: -1, ContextTimeoutEnabled: true})
	defer c.Close()
	if err := c.Set(ctx, "after", "1", 0).Err(); err != nil {
		t.Errorf("SET after the failed restore: %v (writes are still paused)", err)
	}
}

// Without a config file the restored server cannot start refusing
// writes: the restore pauses them as soon as it answers, says so, and
// lifts the pause once the data is checked.
func TestRestoreWithoutConfigFilePausesRestoredServer(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	conn := d.connection()
	fillData(t, conn, "A", 0)
	saveNow(t, conn)
	src := rdbBackup(t, conn, d.dataDir)
	flushAll(t, conn)
	fillData(t, conn, "B", 1)
	tg := d.target()
	tg.ConfigFile = ""

	rec := &recorder{}
	_, err := Restore(testContext(t), tg, src, Options{Emit: rec.emit, LoadTimeout: testLoadTimeout})
	t.Logf("events:\n%s", rec)
	if err != nil {
		t.Fatalf("Restore: %v\n%s", err, d.log())
	}
	if !rec.has(progress.Warning, "could not be started refusing writes (the target has no config_file)") ||
		!rec.has(progress.Step, "paused writes on the restored server") {
		t.Error("the events do not say that the restored server was paused late")
	}
	ctx, cancel := context.WithTimeout(testContext(t), pauseTTL/2)
	defer cancel()
	c := redis.NewClient(&redis.Options{Addr: conn.Address, MaxRetries: -1, ContextTimeoutEnabled: true})
	defer c.Close()
	if err := c.Set(ctx, "after", "1", 0).Err(); err != nil {
		t.Errorf("SET after the restore: %v (writes are still paused)", err)
	}
}

// A server whose CLIENT command is disabled cannot have its writes
// paused: the restore refuses before changing anything.
func TestRestoreRefusesWithoutClientCommand(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	conn := d.connection()
	fillData(t, conn, "A", 0)
	saveNow(t, conn)
	src := rdbBackup(t, conn, d.dataDir)
	runID := runIDOf(t, conn)
	tg := d.target()
	tg.Renames = []model.Rename{{Command: "CLIENT", NewName: ""}}

	_, err := Restore(testContext(t), tg, src, Options{LoadTimeout: testLoadTimeout})
	mustContain(t, err, `CLIENT is renamed to ""`, "cannot pause writes", "nothing was changed")
	if got := runIDOf(t, conn); got != runID {
		t.Errorf("run_id changed from %s to %s: the server was restarted", runID, got)
	}
}

// A restore killed after the restored server started leaves
// min-replicas-to-write 2147483647 in the config file (and in the server,
// started again by hand): the next restore never takes that value for the
// user's, and leaves a server that accepts writes.
func TestRestoreAfterInterruptedRestoreLetsWritesIn(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	conn := d.connection()
	fillData(t, conn, "A", 0)
	saveNow(t, conn)
	src := rdbBackup(t, conn, d.dataDir)
	ctx := testContext(t)
	conf, err := os.ReadFile(d.conf)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(d.conf, append(conf, "min-replicas-to-write "+holdToWrite+"\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.client(t, 0).ConfigSet(ctx, "min-replicas-to-write", holdToWrite).Err(); err != nil {
		t.Fatal(err)
	}

	rec := &recorder{}
	_, err = Restore(ctx, d.target(), src, Options{Emit: rec.emit, LoadTimeout: testLoadTimeout})
	t.Logf("events:\n%s", rec)
	if err != nil {
		t.Fatalf("Restore: %v\n%s", err, d.log())
	}
	if !rec.has(progress.Warning, "left by an interrupted restore") {
		t.Error("no warning about the leftover")
	}
	if err := d.client(t, 0).Set(ctx, "after", "1", 0).Err(); err != nil {
		t.Errorf("SET after the restore: %v", err)
	}
	after, err := os.ReadFile(d.conf)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(after), holdToWrite) {
		t.Errorf("the config file still holds min-replicas-to-write %s:\n%s", holdToWrite, after)
	}
	// And the next start from the file accepts writes too.
	d.restart(t)
	if err := d.client(t, 0).Set(ctx, "after", "2", 0).Err(); err != nil {
		t.Errorf("SET after a restart: %v", err)
	}
}

// A user whose ACL denies CONFIG SET could not let writes into the
// restored server again: the restore finds out before stopping anything,
// pauses the restored server instead, and says so.
func TestRestoreWithoutConfigSetPausesRestoredServer(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "user default on nopass ~* &* +@all -config|set\n")
	conn := d.connection()
	fillData(t, conn, "A", 0)
	saveNow(t, conn)
	src := rdbBackup(t, conn, d.dataDir)

	rec := &recorder{}
	_, err := Restore(testContext(t), d.target(), src, Options{Emit: rec.emit, LoadTimeout: testLoadTimeout})
	t.Logf("events:\n%s", rec)
	if err != nil {
		t.Fatalf("Restore: %v\n%s", err, d.log())
	}
	if !rec.has(progress.Warning, "CONFIG SET of min-replicas-to-write fails") || !rec.has(progress.Step, "paused writes on the restored server") {
		t.Error("the events do not say that the restored server was paused instead")
	}
	if err := d.client(t, 0).Set(testContext(t), "after", "1", 0).Err(); err != nil {
		t.Errorf("SET after the restore: %v", err)
	}
}

// The pause ends by itself when redisplan stops renewing it (as when it
// is killed): clients are never left waiting for good.
func TestWritePauseEndsByItself(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	conn := serverConn(s)
	ctx := testContext(t)
	p, err := pauseWrites(ctx, conn, "CLIENT")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.held(); err != nil {
		t.Errorf("held right after the pause: %v", err)
	}
	c := redis.NewClient(&redis.Options{Addr: conn.Address, MaxRetries: -1, ContextTimeoutEnabled: true})
	defer c.Close()
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := c.Set(short, "k", "1", 0).Err(); err == nil {
		t.Fatal("a write was acknowledged while writes were paused")
	}
	// Renewals stop, as when redisplan is killed: the pause runs out.
	if err := p.end(ctx, false); err != nil {
		t.Fatal(err)
	}
	c2 := redis.NewClient(&redis.Options{Addr: conn.Address, MaxRetries: -1, ReadTimeout: time.Minute})
	defer c2.Close()
	if err := c2.Set(ctx, "k", "2", 0).Err(); err != nil {
		t.Fatalf("SET once the pause ran out: %v", err)
	}
}

// A restore killed after it put the config file back but before the
// server got its values leaves the refusal in the server only: the next
// restore takes the values from the config file.
func TestRestoreAfterInterruptedRestoreTakesValuesFromConfigFile(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "min-replicas-max-lag 7\n")
	conn := d.connection()
	fillData(t, conn, "A", 0)
	saveNow(t, conn)
	src := rdbBackup(t, conn, d.dataDir)
	ctx := testContext(t)
	if err := d.client(t, 0).ConfigSet(ctx, "min-replicas-to-write", holdToWrite).Err(); err != nil {
		t.Fatal(err)
	}

	rec := &recorder{}
	_, err := Restore(ctx, d.target(), src, Options{Emit: rec.emit, LoadTimeout: testLoadTimeout})
	t.Logf("events:\n%s", rec)
	if err != nil {
		t.Fatalf("Restore: %v\n%s", err, d.log())
	}
	got, err := d.client(t, 0).ConfigGet(ctx, "min-replicas-*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if got["min-replicas-to-write"] != "0" || got["min-replicas-max-lag"] != "7" {
		t.Errorf("after the restore min-replicas-to-write %s, min-replicas-max-lag %s; want 0 and the config file's 7",
			got["min-replicas-to-write"], got["min-replicas-max-lag"])
	}
	if err := d.client(t, 0).Set(ctx, "after", "1", 0).Err(); err != nil {
		t.Errorf("SET after the restore: %v", err)
	}
}
