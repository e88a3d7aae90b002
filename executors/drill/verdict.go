package drill

import (
	"fmt"
	"time"
)

// Verdict is a drill's figures compared with the spec's objective.
type Verdict struct {
	// Objective is the spec's rpo or rto; 0 when it sets none.
	Objective time.Duration
	// Pass is false when the figures miss the objective, or break a
	// promise that needs no objective (appendfsync always losing a write,
	// a restore missing keys).
	Pass bool
	// Reason says why, as a sentence.
	Reason string
}

// JudgeRPO compares an RPO result with the spec's rpo.
//
//   - With appendonly yes and appendfsync always, any lost acknowledged
//     write fails, with or without an objective: that setting promises
//     none.
//   - Without an objective, the figures pass: there is nothing to miss.
//   - A run that lost every acknowledged write measured only a lower
//     bound (its own length): the true window may be far longer. It fails
//     either way: past the objective it missed it, within it the drill
//     proved nothing and a longer duration is needed.
//   - Otherwise the worst loss window in milliseconds must not exceed the
//     objective.
func JudgeRPO(r RPOResult, objective time.Duration) Verdict {
	v := Verdict{Objective: objective}
	over := r.WorstLostMillis > millis(objective)
	if r.AOF && r.AppendFsync == "always" && r.WorstLost > 0 {
		v.Reason = fmt.Sprintf("appendfsync always promises that no acknowledged write is lost, and a crash lost %d", r.WorstLost)
		return v
	}
	if objective <= 0 {
		v.Pass = true
		v.Reason = "the spec sets no rpo, so there is no objective to compare with"
		return v
	}
	for i, run := range r.Runs {
		if run.Acknowledged == 0 || run.Lost < run.Acknowledged {
			continue
		}
		if over {
			v.Reason = fmt.Sprintf("run %d lost every acknowledged write: at least %s of writes, more than the rpo of %s (%s)",
				i+1, formatMillis(r.WorstLostMillis), objective, r.Persistence)
		} else {
			v.Reason = fmt.Sprintf("run %d lost every acknowledged write (%s of writes), so the loss window is at least as long as the run "+
				"and may be far longer than the rpo of %s; drill with a duration longer than twice the rpo to measure it (%s)",
				i+1, formatMillis(r.Runs[i].LostMillis), objective, r.Persistence)
		}
		return v
	}
	if over {
		v.Reason = fmt.Sprintf("the longest loss window was %s of acknowledged writes, more than the rpo of %s (at worst %d writes lost in one crash)",
			formatMillis(r.WorstLostMillis), objective, r.WorstLost)
		return v
	}
	v.Pass = true
	v.Reason = fmt.Sprintf("the longest loss window was %s of acknowledged writes, within the rpo of %s (at worst %d writes lost in one crash)",
		formatMillis(r.WorstLostMillis), objective, r.WorstLost)
	return v
}

// JudgeRTO compares an RTO result with the spec's rto. Keys that do not
// match fail with or without an objective: the restore did not prove the
// backup. Otherwise TotalSeconds must not exceed the objective.
func JudgeRTO(r RTOResult, objective time.Duration) Verdict {
	v := Verdict{Objective: objective}
	switch {
	case !r.KeysMatch:
		v.Reason = "the restored keys do not match the backup: " + r.Mismatch
	case objective <= 0:
		v.Pass = true
		v.Reason = "the spec sets no rto, so there is no objective to compare with"
	case r.TotalSeconds > objective.Seconds():
		v.Reason = fmt.Sprintf("verifying and restoring backup %s took %.2fs, more than the rto of %s", r.BackupID, r.TotalSeconds, objective)
	default:
		v.Pass = true
		v.Reason = fmt.Sprintf("verifying and restoring backup %s took %.2fs, within the rto of %s", r.BackupID, r.TotalSeconds, objective)
	}
	return v
}

func formatMillis(ms float64) string {
	return fmt.Sprintf("%.0fms", ms)
}
