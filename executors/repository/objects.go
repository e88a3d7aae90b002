package repository

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

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/backup/s3"
	"github.com/redisplan/redisplan/internal/fsutil"
	"github.com/redisplan/redisplan/internal/s3url"
)

// objectStore keeps the flat objects of one kind: a directory, or a
// prefix of a bucket.
type objectStore interface {
	Objects(ctx context.Context) ([]backup.Object, error)
	ReadObject(ctx context.Context, name string) (io.ReadCloser, error)
	PutObject(ctx context.Context, name string, data []byte) error
	DeleteObject(ctx context.Context, name string) error
}

var (
	_ objectStore = (*s3.Store)(nil)
	_ objectStore = dirObjects("")
)

// objects opens the store of kind k's objects in r's destination.
func (r *Repository) objects(k Kind) (objectStore, error) {
	if k == Backups {
		return nil, errors.New("backups are not plain objects")
	}
	loc := location(r.Destination, r.Target.Name, k)
	if !s3url.Is(r.Destination) {
		return dirObjects(loc), nil
	}
	cfg := s3.Config{Destination: loc}
	if c := r.Target.Backup.S3; c != nil {
		cfg.S3 = *c
	}
	return s3.New(cfg)
}

// ObjectsPath is the folder (or prefix) of kind k's objects, ending with a
// separator: where messages say they are.
func (r *Repository) ObjectsPath(k Kind) string {
	sep := string(os.PathSeparator)
	if s3url.Is(r.Destination) {
		sep = "/"
	}
	return strings.TrimSuffix(location(r.Destination, r.Target.Name, k), sep) + sep
}

// ListObjects lists kind k's objects, by name; none when its folder does
// not exist yet.
func (r *Repository) ListObjects(ctx context.Context, k Kind) ([]backup.Object, error) {
	s, err := r.objects(k)
	if err != nil {
		return nil, err
	}
	out, err := s.Objects(ctx)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", r.ObjectsPath(k), err)
	}
	return out, nil
}

// ReadObject opens kind k's object name. A missing object gives an error
// that wraps fs.ErrNotExist.
func (r *Repository) ReadObject(ctx context.Context, k Kind, name string) (io.ReadCloser, error) {
	s, err := r.objects(k)
	if err != nil {
		return nil, err
	}
	return s.ReadObject(ctx, name)
}

// CommitObject stores data as kind k's object name, atomically: in a
// directory a temp file, fsynced, renamed into place (0600), the directory
// fsynced; on S3 a single PUT. It is there whole or not at all.
func (r *Repository) CommitObject(ctx context.Context, k Kind, name string, data []byte) error {
	s, err := r.objects(k)
	if err != nil {
		return err
	}
	if err := s.PutObject(ctx, name, data); err != nil {
		return fmt.Errorf("commit %s%s: %w", r.ObjectsPath(k), name, err)
	}
	return nil
}

// DeleteObject removes kind k's object name. The caller proves it is
// redisplan's (its name parses as that kind's); a missing one is not an
// error.
func (r *Repository) DeleteObject(ctx context.Context, k Kind, name string) error {
	s, err := r.objects(k)
	if err != nil {
		return err
	}
	if err := s.DeleteObject(ctx, name); err != nil {
		return fmt.Errorf("delete %s%s: %w", r.ObjectsPath(k), name, err)
	}
	return nil
}

// dirObjects is a kind's folder in a directory destination. It is created
// (0700) by the first commit, not by reading.
type dirObjects string

func plainName(name string) error {
	if err := backup.CheckName(name); err != nil {
		return err
	}
	if strings.ContainsAny(name, "/") || strings.HasPrefix(name, ".") {
		return fmt.Errorf("%q is not a plain object name", name)
	}
	return nil
}

func (d dirObjects) Objects(ctx context.Context) ([]backup.Object, error) {
	entries, err := os.ReadDir(string(d))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []backup.Object
	for _, e := range entries {
		// Temp files of a commit cut short start with a dot.
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, err
		}
		out = append(out, backup.Object{Name: e.Name(), Size: info.Size(), Modified: info.ModTime()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (d dirObjects) ReadObject(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := plainName(name); err != nil {
		return nil, fmt.Errorf("read object: %w", err)
	}
	f, err := os.Open(filepath.Join(string(d), name))
	if err != nil {
		return nil, fmt.Errorf("read object: %w", err)
	}
	return f, nil
}

func (d dirObjects) PutObject(ctx context.Context, name string, data []byte) error {
	if err := plainName(name); err != nil {
		return err
	}
	if err := os.MkdirAll(string(d), 0o700); err != nil {
		return err
	}
	return fsutil.WriteFileMode(filepath.Join(string(d), name), data, 0o600)
}

func (d dirObjects) DeleteObject(ctx context.Context, name string) error {
	if err := plainName(name); err != nil {
		return err
	}
	err := os.Remove(filepath.Join(string(d), name))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err == nil {
		return fsutil.SyncDir(string(d))
	}
	return nil
}

// CleanObjects removes what commits of kind k's objects cut short by a
// killed process left behind: in a directory, the temp files
// (fsutil.RemoveStaleTemps) of objects whose names valid says are that
// kind's; an S3 PUT leaves nothing. It returns how many it removed.
func (r *Repository) CleanObjects(ctx context.Context, k Kind, valid func(name string) bool) (int, error) {
	s, err := r.objects(k)
	if err != nil {
		return 0, err
	}
	d, ok := s.(dirObjects)
	if !ok {
		return 0, nil
	}
	entries, err := os.ReadDir(string(d))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		name, _, found := strings.Cut(strings.TrimPrefix(e.Name(), "."), ".tmp-")
		if !strings.HasPrefix(e.Name(), ".") || !found || !valid(name) {
			continue
		}
		removed, err := fsutil.RemoveStaleTemps(filepath.Join(string(d), name))
		n += len(removed)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
