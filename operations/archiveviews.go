package operations

import (
	"context"
	"fmt"
	"time"

	"github.com/redisplan/redisplan/executors/archive"
	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/check"
	"github.com/redisplan/redisplan/executors/repository"
	"github.com/redisplan/redisplan/internal/secret"
)

// ArchiveEntry is what backup list shows of a target's archive.
type ArchiveEntry struct {
	Target string `json:"target"`
	// Segments and StoredBytes count every segment in the archive folder.
	Segments    int   `json:"segments"`
	StoredBytes int64 `json:"stored_bytes"`
	// Windows are the times point-in-time recovery reaches, oldest
	// first; Gaps the times between them it does not.
	Windows []ArchiveWindow `json:"windows"`
	Gaps    []ArchiveGap    `json:"gaps"`
	// Unanchored are segments no base backup of the target is in: no
	// restore uses them (segments before the oldest base, another spec's,
	// or a stream whose base is still being written).
	Unanchored []ArchiveRun `json:"unanchored"`
}

// ArchiveWindow is one stretch point-in-time recovery reaches: from the
// base backup's time to the newest segment of its chain.
type ArchiveWindow struct {
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Base     string    `json:"base"`
	ReplID   string    `json:"repl_id"`
	Segments int       `json:"segments"`
}

// ArchiveGap is a time no restore reaches, and why.
type ArchiveGap struct {
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Reason string    `json:"reason"`
}

// ArchiveRun is a run of segments of one stream.
type ArchiveRun struct {
	ReplID     string `json:"repl_id"`
	FromOffset int64  `json:"from_offset"`
	ToOffset   int64  `json:"to_offset"`
	Segments   int    `json:"segments"`
}

// archiveEntry describes t's archive in repo, whose own backups are own.
// nil when the archive holds nothing and the target has no archive block.
func archiveEntry(ctx context.Context, repo *repository.Repository, own []*backup.Manifest) (*ArchiveEntry, error) {
	o, err := archive.Survey(ctx, repo, own)
	if err != nil {
		return nil, err
	}
	t := repo.Target
	if o.Segments == 0 && (t.Backup.Archive == nil || !repo.Main()) {
		return nil, nil
	}
	e := &ArchiveEntry{Target: t.Name, Segments: o.Segments, StoredBytes: o.Bytes,
		Windows: []ArchiveWindow{}, Gaps: []ArchiveGap{}, Unanchored: []ArchiveRun{}}
	for _, c := range o.Windows {
		e.Windows = append(e.Windows, ArchiveWindow{From: c.First, To: windowEnd(ctx, repo, c), Base: c.Base.ID, ReplID: c.ReplID, Segments: len(c.Segments)})
	}
	for _, g := range o.Gaps {
		e.Gaps = append(e.Gaps, ArchiveGap(g))
	}
	for _, c := range o.Unanchored {
		if len(c.Segments) > 0 {
			e.Unanchored = append(e.Unanchored, ArchiveRun{ReplID: c.ReplID, FromOffset: c.From, ToOffset: c.To, Segments: len(c.Segments)})
		}
	}
	return e, nil
}

// readArchive reads what check judges of t's archive: the chain of the
// server's stream (replid, from its INFO; else the newest window), when
// its newest write was received, the newest recovery window and the gaps.
// own are the target's own backups.
func readArchive(ctx context.Context, repo *repository.Repository, own []*backup.Manifest, replid string) (*check.ArchiveStatus, error) {
	o, err := archive.Survey(ctx, repo, own)
	if err != nil {
		return nil, err
	}
	st := &check.ArchiveStatus{Segments: o.Segments}
	h := o.Following(replid)
	if h == nil {
		h = o.Head
	}
	if h != nil {
		st.ReplID, st.End = h.ReplID, h.To
		// A footer that cannot be read leaves the commit time, which is
		// at most an upload later; backup verify reports the damage.
		st.Last, _ = archive.LastWrite(ctx, repo, h)
	}
	if w := o.Newest(); w != nil {
		st.From, st.To = w.First, windowEnd(ctx, repo, *w)
	}
	for _, g := range o.Gaps {
		st.Gaps = append(st.Gaps, check.ArchiveGap(g))
	}
	return st, nil
}

// windowEnd is when the newest write of window c was received, as a
// restore to a time reads it (its last segment's footer), not its commit
// (later, and to the second only on S3); the commit time when the footer
// cannot be read (backup verify says why).
func windowEnd(ctx context.Context, repo *repository.Repository, c archive.Chain) time.Time {
	t, err := archive.LastWrite(ctx, repo, &c)
	if err != nil || t.IsZero() {
		return c.Last
	}
	return t
}

// gatherArchive fills in what check judges of t's archive, when it has
// one.
func gatherArchive(ctx context.Context, in *check.Input, own []*backup.Manifest) {
	t := in.Target
	if t.Backup == nil || t.Backup.Archive == nil || in.BackupsErr != nil {
		if t.Backup != nil && t.Backup.Archive != nil {
			in.ArchiveErr = in.BackupsErr
		}
		return
	}
	repo, err := repository.Open(t, "")
	if err == nil {
		in.Archive, err = readArchive(ctx, repo, own, in.Info["master_replid"])
	}
	if err != nil {
		in.ArchiveErr = secret.New(t.Secrets()...).Wrap(fmt.Errorf("%s: %w", repository.Path(t, ""), err))
	}
}

// timeText is how the archive's lines write a time: UTC, to the second.
func timeText(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") }

// Lines describes the archive for people, one line each, without the
// target: its recovery windows, gaps, and segments no restore uses.
func (e ArchiveEntry) Lines() []string {
	var out []string
	if e.Segments == 0 && len(e.Windows) == 0 {
		out = append(out, "archive: nothing archived yet (is redisplan archive -target "+e.Target+" running?)")
	}
	for _, w := range e.Windows {
		out = append(out, fmt.Sprintf("point-in-time recovery from %s to %s UTC (base %s, %d segments)", timeText(w.From), timeText(w.To), w.Base, w.Segments))
	}
	for _, g := range e.Gaps {
		out = append(out, fmt.Sprintf("gap from %s to %s UTC: %s", timeText(g.From), timeText(g.To), g.Reason))
	}
	for _, u := range e.Unanchored {
		out = append(out, fmt.Sprintf("archive: %d segments of stream %s (offsets %d to %d) are in no chain with a base backup of this target: no restore uses them",
			u.Segments, u.ReplID, u.FromOffset, u.ToOffset))
	}
	return out
}

// ArchiveLines describes retention of the archive's segments, one line
// each, without the target; verb is "delete" or "would delete".
func (r PruneRun) ArchiveLines(verb string) []string {
	a := r.Archive
	if a == nil {
		return nil
	}
	out := []string{fmt.Sprintf("archive: keep %d segments (the kept backups need them)", len(a.Keep))}
	if n := len(a.Drop); n > 0 {
		out = append(out, fmt.Sprintf("archive: %s %d segments (only deleted backups needed them)", verb, n))
	}
	if n := len(a.Alone); n > 0 {
		out = append(out, fmt.Sprintf("archive: %d segments left alone: no backup of this target is in their stream, or another spec's is too, so nothing proves they are its", n))
	}
	return out
}

// ArchiveLines describes the check of the archive's chains, one line
// each, without the target.
func (r VerifyResult) ArchiveLines() []string {
	a := r.Archive
	if a == nil {
		return nil
	}
	var out []string
	if a.OK() {
		out = append(out, fmt.Sprintf("archive: %d chains from their base backups to the newest segments are whole: %d segments read, every checksum right, offsets contiguous",
			a.Chains, a.Segments))
	}
	for _, g := range a.Gaps {
		out = append(out, fmt.Sprintf("archive: gap from %s to %s UTC: %s", timeText(g.From), timeText(g.To), g.Reason))
	}
	return out
}
