package pitr

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

// resp encodes a command as a RESP array of bulk strings.
func resp(args ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.String()
}

func mark(ms int64) string { return fmt.Sprintf("#T:%d\r\n", ms) }

func TestCutStopsBeforeTheFirstLaterMark(t *testing.T) {
	stream := "#TS:1000\r\n" + mark(1000_000) + resp("SET", "a", "1") + resp("SET", "b", "2") +
		mark(1000_500) + resp("SELECT", "1") + resp("MULTI") + resp("SET", "c", "3") + resp("EXEC") +
		mark(1001_000) + resp("FLUSHALL")
	for _, tc := range []struct {
		name       string
		until      time.Time
		want       string
		writes     int64
		last, next int64
		complete   bool
	}{
		{"before the first batch", time.UnixMilli(999_999), "#TS:1000\r\n", 0, 0, 1000_000, false},
		{"at the first mark", time.UnixMilli(1000_000), "#TS:1000\r\n" + mark(1000_000) + resp("SET", "a", "1") + resp("SET", "b", "2"), 2, 1000_000, 1000_500, false},
		{"between marks", time.UnixMilli(1000_999), stream[:strings.Index(stream, mark(1001_000))], 3, 1000_500, 1001_000, false},
		{"everything", time.Time{}, stream, 4, 1001_000, 0, true},
		{"after the end", time.UnixMilli(5000_000), stream, 4, 1001_000, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			c, err := CutAt(&out, strings.NewReader(stream), tc.until)
			if err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.want {
				t.Errorf("kept\n%q\nwant\n%q", out.String(), tc.want)
			}
			if c.Writes != tc.writes || c.Complete != tc.complete || c.Bytes != int64(len(tc.want)) {
				t.Errorf("writes %d complete %v bytes %d, want %d %v %d", c.Writes, c.Complete, c.Bytes, tc.writes, tc.complete, len(tc.want))
			}
			if tc.last != 0 && c.Last.UnixMilli() != tc.last {
				t.Errorf("last mark %d, want %d", c.Last.UnixMilli(), tc.last)
			}
			if tc.next != 0 && c.Next.UnixMilli() != tc.next {
				t.Errorf("next mark %d, want %d", c.Next.UnixMilli(), tc.next)
			}
		})
	}
}

func TestCutRefusesBrokenStreams(t *testing.T) {
	for name, stream := range map[string]string{
		"mark inside a transaction": resp("MULTI") + mark(1) + resp("SET", "a", "1") + resp("EXEC"),
		"ends inside a transaction": mark(1) + resp("MULTI") + resp("SET", "a", "1"),
		"truncated bulk":            mark(1) + "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$5\r\nab",
		"inline command":            "SET a 1\r\n",
		"bad mark":                  "#T:soon\r\n",
		"bad length":                "*2\r\n$x\r\nSET\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := CutAt(&bytes.Buffer{}, strings.NewReader(stream), time.Time{}); err == nil {
				t.Errorf("CutAt accepted %q", stream)
			}
		})
	}
}
