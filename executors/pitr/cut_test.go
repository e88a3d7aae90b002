package pitr

import (
	"bytes"
	"errors"
	"fmt"
	"io"
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

// A time while the archiver was away (after the stream was lost, before
// the first writes received from the server's backlog at the resume) is
// refused, naming the nearest exact times; the times around it are kept.
func TestCutRefusesATimeWhileTheArchiverWasAway(t *testing.T) {
	resumed := `#redisplan-resumed {"lost":"1970-01-01T00:16:40.5Z","regained":"1970-01-01T00:16:50Z","from_offset":10,"until_offset":90}` + "\r\n"
	stream := mark(1000_000) + resp("SET", "a", "1") + mark(1000_500) + resp("SET", "b", "2") +
		resumed + mark(1010_003) + resp("SET", "c", "3") + resp("FLUSHALL") + resp("SET", "d", "4") + mark(1012_000) + resp("SET", "e", "5")
	for _, tc := range []struct {
		name   string
		until  time.Time
		writes int64
		refuse bool
	}{
		{"when the stream was lost", time.UnixMilli(1000_500), 2, false},
		{"inside the outage", time.UnixMilli(1005_000), 0, true},
		{"after the resume, before its first writes", time.UnixMilli(1010_001), 0, true},
		{"at the first writes after the resume", time.UnixMilli(1010_003), 5, false},
		{"everything", time.Time{}, 6, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := CutAt(io.Discard, strings.NewReader(stream), tc.until)
			var ie *ImpreciseError
			if tc.refuse {
				if !errors.As(err, &ie) {
					t.Fatalf("CutAt(%v) = %+v, %v; want an ImpreciseError", tc.until, c, err)
				}
				msg := err.Error()
				for _, want := range []string{"imprecise", "1970-01-01T00:16:40.500Z", "1970-01-01T00:16:50.003Z"} {
					if !strings.Contains(msg, want) {
						t.Errorf("the refusal does not say %q:\n%s", want, msg)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Writes != tc.writes {
				t.Errorf("kept %d writes, want %d", c.Writes, tc.writes)
			}
		})
	}
}

// TestSelectCommand: the SELECT that starts the incr file and the stream
// is the RESP command redis-server reads, for one- and two-digit
// databases.
func TestSelectCommand(t *testing.T) {
	for _, db := range []int{0, 7, 15} {
		if got, want := string(selectCommand(db)), resp("SELECT", fmt.Sprint(db)); got != want {
			t.Errorf("selectCommand(%d) = %q, want %q", db, got, want)
		}
	}
}
