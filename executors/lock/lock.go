// Package lock makes sure that one apply, backup or restore at a time works
// on a target, across processes on one host.
//
// A lock is a file created exclusively, holding the pid of its holder, the
// time it was taken and what the holder is doing. A lock whose process is
// gone is stale and is taken over, with a warning; a lock held by a live
// process is refused with a *HeldError that says who holds it.
package lock

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/internal/fsutil"
	"github.com/redisplan/redisplan/internal/units"
)

// staleAfter is how old a lock file that cannot be read as a lock must be
// before it is taken over. A fresh one may be a lock whose holder is still
// writing it.
const staleAfter = time.Hour

// attempts bounds the retries when the lock file changes under Acquire.
const attempts = 10

// Lock is a held lock.
type Lock struct {
	path     string
	content  string
	released bool
}

// HeldError says that a live process holds the lock.
type HeldError struct {
	Path   string
	PID    int       // 0 when the lock file could not be read
	Since  time.Time // when the lock was taken (the file's time when unreadable)
	Holder string    // what the holder said it does, such as "apply main"
	Host   string    // the holder's host when it is not this one
}

func (e *HeldError) Error() string {
	since := e.Since.Local().Format(time.RFC3339)
	if e.PID == 0 {
		return fmt.Sprintf("%s is locked: the lock file is being written or is not a redisplan lock (modified %s); "+
			"if no other redisplan is running, remove it with: rm %s", e.Path, since, e.Path)
	}
	who := fmt.Sprintf("process %d", e.PID)
	if e.Holder != "" {
		who += " (" + e.Holder + ")"
	}
	if e.Host != "" {
		return fmt.Sprintf("%s is locked by %s on host %s since %s, which cannot be asked whether it still runs: "+
			"wait for it to finish; if it is gone (a pod that was killed), remove the lock with: rm %s "+
			"(it is taken over by itself %s after it was taken)", e.Path, who, e.Host, since, e.Path, units.FormatDuration(backup.StaleAfter))
	}
	return fmt.Sprintf("%s is locked by %s since %s: wait for it to finish; "+
		"if that process is not redisplan (its pid was reused), remove the stale lock with: rm %s", e.Path, who, since, e.Path)
}

// Acquire takes the lock at path for holder, a short description of what
// the caller does ("apply main", "backup main").
//
// The lock file is created exclusively, with mode 0600, and holds
// "pid=<pid>\ntime=<RFC3339>\nholder=<holder>\n". When it exists and its
// process is alive (on this host), Acquire returns a *HeldError. When its
// process is gone, or the file is not a lock and is more than an hour old,
// the lock is taken over and warning says so; otherwise warning is "".
// Take-overs are serialized by an flock on the lock's directory, so that
// two processes never both take over the same stale lock.
func Acquire(path, holder string) (l *Lock, warning string, err error) {
	holder = strings.Join(strings.Fields(holder), " ")
	host, _ := os.Hostname()
	content := fmt.Sprintf("pid=%d\ntime=%s\nholder=%s\nhost=%s\nstart=%s\n",
		os.Getpid(), time.Now().UTC().Format(time.RFC3339), holder,
		strings.Join(strings.Fields(host), ""), backup.ProcStart(os.Getpid()))
	for range attempts {
		created, err := create(path, content)
		if err != nil {
			return nil, "", fmt.Errorf("lock %s: %w", path, err)
		}
		if created {
			return &Lock{path: path, content: content}, warning, nil
		}

		st, err := inspect(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // released meanwhile
		}
		if err != nil {
			return nil, "", fmt.Errorf("lock %s: %w", path, err)
		}
		if held := st.held(); held != nil {
			return nil, "", held
		}
		removed, err := removeStale(path, st)
		if err != nil {
			return nil, "", fmt.Errorf("lock %s: take over a stale lock: %w", path, err)
		}
		if removed {
			warning = st.takeOverWarning()
		}
	}
	return nil, "", fmt.Errorf("lock %s: the lock file kept changing; try again", path)
}

// Release removes the lock file. It refuses to remove a lock file that is
// no longer the one Acquire wrote, which means someone removed or took over
// the lock while it was held. Releasing again does nothing.
func (l *Lock) Release() error {
	if l.released {
		return nil
	}
	b, err := readLockFile(l.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("release lock %s: the lock file was removed while the lock was held", l.path)
	case err != nil:
		return fmt.Errorf("release lock %s: %w", l.path, err)
	case string(b) != l.content:
		return fmt.Errorf("release lock %s: the lock was taken over while it was held; leaving the new holder's lock", l.path)
	}
	if err := os.Remove(l.path); err != nil {
		return fmt.Errorf("release lock %s: %w", l.path, err)
	}
	l.released = true
	return nil
}

// PathFor returns the lock path of a target: beside its config file
// (configFile + ".redisplan.lock") or, for a target without one, in
// os.TempDir() as "redisplan-<hash>.lock", where the hash is a short
// digest of the target's name and address. Processes only exclude each
// other when they agree on os.TempDir, which $TMPDIR changes.
func PathFor(configFile, targetName, address string) string {
	if configFile != "" {
		return configFile + ".redisplan.lock"
	}
	sum := sha256.Sum256([]byte(targetName + "\x00" + address))
	return filepath.Join(os.TempDir(), "redisplan-"+hex.EncodeToString(sum[:6])+".lock")
}

// create makes the lock file exclusively. It reports false, without an
// error, when the file exists.
func create(path, content string) (bool, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	_, err = io.WriteString(f, content)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return false, err
	}
	return true, nil
}

// state is what an existing lock file says.
type state struct {
	path    string
	content string
	pid     int // 0 when the file is not a lock
	since   time.Time
	holder  string
	// host and start are the holder's host name and process start time
	// (backup.ProcStart), empty in a lock an older redisplan wrote.
	host    string
	start   string
	modTime time.Time
	alive   bool
}

// inspect reads the lock file at path and checks its process.
func inspect(path string) (state, error) {
	b, err := readLockFile(path)
	if err != nil {
		return state{}, err
	}
	info, err := os.Lstat(path)
	if err != nil {
		return state{}, err
	}
	st := state{path: path, content: string(b), modTime: info.ModTime()}
	st.pid, st.since, st.holder = parse(st.content)
	st.host, st.start = origin(st.content)
	if st.since.IsZero() {
		st.since = st.modTime
	}
	if st.pid > 0 {
		st.alive = alive(st.pid)
		host, _ := os.Hostname()
		switch {
		case st.host != "" && st.host != strings.Join(strings.Fields(host), ""):
			// Another host's process (a pod that ran before, with a
			// lock on a shared volume) cannot be asked: its lock holds
			// until it is old enough that no backup still runs.
			st.alive = time.Since(st.since) < backup.StaleAfter
		case st.alive && st.start != "":
			// The pid runs, but is it the holder, or a process that
			// reused its pid (pid 1 of the next container)?
			st.alive = backup.ProcessRuns(st.pid, st.start)
		}
	}
	return st, nil
}

// held returns the error for a lock that must be respected, or nil for a
// stale one.
func (st state) held() *HeldError {
	switch {
	case st.pid > 0 && !st.alive:
		return nil
	case st.pid == 0 && time.Since(st.modTime) > staleAfter:
		return nil
	}
	return &HeldError{Path: st.path, PID: st.pid, Since: st.since, Holder: st.holder, Host: st.otherHost()}
}

// otherHost is the host the lock was taken on when it is not this one.
func (st state) otherHost() string {
	host, _ := os.Hostname()
	if st.host == "" || st.host == strings.Join(strings.Fields(host), "") {
		return ""
	}
	return st.host
}

func (st state) takeOverWarning() string {
	if st.pid == 0 {
		return fmt.Sprintf("took over %s: it was not a readable lock and had not changed since %s",
			st.path, st.modTime.Local().Format(time.RFC3339))
	}
	who := fmt.Sprintf("process %d", st.pid)
	if st.holder != "" {
		who += " (" + st.holder + ")"
	}
	if h := st.otherHost(); h != "" {
		return fmt.Sprintf("took over the lock %s of %s on host %s, taken %s: more than %s ago, so no run of it still holds it",
			st.path, who, h, st.since.Local().Format(time.RFC3339), units.FormatDuration(backup.StaleAfter))
	}
	return fmt.Sprintf("took over the stale lock %s of %s, taken %s: that process is gone",
		st.path, who, st.since.Local().Format(time.RFC3339))
}

// removeStale removes the lock file if it still is the stale lock st,
// holding an flock on its directory so that concurrent take-overs see one
// another's work. It reports whether it removed the file.
func removeStale(path string, st state) (bool, error) {
	unlock := lockDir(filepath.Dir(path))
	defer unlock()
	b, err := readLockFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if string(b) != st.content {
		return false, nil // someone took it over first
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	return true, nil
}

// lockDir holds an exclusive flock on dir until the returned function is
// called. Where flock is not available it does nothing: the content check
// in removeStale still makes a lost race unlikely.
func lockDir(dir string) (unlock func()) {
	d, err := os.Open(dir)
	if err != nil {
		return func() {}
	}
	for {
		err = syscall.Flock(int(d.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		d.Close()
		return func() {}
	}
	return func() {
		_ = syscall.Flock(int(d.Fd()), syscall.LOCK_UN)
		d.Close()
	}
}

// readLockFile reads a lock file without following a symbolic link, so
// that a link planted in a shared temp directory cannot make Acquire read
// another file.
func readLockFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 4096))
}

// parse reads the pid, time and holder of a lock file. pid is 0 when the
// content is not a lock.
func parse(content string) (pid int, since time.Time, holder string) {
	for line := range strings.Lines(content) {
		key, value, ok := strings.Cut(strings.TrimRight(line, "\n"), "=")
		if !ok {
			continue
		}
		switch key {
		case "pid":
			if n, err := strconv.Atoi(value); err == nil && n > 0 {
				pid = n
			}
		case "time":
			if t, err := time.Parse(time.RFC3339, value); err == nil {
				since = t
			}
		case "holder":
			holder = value
		}
	}
	return pid, since, holder
}

// origin reads the host and start lines of a lock file.
func origin(content string) (host, start string) {
	for line := range strings.Lines(content) {
		key, value, ok := strings.Cut(strings.TrimRight(line, "\n"), "=")
		switch {
		case !ok:
		case key == "host":
			host = value
		case key == "start":
			start = value
		}
	}
	return host, start
}

// alive reports whether process pid exists. A process that exists but
// belongs to another user (EPERM) is alive; only ESRCH means gone.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return !errors.Is(err, syscall.ESRCH)
}

// Journal is a small file beside a lock in which its holder records,
// durably, a change it has made and must undo. When the holder dies
// before undoing it, the next holder of the lock finds the record there,
// undoes the change and removes it.
type Journal struct {
	path string
}

// Journal returns the journal called name of this lock.
func (l *Lock) Journal(name string) Journal { return JournalAt(l.path, name) }

// JournalAt returns the journal called name of the lock at lockPath,
// for readers that do not hold the lock (check reports what it says).
func JournalAt(lockPath, name string) Journal {
	return Journal{path: lockPath + "." + name}
}

// Path returns the journal's file.
func (j Journal) Path() string { return j.path }

// Write stores data in the journal atomically (temp file, fsync, rename,
// fsync of the directory), mode 0600: it is on disk when Write returns.
func (j Journal) Write(data []byte) error {
	if err := fsutil.WriteFileMode(j.path, data, 0o600); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

// Read returns what the journal holds, nil without an error when it holds
// nothing.
func (j Journal) Read() ([]byte, error) {
	b, err := readLockFile(j.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	return b, nil
}

// Remove empties the journal.
func (j Journal) Remove() error {
	if err := os.Remove(j.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}
