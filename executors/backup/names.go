package backup

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
)

// ErrExists is wrapped by the error of Begin or Commit when a backup with
// the same ID is already complete.
var ErrExists = errors.New("backup already exists")

// maxManifestSize bounds what ReadManifest accepts: a manifest lists a
// handful of files, so anything this large is not one.
const maxManifestSize = 16 << 20

// CheckID reports whether id can name a backup in every backend: ASCII
// letters, digits, '.', '_' and '-', not starting with '.' or '-' (names
// starting with '.' are the backends' own), at most 128 bytes. It refuses
// anything that could reach outside the destination, such as "../x".
func CheckID(id string) error {
	if id == "" {
		return errors.New("backup id is empty")
	}
	if len(id) > 128 {
		return fmt.Errorf("backup id %.20q... is longer than 128 bytes", id)
	}
	if id[0] == '.' || id[0] == '-' {
		return fmt.Errorf("backup id %q must not start with %q", id, id[0])
	}
	for _, c := range []byte(id) {
		if !isIDByte(c) {
			return fmt.Errorf("backup id %q: only letters, digits, '.', '_' and '-' are allowed", id)
		}
	}
	return nil
}

func isIDByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '.' || c == '_' || c == '-'
}

// CheckName reports whether name can name an artifact inside a backup: a
// relative, slash-separated path such as "appendonlydir/appendonly.aof.1.base.rdb"
// whose elements are not empty, "." or "..", without backslashes or
// control characters.
func CheckName(name string) error {
	if name == "" {
		return errors.New("artifact name is empty")
	}
	if len(name) > 1024 {
		return fmt.Errorf("artifact name %.40q... is longer than 1024 bytes", name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return fmt.Errorf("artifact name %q: control characters and backslashes are not allowed", name)
		}
	}
	if strings.HasPrefix(name, "/") {
		return fmt.Errorf("artifact name %q must be relative", name)
	}
	for elem := range strings.SplitSeq(name, "/") {
		if elem == "" || elem == "." || elem == ".." {
			return fmt.Errorf("artifact name %q: empty, \".\" and \"..\" elements are not allowed", name)
		}
	}
	return nil
}

// CheckNote accepts the backup ID and the note name that WriteNote is
// given, with errors that say so.
func CheckNote(id, name string) error {
	if err := CheckID(id); err != nil {
		return fmt.Errorf("write note: %w", err)
	}
	if err := CheckNoteName(name); err != nil {
		return fmt.Errorf("write note of backup %s: %w", id, err)
	}
	return nil
}

// CheckNoteName accepts the name of a note (Storage.WriteNote): one path
// element that CheckName accepts and that is not the manifest's.
func CheckNoteName(name string) error {
	if err := CheckName(name); err != nil {
		return err
	}
	if strings.Contains(name, "/") || name == ManifestName {
		return fmt.Errorf("note name %q must be one file name other than %s", name, ManifestName)
	}
	return nil
}

// CheckCommit is what every storage checks before it commits backup id
// with manifest m: CheckManifest, and that every file m lists was written
// (sizes holds the bytes of each artifact written and closed) with the
// size m records.
func CheckCommit(m *Manifest, id string, sizes map[string]int64) error {
	if err := CheckManifest(m, id); err != nil {
		return fmt.Errorf("commit backup %s: %w", id, err)
	}
	for _, f := range m.Files {
		size, ok := sizes[f.Name]
		if !ok {
			return fmt.Errorf("commit backup %s: the manifest lists %s, which was not written", id, f.Name)
		}
		if size != f.StoredSize {
			return fmt.Errorf("commit backup %s: %s is %d bytes, the manifest says %d", id, f.Name, size, f.StoredSize)
		}
	}
	return nil
}

// CheckManifest reports whether m can be committed as backup id: a known
// version, the same ID, and file names that are valid, distinct and not
// the manifest's own.
func CheckManifest(m *Manifest, id string) error {
	if m == nil {
		return errors.New("manifest is missing")
	}
	if m.Version < 1 || m.Version > ManifestVersion {
		return fmt.Errorf("manifest version %d: this redisplan writes and reads version %d", m.Version, ManifestVersion)
	}
	if m.ID != id {
		return fmt.Errorf("manifest is for backup %q, not %q", m.ID, id)
	}
	seen := make(map[string]bool, len(m.Files))
	for _, f := range m.Files {
		if err := CheckName(f.Name); err != nil {
			return fmt.Errorf("manifest: %w", err)
		}
		if f.Name == ManifestName || f.Name == VerificationName {
			return fmt.Errorf("manifest: an artifact cannot be named %s", f.Name)
		}
		if seen[f.Name] {
			return fmt.Errorf("manifest lists %s twice", f.Name)
		}
		seen[f.Name] = true
	}
	return nil
}

// WriteManifestJSON writes m as indented JSON followed by a newline, the
// form manifest.json has in every backend.
func WriteManifestJSON(w io.Writer, m *Manifest) error {
	b, err := MarshalManifest(m)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// MarshalManifest returns the bytes WriteManifestJSON writes.
func MarshalManifest(m *Manifest) ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	return append(b, '\n'), nil
}

// ReadManifest reads and checks the manifest of the complete backup id.
func ReadManifest(ctx context.Context, s Storage, id string) (*Manifest, error) {
	rc, err := s.Open(ctx, id, ManifestName)
	if err != nil {
		return nil, fmt.Errorf("read manifest of %s: %w", id, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxManifestSize+1))
	if err != nil {
		return nil, fmt.Errorf("read manifest of %s: %w", id, err)
	}
	if len(b) > maxManifestSize {
		return nil, fmt.Errorf("read manifest of %s: larger than %d bytes", id, maxManifestSize)
	}
	return ParseManifest(b, id)
}

// ParseManifest decodes the manifest of backup id and checks it. Fields
// it does not know are ignored, so that an older redisplan can still list
// what a newer one wrote in the same format version.
func ParseManifest(b []byte, id string) (*Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("manifest of %s is not valid JSON: %w", id, err)
	}
	if m.Version > ManifestVersion {
		return nil, fmt.Errorf("manifest of %s has version %d; this redisplan reads version %d: upgrade redisplan", id, m.Version, ManifestVersion)
	}
	if err := CheckManifest(&m, id); err != nil {
		return nil, fmt.Errorf("manifest of %s: %w", id, err)
	}
	return &m, nil
}

// ProcessAlive reports whether a process with this pid exists on this
// host, for the storages that tell a live writer from a dead one. EPERM
// means it exists but belongs to another user.
func ProcessAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
