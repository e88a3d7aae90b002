// Package planner compares the desired state of Redis targets with what
// is running and on disk, and produces a typed Plan. The diff is pure: it
// takes values and returns values, with no I/O.
package planner

import "github.com/redisplan/redisplan/internal/model"

// FormatVersion is the version of the plan's JSON form and of saved plan
// files. Fields are only added under the same major version. A saved plan
// file is read only by a redisplan of the very same version: 1.1 changed
// how the fingerprints hash secrets (see KDF), and 1.0 files are refused.
const FormatVersion = "1.1"

// Plan is the whole comparison for every selected target.
type Plan struct {
	FormatVersion string              `json:"format_version"`
	Targets       []*model.TargetPlan `json:"targets"`
	// Fingerprints let a saved plan be refused when anything it was made
	// from has changed since.
	Fingerprints *Fingerprints `json:"fingerprints,omitempty"`
}

// Fingerprints are hashes of everything a plan was made from. No secret is
// stored, and no fast hash of one: whatever covers a secret (the spec and
// its variables, the live configuration, the config file) is argon2id with
// the plan's own random salt (see KDF in fingerprint.go).
type Fingerprints struct {
	KDF     *KDF                         `json:"kdf"`
	Spec    string                       `json:"spec"`
	Targets map[string]TargetFingerprint `json:"targets"`
}

// TargetFingerprint is what one target looked like when it was planned.
type TargetFingerprint struct {
	RunID string `json:"run_id"`
	// Config is the slow, salted hash of every CONFIG GET value read.
	Config string `json:"config"`
	// Managed holds the live value of each non-sensitive managed
	// directive, so that a stale plan can say which one moved.
	Managed map[string]string `json:"managed,omitempty"`
	// File is the slow, salted hash of the config file, or "absent".
	File    string `json:"file"`
	Crontab string `json:"crontab"`
	// ScheduleFiles is a hash of the target's schedule files as found.
	ScheduleFiles string `json:"schedule_files,omitempty"`
}

// HasChanges reports whether any target would change.
func (p *Plan) HasChanges() bool {
	for _, t := range p.Targets {
		if t.HasChanges() {
			return true
		}
	}
	return false
}

// HasErrors reports whether any target could not be planned.
func (p *Plan) HasErrors() bool {
	for _, t := range p.Targets {
		if len(t.Errors()) > 0 {
			return true
		}
	}
	return false
}
