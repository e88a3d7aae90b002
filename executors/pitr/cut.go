package pitr

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/redisplan/redisplan/executors/archive"
)

// maxLine bounds an annotation or a RESP header line: a longer one is not
// AOF content.
const maxLine = 64 << 10

// Cut is what CutAt kept of a write stream.
type Cut struct {
	// Writes counts the commands kept, without SELECT, MULTI and EXEC:
	// the writes a restore replays.
	Writes int64
	// Commands counts every command kept.
	Commands int64
	// Bytes is the size of what was written.
	Bytes int64
	// First and Last are the times of the first and last time marks kept
	// (zero when none was): the receive times of the first and last
	// batches of commands replayed.
	First, Last time.Time
	// Next is the time of the first mark left out (zero when the stream
	// was kept to its end): the time of the first write not replayed.
	Next time.Time
	// Complete is true when the stream was kept to its end.
	Complete bool
}

// CutAt copies the AOF incr content of src (RESP commands and `#`
// annotation lines, as in a segment of the archive) to dst, up to the
// moment until: every command received at or before it. A `#T:<unix ms>`
// mark precedes each batch of commands received in that millisecond, so
// the copy stops before the first mark later than until; a zero until
// keeps everything. A mark inside MULTI/EXEC, or content that ends inside
// one, is an error: the archive never cuts a transaction, and neither
// does a restore.
func CutAt(dst io.Writer, src io.Reader, until time.Time) (Cut, error) {
	var c Cut
	r := bufio.NewReaderSize(src, 256<<10)
	w := &countingWriter{w: dst}
	limit := int64(-1)
	if !until.IsZero() {
		limit = until.UnixMilli()
	}
	var offset int64 // of what was read from src
	inMulti := false
	// late is the resume the stream just passed, when until is after the
	// moment its outage began: until falls in the outage unless the
	// first batch received after the resume is at or before it.
	var late *archive.Resumed
	for {
		b, err := r.Peek(1)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return c, err
		}
		switch b[0] {
		case '#':
			line, err := readLine(r)
			if err != nil {
				return c, fmt.Errorf("annotation at byte %d: %w", offset, err)
			}
			if rs, ok, err := archive.ParseResumed(line); err != nil {
				return c, fmt.Errorf("annotation at byte %d: %w", offset, err)
			} else if ok && limit >= 0 && limit > rs.Lost.UnixMilli() {
				late = &rs
			}
			if ms, ok, err := parseMark(line); err != nil {
				return c, fmt.Errorf("time mark at byte %d: %w", offset, err)
			} else if ok {
				if inMulti {
					return c, fmt.Errorf("time mark at byte %d is inside MULTI/EXEC: the stream is not a segment of the archive", offset)
				}
				at := time.UnixMilli(ms).UTC()
				if late != nil && ms > limit {
					return c, &ImpreciseError{At: until, Lost: late.Lost.UTC(), Regained: late.Regained.UTC(), Next: at}
				}
				late = nil
				if limit >= 0 && ms > limit {
					c.Next = at
					c.Bytes = w.n
					return c, nil
				}
				if c.First.IsZero() {
					c.First = at
				}
				c.Last = at
			}
			offset += int64(len(line))
			if _, err := w.Write(line); err != nil {
				return c, err
			}
		case '*':
			n, name, err := copyCommand(w, r)
			if err != nil {
				return c, fmt.Errorf("command at byte %d: %w", offset, err)
			}
			offset += n
			c.Commands++
			switch name {
			case "MULTI":
				inMulti = true
			case "EXEC", "DISCARD":
				inMulti = false
			case "SELECT":
			default:
				c.Writes++
			}
		case '\r', '\n':
			// A blank line between entries: skip it, as the loader does
			// not expect it but a hand-made file may hold one.
			line, err := readLine(r)
			if err != nil {
				return c, err
			}
			offset += int64(len(line))
		default:
			return c, fmt.Errorf("byte %d: %q is neither a RESP command nor an annotation", offset, b[0])
		}
	}
	if inMulti {
		return c, errors.New("the stream ends inside MULTI/EXEC: a transaction was cut")
	}
	c.Bytes = w.n
	c.Complete = true
	return c, nil
}

// ImpreciseError refuses a time while the archiver was away from the
// server: the writes the server made then reached the archive at once
// when it resumed (from its backlog), stamped with that moment, so the
// state at At is not known. Lost and Next are the nearest times a
// restore reaches exactly.
type ImpreciseError struct {
	At, Lost, Regained, Next time.Time
}

func (e *ImpreciseError) Error() string {
	f := func(t time.Time) string { return t.Format("2006-01-02T15:04:05.000Z07:00") }
	return fmt.Sprintf("%s is inside a span whose times are imprecise, from %s to %s: the archiver was away from the server, "+
		"and the writes the server made meanwhile reached the archive at once when it came back, with the time of their arrival. "+
		"The nearest exact times are %s (before the archiver lost the stream) and %s (after those writes arrived)",
		f(e.At), f(e.Lost), f(e.Regained), f(e.Lost), f(e.Next))
}

// parseMark reads a `#T:<unix ms>` line; ok is false for any other
// annotation (`#TS:` included).
func parseMark(line []byte) (ms int64, ok bool, err error) {
	rest, found := bytes.CutPrefix(line, []byte("#T:"))
	if !found {
		return 0, false, nil
	}
	rest = bytes.TrimRight(rest, "\r\n")
	ms, err = strconv.ParseInt(string(rest), 10, 64)
	if err != nil || ms < 0 {
		return 0, false, fmt.Errorf("%q is not a time in unix milliseconds", rest)
	}
	return ms, true, nil
}

// readLine reads through the next '\n'.
func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		part, err := r.ReadSlice('\n')
		line = append(line, part...)
		if err == nil {
			return line, nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			if errors.Is(err, io.EOF) {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if len(line) > maxLine {
			return nil, fmt.Errorf("a line longer than %d bytes", maxLine)
		}
	}
}

// copyCommand copies one RESP array of bulk strings from r to w and
// returns its size and its first element in upper case.
func copyCommand(w io.Writer, r *bufio.Reader) (int64, string, error) {
	head, err := readLine(r)
	if err != nil {
		return 0, "", err
	}
	n, err := respLength(head, '*')
	if err != nil {
		return 0, "", err
	}
	if n < 1 {
		return 0, "", fmt.Errorf("an array of %d elements", n)
	}
	if _, err := w.Write(head); err != nil {
		return 0, "", err
	}
	size := int64(len(head))
	var name string
	for i := int64(0); i < n; i++ {
		bh, err := readLine(r)
		if err != nil {
			return 0, "", err
		}
		l, err := respLength(bh, '$')
		if err != nil {
			return 0, "", fmt.Errorf("element %d: %w", i+1, err)
		}
		if _, err := w.Write(bh); err != nil {
			return 0, "", err
		}
		if i == 0 {
			if l > 64 {
				return 0, "", fmt.Errorf("a command name of %d bytes", l)
			}
			buf := make([]byte, l+2)
			if _, err := io.ReadFull(r, buf); err != nil {
				return 0, "", unexpected(err)
			}
			name = strings.ToUpper(string(buf[:l]))
			if _, err := w.Write(buf); err != nil {
				return 0, "", err
			}
		} else if _, err := io.CopyN(w, r, l+2); err != nil {
			return 0, "", unexpected(err)
		}
		size += int64(len(bh)) + l + 2
	}
	return size, name, nil
}

// respLength parses "<kind><n>\r\n".
func respLength(line []byte, kind byte) (int64, error) {
	if len(line) < 3 || line[0] != kind || !bytes.HasSuffix(line, []byte("\r\n")) {
		return 0, fmt.Errorf("%q is not a RESP %q header", truncate(line), kind)
	}
	n, err := strconv.ParseInt(string(line[1:len(line)-2]), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a RESP %q header", truncate(line), kind)
	}
	return n, nil
}

func truncate(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
