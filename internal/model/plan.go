package model

// The plan of one target, as the planner computes it and apply carries it
// out: the data both sides share. The whole plan (every target, the
// format version and the fingerprints of a saved plan) is planner.Plan.

// Action is what a change does to a directive.
type Action int

const (
	NoOp Action = iota
	Create
	Update
	Delete
)

var actionNames = [...]string{"no-op", "create", "update", "delete"}

func (a Action) String() string { return enumName(actionNames[:], a) }

// MarshalText makes the JSON form use the stable names.
func (a Action) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText reads the stable names back.
func (a *Action) UnmarshalText(b []byte) error { return parseEnum(a, actionNames[:], b, "action") }

// Mode is how a change to a directive reaches the running server; the
// catalog gives each directive's (catalog.Param.Mode).
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

func (m Mode) String() string { return enumName(modeNames[:], m) }

// MarshalText makes the JSON form use the stable names.
func (m Mode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads the stable names back.
func (m *Mode) UnmarshalText(b []byte) error { return parseEnum(m, modeNames[:], b, "mode") }

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
	// INFO and the spec; apply uses the same one (planner.PlanCatalog).
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
	Value string `json:"value"`
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
