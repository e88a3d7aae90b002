package model

import (
	"context"
	"io/fs"

	"github.com/redisplan/redisplan/internal/owner"
)

// Inspector reads the current state of a target: its live server and its
// files. The implementation is in executors/live; the planner only reads
// the result.
type Inspector interface {
	Inspect(ctx context.Context, t *Target) (*State, error)
}

// State is what a target looks like right now: what an Inspector reads
// and the planner compares with the spec.
type State struct {
	Live *LiveState
	File *FileState
	Cron *CronState
	// Schedules are the directories of the target's systemd and
	// kubernetes cron blocks as they are, in the order of the planner's Input.Schedules.
	Schedules []ScheduleDir
	Error     error // set when the live server could not be read
}

// LiveState is what the running server reports.
type LiveState struct {
	// Version is redis_version from INFO ("7.0.15"); Server is "redis" or
	// "valkey".
	Version string
	Server  string
	RunID   string
	// Config is CONFIG GET * plus the hidden parameters fetched by name:
	// raw values as Redis prints them.
	Config map[string]string
	// Info holds the INFO fields (server, persistence, memory,
	// replication, keyspace sections) as key -> value.
	Info map[string]string
	// Loopback is true when redisplan talks to the server over loopback
	// or a unix socket (enable-protected-configs local applies).
	Loopback bool
	// ConfigSource says under which name the server answered CONFIG:
	// the spec's, the one in the managed config file (a rotation the
	// server has not taken yet), or none (the file disables CONFIG, and
	// Config is empty). The name itself is never kept here.
	ConfigSource ConfigSource
}

// ConfigSource says where the name the server answers CONFIG under came
// from.
type ConfigSource string

const (
	// ConfigFromSpec: the server knows the spec's name (or CONFIG).
	ConfigFromSpec ConfigSource = ""
	// ConfigFromFile: the server does not know the spec's name but answers
	// under the name of the config file's rename-command CONFIG line:
	// it runs with the previous name until it restarts.
	ConfigFromFile ConfigSource = "config_file"
	// ConfigDisabled: the config file renames CONFIG to "" and the server
	// does not know the spec's name: its configuration cannot be read or
	// changed while it runs.
	ConfigDisabled ConfigSource = "disabled"
)

// FileState is the managed redis.conf as it is on disk.
type FileState struct {
	Path   string
	Exists bool
	// Content is the file's bytes; empty when it does not exist.
	Content []byte
	// Mode is the file's permission bits (0 when unknown).
	Mode fs.FileMode
}

// CronState is the managed crontab block as it is installed.
type CronState struct {
	// Where is "/etc/cron.d/redisplan" or "crontab of redis".
	Where string
	// Content is the whole crontab or cron.d file, to keep every line
	// outside the block.
	Content []byte
	// Lines are the lines of this target's block, markers included; nil
	// when the block is absent.
	Lines []string
	// Previous, when the block is named after its cron block's id, are the
	// lines of the block named after the target (which this spec may have
	// written before it set the id), markers included; nil when absent.
	Previous []string
}

// ScheduleDir is a directory of schedule files of one cron block: the
// files the spec wants in it (in Input), or the target's files found in it
// (in State).
type ScheduleDir struct {
	// Kind is "systemd" or "kubernetes".
	Kind string
	Dir  string
	// Files are sorted by name.
	Files []ScheduleFile
	// Others (State only) are names in Dir that redisplan would use for
	// this target but that it did not write: they are never overwritten.
	Others []string
	// Owner (Input only) is who the block's files belong to: the cron
	// block's id, or this spec's absolute path and the target. A file of
	// another owner is never replaced or removed.
	Owner owner.Owner
}

// ScheduleFile is one schedule file's name in its directory and content.
type ScheduleFile struct {
	Name    string
	Content string
}

// RestoreHoldValue is the min-replicas-to-write a restore gives the
// restored server until its keys are checked, so that it refuses every
// write: never a user's value.
const RestoreHoldValue = "2147483647"
