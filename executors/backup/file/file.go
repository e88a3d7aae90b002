// Package file keeps backups in a local directory.
//
// Layout:
//
//	DIR/20261129T030000Z/manifest.json        a complete backup
//	DIR/20261129T030000Z/dump.rdb.zst
//	DIR/20261129T030000Z/appendonlydir/...    artifacts may sit in subdirectories
//	DIR/20261129T030000Z/verification.json    a note (WriteNote): the last backup verify
//	DIR/.pending-ID-RUN/                      a backup being written
//	DIR/.pending-ID-RUN.owner                 its owner record (backup.Owner)
//	DIR/.deleting-ID-RUN/                     a backup being deleted
//	DIR/.deleting-ID-RUN.owner                its owner record
//
// A backup is written under a pending directory and renamed into place by
// Commit, so it appears whole or not at all. Directories are 0700 and
// files 0600: a backup holds the whole dataset.
//
// The owner record is written atomically before its directory is made and
// removed after it, so that every pending or deleting directory redisplan
// makes has one. Clean removes a directory only through its record, and
// only when the process that wrote it is gone; anything else in DIR (a
// folder of old backups parked there, a pending directory of a redisplan
// that wrote no record) is left alone and listed by Foreign.
package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/internal/failpoint"
	"github.com/redisplan/redisplan/internal/fsutil"
)

const (
	pendingPrefix  = ".pending-"
	deletingPrefix = ".deleting-"
	// ownerSuffix ends the name of the owner record beside a pending or
	// deleting directory.
	ownerSuffix = ".owner"
	// checkState is the file in which an older redisplan's `check` kept
	// its counters beside the backups (it now keeps them in the
	// repository's CheckState folder, and reads this one once): not a
	// backup, and redisplan's.
	checkState = ".check-state.json"
	// runBytes is the length of the random run in the name of a pending
	// or deleting directory (12 hex digits).
	runBytes = 6

	dirPerm  = 0o700
	filePerm = 0o600
)

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
	run, err := backup.NewRun(runBytes)
	if err != nil {
		return nil, fmt.Errorf("begin backup %s: %w", id, err)
	}
	dir := filepath.Join(s.dir, pendingPrefix+id+"-"+run)
	if err := s.own(dir, run, "backup"); err != nil {
		return nil, fmt.Errorf("begin backup %s: %w", id, err)
	}
	if err := os.Mkdir(dir, dirPerm); err != nil {
		s.disown(dir)
		return nil, fmt.Errorf("begin backup %s: %w", id, err)
	}
	// Chmod makes it 0700 whatever the umask.
	if err := os.Chmod(dir, dirPerm); err != nil {
		os.Remove(dir)
		s.disown(dir)
		return nil, fmt.Errorf("begin backup %s: %w", id, err)
	}
	return &pending{store: s, dir: dir, files: backup.Artifacts[*artifact]{ID: id}}, nil
}

// own writes the owner record of the pending or deleting directory dir,
// atomically, before dir exists.
func (s *Store) own(dir, run, op string) error {
	if _, err := os.Lstat(dir); err == nil {
		return fmt.Errorf("%s already exists", dir)
	}
	return fsutil.WriteFileMode(dir+ownerSuffix, backup.NewOwner(run, op).Marshal(), filePerm)
}

// disown removes the owner record of dir, once dir is gone (or renamed
// into place). A record left behind names a process that will be gone,
// and Clean removes it then.
func (s *Store) disown(dir string) {
	_ = os.Remove(dir + ownerSuffix)
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

// Delete removes a complete backup. It writes an owner record and renames
// the directory out of the way under it, so that the backup disappears at
// once and an interrupted removal leaves only something Clean removes.
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
	suffix, err := backup.NewRun(runBytes)
	if err != nil {
		return fmt.Errorf("delete backup %s: %w", id, err)
	}
	gone := filepath.Join(s.dir, deletingPrefix+id+"-"+suffix)
	if err := s.own(gone, suffix, "delete"); err != nil {
		return fmt.Errorf("delete backup %s: %w", id, err)
	}
	if err := os.Rename(s.path(id), gone); err != nil {
		s.disown(gone)
		return fmt.Errorf("delete backup %s: %w", id, err)
	}
	if err := fsutil.SyncDir(s.dir); err != nil {
		return fmt.Errorf("delete backup %s: %w", id, err)
	}
	if err := os.RemoveAll(gone); err != nil {
		return fmt.Errorf("delete backup %s: %w", id, err)
	}
	s.disown(gone)
	return nil
}

// Clean removes what interrupted runs left: pending and deleting
// directories whose owner record parses and names a process that is gone
// (backup.Owner.Gone), each with its record. A directory without such a
// record is never touched, however old; nor is anything else in DIR.
func (s *Store) Clean(ctx context.Context) (int, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return 0, fmt.Errorf("clean backups: %w", err)
	}
	removed := 0
	now := time.Now()
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		base, ok := strings.CutSuffix(e.Name(), ownerSuffix)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		o, ok := s.owner(base)
		if !ok || !o.Gone(now) {
			continue
		}
		dir := filepath.Join(s.dir, base)
		if err := os.RemoveAll(dir); err != nil {
			return removed, fmt.Errorf("clean backups: %w", err)
		}
		// The record goes last: while it exists, what is left of the
		// directory is still provably redisplan's.
		if err := os.Remove(dir + ownerSuffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("clean backups: %w", err)
		}
		removed++
	}
	return removed, nil
}

// runName splits the name of a pending or deleting directory:
// PREFIX + ID + "-" + RUN, where RUN is what backup.NewRun(runBytes)
// makes.
func runName(name string) (run string, ok bool) {
	var rest string
	switch {
	case strings.HasPrefix(name, pendingPrefix):
		rest = strings.TrimPrefix(name, pendingPrefix)
	case strings.HasPrefix(name, deletingPrefix):
		rest = strings.TrimPrefix(name, deletingPrefix)
	default:
		return "", false
	}
	i := strings.LastIndexByte(rest, '-')
	if i <= 0 || backup.CheckID(rest[:i]) != nil || !backup.ValidRun(rest[i+1:], runBytes) {
		return "", false
	}
	return rest[i+1:], true
}

// owner reads the owner record of the pending or deleting directory
// named base. ok is false when there is none that redisplan wrote for it.
func (s *Store) owner(base string) (backup.Owner, bool) {
	run, ok := runName(base)
	if !ok {
		return backup.Owner{}, false
	}
	f, err := os.OpenFile(filepath.Join(s.dir, base+ownerSuffix), os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return backup.Owner{}, false
	}
	defer f.Close()
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		return backup.Owner{}, false
	}
	b, err := io.ReadAll(io.LimitReader(f, 1<<16))
	if err != nil {
		return backup.Owner{}, false
	}
	o, err := backup.ParseOwner(b, run)
	return o, err == nil
}

// Foreign lists what DIR holds besides complete backups, the check state
// and the pending and deleting directories (with their records) that
// redisplan wrote: folders and files put there by someone else, and
// pending directories without an owner record, which an older redisplan
// left. None of them is ever removed.
func (s *Store) Foreign(ctx context.Context) ([]backup.Foreign, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("list backups: %w", err)
	}
	var out []backup.Foreign
	for _, e := range entries {
		name := e.Name()
		var why string
		switch {
		case name == checkState || isOwnCheckState(name):
			continue
		case e.Type()&fs.ModeSymlink != 0:
			why = "a symbolic link, not a backup"
		case strings.HasSuffix(name, ownerSuffix) && e.Type().IsRegular():
			if _, ok := s.owner(strings.TrimSuffix(name, ownerSuffix)); ok {
				continue
			}
			why = "not an owner record redisplan wrote"
		case e.IsDir() && (strings.HasPrefix(name, pendingPrefix) || strings.HasPrefix(name, deletingPrefix)):
			if _, ok := s.owner(name); ok {
				continue
			}
			why = "an unfinished backup or deletion without an owner record (a redisplan older than owner records, " +
				"or not redisplan's): remove it by hand when no backup runs"
		case e.IsDir() && backup.CheckID(name) == nil:
			ok, err := s.complete(name)
			if err != nil {
				return nil, fmt.Errorf("list backups: %s: %w", name, err)
			}
			if ok {
				continue
			}
			why = "a folder without " + backup.ManifestName + ", not a backup"
		case e.IsDir():
			why = "a folder that is not a backup"
		default:
			why = "a file that is not a backup"
		}
		if e.IsDir() {
			name += "/"
		}
		out = append(out, backup.Foreign{Name: name, Why: why})
	}
	return out, nil
}

// isOwnCheckState reports whether name is the check state of another
// spec's target of the same name: .check-state-<12 hex digits>.json.
func isOwnCheckState(name string) bool {
	h, ok := strings.CutPrefix(name, strings.TrimSuffix(checkState, ".json")+"-")
	if !ok {
		return false
	}
	if h, ok = strings.CutSuffix(h, ".json"); !ok || len(h) != 12 {
		return false
	}
	for _, c := range h {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// pending is a backup being written under DIR/.pending-ID-RANDOM.
type pending struct {
	store *Store
	dir   string
	files backup.Artifacts[*artifact]
}

// Create writes one artifact. Its data and directory entry reach the
// disk before Close returns.
func (p *pending) Create(ctx context.Context, name string) (io.WriteCloser, error) {
	a, err := p.files.Create(name, func() (*artifact, error) {
		root, err := os.OpenRoot(p.dir)
		if err != nil {
			return nil, fmt.Errorf("backup %s: %w", p.files.ID, err)
		}
		defer root.Close()
		if d := filepath.Dir(filepath.FromSlash(name)); d != "." {
			if err := root.MkdirAll(d, dirPerm); err != nil {
				return nil, fmt.Errorf("backup %s: %w", p.files.ID, err)
			}
		}
		f, err := root.OpenFile(filepath.FromSlash(name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
		if err != nil {
			return nil, fmt.Errorf("backup %s: %w", p.files.ID, err)
		}
		return &artifact{p: p, name: name, f: f}, nil
	})
	if err != nil {
		return nil, err
	}
	return a, nil
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
	return a.p.files.Close(a.name, a, a.n, "write", err)
}

// Commit checks that every artifact m lists was written with the size it
// records, writes manifest.json, fsyncs the whole pending tree, and
// renames it to DIR/ID. It fails with backup.ErrExists when DIR/ID exists.
func (p *pending) Commit(ctx context.Context, m *backup.Manifest) error {
	refuse := func() error { return p.store.refuseExisting(p.files.ID) }
	err := p.files.Commit(ctx, m, refuse, func(data []byte) error {
		manifest := filepath.Join(p.dir, backup.ManifestName)
		if err := writeSynced(manifest, data); err != nil {
			return fmt.Errorf("commit backup %s: %w", p.files.ID, err)
		}
		if err := syncTree(p.dir); err != nil {
			return fmt.Errorf("commit backup %s: %w", p.files.ID, err)
		}
		failpoint.Hit(failpoint.BackupBeforeRename)
		// The owner record stays until after the rename, so that the
		// pending directory is protected from Clean until it stops being
		// pending.
		if err := os.Rename(p.dir, p.store.path(p.files.ID)); err != nil {
			// Still pending: without its manifest again, a later Commit
			// or Abort finds it as it was.
			if rerr := os.Remove(manifest); rerr != nil {
				err = errors.Join(err, rerr)
			}
			if errors.Is(err, fs.ErrExist) || errors.Is(err, syscall.ENOTEMPTY) {
				return fmt.Errorf("commit backup %s: %w", p.files.ID, backup.ErrExists)
			}
			return fmt.Errorf("commit backup %s: %w", p.files.ID, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := fsutil.SyncDir(p.store.dir); err != nil {
		return fmt.Errorf("commit backup %s: %w", p.files.ID, err)
	}
	// The backup is complete and durable. An owner record left behind
	// names a directory that no longer exists, and Clean removes it once
	// this process is gone, so a failure here is not a failure of the
	// commit.
	p.store.disown(p.dir)
	return nil
}

// Abort removes the pending directory. After a successful Commit it does
// nothing, so that it can be deferred.
func (p *pending) Abort(ctx context.Context) error {
	if _, ok := p.files.Discard(); !ok {
		return nil
	}
	if err := os.RemoveAll(p.dir); err != nil {
		return fmt.Errorf("abort backup %s: %w", p.files.ID, err)
	}
	p.store.disown(p.dir)
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
	if err := backup.CheckNote(id, name); err != nil {
		return err
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
