package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/redisplan/redisplan/cmd/redisplan/internal/arguments"
	"github.com/redisplan/redisplan/executors/check"
	"github.com/redisplan/redisplan/executors/notify"
	"github.com/redisplan/redisplan/internal/fsutil"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/operations"
)

// checkOutput is check -json: the report, plus what notification did.
type checkOutput struct {
	check.Report
	Deliveries []notify.Delivery `json:"deliveries"`
}

func runCheck(ctx context.Context, env *cmdEnv, args []string) int {
	// A command line that cannot be run is UNKNOWN, as Nagios has it:
	// exit 1 would read as a WARNING about the servers.
	a, err := arguments.ParseCheck(args)
	if code, done := parsed(env, "check", err, int(check.Unknown)); done {
		return code
	}
	sf, format, out := specFlagsOf(a.Spec), a.Format, a.Out
	_, selected, ok := loadTargets(env, &sf, a.Targets, "check")
	if !ok {
		return int(check.Unknown)
	}
	r, err := operations.Check(ctx, operations.CheckOptions{
		Targets: selected, Notify: a.Notify, StateDir: a.StateDir, Sender: env.sender,
	})
	if err != nil {
		fmt.Fprintf(env.stderr, "redisplan check: %v\n", err)
		return int(check.Unknown)
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
		check.WriteTable(&b, r.Report, !sf.noColor && isTerminal(env.stdout))
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
	} else {
		fmt.Fprint(env.stdout, b.String())
	}
	for _, d := range r.Deliveries {
		if !d.Delivered {
			fmt.Fprintf(env.stderr, "warning: alert delivery to %s failed after %d attempt(s): %s\n", d.URL, d.Attempts, d.Error)
		}
	}
	return int(r.Report.Status)
}

// alertFailure sends a critical alert for a failed backup or restore to
// the target's notify destinations and reports delivery problems as
// warnings, which never change the command's own exit code.
func alertFailure(ctx context.Context, env *cmdEnv, t *model.Target, checkName, summary string, cause error) {
	for _, p := range operations.AlertFailure(ctx, env.sender, t, checkName, summary, cause) {
		fmt.Fprintf(env.stderr, "warning: %s\n", p)
	}
}
