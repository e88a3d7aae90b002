package restore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/executors/server"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/internal/testwait"
)

// streamed returns src as a catalog backup in a directory gives it
// (operations.RestoreSource): stored, plus the check of the stored bytes
// that makes a restore of an RDB stream it into the loading server. The
// returned blobs are the stored bytes each read goes through.
func streamed(t *testing.T, src Source) (Source, map[string][]byte) {
	t.Helper()
	s, blobs := storedBlobs(t, src)
	s.CheckStored = func(_ context.Context, f backup.File) error {
		return backup.CheckStored(bytes.NewReader(blobs[f.Name]), f)
	}
	return s, blobs
}

// A backup in a directory is streamed into the loading server: the data
// is the backup's, the data file is the backup's RDB byte for byte, the
// original file is in the safety copy, and neither the pipe nor any
// temporary file is left.
func TestRestoreStreamsIntoTheLoadingServer(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	conn := d.connection()
	fillData(t, conn, "A", 0, 1)
	saveNow(t, conn)
	raw := mustReadFile(t, filepath.Join(d.dataDir, "dump.rdb"))
	src, _ := streamed(t, rdbBackup(t, conn, d.dataDir))
	wantA := snapshot(t, conn)
	flushAll(t, conn)
	fillData(t, conn, "B", 0, 2)
	saveNow(t, conn)
	original := mustReadFile(t, filepath.Join(d.dataDir, "dump.rdb"))

	rec := &recorder{}
	res, err := Restore(testContext(t), d.target(), src, Options{KeepSafetyCopy: true, Emit: rec.emit, LoadTimeout: testLoadTimeout})
	t.Logf("events:\n%s", rec)
	if err != nil {
		t.Fatalf("Restore: %v\n%s", err, d.log())
	}
	if diff := cmp.Diff(wantA, snapshot(t, conn)); diff != "" {
		t.Errorf("data after the restore (-backup +server):\n%s", diff)
	}
	if !res.Timings.Streamed || !strings.Contains(res.Timings.String(), "the stream into the loading server") {
		t.Errorf("the restore did not stream the backup: %s", res.Timings)
	}
	if !rec.has(progress.Step, "checked the stored dump.rdb.zst") || !rec.has(progress.Step, "streamed the backup into the server") {
		t.Error("the restore does not say it checked the stored bytes and streamed them")
	}
	if got := mustReadFile(t, filepath.Join(d.dataDir, "dump.rdb")); !bytes.Equal(got, raw) {
		t.Errorf("dump.rdb after the restore is %d bytes, not the backup's RDB (%d bytes)", len(got), len(raw))
	}
	if got := mustReadFile(t, filepath.Join(res.SafetyCopy, "dump.rdb")); !bytes.Equal(got, original) {
		t.Errorf("the safety copy's dump.rdb is not the original file")
	}
	noTempFiles(t, d.dataDir)
	if m, _ := filepath.Glob(filepath.Join(res.SafetyCopy, "*", "*")); len(m) != 0 {
		t.Errorf("the safety copy holds more than the original files: %v", m)
	}
}

// A backup whose stored bytes changed since it was taken is refused
// before the server is touched: the same process keeps serving the
// original data.
func TestStreamedRestoreOfADamagedBackupChangesNothing(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	conn := d.connection()
	fillData(t, conn, "A", 0)
	saveNow(t, conn)
	src, blobs := streamed(t, rdbBackup(t, conn, d.dataDir))
	for _, b := range blobs {
		b[len(b)-1] ^= 0xff // past the header the checks before read
	}
	flushAll(t, conn)
	fillData(t, conn, "B", 0)
	wantB := snapshot(t, conn)
	pid := serverPID(t, conn)

	_, err := Restore(testContext(t), d.target(), src, Options{Emit: (&recorder{}).emit, LoadTimeout: testLoadTimeout})
	if err == nil {
		t.Fatal("a damaged backup was restored")
	}
	mustContain(t, err, "checksum mismatch of the stored file dump.rdb.zst")
	mustContain(t, err, "nothing was changed")
	if got := serverPID(t, conn); got != pid {
		t.Errorf("the server was restarted (pid %s, was %s)", got, pid)
	}
	if diff := cmp.Diff(wantB, snapshot(t, conn)); diff != "" {
		t.Errorf("data after the refused restore (-original +server):\n%s", diff)
	}
	noTempFiles(t, d.dataDir)
}

// A backup whose raw bytes fail their check on the way into the server
// (its stored bytes pass), found once the server was stopped (the end of
// the backup is held back until then), is rolled back: the server runs on
// the original file again, takes writes, and no pipe, record or temporary
// file is left.
func TestStreamedRestoreCheckFailureRollsBack(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	conn := d.connection()
	fillData(t, conn, "A", 0, 1)
	saveNow(t, conn)
	src, _ := streamed(t, rdbBackup(t, conn, d.dataDir))
	src.Manifest.Files[0].RawSHA256 = strings.Repeat("0", 64)
	stopped := make(chan struct{})
	var once sync.Once
	open := src.OpenWithoutRawDigest
	src.OpenWithoutRawDigest = func(ctx context.Context, f backup.File) (io.ReadCloser, error) {
		rc, err := open(ctx, f)
		if err != nil {
			return nil, err
		}
		return holdEnd{rc, stopped}, nil
	}
	flushAll(t, conn)
	fillData(t, conn, "B", 0, 2)
	saveNow(t, conn)
	wantB := snapshot(t, conn)
	original := mustReadFile(t, filepath.Join(d.dataDir, "dump.rdb"))

	tg := d.target()
	rec := &recorder{}
	emit := func(e progress.Event) {
		rec.emit(e)
		if strings.HasPrefix(e.Message, "stopped the server") {
			once.Do(func() { close(stopped) })
		}
	}
	_, err := Restore(testContext(t), tg, src, Options{KeepSafetyCopy: true, Emit: emit, LoadTimeout: testLoadTimeout})
	t.Logf("events:\n%s", rec)
	var re *Error
	if !errors.As(err, &re) || !re.RolledBack || re.Rollback != nil {
		t.Fatalf("Restore = %v, want a completed rollback", err)
	}
	mustContain(t, err, "checksum mismatch of the restored bytes of dump.rdb.zst")
	if diff := cmp.Diff(wantB, snapshot(t, conn)); diff != "" {
		t.Errorf("data after the rollback (-original +server):\n%s\n%s", diff, d.log())
	}
	if err := dbClient(t, conn, 0).Set(testContext(t), "after", "1", 0).Err(); err != nil {
		t.Errorf("SET after the rollback: %v", err)
	}
	if got := mustReadFile(t, filepath.Join(d.dataDir, "dump.rdb")); !bytes.Equal(got, original) {
		t.Error("dump.rdb after the rollback is not the original file")
	}
	if r, err := ReadRecord(tg); err != nil || r != nil {
		t.Errorf("the record is left: %+v, %v", r, err)
	}
	noTempFiles(t, d.dataDir)
	filepath.Walk(d.dataDir, func(path string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().Type() == os.ModeNamedPipe {
			t.Errorf("a pipe is left: %s", path)
		}
		return nil
	})
}

// releaseFIFO lets a process waiting to open a pipe for reading go on, to
// read its end at once, and leaves anything but a pipe alone.
func TestReleaseFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "dump.rdb")
	if err := makeFIFO(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	read := make(chan error, 1)
	go func() {
		f, err := os.Open(fifo) // waits for a writer
		if err == nil {
			var b [1]byte
			_, err = f.Read(b[:])
			f.Close()
		}
		read <- err
	}()
	// The reader may not have reached its open yet: release until it
	// has gone on.
	for done := false; !done; {
		releaseFIFO(fifo)
		select {
		case err := <-read:
			if err == nil || !strings.Contains(err.Error(), "EOF") {
				t.Errorf("the released reader read %v, want EOF", err)
			}
			done = true
		case <-testContext(t).Done():
			t.Fatal("the reader was never released")
		default:
		}
	}
	regular := filepath.Join(dir, "file")
	if err := os.WriteFile(regular, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	releaseFIFO(regular)
	if got := mustReadFile(t, regular); string(got) != "x" {
		t.Errorf("releaseFIFO changed a regular file: %q", got)
	}
}

func mustReadFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// serverPID is the process id the server at conn reports.
func serverPID(t *testing.T, conn model.Connection) string {
	t.Helper()
	info, err := dbClient(t, conn, 0).Info(testContext(t), "server").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "process_id:"); ok {
			return v
		}
	}
	t.Fatal("INFO server gives no process_id")
	return ""
}

// The disaster case streamed: the server is down and its data dir gone;
// the restore makes the dir, streams the backup into the server it
// starts, and leaves the backup's RDB at its name and no pipe.
func TestStreamedRestoreIntoALostDataDir(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	conn := d.connection()
	fillData(t, conn, "A", 0, 3)
	saveNow(t, conn)
	raw := mustReadFile(t, filepath.Join(d.dataDir, "dump.rdb"))
	src, _ := streamed(t, rdbBackup(t, conn, d.dataDir))
	want := snapshot(t, conn)
	loseHost(t, d)

	rec := &recorder{}
	res, err := Restore(testContext(t), d.target(), src, Options{KeepSafetyCopy: true, Emit: rec.emit, LoadTimeout: testLoadTimeout})
	t.Logf("events:\n%s", rec)
	if err != nil {
		t.Fatalf("Restore: %v\n%s", err, d.log())
	}
	d.notePID()
	if !res.Timings.Streamed {
		t.Errorf("the backup was not streamed: %s", res.Timings)
	}
	if diff := cmp.Diff(want, snapshot(t, conn)); diff != "" {
		t.Errorf("data after the restore (-backup +server):\n%s", diff)
	}
	if got := mustReadFile(t, filepath.Join(d.dataDir, "dump.rdb")); !bytes.Equal(got, raw) {
		t.Error("dump.rdb after the restore is not the backup's RDB")
	}
	noTempFiles(t, d.dataDir)
}

// holdEnd is a reader whose end (io.EOF, or the error the end brings)
// waits until release is closed.
type holdEnd struct {
	io.ReadCloser
	release chan struct{}
}

func (h holdEnd) Read(p []byte) (int, error) {
	n, err := h.ReadCloser.Read(p)
	if err != nil {
		<-h.release
	}
	return n, err
}

// pipeLeftBehind stops d and leaves its data dir as a streamed restore
// killed with its pipe in place (and no guard) leaves it: the original
// dump.rdb in a safety copy, a pipe at its name, the record in
// PhaseStreaming. It returns the safety copy.
func pipeLeftBehind(t *testing.T, d *daemon) string {
	t.Helper()
	c := d.client(t, 0)
	if err := server.Shutdown(testContext(t), c, "SHUTDOWN"); err != nil {
		t.Fatal(err)
	}
	network, addr := server.Address(d.connection())
	if err := server.WaitGone(testContext(t), d.addr(), network, addr); err != nil {
		t.Fatal(err)
	}
	live := filepath.Join(d.dataDir, "dump.rdb")
	safety := filepath.Join(d.dataDir, safetyPrefix+"backup-1")
	if err := os.Mkdir(safety, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(live, filepath.Join(safety, "dump.rdb")); err != nil {
		t.Fatal(err)
	}
	if err := makeFIFO(live, 0o640); err != nil {
		t.Fatal(err)
	}
	rec := Record{Format: recordFormat, Target: "main", Address: d.addr(), BackupID: "backup", PID: 1 << 22, Host: "gone",
		Phase: PhaseStreaming, ConfigFile: d.conf, DataDir: d.dataDir, Safety: safety, Moved: []string{"dump.rdb"},
		Names: []string{"dump.rdb", "appendonlydir"}, Pidfile: d.pidfile, Logfile: d.logfile}
	data, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := recordJournal(d.target()).Write(data); err != nil {
		t.Fatal(err)
	}
	return safety
}

// A server started on the pipe of a streamed restore that died, with no
// guard left to feed it, waits in its open and never answers: the next
// RecoverInterrupted (check, restore) lets it go, puts the original back
// and starts the server on it.
func TestRecoverLetsGoOfAServerOnThePipe(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	conn := d.connection()
	fillData(t, conn, "A", 0, 1)
	saveNow(t, conn)
	want := snapshot(t, conn)
	pipeLeftBehind(t, d)
	if out, err := exec.Command(d.bin, d.conf).CombinedOutput(); err != nil { // waits on the pipe
		t.Fatalf("start: %v\n%s", err, out)
	}
	waitsOnThePipe(t, d)

	rec := &recorder{}
	if err := RecoverInterrupted(testContext(t), d.target(), Options{Emit: rec.emit, LoadTimeout: testLoadTimeout}); err != nil {
		t.Fatalf("RecoverInterrupted: %v\n%s", err, d.log())
	}
	t.Logf("events:\n%s", rec)
	d.notePID()
	if !rec.has(progress.Warning, "it was let go") {
		t.Error("RecoverInterrupted does not say it let the waiting server go")
	}
	if diff := cmp.Diff(want, snapshot(t, conn)); diff != "" {
		t.Errorf("data after the recovery (-original +server):\n%s", diff)
	}
	if st, err := os.Lstat(filepath.Join(d.dataDir, "dump.rdb")); err != nil || !st.Mode().IsRegular() {
		t.Errorf("dump.rdb after the recovery: %v, %v", st, err)
	}
}

// The guard of a streamed restore's pipe, once redisplan died (its stdin
// ends without "done"), feeds the original file to a server that waits
// on the pipe, so that it loads the data it had, and puts the original
// back at its name; told "done", it touches nothing.
func TestGuardGivesTheWaitingServerItsOriginalData(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	conn := d.connection()
	fillData(t, conn, "A", 0, 1)
	saveNow(t, conn)
	want := snapshot(t, conn)
	safety := pipeLeftBehind(t, d)

	if code := RunGuard([]string{d.dataDir, "dump.rdb", safety}, strings.NewReader("done\n"), io.Discard); code != 0 || !isFIFO(filepath.Join(d.dataDir, "dump.rdb")) {
		t.Fatalf("a guard told done exited %d and the pipe is there: %v", code, isFIFO(filepath.Join(d.dataDir, "dump.rdb")))
	}
	if out, err := exec.Command(d.bin, d.conf).CombinedOutput(); err != nil { // waits on the pipe
		t.Fatalf("start: %v\n%s", err, out)
	}
	waitsOnThePipe(t, d)
	var stderr strings.Builder
	if code := RunGuard([]string{d.dataDir, "dump.rdb", safety}, strings.NewReader(""), &stderr); code != 0 {
		t.Fatalf("the guard exited %d: %s", code, stderr.String())
	}
	if _, err := live.WaitReady(testContext(t), conn); err != nil {
		t.Fatalf("the server fed by the guard: %v\n%s", err, d.log())
	}
	d.notePID()
	if diff := cmp.Diff(want, snapshot(t, conn)); diff != "" {
		t.Errorf("data of the server the guard fed (-original +server):\n%s", diff)
	}
	if st, err := os.Lstat(filepath.Join(d.dataDir, "dump.rdb")); err != nil || !st.Mode().IsRegular() {
		t.Errorf("dump.rdb after the guard: %v, %v", st, err)
	}
	noTempFiles(t, d.dataDir)
}

// waitsOnThePipe waits until the server d started is blocked opening its
// pipe (the kernel's wait for a writer).
func waitsOnThePipe(t *testing.T, d *daemon) {
	t.Helper()
	testwait.For(t, testTimeout, "the server to wait on the pipe", func() (bool, error) {
		b, err := os.ReadFile(d.pidfile)
		if err != nil {
			return false, nil
		}
		wchan, err := os.ReadFile("/proc/" + strings.TrimSpace(string(b)) + "/wchan")
		return err == nil && string(wchan) == "wait_for_partner", nil
	})
}

// A restore removes the staging directories that restores killed while
// staging left, whatever backup they restored, and says so.
func TestRestoreRemovesLeftoverStaging(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	conn := d.connection()
	fillData(t, conn, "A", 0)
	saveNow(t, conn)
	src, _ := streamed(t, rdbBackup(t, conn, d.dataDir))
	left := filepath.Join(d.dataDir, tempPrefix+"20200101T000000Z")
	if err := os.Mkdir(left, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(left, tempPrefix+"123"), make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	if _, err := Restore(testContext(t), d.target(), src, Options{Emit: rec.emit, LoadTimeout: testLoadTimeout}); err != nil {
		t.Fatalf("Restore: %v\n%s", err, d.log())
	}
	if _, err := os.Stat(left); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the leftover staging %s is still there: %v", left, err)
	}
	if !rec.has(progress.Step, "which a restore killed while staging left") {
		t.Error("the restore does not say it removed the leftover staging")
	}
}
