// Package repository is the one door to a target's stored backups, as
// restic's repository is to its snapshots: it opens a destination (a
// directory or s3://bucket/prefix) at the target's folder, and lists,
// picks, takes, verifies, copies and prunes the backups there. Commands
// never build paths into a destination themselves; the layout is defined
// here once (layout.go).
//
// Deleting is the repository's alone, and only of what it can prove is the
// target's: another spec's backups in a shared folder, and anything that is
// not a backup, are named and left alone.
package repository

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/backup/file"
	"github.com/redisplan/redisplan/executors/backup/s3"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/s3url"
)

// Repository is one target's backups in one destination.
type Repository struct {
	// Target is whose backups these are.
	Target *model.Target
	// Destination is the directory or s3:// URL opened: the target's
	// backup destination, or one of its copy_to destinations.
	Destination string
	// Storage holds the backups, rooted at the target's folder.
	Storage backup.Storage
	// Version is redisplan's version, recorded in what the repository
	// writes (manifests, verification records).
	Version string
}

// Open opens t's backups in dest (t's backup destination when dest is
// empty): a directory, or s3://bucket/prefix reached with the target's s3
// settings. Each target has its own folder (or prefix) under a
// destination, so that a fleet can share one. With require_destination a
// missing directory is refused: nothing is created but the target's folder
// inside a destination that exists.
func Open(t *model.Target, dest string) (*Repository, error) {
	if t.Backup == nil {
		return nil, fmt.Errorf("redis.%s has no backup block", t.Name)
	}
	if dest == "" {
		dest = t.Backup.Destination
	}
	r := &Repository{Target: t, Destination: dest}
	var err error
	if s3url.Is(dest) {
		cfg := s3.Config{Destination: location(dest, t.Name, Backups)}
		if c := t.Backup.S3; c != nil {
			cfg.S3 = *c
		}
		r.Storage, err = s3.New(cfg)
	} else {
		if t.Backup.RequireDestination {
			if err := DestinationExists(dest); err != nil {
				return nil, err
			}
		}
		r.Storage, err = file.New(location(dest, t.Name, Backups))
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Main reports whether r is the target's own destination, not a copy_to
// one: only there does the archive keep its segments.
func (r *Repository) Main() bool { return r.Destination == r.Target.Backup.Destination }

// Path is the folder (or prefix) of the target's backups, ending with a
// separator: where list and prune say things are.
func (r *Repository) Path() string { return Path(r.Target, r.Destination) }

// Path is the folder (or prefix) of t's backups in dest (its destination
// when empty), ending with a separator.
func Path(t *model.Target, dest string) string {
	if dest == "" {
		dest = t.Backup.Destination
	}
	sep := string(os.PathSeparator)
	if s3url.Is(dest) {
		sep = "/"
	}
	return strings.TrimSuffix(location(dest, t.Name, Backups), sep) + sep
}

// DestinationExists is what require_destination = true asks: the
// directory is there (a mounted backup disk), so that redisplan creates
// nothing but the target's folder inside it.
func DestinationExists(dest string) error {
	info, err := os.Stat(dest)
	switch {
	case err == nil && info.IsDir():
		return nil
	case err == nil:
		return fmt.Errorf("backup destination %s is not a directory", dest)
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("backup destination %s does not exist, and the spec sets require_destination = true: "+
			"mount the backup disk (or create the directory) and run again; nothing was written", dest)
	default:
		return fmt.Errorf("backup destination %s: %w", dest, err)
	}
}

// LocalFolder is the directory of t's backups when its destination is a
// directory that may be written to: "" for an s3:// destination, and for a
// required destination that is missing (a backup disk not mounted), so
// that what is kept beside the backups (check's state) goes elsewhere
// rather than create it.
func LocalFolder(t *model.Target) string {
	if t.Backup == nil || s3url.Is(t.Backup.Destination) ||
		t.Backup.RequireDestination && DestinationExists(t.Backup.Destination) != nil {
		return ""
	}
	return location(t.Backup.Destination, t.Name, Backups)
}
