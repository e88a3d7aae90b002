package archive

import (
	"context"
	"fmt"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/repository"
)

// Retained is what retention decided for the archive's segments.
type Retained struct {
	// Keep are the segments a kept base backup needs: those of its
	// stream from its position on.
	Keep []Segment
	// Drop are the segments of the target's own streams that no kept
	// base needs any more: before the oldest kept base of their stream,
	// or of a stream whose bases retention all deletes.
	Drop []Segment
	// Alone are segments nothing proves are the target's: of a stream
	// none of its bases is in (another spec's archive in a shared folder,
	// or a stream whose base is still being written), or of a stream
	// another spec's backups are in too. They are neither kept for a
	// reason nor deleted.
	Alone []Segment
}

// Segments is how many segments the decision covers.
func (r Retained) Segments() int { return len(r.Keep) + len(r.Drop) + len(r.Alone) }

// Retain decides which segments the target's kept base backups need,
// given retention's split of the target's own backups into kept and
// dropped, and others, the backups of other specs' targets in the same
// folder. A segment is the target's only when its stream (replication
// ID) holds one of the target's bases and none of another spec's: the
// bases record the stream position they were taken at, which no other
// server's stream shares.
//
// Within such a stream every segment that ends after the oldest kept
// base's position is kept, holes or not (a base being written after a
// hole is not in the catalog yet), and every segment before it is
// dropped; a stream whose bases are all dropped loses all its segments.
func Retain(segs []Segment, kept, dropped, others []*backup.Manifest) Retained {
	type stream struct {
		kept, dropped, others bool
		from                  int64 // the oldest kept base's position
	}
	streams := map[string]*stream{}
	at := func(id string) *stream {
		s := streams[id]
		if s == nil {
			s = &stream{}
			streams[id] = s
		}
		return s
	}
	for _, b := range kept {
		if b == nil || b.ReplID == "" {
			continue
		}
		s := at(b.ReplID)
		if !s.kept || b.ReplOffset < s.from {
			s.from = b.ReplOffset
		}
		s.kept = true
	}
	for _, b := range dropped {
		if b != nil && b.ReplID != "" {
			at(b.ReplID).dropped = true
		}
	}
	for _, b := range others {
		if b != nil && b.ReplID != "" {
			at(b.ReplID).others = true
		}
	}
	var r Retained
	for _, seg := range segs {
		s := streams[seg.ReplID]
		switch {
		case s == nil || s.others || !s.kept && !s.dropped:
			r.Alone = append(r.Alone, seg)
		case s.kept && seg.End > s.from:
			r.Keep = append(r.Keep, seg)
		default:
			r.Drop = append(r.Drop, seg)
		}
	}
	for _, l := range [][]Segment{r.Keep, r.Drop, r.Alone} {
		sortSegments(l)
	}
	return r
}

// Pruner lists and deletes a kind's objects (repository.Repository does).
type Pruner interface {
	Lister
	DeleteObject(ctx context.Context, k repository.Kind, name string) error
}

var _ Pruner = (*repository.Repository)(nil)

// PruneResult is what Prune decided and did.
type PruneResult struct {
	Retained
	// Deleted is how many segments were deleted (none in a dry run), in
	// stream order: after a failure, those before it.
	Deleted int
}

// Prune applies Retain to the segments in repo and deletes the dropped
// ones (none when dryRun), each stream's oldest first, so that a failure
// midway leaves what remains contiguous up to its newest segment. It is
// for after retention deleted the dropped bases.
func Prune(ctx context.Context, repo Pruner, kept, dropped, others []*backup.Manifest, dryRun bool) (PruneResult, error) {
	segs, err := ListSegments(ctx, repo)
	if err != nil {
		return PruneResult{}, err
	}
	res := PruneResult{Retained: Retain(segs, kept, dropped, others)}
	if dryRun {
		return res, nil
	}
	for _, s := range res.Drop {
		if err := repo.DeleteObject(ctx, repository.Archive, s.Name); err != nil {
			return res, fmt.Errorf("delete segment %s (%d of %d deleted): %w", s.Name, res.Deleted, len(res.Drop), err)
		}
		res.Deleted++
	}
	return res, nil
}
