package archive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/backup/capture"
	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/executors/repository"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
)

// Defaults of Options.
const (
	DefaultFlush = model.DefaultArchiveFlush
	// DefaultMaxSegment is the raw size at which a segment is cut before
	// its flush is due.
	DefaultMaxSegment = 64 << 20
	// idleCut is how often the offsets of a stream without writes (the
	// master's PINGs) are committed, as a segment without commands.
	idleCut = time.Minute
	// ackEvery is how often the archiver reports the offset it committed.
	ackEvery = time.Second
	// stopWait bounds the wait for the end of a transaction at shutdown.
	stopWait = 5 * time.Second
	// maxBackoff bounds the wait between two attempts to reach the server.
	maxBackoff = 30 * time.Second
	// stableLink is how long a link must have streamed for a lost one to
	// be tried again at once.
	stableLink = 10 * time.Second
	// reportEvery is how often a summary line says how far it got.
	reportEvery = time.Minute
	chunkSize   = 64 << 10
)

// Options say what Follow follows and where it stores it.
type Options struct {
	// Repo is the target's repository: its connection is followed, its
	// destination receives bases and segments.
	Repo *repository.Repository
	// Flush is the longest a received write waits before it is committed
	// (DefaultFlush when 0).
	Flush time.Duration
	// MaxSegment is the raw size at which a segment is cut before its
	// flush is due (DefaultMaxSegment when 0).
	MaxSegment int64
	// Emit receives what the archiver does.
	Emit progress.Sink
	// Committed, when set, is called after each segment or base is
	// committed, with the stream position it ends at.
	Committed func(replID string, offset int64)
}

// Position is a point of a replication stream, and the database selected
// there.
type Position struct {
	ReplID string
	Offset int64
	DB     int
	// Last is when the stream up to Offset was received (zero when
	// unknown).
	Last time.Time
}

// Follow follows the target's write stream as a replica until ctx ends,
// committing a segment at least every Flush while writes flow, and
// returns nil then, once what it received is committed. It resumes from
// the end of the archive's newest chain (PSYNC replid offset+1); when the
// server cannot continue it (its backlog no longer holds the offset, or
// it restarted with a new replication ID) it stores the full
// resynchronization's RDB as a new base and the archive has a gap, which
// Chains reports. A lost link is retried with a growing pause; a refusal
// of the credentials or of a permission ends it with an error.
func Follow(ctx context.Context, o Options) error {
	if o.Flush <= 0 {
		o.Flush = DefaultFlush
	}
	if o.MaxSegment <= 0 {
		o.MaxSegment = DefaultMaxSegment
	}
	t := o.Repo.Target
	emit := o.Emit.With(progress.Event{Operation: progress.OpArchive, Target: t.Name}).Say
	if err := o.Repo.RefuseShared(ctx); err != nil {
		return err
	}
	if n, err := o.Repo.Storage.Clean(ctx); err != nil {
		return fmt.Errorf("clean leftovers of interrupted bases: %w", err)
	} else if n > 0 {
		emit(progress.Step, "removed %d leftover(s) of interrupted bases", n)
	}
	if n, err := o.Repo.CleanObjects(ctx, repository.Archive, func(name string) bool { _, ok := ParseName(name); return ok }); err != nil {
		return fmt.Errorf("clean leftovers of interrupted commits: %w", err)
	} else if n > 0 {
		emit(progress.Step, "removed %d leftover(s) of interrupted segment commits", n)
	}
	pos, ok, err := ResumePoint(ctx, o.Repo)
	if err != nil {
		return err
	}
	f := &follower{o: o, emit: emit, pos: pos, known: ok}
	if ok {
		emit(progress.Step, "resuming the stream of %s at offset %d (db %d)", pos.ReplID, pos.Offset, pos.DB)
	} else {
		emit(progress.Step, "no base to continue from: a full resynchronization will take one")
	}
	backoff := time.Second
	for {
		began := time.Now()
		streamed, err := f.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, errNewBase) {
			continue
		}
		if fatal(err) {
			return err
		}
		pause := backoff
		if streamed && time.Since(began) > stableLink {
			// A link that had worked a while is tried again at once,
			// then with a growing pause.
			pause, backoff = 0, time.Second
		} else {
			backoff = min(2*backoff, maxBackoff)
		}
		emit(progress.Warning, "%v; trying again in %v", err, pause)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(pause):
		}
	}
}

// fatal reports whether err is one that trying again will not cure: the
// server refused the credentials or a permission.
func fatal(err error) bool {
	var re *live.ReplyError
	if !errors.As(err, &re) {
		return false
	}
	for _, code := range []string{"NOAUTH", "WRONGPASS", "NOPERM", "ERR AUTH", "ERR invalid password"} {
		if strings.HasPrefix(re.Msg, code) {
			return true
		}
	}
	return false
}

// errNewBase ends a session whose stream cannot be chained to the
// archive: the next one asks for a full resynchronization at once.
var errNewBase = errors.New("a new base is needed")

// ResumePoint is where the archive's newest chain ends: the end of the
// chain that holds the newest base backup with a stream position
// (its last segment's end, or the base's own position). false when no
// backup has a position.
func ResumePoint(ctx context.Context, repo *repository.Repository) (Position, bool, error) {
	own, _, err := repo.Catalog(ctx)
	if err != nil {
		return Position{}, false, err
	}
	segs, err := ListSegments(ctx, repo)
	if err != nil {
		return Position{}, false, err
	}
	var newest *backup.Manifest
	for _, m := range own {
		if m.ReplID != "" && m.Usable() && (newest == nil || !m.Started.Before(newest.Started)) {
			newest = m
		}
	}
	if newest == nil {
		return Position{}, false, nil
	}
	chains, _ := Chains(own, segs)
	for _, c := range chains {
		for _, b := range c.Bases {
			if b != newest {
				continue
			}
			p := Position{ReplID: c.ReplID, Offset: b.ReplOffset, DB: b.ReplStreamDB, Last: b.Finished}
			if p.Last.IsZero() {
				p.Last = b.Started
			}
			if n := len(c.Segments); n > 0 && c.To > b.ReplOffset {
				last := c.Segments[n-1]
				foot, err := endFooter(ctx, repo, last)
				if err != nil {
					return Position{}, false, err
				}
				p.Offset, p.DB, p.Last = last.End, foot.DB, foot.Last
			}
			return p, true, nil
		}
	}
	return Position{}, false, fmt.Errorf("base %s is in no chain", newest.ID)
}

// endFooter reads the footer of segment s: the database selected at its
// end and when its last bytes were received (ReadSegment checks it whole
// first).
func endFooter(ctx context.Context, repo *repository.Repository, s Segment) (Footer, error) {
	r, err := ReadSegment(ctx, repo, s)
	if err != nil {
		return Footer{}, fmt.Errorf("segment %s: %w", s.Name, err)
	}
	return r.Footer, nil
}

// follower is one archiver's state across sessions.
type follower struct {
	o     Options
	emit  func(progress.Level, string, ...any)
	pos   Position // the end of what is committed
	known bool     // pos is a stream the archive holds
	// late is the stretch of the stream a resume receives from the
	// server's backlog, to be marked in the next segment; nil when none.
	late *Resumed

	// Counters for the summary line.
	segments, commands int
	lastReport         time.Time
}

// chunk is what the reader goroutine passes on: bytes, or why it ended.
type chunk struct {
	data []byte
	err  error
}

var chunkPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

// session follows the stream over one connection, until it fails or ctx
// ends. streamed says the stream was reached.
func (f *follower) session(ctx context.Context) (streamed bool, err error) {
	t := f.o.Repo.Target
	// The link outlives ctx by the time a shutdown takes to flush.
	linkCtx, cancelLink := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelLink()
	st, err := capture.DialStream(linkCtx, t.Connection)
	if err != nil {
		return false, err
	}
	defer st.Close()
	replID := ""
	if f.known {
		replID = f.pos.ReplID
	}
	res, err := st.PSync(replID, f.pos.Offset)
	if err != nil {
		return false, err
	}
	switch {
	case res.Full:
		if err := f.storeBase(ctx, st, res); err != nil {
			return false, err
		}
	case res.ReplID != f.pos.ReplID:
		// PSYNC2 after a failover: the history continues under another
		// ID. A base of the new ID keeps every chain restorable.
		f.emit(progress.Warning, "the server continues the stream under a new replication ID %s (a failover): taking a new base", res.ReplID)
		f.known = false
		return true, errNewBase
	default:
		f.emit(progress.Step, "continuing the stream of %s from offset %d", f.pos.ReplID, f.pos.Offset)
		if err := f.markLate(ctx); err != nil {
			return true, err
		}
	}
	if err := st.Ack(f.pos.Offset); err != nil {
		return true, err
	}
	return true, f.stream(ctx, st)
}

// markLate notes, after a +CONTINUE, the stretch of the stream the
// server kept in its backlog while the archiver was away: from the
// committed offset to the server's offset now. Those writes arrive at
// once and their time marks are the resume's; the next segment says so.
func (f *follower) markLate(ctx context.Context) error {
	regained := time.Now()
	client, err := live.Dial(f.o.Repo.Target.Connection)
	if err != nil {
		return err
	}
	info, err := live.Info(ctx, client, "replication")
	client.Close()
	if err != nil {
		return fmt.Errorf("read INFO replication of redis.%s after the resume: %w", f.o.Repo.Target.Name, err)
	}
	until, err := strconv.ParseInt(info["master_repl_offset"], 10, 64)
	if err != nil {
		return fmt.Errorf("INFO replication of redis.%s: master_repl_offset %q: %w", f.o.Repo.Target.Name, info["master_repl_offset"], err)
	}
	f.late = nil
	if until > f.pos.Offset {
		f.late = &Resumed{Lost: f.pos.Last, Regained: regained, FromOffset: f.pos.Offset, UntilOffset: until}
	}
	return nil
}

// storeBase stores the RDB of a full resynchronization as a base.
func (f *follower) storeBase(ctx context.Context, st *capture.Stream, res capture.PSyncResult) error {
	t := f.o.Repo.Target
	started := time.Now()
	if f.known {
		why := "the server's replication backlog no longer holds it"
		if res.ReplID != f.pos.ReplID {
			why = "the server's replication ID changed to " + res.ReplID + " (it restarted, or failed over)"
		}
		f.emit(progress.Warning, "the stream of %s cannot be continued from offset %d: %s. Taking a new base; "+
			"the writes between the last archived one and this base are not archived (backup list shows the gap)", f.pos.ReplID, f.pos.Offset, why)
	}
	client, err := live.Dial(t.Connection)
	if err != nil {
		return err
	}
	info, err := live.Info(ctx, client, "server", "memory", "keyspace", "persistence")
	client.Close()
	if err != nil {
		return fmt.Errorf("read INFO of redis.%s for the base: %w", t.Name, err)
	}
	expected, _ := strconv.ParseInt(info["used_memory"], 10, 64)
	rdb, err := st.RDB()
	if err != nil {
		return err
	}
	m, err := f.o.Repo.StoreBase(ctx, repository.BaseOptions{RDB: rdb, Expected: expected, ReplID: res.ReplID,
		ReplOffset: res.Offset, Started: started, Info: info, Emit: f.o.Emit})
	if err != nil {
		return fmt.Errorf("store the base: %w", err)
	}
	f.pos, f.known = Position{ReplID: res.ReplID, Offset: res.Offset, Last: m.Finished}, true
	f.late = nil
	f.emit(progress.Step, "stored base %s (%d keys) at offset %d of %s", m.ID, m.TotalKeys(), res.Offset, res.ReplID)
	if f.o.Committed != nil {
		f.o.Committed(f.pos.ReplID, f.pos.Offset)
	}
	return nil
}

// open is the segment being written.
type open struct {
	w     *SegmentWriter
	buf   bytes.Buffer
	since time.Time
}

// stream reads the stream into segments until the link fails or ctx ends.
func (f *follower) stream(ctx context.Context, st *capture.Stream) error {
	chunks := make(chan chunk, 8)
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			bp := chunkPool.Get().(*[]byte)
			n, err := st.Read(*bp)
			var c chunk
			if n > 0 {
				c.data = (*bp)[:n]
			}
			c.err = err
			select {
			case chunks <- c:
			case <-done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	tick := time.NewTicker(min(f.o.Flush/4, 100*time.Millisecond))
	defer tick.Stop()
	var (
		pending  []byte
		seg      *open
		lastAck                  = time.Now()
		stopping <-chan struct{} = ctx.Done()
		giveUp   <-chan time.Time
	)
	cut := func(now time.Time) error {
		if seg == nil {
			return nil
		}
		foot, err := seg.w.Close(now)
		if err != nil {
			return err
		}
		h := seg.w.Header()
		s := Segment{ReplID: h.ReplID, Start: h.StartOffset, End: foot.EndOffset}
		// Committed whatever ctx says: a shutdown flushes.
		if err := f.o.Repo.CommitObject(context.WithoutCancel(ctx), repository.Archive, s.FileName(), seg.buf.Bytes()); err != nil {
			return err
		}
		f.pos = Position{ReplID: h.ReplID, Offset: foot.EndOffset, DB: foot.DB, Last: foot.Last}
		f.segments++
		f.commands += foot.Commands
		seg = nil
		if f.o.Committed != nil {
			f.o.Committed(f.pos.ReplID, f.pos.Offset)
		}
		lastAck = now
		return st.Ack(f.pos.Offset)
	}
	ensure := func(now time.Time) error {
		if seg != nil {
			return nil
		}
		seg = &open{since: now}
		w, err := NewSegmentWriter(&seg.buf, Header{Target: f.o.Repo.Target.Name, ReplID: f.pos.ReplID,
			StartOffset: f.pos.Offset, DB: f.pos.DB, First: now})
		seg.w = w
		if err == nil && f.late != nil && f.late.FromOffset == f.pos.Offset {
			err = w.Resumed(*f.late)
		}
		f.late = nil
		return err
	}
	// consume writes the whole commands in pending to the segment.
	consume := func(now time.Time) error {
		p := 0
		for p < len(pending) {
			n, args, err := ParseCommand(pending[p:])
			if err != nil {
				return fmt.Errorf("the replication stream at offset %d: %w", f.offset(seg), err)
			}
			if n == 0 {
				break
			}
			raw := pending[p : p+n]
			p += n
			if err := ensure(now); err != nil {
				return err
			}
			switch {
			case isCmd(args[0], "ping"):
				seg.w.Skip(int64(n))
				// Acknowledged at once when nothing uncommitted is a
				// write: the master sees the archiver in step.
				if seg.w.Commands() == 0 {
					if err := st.Ack(seg.w.Offset()); err != nil {
						return err
					}
				}
			case isCmd(args[0], "replconf"):
				seg.w.Skip(int64(n))
				if len(args) > 1 && isCmd(args[1], "getack") {
					if err := st.Ack(f.ackOffset(seg)); err != nil {
						return err
					}
				}
			default:
				if err := seg.w.Mark(now); err != nil {
					return err
				}
				if err := seg.w.Command(raw, args); err != nil {
					return err
				}
			}
			if seg.w.RawSize() >= f.o.MaxSegment && !seg.w.InTransaction() {
				if err := cut(now); err != nil {
					return err
				}
			}
		}
		pending = append(pending[:0], pending[p:]...)
		return nil
	}
	// finish commits what was received, unless it ends inside a
	// transaction: then it stays uncommitted, and the next session asks
	// for it again from the committed offset.
	finish := func() error {
		for {
			select {
			case c := <-chunks:
				if c.data != nil {
					pending = append(pending, c.data...)
				}
				if c.err != nil {
					goto done
				}
				continue
			default:
			}
			break
		}
	done:
		if err := consume(time.Now()); err != nil {
			return err
		}
		if seg != nil && seg.w.InTransaction() {
			f.emit(progress.Warning, "the last %d bytes received end inside a transaction and were not committed; the next run asks for them again", seg.w.Offset()-f.pos.Offset)
			seg = nil
			return nil
		}
		return cut(time.Now())
	}
	for {
		select {
		case c := <-chunks:
			now := time.Now()
			if c.data != nil {
				pending = append(pending, c.data...)
				b := c.data[:chunkSize]
				chunkPool.Put(&b)
			}
			if err := consume(now); err != nil {
				return err
			}
			if c.err != nil {
				if seg != nil && !seg.w.InTransaction() {
					if err := cut(now); err != nil {
						return err
					}
				}
				return c.err
			}
			if giveUp != nil && (seg == nil || !seg.w.InTransaction()) {
				return cut(now)
			}
		case now := <-tick.C:
			if seg != nil && !seg.w.InTransaction() {
				due := seg.w.Commands() > 0 && now.Sub(seg.since) >= f.o.Flush ||
					now.Sub(seg.since) >= idleCut
				if due {
					if err := cut(now); err != nil {
						return err
					}
				}
			}
			if now.Sub(lastAck) >= ackEvery {
				lastAck = now
				if err := st.Ack(f.ackOffset(seg)); err != nil {
					return err
				}
			}
			f.report(now)
		case <-stopping:
			stopping = nil
			if seg == nil || !seg.w.InTransaction() {
				return finish()
			}
			giveUp = time.After(stopWait)
		case <-giveUp:
			return finish()
		}
	}
}

// ackOffset is the offset the archiver acknowledges: the end of what is
// committed, or, when everything received after it is the master's PING
// and REPLCONF (the open segment holds no command yet), the end of what
// was received. Those bytes carry no write: acknowledging them keeps WAIT
// meaning "archived" for every write, and lets a master that waits for
// its replicas (SHUTDOWN, a restore's held writes) see the archiver in
// step instead of a minute behind. They are committed with the next
// segment; an archiver stopped before that resumes from the committed
// offset, and the server sends them again.
func (f *follower) ackOffset(seg *open) int64 {
	if seg != nil && seg.w.Commands() == 0 {
		return seg.w.Offset()
	}
	return f.pos.Offset
}

// offset is the stream offset reached: the open segment's end, else the
// committed one.
func (f *follower) offset(seg *open) int64 {
	if seg != nil {
		return seg.w.Offset()
	}
	return f.pos.Offset
}

// report says how far the archive got, every reportEvery.
func (f *follower) report(now time.Time) {
	if f.lastReport.IsZero() {
		f.lastReport = now
		return
	}
	if now.Sub(f.lastReport) < reportEvery {
		return
	}
	f.lastReport = now
	f.emit(progress.Step, "archived %d commands in %d segments; committed up to offset %d of %s", f.commands, f.segments, f.pos.Offset, f.pos.ReplID)
	f.commands, f.segments = 0, 0
}
