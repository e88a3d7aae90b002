package rdb

import (
	"errors"
	"fmt"
	"io"

	"github.com/redisplan/redisplan/internal/asyncpipe"
)

// CheckingReader passes an RDB stream through unchanged while Verify
// checks the same bytes beside it, on its own goroutine a few chunks
// behind (asyncpipe), so that a file is checked in the pass that stores
// or places it without slowing that pass on a machine with two cores. A
// fault stops the stream within a chunk of where Verify finds it;
// otherwise the end of the stream waits for Verify's verdict: Read
// returns io.EOF only for a sound file.
type CheckingReader struct {
	r    io.Reader
	w    *asyncpipe.Writer
	done chan struct{}
	info Info
	err  error // Verify's error, once done is closed
	end  error // what Read returns once the stream ended or failed
}

// NewCheckingReader checks r as it is read.
func NewCheckingReader(r io.Reader) *CheckingReader {
	c := &CheckingReader{r: r, done: make(chan struct{})}
	c.w = asyncpipe.NewWriter(func(pr io.Reader) error {
		defer close(c.done)
		c.info, c.err = Verify(pr)
		if c.err != nil {
			return fmt.Errorf("not a sound RDB file: %w", c.err)
		}
		return nil
	})
	return c
}

// Read reads from the stream.
func (c *CheckingReader) Read(p []byte) (int, error) {
	if c.end != nil {
		return 0, c.end
	}
	n, err := c.r.Read(p)
	if n > 0 {
		if _, werr := c.w.Write(p[:n]); werr != nil {
			// Verify found a fault: the stream stops there.
			c.end = werr
			return 0, werr
		}
	}
	switch {
	case errors.Is(err, io.EOF):
		if cerr := c.w.Close(); cerr != nil {
			c.end = cerr
			return n, cerr
		}
		c.end = io.EOF
		return n, io.EOF
	case err != nil:
		c.w.CloseWithError(err)
		c.end = err
	}
	return n, err
}

// Close ends the check; the stream read so far is left as it is. Call it
// when the stream may be abandoned before its end.
func (c *CheckingReader) Close() error {
	c.w.CloseWithError(errors.New("the stream was closed before its end"))
	<-c.done
	return nil
}

// Result is Verify's verdict once the stream was read to its end (or
// closed): the file's Info, or why it is not sound.
func (c *CheckingReader) Result() (Info, error) {
	<-c.done
	return c.info, c.err
}
