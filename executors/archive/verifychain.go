package archive

import (
	"context"
	"fmt"
	"sync"

	"github.com/redisplan/redisplan/executors/backup"
)

// ChainReport is what VerifyChains found.
type ChainReport struct {
	// Chains is how many windows (chains with a base) were checked,
	// Segments how many of their segments were read, Bytes their stored
	// size.
	Chains   int
	Segments int
	Bytes    int64
	// Problems says what is wrong, one sentence each; none when every
	// chain is whole.
	Problems []string
	// Gaps are the times between chains no restore reaches (Chains):
	// reported, not damage.
	Gaps []Gap
}

// OK reports whether every chain is whole.
func (r ChainReport) OK() bool { return len(r.Problems) == 0 }

// VerifyChains checks that the chain from each base backup to the newest
// segment of its stream is whole: every segment readable, its checksum
// right and its header and footer matching its name (ReadSegment), and
// the offsets contiguous from the base's position on, and the newest
// chain of each stream reaching the stream's newest segment (segments no
// base reaches are damage). A hole before a newer base of the stream
// (the archiver fell behind the server's backlog and took a new base) and
// a change of stream (a restart of the server) are gaps: reported, not
// damage. bases are the target's own base backups.
func VerifyChains(ctx context.Context, repo interface {
	Lister
	Reader
}, bases []*backup.Manifest) (ChainReport, error) {
	var r ChainReport
	segs, err := ListSegments(ctx, repo)
	if err != nil {
		return r, err
	}
	newest := map[string]int64{}
	for _, s := range segs {
		newest[s.ReplID] = max(newest[s.ReplID], s.End)
	}
	o := overviewOf(bases, segs)
	r.Gaps = o.Gaps
	last := map[string]int{} // each stream's newest window
	for i, c := range o.Windows {
		if j, ok := last[c.ReplID]; !ok || c.From > o.Windows[j].From {
			last[c.ReplID] = i
		}
	}
	for i, c := range o.Windows {
		r.Chains++
		errs := readAll(ctx, repo, c.Segments)
		if err := ctx.Err(); err != nil {
			return r, err
		}
		for j, s := range c.Segments {
			r.Segments++
			r.Bytes += s.Size
			if errs[j] != nil {
				r.Problems = append(r.Problems, fmt.Sprintf("segment %s of the chain from backup %s is damaged: %v", s.Name, c.Base.ID, errs[j]))
			}
		}
		if end := newest[c.ReplID]; last[c.ReplID] == i && c.To < end {
			r.Problems = append(r.Problems, fmt.Sprintf("the chain from backup %s stops at offset %d of stream %s, whose newest segment ends at %d: "+
				"the segments between are missing, so no restore reaches past %s", c.Base.ID, c.To, c.ReplID, end, c.Last.UTC().Format("2006-01-02T15:04:05Z")))
		}
	}
	return r, nil
}

// verifyReaders is how many segments VerifyChains reads at once: a store
// answers each GET after a round trip, and a day of a busy target is
// tens of thousands of segments.
const verifyReaders = 4

// readAll reads each segment with ReadSegment, verifyReaders at a time,
// and returns each one's error (nil when whole), in order.
func readAll(ctx context.Context, repo Reader, segs []Segment) []error {
	errs := make([]error, len(segs))
	sem := make(chan struct{}, verifyReaders)
	var wg sync.WaitGroup
	for i, s := range segs {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			_, errs[i] = ReadSegment(ctx, repo, s)
		}()
	}
	wg.Wait()
	return errs
}
