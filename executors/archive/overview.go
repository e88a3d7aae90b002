package archive

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/repository"
)

// Overview is what a target's archive holds, as backup list and check
// show it.
type Overview struct {
	// Segments and Bytes count every segment in the archive folder.
	Segments int
	Bytes    int64
	// Windows are the chains a restore can use (with a base), oldest
	// first: point-in-time recovery from First to Last.
	Windows []Chain
	// Gaps are the times between windows no restore reaches.
	Gaps []Gap
	// Unanchored are the chains no base of the target is in: segments
	// before its oldest base, another spec's, or a stream whose base is
	// still being written. No restore uses them.
	Unanchored []Chain
	// Head is the window that reaches the latest time (its newest
	// segment's commit, or its base's time), or the chain that does when
	// no chain has a base; nil when the archive holds nothing.
	Head *Chain
	// chains are every chain, windows and unanchored.
	chains []Chain
}

// Following is the chain of stream replid that reaches furthest: how far
// the archive follows a server whose replication ID that is (its own
// stream is the target's, based or not yet; a base without segments yet
// reaches its position); nil when the archive holds none of it.
func (o Overview) Following(replid string) *Chain {
	var c *Chain
	for i := range o.chains {
		if o.chains[i].ReplID == replid && (c == nil || o.chains[i].To > c.To) {
			c = &o.chains[i]
		}
	}
	return c
}

// Newest is the newest window, nil when there is none.
func (o Overview) Newest() *Chain {
	if len(o.Windows) == 0 {
		return nil
	}
	return &o.Windows[len(o.Windows)-1]
}

// Survey lists repo's segments and joins them onto bases, the target's
// own base backups (another spec's would make windows of their server's
// stream).
func Survey(ctx context.Context, repo Lister, bases []*backup.Manifest) (Overview, error) {
	segs, err := ListSegments(ctx, repo)
	if err != nil {
		return Overview{}, err
	}
	return overviewOf(bases, segs), nil
}

func overviewOf(bases []*backup.Manifest, segs []Segment) Overview {
	o := Overview{Segments: len(segs)}
	for _, s := range segs {
		o.Bytes += s.Size
	}
	chains, gaps := Chains(bases, segs)
	o.Gaps, o.chains = gaps, chains
	for _, c := range chains {
		if c.Recoverable() {
			o.Windows = append(o.Windows, c)
		} else {
			o.Unanchored = append(o.Unanchored, c)
		}
	}
	o.Head = newestOf(o.Windows)
	if o.Head == nil {
		o.Head = newestOf(o.Unanchored)
	}
	return o
}

// newestOf is the chain of cs that reaches the latest time (Last: its
// newest segment's commit, or its base's time).
func newestOf(cs []Chain) *Chain {
	var head *Chain
	for i := range cs {
		if head == nil || cs[i].Last.After(head.Last) {
			head = &cs[i]
		}
	}
	return head
}

// Reader reads a kind's objects (repository.Repository does).
type Reader interface {
	ReadObject(ctx context.Context, k repository.Kind, name string) (io.ReadCloser, error)
}

// ReadSegment opens and verifies the stored segment s: decompressed, its
// checksum and commands checked (OpenSegment), and its header and footer
// matching its name (stream, start and end offsets), so that a segment
// renamed or copied into the wrong place is not taken for another.
func ReadSegment(ctx context.Context, repo Reader, s Segment) (*SegmentReader, error) {
	rc, err := repo.ReadObject(ctx, repository.Archive, s.Name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	sr, err := OpenSegment(rc)
	if err != nil {
		return nil, err
	}
	switch h, f := sr.Header, sr.Footer; {
	case h.ReplID != s.ReplID || h.StartOffset != s.Start:
		return nil, fmt.Errorf("its header says stream %s from offset %d, its name %s from %d", h.ReplID, h.StartOffset, s.ReplID, s.Start)
	case f.EndOffset != s.End:
		return nil, fmt.Errorf("its footer says it ends at offset %d, its name at %d", f.EndOffset, s.End)
	}
	return sr, nil
}

// LastWrite is when the newest write of chain c was received: its last
// segment's footer time, read from repo; the segment's commit time when
// it cannot be read (err says why); the chain's time (its base's) when it
// has no segment.
func LastWrite(ctx context.Context, repo Reader, c *Chain) (time.Time, error) {
	if c == nil {
		return time.Time{}, nil
	}
	if len(c.Segments) == 0 {
		return c.Last, nil
	}
	s := c.Segments[len(c.Segments)-1]
	sr, err := ReadSegment(ctx, repo, s)
	if err != nil {
		return s.Committed, fmt.Errorf("segment %s: %w", s.Name, err)
	}
	return sr.Footer.Last, nil
}
