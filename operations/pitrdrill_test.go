package operations

import (
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/drill"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
)

// TestPITRDrillLosesAtMostTheFlush is the acceptance of a lost host: a
// server archived with a flush of 1s is killed and its data dir removed
// under writes; restored from the archive, it misses at most the flush
// and half a second of acknowledged writes.
func TestPITRDrillLosesAtMostTheFlush(t *testing.T) {
	const flush = time.Second
	tgt := &model.Target{Name: "main", Connection: model.Connection{Address: "127.0.0.1:1"}, RPO: flush + 500*time.Millisecond,
		Backup: &model.Backup{Archive: &model.Archive{Flush: flush}}}
	rep, err := PITRDrill(t.Context(), tgt, drill.PITROptions{Runs: 2, Duration: 2 * time.Second, Seed: 7,
		Emit: func(e progress.Event) {
			if e.Message != "" {
				t.Log(e.Message)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 2 {
		t.Fatalf("%d runs, want 2", len(rep.Runs))
	}
	for i, r := range rep.Runs {
		if r.Acknowledged == 0 || r.Recovered == 0 || r.Recovered+r.Lost != r.Acknowledged {
			t.Errorf("run %d: %+v: the figures do not add up", i+1, r)
		}
		if r.LostMs > (flush+500*time.Millisecond).Seconds()*1000 {
			t.Errorf("run %d lost %d acknowledged writes over %.0fms, more than the flush of %s and half a second", i+1, r.Lost, r.LostMs, flush)
		}
	}
	if !rep.Pass {
		t.Errorf("the drill fails the rpo of %s: %s", tgt.RPO, rep.Reason)
	}
}
