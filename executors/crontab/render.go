// Package crontab renders and installs the block of crontab lines that
// runs a target's scheduled backups and health checks.
package crontab

import (
	"fmt"
	"strings"

	"github.com/redisplan/redisplan/internal/model"
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

// BeginMarker and EndMarker delimit the block of one target. Everything
// outside them belongs to someone else and is kept as it is.
func BeginMarker(target string) string { return "# BEGIN redisplan " + target }

// EndMarker is the line that closes a target's block.
func EndMarker(target string) string { return "# END redisplan " + target }

// Lines returns the managed block of a target (markers included), or nil
// when the target schedules nothing.
func Lines(t *model.Target, opts RenderOptions) []string {
	type job struct {
		schedule string
		args     []string
	}
	var jobs []job
	if t.Backup != nil && t.Backup.Schedule != "" {
		jobs = append(jobs, job{t.Backup.Schedule, []string{"backup", "run"}})
	}
	if t.Alerts != nil && t.Alerts.Schedule != "" {
		jobs = append(jobs, job{t.Alerts.Schedule, []string{"check", "-notify"}})
	}
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
	out := []string{BeginMarker(t.Name)}
	for _, j := range jobs {
		argv := append([]string{binary}, j.args...)
		argv = append(argv, "-no-color", "-config", opts.Config)
		for _, f := range opts.VarFiles {
			argv = append(argv, "-var-file", f)
		}
		argv = append(argv, "-target", t.Name)
		var line strings.Builder
		line.WriteString(j.schedule)
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
	return append(out, EndMarker(t.Name))
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
	q := "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	return strings.ReplaceAll(q, "%", `\%`)
}
