package rdb

import (
	"encoding/binary"
	"errors"
	"strconv"
)

// RDB opcodes and string encodings read by the aux-field scan.
const (
	opAux       = 0xfa
	encInt8     = 0
	encInt16    = 1
	encInt32    = 2
	encLZF      = 3
	len32       = 0x80
	len64       = 0x81
	auxScanSize = 64 << 10
)

// ReplPosition is where in its master's replication stream an RDB's data
// is: Redis and Valkey write it as the aux fields repl-id, repl-offset and
// repl-stream-db when the server saving it is a master with a replication
// backlog (a replica is or was attached) or a replica.
type ReplPosition struct {
	ID       string
	Offset   int64
	StreamDB int
}

// position is the replication position in the aux fields; false when
// they record none.
func position(aux map[string]string) (ReplPosition, bool) {
	id, off, db := aux["repl-id"], aux["repl-offset"], aux["repl-stream-db"]
	if id == "" || off == "" {
		return ReplPosition{}, false
	}
	o, err := strconv.ParseInt(off, 10, 64)
	if err != nil || o < 0 {
		return ReplPosition{}, false
	}
	d, _ := strconv.Atoi(db)
	return ReplPosition{ID: id, Offset: o, StreamDB: d}, true
}

// parseAux reads the aux fields (opcode 0xFA, two strings) that start an
// RDB's body, up to the first other opcode. b is the body's first bytes
// (after the header); a field cut off by the end of b ends the scan.
func parseAux(b []byte) map[string]string {
	out := map[string]string{}
	for len(b) > 0 && b[0] == opAux {
		k, rest, err := rdbString(b[1:])
		if err != nil {
			break
		}
		v, rest, err := rdbString(rest)
		if err != nil {
			break
		}
		out[k] = v
		b = rest
	}
	return out
}

var errShort = errors.New("short")

// rdbLength reads an RDB length; special is true for the special string
// encodings, whose kind is returned as the length.
func rdbLength(b []byte) (n uint64, special bool, rest []byte, err error) {
	if len(b) == 0 {
		return 0, false, nil, errShort
	}
	switch t := b[0] >> 6; {
	case t == 0:
		return uint64(b[0] & 0x3f), false, b[1:], nil
	case t == 1:
		if len(b) < 2 {
			return 0, false, nil, errShort
		}
		return uint64(b[0]&0x3f)<<8 | uint64(b[1]), false, b[2:], nil
	case t == 3:
		return uint64(b[0] & 0x3f), true, b[1:], nil
	case b[0] == len32:
		if len(b) < 5 {
			return 0, false, nil, errShort
		}
		return uint64(binary.BigEndian.Uint32(b[1:5])), false, b[5:], nil
	case b[0] == len64:
		if len(b) < 9 {
			return 0, false, nil, errShort
		}
		return binary.BigEndian.Uint64(b[1:9]), false, b[9:], nil
	}
	return 0, false, nil, errors.New("bad length encoding")
}

// rdbString reads an RDB string: raw, an integer, or LZF-compressed.
func rdbString(b []byte) (string, []byte, error) {
	n, special, rest, err := rdbLength(b)
	if err != nil {
		return "", nil, err
	}
	if !special {
		if uint64(len(rest)) < n {
			return "", nil, errShort
		}
		return string(rest[:n]), rest[n:], nil
	}
	switch n {
	case encInt8:
		if len(rest) < 1 {
			return "", nil, errShort
		}
		return strconv.Itoa(int(int8(rest[0]))), rest[1:], nil
	case encInt16:
		if len(rest) < 2 {
			return "", nil, errShort
		}
		return strconv.Itoa(int(int16(binary.LittleEndian.Uint16(rest)))), rest[2:], nil
	case encInt32:
		if len(rest) < 4 {
			return "", nil, errShort
		}
		return strconv.Itoa(int(int32(binary.LittleEndian.Uint32(rest)))), rest[4:], nil
	case encLZF:
		clen, _, r2, err := rdbLength(rest)
		if err != nil {
			return "", nil, err
		}
		ulen, _, r3, err := rdbLength(r2)
		if err != nil {
			return "", nil, err
		}
		if uint64(len(r3)) < clen || ulen > auxScanSize {
			return "", nil, errShort
		}
		out, err := lzfDecompress(r3[:clen], int(ulen))
		if err != nil {
			return "", nil, err
		}
		return string(out), r3[clen:], nil
	}
	return "", nil, errors.New("unknown string encoding")
}

// lzfDecompress expands LZF data (the format Redis compresses strings
// with) into exactly size bytes.
func lzfDecompress(in []byte, size int) ([]byte, error) {
	out := make([]byte, 0, size)
	bad := errors.New("bad LZF data")
	for i := 0; i < len(in); {
		ctrl := int(in[i])
		i++
		if ctrl < 32 { // a literal run of ctrl+1 bytes
			n := ctrl + 1
			if i+n > len(in) || len(out)+n > size {
				return nil, bad
			}
			out = append(out, in[i:i+n]...)
			i += n
			continue
		}
		// A back reference: length in the top 3 bits (7: one more byte).
		n := ctrl >> 5
		if n == 7 {
			if i >= len(in) {
				return nil, bad
			}
			n += int(in[i])
			i++
		}
		if i >= len(in) {
			return nil, bad
		}
		back := (ctrl&0x1f)<<8 + int(in[i]) + 1
		i++
		n += 2
		start := len(out) - back
		if start < 0 || len(out)+n > size {
			return nil, bad
		}
		for j := range n {
			out = append(out, out[start+j])
		}
	}
	if len(out) != size {
		return nil, bad
	}
	return out, nil
}
