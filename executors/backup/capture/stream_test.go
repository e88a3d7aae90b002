package capture

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// These tests cover the framing of the SYNC payload on byte streams cut
// in awkward places; TestReplication runs it against redis-server.

var testMark = []byte(strings.Repeat("0123456789abcdef", 3)[:eofMarkLen])

func TestMarkReader(t *testing.T) {
	payloads := map[string][]byte{
		"empty":       {},
		"short":       []byte("REDIS0010\xff12345678"),
		"mark-length": bytes.Repeat([]byte{'m'}, eofMarkLen),
		"large":       bytes.Repeat([]byte("0123456789"), 20000),
	}
	readers := map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"one byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
		"data+EOF": iotest.DataErrReader,
	}
	for pname, payload := range payloads {
		for rname, wrap := range readers {
			t.Run(pname+"/"+rname, func(t *testing.T) {
				src := append(append([]byte{}, payload...), testMark...)
				got, err := io.ReadAll(newMarkReader(wrap(bytes.NewReader(src)), testMark))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, payload) {
					t.Errorf("got %d bytes, want %d", len(got), len(payload))
				}
			})
		}
	}
}

func TestMarkReaderSmallBuffers(t *testing.T) {
	payload := bytes.Repeat([]byte("abc"), 1000)
	src := append(append([]byte{}, payload...), testMark...)
	r := newMarkReader(iotest.HalfReader(bytes.NewReader(src)), testMark)
	var got []byte
	buf := make([]byte, 7)
	for {
		n, err := r.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got, payload) {
		t.Errorf("got %d bytes, want %d", len(got), len(payload))
	}
}

func TestMarkReaderTruncated(t *testing.T) {
	for _, src := range [][]byte{
		nil,
		[]byte("REDIS0010"),
		append([]byte("REDIS0010"), testMark[:eofMarkLen-1]...),
	} {
		_, err := io.ReadAll(newMarkReader(bytes.NewReader(src), testMark))
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%q: err = %v, want io.ErrUnexpectedEOF", src, err)
		}
	}
}

func TestExactReader(t *testing.T) {
	got, err := io.ReadAll(&exactReader{r: iotest.OneByteReader(strings.NewReader("REDIS0010extra")), n: 9})
	if err != nil || string(got) != "REDIS0010" {
		t.Errorf("got %q, %v; want REDIS0010", got, err)
	}
	_, err = io.ReadAll(&exactReader{r: strings.NewReader("REDIS"), n: 9})
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short source: %v, want io.ErrUnexpectedEOF", err)
	}
	got, err = io.ReadAll(&exactReader{r: iotest.DataErrReader(strings.NewReader("REDIS")), n: 5})
	if err != nil || string(got) != "REDIS" {
		t.Errorf("data with EOF: %q, %v", got, err)
	}
}

func TestSyncHeader(t *testing.T) {
	tests := []struct {
		in       string
		wantSize int64
		wantMark string
		wantErr  string
	}{
		{in: "$1234\r\nREDIS", wantSize: 1234},
		{in: "\n\n\n$0\r\n", wantSize: 0},
		{in: "\n$EOF:" + string(testMark) + "\r\nREDIS", wantMark: string(testMark)},
		{in: "-NOPERM this user has no permissions to run the 'sync' command\r\n", wantErr: "NOPERM"},
		{in: "$EOF:short\r\n", wantErr: "not 40 bytes"},
		{in: "$-1\r\n", wantErr: "unexpected payload header"},
		{in: "+FULLRESYNC x 0\r\n", wantErr: "unexpected reply"},
		{in: "\n\n", wantErr: "unexpected EOF"},
		{in: "$" + strings.Repeat("9", 5000) + "\r\n", wantErr: "longer than"},
	}
	for _, tt := range tests {
		size, mark, err := syncHeader(bufio.NewReaderSize(strings.NewReader(tt.in), 16))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%.30q: err = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || size != tt.wantSize || string(mark) != tt.wantMark {
			t.Errorf("%.30q: got %d, %q, %v; want %d, %q", tt.in, size, mark, err, tt.wantSize, tt.wantMark)
		}
	}
}
