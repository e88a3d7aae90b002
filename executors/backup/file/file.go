// Package file keeps backups in a local directory.
//
// Layout:
//
//	DIR/20261129T030000Z/manifest.json        a complete backup
//	DIR/20261129T030000Z/dump.rdb.zst
//	DIR/20261129T030000Z/appendonlydir/...    artifacts may sit in subdirectories
//	DIR/20261129T030000Z/verification.json    a note (WriteNote): the last backup verify
//	DIR/.pending-ID-RANDOM/                   a backup being written
//	DIR/.pending-ID-RANDOM/.owner             the pid of the process writing it
//	DIR/.deleting-ID-RANDOM/                  a backup being deleted
//
// A backup is written under a pending directory and renamed into place by
// Commit, so it appears whole or not at all. Directories are 0700 and
// files 0600: a backup holds the whole dataset.
package file

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/internal/failpoint"
	"github.com/redisplan/redisplan/internal/fsutil"
)

const (
	pendingPrefix  = ".pending-"
	deletingPrefix = ".deleting-"
	// OwnerName is the file in a pending directory that holds the pid of
	// the process writing it.
	OwnerName = ".owner"

	dirPerm  = 0o700
	filePerm = 0o600
)

// cleanGrace is how long Clean leaves a pending directory alone when it
// cannot tell who owns it: the owner file is written right after the
// directory is made.
const cleanGrace = time.Minute

var (
	_ backup.Storage = (*Store)(nil)
	_ backup.Pending = (*pending)(nil)
)

// Store is a directory of backups.
type Store struct {
	dir string
}

// New returns the Store in dir, creating dir (0700) when it does not
// exist.
func New(dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("backup directory is empty")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("backup directory %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, dirPerm); err != nil {
		return nil, fmt.Errorf("create backup directory: %w", err)
	}
	info, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("backup directory: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("backup directory %s is not a directory", abs)
	}
	return &Store{dir: abs}, nil
}

// Dir returns the absolute path of the directory.
func (s *Store) Dir() string { return s.dir }

func (s *Store) path(id string) string { return filepath.Join(s.dir, id) }

// List returns the IDs of complete backups, oldest first. IDs are UTC
// timestamps, so their order as strings is their order in time.
func (s *Store) List(ctx context.Context) ([]string, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("list backups: %w", err)
	}
	var ids []string
	for _, e := range entries {
		if !e.IsDir() || backup.CheckID(e.Name()) != nil {
			continue
		}
		ok, err := s.complete(e.Name())
		if err != nil {
			return nil, fmt.Errorf("list backups: %w", err)
		}
		if ok {
			ids = append(ids, e.Name())
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// complete reports whether DIR/id is a directory holding a manifest. A
// link in place of the directory is not a backup, whatever it points to
// (List skips it too), so that Open never reads outside the store.
func (s *Store) complete(id string) (bool, error) {
	info, err := os.Lstat(s.path(id))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, err
	case !info.IsDir():
		return false, nil
	}
	_, err = os.Lstat(filepath.Join(s.dir, id, backup.ManifestName))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	default:
		return false, err
	}
}

// Begin starts backup id in a new pending directory.
func (s *Store) Begin(ctx context.Context, id string) (backup.Pending, error) {
	if err := backup.CheckID(id); err != nil {
		return nil, fmt.Errorf("begin backup: %w", err)
	}
	if err := s.refuseExisting(id); err != nil {
		return nil, fmt.Errorf("begin backup %s: %w", id, err)
	}
	dir, err := os.MkdirTemp(s.dir, pendingPrefix+id+"-")
	if err != nil {
		return nil, fmt.Errorf("begin backup %s: %w", id, err)
	}
	// MkdirTemp already uses 0700; Chmod makes it so whatever the umask.
	if err := os.Chmod(dir, dirPerm); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("begin backup %s: %w", id, err)
	}
	owner := []byte(strconv.Itoa(os.Getpid()) + "\n")
	if err := os.WriteFile(filepath.Join(dir, OwnerName), owner, filePerm); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("begin backup %s: %w", id, err)
	}
	return &pending{store: s, id: id, dir: dir, sizes: map[string]int64{}}, nil
}

func (s *Store) refuseExisting(id string) error {
	_, err := os.Lstat(s.path(id))
	switch {
	case err == nil:
		return fmt.Errorf("%w: %s", backup.ErrExists, s.path(id))
	case errors.Is(err, fs.ErrNotExist):
		return nil
	default:
		return err
	}
}

// Open reads one artifact (or the manifest) of a complete backup. A
// missing backup or artifact gives an error that wraps fs.ErrNotExist.
func (s *Store) Open(ctx context.Context, id, name string) (io.ReadCloser, error) {
	if err := backup.CheckID(id); err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	if err := backup.CheckName(name); err != nil {
		return nil, fmt.Errorf("open backup %s: %w", id, err)
	}
	ok, err := s.complete(id)
	if err != nil {
		return nil, fmt.Errorf("open backup %s: %w", id, err)
	}
	if !ok {
		return nil, fmt.Errorf("open backup %s: no such backup: %w", id, fs.ErrNotExist)
	}
	// The root keeps a symlink inside the backup from leading elsewhere.
	root, err := os.OpenRoot(s.path(id))
	if err != nil {
		return nil, fmt.Errorf("open backup %s: %w", id, err)
	}
	defer root.Close()
	// O_NONBLOCK: a FIFO in place of a file must not make the open wait
	// forever for a writer. It changes nothing for a regular file.
	f, err := root.OpenFile(filepath.FromSlash(name), os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("open backup %s: %w", id, err)
	}
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = fmt.Errorf("%s is not a regular file", name)
		}
		return nil, fmt.Errorf("open backup %s: %w", id, err)
	}
	return f, nil
}

// Delete removes a complete backup. It first renames the directory out
// of the way, so that the backup disappears at once and an interrupted
// removal leaves only something Clean removes.
func (s *Store) Delete(ctx context.Context, id string) error {
	if err := backup.CheckID(id); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	if _, err := os.Lstat(s.path(id)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("delete backup %s: no such backup: %w", id, fs.ErrNotExist)
		}
		return fmt.Errorf("delete backup %s: %w", id, err)
	}
	suffix, err := randomSuffix()
	if err != nil {
		return fmt.Errorf("delete backup %s: %w", id, err)
	}
	gone := filepath.Join(s.dir, deletingPrefix+id+"-"+suffix)
	if err := os.Rename(s.path(id), gone); err != nil {
		return fmt.Errorf("delete backup %s: %w", id, err)
	}
	if err := fsutil.SyncDir(s.dir); err != nil {
		return fmt.Errorf("delete backup %s: %w", id, err)
	}
	if err := os.RemoveAll(gone); err != nil {
		return fmt.Errorf("delete backup %s: %w", id, err)
	}
	return nil
}

// Clean removes what interrupted runs left: pending directories whose
// owner process is gone, directories of interrupted deletions, and backup
// directories without a manifest. A pending directory whose owner is
// alive is never touched, however old; one whose owner cannot be read is
// left alone for its first minute.
func (s *Store) Clean(ctx context.Context) (int, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return 0, fmt.Errorf("clean backups: %w", err)
	}
	removed := 0
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		if !e.IsDir() {
			continue
		}
		name := e.Name()
		var remove bool
		switch {
		case strings.HasPrefix(name, pendingPrefix):
			remove, err = s.abandoned(name)
		case strings.HasPrefix(name, deletingPrefix):
			remove = true
		case backup.CheckID(name) == nil:
			var ok bool
			ok, err = s.complete(name)
			remove = !ok
		}
		if err != nil {
			return removed, fmt.Errorf("clean backups: %s: %w", name, err)
		}
		if !remove {
			continue
		}
		if err := os.RemoveAll(filepath.Join(s.dir, name)); err != nil {
			return removed, fmt.Errorf("clean backups: %w", err)
		}
		removed++
	}
	return removed, nil
}

// abandoned reports whether the pending directory name belongs to no
// running process.
func (s *Store) abandoned(name string) (bool, error) {
	dir := filepath.Join(s.dir, name)
	pid, err := readOwner(filepath.Join(dir, OwnerName))
	if err == nil {
		return !backup.ProcessAlive(pid), nil
	}
	info, serr := os.Lstat(dir)
	if serr != nil {
		if errors.Is(serr, fs.ErrNotExist) {
			return false, nil // removed meanwhile
		}
		return false, serr
	}
	return time.Since(info.ModTime()) >= cleanGrace, nil
}

// readOwner reads the pid an owner file holds.
func readOwner(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%s does not hold a pid", path)
	}
	return pid, nil
}

func randomSuffix() (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// pending is a backup being written under DIR/.pending-ID-RANDOM.
type pending struct {
	store *Store
	id    string
	dir   string

	mu        sync.Mutex
	open      map[string]bool  // artifacts whose writer is not closed yet
	sizes     map[string]int64 // artifacts written and closed
	committed bool
	aborted   bool
}

func (p *pending) state() error {
	switch {
	case p.committed:
		return fmt.Errorf("backup %s is already committed", p.id)
	case p.aborted:
		return fmt.Errorf("backup %s was aborted", p.id)
	}
	return nil
}

// Create writes one artifact. Its data and directory entry reach the
// disk before Close returns.
func (p *pending) Create(ctx context.Context, name string) (io.WriteCloser, error) {
	if err := backup.CheckName(name); err != nil {
		return nil, fmt.Errorf("backup %s: %w", p.id, err)
	}
	if name == backup.ManifestName || name == OwnerName {
		return nil, fmt.Errorf("backup %s: %s is reserved", p.id, name)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.state(); err != nil {
		return nil, err
	}
	if p.open[name] {
		return nil, fmt.Errorf("backup %s: %s is already being written", p.id, name)
	}
	if _, ok := p.sizes[name]; ok {
		return nil, fmt.Errorf("backup %s: %s was already written", p.id, name)
	}
	root, err := os.OpenRoot(p.dir)
	if err != nil {
		return nil, fmt.Errorf("backup %s: %w", p.id, err)
	}
	defer root.Close()
	if d := filepath.Dir(filepath.FromSlash(name)); d != "." {
		if err := root.MkdirAll(d, dirPerm); err != nil {
			return nil, fmt.Errorf("backup %s: %w", p.id, err)
		}
	}
	f, err := root.OpenFile(filepath.FromSlash(name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
	if err != nil {
		return nil, fmt.Errorf("backup %s: %w", p.id, err)
	}
	if p.open == nil {
		p.open = map[string]bool{}
	}
	p.open[name] = true
	return &artifact{p: p, name: name, f: f}, nil
}

// artifact is the writer Create returns.
type artifact struct {
	p    *pending
	name string
	f    *os.File
	n    int64
	done bool
}

func (a *artifact) Write(b []byte) (int, error) {
	n, err := a.f.Write(b)
	a.n += int64(n)
	return n, err
}

// Close fsyncs the file and closes it. The artifact counts as written
// only when both succeed.
func (a *artifact) Close() error {
	if a.done {
		return nil
	}
	a.done = true
	err := a.f.Sync()
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	a.p.mu.Lock()
	defer a.p.mu.Unlock()
	delete(a.p.open, a.name)
	if err != nil {
		return fmt.Errorf("backup %s: write %s: %w", a.p.id, a.name, err)
	}
	a.p.sizes[a.name] = a.n
	return nil
}

// Commit checks that every artifact m lists was written with the size it
// records, writes manifest.json, fsyncs the whole pending tree, and
// renames it to DIR/ID. It fails with backup.ErrExists when DIR/ID exists.
func (p *pending) Commit(ctx context.Context, m *backup.Manifest) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.state(); err != nil {
		return err
	}
	for name := range p.open {
		return fmt.Errorf("commit backup %s: %s is still open: close it first", p.id, name)
	}
	if err := backup.CheckCommit(m, p.id, p.sizes); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := p.store.refuseExisting(p.id); err != nil {
		return fmt.Errorf("commit backup %s: %w", p.id, err)
	}

	data, err := backup.MarshalManifest(m)
	if err != nil {
		return fmt.Errorf("commit backup %s: %w", p.id, err)
	}
	manifest := filepath.Join(p.dir, backup.ManifestName)
	if err := writeSynced(manifest, data); err != nil {
		return fmt.Errorf("commit backup %s: %w", p.id, err)
	}
	if err := syncTree(p.dir); err != nil {
		return fmt.Errorf("commit backup %s: %w", p.id, err)
	}
	failpoint.Hit(failpoint.BackupBeforeRename)
	// The owner file stays until the rename, so that the pending
	// directory is protected from Clean until it stops being pending.
	if err := os.Rename(p.dir, p.store.path(p.id)); err != nil {
		// Still pending: without its manifest again, a later Commit or
		// Abort finds it as it was.
		if rerr := os.Remove(manifest); rerr != nil {
			err = errors.Join(err, rerr)
		}
		if errors.Is(err, fs.ErrExist) || errors.Is(err, syscall.ENOTEMPTY) {
			return fmt.Errorf("commit backup %s: %w", p.id, backup.ErrExists)
		}
		return fmt.Errorf("commit backup %s: %w", p.id, err)
	}
	p.committed = true
	if err := fsutil.SyncDir(p.store.dir); err != nil {
		return fmt.Errorf("commit backup %s: %w", p.id, err)
	}
	// The backup is complete and durable. A leftover owner file inside it
	// would be harmless (List, Open and Clean never read one there), so a
	// failure to remove it is not a failure of the commit.
	_ = os.Remove(filepath.Join(p.store.path(p.id), OwnerName))
	return nil
}

// Abort removes the pending directory. After a successful Commit it does
// nothing, so that it can be deferred.
func (p *pending) Abort(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.committed || p.aborted {
		return nil
	}
	p.aborted = true
	if err := os.RemoveAll(p.dir); err != nil {
		return fmt.Errorf("abort backup %s: %w", p.id, err)
	}
	return nil
}

// writeSynced writes path (0600) with data and fsyncs it.
func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, filePerm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncTree fsyncs every directory under root, deepest first, so that every
// entry created in them is on disk before the rename that publishes them.
func syncTree(root string) error {
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, path)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := fsutil.SyncDir(dirs[i]); err != nil {
			return err
		}
	}
	return nil
}

// WriteNote writes DIR/id/name atomically (temp file, fsync, rename,
// fsync of the directory), 0600. Delete removes it with the backup.
func (s *Store) WriteNote(ctx context.Context, id, name string, data []byte) error {
	if err := backup.CheckID(id); err != nil {
		return fmt.Errorf("write note: %w", err)
	}
	if err := checkNoteName(name); err != nil {
		return fmt.Errorf("write note of backup %s: %w", id, err)
	}
	ok, err := s.complete(id)
	if err != nil {
		return fmt.Errorf("write note of backup %s: %w", id, err)
	}
	if !ok {
		return fmt.Errorf("write note of backup %s: no such backup: %w", id, fs.ErrNotExist)
	}
	if err := fsutil.WriteFileMode(filepath.Join(s.path(id), name), data, filePerm); err != nil {
		return fmt.Errorf("write note of backup %s: %w", id, err)
	}
	return nil
}

// checkNoteName accepts a note name: one path element that CheckName
// accepts and that is not the manifest's.
func checkNoteName(name string) error {
	if err := backup.CheckName(name); err != nil {
		return err
	}
	if strings.Contains(name, "/") || name == backup.ManifestName {
		return fmt.Errorf("note name %q must be one file name other than %s", name, backup.ManifestName)
	}
	return nil
}

// Size returns the size of one artifact of a complete backup; a missing
// one gives an error that wraps fs.ErrNotExist.
func (s *Store) Size(ctx context.Context, id, name string) (int64, error) {
	f, err := s.Open(ctx, id, name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	info, err := f.(*os.File).Stat()
	if err != nil {
		return 0, fmt.Errorf("open backup %s: %w", id, err)
	}
	return info.Size(), nil
}
