package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/redisplan/redisplan/cmd/redisplan/internal/arguments"
	"github.com/redisplan/redisplan/executors/drill"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
)

const drillUsage = "Usage: redisplan drill rpo|rto -target NAME [flags]"

func runDrill(ctx context.Context, env *cmdEnv, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(env.stderr, drillUsage)
		return exitError
	}
	switch args[0] {
	case "rpo":
		return runDrillRPO(ctx, env, args[1:])
	case "rto":
		return runDrillRTO(ctx, env, args[1:])
	case "-h", "-help", "--help":
		arguments.Help(env.stdout, "drill")
		return exitOK
	}
	fmt.Fprintf(env.stderr, "redisplan drill: unknown subcommand %q\n%s\n", args[0], drillUsage)
	return exitError
}

// drillTarget loads the spec and returns the one target -target names.
func drillTarget(env *cmdEnv, sf *specFlags, names []string, cmd string) (*model.Target, bool) {
	res, ok := loadSpec(env, sf)
	if !ok {
		return nil, false
	}
	selected, err := selectTargets(res.Spec, names)
	if err == nil && (len(names) != 1 || len(selected) != 1) {
		err = fmt.Errorf("a drill needs exactly one -target")
	}
	if err != nil {
		fmt.Fprintf(env.stderr, "redisplan %s: %v\n", cmd, err)
		return nil, false
	}
	return selected[0], true
}

// objectiveSeconds is an objective for JSON: null when the spec sets none.
func objectiveSeconds(d time.Duration) *float64 {
	if d <= 0 {
		return nil
	}
	s := d.Seconds()
	return &s
}

func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// verdictExit is the exit status of a judged drill.
func verdictExit(v drill.Verdict) int {
	if v.Pass {
		return exitOK
	}
	return exitError
}

// rpoReport is drill rpo's output: -json prints it, the text view renders
// it.
type rpoReport struct {
	FormatVersion    string     `json:"format_version"`
	Drill            string     `json:"drill"`
	Target           string     `json:"target"`
	Server           string     `json:"server"`
	Persistence      string     `json:"persistence"`
	Crash            string     `json:"crash"`
	Runs             []rpoRunJS `json:"runs"`
	WorstLost        int64      `json:"worst_lost"`
	MedianLost       int64      `json:"median_lost"`
	WorstLostMs      float64    `json:"worst_lost_ms"`
	MedianLostMs     float64    `json:"median_lost_ms"`
	Note             string     `json:"note,omitempty"`
	ObjectiveSeconds *float64   `json:"objective_seconds"`
	Pass             bool       `json:"pass"`
	Reason           string     `json:"reason"`
}

type rpoRunJS struct {
	Acknowledged  int64   `json:"acknowledged"`
	Recovered     int64   `json:"recovered"`
	Lost          int64   `json:"lost"`
	LostMs        float64 `json:"lost_ms"`
	KilledAfterMs float64 `json:"killed_after_ms"`
}

func runDrillRPO(ctx context.Context, env *cmdEnv, args []string) int {
	a, err := arguments.ParseDrillRPO(args)
	if code, done := parsed(env, "drill rpo", err, exitError); done {
		return code
	}
	sf, targets, runs, duration, seed, asJSON := specFlagsOf(a.Spec), a.Targets, a.Runs, a.Duration, a.Seed, a.JSON
	t, ok := drillTarget(env, &sf, targets, "drill rpo")
	if !ok {
		return exitError
	}
	// Progress goes to stderr (JSON lines with -json); stdout holds the
	// figures.
	view := newProgressView(env, env.stderr, asJSON)
	defer view.close()
	res, err := drill.RPO(ctx, t, drill.RPOOptions{
		Runs: runs, Duration: duration, Seed: seed,
		Emit: view.sink(t.Name).With(progress.Event{Operation: progress.OpDrill}),
	})
	if err != nil {
		fmt.Fprintf(env.stderr, "Error: %v\n", err)
		return exitError
	}
	v := drill.JudgeRPO(res, t.RPO)
	rep := rpoReport{
		FormatVersion: "1.0", Drill: "rpo", Target: t.Name, Server: res.ServerVersion,
		Persistence: res.Persistence, Crash: "SIGKILL",
		WorstLost: res.WorstLost, MedianLost: res.MedianLost, WorstLostMs: res.WorstLostMillis, MedianLostMs: res.MedianLostMillis,
		Note:             hostCrashNote(res),
		ObjectiveSeconds: objectiveSeconds(t.RPO), Pass: v.Pass, Reason: v.Reason,
	}
	for _, r := range res.Runs {
		rep.Runs = append(rep.Runs, rpoRunJS{r.Acknowledged, r.Recovered, r.Lost, r.LostMillis, r.KilledAfterMillis})
	}
	if asJSON {
		writeJSON(env.stdout, rep)
	} else {
		writeRPOText(env.stdout, rep, t)
	}
	return verdictExit(v)
}

// hostCrashNote says what a crash of the whole machine adds to a process
// crash, which is all a drill can cause: the writes the kernel had not yet
// put on disk.
func hostCrashNote(r drill.RPOResult) string {
	if !r.AOF {
		return ""
	}
	switch r.AppendFsync {
	case "everysec":
		return "SIGKILL ends the process only: writes Redis had handed to the kernel survive it. " +
			"A power cut or kernel crash also loses what was not yet fsynced: with appendfsync everysec, " +
			"about the last second of writes (two when the disk stalls)."
	case "no":
		return "SIGKILL ends the process only: writes Redis had handed to the kernel survive it. " +
			"A power cut or kernel crash also loses what the kernel had not yet written out: with appendfsync no, " +
			"Linux usually flushes within 30 seconds."
	}
	return ""
}

func writeRPOText(w io.Writer, rep rpoReport, t *model.Target) {
	fmt.Fprintf(w, "RPO drill of redis.%s: %d crashes (%s) of a scratch redis-server %s with %s\n\n",
		rep.Target, len(rep.Runs), rep.Crash, rep.Server, rep.Persistence)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tACKNOWLEDGED\tRECOVERED\tLOST\tLOST WINDOW\tKILLED AFTER")
	for i, r := range rep.Runs {
		fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%.0fms\t%.0fms\n", i+1, r.Acknowledged, r.Recovered, r.Lost, r.LostMs, r.KilledAfterMs)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nWorst: %d acknowledged writes lost, a window of %.0fms. Median: %d writes, %.0fms.\n",
		rep.WorstLost, rep.WorstLostMs, rep.MedianLost, rep.MedianLostMs)
	if rep.Note != "" {
		fmt.Fprintf(w, "Note: %s\n", rep.Note)
	}
	writeVerdict(w, "rpo", t.RPO, rep.Pass, rep.Reason)
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

// rtoReport is drill rto's output.
type rtoReport struct {
	FormatVersion    string   `json:"format_version"`
	Drill            string   `json:"drill"`
	Target           string   `json:"target"`
	BackupID         string   `json:"backup_id"`
	VerifySeconds    float64  `json:"verify_seconds"`
	LoadSeconds      float64  `json:"load_seconds"`
	TotalSeconds     float64  `json:"total_seconds"`
	Keys             int64    `json:"keys"`
	ExpectedKeys     int64    `json:"expected_keys"`
	KeysMatch        bool     `json:"keys_match"`
	Mismatch         string   `json:"mismatch,omitempty"`
	KeysSummary      string   `json:"keys_summary"`
	ObjectiveSeconds *float64 `json:"objective_seconds"`
	Pass             bool     `json:"pass"`
	Reason           string   `json:"reason"`
}

func runDrillRTO(ctx context.Context, env *cmdEnv, args []string) int {
	a, err := arguments.ParseDrillRTO(args)
	if code, done := parsed(env, "drill rto", err, exitError); done {
		return code
	}
	sf, targets, which, identity, asJSON := specFlagsOf(a.Spec), a.Targets, a.Backup, a.Identity, a.JSON
	t, ok := drillTarget(env, &sf, targets, "drill rto")
	if !ok {
		return exitError
	}
	if t.Backup == nil {
		fmt.Fprintf(env.stderr, "redisplan drill rto: redis.%s has no backup block, so there is no backup to restore\n", t.Name)
		return exitError
	}
	// Progress goes to stderr (JSON lines with -json); stdout holds the
	// figures.
	view := newProgressView(env, env.stderr, asJSON)
	defer view.close()
	say := view.sink(t.Name).With(progress.Event{Operation: progress.OpDrill})
	// A drill restores into a scratch server, never into the target:
	// another spec's backup named by its ID may be drilled.
	src, notes, err := restoreSource(ctx, t, "", "", which, identity, true)
	for _, n := range notes {
		say.Say(progress.Step, "%s", n)
	}
	if err != nil {
		fmt.Fprintf(env.stderr, "redisplan drill rto: %v\n", err)
		return exitError
	}
	say.Say(progress.Step, "verifying backup %s and restoring it into a scratch redis-server", src.Manifest.ID)
	res, err := drill.RTO(ctx, src, verifyBackup(say), view.bytesOnly(t.Name))
	if err != nil {
		fmt.Fprintf(env.stderr, "Error: %v\n", err)
		return exitError
	}
	v := drill.JudgeRTO(res, t.RTO)
	rep := rtoReport{
		FormatVersion: "1.0", Drill: "rto", Target: t.Name, BackupID: res.BackupID,
		VerifySeconds: res.VerifySeconds, LoadSeconds: res.LoadSeconds, TotalSeconds: res.TotalSeconds,
		Keys: res.Keys, ExpectedKeys: res.ExpectedKeys, KeysMatch: res.KeysMatch, Mismatch: res.Mismatch, KeysSummary: res.Summary,
		ObjectiveSeconds: objectiveSeconds(t.RTO), Pass: v.Pass, Reason: v.Reason,
	}
	if asJSON {
		writeJSON(env.stdout, rep)
	} else {
		writeRTOText(env.stdout, rep, t)
	}
	return verdictExit(v)
}

func writeRTOText(w io.Writer, rep rtoReport, t *model.Target) {
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
