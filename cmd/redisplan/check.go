package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redisplan/redisplan/cmd/redisplan/internal/arguments"
	"github.com/redisplan/redisplan/executors/check"
	"github.com/redisplan/redisplan/executors/notify"
	"github.com/redisplan/redisplan/internal/fsutil"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/operations"
)

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
		if arguments.WantsNagios(args) {
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
	res, diags := loadQuiet(env, a.Spec)
	// A scheduled -quiet run shows the spec's warnings only when it
	// shows something else too: they would be mailed every run.
	showDiags := func() { writeDiagnostics(env.stderr, res.Files, diags, env.color(env.stderr, a.Spec.NoColor)) }
	if diags.HasErrors() || !a.Quiet && len(diags) > 0 {
		showDiags()
	}
	if diags.HasErrors() {
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
	if a.Quiet && len(diags) > 0 && !r.AllWell() {
		showDiags()
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(env.stderr, "warning: %s\n", w)
	}

	var b strings.Builder
	switch a.Format {
	case "json":
		writeJSON(&b, checkOutput{Report: r.Report, Deliveries: r.Deliveries})
	case "nagios":
		check.WriteNagios(&b, r.Report)
	case "prometheus":
		check.WritePrometheus(&b, r.Report, r.Metrics)
	default:
		check.WriteTable(&b, r.Report, env.color(env.stdout, a.Spec.NoColor))
		for _, d := range r.Deliveries {
			if !d.Delivered {
				fmt.Fprintf(&b, "Alert delivery to %s failed after %d attempt(s): %s\n", d.URL, d.Attempts, d.Error)
			}
		}
	}
	if a.Out != "" {
		if err := fsutil.WriteFileMode(a.Out, []byte(b.String()), 0o644); err != nil {
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

// alertFailure sends a critical alert for a failed backup or restore
// (operations.AlertFailure) and reports delivery problems as warnings,
// which never change the command's own exit code.
func alertFailure(ctx context.Context, env *cmdEnv, t *model.Target, checkName, summary string, cause error) {
	for _, p := range operations.AlertFailure(ctx, env.sender, t, checkName, summary, cause) {
		fmt.Fprintf(env.stderr, "warning: %s\n", p)
	}
}
