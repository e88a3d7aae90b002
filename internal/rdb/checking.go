package rdb

import (
	"errors"
	"fmt"
	"io"
)

// CheckingReader passes an RDB stream through unchanged while Verify
// checks the same bytes beside it, so that a file is checked in the pass
// that stores or places it. A fault stops the stream as soon as Verify
// finds it; otherwise the end of the stream waits for Verify's verdict:
// Read returns io.EOF only for a sound file.
type CheckingReader struct {
	tee  io.Reader
	pw   *io.PipeWriter
	done chan struct{}
	info Info
	err  error // Verify's error, once done is closed
}

// NewCheckingReader checks r as it is read.
func NewCheckingReader(r io.Reader) *CheckingReader {
	pr, pw := io.Pipe()
	c := &CheckingReader{tee: io.TeeReader(r, pw), pw: pw, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		c.info, c.err = Verify(pr)
		if c.err != nil {
			// The reader's next write into the pipe fails with the
			// fault, which stops the stream there.
			pr.CloseWithError(fmt.Errorf("not a sound RDB file: %w", c.err))
			return
		}
		io.Copy(io.Discard, pr)
	}()
	return c
}

// Read reads from the stream.
func (c *CheckingReader) Read(p []byte) (int, error) {
	n, err := c.tee.Read(p)
	if errors.Is(err, io.EOF) {
		c.pw.Close()
		<-c.done
		if c.err != nil {
			return n, fmt.Errorf("not a sound RDB file: %w", c.err)
		}
		return n, io.EOF
	}
	if err != nil {
		c.pw.CloseWithError(err)
	}
	return n, err
}

// Close ends the check; the stream read so far is left as it is. Call it
// when the stream may be abandoned before its end.
func (c *CheckingReader) Close() error {
	c.pw.CloseWithError(errors.New("the stream was closed before its end"))
	<-c.done
	return nil
}

// Result is Verify's verdict once the stream was read to its end (or
// closed): the file's Info, or why it is not sound.
func (c *CheckingReader) Result() (Info, error) {
	<-c.done
	return c.info, c.err
}
