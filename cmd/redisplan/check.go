package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redisplan/redisplan/cmd/redisplan/internal/arguments"
	"github.com/redisplan/redisplan/executors/check"
	"github.com/redisplan/redisplan/executors/notify"
	"github.com/redisplan/redisplan/internal/fsutil"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/operations"
)

// wantsNagios reports whether check's command line asks for -format
// nagios, read from the raw arguments: also when they do not parse, so
// that a bad flag still gets a Nagios status line.
func wantsNagios(args []string) bool {
	for i, a := range args {
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "format" {
			continue
		}
		if !hasValue && i+1 < len(args) {
			value = args[i+1]
		}
		if value == "nagios" {
			return true
		}
	}
	return false
}

// firstLine is the first line of a message, for a one-line status.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// checkOutput is check -json: the report, plus what notification did.
type checkOutput struct {
	check.Report
	Deliveries []notify.Delivery `json:"deliveries"`
}

func runCheck(ctx context.Context, env *cmdEnv, args []string) int {
	// A run that cannot check is UNKNOWN, as Nagios has it (exit 1 would
	// read as a WARNING about the servers), and a Nagios plugin answers
	// it with a status line on stdout too: the monitoring shows that line.
	unknown := func(why string) int {
		if wantsNagios(args) {
			fmt.Fprintf(env.stdout, "REDISPLAN UNKNOWN - redisplan check could not run: %s\n", why)
		}
		return int(check.Unknown)
	}
	a, err := arguments.ParseCheck(args)
	if _, done := parsed(env, "check", err, int(check.Unknown)); done {
		if errors.Is(err, arguments.ErrHelp) {
			return exitOK
		}
		return unknown("the command line is not valid (see its error on stderr)")
	}
	sf, format, out := specFlagsOf(a.Spec), a.Format, a.Out
	res, ok := loadSpec(env, &sf)
	if !ok {
		return unknown("the spec did not load (see its errors on stderr)")
	}
	selected, err := operations.SelectTargets(res.Spec, a.Targets)
	if err != nil {
		fmt.Fprintf(env.stderr, "redisplan check: %v\n", err)
		return unknown(firstLine(err.Error()))
	}
	r, err := operations.Check(ctx, operations.CheckOptions{
		Targets: selected, Notify: a.Notify, StateDir: a.StateDir, Sender: env.sender,
	})
	if err != nil {
		fmt.Fprintf(env.stderr, "redisplan check: %v\n", err)
		return unknown(firstLine(err.Error()))
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(env.stderr, "warning: %s\n", w)
	}

	var b strings.Builder
	switch format {
	case "json":
		writeJSON(&b, checkOutput{Report: r.Report, Deliveries: r.Deliveries})
	case "nagios":
		check.WriteNagios(&b, r.Report)
	case "prometheus":
		check.WritePrometheus(&b, r.Report, r.Metrics)
	default:
		check.WriteTable(&b, r.Report, env.color(env.stdout, sf.noColor))
		for _, d := range r.Deliveries {
			if !d.Delivered {
				fmt.Fprintf(&b, "Alert delivery to %s failed after %d attempt(s): %s\n", d.URL, d.Attempts, d.Error)
			}
		}
	}
	if out != "" {
		if err := fsutil.WriteFileMode(out, []byte(b.String()), 0o644); err != nil {
			fmt.Fprintf(env.stderr, "redisplan check: %v\n", err)
			return int(check.Unknown)
		}
	} else if !a.Quiet || !r.AllWell() {
		fmt.Fprint(env.stdout, b.String())
	}
	for _, d := range r.Deliveries {
		if !d.Delivered {
			fmt.Fprintf(env.stderr, "warning: alert delivery to %s failed after %d attempt(s): %s\n", d.URL, d.Attempts, d.Error)
		}
	}
	return int(r.Report.Status)
}

// alertTimeout bounds the delivery of a failure alert.
const alertTimeout = 10 * time.Second

// alertFailure sends a critical alert for a failed backup or restore to
// the target's notify destinations and reports delivery problems as
// warnings, which never change the command's own exit code. It is sent
// even when ctx was cancelled (an interrupted restore is the failure that
// most needs its alert), within alertTimeout.
func alertFailure(ctx context.Context, env *cmdEnv, t *model.Target, checkName, summary string, cause error) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), alertTimeout)
	defer cancel()
	for _, p := range operations.AlertFailure(actx, env.sender, t, checkName, summary, cause) {
		fmt.Fprintf(env.stderr, "warning: %s\n", p)
	}
}
