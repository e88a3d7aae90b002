package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/redisplan/redisplan/cmd/redisplan/internal/arguments"
	"github.com/redisplan/redisplan/executors/drill"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/operations"
)

const drillUsage = "Usage: redisplan drill rpo|rto|pitr -target NAME [flags]"

func runDrill(ctx context.Context, env *cmdEnv, args []string) int {
	return subcommand(ctx, env, "drill", args, map[string]func(context.Context, *cmdEnv, []string) int{
		"rpo":  parsedBy("drill rpo", arguments.ParseDrillRPO, runDrillRPO),
		"rto":  parsedBy("drill rto", arguments.ParseDrillRTO, runDrillRTO),
		"pitr": parsedBy("drill pitr", arguments.ParseDrillPITR, runDrillPITR),
	}, drillUsage, "\n"+drillUsage)
}

// subcommand runs command's subcommand args[0] with the rest of args;
// without one it prints usage, and after an unknown one, more.
func subcommand(ctx context.Context, env *cmdEnv, command string, args []string, subs map[string]func(context.Context, *cmdEnv, []string) int, usage, more string) int {
	if len(args) == 0 {
		fmt.Fprintln(env.stderr, usage)
		return exitError
	}
	if run, ok := subs[args[0]]; ok {
		return run(ctx, env, args[1:])
	}
	switch args[0] {
	case "-h", "-help", "--help":
		arguments.Help(env.stdout, command)
		return exitOK
	}
	fmt.Fprintf(env.stderr, "redisplan %s: unknown subcommand %q%s\n", command, args[0], more)
	return exitError
}

// oneTarget loads the spec and returns the one target -target names;
// need says so when there is not exactly one.
func oneTarget(env *cmdEnv, s arguments.Spec, names []string, cmd, need string) (*model.Target, bool) {
	_, selected, ok := loadTargets(env, s, names, cmd)
	if !ok {
		return nil, false
	}
	if len(names) != 1 || len(selected) != 1 {
		fmt.Fprintf(env.stderr, "redisplan %s: %s\n", cmd, need)
		return nil, false
	}
	return selected[0], true
}

func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// verdictExit is the exit status of a judged drill.
func verdictExit(pass bool) int {
	if pass {
		return exitOK
	}
	return exitError
}

func runDrillRPO(ctx context.Context, env *cmdEnv, a *arguments.DrillRPO) int {
	return runOneDrill(env, "drill rpo", a.Spec, a.Targets, a.JSON, func(t *model.Target, emit progress.Sink) (operations.RPOReport, error) {
		return operations.RPODrill(ctx, t, drill.RPOOptions{Runs: a.Runs, Duration: a.Duration, Seed: a.Seed, Emit: emit})
	}, writeRPOText, func(r operations.RPOReport) bool { return r.Pass })
}

// runOneDrill runs a drill of the one target of the command line, its
// progress on stderr (JSON lines with -json) and its figures on stdout,
// as JSON or as text; the exit status is its verdict.
func runOneDrill[R interface{ Judged() bool }](env *cmdEnv, cmd string, spec arguments.Spec, targets []string, asJSON bool,
	run func(*model.Target, progress.Sink) (R, error), text func(io.Writer, R, *model.Target), pass func(R) bool) int {
	t, ok := oneTarget(env, spec, targets, cmd, "a drill needs exactly one -target")
	if !ok {
		return exitError
	}
	view := newProgressView(env, env.stderr, asJSON)
	defer view.close()
	rep, err := run(t, view.sink(t.Name).With(progress.Event{Operation: progress.OpDrill}))
	var se *operations.SourceError
	switch {
	case errors.As(err, &se):
		fmt.Fprintf(env.stderr, "redisplan %s: %v\n", cmd, err)
		return exitError
	case err != nil:
		if asJSON && rep.Judged() {
			writeJSON(env.stdout, rep) // pass false, the error as reason
		}
		fmt.Fprintf(env.stderr, "Error: %v\n", err)
		return exitError
	case asJSON:
		writeJSON(env.stdout, rep)
	default:
		text(env.stdout, rep, t)
	}
	return verdictExit(pass(rep))
}

func writeRPOText(w io.Writer, rep operations.RPOReport, t *model.Target) {
	fmt.Fprintf(w, "RPO drill of redis.%s: %d crashes (%s) of a scratch %s with %s\n\n",
		rep.Target, len(rep.Runs), rep.Crash, scratchServer(rep.Server), rep.Persistence)
	writeLossRuns(w, "RECOVERED", rep.Runs, rep.WorstLost, rep.MedianLost, rep.WorstLostMs, rep.MedianLostMs)
	if rep.Note != "" {
		fmt.Fprintf(w, "Note: %s\n", rep.Note)
	}
	writeVerdict(w, "rpo", t.RPO, rep.Pass, rep.Reason)
}

// scratchServer names a drill's scratch server by its engine's binary
// and release: version is the report's server field, "7.0.15" for Redis
// and "valkey 8.1.1" for Valkey (server.Version).
func scratchServer(version string) string {
	if v, ok := strings.CutPrefix(version, "valkey "); ok {
		return "valkey-server " + v
	}
	return "redis-server " + version
}

// writeVerdict prints the objective and whether the drill met it.
func writeVerdict(w io.Writer, name string, objective time.Duration, pass bool, reason string) {
	word := "FAIL"
	if pass {
		word = "PASS"
	}
	if objective <= 0 {
		fmt.Fprintf(w, "Objective: none. No %s is set in the spec; add %s = \"...\" to the redis block to judge these figures.\n", name, name)
		if !pass {
			fmt.Fprintf(w, "%s: %s.\n", word, reason)
		}
		return
	}
	fmt.Fprintf(w, "Objective: %s = %s. %s: %s.\n", name, objective, word, reason)
}

func runDrillRTO(ctx context.Context, env *cmdEnv, a *arguments.DrillRTO) int {
	return runOneDrill(env, "drill rto", a.Spec, a.Targets, a.JSON, func(t *model.Target, emit progress.Sink) (operations.RTOReport, error) {
		return operations.RTODrill(ctx, t, a.Backup, a.Identity, emit)
	}, writeRTOText, func(r operations.RTOReport) bool { return r.Pass })
}

func writeRTOText(w io.Writer, rep operations.RTOReport, t *model.Target) {
	fmt.Fprintf(w, "RTO drill of redis.%s: backup %s restored into a scratch redis-server\n\n", rep.Target, rep.BackupID)
	match := "accepted: " + rep.KeysSummary
	if !rep.KeysMatch {
		match = "DO NOT MATCH: " + rep.Mismatch
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  verify\t%.2fs\tevery check a restore makes of the backup (checksums, sizes, RDB structure, AOF manifest)\n", rep.VerifySeconds)
	fmt.Fprintf(tw, "  load\t%.2fs\tfrom starting the server until it had loaded the data\n", rep.LoadSeconds)
	fmt.Fprintf(tw, "  total\t%.2fs\tverify, decompress and write the files, load, compare the keys\n", rep.TotalSeconds)
	fmt.Fprintf(tw, "  keys\t%d of %d\t%s\n", rep.Keys, rep.ExpectedKeys, match)
	tw.Flush()
	fmt.Fprintln(w)
	writeVerdict(w, "rto", t.RTO, rep.Pass, rep.Reason)
}

// writeNotes prints what picking a backup passed over.
func writeNotes(w io.Writer, t *model.Target, notes []string) {
	for _, n := range notes {
		fmt.Fprintf(w, "redis.%s: %s\n", t.Name, n)
	}
}

func runDrillPITR(ctx context.Context, env *cmdEnv, a *arguments.DrillPITR) int {
	return runOneDrill(env, "drill pitr", a.Spec, a.Targets, a.JSON, func(t *model.Target, emit progress.Sink) (operations.PITRReport, error) {
		return operations.PITRDrill(ctx, t, drill.PITROptions{Runs: a.Runs, Duration: a.Duration, Seed: a.Seed, Emit: emit})
	}, writePITRText, func(r operations.PITRReport) bool { return r.Pass })
}

func writePITRText(w io.Writer, rep operations.PITRReport, t *model.Target) {
	fmt.Fprintf(w, "PITR drill of redis.%s: a scratch %s archived with a flush of %gs, its host lost in %d runs (%s)\n\n",
		rep.Target, scratchServer(rep.Server), rep.FlushSeconds, len(rep.Runs), rep.Loss)
	writeLossRuns(w, "RESTORED", rep.Runs, rep.WorstLost, rep.MedianLost, rep.WorstLostMs, rep.MedianLostMs)
	writeVerdict(w, "rpo", t.RPO, rep.Pass, rep.Reason)
}

// writeLossRuns prints the runs of drill rpo or drill pitr, and the
// worst and median loss; back names what counts the writes found again.
func writeLossRuns(w io.Writer, back string, runs []operations.RPORun, worst, median int64, worstMs, medianMs float64) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "RUN\tACKNOWLEDGED\t%s\tLOST\tLOST WINDOW\tKILLED AFTER\n", back)
	for i, r := range runs {
		fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%.0fms\t%.0fms\n", i+1, r.Acknowledged, r.Recovered, r.Lost, r.LostMs, r.KilledAfterMs)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nWorst: %d acknowledged writes lost, a window of %.0fms. Median: %d writes, %.0fms.\n", worst, worstMs, median, medianMs)
}
