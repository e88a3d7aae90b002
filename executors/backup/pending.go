package backup

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
)

// NewRun returns a new run name: n random bytes in lower-case hex. A
// storage names each attempt at writing a backup (and what it leaves
// behind) after one, so that two attempts never touch each other's files.
func NewRun(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// ValidRun reports whether r has the form NewRun(n) gives.
func ValidRun(r string, n int) bool {
	if len(r) != 2*n || strings.ToLower(r) != r {
		return false
	}
	_, err := hex.DecodeString(r)
	return err == nil
}

// Artifacts is the bookkeeping that every storage's pending backup keeps
// the same way: the artifacts being written (by their writer, W), those
// written with their sizes, and whether the backup was committed or
// aborted. A storage calls Create, Close, Commit and Discard, which hold
// the bookkeeping's lock around each step; the other methods are those
// steps and take no lock. Set ID; the zero maps are ready to use.
type Artifacts[W comparable] struct {
	ID        string
	mu        sync.Mutex
	open      map[string]W
	sizes     map[string]int64
	committed bool
	aborted   bool
}

// Usable fails when the backup was committed or aborted.
func (a *Artifacts[W]) Usable() error {
	switch {
	case a.committed:
		return fmt.Errorf("backup %s is already committed", a.ID)
	case a.aborted:
		return fmt.Errorf("backup %s was aborted", a.ID)
	}
	return nil
}

// CheckNew fails unless artifact name may be created now: a valid name,
// not the manifest's, in a usable backup, neither being written nor
// written already.
func (a *Artifacts[W]) CheckNew(name string) error {
	if err := CheckName(name); err != nil {
		return fmt.Errorf("backup %s: %w", a.ID, err)
	}
	if name == ManifestName {
		return fmt.Errorf("backup %s: %s is reserved", a.ID, name)
	}
	if err := a.Usable(); err != nil {
		return err
	}
	if _, ok := a.open[name]; ok {
		return fmt.Errorf("backup %s: %s is already being written", a.ID, name)
	}
	if _, ok := a.sizes[name]; ok {
		return fmt.Errorf("backup %s: %s was already written", a.ID, name)
	}
	return nil
}

// Opened records w as the writer of name.
func (a *Artifacts[W]) Opened(name string, w W) {
	if a.open == nil {
		a.open = map[string]W{}
	}
	a.open[name] = w
}

// Closed records that w, the writer of name, is closed, and fails with
// err (described by what failed, such as "write") when it failed or when
// the backup was aborted meanwhile; otherwise name counts as written with
// n bytes.
func (a *Artifacts[W]) Closed(name string, w W, n int64, what string, err error) error {
	if cur, ok := a.open[name]; ok && cur == w {
		delete(a.open, name)
	}
	if err != nil {
		return fmt.Errorf("backup %s: %s %s: %w", a.ID, what, name, err)
	}
	if a.aborted {
		return fmt.Errorf("backup %s was aborted", a.ID)
	}
	if a.sizes == nil {
		a.sizes = map[string]int64{}
	}
	a.sizes[name] = n
	return nil
}

// ReadyToCommit fails unless the backup may be committed with manifest m
// now: it is usable, no writer is open, every artifact m lists was written
// with the size it records (CheckCommit), and ctx is not done.
func (a *Artifacts[W]) ReadyToCommit(ctx context.Context, m *Manifest) error {
	if err := a.Usable(); err != nil {
		return err
	}
	for name := range a.open {
		return fmt.Errorf("commit backup %s: %s is still open: close it first", a.ID, name)
	}
	if err := CheckCommit(m, a.ID, a.sizes); err != nil {
		return err
	}
	return ctx.Err()
}

// CommitManifest is the manifest to commit, once ReadyToCommit and then
// refuse (the store's check that the ID is not complete already) pass;
// errors name the backup.
func (a *Artifacts[W]) CommitManifest(ctx context.Context, m *Manifest, refuse func() error) ([]byte, error) {
	if err := a.ReadyToCommit(ctx, m); err != nil {
		return nil, err
	}
	if err := refuse(); err != nil {
		return nil, fmt.Errorf("commit backup %s: %w", a.ID, err)
	}
	data, err := MarshalManifest(m)
	if err != nil {
		return nil, fmt.Errorf("commit backup %s: %w", a.ID, err)
	}
	return data, nil
}

// Committed records that the backup is committed.
func (a *Artifacts[W]) Committed() { a.committed = true }

// Abort records that the backup is aborted and returns the writers still
// open; ok is false, and nothing changes, when the backup was already
// committed or aborted.
func (a *Artifacts[W]) Abort() (open []W, ok bool) {
	if a.committed || a.aborted {
		return nil, false
	}
	a.aborted = true
	for _, w := range a.open {
		open = append(open, w)
	}
	return open, true
}

// Create starts artifact name under the lock: it fails unless CheckNew
// passes, then calls open, the storage's start of the writer, and records
// the writer open.
func (a *Artifacts[W]) Create(name string, open func() (W, error)) (W, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var w W
	if err := a.CheckNew(name); err != nil {
		return w, err
	}
	w, err := open()
	if err != nil {
		return w, err
	}
	a.Opened(name, w)
	return w, nil
}

// Close is Closed under the lock: w, the writer of name, is closed after
// writing n bytes, with err when it failed (what says what failed).
func (a *Artifacts[W]) Close(name string, w W, n int64, what string, err error) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.Closed(name, w, n, what, err)
}

// Commit commits the backup with manifest m under the lock: once
// CommitManifest passes (refuse is the storage's check that the ID is not
// complete already), store writes the manifest's data, which makes the
// backup visible, and the backup counts as committed when it succeeds.
func (a *Artifacts[W]) Commit(ctx context.Context, m *Manifest, refuse func() error, store func(data []byte) error) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	data, err := a.CommitManifest(ctx, m, refuse)
	if err != nil {
		return err
	}
	if err := store(data); err != nil {
		return err
	}
	a.Committed()
	return nil
}

// Discard is Abort under the lock: it records that the backup is aborted
// and returns the writers still open, with ok false when the backup was
// already committed or aborted.
func (a *Artifacts[W]) Discard() (open []W, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.Abort()
}
