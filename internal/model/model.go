// Package model holds the desired state of Redis targets as plain data.
//
// It is what the spec language decodes into and what the planner and the
// executors consume. It imports only the standard library: no HCL types, no
// Redis client, no I/O.
package model

import (
	"fmt"
	"time"
)

// Pos is a place in a spec file, kept so that later stages (plan, lint) can
// point people back at the line that asked for something.
type Pos struct {
	Filename string
	Line     int
	Column   int
}

func (p Pos) String() string {
	if p.Filename == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d,%d", p.Filename, p.Line, p.Column)
}

// Spec is every target the spec files describe, sorted by Name.
type Spec struct {
	Targets []*Target
	Ignores []Ignore
}

// Target returns the target with the given name, or nil.
func (s *Spec) Target(name string) *Target {
	for _, t := range s.Targets {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Target is one Redis server and everything the spec says about it.
type Target struct {
	// Name is the block label, with the for_each key when the block was
	// expanded: main, cache["eu"].
	Name string
	Pos  Pos

	Connection Connection

	// ConfigFile is the redis.conf redisplan manages; empty when none.
	ConfigFile string
	// DataDir overrides what CONFIG GET dir reports; empty when not set.
	DataDir string
	Service *Service

	// Ephemeral marks a cache whose data may be lost; Durable a target
	// whose keys must never be evicted. Policy rules read them.
	Ephemeral bool
	Durable   bool
	// HostMemory is the memory of the host in bytes (0 when not given),
	// so that rules can tell whether a fork for a backup fits.
	HostMemory uint64

	// RPO and RTO are the recovery objectives the spec promises: how much
	// acknowledged writing may be lost, and how long a restore may take.
	// Zero when the spec sets none.
	RPO time.Duration
	RTO time.Duration

	// RedisVersion is the catalog version declared in the spec ("7.0"),
	// used when the live server cannot say.
	RedisVersion string
	// VersionDeclared says whether the spec sets redis_version; without
	// it RedisVersion is only the default, not the server's engine.
	VersionDeclared bool

	// Directives are the managed configuration directives, one per
	// canonical name, sorted by name. A directive that is not listed is
	// not managed: redisplan never touches it.
	Directives []Directive
	// Renames are rename-command lines (file-only), sorted by command.
	Renames []Rename

	Backup *Backup
	Alerts *Alerts
	// Cron is the target's crontab block (cron with kind "crontab", the
	// default); nil when it has none.
	Cron *Cron
	// Timers and CronJobs are the directories of systemd units and of
	// Kubernetes CronJob manifests (cron blocks of kind "systemd" and
	// "kubernetes") that run the same schedules, in spec order.
	Timers   []*SystemdTimers
	CronJobs []*KubeCronJobs

	// Replication, when set, makes the target the primary of a group of
	// replicas that plan and apply change with it, replicas first.
	Replication *Replication
}

// Directive returns the managed directive with the canonical name, or nil.
func (t *Target) Directive(name string) *Directive {
	for i := range t.Directives {
		if t.Directives[i].Name == name {
			return &t.Directives[i]
		}
	}
	return nil
}

// ConfigCommand is the name under which CONFIG is reachable on the server:
// the connection's explicit config_command, else the spec's own rename of
// CONFIG, else CONFIG. An empty result means CONFIG was renamed to "" and
// the server cannot be inspected live.
func (t *Target) ConfigCommand() string {
	if t.Connection.ConfigCommand != "" {
		return t.Connection.ConfigCommand
	}
	for _, r := range t.Renames {
		if r.Command == "CONFIG" {
			return r.NewName
		}
	}
	return "CONFIG"
}

// Connection says how to reach the server.
type Connection struct {
	// Address is host:port, or the path of a unix socket.
	Address  string
	Username string
	// Password is a secret: never print it.
	Password string
	// PasswordLiteral is true when the spec writes the password as a
	// literal instead of taking it from a variable.
	PasswordLiteral bool
	TLS             *TLS
	DB              int
	// ConfigCommand is the name CONFIG was renamed to, when it was.
	ConfigCommand string
	Timeout       time.Duration
}

// TLS holds the client side of a TLS connection.
type TLS struct {
	CAFile             string
	CertFile           string
	KeyFile            string
	ServerName         string
	InsecureSkipVerify bool
}

// Service holds the argv lists that start, stop and query the server
// process. No shell is involved.
type Service struct {
	Start  []string
	Stop   []string
	Status []string
}

// Directive is one managed configuration directive.
type Directive struct {
	// Name is the canonical (primary) name: replicaof, never slaveof.
	Name string
	// Value is normalized to the form CONFIG GET returns: memory in bytes,
	// booleans yes/no, enums lowercase, save as space-joined pairs.
	Value string
	// Sensitive values (requirepass, masterauth, anything derived from a
	// sensitive variable) are never shown.
	Sensitive bool
	// Literal is true when the value is written in the spec as a literal
	// (no variable, local or function): for a secret, a finding.
	Literal bool
	// Origin names the spec attribute that set it, such as
	// "memory.max" or `settings["hz"]`.
	Origin string
	Pos    Pos
}

// Rename is a rename-command line. An empty NewName disables the command.
type Rename struct {
	Command   string
	NewName   string
	Sensitive bool
	Origin    string
	Pos       Pos
}

// Ignore silences a policy finding, with a reason and optionally until a
// date, declared as an ignore block or a "# redisplan:ignore" comment.
type Ignore struct {
	Rule    string
	Targets []string // empty: every target
	Reason  string
	Until   time.Time // zero: no expiry
	Pos     Pos
}

// Backup sources (Backup.From).
const (
	FromPrimary = "primary"
	FromReplica = "replica"
	FromAny     = "any"
)

// Backup describes scheduled backups of a target.
type Backup struct {
	// ID, when set, records the owner of this target's backups as this
	// id instead of the spec's path and the target (see internal/owner
	// and backup.Claim), so that the spec file can move.
	ID string
	// PreviousSpecs are absolute paths of spec files this target was
	// declared in before it moved: their backups are this target's.
	PreviousSpecs []string
	Schedule      string
	Destination   string
	// Method is "bgsave" (server-local files) or "replication".
	Method string
	// From says which member of a replication group the data is taken
	// from: FromPrimary, FromReplica (one in sync, or fail) or FromAny (a
	// replica in sync, else the primary).
	From string
	// Include lists what is backed up: "rdb", "aof".
	Include []string
	// Compression is "zstd", "gzip" or "none".
	Compression string
	// Recipients are age public keys; backups are encrypted when set.
	Recipients []string
	Retention  Retention
	// CopyTo lists further destinations (s3:// URLs or directories) that
	// each finished backup is copied to and verified in.
	CopyTo []string
	// RequireDestination refuses to create a destination directory (or
	// copy_to directory) that does not exist: a backup disk that is not
	// mounted must not silently become a folder on the root file system.
	// Only the target's own folder inside it is created.
	RequireDestination bool
	// S3 says how to reach the s3:// destinations; nil uses AWS's
	// defaults and the standard AWS environment and files.
	S3 *S3
	// Archive, when set, makes redisplan archive follow the server's
	// write stream into the destination, beside the base backups, for
	// point-in-time recovery; nil when the spec has no archive block.
	Archive *Archive
	Pos     Pos
}

// Archive bounds for Archive.Flush. Below 100ms a busy target makes more
// objects than a store lists or prunes in reasonable time (and an S3 PUT
// takes about that long); above a minute the archive is no better than a
// frequent backup.
const (
	MinArchiveFlush     = 100 * time.Millisecond
	MaxArchiveFlush     = time.Minute
	DefaultArchiveFlush = time.Second
)

// Archive describes the continuous archive of a target's write stream.
type Archive struct {
	// Flush is the longest an acknowledged write waits before the
	// archiver commits it to the destination (a segment fsynced, or an
	// S3 object written): the archive's loss window when the host is
	// lost. Between MinArchiveFlush and MaxArchiveFlush.
	Flush time.Duration
	Pos   Pos
}

// S3 says how to reach an S3-compatible object store. AccessKey and
// SecretKey are secrets: String leaves them out, so that printing the
// model never shows them.
type S3 struct {
	// Endpoint is host[:port] (HTTPS) or a URL with http:// or https://;
	// empty means AWS S3.
	Endpoint string
	// Region is the bucket's region; empty takes AWS_REGION, then
	// AWS_DEFAULT_REGION, then asks the server.
	Region    string
	AccessKey string
	SecretKey string
	// PathStyle addresses the bucket in the path (http://host/bucket/key)
	// instead of the host name, as most self-hosted servers need.
	PathStyle bool
	// SSE asks for server-side encryption: "AES256" or "aws:kms"; empty
	// leaves it to the bucket's default.
	SSE string
	// SecretKeyLiteral is true when the spec writes the secret key as a
	// literal instead of taking it from a variable; SecretKeyPos is
	// where.
	SecretKeyLiteral bool
	SecretKeyPos     Pos
}

// String describes the settings without the keys.
func (s S3) String() string {
	keys := "from the environment"
	if s.AccessKey != "" {
		keys = "(sensitive)"
	}
	return fmt.Sprintf("s3{endpoint=%q region=%q keys=%s path_style=%t sse=%q}", s.Endpoint, s.Region, keys, s.PathStyle, s.SSE)
}

// GoString is String, for %#v.
func (s S3) GoString() string { return s.String() }

// Retention says which backups are kept. Rules are ORed; KeepMin is a floor.
type Retention struct {
	MaxAge      time.Duration
	KeepLast    int
	KeepDaily   int
	KeepWeekly  int
	KeepMonthly int
	KeepMin     int
}

// Alerts describes health checks and where their alerts go.
type Alerts struct {
	Schedule string
	// RepeatInterval is how often a still-firing alert is sent again.
	RepeatInterval time.Duration
	Notify         []Notify
	Thresholds     []Threshold
	Pos            Pos
}

// Threshold returns the spec's threshold for a check, or nil when the
// spec sets none (or has no alerts block).
func (t *Target) Threshold(check string) *Threshold {
	if t.Alerts == nil {
		return nil
	}
	for i := range t.Alerts.Thresholds {
		if t.Alerts.Thresholds[i].Check == check {
			return &t.Alerts.Thresholds[i]
		}
	}
	return nil
}

// Notify is one alert destination.
type Notify struct {
	// Webhook is the URL posted to: the webhook, or for Alertmanager's
	// API, its alerts endpoint (<base>/api/v2/alerts).
	Webhook string
	// Format is FormatJSON, FormatAlertmanagerWebhook, FormatSlack or
	// FormatAlertmanagerAPI (set by alertmanager = [...], never by format).
	Format  string
	Headers map[string]string
	// GeneratorURL is the source link of alerts posted to Alertmanager's
	// API (a runbook or a dashboard); empty for none.
	GeneratorURL string
}

// Notify formats.
const (
	// FormatJSON is redisplan's own body.
	FormatJSON = "json"
	// FormatAlertmanagerWebhook is the body Alertmanager sends to its
	// webhook receivers (format = "alertmanager" before it was renamed).
	FormatAlertmanagerWebhook = "alertmanager-webhook"
	// FormatSlack is a Slack incoming-webhook message.
	FormatSlack = "slack"
	// FormatAlertmanagerAPI is what Alertmanager's POST /api/v2/alerts
	// takes: firing alerts are posted on every check run.
	FormatAlertmanagerAPI = "alertmanager-api"
)

// Threshold is a warning and/or critical level for one check. Levels are
// numbers in the check's unit: percent, count, or seconds for ages.
type Threshold struct {
	Check   string
	Warning *float64
	// Severity is set instead of levels for pass/fail checks
	// (rdb_save_failed): "warning" or "critical".
	Severity string
	Critical *float64
	Pos      Pos
}

// Cron says where the managed crontab block is installed and how its lines
// call redisplan.
type Cron struct {
	// ID, when set, names the block instead of the target, and records
	// the owner of the block as this id instead of the spec's path and
	// the target (see internal/owner).
	ID string
	// File is a cron.d file; User a user crontab. Exactly one is set.
	File string
	User string
	// RunAs is the user column of a cron.d line.
	RunAs string
	// Binary is the absolute path of redisplan used in the lines.
	Binary string
	// Log, when set, is where the lines append their output.
	Log string
	// MailTo, when not nil, is the block's MAILTO: where cron mails what
	// the jobs print (a scheduled check prints only when something is
	// wrong); "" turns cron's mail off.
	MailTo *string
}

// ValidCronDName reports whether Debian's cron reads a cron.d file of this
// name. It reads /etc/cron.d with the run-parts rule, letters, digits, '_'
// and '-' only, and silently skips any other file, such as one with a dot.
func ValidCronDName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// SystemdTimers is a directory where each schedule of a target is a
// .service and .timer pair.
type SystemdTimers struct {
	// ID, when set, names the files instead of the target and records
	// their owner, as Cron.ID does.
	ID string
	// Dir is the directory the units are written to, such as
	// /etc/systemd/system.
	Dir string
	// RunAs is the User= of the services; empty runs them as root.
	RunAs string
	// Binary is the absolute path of redisplan in ExecStart; empty uses
	// the path of the redisplan that renders.
	Binary string
	// RandomizedDelay spreads the start of each run over this long
	// (RandomizedDelaySec=); zero adds none.
	RandomizedDelay time.Duration
	Pos             Pos
}

// KubeCronJobs is a directory where each schedule of a target is a
// batch/v1 CronJob manifest.
type KubeCronJobs struct {
	// ID, when set, names the manifests and CronJobs instead of the
	// target and records their owner, as Cron.ID does.
	ID        string
	Dir       string
	Namespace string
	// Image is the container image holding redisplan as its entrypoint.
	Image string
	// ConfigMap holds the spec files; it is mounted where the jobs read
	// their spec from.
	ConfigMap string
	// Secret holds one key per variable in Variables.
	Secret string
	// Variables are the spec variables the jobs take from Secret as
	// REDISPLAN_VAR_<name>: the sensitive ones and those without a
	// default. Sorted.
	Variables []string
	// TimeZone is the CronJob's timeZone (an IANA name); empty leaves the
	// controller's.
	TimeZone string
	// StartingDeadline is how late a missed run may still start.
	StartingDeadline time.Duration
	// ImagePullPolicy is "Always", "IfNotPresent" or "Never"; empty leaves
	// Kubernetes' default.
	ImagePullPolicy string
	// ServiceAccount is the pod's serviceAccountName (for IRSA or
	// workload identity); empty uses the namespace's default.
	ServiceAccount string
	// VolumeClaim is a PersistentVolumeClaim mounted where the jobs keep
	// their check state and backup lock; empty keeps the check state
	// beside the backups and the lock in a scratch volume.
	VolumeClaim string
	// EnvFromSecrets are Secrets whose every key becomes an environment
	// variable of the jobs (envFrom), such as AWS credentials.
	EnvFromSecrets []string
	// Requests and Limits are the container's resources, by resource
	// name ("cpu", "memory", "ephemeral-storage"), as Kubernetes
	// quantities ("100m", "256Mi").
	Requests map[string]string
	Limits   map[string]string
	// Security is the pods' security context.
	Security KubeSecurity
	Pos      Pos
}

// KubeSecurity is what a CronJob's pods run as. The zero value is the
// default: not as root (runAsNonRoot), on a read-only root filesystem.
type KubeSecurity struct {
	// AllowRoot leaves runAsNonRoot out (run_as_non_root = false).
	AllowRoot bool
	// WritableRoot leaves readOnlyRootFilesystem out
	// (read_only_root_filesystem = false).
	WritableRoot bool
	// RunAsUser, RunAsGroup and FSGroup are nil to keep the image's user
	// (and no fsGroup).
	RunAsUser  *int64
	RunAsGroup *int64
	FSGroup    *int64
}
