// Package crontab renders and installs the block of crontab lines that
// runs a target's scheduled backups and health checks.
package crontab

import (
	"fmt"
	"strings"

	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/owner"
)

// RenderOptions carries what the lines need besides the target.
type RenderOptions struct {
	// Binary is the absolute path of redisplan, used when the spec's cron
	// block names none.
	Binary string
	// Config is the absolute path of the spec (file or directory).
	Config string
	// VarFiles are absolute -var-file paths the lines pass on. Values
	// given with -var are never written into a crontab: they may be
	// secrets.
	VarFiles []string
}

// Job is one scheduled command of a target. Every schedule engine (the
// crontab, systemd timers, Kubernetes CronJobs) runs the same jobs with
// the same command line.
type Job struct {
	// Name is "backup" or "check": it ends unit and CronJob names.
	Name     string
	Schedule string
	Args     []string
}

// Jobs are the target's scheduled commands: the backup schedule runs
// backup run, the alerts schedule check -notify -quiet.
func Jobs(t *model.Target) []Job {
	var jobs []Job
	if t.Backup != nil && t.Backup.Schedule != "" {
		jobs = append(jobs, Job{"backup", t.Backup.Schedule, []string{"backup", "run"}})
	}
	if t.Alerts != nil && t.Alerts.Schedule != "" {
		// -quiet: a check that finds everything well prints nothing, so
		// cron mails (and logs keep) only what needs a person.
		jobs = append(jobs, Job{"check", t.Alerts.Schedule, []string{"check", "-notify", "-quiet"}})
	}
	return jobs
}

// ArchiveJob is the target's long-running job: redisplan archive, which
// follows the server's write stream until it is stopped. It has no
// schedule: a systemd service or a Kubernetes Deployment keeps it
// running, and cron cannot (see Lines). ok is false when the target has
// no archive block.
func ArchiveJob(t *model.Target) (j Job, ok bool) {
	if t.Backup == nil || t.Backup.Archive == nil {
		return Job{}, false
	}
	return Job{Name: "archive", Args: []string{"archive"}}, true
}

// Argv is the command line of one job of target: the binary, the job's
// arguments, the spec, the -var-file paths and the target.
func (o RenderOptions) Argv(binary string, j Job, target string) []string {
	argv := append([]string{binary}, j.Args...)
	argv = append(argv, "-no-color", "-config", o.Config)
	for _, f := range o.VarFiles {
		argv = append(argv, "-var-file", f)
	}
	return append(argv, "-target", target)
}

// BeginMarker and EndMarker delimit a named block: a target's, named
// after the target or its cron block's id. Everything outside them
// belongs to someone else and is kept as it is.
func BeginMarker(name string) string { return "# BEGIN redisplan " + name }

// EndMarker is the line that closes a block.
func EndMarker(name string) string { return "# END redisplan " + name }

// BlockName is the name of t's block: its cron block's id, or the target's
// name when the block has no id.
func BlockName(t *model.Target) string {
	if t.Cron != nil && t.Cron.ID != "" {
		return t.Cron.ID
	}
	return t.Name
}

// Owner is who t's block belongs to when opts render it: the cron block's
// id, or the spec (opts.Config) and the target.
func Owner(t *model.Target, opts RenderOptions) owner.Owner {
	o := owner.Owner{Spec: opts.Config, Target: t.Name}
	if t.Cron != nil {
		o.ID = t.Cron.ID
	}
	return o
}

// Lines returns the managed block of a target (markers included, the
// owner line after the begin marker), or nil when the target schedules
// nothing.
func Lines(t *model.Target, opts RenderOptions) []string {
	jobs := Jobs(t)
	if len(jobs) == 0 {
		return nil
	}
	binary := opts.Binary
	user := ""
	log := ""
	if c := t.Cron; c != nil {
		if c.Binary != "" {
			binary = c.Binary
		}
		if c.File != "" {
			user = c.RunAs
		}
		log = c.Log
	}
	out := []string{BeginMarker(BlockName(t)), Owner(t, opts).Line()}
	out = append(out, Environment(t)...)
	for _, j := range jobs {
		argv := opts.Argv(binary, j, t.Name)
		var line strings.Builder
		line.WriteString(j.Schedule)
		line.WriteString(" ")
		if user != "" {
			line.WriteString(user + " ")
		}
		for i, a := range argv {
			if i > 0 {
				line.WriteString(" ")
			}
			line.WriteString(shellQuote(a))
		}
		if log != "" {
			fmt.Fprintf(&line, " >>%s 2>&1", shellQuote(log))
		}
		out = append(out, line.String())
	}
	if j, ok := ArchiveJob(t); ok {
		// cron starts a job at a time and never restarts it; the
		// archiver must run all the time, so the block says where to run
		// it instead of holding a line that would look like it does.
		out = append(out,
			"# redisplan archive (backup.archive) cannot run from cron: it runs all the time, and cron",
			"# neither keeps it running nor restarts it. Run it as a service: add cron { kind = \"systemd\" }",
			"# (a Restart=always unit) or kind = \"kubernetes\" (a Deployment), or have your supervisor run:",
			"#   "+commentLine(opts.Argv(binary, j, t.Name)))
	}
	return append(out, EndMarker(BlockName(t)))
}

// Path is the PATH the block's lines run with: cron's own is
// /usr/bin:/bin, without the sbin directories where redis-server,
// redis-check-aof and the service commands of a spec often are.
const Path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Environment is the block's environment lines: PATH, and MAILTO when the
// cron block sets mail_to. cron applies each to the lines below it in the
// same crontab, so a block after this one runs with them too.
func Environment(t *model.Target) []string {
	out := []string{"PATH=" + Path}
	if t.Cron != nil && t.Cron.MailTo != nil {
		v := *t.Cron.MailTo
		if v == "" {
			v = `""`
		}
		out = append(out, "MAILTO="+v)
	}
	return out
}

// commentLine writes argv quoted for a shell, as a person would type it.
func commentLine(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = ShellQuote(a)
	}
	return strings.Join(q, " ")
}

// Render returns the managed blocks of several targets as crontab text.
func Render(targets []*model.Target, opts RenderOptions) []byte {
	var b strings.Builder
	for _, t := range targets {
		for _, l := range Lines(t, opts) {
			b.WriteString(l + "\n")
		}
	}
	return []byte(b.String())
}

// shellQuote quotes an argument for the shell cron runs lines with. A %
// is special to cron itself (it starts stdin), so it is escaped too.
func shellQuote(s string) string {
	return strings.ReplaceAll(ShellQuote(s), "%", `\%`)
}

// ShellQuote quotes an argument for a POSIX shell when it needs it: in
// single quotes unless it is made only of letters, digits and -_./=:@,+.
func ShellQuote(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:@,+", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
