package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"
)

// VerificationName is the note (Storage.WriteNote) that records the last
// re-verification of a backup by `backup verify`. Each destination keeps
// its own: a copy is verified where it is.
const VerificationName = "verification.json"

// maxNoteSize bounds what ReadVerification accepts.
const maxNoteSize = 64 << 10

// Verification is the record of one re-verification of a stored backup.
type Verification struct {
	Version int    `json:"version"`
	ID      string `json:"id"`
	// At is when the verification ended.
	At time.Time `json:"at"`
	// OK is true when the backup passed every check restore makes of
	// it; Problem says what failed otherwise.
	OK               bool   `json:"ok"`
	Problem          string `json:"problem,omitempty"`
	RedisplanVersion string `json:"redisplan_version"`
}

// RecordVerification writes the outcome of re-verifying backup id (err
// nil: it passed) as the backup's verification note, replacing the one
// before. The caller decides which failures say something about the
// backup: not an interruption, not a missing identity.
func RecordVerification(ctx context.Context, s Storage, id string, at time.Time, verr error, version string) error {
	v := Verification{Version: 1, ID: id, At: at.UTC(), OK: verr == nil, RedisplanVersion: version}
	if verr != nil {
		v.Problem = verr.Error()
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("record the verification of %s: %w", id, err)
	}
	if err := s.WriteNote(ctx, id, VerificationName, append(b, '\n')); err != nil {
		return fmt.Errorf("record the verification of %s: %w", id, err)
	}
	return nil
}

// ReadVerification reads the verification note of backup id: nil when
// the backup was never re-verified.
func ReadVerification(ctx context.Context, s Storage, id string) (*Verification, error) {
	rc, err := s.Open(ctx, id, VerificationName)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the verification record of %s: %w", id, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxNoteSize+1))
	if err != nil {
		return nil, fmt.Errorf("read the verification record of %s: %w", id, err)
	}
	var v Verification
	if len(b) > maxNoteSize || json.Unmarshal(b, &v) != nil || v.ID != id {
		// A record that cannot be read proves nothing either way: the
		// backup counts as not re-verified, and the next verify
		// replaces it.
		return &Verification{Version: 1, ID: id, Problem: "its verification record " + VerificationName + " is unreadable"}, nil
	}
	return &v, nil
}

// LoadCatalog reads every complete backup of s, oldest first, with what
// is known of each since it was taken: its last re-verification, and
// whether every artifact its manifest lists is still there with its
// stored size (a look, not a read: damage inside a file is found by
// `backup verify`, which records it). Manifest.Problem says what is
// wrong; Manifest.Usable tells the backups that count as verified.
func LoadCatalog(ctx context.Context, s Storage) ([]*Manifest, error) {
	ids, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*Manifest, 0, len(ids))
	for _, id := range ids {
		m, err := ReadManifest(ctx, s, id)
		if err != nil {
			return nil, fmt.Errorf("backup %s: %w", id, err)
		}
		if err := Inspect(ctx, s, m); err != nil {
			return nil, fmt.Errorf("backup %s: %w", id, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// Inspect fills m.LastVerification and m.Problem from the storage. An
// error is a failure to ask the storage, not a problem of the backup.
func Inspect(ctx context.Context, s Storage, m *Manifest) error {
	v, err := ReadVerification(ctx, s, m.ID)
	if err != nil {
		return err
	}
	m.LastVerification, m.Problem = v, ""
	for _, f := range m.Files {
		size, err := s.Size(ctx, m.ID, f.Name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			m.Problem = fmt.Sprintf("%s is missing", f.Name)
			return nil
		case err != nil:
			return err
		case size != f.StoredSize:
			m.Problem = fmt.Sprintf("%s is %d bytes, the manifest says %d", f.Name, size, f.StoredSize)
			return nil
		}
	}
	if v != nil && !v.OK {
		m.Problem = "failed verification"
		if !v.At.IsZero() {
			m.Problem += " on " + v.At.Format("2006-01-02 15:04:05Z")
		}
		if v.Problem != "" {
			m.Problem += ": " + v.Problem
		}
	}
	return nil
}
