package capture

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// memJournal is a journal in memory that also notes what the server's
// auto-aof-rewrite-percentage was when each record was written.
type memJournal struct {
	t       *testing.T
	c       *redis.Client
	data    []byte
	seen    []string // the setting at each Write
	removed int
}

func (j *memJournal) Write(b []byte) error {
	j.data = append([]byte(nil), b...)
	j.seen = append(j.seen, rewritePercentage(j.t, context.Background(), j.c))
	return nil
}
func (j *memJournal) Read() ([]byte, error) { return j.data, nil }
func (j *memJournal) Remove() error {
	j.data = nil
	j.removed++
	return nil
}

// AOFSnapshot records the user's value before it changes the setting,
// and forgets the record once the value is back.
func TestAOFSnapshotRecordsBeforeHolding(t *testing.T) {
	t.Parallel()
	_, c := aofServer(t, "")
	ctx := testContext(t)
	fillAOF(t, ctx, c)
	j := &memJournal{t: t, c: c}
	if _, err := AOFSnapshot(ctx, c, "CONFIG", "", filepath.Join(t.TempDir(), "appendonlydir"), j); err != nil {
		t.Fatal(err)
	}
	if len(j.seen) != 1 || j.seen[0] != "150" {
		t.Fatalf("the record was written while the server had %v, want once, before the change (150)", j.seen)
	}
	if j.data != nil || j.removed != 1 {
		t.Errorf("the record was kept after the value came back (removed %d times)", j.removed)
	}
	if got := rewritePercentage(t, ctx, c); got != "150" {
		t.Errorf("auto-aof-rewrite-percentage = %s after the snapshot, want 150", got)
	}

	// A 0 the user set is theirs: neither recorded nor changed.
	c.ConfigSet(ctx, "auto-aof-rewrite-percentage", "0")
	j = &memJournal{t: t, c: c}
	if _, err := AOFSnapshot(ctx, c, "CONFIG", "", filepath.Join(t.TempDir(), "appendonlydir"), j); err != nil {
		t.Fatal(err)
	}
	if len(j.seen) != 0 || rewritePercentage(t, ctx, c) != "0" {
		t.Errorf("a 0 the user set was recorded (%v) or changed (%s)", j.seen, rewritePercentage(t, ctx, c))
	}
}

// ResumeRewrites puts the recorded value back only on the same server
// process still showing the held 0.
func TestResumeRewrites(t *testing.T) {
	t.Parallel()
	_, c := aofServer(t, "")
	ctx := testContext(t)
	h, err := newHold(ctx, c, "150")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, live, runID, want, says string
	}{
		{"left at 0 by a killed run", "0", h.RunID, "150", "put auto-aof-rewrite-percentage back to 150"},
		{"changed since", "200", h.RunID, "200", "was changed to 200"},
		{"server restarted since", "0", "another-run-id", "0", "restarted since"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := c.ConfigSet(ctx, "auto-aof-rewrite-percentage", tc.live).Err(); err != nil {
				t.Fatal(err)
			}
			rec := h
			rec.RunID = tc.runID
			msg, err := ResumeRewrites(ctx, c, "CONFIG", rec)
			if err != nil {
				t.Fatal(err)
			}
			if got := rewritePercentage(t, ctx, c); got != tc.want || !strings.Contains(msg, tc.says) {
				t.Errorf("after ResumeRewrites: %s, %q; want %s, %q", got, msg, tc.want, tc.says)
			}
		})
	}
	if _, err := ParseRewriteHold([]byte(`{"pid": 1}`)); err == nil {
		t.Error("ParseRewriteHold accepted a record without format, server or value")
	}
}
