// Package rdb checks Redis RDB files without loading them.
//
// Verify reads a file once, front to back, in constant memory, and checks
// what can be checked without parsing the keyspace: the header, the EOF
// opcode at the end, and the CRC-64 trailer Redis writes after it.
package rdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Supported RDB versions. Redis 7.0 writes 10, 7.2 writes 11 and 7.4
// writes 12.
const (
	MinVersion = 1
	MaxVersion = 12
)

// checksumVersion is the first RDB version with a CRC-64 trailer; older
// files end right after the EOF opcode.
const checksumVersion = 5

const (
	magic      = "REDIS"
	headerSize = len(magic) + 4 // REDIS0011
	opEOF      = 0xff
	trailerLen = 8
)

// Errors Verify wraps, so that callers can tell the cases apart with
// errors.Is. The messages Verify returns add the details.
var (
	ErrNotRDB           = errors.New("not an RDB file")
	ErrUnsupported      = errors.New("unsupported RDB version")
	ErrTruncated        = errors.New("truncated")
	ErrChecksumMismatch = errors.New("checksum mismatch")
)

// Info is what Verify learned about a valid file.
type Info struct {
	// Version is the RDB format version from the header.
	Version int
	// Checksum is the CRC-64 trailer. Zero means the file was written
	// with rdbchecksum no (or predates checksums) and carries none.
	Checksum uint64
	// Size is the length of the file in bytes.
	Size int64
	// Repl is where in its master's replication stream the data is, from
	// the aux fields at the start of the file; zero (ID "") when the file
	// records none.
	Repl ReplPosition
}

// Verify reads an RDB file to its end and checks that it is whole: the
// "REDIS" magic, a supported four-digit version, the EOF opcode where the
// file ends, and, when the trailer is not zero, that it equals the CRC-64
// of every byte before it. Memory use does not depend on the file's size.
func Verify(r io.Reader) (Info, error) {
	var info Info

	var hdr [headerSize]byte
	n, err := io.ReadFull(r, hdr[:])
	info.Size = int64(n)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return info, fmt.Errorf("read: %w", err)
	}
	if n < len(magic) || string(hdr[:len(magic)]) != magic {
		return info, fmt.Errorf("%w: bad magic", ErrNotRDB)
	}
	if n < headerSize {
		return info, fmt.Errorf("%w: ends inside the header", ErrTruncated)
	}
	version, ok := parseVersion(hdr[len(magic):])
	if !ok {
		return info, fmt.Errorf("%w: bad version %q", ErrNotRDB, hdr[len(magic):])
	}
	if version < MinVersion || version > MaxVersion {
		return info, fmt.Errorf("%w %d: this build reads versions %d to %d", ErrUnsupported, version, MinVersion, MaxVersion)
	}
	info.Version = version

	tail := 0
	if version >= checksumVersion {
		tail = trailerLen
	}
	crc := UpdateCRC64(0, hdr[:])

	// The last `tail` bytes seen so far may be the trailer, which is not
	// part of the checksummed content, so each round holds them back until
	// more data arrives. The byte before them is the last candidate for the
	// EOF opcode.
	buf := make([]byte, 256<<10)
	held := 0 // bytes at the start of buf not yet checksummed (at most tail)
	last := -1
	// The first bytes after the header, where the aux fields are.
	prefix := make([]byte, 0, 4096)
	for {
		n, err := r.Read(buf[held:])
		info.Size += int64(n)
		if room := auxScanSize - len(prefix); room > 0 {
			prefix = append(prefix, buf[held:held+min(n, room)]...)
		}
		avail := held + n
		if avail > tail {
			body := buf[:avail-tail]
			crc = UpdateCRC64(crc, body)
			last = int(body[len(body)-1])
			held = copy(buf, buf[avail-tail:avail])
		} else {
			held = avail
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return info, fmt.Errorf("read: %w", err)
		}
	}

	// The header is not in buf, so "nothing after it" shows as last < 0.
	if held < tail || last != opEOF {
		return info, fmt.Errorf("%w: ends before the EOF marker", ErrTruncated)
	}
	info.Repl, _ = position(parseAux(prefix))
	if tail == 0 {
		return info, nil
	}
	info.Checksum = binary.LittleEndian.Uint64(buf[:trailerLen])
	if info.Checksum != 0 && info.Checksum != crc {
		return info, fmt.Errorf("%w: file says %016x, content is %016x", ErrChecksumMismatch, info.Checksum, crc)
	}
	return info, nil
}

func parseVersion(b []byte) (int, bool) {
	v := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}
