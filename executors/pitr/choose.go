package pitr

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/redisplan/redisplan/executors/archive"
	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/repository"
)

// Choice is what a restore to a time replays: a base backup and the
// segments of its chain from the base's stream position on.
type Choice struct {
	// Base is the base backup; Chain the recoverable window it anchors.
	Base  *backup.Manifest
	Chain archive.Chain
	// Segments are the chain's segments from the one holding the base's
	// position on (the stream is read lazily: only those up to the time
	// are opened).
	Segments []archive.Segment
	// Until is the time asked for; zero for everything archived.
	Until time.Time
}

// Lasts are the receive times of the last writes of segments, by name,
// from their footers (LastTimes). A segment's commit time, which is all
// its listing says, is later than its last write, and on S3 only to the
// second: a window ends at the last write of its last segment when that
// is known.
type Lasts map[string]time.Time

// last is when c's last archived write was received, as far as lasts
// know, else its last segment's commit time.
func (l Lasts) last(c archive.Chain) time.Time {
	if n := len(c.Segments); n > 0 {
		if t, ok := l[c.Segments[n-1].Name]; ok && !t.IsZero() {
			return t
		}
	}
	return c.Last
}

// LastTimes reads the footer of the last segment of every recoverable
// chain: one object each. A segment that cannot be read or is damaged is
// left out (its chain then ends at the segment's commit time, and a
// replay of that chain reads it and fails naming it): a damaged chain
// does not stop a restore into another one, which reads only its own
// segments. Only the context's end fails it.
func LastTimes(ctx context.Context, repo ObjectReader, chains []archive.Chain) (Lasts, error) {
	out := Lasts{}
	for _, c := range chains {
		if !c.Recoverable() || len(c.Segments) == 0 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s := c.Segments[len(c.Segments)-1]
		rc, err := repo.ReadObject(ctx, repository.Archive, s.FileName())
		if err != nil {
			continue
		}
		sr, err := archive.OpenSegment(rc)
		rc.Close()
		if err != nil {
			continue
		}
		out[s.Name] = sr.Footer.Last
	}
	return out, nil
}

// Window is a time a restore can reach: from the end of the oldest base
// of a chain to the chain's last archived write.
type Window struct{ From, To time.Time }

// BaseTime is when a base backup's data is known to be from: its end
// (its data is at most that recent), or its start for a manifest without
// one.
func BaseTime(m *backup.Manifest) time.Time {
	if !m.Finished.IsZero() {
		return m.Finished
	}
	return m.Started
}

// Windows are the recoverable windows of chains, oldest first.
func Windows(chains []archive.Chain, lasts Lasts) []Window {
	var out []Window
	for _, c := range chains {
		if !c.Recoverable() {
			continue
		}
		from := BaseTime(c.Bases[0])
		for _, b := range c.Bases {
			if BaseTime(b).Before(from) {
				from = BaseTime(b)
			}
		}
		to := lasts.last(c)
		if to.Before(from) {
			to = from
		}
		out = append(out, Window{From: from, To: to})
	}
	return out
}

// DescribeWindows says the windows in words for an error.
func DescribeWindows(ws []Window) string {
	if len(ws) == 0 {
		return "the archive holds no recoverable window (no base backup with a stream position, or no segment after one): run redisplan archive -target NAME, which takes a base when it starts"
	}
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = fmt.Sprintf("from %s to %s", stamp(w.From), stamp(w.To))
	}
	return "point-in-time recovery is possible " + strings.Join(parts, ", ")
}

// ErrOutside is a time no recoverable window holds.
var ErrOutside = errors.New("no recoverable window holds that time")

// Choose picks, among the chains archive.Chains found, what a restore to
// at replays (zero at: everything
// archived): among the bases that anchor a recoverable chain, the newest
// whose data is from at or before at (BaseTime) in a chain whose last
// archived write is at or after at. For everything archived, the newest
// base of the chain archived last. An error names the windows when no
// chain holds the time.
func Choose(chains []archive.Chain, lasts Lasts, at time.Time) (Choice, error) {
	var best Choice
	found := false
	for _, c := range chains {
		if !c.Recoverable() {
			continue
		}
		if at.IsZero() {
			if found && !lasts.last(c).After(lasts.last(best.Chain)) {
				continue
			}
			b := c.Bases[len(c.Bases)-1]
			best, found = Choice{Base: b, Chain: c}, true
			continue
		}
		if lasts.last(c).Before(at) {
			continue
		}
		for _, b := range c.Bases {
			if BaseTime(b).After(at) {
				continue
			}
			if !found || BaseTime(b).After(BaseTime(best.Base)) {
				best, found = Choice{Base: b, Chain: c}, true
			}
		}
	}
	if !found {
		ws := Windows(chains, lasts)
		if at.IsZero() {
			return Choice{}, fmt.Errorf("%w: %s", ErrOutside, DescribeWindows(ws))
		}
		return Choice{}, fmt.Errorf("%w: %s is outside what the archive can restore; %s", ErrOutside, stamp(at), DescribeWindows(ws))
	}
	best.Until = at
	for _, s := range best.Chain.Segments {
		if s.End > best.Base.ReplOffset {
			best.Segments = append(best.Segments, s)
		}
	}
	return best, nil
}

// ObjectReader reads an object of the archive (repository.Repository
// does).
type ObjectReader interface {
	ReadObject(ctx context.Context, k repository.Kind, name string) (io.ReadCloser, error)
}

var _ ObjectReader = (*repository.Repository)(nil)

// OpenStream returns the write stream of c after its base's position, as
// AOF incr content for Replay: a SELECT of the database the stream is in
// at that position, then the segments' commands and time marks in order,
// each segment checked whole (archive.OpenSegment) before any of it is
// given. Segments are read one at a time as the content is read; closing
// the reader stops the reading.
func OpenStream(ctx context.Context, repo ObjectReader, c Choice) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		// Buffered: a handoff through the pipe per command would cost
		// more than the command.
		bw := bufio.NewWriterSize(pw, 256<<10)
		err := writeStream(ctx, bw, repo, c)
		if err == nil {
			err = bw.Flush()
		}
		pw.CloseWithError(err)
	}()
	return pr
}

func writeStream(ctx context.Context, w io.Writer, repo ObjectReader, c Choice) error {
	from := c.Base.ReplOffset
	started := false
	for _, seg := range c.Segments {
		if err := ctx.Err(); err != nil {
			return err
		}
		rc, err := repo.ReadObject(ctx, repository.Archive, seg.FileName())
		if err != nil {
			return fmt.Errorf("read segment %s: %w", seg.FileName(), err)
		}
		sr, err := archive.OpenSegment(rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("segment %s: %w", seg.FileName(), err)
		}
		// A resume's mark, which the segment holds before its commands,
		// goes on to CutAt when the late stretch is after the base.
		for _, rs := range sr.Resumed {
			if rs.UntilOffset <= from {
				continue
			}
			line, err := rs.Line()
			if err != nil {
				return fmt.Errorf("segment %s: %w", seg.FileName(), err)
			}
			if _, err := w.Write(line); err != nil {
				return err
			}
		}
		db := sr.Header.DB
		for {
			e, err := sr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fmt.Errorf("segment %s: %w", seg.FileName(), err)
			}
			if !started {
				if e.Mark && e.Offset < from || !e.Mark && e.Offset <= from {
					db = e.DB
					continue
				}
				if !e.Mark && e.Offset-int64(len(e.Raw)) < from {
					return fmt.Errorf("segment %s: the base %s is at stream offset %d, inside a command (%d to %d): the base and the archive disagree",
						seg.FileName(), c.Base.ID, from, e.Offset-int64(len(e.Raw)), e.Offset)
				}
				if _, err := w.Write(selectCommand(db)); err != nil {
					return err
				}
				started = true
			}
			if _, err := w.Write(e.Raw); err != nil {
				return err
			}
		}
	}
	if !started {
		// Nothing after the base: the stream is only the base's database.
		_, err := w.Write(selectCommand(c.Base.ReplStreamDB))
		return err
	}
	return nil
}
