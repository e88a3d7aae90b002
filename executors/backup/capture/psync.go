package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/internal/model"
)

// Stream is a replica's link to a master for following its write stream
// (the archive): the handshake of Replication, then PSYNC. After PSync it
// yields the stream's bytes (Read), after the RDB of a full
// resynchronization when there is one (RDB); Ack reports the offset
// processed. Read and Ack may be called from different goroutines.
type Stream struct {
	l   *link
	wmu sync.Mutex
}

// PSyncResult is the master's answer to PSYNC.
type PSyncResult struct {
	// Full is true for +FULLRESYNC: an RDB follows (Stream.RDB), and the
	// stream after it starts at Offset of ReplID. False for +CONTINUE: the
	// stream resumes where it was asked to, and ReplID is the master's
	// (another than the one asked for after a failover).
	Full   bool
	ReplID string
	Offset int64
}

// DialStream connects to the master conn names and authenticates, and
// announces what the follower understands: the diskless RDB format (capa
// eof) and PSYNC2 (capa psync2). It announces no listening port: the
// master's INFO shows the link as a replica with port 0, and nothing
// connects back to it.
//
// The user needs +psync and +replconf (docs/archive.md).
func DialStream(ctx context.Context, conn model.Connection) (*Stream, error) {
	l, err := dialReplica(ctx, conn, [][]string{{"REPLCONF", "capa", "eof", "capa", "psync2"}})
	if err != nil {
		return nil, err
	}
	return &Stream{l: l}, nil
}

// PSync asks for the stream from offset+1 of replID (PSYNC replid
// offset+1), or for a full resynchronization when replID is empty (PSYNC
// ? -1).
func (s *Stream) PSync(replID string, offset int64) (PSyncResult, error) {
	args := []string{"PSYNC", "?", "-1"}
	if replID != "" {
		args = []string{"PSYNC", replID, strconv.FormatInt(offset+1, 10)}
	}
	s.l.dc.timeout = s.l.idle
	if err := write(s.l.dc, args...); err != nil {
		return PSyncResult{}, s.l.explain("PSYNC", err)
	}
	for {
		line, err := readLine(s.l.br)
		if err != nil {
			return PSyncResult{}, s.l.explain("PSYNC", err)
		}
		if line == "" {
			continue // a keepalive
		}
		f := strings.Fields(line)
		switch {
		case strings.HasPrefix(line, "-"):
			return PSyncResult{}, s.l.explain("PSYNC", &live.ReplyError{Msg: line[1:]})
		case f[0] == "+FULLRESYNC" && len(f) == 3:
			off, err := strconv.ParseInt(f[2], 10, 64)
			if err != nil || off < 0 {
				break
			}
			return PSyncResult{Full: true, ReplID: f[1], Offset: off}, nil
		case f[0] == "+CONTINUE" && len(f) <= 2:
			r := PSyncResult{ReplID: replID, Offset: offset}
			if len(f) == 2 {
				r.ReplID = f[1]
			}
			return r, nil
		}
		return PSyncResult{}, s.l.explain("PSYNC", fmt.Errorf("unexpected reply %q", truncate(line)))
	}
}

// RDB reads the RDB of a full resynchronization: exactly its bytes. The
// stream's bytes follow it (Read) once it was read to its end.
func (s *Stream) RDB() (io.Reader, error) {
	r, err := s.l.payload()
	if err != nil {
		return nil, s.l.explain("full resynchronization", err)
	}
	return r, nil
}

// Read reads the stream's bytes. A silence longer than max(timeout, 60s)
// is an error: a master sends PING every repl-ping-replica-period (10s).
func (s *Stream) Read(p []byte) (int, error) {
	n, err := s.l.br.Read(p)
	switch {
	case err == nil:
	case s.l.ctx.Err() != nil:
		err = fmt.Errorf("the replication link to %s was closed: %w", s.l.ep.Addr(), context.Cause(s.l.ctx))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		err = fmt.Errorf("the server %s closed the replication link (its log says why: a restart, CLIENT KILL, "+
			"or the replica output buffer limit): %w", s.l.ep.Addr(), io.ErrUnexpectedEOF)
	case live.IsTimeout(err):
		err = fmt.Errorf("no byte from %s for %v on the replication link (the server sends a PING every repl-ping-replica-period): %w",
			s.l.ep.Addr(), s.l.idle, err)
	default:
		err = fmt.Errorf("read the replication stream from %s: %w", s.l.ep.Addr(), err)
	}
	return n, err
}

// Ack sends REPLCONF ACK offset: the master counts the stream up to
// offset as received by this replica (WAIT, min-replicas-to-write, the
// lag INFO shows).
func (s *Stream) Ack(offset int64) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	// The connection's own deadline: Read's deadlineConn is not shared.
	if err := s.l.conn.SetWriteDeadline(time.Now().Add(ackTimeout)); err != nil {
		return s.l.explain("REPLCONF ACK", err)
	}
	if err := write(s.l.conn, "REPLCONF", "ACK", strconv.FormatInt(offset, 10)); err != nil {
		return s.l.explain("REPLCONF ACK", err)
	}
	return nil
}

// ackTimeout bounds the write of an ACK.
const ackTimeout = 10 * time.Second

// Close closes the connection. It may be called more than once.
func (s *Stream) Close() error { return s.l.close() }
