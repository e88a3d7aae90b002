package archive

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/repository"
)

// Lister lists a kind's objects (repository.Repository does).
type Lister interface {
	ListObjects(ctx context.Context, k repository.Kind) ([]backup.Object, error)
}

var _ Lister = (*repository.Repository)(nil)

// ListSegments lists the committed segments in repo's archive folder,
// ordered by replication ID then offsets. Objects whose names are not
// segments' are left out (and never deleted).
func ListSegments(ctx context.Context, repo Lister) ([]Segment, error) {
	objs, err := repo.ListObjects(ctx, repository.Archive)
	if err != nil {
		return nil, err
	}
	var out []Segment
	for _, o := range objs {
		s, ok := ParseName(o.Name)
		if !ok {
			continue
		}
		s.Size, s.Committed = o.Size, o.Modified
		out = append(out, s)
	}
	sortSegments(out)
	return out, nil
}

func sortSegments(s []Segment) {
	sort.Slice(s, func(i, j int) bool {
		if s[i].ReplID != s[j].ReplID {
			return s[i].ReplID < s[j].ReplID
		}
		if s[i].Start != s[j].Start {
			return s[i].Start < s[j].Start
		}
		return s[i].End < s[j].End
	})
}

// Chain is a stretch of one replication stream that the archive holds
// without a hole: from its base's position (when it has one) through
// contiguous segments. With a base it is a recoverable window.
type Chain struct {
	ReplID string
	// Base is the oldest base backup whose position is in the chain: the
	// stream is replayed onto it. nil when no kept base is (the chain's
	// segments cannot be restored).
	Base *backup.Manifest
	// Bases are every base backup whose position is in the chain, oldest
	// position first (Base among them).
	Bases []*backup.Manifest
	// From and To are the stream offsets the chain covers: the base's
	// position (or the first segment's start) to the last segment's end.
	From, To int64
	// First and Last are the times it covers: the base's start (or the
	// first segment's commit) to the last segment's commit. A write
	// received before Last is in the chain, but for at most the upload
	// time of the last segment.
	First, Last time.Time
	// Segments are the chain's segments in stream order; the first may
	// start before From (the base's position falls inside it).
	Segments []Segment
}

// Recoverable reports whether the chain has a base to replay it onto.
func (c Chain) Recoverable() bool { return c.Base != nil }

// Gap is a time the archive cannot restore to: between two recoverable
// chains, the writes of the one time were not archived.
type Gap struct {
	From, To time.Time
	Reason   string
}

// Chains finds the chains in segs and the bases that anchor them (bases
// whose manifest carries a stream position: ReplID, ReplOffset), and the
// gaps between the recoverable ones, each in time order. A base whose
// position no segment reaches yet is a chain of its own, without
// segments. Segments that overlap one already placed (a second archiver
// on the same stream) are passed over.
func Chains(bases []*backup.Manifest, segs []Segment) ([]Chain, []Gap) {
	s := append([]Segment(nil), segs...)
	sortSegments(s)
	// Runs of contiguous segments of one stream.
	var runs []Chain
	for _, seg := range s {
		if n := len(runs); n > 0 && runs[n-1].ReplID == seg.ReplID {
			last := &runs[n-1]
			if seg.Start < last.To {
				continue
			}
			if seg.Start == last.To {
				last.Segments = append(last.Segments, seg)
				last.To = seg.End
				continue
			}
		}
		runs = append(runs, Chain{ReplID: seg.ReplID, From: seg.Start, To: seg.End, Segments: []Segment{seg}})
	}
	bs := make([]*backup.Manifest, 0, len(bases))
	for _, b := range bases {
		if b != nil && b.ReplID != "" {
			bs = append(bs, b)
		}
	}
	sort.SliceStable(bs, func(i, j int) bool {
		if bs[i].ReplOffset != bs[j].ReplOffset {
			return bs[i].ReplOffset < bs[j].ReplOffset
		}
		return bs[i].Started.Before(bs[j].Started)
	})
	var out []Chain
	anchored := make([][]*backup.Manifest, len(runs))
	for _, b := range bs {
		placed := false
		for i := range runs {
			if runs[i].ReplID == b.ReplID && runs[i].From <= b.ReplOffset && b.ReplOffset <= runs[i].To {
				anchored[i] = append(anchored[i], b)
				placed = true
				break
			}
		}
		if !placed {
			out = append(out, Chain{ReplID: b.ReplID, Base: b, Bases: []*backup.Manifest{b},
				From: b.ReplOffset, To: b.ReplOffset, First: b.Started, Last: b.Started})
		}
	}
	for i, run := range runs {
		if len(anchored[i]) == 0 {
			run.First, run.Last = run.Segments[0].Committed, run.Segments[len(run.Segments)-1].Committed
			out = append(out, run)
			continue
		}
		base := anchored[i][0]
		// The segments wholly before the base cannot be replayed onto it.
		var before, after []Segment
		for _, seg := range run.Segments {
			if seg.End <= base.ReplOffset && seg.End < run.To {
				before = append(before, seg)
			} else {
				after = append(after, seg)
			}
		}
		if len(before) > 0 {
			out = append(out, Chain{ReplID: run.ReplID, From: run.From, To: before[len(before)-1].End,
				First: before[0].Committed, Last: before[len(before)-1].Committed, Segments: before})
		}
		c := Chain{ReplID: run.ReplID, Base: base, Bases: anchored[i], From: base.ReplOffset, To: run.To,
			First: base.Started, Last: base.Started, Segments: after}
		if n := len(after); n > 0 && after[n-1].End > base.ReplOffset && after[n-1].Committed.After(c.Last) {
			c.Last = after[n-1].Committed
		}
		out = append(out, c)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].First.Before(out[j].First) })
	var gaps []Gap
	var prev *Chain
	for i := range out {
		c := &out[i]
		if !c.Recoverable() {
			continue
		}
		if prev != nil && c.First.After(prev.Last) && !(c.ReplID == prev.ReplID && c.From <= prev.To) {
			gaps = append(gaps, Gap{From: prev.Last, To: c.First, Reason: gapReason(*prev, *c)})
		}
		if prev == nil || c.Last.After(prev.Last) {
			prev = c
		}
	}
	return out, gaps
}

func gapReason(a, b Chain) string {
	if a.ReplID != b.ReplID {
		return fmt.Sprintf("the server's replication ID changed from %s to %s (a restart or a failover) and a new base was taken: writes between were not archived", a.ReplID, b.ReplID)
	}
	return fmt.Sprintf("stream offsets %d to %d of %s are not archived (the archiver fell behind the server's replication backlog, was stopped, or segments were deleted)", a.To, b.From, a.ReplID)
}
