package capture

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/internal/model"
)

const (
	// eofMarkLen is the length of the random delimiter that ends a
	// diskless transfer ("$EOF:<40 bytes>\r\n" ... <40 bytes>).
	eofMarkLen = 40
	// defaultReplyTimeout bounds the wait for the answer to AUTH and
	// REPLCONF when the target sets no timeout.
	defaultReplyTimeout = 10 * time.Second
	// minIdleTimeout is the least time the transfer may go without a byte.
	// A master sends a "\n" every second while it prepares the RDB, so
	// only a stalled master or a dead link stays silent this long.
	minIdleTimeout = 60 * time.Second
	// maxHeaderLen bounds the line that announces the payload.
	maxHeaderLen = 4096
	// streamBufSize is the read buffer of the transfer.
	streamBufSize = 64 << 10
)

// Replication streams a full RDB from the server over the replica
// handshake that `redis-cli --rdb` uses, for servers whose files are out of
// reach. It connects (with TLS when the connection has a TLS block),
// authenticates when a password or user is set, sends `REPLCONF capa eof`
// and `REPLCONF rdb-only 1` (an error reply to either is ignored, as older
// servers do not know them), then SYNC.
//
// The master answers, after any number of "\n" keepalives while it
// prepares the snapshot, either `$<len>\r\n` followed by exactly len bytes
// (disk-backed replication: the master also writes its RDB file), or
// `$EOF:<40-byte mark>\r\n` followed by the RDB and the mark again
// (diskless replication, used when repl-diskless-sync is yes, since capa eof
// was sent). The returned reader yields exactly the RDB bytes, never the
// mark, in constant memory. Read returns an error when the connection ends
// before the RDB does, or when no byte arrives for max(Timeout, 60s).
// Cancelling ctx aborts the transfer. Close closes the connection.
//
// The user needs +sync and +replconf (and the server must not have
// renamed SYNC).
func Replication(ctx context.Context, conn model.Connection) (io.ReadCloser, error) {
	l, err := dialReplica(ctx, conn, [][]string{{"REPLCONF", "capa", "eof"}, {"REPLCONF", "rdb-only", "1"}})
	if err != nil {
		return nil, err
	}
	s := &rdbStream{conn: l.conn, ep: l.ep, stop: l.stop}
	fail := func(op string, err error) (io.ReadCloser, error) {
		_ = s.Close()
		return nil, l.explain(op, err)
	}
	l.dc.timeout = l.idle
	if err := write(l.dc, "SYNC"); err != nil {
		return fail("SYNC", err)
	}
	body, err := l.payload()
	if err != nil {
		return fail("SYNC", err)
	}
	s.body = body
	s.aborted = l.aborted
	s.idle = l.idle
	return s, nil
}

// link is a connection to a master that went through the replica
// handshake: connected (with TLS when the connection has a TLS block) and
// authenticated.
type link struct {
	conn    net.Conn
	dc      *deadlineConn
	br      *bufio.Reader
	ep      endpoint
	ctx     context.Context
	idle    time.Duration
	stop    func() bool
	aborted *atomic.Pointer[error]
}

// dialReplica connects and authenticates as Replication does, then sends
// each of replconf, ignoring an error reply (older servers do not know
// every option; a missing permission shows at SYNC or PSYNC).
func dialReplica(ctx context.Context, conn model.Connection, replconf [][]string) (*link, error) {
	ep := endpointFor(conn)
	// Dial resolves the address (default port, unix socket) and builds the
	// TLS configuration exactly as for every other connection; it does
	// not connect.
	client, err := live.Dial(conn)
	if err != nil {
		return nil, err
	}
	opts := client.Options()
	_ = client.Close()

	replyTimeout := conn.Timeout
	if replyTimeout <= 0 {
		replyTimeout = defaultReplyTimeout
	}
	dialer := &net.Dialer{Timeout: replyTimeout}
	var nc net.Conn
	if opts.TLSConfig != nil {
		nc, err = (&tls.Dialer{NetDialer: dialer, Config: opts.TLSConfig}).DialContext(ctx, opts.Network, opts.Addr)
	} else {
		nc, err = dialer.DialContext(ctx, opts.Network, opts.Addr)
	}
	if err != nil {
		return nil, ep.Explain("connect", err)
	}
	l := &link{conn: nc, ep: ep, ctx: ctx, idle: max(conn.Timeout, minIdleTimeout), aborted: new(atomic.Pointer[error])}
	l.dc = &deadlineConn{Conn: nc, timeout: replyTimeout}
	l.br = bufio.NewReaderSize(l.dc, streamBufSize)
	l.stop = context.AfterFunc(ctx, func() {
		err := context.Cause(ctx)
		l.aborted.Store(&err)
		_ = nc.Close()
	})
	fail := func(op string, err error) (*link, error) {
		l.close()
		return nil, l.explain(op, err)
	}
	if conn.Password != "" || conn.Username != "" {
		args := []string{"AUTH", conn.Password}
		if conn.Username != "" {
			args = []string{"AUTH", conn.Username, conn.Password}
		}
		if err := command(l.dc, l.br, args...); err != nil {
			return fail("AUTH", err)
		}
	}
	for _, args := range replconf {
		err := command(l.dc, l.br, args...)
		var re *live.ReplyError
		if err != nil && !errors.As(err, &re) {
			return fail(strings.Join(args, " "), err)
		}
	}
	return l, nil
}

// explain says what failed, with the context's cause when it ended.
func (l *link) explain(op string, err error) error {
	if l.ctx.Err() != nil {
		err = context.Cause(l.ctx)
	}
	return l.ep.Explain(op, err)
}

func (l *link) close() error {
	l.stop()
	err := l.conn.Close()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// payload reads the header of the RDB payload that follows SYNC or
// +FULLRESYNC and returns a reader of exactly the RDB's bytes.
func (l *link) payload() (io.Reader, error) {
	size, mark, err := syncHeader(l.br)
	if err != nil {
		return nil, err
	}
	if mark != nil {
		return newMarkReader(l.br, mark), nil
	}
	return &exactReader{r: l.br, n: size}, nil
}

// deadlineConn gives every read and write its own deadline, so that the
// timeout bounds silence, not the whole transfer.
type deadlineConn struct {
	net.Conn
	timeout time.Duration
}

func (d *deadlineConn) Read(p []byte) (int, error) {
	if err := d.Conn.SetReadDeadline(time.Now().Add(d.timeout)); err != nil {
		return 0, err
	}
	return d.Conn.Read(p)
}

func (d *deadlineConn) Write(p []byte) (int, error) {
	if err := d.Conn.SetWriteDeadline(time.Now().Add(d.timeout)); err != nil {
		return 0, err
	}
	return d.Conn.Write(p)
}

// write sends a command in RESP.
func write(w io.Writer, args ...string) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// command sends a command and reads its one-line reply; an error reply
// comes back as a *live.ReplyError.
func command(w io.Writer, r *bufio.Reader, args ...string) error {
	if err := write(w, args...); err != nil {
		return err
	}
	line, err := readLine(r)
	if err != nil {
		return err
	}
	switch {
	case strings.HasPrefix(line, "-"):
		return &live.ReplyError{Msg: line[1:]}
	case strings.HasPrefix(line, "+"), strings.HasPrefix(line, ":"):
		return nil
	}
	return fmt.Errorf("unexpected reply %q", truncate(line))
}

// readLine reads a line ending in "\n" and returns it without "\r\n".
func readLine(r *bufio.Reader) (string, error) {
	var b []byte
	for {
		frag, err := r.ReadSlice('\n')
		b = append(b, frag...)
		if err == nil {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return "", err
		}
		if len(b) > maxHeaderLen {
			return "", fmt.Errorf("reply line longer than %d bytes", maxHeaderLen)
		}
	}
	if len(b) > maxHeaderLen {
		return "", fmt.Errorf("reply line longer than %d bytes", maxHeaderLen)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// syncHeader reads the master's answer to SYNC up to the start of the
// payload, skipping the "\n" keepalives it sends while it prepares the
// RDB. It returns the payload's length, or the EOF mark that ends it.
func syncHeader(r *bufio.Reader) (size int64, mark []byte, err error) {
	for {
		line, err := readLine(r)
		if err != nil {
			return 0, nil, err
		}
		if line == "" {
			continue // a keepalive
		}
		switch line[0] {
		case '-':
			return 0, nil, &live.ReplyError{Msg: line[1:]}
		case '$':
			rest := line[1:]
			if m, ok := strings.CutPrefix(rest, "EOF:"); ok {
				if len(m) != eofMarkLen {
					return 0, nil, fmt.Errorf("the EOF mark in %q is not %d bytes long", truncate(line), eofMarkLen)
				}
				return 0, []byte(m), nil
			}
			n, err := strconv.ParseInt(rest, 10, 64)
			if err != nil || n < 0 {
				return 0, nil, fmt.Errorf("unexpected payload header %q", truncate(line))
			}
			return n, nil, nil
		}
		return 0, nil, fmt.Errorf("unexpected reply %q", truncate(line))
	}
}

// truncate shortens a line for an error message.
func truncate(s string) string {
	const n = 80
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// rdbStream is the RDB payload of a SYNC.
type rdbStream struct {
	conn    net.Conn
	body    io.Reader // *exactReader or *markReader
	ep      endpoint
	idle    time.Duration
	read    int64
	err     error // sticky, already explained
	stop    func() bool
	aborted *atomic.Pointer[error]
	once    sync.Once
}

func (s *rdbStream) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.body.Read(p)
	s.read += int64(n)
	if err == nil || err == io.EOF {
		return n, err
	}
	s.err = s.explainRead(err)
	return n, s.err
}

// explainRead turns a failure in the middle of the transfer into an error
// that says what happened.
func (s *rdbStream) explainRead(err error) error {
	ep := s.ep
	if cause := s.aborted.Load(); cause != nil {
		return ep.Errorf(*cause, "RDB transfer from %s stopped after %d bytes: %v", ep.Addr(), s.read, *cause)
	}
	switch {
	case live.IsTimeout(err):
		return ep.Errorf(err, "RDB transfer from %s stalled: no data for %v after %d bytes; "+
			"check the server (is it blocked, or swapping?) and the network", ep.Addr(), s.idle, s.read)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		return ep.Errorf(err, "RDB transfer from %s ended after %d bytes, before the end of the RDB; the server's "+
			"log says why (a replica output buffer limit, repl-timeout, or the server stopping)", ep.Addr(), s.read)
	}
	return ep.Errorf(err, "RDB transfer from %s failed after %d bytes: %v", ep.Addr(), s.read, err)
}

// Close closes the connection. It may be called more than once.
func (s *rdbStream) Close() error {
	var err error
	s.once.Do(func() {
		if s.stop != nil {
			s.stop()
		}
		err = s.conn.Close()
		if errors.Is(err, net.ErrClosed) {
			err = nil
		}
	})
	return err
}

// exactReader reads exactly n bytes; a source that ends sooner is an
// io.ErrUnexpectedEOF.
type exactReader struct {
	r io.Reader
	n int64
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.n {
		p = p[:e.n]
	}
	n, err := e.r.Read(p)
	e.n -= int64(n)
	if errors.Is(err, io.EOF) {
		if e.n > 0 {
			return n, io.ErrUnexpectedEOF
		}
		err = nil
	}
	return n, err
}

// markReader reads up to a delimiter that ends the stream and is not part
// of it. As the end is only known once the mark has been read, it holds
// back the last eofMarkLen bytes it has read: its memory is constant.
//
// Like redis-cli and a Redis replica, it looks for the mark at the end of
// what it has read so far, after every read: the master sends nothing after
// the mark until the replica acknowledges the transfer. An RDB that held
// the mark would end early, for Redis too; the mark is 40 random hex
// characters drawn for each transfer.
type markReader struct {
	src  io.Reader
	mark []byte
	buf  []byte // buf[out:end] is ready; buf[end:end+held] is held back
	out  int
	end  int
	held int
	done bool
	err  error
}

func newMarkReader(src io.Reader, mark []byte) *markReader {
	return &markReader{src: src, mark: mark, buf: make([]byte, eofMarkLen+streamBufSize)}
}

func (m *markReader) Read(p []byte) (int, error) {
	for {
		if m.out < m.end {
			n := copy(p, m.buf[m.out:m.end])
			m.out += n
			return n, nil
		}
		if m.done {
			return 0, io.EOF
		}
		if m.err != nil {
			return 0, m.err
		}
		if len(p) == 0 {
			return 0, nil
		}
		// Move the held-back bytes to the front and read after them.
		copy(m.buf, m.buf[m.end:m.end+m.held])
		m.out, m.end = 0, 0
		n, err := m.src.Read(m.buf[m.held:])
		total := m.held + n
		switch {
		case total >= eofMarkLen && bytes.Equal(m.buf[total-eofMarkLen:total], m.mark):
			m.end, m.held, m.done = total-eofMarkLen, 0, true
		case total > eofMarkLen:
			m.end, m.held = total-eofMarkLen, eofMarkLen
		default:
			m.held = total
		}
		if err != nil && !m.done {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			m.err = err
		}
	}
}
