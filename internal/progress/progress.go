// Package progress is the one kind of event that redisplan's executors and
// operations report while they work (Terraform's hook pattern): what was
// done, what is pending or went wrong, and how many bytes of a file have
// gone through a step so far. Effects never print; they send Events to a
// Sink, and the CLI renders them: a progress line on a terminal, plain
// lines in a log, JSON lines with -json.
package progress

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Level says what an Event reports.
type Level int

const (
	// Step is something done or checked.
	Step Level = iota
	// Pending is something left for later (a restart not allowed).
	Pending
	// Warning is something a person should look at; the work went on.
	Warning
	// RolledBack is something undone after a failure.
	RolledBack
)

var levelNames = [...]string{Step: "step", Pending: "pending", Warning: "warning", RolledBack: "rolled-back"}

func (l Level) String() string {
	if l >= 0 && int(l) < len(levelNames) {
		return levelNames[l]
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// MarshalText gives the level's name, for JSON.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText reads a level's name.
func (l *Level) UnmarshalText(b []byte) error {
	for i, n := range levelNames {
		if n == string(b) {
			*l = Level(i)
			return nil
		}
	}
	return fmt.Errorf("unknown progress level %q", b)
}

// Operation names, as in Event.Operation.
const (
	OpApply   = "apply"
	OpBackup  = "backup"
	OpImport  = "import"
	OpRestore = "restore"
	OpVerify  = "verify"
	OpDrill   = "drill"
	OpUpload  = "upload"
	OpArchive = "archive"
)

// Phase names of the steps that move bytes, as in Event.Phase.
const (
	// PhaseStore is a backup run reading a file from the server and
	// storing it (compressed, encrypted) in the destination.
	PhaseStore = "store"
	// PhaseStage is a restore or drill writing a backup's file (checked
	// as it streams) beside the data it goes into.
	PhaseStage = "stage"
	// PhaseVerify is a backup's file read through every check a restore
	// makes of it.
	PhaseVerify = "verify"
	// PhaseUpload is a stored file copied to another destination.
	PhaseUpload = "upload"
)

// Event is one report of an operation. An event with a Message is a line
// for a person; an event with File and Bytes reports how far a step has
// got through that file (Total is its size, 0 when unknown; Done marks the
// last report of the file in that step, whose Bytes are all that went
// through).
type Event struct {
	// Time is when it happened; zero means when it is received.
	Time time.Time
	// Operation is the command's run: apply, backup, restore, verify,
	// drill, upload, import.
	Operation string
	// Target is the redis block's name, when the event is about one.
	Target string
	// Phase is the step within the operation (PhaseStore, PhaseStage…).
	Phase string
	Level Level
	// Message is the line a person reads; empty for byte counts.
	Message string
	// File names the file whose bytes are counted (dump.rdb, an AOF
	// file's name).
	File  string
	Bytes int64
	Total int64
	Done  bool
}

// IsBytes reports whether e counts the bytes of a file rather than saying
// something.
func (e Event) IsBytes() bool { return e.Message == "" && e.File != "" }

// Sink receives events. A nil Sink discards them.
type Sink func(Event)

// Emit sends e to s, when s is not nil.
func (s Sink) Emit(e Event) {
	if s != nil {
		s(e)
	}
}

// Say sends a message at level.
func (s Sink) Say(level Level, format string, args ...any) {
	if s != nil {
		s(Event{Level: level, Message: fmt.Sprintf(format, args...)})
	}
}

// With returns a Sink that fills the Operation, Target and Phase an event
// leaves empty from base, and sends it to s. With on a nil Sink is nil.
func (s Sink) With(base Event) Sink {
	if s == nil {
		return nil
	}
	return func(e Event) {
		if e.Operation == "" {
			e.Operation = base.Operation
		}
		if e.Target == "" {
			e.Target = base.Target
		}
		if e.Phase == "" {
			e.Phase = base.Phase
		}
		s(e)
	}
}

// BytesOnly passes on only byte counts: for a step whose messages are
// not shown (the scratch restore of backup verify -drill).
func (s Sink) BytesOnly() Sink {
	if s == nil {
		return nil
	}
	return func(e Event) {
		if e.IsBytes() {
			s(e)
		}
	}
}

// Map returns a Sink that sends f(e) to s (to redact a message, say). Map
// on a nil Sink is nil.
func (s Sink) Map(f func(Event) Event) Sink {
	if s == nil {
		return nil
	}
	return func(e Event) { s(f(e)) }
}

// Recorder keeps every event sent to its Emit, from any goroutine: for
// tests, and for a caller that looks at events after the fact.
type Recorder struct {
	mu     sync.Mutex
	events []Event
}

// Emit records e; r.Emit is a Sink.
func (r *Recorder) Emit(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// Events returns a copy of what was recorded, in order.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// DoneBytes sums, per file, the Bytes of the Done events of operation's
// phase in events: what a step reports it moved in all. A file reported
// done twice counts twice.
func DoneBytes(events []Event, operation, phase string) map[string]int64 {
	out := map[string]int64{}
	for _, e := range events {
		if e.Done && e.Operation == operation && e.Phase == phase {
			out[e.File] += e.Bytes
		}
	}
	return out
}

// Interval is how often a Meter reports at most while bytes flow.
const Interval = 200 * time.Millisecond

// Meter counts the bytes of one file going through one step and reports
// them to a Sink: once when the first bytes go through, then at most every
// Interval, and once at the end (Finish, or the end of a Reader) with
// Done set. Never once per read or write.
type Meter struct {
	sink  Sink
	event Event
	now   func() time.Time
	every time.Duration

	n       int64
	started bool
	last    time.Time
	done    bool
}

// NewMeter returns a Meter reporting to sink with the fields of base
// (Operation, Target, Phase, File, Total). A nil sink gives a Meter that
// counts and reports nothing.
func NewMeter(sink Sink, base Event) *Meter {
	base.Message, base.Bytes, base.Done = "", 0, false
	return &Meter{sink: sink, event: base, now: time.Now, every: Interval}
}

// WithClock makes m read the time from now (for tests) and report at most
// every interval.
func (m *Meter) WithClock(now func() time.Time, every time.Duration) *Meter {
	m.now, m.every = now, every
	return m
}

// Bytes is how many bytes went through so far.
func (m *Meter) Bytes() int64 { return m.n }

// Add counts n more bytes.
func (m *Meter) Add(n int) {
	if m == nil || m.done {
		return
	}
	m.n += int64(n)
	if m.sink == nil {
		return
	}
	now := m.now()
	if !m.started {
		m.started, m.last = true, now
		m.send(now, false)
		return
	}
	if now.Sub(m.last) >= m.every {
		m.last = now
		m.send(now, false)
	}
}

// Finish reports the final count with Done set; later calls do nothing.
func (m *Meter) Finish() {
	if m == nil || m.done {
		return
	}
	m.done = true
	if m.sink != nil {
		m.send(m.now(), true)
	}
}

func (m *Meter) send(now time.Time, done bool) {
	e := m.event
	e.Time, e.Bytes, e.Done = now, m.n, done
	m.sink(e)
}

// Reader returns r counted by m; m finishes when r returns io.EOF.
func (m *Meter) Reader(r io.Reader) io.Reader { return &meterReader{r: r, m: m} }

// Writer returns w counted by m (the bytes w accepted).
func (m *Meter) Writer(w io.Writer) io.Writer { return &meterWriter{w: w, m: m} }

type meterReader struct {
	r io.Reader
	m *Meter
}

func (r *meterReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.m.Add(n)
	if err == io.EOF {
		r.m.Finish()
	}
	return n, err
}

type meterWriter struct {
	w io.Writer
	m *Meter
}

func (w *meterWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.m.Add(n)
	return n, err
}
