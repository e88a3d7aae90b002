package operations

import (
	"context"
	"fmt"
	"time"

	"github.com/redisplan/redisplan/executors/drill"
	"github.com/redisplan/redisplan/executors/restore"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
)

// RPODrill crashes scratch copies of t's server under writes (drill.RPO)
// and judges the loss against t's rpo.
func RPODrill(ctx context.Context, t *model.Target, opts drill.RPOOptions) (RPOReport, error) {
	res, err := drill.RPO(ctx, t, opts)
	if err != nil {
		return RPOReport{}, err
	}
	v := drill.JudgeRPO(res, t.RPO)
	rep := RPOReport{
		FormatVersion: "1.0", Drill: "rpo", Target: t.Name, Server: res.ServerVersion, Binary: res.Binary, BinaryNote: res.BinaryNote,
		Persistence: res.Persistence, Crash: "SIGKILL",
		WorstLost: res.WorstLost, MedianLost: res.MedianLost, WorstLostMs: res.WorstLostMillis, MedianLostMs: res.MedianLostMillis,
		Note:             hostCrashNote(res),
		ObjectiveSeconds: objectiveSeconds(t.RPO), Pass: v.Pass, Reason: v.Reason, Runs: []RPORun{},
	}
	for _, r := range res.Runs {
		rep.Runs = append(rep.Runs, RPORun{r.Acknowledged, r.Recovered, r.Lost, r.LostMillis, r.KilledAfterMillis})
	}
	return rep, nil
}

// RPOReport is drill rpo's outcome: -json prints it, the text view
// renders it.
type RPOReport struct {
	FormatVersion    string   `json:"format_version"`
	Drill            string   `json:"drill"`
	Target           string   `json:"target"`
	Server           string   `json:"server"`
	Binary           string   `json:"binary"`
	BinaryNote       string   `json:"binary_note,omitempty"`
	Persistence      string   `json:"persistence"`
	Crash            string   `json:"crash"`
	Runs             []RPORun `json:"runs"`
	WorstLost        int64    `json:"worst_lost"`
	MedianLost       int64    `json:"median_lost"`
	WorstLostMs      float64  `json:"worst_lost_ms"`
	MedianLostMs     float64  `json:"median_lost_ms"`
	Note             string   `json:"note,omitempty"`
	ObjectiveSeconds *float64 `json:"objective_seconds"`
	Pass             bool     `json:"pass"`
	Reason           string   `json:"reason"`
}

// RPORun is one crash of an RPO drill.
type RPORun struct {
	Acknowledged  int64   `json:"acknowledged"`
	Recovered     int64   `json:"recovered"`
	Lost          int64   `json:"lost"`
	LostMs        float64 `json:"lost_ms"`
	KilledAfterMs float64 `json:"killed_after_ms"`
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
		return "SIGKILL ends the process only: writes Redis had handed to the kernel survive it, " +
			"but with appendfsync everysec on a busy disk Redis postpones its AOF writes for up to 2 seconds " +
			"while it acknowledges them, and a kill then loses them. " +
			"A power cut or kernel crash also loses what was not yet fsynced: " +
			"about the last second of writes (two when the disk stalls)."
	case "no":
		return "SIGKILL ends the process only: writes Redis had handed to the kernel survive it. " +
			"A power cut or kernel crash also loses what the kernel had not yet written out: with appendfsync no, " +
			"Linux usually flushes within 30 seconds."
	}
	return ""
}

// objectiveSeconds is an objective for JSON: null when the spec sets none.
func objectiveSeconds(d time.Duration) *float64 {
	if d <= 0 {
		return nil
	}
	s := d.Seconds()
	return &s
}

// RTOReport is drill rto's outcome, for -json and the text view.
type RTOReport struct {
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

// SourceError is a drill that found no backup to drill, or could not
// open it: nothing was read.
type SourceError struct{ Err error }

func (e *SourceError) Error() string { return e.Err.Error() }
func (e *SourceError) Unwrap() error { return e.Err }

// RTODrill times a verify and a restore of one of t's backups (which: an
// ID, or latest) into a scratch server (drill.RTO) and judges it against
// t's rto. A drill never restores into the target, so an ID may name
// another spec's backup. emit receives what picking the backup passed
// over, which backup is drilled, and the bytes verified and loaded. A
// backup not found or not opened is a *SourceError; a drill of it that
// fails returns its error and a report with Pass false and the error as
// Reason.
func RTODrill(ctx context.Context, t *model.Target, which, identity string, emit progress.Sink) (RTOReport, error) {
	if t.Backup == nil {
		return RTOReport{}, &SourceError{fmt.Errorf("redis.%s has no backup block, so there is no backup to restore", t.Name)}
	}
	src, notes, err := RestoreSource(ctx, t, SourceRequest{Backup: which, Identity: identity, OtherSpec: true})
	for _, n := range notes {
		emit.Say(progress.Step, "%s", n)
	}
	if err != nil {
		return RTOReport{}, &SourceError{err}
	}
	emit.Say(progress.Step, "verifying backup %s and restoring it into a scratch redis-server", src.Manifest.ID)
	res, err := drill.RTO(ctx, src, func(ctx context.Context, src restore.Source) error {
		_, err := restore.Verify(ctx, src, emit)
		return err
	}, emit.BytesOnly())
	if err != nil {
		// A drill that could not run fails its objective: the report
		// says so, with the error as the reason.
		return RTOReport{
			FormatVersion: "1.0", Drill: "rto", Target: t.Name, BackupID: src.Manifest.ID,
			ObjectiveSeconds: objectiveSeconds(t.RTO), Pass: false, Reason: err.Error(),
		}, err
	}
	v := drill.JudgeRTO(res, t.RTO)
	return RTOReport{
		FormatVersion: "1.0", Drill: "rto", Target: t.Name, BackupID: res.BackupID,
		VerifySeconds: res.VerifySeconds, LoadSeconds: res.LoadSeconds, TotalSeconds: res.TotalSeconds,
		Keys: res.Keys, ExpectedKeys: res.ExpectedKeys, KeysMatch: res.KeysMatch, Mismatch: res.Mismatch, KeysSummary: res.Summary,
		ObjectiveSeconds: objectiveSeconds(t.RTO), Pass: v.Pass, Reason: v.Reason,
	}, nil
}

// Judged reports whether the drill came to a verdict: a drill that fails
// midway returns no report.
func (r RPOReport) Judged() bool { return r.Drill != "" }

// Judged reports whether the drill came to a verdict: a drill of a backup
// that was found but failed returns one (Pass false, the error as Reason).
func (r RTOReport) Judged() bool { return r.Drill != "" }
