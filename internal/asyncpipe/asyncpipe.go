// Package asyncpipe hands a stream to a consumer that runs on its own
// goroutine, a few chunks behind the producer: hashing, checking and
// writing a stream then overlap each other on a machine with more than
// one core, where io.Pipe would run them one after the other (its Write
// returns only once the reader has taken every byte).
//
// Memory is bounded: the producer copies what it writes into one of a
// few fixed buffers and waits for a free one when the consumer lags.
package asyncpipe

import (
	"errors"
	"io"
	"sync"
)

const (
	// ChunkSize is the size of each buffer handed to the consumer: small
	// enough that a chunk is still in the processor's cache when the
	// consumer reads it (1 MiB chunks made a restore's staging pass
	// slower than doing everything on one goroutine).
	ChunkSize = 64 << 10
	// chunks is how many buffers a Writer holds: one being filled, the
	// others queued or being consumed.
	chunks = 4
)

// ErrClosed is what the consumer reads when the producer gave up
// (CloseWithError(nil)).
var ErrClosed = errors.New("asyncpipe: the stream was closed before its end")

// Writer copies what is written to it into chunks that a consumer reads
// on another goroutine. Write fails once the consumer has returned an
// error, with that error, so that a fault it finds stops the producer.
type Writer struct {
	full chan []byte // filled chunks, in order
	free chan []byte // chunks the consumer is done with
	cur  []byte      // the chunk being filled

	done    chan struct{} // closed when the consumer has returned
	err     error         // the consumer's, once done is closed
	abort   chan struct{} // closed by CloseWithError
	abortMu sync.Once
	reason  error // why the producer gave up
	closed  bool
}

// NewWriter starts consume on its own goroutine, reading what is written
// to the returned Writer. consume sees io.EOF after Close, and the
// producer's error after CloseWithError. Whatever consume leaves unread
// is discarded.
func NewWriter(consume func(r io.Reader) error) *Writer {
	w := &Writer{
		full:  make(chan []byte, chunks),
		free:  make(chan []byte, chunks),
		done:  make(chan struct{}),
		abort: make(chan struct{}),
	}
	for range chunks {
		w.free <- make([]byte, 0, ChunkSize)
	}
	r := &reader{w: w}
	go func() {
		defer close(w.done)
		w.err = consume(r)
		if w.err == nil && !r.eof {
			// It returned before the end: let the producer run on.
			r.drain()
		}
	}()
	return w
}

// Write copies p into the stream. It blocks while every chunk is with the
// consumer, and fails with the consumer's error once it has failed.
func (w *Writer) Write(p []byte) (int, error) {
	if w.closed {
		return 0, ErrClosed
	}
	n := 0
	for len(p) > 0 {
		if w.cur == nil {
			select {
			case w.cur = <-w.free:
			case <-w.done:
				return n, w.consumerErr()
			}
		}
		c := copy(w.cur[len(w.cur):cap(w.cur)], p)
		w.cur = w.cur[:len(w.cur)+c]
		p, n = p[c:], n+c
		if len(w.cur) == cap(w.cur) {
			if err := w.send(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

func (w *Writer) send() error {
	select {
	case w.full <- w.cur:
		w.cur = nil
		return nil
	case <-w.done:
		return w.consumerErr()
	}
}

func (w *Writer) consumerErr() error {
	if w.err != nil {
		return w.err
	}
	return ErrClosed
}

// Close ends the stream: the consumer reads io.EOF after the last chunk.
// It waits for the consumer and returns its error.
func (w *Writer) Close() error {
	if !w.closed {
		w.closed = true
		if w.cur != nil && len(w.cur) > 0 {
			if err := w.send(); err != nil {
				<-w.done
				return err
			}
		}
		close(w.full)
	}
	<-w.done
	return w.err
}

// CloseWithError abandons the stream: the consumer reads err (ErrClosed
// when nil) instead of what was not handed to it yet. It waits for the
// consumer and returns its error.
func (w *Writer) CloseWithError(err error) error {
	if err == nil {
		err = ErrClosed
	}
	w.abortMu.Do(func() {
		w.reason = err
		close(w.abort)
	})
	w.closed = true
	<-w.done
	return w.err
}

// reader is the consumer's side.
type reader struct {
	w    *Writer
	cur  []byte // the chunk being read
	off  int
	eof  bool
	fail error
}

// next makes r.cur a chunk with unread bytes, or returns why there is
// none.
func (r *reader) next() error {
	if r.fail != nil {
		return r.fail
	}
	if r.cur != nil && r.off < len(r.cur) {
		return nil
	}
	if r.cur != nil {
		r.w.free <- r.cur[:0]
		r.cur, r.off = nil, 0
	}
	// An abandoned stream wins over chunks still queued.
	select {
	case <-r.w.abort:
		r.fail = r.w.reason
		return r.fail
	default:
	}
	select {
	case c, ok := <-r.w.full:
		if !ok {
			r.eof, r.fail = true, io.EOF
			return r.fail
		}
		r.cur = c
		return nil
	case <-r.w.abort:
		r.fail = r.w.reason
		return r.fail
	}
}

func (r *reader) Read(p []byte) (int, error) {
	if err := r.next(); err != nil {
		return 0, err
	}
	n := copy(p, r.cur[r.off:])
	r.off += n
	return n, nil
}

// WriteTo hands each chunk to dst as it is, without a copy: io.Copy(h, r)
// hashes the producer's chunks directly.
func (r *reader) WriteTo(dst io.Writer) (int64, error) {
	var total int64
	for {
		if err := r.next(); err != nil {
			if err == io.EOF {
				return total, nil
			}
			return total, err
		}
		n, err := dst.Write(r.cur[r.off:])
		total += int64(n)
		r.off += n
		if err != nil {
			return total, err
		}
	}
}

// drain gives back every chunk until the stream ends, so that the
// producer never blocks on a consumer that has returned.
func (r *reader) drain() {
	for r.next() == nil {
		r.off = len(r.cur)
	}
}
