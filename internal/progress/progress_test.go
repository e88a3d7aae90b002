package progress

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"
)

// clock is a fake time that each read moves forward by step.
type clock struct {
	t    time.Time
	step time.Duration
}

func (c *clock) now() time.Time {
	c.t = c.t.Add(c.step)
	return c.t
}

// oneByteReader returns one byte per Read, the worst case for a meter.
type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) { return o.r.Read(p[:1]) }

// A meter reports a file's bytes a few times, not once per read, and
// its last report (Done) carries every byte that went through.
func TestMeterThrottlesAndEndsWithTheTotal(t *testing.T) {
	var got []Event
	c := &clock{t: time.Unix(1000, 0), step: 10 * time.Millisecond}
	m := NewMeter(func(e Event) { got = append(got, e) }, Event{Operation: OpBackup, Target: "main", Phase: PhaseStore, File: "dump.rdb", Total: 1000}).
		WithClock(c.now, 200*time.Millisecond)
	data := strings.Repeat("x", 1000)
	n, err := io.Copy(io.Discard, m.Reader(oneByteReader{strings.NewReader(data)}))
	if err != nil || n != 1000 {
		t.Fatalf("copy: %d, %v", n, err)
	}
	// 1000 reads 10ms apart are 10s: a report every 200ms is about 50,
	// far from 1000.
	if len(got) < 3 || len(got) > 60 {
		t.Fatalf("%d events for 1000 reads, want a report at most every 200ms", len(got))
	}
	last := got[len(got)-1]
	if !last.Done || last.Bytes != 1000 || last.Total != 1000 || last.File != "dump.rdb" || last.Operation != OpBackup || last.Target != "main" {
		t.Fatalf("last event %+v, want Done with 1000 bytes of dump.rdb", last)
	}
	for i, e := range got[:len(got)-1] {
		if e.Done {
			t.Fatalf("event %d of %d is Done", i, len(got))
		}
		if i > 0 && e.Bytes <= got[i-1].Bytes {
			t.Fatalf("bytes do not grow: %d then %d", got[i-1].Bytes, e.Bytes)
		}
		if !e.IsBytes() {
			t.Fatalf("event %+v does not count bytes", e)
		}
	}
	before := len(got)
	m.Finish()
	if len(got) != before {
		t.Fatal("Finish after the end reported again")
	}
}

func TestMeterWriterCountsAcceptedBytes(t *testing.T) {
	var got []Event
	m := NewMeter(func(e Event) { got = append(got, e) }, Event{File: "f"})
	var buf bytes.Buffer
	w := m.Writer(&buf)
	for i := 0; i < 3; i++ {
		if _, err := w.Write([]byte("abcd")); err != nil {
			t.Fatal(err)
		}
	}
	m.Finish()
	if last := got[len(got)-1]; !last.Done || last.Bytes != 12 || m.Bytes() != 12 {
		t.Fatalf("last %+v, want 12 bytes done", last)
	}
}

func TestNilSinkAndMeterDoNothing(t *testing.T) {
	var s Sink
	s.Emit(Event{Message: "x"})
	s.Say(Warning, "x")
	if s.With(Event{Target: "a"}) != nil || s.Map(func(e Event) Event { return e }) != nil {
		t.Fatal("With or Map on a nil sink is not nil")
	}
	m := NewMeter(nil, Event{File: "f"})
	if _, err := io.Copy(io.Discard, m.Reader(strings.NewReader("abc"))); err != nil || m.Bytes() != 3 {
		t.Fatalf("nil-sink meter: %d bytes, %v", m.Bytes(), err)
	}
}

func TestWithFillsOnlyEmptyFields(t *testing.T) {
	var got Event
	s := Sink(func(e Event) { got = e }).With(Event{Operation: OpRestore, Target: "main", Phase: PhaseStage})
	s.Emit(Event{Phase: PhaseVerify, Message: "m"})
	if got.Operation != OpRestore || got.Target != "main" || got.Phase != PhaseVerify {
		t.Fatalf("got %+v", got)
	}
}

func TestLevelJSON(t *testing.T) {
	for _, l := range []Level{Step, Pending, Warning, RolledBack} {
		b, err := json.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		var back Level
		if err := json.Unmarshal(b, &back); err != nil || back != l {
			t.Fatalf("%s: %s read back as %v, %v", l, b, back, err)
		}
	}
	if string(must(json.Marshal(RolledBack))) != `"rolled-back"` {
		t.Fatal("RolledBack is not \"rolled-back\"")
	}
	var l Level
	if err := json.Unmarshal([]byte(`"loud"`), &l); err == nil {
		t.Fatal("an unknown level was accepted")
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestDoneBytes(t *testing.T) {
	events := []Event{
		{Operation: OpRestore, Phase: PhaseStage, File: "a", Bytes: 5},
		{Operation: OpRestore, Phase: PhaseStage, File: "a", Bytes: 10, Done: true},
		{Operation: OpRestore, Phase: PhaseStage, File: "b", Bytes: 3, Done: true},
		{Operation: OpRestore, Phase: PhaseVerify, File: "a", Bytes: 10, Done: true},
		{Operation: OpDrill, Phase: PhaseStage, File: "a", Bytes: 10, Done: true},
		{Operation: OpRestore, Phase: PhaseStage, File: "b", Bytes: 3, Done: true},
	}
	got := DoneBytes(events, OpRestore, PhaseStage)
	if len(got) != 2 || got["a"] != 10 || got["b"] != 6 {
		t.Fatalf("DoneBytes = %v, want a:10 and b:6 (done twice)", got)
	}
}

// BytesOnly lets byte counts through and drops messages.
func TestBytesOnly(t *testing.T) {
	var got []Event
	s := Sink(func(e Event) { got = append(got, e) }).BytesOnly()
	s.Say(Warning, "a message")
	s.Emit(Event{File: "dump.rdb", Bytes: 3})
	if len(got) != 1 || got[0].File != "dump.rdb" {
		t.Fatalf("got %+v, want only the byte count", got)
	}
	if Sink(nil).BytesOnly() != nil {
		t.Fatal("BytesOnly of a nil sink is not nil")
	}
}

func TestRecordOfBytesAndMessages(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 3600))
	b := Event{Time: at, Target: "main", Phase: PhaseStore, File: "dump.rdb", Bytes: 0, Total: 10}.Record()
	if b.Type != "bytes" || b.Bytes == nil || *b.Bytes != 0 || b.Total != 10 || !b.Time.Equal(at) || b.Time.Location() != time.UTC {
		t.Errorf("bytes record = %+v, want type bytes, bytes 0 (present), total 10, the time in UTC", b)
	}
	m := Event{Time: at, Target: "main", Level: Warning, Message: "slow"}.Record()
	if m.Type != "message" || m.Bytes != nil || m.Message != "slow" || m.Level != Warning {
		t.Errorf("message record = %+v, want type message without bytes", m)
	}
}

func TestFilesRateAndTimeLeft(t *testing.T) {
	var f Files
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e := Event{Target: "main", Phase: PhaseStore, File: "dump.rdb", Total: 100 << 20, Time: t0}
	if _, due := f.Observe(e, 10*time.Second); due {
		t.Error("the first count of a file is due for a log line")
	}
	e.Time, e.Bytes = t0.Add(10*time.Second), 10<<20
	start, due := f.Observe(e, 10*time.Second)
	if !due || !start.At.Equal(t0) {
		t.Errorf("after 10s: due %v, start %v; want due, the start at the first count", due, start.At)
	}
	rate, left, hasLeft := start.Rate(e)
	if rate != 1<<20 || !hasLeft || left != 90*time.Second {
		t.Errorf("Rate = %v B/s, %v left (%v), want 1 MiB/s and 90s", rate, left, hasLeft)
	}
	e.Total = 0
	if _, _, hasLeft := start.Rate(e); hasLeft {
		t.Error("a time left without a known size")
	}
	e.Done = true
	f.Observe(e, 10*time.Second)
	e.Done, e.Time = false, t0.Add(time.Hour)
	if start, _ := f.Observe(e, 10*time.Second); !start.At.Equal(e.Time) {
		t.Error("a file is not forgotten on its last count")
	}
}
