// Package planner compares the desired state of Redis targets with what
// is running and on disk, and produces a typed Plan. The diff is pure: it
// takes values and returns values, with no I/O.
package planner

import "fmt"

// FormatVersion is the version of the plan's JSON form and of saved plan
// files. Fields are only added under the same major version. A saved plan
// file is read only by a redisplan of the very same version: 1.1 changed
// how the fingerprints hash secrets (see KDF), and 1.0 files are refused.
const FormatVersion = "1.1"

// Action is what a change does to a directive.
type Action int

const (
	NoOp Action = iota
	Create
	Update
	Delete
)

var actionNames = [...]string{"no-op", "create", "update", "delete"}

func (a Action) String() string { return actionNames[a] }

// MarshalText makes the JSON form use the stable names.
func (a Action) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText reads the stable names back.
func (a *Action) UnmarshalText(b []byte) error {
	for i, n := range actionNames {
		if n == string(b) {
			*a = Action(i)
			return nil
		}
	}
	return fmt.Errorf("unknown action %q", b)
}

// Mode is how a change reaches the running server.
type Mode int

const (
	// Live changes are made with CONFIG SET.
	Live Mode = iota
	// Restart changes (IMMUTABLE directives) take effect only when the
	// server restarts with the edited file.
	Restart
	// FileOnly changes (rename-command) exist only in the file: no
	// CONFIG GET shows them; they apply at the next restart.
	FileOnly
	// Protected changes (dir, dbfilename) need enable-protected-configs to
	// be made live, and a restart otherwise.
	Protected
)

var modeNames = [...]string{"live", "restart", "file-only", "protected"}

func (m Mode) String() string { return modeNames[m] }

// MarshalText makes the JSON form use the stable names.
func (m Mode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads the stable names back.
func (m *Mode) UnmarshalText(b []byte) error {
	for i, n := range modeNames {
		if n == string(b) {
			*m = Mode(i)
			return nil
		}
	}
	return fmt.Errorf("unknown mode %q", b)
}

// Plan is the whole comparison for every selected target.
type Plan struct {
	FormatVersion string        `json:"format_version"`
	Targets       []*TargetPlan `json:"targets"`
	// Fingerprints let a saved plan be refused when anything it was made
	// from has changed since.
	Fingerprints *Fingerprints `json:"fingerprints,omitempty"`
}

// TargetPlan is the comparison for one target.
type TargetPlan struct {
	Target string `json:"target"`
	// Error is set when the target could not be inspected; it then has no
	// changes.
	Error   string         `json:"error,omitempty"`
	Changes []Change       `json:"changes"`
	Drift   []Drift        `json:"drift"`
	Crontab *CrontabChange `json:"crontab,omitempty"`
	// ScheduleFiles are the systemd units and CronJob manifests to write
	// or remove.
	ScheduleFiles []FileChange `json:"schedule_files,omitempty"`
	Risks         []Risk       `json:"risks"`
	// CreatesFile is the managed config file's path when it does not exist
	// yet: apply creates it with the spec's directives alone.
	CreatesFile string `json:"creates_file,omitempty"`
	RunID       string `json:"run_id,omitempty"`
	Version     string `json:"redis_version,omitempty"`
	// Catalog is the version of the catalog the plan was made with
	// ("7.0", "valkey-8.0"), chosen by catalog.Choose from the server's
	// INFO and the spec; apply uses the same one (PlanCatalog).
	Catalog string `json:"catalog,omitempty"`
	// Server names the server's engine and release as INFO gives them:
	// "Redis 7.0.15", "Valkey 8.0.1" (whose redis_version, Version, is
	// 7.2.4).
	Server    string `json:"server,omitempty"`
	EnableAOF bool   `json:"enable_aof,omitempty"`
	// ConfigSource says under which name the server answered CONFIG
	// (LiveState.ConfigSource): apply talks to it under the same name
	// until it restarts.
	ConfigSource ConfigSource `json:"config_source,omitempty"`
	// Member is the replica's address in the plan of a replica; empty in
	// a target's own plan, which is its primary's.
	Member string `json:"member,omitempty"`
	// Replicas are the plans of a primary's replicas, in the order apply
	// changes them; the primary's own changes come after them.
	Replicas []*TargetPlan `json:"replicas,omitempty"`
}

// Value is a directive's value on one side, or its absence there.
type Value struct {
	// Set is false when the side has no value: no line in the file, or a
	// file-only directive that the server cannot report.
	Set   bool   `json:"set"`
	Value string `json:"value,omitempty"`
}

// Change is one directive to change.
type Change struct {
	// Address names the directive across a fleet: redis.main.config.maxmemory.
	Address   string `json:"address"`
	Directive string `json:"directive"`
	Action    Action `json:"action"`
	Mode      Mode   `json:"mode"`
	// LiveBefore and FileBefore are what the server and the file hold now;
	// After is the spec's value. Sensitive values are masked in every
	// rendered form.
	LiveBefore Value  `json:"live_before"`
	FileBefore Value  `json:"file_before"`
	After      string `json:"after"`
	Sensitive  bool   `json:"sensitive,omitempty"`
	// LiveChange and FileChange say which sides this change touches.
	LiveChange bool   `json:"live_change"`
	FileChange bool   `json:"file_change"`
	Reason     string `json:"reason,omitempty"`
}

// Drift is a managed directive whose live value differs from its file:
// somebody changed the server behind the file's back (or the file behind
// the server's), and a restart would change the live value.
type Drift struct {
	Directive string `json:"directive"`
	Live      string `json:"live"`
	File      string `json:"file"`
	Sensitive bool   `json:"sensitive,omitempty"`
	// Note says when redisplan itself left the live value (an
	// interrupted run), and what puts it back.
	Note string `json:"note,omitempty"`
}

// CrontabChange is the difference in a target's managed crontab block.
type CrontabChange struct {
	Where string `json:"where"`
	// Block is the block's name in its markers: the cron block's id, or
	// the target's name.
	Block   string   `json:"block,omitempty"`
	Action  Action   `json:"action"`
	Removed []string `json:"removed"`
	Added   []string `json:"added"`
	// Lines is the whole desired block, markers included.
	Lines []string `json:"lines"`
	// Owner is the owner line of the spec that applies the change: apply
	// replaces or removes only a block without an owner line or with this
	// owner.
	Owner string `json:"owner,omitempty"`
	// Note says why an existing block is adopted (one without an owner
	// line, written by an older redisplan), or that Previous goes.
	Note string `json:"note,omitempty"`
	// Previous is the name of a block this spec wrote before its cron
	// block had an id (named after the target): apply removes it.
	Previous string `json:"previous,omitempty"`
}

// FileChange is a schedule file (systemd unit, CronJob manifest) to
// create, rewrite or remove. The files hold no secret.
type FileChange struct {
	// Kind is "systemd" or "kubernetes".
	Kind   string `json:"kind"`
	Dir    string `json:"dir"`
	Name   string `json:"name"`
	Action Action `json:"action"`
	// Diff is, for an update, the removed ("-") and added ("+") lines in
	// file order.
	Diff []string `json:"diff,omitempty"`
	// Content is the whole new file, for a create or an update.
	Content string `json:"content,omitempty"`
	// Owner is the owner line of the spec that applies the change: apply
	// rewrites or removes only a file without an owner line or with this
	// owner.
	Owner string `json:"owner,omitempty"`
	// Note says why an existing file is adopted (one without an owner
	// line, written by an older redisplan).
	Note string `json:"note,omitempty"`
}

// Risk is a warning about what a change will do to a running server.
type Risk struct {
	Directive string `json:"directive,omitempty"`
	Message   string `json:"message"`
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

// HasChanges reports whether applying would change anything, on the
// target or on one of its replicas.
func (tp *TargetPlan) HasChanges() bool {
	if tp.OwnChanges() {
		return true
	}
	for _, r := range tp.Replicas {
		if r.HasChanges() {
			return true
		}
	}
	return false
}

// OwnChanges reports whether applying would change the target itself
// (its primary, in a group).
func (tp *TargetPlan) OwnChanges() bool {
	return len(tp.Changes) > 0 || tp.Crontab != nil || len(tp.ScheduleFiles) > 0
}

// Errors returns the target's error and those of its replicas, each
// prefixed with the replica's address.
func (tp *TargetPlan) Errors() []string {
	var out []string
	if tp.Error != "" {
		out = append(out, tp.Error)
	}
	for _, r := range tp.Replicas {
		if r.Error != "" {
			out = append(out, "replica "+r.Member+": "+r.Error)
		}
	}
	return out
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
