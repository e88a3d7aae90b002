// Package archive follows a server's replication stream as a replica and
// keeps it beside the base backups, in segments: the core of continuous
// archiving and point-in-time recovery (docs/archive.md).
//
// A segment is an AOF incr file that redis-server loads: the commands of
// the stream exactly as received (less the master's PING and REPLCONF),
// with annotation lines (#...) that the AOF loader skips: a header, time
// marks and a footer whose sha256 covers every byte before it. It is
// stored zstd-compressed with the content checksum on, under a name that
// says which stretch of the stream it covers.
package archive

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
)

// SegmentVersion is the version of the segment format.
const SegmentVersion = 1

// Annotation prefixes. #TS: is Redis's own timestamp annotation
// (redis-check-aof --truncate-to-timestamp cuts at it); the others are
// redisplan's. Redis 7.0 and Valkey 8 skip every line starting with '#'
// while loading an AOF, reading it into a 1024-byte buffer: a line must be
// shorter than that.
const (
	headerPrefix = "#redisplan-segment "
	footerPrefix = "#redisplan-end "
	tsPrefix     = "#TS:"
	msPrefix     = "#T:"
	// offsetPrefix says the stream offset at that point, after commands
	// that are not written (PING, REPLCONF) were dropped: with it a reader
	// knows the stream offset at the end of every command.
	offsetPrefix = "#O:"
	// resumedPrefix starts a Resumed annotation.
	resumedPrefix = "#redisplan-resumed "
	// maxAnnotation is the longest annotation line the AOF loader reads
	// whole (AOF_ANNOTATION_LINE_MAX_LEN 1024, less the NUL), with room.
	maxAnnotation = 1000
)

const suffix = ".aof.zst"

// Segment is one committed segment object.
type Segment struct {
	// ReplID is the replication ID of the stream.
	ReplID string
	// Start and End are the stream offsets it covers: Start inclusive,
	// End exclusive (the replica offset before its first byte and after
	// its last). End-Start is the bytes of the stream it covers, PING and
	// REPLCONF included though they are not in it.
	Start, End int64
	// Name is its object name (FileName).
	Name string
	// Size is its stored (compressed) size.
	Size int64
	// Committed is when it was committed, as the storage says (zero when
	// unknown): at most the upload's time after its last write.
	Committed time.Time
}

// FileName is the object name of s: <replid>-<start:020d>-<end:020d>.aof.zst.
func (s Segment) FileName() string {
	return fmt.Sprintf("%s-%020d-%020d%s", s.ReplID, s.Start, s.End, suffix)
}

// ParseName reads a segment's object name; false when name is not one.
func ParseName(name string) (Segment, bool) {
	base, ok := strings.CutSuffix(name, suffix)
	if !ok {
		return Segment{}, false
	}
	parts := strings.Split(base, "-")
	if len(parts) != 3 || !validReplID(parts[0]) || len(parts[1]) != 20 || len(parts[2]) != 20 {
		return Segment{}, false
	}
	start, err1 := strconv.ParseInt(parts[1], 10, 64)
	end, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || start < 0 || end < start {
		return Segment{}, false
	}
	return Segment{ReplID: parts[0], Start: start, End: end, Name: name}, true
}

// validReplID reports whether id looks like a replication ID: 40
// lowercase hex digits, as Redis and Valkey make them.
func validReplID(id string) bool {
	if len(id) != 40 {
		return false
	}
	for _, c := range id {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Header is a segment's first line.
type Header struct {
	Version int    `json:"version"`
	Target  string `json:"target"`
	ReplID  string `json:"repl_id"`
	// StartOffset is the stream offset before the segment's first byte.
	StartOffset int64 `json:"start_offset"`
	// DB is the database selected at the start: the commands before the
	// segment's first SELECT run in it.
	DB int `json:"db"`
	// First is when the segment's first bytes were received.
	First time.Time `json:"first"`
}

// Resumed says that the stream after a resume (+CONTINUE) up to
// UntilOffset is what the server's backlog kept while the archiver was
// away: it was received at Regained, all at once, though the server
// applied it between Lost and Regained. The time marks of those commands
// are not the times of the writes.
type Resumed struct {
	// Lost is when the archive's stream was last received before the
	// outage (zero when unknown).
	Lost time.Time `json:"lost"`
	// Regained is when the link was made again.
	Regained time.Time `json:"regained"`
	// FromOffset and UntilOffset bound the stream received late: from
	// the resume's offset to the server's offset at the resume.
	FromOffset  int64 `json:"from_offset"`
	UntilOffset int64 `json:"until_offset"`
}

// Line is r as the annotation line a segment holds.
func (r Resumed) Line() ([]byte, error) { return annotation(resumedPrefix, r) }

// ParseResumed reads a Resumed annotation line; false when line is
// another one.
func ParseResumed(line []byte) (Resumed, bool, error) {
	rest, ok := bytes.CutPrefix(line, []byte(resumedPrefix))
	if !ok {
		return Resumed{}, false, nil
	}
	var r Resumed
	if err := json.Unmarshal(bytes.TrimRight(rest, "\r\n"), &r); err != nil {
		return Resumed{}, false, fmt.Errorf("bad resume line %q: %w", bytes.TrimRight(line, "\r\n"), err)
	}
	return r, true, nil
}

// Footer is a segment's last line.
type Footer struct {
	EndOffset int64 `json:"end_offset"`
	// Last is when the segment's last bytes were received (the time of
	// the cut).
	Last time.Time `json:"last"`
	// DB is the database selected at the end: the next segment's header
	// DB.
	DB int `json:"db"`
	// Commands is how many commands the segment holds (SELECT, MULTI and
	// EXEC included).
	Commands int `json:"commands"`
	// SHA256 is the hex SHA-256 of the raw bytes before the footer line.
	SHA256 string `json:"sha256"`
}

// SegmentWriter writes one segment, compressed, to an io.Writer. Its
// methods are not safe for concurrent use.
type SegmentWriter struct {
	enc     *zstd.Encoder
	sum     hash.Hash
	out     io.Writer // enc and sum
	h       Header
	off     int64
	db      int
	tx      bool
	n       int
	lastSec int64
	lastMs  int64
	last    time.Time
	// offsetDue: commands were dropped since the last line, so the next
	// command is preceded by an offset line.
	offsetDue bool
	raw       int64
	err       error
}

// NewSegmentWriter starts a segment on w and writes its header.
func NewSegmentWriter(w io.Writer, h Header) (*SegmentWriter, error) {
	enc, err := zstd.NewWriter(w, zstd.WithEncoderCRC(true), zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithWindowSize(1<<20))
	if err != nil {
		return nil, err
	}
	h.Version = SegmentVersion
	sw := &SegmentWriter{enc: enc, sum: sha256.New(), h: h, off: h.StartOffset, db: h.DB, lastSec: -1, lastMs: -1, last: h.First}
	sw.out = io.MultiWriter(enc, sw.sum)
	line, err := annotation(headerPrefix, h)
	if err != nil {
		return nil, err
	}
	sw.write(line)
	return sw, sw.err
}

// annotation is prefix followed by v as JSON, as one line; an error when
// it would be too long for the AOF loader to skip.
func annotation(prefix string, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	line := append(append([]byte(prefix), b...), '\r', '\n')
	if len(line) > maxAnnotation {
		return nil, fmt.Errorf("segment annotation of %d bytes is longer than the %d an AOF loader reads whole", len(line), maxAnnotation)
	}
	return line, nil
}

func (w *SegmentWriter) write(b []byte) {
	if w.err != nil {
		return
	}
	_, w.err = w.out.Write(b)
	w.raw += int64(len(b))
}

// Offset is the stream offset at the end of what was given so far.
func (w *SegmentWriter) Offset() int64 { return w.off }

// DB is the database selected at the end of what was given so far.
func (w *SegmentWriter) DB() int { return w.db }

// InTransaction reports whether a MULTI was given without its EXEC (or
// DISCARD): the segment cannot end there.
func (w *SegmentWriter) InTransaction() bool { return w.tx }

// Commands is how many commands were written.
func (w *SegmentWriter) Commands() int { return w.n }

// RawSize is how many bytes were written before compression.
func (w *SegmentWriter) RawSize() int64 { return w.raw }

// Header is the segment's header.
func (w *SegmentWriter) Header() Header { return w.h }

// Mark stamps what follows with the time t it was received: #T:<unix ms>
// when the millisecond changed, and first #TS:<unix s> when the second
// did. Inside a transaction it writes nothing: a mark is where a restore
// may cut.
func (w *SegmentWriter) Mark(t time.Time) error {
	if w.tx {
		return w.err
	}
	if t.After(w.last) {
		w.last = t
	}
	if s := t.Unix(); s != w.lastSec {
		w.lastSec = s
		w.write([]byte(tsPrefix + strconv.FormatInt(s, 10) + "\r\n"))
	}
	if ms := t.UnixMilli(); ms != w.lastMs {
		w.lastMs = ms
		w.write([]byte(msPrefix + strconv.FormatInt(ms, 10) + "\r\n"))
	}
	return w.err
}

// Resumed writes a Resumed annotation at this point of the segment.
func (w *SegmentWriter) Resumed(r Resumed) error {
	line, err := r.Line()
	if err != nil {
		return err
	}
	w.write(line)
	return w.err
}

// Command writes one command of the stream: raw is its exact RESP bytes,
// args its parsed arguments. It follows SELECT and MULTI/EXEC/DISCARD.
func (w *SegmentWriter) Command(raw []byte, args [][]byte) error {
	if w.offsetDue {
		w.offsetDue = false
		w.write([]byte(offsetPrefix + strconv.FormatInt(w.off, 10) + "\r\n"))
	}
	w.write(raw)
	w.off += int64(len(raw))
	w.n++
	w.follow(args)
	return w.err
}

// follow tracks the database and the transaction state through args.
func (w *SegmentWriter) follow(args [][]byte) {
	db, tx := w.db, w.tx
	w.db, w.tx = track(args, db, tx)
}

// track is the database and transaction state after a command.
func track(args [][]byte, db int, tx bool) (int, bool) {
	if len(args) == 0 {
		return db, tx
	}
	switch {
	case len(args) == 2 && isCmd(args[0], "select"):
		if n, err := strconv.Atoi(string(args[1])); err == nil {
			db = n
		}
	case len(args) == 1 && isCmd(args[0], "multi"):
		tx = true
	case len(args) == 1 && (isCmd(args[0], "exec") || isCmd(args[0], "discard")):
		tx = false
	}
	return db, tx
}

func isCmd(b []byte, name string) bool {
	return len(b) == len(name) && strings.EqualFold(string(b), name)
}

// Skip accounts for n bytes of the stream that are not written (the
// master's PING and REPLCONF): they are covered by the segment's offsets,
// and the next command is preceded by an offset line.
func (w *SegmentWriter) Skip(n int64) {
	w.off += n
	w.offsetDue = true
}

// ErrInTransaction is Close's refusal to end a segment inside MULTI/EXEC.
var ErrInTransaction = errors.New("segment would end inside a transaction")

// Close writes the footer (end offset, last receive time, count, sha256)
// and ends the compressed stream. last is the time of the cut.
func (w *SegmentWriter) Close(last time.Time) (Footer, error) {
	if w.tx {
		return Footer{}, ErrInTransaction
	}
	if last.Before(w.last) {
		last = w.last
	}
	f := Footer{EndOffset: w.off, Last: last, DB: w.db, Commands: w.n, SHA256: hex.EncodeToString(w.sum.Sum(nil))}
	line, err := annotation(footerPrefix, f)
	if err != nil {
		return Footer{}, err
	}
	if w.err == nil {
		_, w.err = w.enc.Write(line)
		w.raw += int64(len(line))
	}
	if err := w.enc.Close(); w.err == nil {
		w.err = err
	}
	return f, w.err
}

// Entry is one element of a segment: a command or a time mark.
type Entry struct {
	// Mark is true for a time mark (#TS: or #T:).
	Mark bool
	// Time is a mark's time.
	Time time.Time
	// Raw is a command's exact RESP bytes, or a mark's line. It is valid
	// until the reader is dropped.
	Raw []byte
	// Args are a command's arguments (aliasing Raw).
	Args [][]byte
	// DB is the database a command runs in (for a SELECT, the one it
	// selects); for a mark, the database selected there.
	DB int
	// Offset is the stream offset at the end of a command; at a mark, the
	// offset there.
	Offset int64
	// InTransaction reports whether the command is inside MULTI/EXEC
	// (MULTI itself included, EXEC not).
	InTransaction bool
}

// SegmentReader reads a segment that OpenSegment verified whole.
type SegmentReader struct {
	Header Header
	Footer Footer
	// Resumed are the segment's Resumed annotations, in order.
	Resumed []Resumed
	seen    []Resumed // the Resumed lines Next passed
	body    []byte    // between the header and the footer
	pos     int
	off     int64
	db      int
	tx      bool
}

// maxSegment bounds what OpenSegment decompresses.
const maxSegment = 1 << 30

// OpenSegment reads a stored segment: it decompresses it (checking zstd's
// content checksum), parses the header and footer, and checks the
// footer's sha256 against the bytes before it and that the commands it
// holds are as many as the footer says, before anything is yielded.
func OpenSegment(r io.Reader) (*SegmentReader, error) {
	dec, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	data, err := io.ReadAll(io.LimitReader(dec, maxSegment+1))
	if err != nil {
		return nil, fmt.Errorf("read segment: %w", err)
	}
	if len(data) > maxSegment {
		return nil, fmt.Errorf("segment is larger than %d bytes", maxSegment)
	}
	nl := bytes.IndexByte(data, '\n')
	if nl < 0 || !bytes.HasPrefix(data, []byte(headerPrefix)) {
		return nil, errors.New("not a redisplan segment: no header line")
	}
	sr := &SegmentReader{}
	if err := json.Unmarshal(bytes.TrimRight(data[len(headerPrefix):nl], "\r"), &sr.Header); err != nil {
		return nil, fmt.Errorf("segment header: %w", err)
	}
	if sr.Header.Version != SegmentVersion {
		return nil, fmt.Errorf("segment version %d: this build reads version %d", sr.Header.Version, SegmentVersion)
	}
	trimmed := bytes.TrimSuffix(data, []byte("\n"))
	fl := bytes.LastIndexByte(trimmed, '\n') + 1
	if fl <= nl || !bytes.HasPrefix(data[fl:], []byte(footerPrefix)) {
		return nil, errors.New("segment has no footer: it is truncated")
	}
	if err := json.Unmarshal(bytes.TrimRight(data[fl+len(footerPrefix):], "\r\n"), &sr.Footer); err != nil {
		return nil, fmt.Errorf("segment footer: %w", err)
	}
	sum := sha256.Sum256(data[:fl])
	if got := hex.EncodeToString(sum[:]); got != sr.Footer.SHA256 {
		return nil, fmt.Errorf("segment checksum mismatch: footer says %s, content is %s", sr.Footer.SHA256, got)
	}
	sr.body = data[nl+1 : fl]
	sr.off, sr.db = sr.Header.StartOffset, sr.Header.DB
	// A walk through the whole body, so that a malformed command is found
	// before the caller acts on any of it.
	n := 0
	check := *sr
	for {
		e, err := check.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if !e.Mark {
			n++
		}
	}
	sr.Resumed = check.seen
	if n != sr.Footer.Commands {
		return nil, fmt.Errorf("segment holds %d commands, its footer says %d", n, sr.Footer.Commands)
	}
	if check.off > sr.Footer.EndOffset || check.tx || check.db != sr.Footer.DB {
		return nil, fmt.Errorf("segment's commands end at offset %d in db %d (in a transaction: %v), its footer says %d in db %d", check.off, check.db, check.tx, sr.Footer.EndOffset, sr.Footer.DB)
	}
	return sr, nil
}

// Next returns the next entry; io.EOF after the last.
func (r *SegmentReader) Next() (Entry, error) {
	for r.pos < len(r.body) {
		rest := r.body[r.pos:]
		if rest[0] == '#' {
			nl := bytes.IndexByte(rest, '\n')
			if nl < 0 {
				return Entry{}, fmt.Errorf("segment: annotation without end at byte %d", r.pos)
			}
			line := rest[:nl+1]
			r.pos += nl + 1
			text := string(bytes.TrimRight(line, "\r\n"))
			switch {
			case strings.HasPrefix(text, tsPrefix):
				s, err := strconv.ParseInt(text[len(tsPrefix):], 10, 64)
				if err != nil {
					return Entry{}, fmt.Errorf("segment: bad mark %q", text)
				}
				return Entry{Mark: true, Time: time.Unix(s, 0), Raw: line, DB: r.db, Offset: r.off}, nil
			case strings.HasPrefix(text, msPrefix):
				ms, err := strconv.ParseInt(text[len(msPrefix):], 10, 64)
				if err != nil {
					return Entry{}, fmt.Errorf("segment: bad mark %q", text)
				}
				return Entry{Mark: true, Time: time.UnixMilli(ms), Raw: line, DB: r.db, Offset: r.off}, nil
			case strings.HasPrefix(text, offsetPrefix):
				o, err := strconv.ParseInt(text[len(offsetPrefix):], 10, 64)
				if err != nil || o < r.off {
					return Entry{}, fmt.Errorf("segment: bad offset line %q", text)
				}
				r.off = o
			case strings.HasPrefix(text, resumedPrefix):
				rs, _, err := ParseResumed(line)
				if err != nil {
					return Entry{}, fmt.Errorf("segment: %w", err)
				}
				r.seen = append(r.seen, rs)
			}
			continue // another annotation: skipped, as the AOF loader does
		}
		n, args, err := ParseCommand(rest)
		if err != nil {
			return Entry{}, fmt.Errorf("segment: at byte %d: %w", r.pos, err)
		}
		if n == 0 {
			return Entry{}, fmt.Errorf("segment: command cut short at byte %d", r.pos)
		}
		raw := rest[:n]
		r.pos += n
		r.off += int64(n)
		wasTx := r.tx
		r.db, r.tx = track(args, r.db, r.tx)
		return Entry{Raw: raw, Args: args, DB: r.db, Offset: r.off, InTransaction: wasTx || r.tx}, nil
	}
	return Entry{}, io.EOF
}
