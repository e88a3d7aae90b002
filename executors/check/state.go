package check

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/redisplan/redisplan/internal/fsutil"
	"github.com/redisplan/redisplan/internal/owner"
)

// StateVersion is the version of the state file format.
const StateVersion = 1

// State is what `redisplan check` keeps between runs: each target's last
// sample of its counters, and the bookkeeping of alerts (what is firing
// since when, and when it was last sent).
type State struct {
	Version int `json:"version"`
	// Owner is the spec whose target this state is of (internal/owner).
	// Two specs with a target of the same name would otherwise find the
	// same state file (beside a shared backup folder, or in one user's
	// state directory). nil in a state written before owners were
	// recorded, which any spec takes as its own.
	Owner *owner.Owner `json:"owner,omitempty"`
	// Samples holds the last sample per target name.
	Samples map[string]Sample `json:"samples"`
	// Alerts is keyed by AlertKey(target, check).
	Alerts map[string]AlertState `json:"alerts"`
}

// AlertState is the alert bookkeeping of one check of one target. Its
// fields are those of notify.AlertState, in the same order and with the
// same JSON names, so that the two convert into each other
// (notify.AlertState(st)); the notify package owns their meaning.
type AlertState struct {
	// Status is "firing", "resolved" or "" (never alerted).
	Status string `json:"status,omitempty"`
	// Severity is "warning" or "critical".
	Severity string `json:"severity,omitempty"`
	// FiringSince is when the alert started firing at its current
	// severity.
	FiringSince time.Time `json:"firing_since,omitzero"`
	// LastSent is when the current notification was delivered.
	LastSent time.Time `json:"last_sent,omitzero"`
}

// AlertKey is the key of a check of a target in State.Alerts:
// "target/check".
func AlertKey(target, check string) string { return target + "/" + check }

// NewState returns an empty state.
func NewState() *State {
	return &State{Version: StateVersion, Samples: map[string]Sample{}, Alerts: map[string]AlertState{}}
}

// Sample returns the last sample of the target, or nil.
func (s *State) Sample(target string) *Sample {
	smp, ok := s.Samples[target]
	if !ok {
		return nil
	}
	return &smp
}

// SetSample records the target's sample for the next run.
func (s *State) SetSample(target string, smp Sample) {
	if s.Samples == nil {
		s.Samples = map[string]Sample{}
	}
	s.Samples[target] = smp
}

// LoadState reads the state file. A file that does not exist is an empty
// state, not an error.
func LoadState(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return NewState(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read check state: %w", err)
	}
	return DecodeState(b, path)
}

// DecodeState reads a state as LoadState and the state kept beside the
// backups store it; where names it in errors.
func DecodeState(b []byte, where string) (*State, error) {
	st := &State{}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(st); err != nil {
		return nil, fmt.Errorf("read check state %s: not valid JSON (%v); delete it to start afresh: the next run then measures no growth", where, err)
	}
	if st.Version > StateVersion {
		return nil, fmt.Errorf("read check state %s: format version %d is newer than this redisplan reads (%d): upgrade redisplan", where, st.Version, StateVersion)
	}
	st.Version = StateVersion
	if st.Samples == nil {
		st.Samples = map[string]Sample{}
	}
	if st.Alerts == nil {
		st.Alerts = map[string]AlertState{}
	}
	return st, nil
}

// EncodeState returns st as it is stored. It holds counters, alert
// bookkeeping and the owner: no address, password or webhook.
func EncodeState(st *State) ([]byte, error) {
	if st == nil {
		st = NewState()
	}
	out := *st
	out.Version = StateVersion
	if out.Samples == nil {
		out.Samples = map[string]Sample{}
	}
	if out.Alerts == nil {
		out.Alerts = map[string]AlertState{}
	}
	b, err := json.MarshalIndent(&out, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("write check state: %w", err)
	}
	return append(b, '\n'), nil
}

// SaveState writes the state file atomically with mode 0600, creating its
// directory (0700) when needed.
func SaveState(path string, st *State) error {
	b, err := EncodeState(st)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write check state: %w", err)
	}
	if err := fsutil.WriteFileMode(path, b, 0o600); err != nil {
		return fmt.Errorf("write check state: %w", err)
	}
	return nil
}
