package restore

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/redisplan/redisplan/executors/server"
	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
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
			network, addr := server.Address(running)
			return server.WaitGone(ctx, running.Address, network, addr)
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

// A restore interrupted while its stop command runs, after the server
// went down and before the command returned, used to say "nothing was
// changed" and leave the server down with no record. It must start the
// server again on its own files, say so, and fail.
func TestRestoreInterruptedDuringStopStartsServerAgain(t *testing.T) {
	t.Parallel()
	// "stored": a catalog backup, whose staged files are still being
	// checked (checkStaged) when the interruption comes.
	for _, kind := range []string{"plain", "stored"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			d := startDaemon(t, "")
			conn := d.connection()
			fillData(t, conn, "A", 0)
			saveNow(t, conn)
			src := rdbBackup(t, conn, d.dataDir)
			if kind == "stored" {
				src = stored(t, src)
			}
			flushAll(t, conn)
			fillData(t, conn, "B", 0, 2)
			want := snapshot(t, conn)

			tg := d.target()
			ctx := interruptDuringStop(t, d, tg, "TERM")
			rec := &recorder{}
			_, err := Restore(ctx, tg, src, Options{KeepSafetyCopy: true, Emit: rec.emit, LoadTimeout: testLoadTimeout})
			t.Logf("events:\n%s", rec)
			if err == nil {
				t.Fatal("an interrupted restore succeeded")
			}
			t.Logf("error: %v", err)
			if strings.Contains(err.Error(), "nothing was changed") || rec.has(progress.Step, "runs on as before") {
				t.Errorf("the restore says nothing changed although the server went down: %v", err)
			}
			mustContain(t, err, "redisplan was interrupted", "went down all the same", "rolled back", "started it with the service start command", "holds the keys it held before")
			if diff := cmp.Diff(want, snapshot(t, conn)); diff != "" {
				t.Errorf("data after the interrupted restore (-before +server):\n%s\n%s", diff, d.log())
			}
			if r, err := ReadRecord(tg); err != nil || r != nil {
				t.Errorf("the record of the rolled-back restore is left: %+v, %v", r, err)
			}
		})
	}
}

// When the server went down during an interrupted stop and cannot be
// started again, the restore's record is kept in a phase that says the
// server may be stopped, for check and the next restore.
func TestRestoreInterruptedDuringStopKeepsRecordWhenNoStart(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	conn := d.connection()
	fillData(t, conn, "A", 0)
	saveNow(t, conn)
	src := rdbBackup(t, conn, d.dataDir)

	tg := d.target()
	tg.Service.Start = []string{"false"}
	ctx := interruptDuringStop(t, d, tg, "TERM")
	_, err := Restore(ctx, tg, src, Options{KeepSafetyCopy: true, LoadTimeout: testLoadTimeout})
	if err == nil {
		t.Fatal("an interrupted restore succeeded")
	}
	t.Logf("error: %v", err)
	if strings.Contains(err.Error(), "nothing was changed") {
		t.Errorf("the restore says nothing changed although the server is down: %v", err)
	}
	mustContain(t, err, "went down all the same", "the rollback failed too")
	r, rerr := ReadRecord(tg)
	if rerr != nil || r == nil {
		t.Fatalf("no record of the interrupted restore is left (%v): check and the next restore cannot recover the server", rerr)
	}
	if r.Phase != PhaseStopping && r.Phase != PhaseStopped {
		t.Errorf("the record's phase is %q, want one that says the server may be stopped", r.Phase)
	}
}

// interruptDuringStop gives tg a stop command that sends the server the
// signal (TERM: it stops; STOP: it hangs, neither answering nor gone) and
// then takes its time returning, as a service manager that waits for the
// unit does, and returns a context that is cancelled (an interruption)
// while that command still runs, once the server is gone (TERM) or hung.
func interruptDuringStop(t *testing.T, d *daemon, tg *model.Target, signal string) context.Context {
	t.Helper()
	marker := filepath.Join(t.TempDir(), "stopped")
	tg.Service.Stop = []string{"sh", "-c", `kill -` + signal + ` "$(cat "$1")" && touch "$2" && exec sleep 60`, "stop", d.pidfile, marker}
	ctx, cancel := context.WithCancel(testContext(t))
	t.Cleanup(cancel)
	network, addr := server.Address(d.connection())
	go func() {
		for ctx.Err() == nil {
			if _, err := os.Stat(marker); err == nil {
				if gone, _ := server.NotAnswering(ctx, network, addr); gone || signal != "TERM" {
					cancel()
					return
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	return ctx
}

// A server that neither answers nor goes down after an interrupted stop
// (hung on its way down, or still saving) is not said to run on: the
// restore's record is kept in the phase that says the server may be
// stopped, for check and the next restore.
func TestRestoreInterruptedDuringStopServerHungKeepsRecord(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	conn := d.connection()
	fillData(t, conn, "A", 0)
	saveNow(t, conn)
	src := rdbBackup(t, conn, d.dataDir)
	tg := d.target()
	ctx := interruptDuringStop(t, d, tg, "STOP")
	rec := &recorder{}
	_, err := Restore(ctx, tg, src, Options{KeepSafetyCopy: true, Emit: rec.emit, LoadTimeout: testLoadTimeout})
	if err == nil {
		t.Fatal("an interrupted restore succeeded")
	}
	if strings.Contains(err.Error(), "nothing was changed") || rec.has(progress.Step, "runs on as before") {
		t.Errorf("the restore says the server runs on although it did not answer: %v\n%s", err, rec)
	}
	mustContain(t, err, "neither answered nor went down", "may be stopping or stopped", "record", "is kept")
	r, rerr := ReadRecord(tg)
	if rerr != nil || r == nil || r.Phase != PhaseStopping {
		t.Fatalf("record after the interrupted stop: %+v, %v; want one in phase %q", r, rerr, PhaseStopping)
	}
}
