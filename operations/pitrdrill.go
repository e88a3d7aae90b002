package operations

import (
	"context"
	"fmt"
	"sync"

	"github.com/redisplan/redisplan/executors/archive"
	"github.com/redisplan/redisplan/executors/drill"
	"github.com/redisplan/redisplan/executors/repository"
	"github.com/redisplan/redisplan/executors/restore"
	"github.com/redisplan/redisplan/internal/model"
)

// PITRReport is drill pitr's outcome: -json prints it, the text view
// renders it.
type PITRReport struct {
	FormatVersion    string   `json:"format_version"`
	Drill            string   `json:"drill"`
	Target           string   `json:"target"`
	Server           string   `json:"server"`
	FlushSeconds     float64  `json:"flush_seconds"`
	Loss             string   `json:"loss"`
	Runs             []RPORun `json:"runs"`
	WorstLost        int64    `json:"worst_lost"`
	MedianLost       int64    `json:"median_lost"`
	WorstLostMs      float64  `json:"worst_lost_ms"`
	MedianLostMs     float64  `json:"median_lost_ms"`
	ObjectiveSeconds *float64 `json:"objective_seconds"`
	Pass             bool     `json:"pass"`
	Reason           string   `json:"reason"`
}

// PITRDrill loses the host of scratch copies of t's server under writes
// (drill.PITR): each is archived by the archiver redisplan archive runs
// (archive.Follow, with t's flush) into a scratch destination, killed,
// its data dir removed, and restored with everything archived through the
// restore of restore -to-time latest. The loss is judged against t's rpo.
func PITRDrill(ctx context.Context, t *model.Target, opts drill.PITROptions) (PITRReport, error) {
	opts.Flush = model.DefaultArchiveFlush
	if t.Backup != nil && t.Backup.Archive != nil && t.Backup.Archive.Flush > 0 {
		opts.Flush = t.Backup.Archive.Flush
	}
	opts.Archive = func(ctx context.Context, st *model.Target, ready func()) error {
		repo, err := repository.Open(st, "")
		if err != nil {
			return err
		}
		var once sync.Once
		return archive.Follow(ctx, archive.Options{Repo: repo, Flush: opts.Flush, Emit: opts.Emit,
			Committed: func(string, int64) { once.Do(ready) }})
	}
	opts.Restore = func(ctx context.Context, st *model.Target) error {
		src, _, cleanup, err := TimeSource(ctx, st, TimeRequest{}, nil)
		defer cleanup()
		if err != nil {
			return err
		}
		prep, err := PrepareRestore(ctx, st, src, nil)
		if err != nil {
			return err
		}
		defer prep.Release()
		_, err = prep.Restore(ctx, restore.Options{})
		return err
	}
	res, err := drill.PITR(ctx, t, opts)
	if err != nil {
		return PITRReport{}, err
	}
	v := drill.JudgePITR(res, t.RPO)
	rep := PITRReport{
		FormatVersion: "1.0", Drill: "pitr", Target: t.Name, Server: res.ServerVersion, FlushSeconds: res.Flush.Seconds(),
		Loss:      "SIGKILL of the server and removal of its data dir; restore -to-time latest from the archive",
		WorstLost: res.WorstLost, MedianLost: res.MedianLost, WorstLostMs: res.WorstLostMillis, MedianLostMs: res.MedianLostMillis,
		ObjectiveSeconds: objectiveSeconds(t.RPO), Pass: v.Pass, Reason: v.Reason, Runs: []RPORun{},
	}
	for _, r := range res.Runs {
		rep.Runs = append(rep.Runs, RPORun{r.Acknowledged, r.Recovered, r.Lost, r.LostMillis, r.KilledAfterMillis})
	}
	if len(rep.Runs) == 0 {
		return rep, fmt.Errorf("drill pitr of redis.%s made no run", t.Name)
	}
	return rep, nil
}

// Judged reports whether the drill came to a verdict: a drill that fails
// before its runs are done has none.
func (r PITRReport) Judged() bool { return r.Drill != "" }
