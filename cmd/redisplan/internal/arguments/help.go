package arguments

import (
	"flag"
	"fmt"
	"github.com/redisplan/redisplan/executors/drill"
	"io"
	"strings"
)

// command is what parsing and help know of one command.
type command struct {
	name     string // as typed after "redisplan": "backup prune"
	synopsis string // one line, for the list of commands
	usage    string // the line after "Usage: redisplan "
	about    string // what it does, in a few sentences
	examples []string

	// maxArgs is how many arguments it takes (-1: any number); takes
	// says which, after "<name> takes"; argName names one of them.
	maxArgs int
	takes   string
	argName string
	// hint says where what a stray argument probably meant goes.
	hint string
	// pathArgs is true when its arguments are spec files (fmt).
	pathArgs bool
	flags    func(fs *flag.FlagSet)
}

const (
	targetHint = "a target is chosen with -target"
	specHint   = "the spec is named with -config PATH"
)

var commandList = []*command{
	{
		name:     "validate",
		synopsis: "Check the spec: syntax, types, values, schedules",
		usage:    "validate [-json] [-config PATH] [-var name=value] [-var-file FILE]",
		about: "Loads the spec, checks its syntax, types and values, and runs the policy rules, without\n" +
			"contacting any server. Every problem is reported at once, with file:line:col.\n" +
			"Exit 0 when the spec is valid, 1 otherwise.",
		examples: []string{"redisplan validate -config redis.hcl", "redisplan validate -json -config /etc/redisplan"},
		takes:    "no arguments", hint: specHint,
		flags: func(fs *flag.FlagSet) { new(Validate).define(fs) },
	},
	{
		name:     "fmt",
		synopsis: "Rewrite spec files in canonical HCL formatting",
		usage:    "fmt [-check] [-diff] [-write=false] [PATH...]",
		about: "Rewrites spec files in canonical HCL formatting. A PATH is a file, or a directory whose\n" +
			"*.hcl files are formatted; without one, -config (default .) is formatted. A PATH of - reads\n" +
			"the spec from standard input and writes it formatted to standard output (what editors call).\n" +
			"Exit 0 when nothing needed formatting or it was done, 3 with -check when a file needs it, 1 on error.",
		examples: []string{"redisplan fmt -check -diff redis.hcl", "redisplan fmt /etc/redisplan", "redisplan fmt - < redis.hcl"},
		maxArgs:  -1, takes: "files and directories", argName: "a path", pathArgs: true,
		flags: func(fs *flag.FlagSet) { new(Fmt).define(fs) },
	},
	{
		name:     "render",
		synopsis: "Print the redis.conf or crontab lines the spec produces",
		usage:    "render [-target NAME] [-o DIR] [redis.conf|crontab|systemd|kubernetes|prometheus-rules]",
		about: "Prints what the spec produces: a target's redis.conf (the default), the crontab lines,\n" +
			"the systemd units or Kubernetes CronJobs of its cron blocks, or Prometheus alerting rules.\n" +
			"With -o it writes files instead, mode 0600 and secrets included. Nothing is contacted.",
		examples: []string{"redisplan render -config redis.hcl -target main", "redisplan render -config redis.hcl -o out crontab"},
		maxArgs:  1, takes: "one argument, what to render (" + choices(RenderKinds) + ")", argName: "a thing to render",
		hint:  targetHint,
		flags: func(fs *flag.FlagSet) { new(Render).define(fs) },
	},
	{
		name:     "plan",
		synopsis: "Show what differs between the spec, the live server and its files",
		usage:    "plan [-out FILE] [-json] [-format text|json|markdown] [-detailed-exitcode] [-target NAME]",
		about: "Reads each target's live configuration and files and shows what apply would change.\n" +
			"Nothing is changed. -out saves the plan for apply PLANFILE.\n" +
			"Exit 0, 1 on error, and 2 with -detailed-exitcode when something would change.",
		examples: []string{"redisplan plan -config redis.hcl", "redisplan plan -config redis.hcl -target main -out main.plan"},
		takes:    "no arguments", hint: specHint + "; " + targetHint,
		flags: func(fs *flag.FlagSet) { new(Plan).define(fs) },
	},
	{
		name:     "apply",
		synopsis: "Make the live server and its files match the spec",
		usage:    "apply [-auto-approve] [-allow-restart] [-allow-policy-errors] [-json] [-target NAME] [PLANFILE]",
		about: "Plans, asks for confirmation, and makes the live servers and their files match the spec.\n" +
			"With PLANFILE (saved by plan -out) it applies exactly that plan, and refuses it when anything\n" +
			"it was made from has changed since. Changes that need a restart wait for -allow-restart.",
		examples: []string{"redisplan apply -config redis.hcl", "redisplan apply -config redis.hcl main.plan"},
		maxArgs:  1, takes: "one argument, a plan file saved by plan -out", argName: "a plan file",
		hint:  specHint + "; " + targetHint,
		flags: func(fs *flag.FlagSet) { new(Apply).define(fs) },
	},
	{
		name:     "lint",
		synopsis: "Report policy findings for review (exit 1 at or above -fail-on)",
		usage:    "lint [-config PATH] [-var name=value] [-format text|json|github|gitlab|sarif|markdown] [-fail-on warning|error] [-target NAME]",
		about: "Reports the Redis risk rules and the spec's own policy blocks, with their suppressions,\n" +
			"in formats CI systems read. Nothing is contacted.\n" +
			"Exit 1 when an unsuppressed finding is at or above -fail-on, else 0.",
		examples: []string{"redisplan lint -config redis.hcl", "redisplan lint -config redis.hcl -format github -fail-on warning"},
		takes:    "no arguments", hint: specHint + "; " + targetHint,
		flags: func(fs *flag.FlagSet) { new(Lint).define(fs) },
	},
	{
		name:     "backup",
		synopsis: "Take, list, verify, prune and import backups: backup run|list|verify|prune|import",
		usage:    "backup run|list|verify|prune|import [flags]",
		about: "Takes, lists, verifies and prunes the backups of the targets that have a backup block, and\n" +
			"imports gzipped RDB files made by other tools into their catalog.",
		examples: []string{"redisplan backup run -config redis.hcl -target main", "redisplan backup prune -config redis.hcl -dry-run"},
	},
	{
		name:     "backup run",
		synopsis: "Take a verified backup of each selected target, then apply retention",
		usage:    "backup run [-target NAME] [-no-prune]",
		about: "Takes a backup of each selected target that has a backup block, verifies it, copies it to\n" +
			"each copy_to destination, and then applies the retention (unless -no-prune).\n" +
			"Exit 0 when every backup succeeded, 1 otherwise.",
		examples: []string{"redisplan backup run -config redis.hcl -target main"},
		takes:    "no arguments", hint: targetHint,
		flags: func(fs *flag.FlagSet) { new(BackupRun).define(fs) },
	},
	{
		name:     "backup list",
		synopsis: "List the backups in the catalog",
		usage:    "backup list [-target NAME] [-destination DEST] [-json]",
		about:    "Lists the complete backups of each selected target, oldest first. Nothing is changed.",
		examples: []string{"redisplan backup list -config redis.hcl -target main"},
		takes:    "no arguments", hint: targetHint,
		flags: func(fs *flag.FlagSet) { new(BackupList).define(fs) },
	},
	{
		name:     "backup verify",
		synopsis: "Read a backup back through its checksums; -drill restores it on a scratch server",
		usage:    "backup verify [-target NAME] [-destination DEST] [-identity FILE] [-drill] [ID|latest]",
		about: "Reads a backup (the latest without ID) through its checksums and checks its RDB structure.\n" +
			"With -drill it also restores it into a scratch redis-server and compares its keys.\n" +
			"Nothing is changed. Exit 0 when it is intact (and the drill passed), 1 otherwise.",
		examples: []string{"redisplan backup verify -config redis.hcl -target main -drill latest"},
		maxArgs:  1, takes: "one argument, a backup ID or latest", argName: "a backup ID",
		hint:  targetHint,
		flags: func(fs *flag.FlagSet) { new(BackupVerify).define(fs) },
	},
	{
		name:     "backup prune",
		synopsis: "Delete the backups no retention rule keeps",
		usage:    "backup prune [-target NAME] [-destination DEST] [-dry-run]",
		about: "Applies the spec's retention to the destination and every copy_to destination: prints\n" +
			"each backup with the rule that keeps it, and deletes the others. -dry-run deletes nothing.",
		examples: []string{"redisplan backup prune -config redis.hcl -target main -dry-run"},
		takes:    "no arguments", hint: targetHint,
		flags: func(fs *flag.FlagSet) { new(BackupPrune).define(fs) },
	},
	{
		name:     "backup import",
		synopsis: "Verify gzipped RDB files (the seed scripts' backups) and add them to the catalog",
		usage:    "backup import -target NAME [-metadata-dir DIR] [-no-load] FILE.rdb.gz...",
		about: "Checks each gzipped RDB file (gzip stream, the SHA-256 its .meta JSON records, RDB structure\n" +
			"and CRC-64, and that a scratch redis-server loads it, unless -no-load) and stores it in the\n" +
			"target's catalog as backup run would. The files are only read. A name that is not a file stops\n" +
			"the line before anything is imported; a damaged file is refused and the others are still imported.\n" +
			"Exit 0 when every file was imported or already was, 1 otherwise.",
		examples: []string{
			"redisplan backup import -config redis.hcl -target main /srv/redis-backups/rdb/dump_*.rdb.gz",
			"redisplan backup import -config redis.hcl -target main -no-load dump_20251112_030000.rdb.gz",
		},
		maxArgs: -1, takes: "files to import", argName: "a file to import",
		hint:  targetHint,
		flags: func(fs *flag.FlagSet) { new(BackupImport).define(fs) },
	},
	{
		name:     "restore",
		synopsis: "Restore a backup, with verification and automatic rollback",
		usage:    "restore -target NAME (-latest | ID | -file PATH | -to-time TIME|latest) [-plan] [-destination DEST] [-from-other-spec] [-auto-approve] [-identity FILE] [-keep-safety-copy=false] [-stage-first]",
		about: "Restores a backup (or a plain RDB file) into a target: checks it, stops the server, keeps its\n" +
			"data files in a safety copy, puts the backup in place (from a backup directory, streamed into\n" +
			"the server as it loads, verified on the way; otherwise, or with -stage-first, verified while\n" +
			"written beside the data before the stop) and starts it again; if a check fails or the keys do\n" +
			"not match, it rolls back. Asks for confirmation.\n" +
			"-to-time restores the data as it was at a time: the newest base backup before it plus the\n" +
			"archived writes up to it (redisplan archive). When the server is down and its data dir is\n" +
			"gone, the dir is made again and the server started with the target's service start command.\n" +
			"-plan says what would be restored and changes nothing.",
		examples: []string{"redisplan restore -config redis.hcl -target main -latest", "redisplan restore -config redis.hcl -target main 20261129T030000.000Z",
			"redisplan restore -config redis.hcl -target main -to-time 2026-12-04T14:04:59Z -plan"},
		maxArgs: 1, takes: "one argument, a backup ID (or use -latest, -file PATH or -to-time TIME)", argName: "a backup ID",
		hint:  targetHint,
		flags: func(fs *flag.FlagSet) { new(Restore).define(fs) },
	},
	{
		name:     "check",
		synopsis: "Health checks and alerts from the spec's thresholds (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)",
		usage:    "check [-json] [-format text|json|nagios|prometheus] [-o FILE] [-notify] [-quiet] [-state-dir DIR] [-target NAME]",
		about: "Checks each target against the spec's alert thresholds and, with -notify, sends firing and\n" +
			"resolved alerts. Exit codes follow Nagios: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN\n" +
			"(also for a command line that cannot be run).",
		examples: []string{"redisplan check -config redis.hcl", "redisplan check -config redis.hcl -format prometheus -o /var/lib/node_exporter/redis.prom"},
		takes:    "no arguments", hint: specHint + "; " + targetHint,
		flags: func(fs *flag.FlagSet) { new(Check).define(fs) },
	},
	{
		name:     "archive",
		synopsis: "Archive a target's write stream continuously, for point-in-time recovery",
		usage:    "archive -target NAME [-config PATH]",
		about: "Follows the target's server as a replica and stores its write stream beside the base backups,\n" +
			"in segments committed at least every archive flush (1s by default), taking a base backup when\n" +
			"the stream cannot be continued. Runs in the foreground until SIGTERM or SIGINT, then commits\n" +
			"what it received and exits 0. See docs/archive.md.",
		examples: []string{"redisplan archive -config redis.hcl -target main"},
		takes:    "no arguments", hint: targetHint,
		flags: func(fs *flag.FlagSet) { new(Archive).define(fs) },
	},
	{
		name:     "drill",
		synopsis: "Measure recovery objectives: drill rpo|rto|pitr",
		usage:    "drill rpo|rto|pitr -target NAME [flags]",
		about:    "Measures the recovery point and time objectives on scratch servers, against the spec's rpo and rto.",
		examples: []string{"redisplan drill rpo -config redis.hcl -target main", "redisplan drill rto -config redis.hcl -target main",
			"redisplan drill pitr -config redis.hcl -target main"},
	},
	{
		name:     "drill rpo",
		synopsis: "Crash a scratch copy of the persistence settings and count the writes lost",
		usage:    "drill rpo -target NAME [-runs N] [-duration D] [-seed N] [-json]",
		about: "Starts a scratch redis-server with the target's persistence settings, writes to it, kills\n" +
			"it at a random moment, and counts the acknowledged writes that did not survive.\n" +
			"The target's server is not touched. Exit 0 when the spec's rpo is met, 1 otherwise.",
		examples: []string{"redisplan drill rpo -config redis.hcl -target main -runs 5"},
		takes:    "no arguments", hint: targetHint,
		flags: func(fs *flag.FlagSet) { new(DrillRPO).define(fs) },
	},
	{
		name:     "drill pitr",
		synopsis: "Lose a scratch server's host and count the archived writes that come back",
		usage:    "drill pitr -target NAME [-runs N] [-duration D] [-seed N] [-json]",
		about: "Starts a scratch redis-server with the target's persistence settings, archives it into a\n" +
			"scratch destination, writes to it, kills it and removes its data dir, restores it with\n" +
			"restore -to-time latest and counts the acknowledged writes missing. The target's server\n" +
			"and archive are not touched. Exit 0 when the spec's rpo is met, 1 otherwise.",
		examples: []string{"redisplan drill pitr -config redis.hcl -target main -runs 3"},
		takes:    "no arguments", hint: targetHint,
		flags: func(fs *flag.FlagSet) { new(DrillPITR).defineRuns(fs, drill.DefaultPITRRuns) },
	},
	{
		name:     "drill rto",
		synopsis: "Time the restore of a backup into a scratch server",
		usage:    "drill rto -target NAME [-backup ID|latest] [-identity FILE] [-json]",
		about: "Verifies a backup and restores it into a scratch redis-server, timing each step and\n" +
			"comparing the keys. The target's server is not touched. Exit 0 when the spec's rto is met, 1 otherwise.",
		examples: []string{"redisplan drill rto -config redis.hcl -target main -backup latest"},
		takes:    "no arguments", hint: "the backup is chosen with -backup ID; " + targetHint,
		flags: func(fs *flag.FlagSet) { new(DrillRTO).define(fs) },
	},
	{
		name:     "version",
		synopsis: "Print redisplan's version (-json: with the commit, Go version and platform)",
		usage:    "version [-json]",
		about: "Prints the version: a release's version, the module version of `go install ...@VERSION`,\n" +
			"or, for a build from a checkout, the commit it was built from (with -modified when the tree\n" +
			"had uncommitted changes).",
		examples: []string{"redisplan version", "redisplan version -json"},
		takes:    "no arguments",
		flags:    func(fs *flag.FlagSet) { new(Version).define(fs) },
	},
	{
		name:     "completion",
		synopsis: "Print a shell completion script: completion bash|zsh|fish",
		usage:    "completion bash|zsh|fish",
		about: "Prints a script that completes redisplan's commands, subcommands and flags in the shell.\n" +
			"Load it from the shell's start-up file, or install it where the shell looks for completions.",
		examples: []string{"source <(redisplan completion bash)", "redisplan completion fish > ~/.config/fish/completions/redisplan.fish"},
		maxArgs:  1, takes: "one argument, the shell (" + choices(Shells) + ")", argName: "a shell",
		flags: func(*flag.FlagSet) {},
	},
	{
		name:     "man",
		synopsis: "Print the manual page (roff), made from this help",
		usage:    "man",
		about:    "Prints redisplan(1) in roff, from the same text as the help of each command.",
		examples: []string{"redisplan man > /usr/local/share/man/man1/redisplan.1"},
		takes:    "no arguments",
		flags:    func(*flag.FlagSet) {},
	},
}

func lookup(name string) *command {
	for _, c := range commandList {
		if c.name == name {
			return c
		}
	}
	panic("arguments: no command " + name)
}

// Synopsis is the one-line description of a command, for the list of
// commands.
func Synopsis(name string) string {
	for _, c := range commandList {
		if c.name == name {
			return c.synopsis
		}
	}
	return ""
}

// Help writes the help of a command ("plan", "backup", "backup prune")
// to w. It returns false when there is no such command.
func Help(w io.Writer, name string) bool {
	var c *command
	for _, cc := range commandList {
		if cc.name == name {
			c = cc
		}
	}
	if c == nil {
		return false
	}
	fmt.Fprintf(w, "Usage: redisplan %s\n\n%s\n", c.usage, c.about)
	if c.flags == nil {
		fmt.Fprintln(w, "\nSubcommands:")
		for _, sub := range commandList {
			if rest, ok := strings.CutPrefix(sub.name, c.name+" "); ok {
				fmt.Fprintf(w, "  %-8s %s\n", rest, sub.synopsis)
			}
		}
		fmt.Fprintf(w, "\nRun 'redisplan %s <subcommand> -help' for a subcommand's flags.\n", c.name)
	} else {
		fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
		c.flags(fs)
		fs.SetOutput(w)
		fmt.Fprintln(w, "\nFlags (they go before any argument):")
		fs.PrintDefaults()
	}
	fmt.Fprintln(w, "\nExample:")
	for _, e := range c.examples {
		fmt.Fprintf(w, "  %s\n", e)
	}
	return true
}
