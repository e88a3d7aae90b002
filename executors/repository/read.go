package repository

import (
	"context"
	"fmt"
	"io"
	"os"

	"filippo.io/age"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/backup/file"
)

// Reader opens the raw bytes of m's files (decrypted with ids and
// decompressed), checked against the manifest as they stream: what
// restore, verify and drill read a stored backup through.
func (r *Repository) Reader(m *backup.Manifest, ids []age.Identity) func(context.Context, backup.File) (io.ReadCloser, error) {
	return r.reader(m, ids, backup.OpenStream)
}

// ReaderWithoutRawDigest is Reader without the check of the raw bytes'
// digest (backup.OpenStreamWithoutRawDigest), which the caller makes over
// what it wrote: restore stages through it.
func (r *Repository) ReaderWithoutRawDigest(m *backup.Manifest, ids []age.Identity) func(context.Context, backup.File) (io.ReadCloser, error) {
	return r.reader(m, ids, backup.OpenStreamWithoutRawDigest)
}

// StoredChecker returns a check of the stored bytes of m's files against
// the manifest (backup.CheckStored), which reads them once without
// decoding them; nil for an s3:// destination, where it would download
// every file twice. Restore uses it to stream a backup into a loading
// server after checking it cheaply.
func (r *Repository) StoredChecker(m *backup.Manifest) func(context.Context, backup.File) error {
	if _, local := r.Storage.(*file.Store); !local {
		return nil
	}
	return func(ctx context.Context, f backup.File) error {
		stored, err := r.Storage.Open(ctx, m.ID, f.Name)
		if err != nil {
			return err
		}
		defer stored.Close()
		return backup.CheckStored(backup.ContextReader(ctx, stored), f)
	}
}

func (r *Repository) reader(m *backup.Manifest, ids []age.Identity,
	open func(io.Reader, backup.File, []age.Identity) (io.ReadCloser, error)) func(context.Context, backup.File) (io.ReadCloser, error) {
	return func(ctx context.Context, f backup.File) (io.ReadCloser, error) {
		stored, err := r.Storage.Open(ctx, m.ID, f.Name)
		if err != nil {
			return nil, err
		}
		raw, err := open(stored, f, ids)
		if err != nil {
			stored.Close()
			return nil, err
		}
		return closeBoth{raw, stored}, nil
	}
}

type closeBoth struct {
	io.ReadCloser
	inner io.Closer
}

func (c closeBoth) Close() error {
	err := c.ReadCloser.Close()
	if e := c.inner.Close(); err == nil {
		err = e
	}
	return err
}

// Identities reads the age identities in the file at path, for encrypted
// backups; none when path is empty.
func Identities(path string) ([]age.Identity, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ids, err := backup.ParseIdentities(f)
	if err != nil {
		return nil, fmt.Errorf("read identities from %s: %w", path, err)
	}
	return ids, nil
}
