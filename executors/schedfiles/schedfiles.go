// Package schedfiles reads and writes the directories of schedule files
// (systemd units, Kubernetes CronJob manifests) that redisplan manages.
//
// A file is redisplan's, for one target, when its name starts with
// "redisplan-" and one of its first lines is that target's Marker; the
// line after the marker records which spec owns it (internal/owner), so
// that two specs with a target of the same name do not take each other's
// files. Every other file in the directory belongs to someone else: it is
// never read into a plan, rewritten or removed.
package schedfiles

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/redisplan/redisplan/internal/fsutil"
	"github.com/redisplan/redisplan/internal/owner"
)

// Prefix starts the name of every file redisplan writes.
const Prefix = "redisplan-"

// markerLines is how far into a file the marker is looked for.
const markerLines = 3

// Mode is the mode of the files: they hold no secret (secrets reach jobs
// through variables, never through these files), and systemd and kubectl
// readers may run as other users.
const Mode fs.FileMode = 0o644

// File is one schedule file: its name in the directory and its bytes.
type File struct {
	Name    string
	Content []byte
}

// Marker is the comment line that makes a file target's: systemd units and
// YAML both read "#" as a comment.
func Marker(target string) string {
	return "# redisplan: managed file of target " + strconv.Quote(target) + "; redisplan apply rewrites and removes it."
}

// Slug turns a target name into the part of file and object names that
// stands for it: lower-case letters, digits and '-', at most 30
// characters (Kubernetes limits CronJob names to 52), with a hash of the
// full name when shortened so that two long names stay apart.
func Slug(target string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(target) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimRight(b.String(), "-")
	if s == "" || len(s) > 30 {
		sum := sha256.Sum256([]byte(target))
		if len(s) > 21 {
			s = strings.TrimRight(s[:21], "-")
		}
		if s != "" {
			s += "-"
		}
		s += hex.EncodeToString(sum[:4])
	}
	return s
}

// Name is what a cron block's files are named after: its id, or the
// target's name when it has none.
func Name(id, target string) string {
	if id != "" {
		return id
	}
	return target
}

// Dir is what a directory holds for one target.
type Dir struct {
	// Files are the target's files, sorted by name.
	Files []File
	// Others are names that start with the block's prefix (see Name) but
	// are not the target's: redisplan must not overwrite them.
	Others []string
}

// Read returns target's files in dir: every file with the target's marker
// (the caller tells them apart by their owner lines), and as Others the
// names starting with the prefix of name (see Name) that lack the marker.
// A missing directory holds none.
func Read(ctx context.Context, dir, target, name string) (Dir, error) {
	var d Dir
	if err := ctx.Err(); err != nil {
		return d, fmt.Errorf("read %s: %w", dir, err)
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return d, nil
	}
	if err != nil {
		return d, fmt.Errorf("read schedule directory: %w", err)
	}
	own := Prefix + Slug(name) + "-"
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, Prefix) || !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return d, fmt.Errorf("read schedule file: %w", err)
		}
		switch {
		case HasMarker(b, target):
			d.Files = append(d.Files, File{Name: name, Content: b})
		case strings.HasPrefix(name, own):
			d.Others = append(d.Others, name)
		}
	}
	sort.Slice(d.Files, func(i, j int) bool { return d.Files[i].Name < d.Files[j].Name })
	return d, nil
}

// HasMarker reports whether content is target's file.
func HasMarker(content []byte, target string) bool {
	want := Marker(target)
	sc := bufio.NewScanner(bytes.NewReader(content))
	for i := 0; i < markerLines && sc.Scan(); i++ {
		if strings.TrimRight(sc.Text(), "\r") == want {
			return true
		}
	}
	return false
}

// Writer writes and removes target's files; the directory is created
// when missing.
type Writer struct{}

// Write replaces dir/name with content atomically, with mode 0644, but
// only a file that is still target's or does not exist: another target's
// file of the same name, another spec's (its owner line names another
// owner than content's), or one someone wrote by hand since the plan was
// made, is kept. A file of the target without an owner line (written by
// an older redisplan) is replaced: the plan decided to adopt it.
func (Writer) Write(ctx context.Context, dir, name, target string, content []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := checkName(name); err != nil {
		return err
	}
	path := filepath.Join(dir, name)
	b, err := os.ReadFile(path)
	switch {
	case err == nil && !HasMarker(b, target):
		return fmt.Errorf("write %s: the file exists without redisplan's marker for %s (another target's, or written by hand), so it is left alone", path, target)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("write schedule file: %w", err)
	case err == nil:
		want, _ := owner.Find(string(content), markerLines)
		if err := checkOwner(path, b, want); err != nil {
			return fmt.Errorf("write %w", err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write schedule file: %w", err)
	}
	if err := fsutil.WriteFileMode(path, content, Mode); err != nil {
		return fmt.Errorf("write schedule file: %w", err)
	}
	return nil
}

// Remove deletes dir/name, but only while it is still target's file and
// its owner line, if it has one, names want: a file someone replaced since
// the plan was made, or another spec's, is kept. A file already gone is
// not an error.
func (Writer) Remove(ctx context.Context, dir, name, target string, want owner.Owner) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	if err := checkName(name); err != nil {
		return err
	}
	path := filepath.Join(dir, name)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove schedule file: %w", err)
	}
	if !HasMarker(b, target) {
		return fmt.Errorf("remove %s: it no longer carries redisplan's marker for %s, so it is left alone", path, target)
	}
	if err := checkOwner(path, b, want); err != nil {
		return fmt.Errorf("remove %w", err)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("remove schedule file: %w", err)
	}
	return fsutil.SyncDir(dir)
}

// checkOwner refuses a file whose owner line names another owner than
// want. A file without an owner line passes.
func checkOwner(path string, content []byte, want owner.Owner) error {
	have, recorded := owner.Find(string(content), markerLines)
	if !recorded || want.Claims(have) {
		return nil
	}
	whose := "an owner line redisplan cannot read"
	if !have.IsZero() {
		whose = have.String()
	}
	return fmt.Errorf("%s: the file belongs to %s, not to %s, so it is left alone", path, whose, want)
}

// checkName keeps writes inside the directory: names come from plan
// files, which could have been edited.
func checkName(name string) error {
	if !strings.HasPrefix(name, Prefix) || strings.ContainsAny(name, `/\`) || name != filepath.Base(name) {
		return fmt.Errorf("refusing schedule file name %q: redisplan writes only redisplan-* files directly inside the directory", name)
	}
	return nil
}
