package archive

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// ErrProtocol is wrapped by ParseCommand's errors: the bytes are not a
// command as a master sends it.
var ErrProtocol = errors.New("not a RESP command")

// maxArgs and maxBulk bound a command, as the server's own limits do
// (proto-max-bulk-len defaults to 512 MB).
const (
	maxArgs = 1 << 24
	maxBulk = 1 << 30
)

// ParseCommand parses the command at the start of b: a RESP array of bulk
// strings, as a master propagates and an AOF holds commands. It returns
// the bytes it spans and its arguments (aliasing b); n is 0 when b holds
// only the start of one.
func ParseCommand(b []byte) (n int, args [][]byte, err error) {
	line, next, ok := respLine(b, 0)
	if !ok {
		return 0, nil, nil
	}
	if len(line) < 2 || line[0] != '*' {
		return 0, nil, fmt.Errorf("%w: starts with %q", ErrProtocol, clip(line))
	}
	count, err := strconv.Atoi(string(line[1:]))
	if err != nil || count < 1 || count > maxArgs {
		return 0, nil, fmt.Errorf("%w: bad array length %q", ErrProtocol, clip(line))
	}
	args = make([][]byte, 0, min(count, 64))
	pos := next
	for range count {
		line, next, ok = respLine(b, pos)
		if !ok {
			return 0, nil, nil
		}
		if len(line) < 2 || line[0] != '$' {
			return 0, nil, fmt.Errorf("%w: bulk string expected, got %q", ErrProtocol, clip(line))
		}
		size, err := strconv.Atoi(string(line[1:]))
		if err != nil || size < 0 || size > maxBulk {
			return 0, nil, fmt.Errorf("%w: bad bulk length %q", ErrProtocol, clip(line))
		}
		end := next + size
		if end+2 > len(b) {
			return 0, nil, nil
		}
		if b[end] != '\r' || b[end+1] != '\n' {
			return 0, nil, fmt.Errorf("%w: bulk string not ended by CRLF", ErrProtocol)
		}
		args = append(args, b[next:end:end])
		pos = end + 2
	}
	return pos, args, nil
}

// respLine is the line at b[pos:] without its CRLF, and where the next
// starts; false when b holds no whole line there.
func respLine(b []byte, pos int) (line []byte, next int, ok bool) {
	i := bytes.IndexByte(b[pos:], '\n')
	if i < 0 {
		return nil, 0, false
	}
	end := pos + i
	if end == pos || b[end-1] != '\r' {
		return b[pos:end], end + 1, true
	}
	return b[pos : end-1], end + 1, true
}

func clip(b []byte) []byte {
	if len(b) > 32 {
		return b[:32]
	}
	return b
}
