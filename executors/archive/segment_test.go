package archive

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

const rid = "0123456789abcdef0123456789abcdef01234567"

// cmd is a command as RESP.
func cmd(args ...string) []byte {
	var b bytes.Buffer
	b.WriteString("*" + strconv.Itoa(len(args)) + "\r\n")
	for _, a := range args {
		b.WriteString("$" + strconv.Itoa(len(a)) + "\r\n" + a + "\r\n")
	}
	return b.Bytes()
}

func write(t *testing.T, w *SegmentWriter, args ...string) {
	t.Helper()
	raw := cmd(args...)
	_, parsed, err := ParseCommand(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Command(raw, parsed); err != nil {
		t.Fatal(err)
	}
}

func TestNames(t *testing.T) {
	s := Segment{ReplID: rid, Start: 1234, End: 99999}
	name := s.FileName()
	if name != rid+"-00000000000000001234-00000000000000099999.aof.zst" {
		t.Fatalf("FileName = %s", name)
	}
	got, ok := ParseName(name)
	if !ok || got.ReplID != rid || got.Start != 1234 || got.End != 99999 || got.Name != name {
		t.Fatalf("ParseName(%s) = %+v, %v", name, got, ok)
	}
	for _, bad := range []string{"x.aof.zst", rid + "-1-2.aof.zst", rid + "-00000000000000000005-00000000000000000004.aof.zst",
		strings.ToUpper(rid) + "-00000000000000001234-00000000000000099999.aof.zst", rid + "-00000000000000001234-00000000000000099999.aof"} {
		if _, ok := ParseName(bad); ok {
			t.Errorf("ParseName(%q) accepted", bad)
		}
	}
}

// A segment written and read back yields the same commands, with the db
// each runs in and stream offsets that count the dropped PINGs; marks are
// never inside a transaction, and the segment is an AOF that the loader's
// rules accept (every line it reads is a command or an annotation shorter
// than its buffer).
func TestSegmentRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	t0 := time.Date(2026, 12, 4, 14, 4, 59, 500e6, time.UTC)
	w, err := NewSegmentWriter(&buf, Header{Target: "main", ReplID: rid, StartOffset: 100, DB: 2, First: t0})
	if err != nil {
		t.Fatal(err)
	}
	w.Mark(t0)
	write(t, w, "SET", "a", "1")
	w.Skip(14) // a PING
	write(t, w, "SELECT", "0")
	write(t, w, "MULTI")
	w.Mark(t0.Add(time.Second)) // inside: not written
	write(t, w, "INCR", "n")
	if _, err := w.Close(t0); !errors.Is(err, ErrInTransaction) {
		t.Fatalf("Close inside MULTI = %v", err)
	}
	write(t, w, "EXEC")
	w.Mark(t0.Add(600 * time.Millisecond))
	write(t, w, "DEL", "a")
	end := w.Offset()
	f, err := w.Close(t0.Add(700 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if f.EndOffset != end || f.Commands != 6 {
		t.Fatalf("footer %+v, want end %d, 6 commands", f, end)
	}
	r, err := OpenSegment(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if r.Header.ReplID != rid || r.Header.StartOffset != 100 || r.Header.DB != 2 || !r.Header.First.Equal(t0) {
		t.Errorf("header %+v", r.Header)
	}
	type got struct {
		what string
		db   int
		off  int64
		tx   bool
	}
	var gots []got
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if e.Mark {
			gots = append(gots, got{"mark " + e.Time.UTC().Format("05.000"), e.DB, e.Offset, false})
			continue
		}
		gots = append(gots, got{string(bytes.Join(e.Args, []byte(" "))), e.DB, e.Offset, e.InTransaction})
	}
	set := int64(len(cmd("SET", "a", "1")))
	sel := set + 14 + int64(len(cmd("SELECT", "0")))
	multi := sel + int64(len(cmd("MULTI")))
	incr := multi + int64(len(cmd("INCR", "n")))
	exec := incr + int64(len(cmd("EXEC")))
	want := []got{
		{"mark 59.000", 2, 100, false}, {"mark 59.500", 2, 100, false},
		{"SET a 1", 2, 100 + set, false},
		{"SELECT 0", 0, 100 + sel, false},
		{"MULTI", 0, 100 + multi, true},
		{"INCR n", 0, 100 + incr, true},
		{"EXEC", 0, 100 + exec, true},
		{"mark 00.000", 0, 100 + exec, false}, {"mark 00.100", 0, 100 + exec, false},
		{"DEL a", 0, end, false},
	}
	if len(gots) != len(want) {
		t.Fatalf("entries %+v\nwant %+v", gots, want)
	}
	for i := range want {
		if gots[i] != want[i] {
			t.Errorf("entry %d = %+v, want %+v", i, gots[i], want[i])
		}
	}
	// The raw content, as redis-server's AOF loader reads it: lines
	// starting with '#' shorter than 1024 bytes, or commands.
	dec, _ := zstd.NewReader(bytes.NewReader(buf.Bytes()))
	raw, err := io.ReadAll(dec)
	if err != nil {
		t.Fatal(err)
	}
	for pos := 0; pos < len(raw); {
		if raw[pos] == '#' {
			nl := bytes.IndexByte(raw[pos:], '\n')
			if nl < 0 || nl >= 1023 {
				t.Fatalf("annotation at %d is %d bytes", pos, nl)
			}
			pos += nl + 1
			continue
		}
		n, _, err := ParseCommand(raw[pos:])
		if err != nil || n == 0 {
			t.Fatalf("at %d: not a command: %v", pos, err)
		}
		pos += n
	}
	if want := "\r\n#TS:" + strconv.FormatInt(t0.Unix(), 10) + "\r\n#T:"; !bytes.Contains(raw, []byte(want)) {
		t.Errorf("no #TS mark after the header:\n%q", raw)
	}
}

// A damaged segment is refused before anything is read from it.
func TestOpenSegmentRefusesDamage(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewSegmentWriter(&buf, Header{Target: "main", ReplID: rid, First: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	write(t, w, "SET", "k", "v")
	if _, err := w.Close(time.Now()); err != nil {
		t.Fatal(err)
	}
	dec, _ := zstd.NewReader(bytes.NewReader(buf.Bytes()))
	raw, _ := io.ReadAll(dec)
	recompress := func(b []byte) []byte {
		var out bytes.Buffer
		enc, _ := zstd.NewWriter(&out)
		enc.Write(b)
		enc.Close()
		return out.Bytes()
	}
	cases := map[string][]byte{
		"a changed value": recompress(bytes.Replace(raw, []byte("$1\r\nv"), []byte("$1\r\nw"), 1)),
		"no footer":       recompress(raw[:bytes.Index(raw, []byte(footerPrefix))]),
		"cut compressed":  buf.Bytes()[:buf.Len()-5],
		"not zstd":        raw,
	}
	for name, data := range cases {
		if _, err := OpenSegment(bytes.NewReader(data)); err == nil {
			t.Errorf("%s: OpenSegment accepted it", name)
		}
	}
	if _, err := OpenSegment(bytes.NewReader(buf.Bytes())); err != nil {
		t.Errorf("the intact segment: %v", err)
	}
}

func TestParseCommand(t *testing.T) {
	full := cmd("SET", "key", "a\r\nb")
	for i := range len(full) {
		if n, _, err := ParseCommand(full[:i]); n != 0 || err != nil {
			t.Fatalf("prefix of %d bytes: n=%d err=%v", i, n, err)
		}
	}
	n, args, err := ParseCommand(append(full, "*1\r\n"...))
	if err != nil || n != len(full) || len(args) != 3 || string(args[2]) != "a\r\nb" {
		t.Fatalf("ParseCommand = %d %q %v", n, args, err)
	}
	for _, bad := range []string{"+PONG\r\n", "*0\r\n", "*1\r\n:1\r\n", "*1\r\n$3\r\nabcd\r\n"} {
		if _, _, err := ParseCommand([]byte(bad)); !errors.Is(err, ErrProtocol) {
			t.Errorf("ParseCommand(%q) = %v", bad, err)
		}
	}
}
