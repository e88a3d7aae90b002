package pitr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/archive"
	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/repository"
)

const rid = "0123456789abcdef0123456789abcdef01234567"

var t0 = time.Date(2026, 12, 4, 14, 0, 0, 0, time.UTC)

func segAt(start, end int64, committed time.Duration) archive.Segment {
	s := archive.Segment{ReplID: rid, Start: start, End: end}
	s.Name, s.Committed = s.FileName(), t0.Add(committed)
	return s
}

func baseAt(id string, off int64, finished time.Duration) *backup.Manifest {
	return &backup.Manifest{ID: id, ReplID: rid, ReplOffset: off, Started: t0.Add(finished - time.Second), Finished: t0.Add(finished)}
}

// Choose takes the newest base whose data is from before the time, in a
// chain that reaches the time; everything archived is the newest base of
// the chain archived last; a time outside every window is refused with
// the windows named.
func TestChoose(t *testing.T) {
	bases := []*backup.Manifest{baseAt("b1", 100, 0), baseAt("b2", 500, 10*time.Minute)}
	segs := []archive.Segment{segAt(50, 300, time.Minute), segAt(300, 600, 11*time.Minute), segAt(600, 900, 20*time.Minute)}
	for _, tc := range []struct {
		at       time.Duration
		latest   bool
		base     string
		segments int
	}{
		{at: 5 * time.Minute, base: "b1", segments: 3},
		{at: 10 * time.Minute, base: "b2", segments: 2},
		{at: 15 * time.Minute, base: "b2", segments: 2},
		{latest: true, base: "b2", segments: 2},
	} {
		at := time.Time{}
		if !tc.latest {
			at = t0.Add(tc.at)
		}
		chains, _ := archive.Chains(bases, segs)
		c, err := Choose(chains, nil, at)
		if err != nil {
			t.Fatalf("Choose(%s): %v", at, err)
		}
		if c.Base.ID != tc.base || len(c.Segments) != tc.segments || !c.Until.Equal(at) {
			t.Errorf("Choose(%s) = base %s, %d segments; want %s, %d", at, c.Base.ID, len(c.Segments), tc.base, tc.segments)
		}
	}
	chains, _ := archive.Chains(bases, segs)
	for _, at := range []time.Time{t0.Add(-time.Hour), t0.Add(time.Hour)} {
		_, err := Choose(chains, nil, at)
		if !errors.Is(err, ErrOutside) || !strings.Contains(err.Error(), "point-in-time recovery is possible from 2026-12-04T14:00:00.000Z to 2026-12-04T14:20:00.000Z") {
			t.Errorf("Choose(%s) = %v, want a refusal naming the window", at, err)
		}
	}
	// A commit time known only to the second (S3) is before the last
	// write: the footer's time says where the window ends.
	late := t0.Add(20*time.Minute + 200*time.Millisecond)
	if _, err := Choose(chains, nil, late); !errors.Is(err, ErrOutside) {
		t.Errorf("Choose(%s) without the footers' times = %v, want a refusal", late, err)
	}
	if c, err := Choose(chains, Lasts{segs[2].Name: late.Add(300 * time.Millisecond)}, late); err != nil || c.Base.ID != "b2" {
		t.Errorf("Choose(%s) with the last write at %s = %v", late, late.Add(300*time.Millisecond), err)
	}
	lone, _ := archive.Chains(nil, segs)
	if _, err := Choose(lone, nil, time.Time{}); !errors.Is(err, ErrOutside) || !strings.Contains(err.Error(), "no recoverable window") {
		t.Errorf("Choose without a base = %v, want a refusal that says there is no window", err)
	}
}

// objects is an archive in memory.
type objects map[string][]byte

func (o objects) ReadObject(_ context.Context, k repository.Kind, name string) (io.ReadCloser, error) {
	b, ok := o[name]
	if !ok || k != repository.Archive {
		return nil, fmt.Errorf("no object %s/%s", k, name)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// segment writes batches as one committed segment through the archive's
// writer, from stream offset start in db, and returns it.
func segment(t *testing.T, o objects, start int64, db int, batches []batch) archive.Segment {
	t.Helper()
	var buf bytes.Buffer
	w, err := archive.NewSegmentWriter(&buf, archive.Header{Version: archive.SegmentVersion, Target: "main", ReplID: rid, StartOffset: start, DB: db, First: time.UnixMilli(batches[0].at)})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range batches {
		if err := w.Mark(time.UnixMilli(b.at)); err != nil {
			t.Fatal(err)
		}
		for _, c := range b.cmds {
			raw := []byte(resp(c...))
			_, args, err := archive.ParseCommand(raw)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Command(raw, args); err != nil {
				t.Fatal(err)
			}
		}
	}
	end := w.Offset()
	if _, err := w.Close(time.UnixMilli(batches[len(batches)-1].at)); err != nil {
		t.Fatal(err)
	}
	s := archive.Segment{ReplID: rid, Start: start, End: end}
	s.Name = s.FileName()
	o[s.Name] = buf.Bytes()
	return s
}

// OpenStream starts at the base's position, in the database the stream
// is in there, and joins the segments.
func TestOpenStreamStartsAtTheBase(t *testing.T) {
	o := objects{}
	s1 := segment(t, o, 1000, 0, []batch{
		{1000_000, [][]string{{"SET", "before", "1"}, {"SELECT", "4"}, {"SET", "also-before", "1"}}},
		{1000_100, [][]string{{"SET", "after", "1"}}},
	})
	s2 := segment(t, o, s1.End, 4, []batch{{1000_200, [][]string{{"SELECT", "0"}, {"INCR", "n"}}}})
	// The base is at the end of the third command.
	pos := int64(1000 + len(resp("SET", "before", "1")) + len(resp("SELECT", "4")) + len(resp("SET", "also-before", "1")))
	c := Choice{Base: &backup.Manifest{ID: "b", ReplID: rid, ReplOffset: pos}, Segments: []archive.Segment{s1, s2}}
	rc := OpenStream(t.Context(), o, c)
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	want := resp("SELECT", "4") + "#T:1000100\r\n" + resp("SET", "after", "1") + "#TS:1000\r\n#T:1000200\r\n" + resp("SELECT", "0") + resp("INCR", "n")
	if string(got) != want {
		t.Errorf("stream\n%q\nwant\n%q", got, want)
	}

	// A base whose position falls inside a command is refused.
	c.Base.ReplOffset = 1003
	rc2 := OpenStream(t.Context(), o, c)
	defer rc2.Close()
	if _, err := io.ReadAll(rc2); err == nil || !strings.Contains(err.Error(), "inside a command") {
		t.Errorf("a base inside a command: %v", err)
	}
}
