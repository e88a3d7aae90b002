package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/internal/units"
)

// progressView renders the progress events of one command (the one
// renderer of progress.Event):
//
//   - messages become lines "redis.NAME: [warning: |pending: |rolled back: ]TEXT"
//     on out;
//   - byte counts, on a terminal, become one line on stderr rewritten in
//     place ("\r") with the bytes so far, the rate and the time left, and
//     ended with a newline when the file is done;
//   - byte counts, when stderr is not a terminal (a log, a pipe), become
//     one line on out per file done, with its size, time and rate, and for
//     a long file a line of how far it got every plainEvery;
//   - with -json, every event is one JSON object on its own line on out
//     (progress.Record), and so are the records a command adds (record:
//     apply's plan and summary).
//
// It is safe for concurrent use (apply's targets run in parallel).
type progressView struct {
	mu sync.Mutex
	// out receives message lines, plain byte lines and JSON lines.
	out io.Writer
	// term, when not nil, is the terminal the progress line is drawn on.
	term io.Writer
	json bool
	// now stamps events that carry no time; tests set it.
	now func() time.Time

	drawn bool
	files progress.Files
}

// plainEvery is how often a log gets a line about a file still going.
const plainEvery = 10 * time.Second

// newProgressView renders on out; the progress line goes to env.stderr
// when it is a terminal and the output is not JSON.
func newProgressView(env *cmdEnv, out io.Writer, asJSON bool) *progressView {
	v := &progressView{out: out, json: asJSON, now: time.Now}
	if !asJSON && isTerminal(env.stderr) {
		v.term = env.stderr
	}
	return v
}

// sink is the view as a progress.Sink, for the events of target (when
// the events do not name one themselves).
func (v *progressView) sink(target string) progress.Sink {
	return progress.Sink(v.event).With(progress.Event{Target: target})
}

// close ends a progress line still drawn (a step that failed midway), so
// that what follows starts on its own line.
func (v *progressView) close() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.drawn {
		io.WriteString(v.term, "\n")
		v.drawn = false
	}
}

func (v *progressView) event(e progress.Event) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if e.Time.IsZero() {
		e.Time = v.now()
	}
	switch {
	case v.json:
		b, _ := json.Marshal(e.Record())
		v.out.Write(append(b, '\n'))
	case !e.IsBytes():
		v.clearLine()
		io.WriteString(v.out, messageLine(e)+"\n")
	default:
		v.bytesEvent(e)
	}
}

// record writes one JSON line that is not a progress event (apply -json's
// plan and summary), in turn with the events.
func (v *progressView) record(x any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	b, _ := json.Marshal(x)
	v.out.Write(append(b, '\n'))
}

// clearLine takes an unfinished progress line off the terminal before a
// message is printed; the next byte count draws it again.
func (v *progressView) clearLine() {
	if v.drawn {
		io.WriteString(v.term, "\r\x1b[K")
		v.drawn = false
	}
}

func (v *progressView) bytesEvent(e progress.Event) {
	start, due := v.files.Observe(e, plainEvery)
	if v.term == nil {
		switch {
		case e.Done:
			io.WriteString(v.out, doneLine(e, e.Time.Sub(start.At))+"\n")
		case due:
			io.WriteString(v.out, runningLine(e, start)+"\n")
		}
		return
	}
	var b strings.Builder
	b.WriteString("\r\x1b[K")
	if e.Done {
		b.WriteString(doneLine(e, e.Time.Sub(start.At)))
		b.WriteString("\n")
		v.drawn = false
	} else {
		b.WriteString(runningLine(e, start))
		v.drawn = true
	}
	// One write, so that secret.Writer sees the line whole.
	io.WriteString(v.term, b.String())
}

// levelPrefix is what a message line says before the text.
var levelPrefix = map[progress.Level]string{
	progress.Pending:    "pending: ",
	progress.Warning:    "warning: ",
	progress.RolledBack: "rolled back: ",
}

func messageLine(e progress.Event) string {
	var b strings.Builder
	if e.Target != "" {
		fmt.Fprintf(&b, "redis.%s: ", e.Target)
	}
	b.WriteString(levelPrefix[e.Level])
	b.WriteString(e.Message)
	return b.String()
}

// phaseVerbs are the words of a byte line: while it runs, once done.
var phaseVerbs = map[string][2]string{
	progress.PhaseStore:  {"storing", "stored"},
	progress.PhaseStage:  {"writing", "wrote"},
	progress.PhaseVerify: {"verifying", "verified"},
	progress.PhaseUpload: {"uploading", "uploaded"},
}

func phaseVerb(phase string, done bool) string {
	v, ok := phaseVerbs[phase]
	if !ok {
		return phase
	}
	if done {
		return v[1]
	}
	return v[0]
}

func bytesPrefix(e progress.Event, done bool) string {
	var b strings.Builder
	if e.Target != "" {
		fmt.Fprintf(&b, "redis.%s: ", e.Target)
	}
	fmt.Fprintf(&b, "%s %s: ", phaseVerb(e.Phase, done), e.File)
	return b.String()
}

// runningLine is "redis.main: storing dump.rdb: 12.0 MiB of 48.0 MiB
// (25%), 6.0 MiB/s, 6s left". The rate is measured from the file's first
// count; the time left needs a rate and a known size not yet reached.
func runningLine(e progress.Event, start progress.Start) string {
	var b strings.Builder
	b.WriteString(bytesPrefix(e, false))
	b.WriteString(units.FormatBytes(e.Bytes))
	if e.Total > 0 && e.Bytes <= e.Total {
		fmt.Fprintf(&b, " of %s (%d%%)", units.FormatBytes(e.Total), e.Bytes*100/e.Total)
	}
	if rate, left, hasLeft := start.Rate(e); rate > 0 {
		fmt.Fprintf(&b, ", %s/s", units.FormatBytes(int64(rate)))
		if hasLeft {
			fmt.Fprintf(&b, ", %s left", left)
		}
	}
	return b.String()
}

// doneLine is "redis.main: stored dump.rdb: 48.0 MiB in 8.0s (6.0 MiB/s)".
func doneLine(e progress.Event, took time.Duration) string {
	var b strings.Builder
	b.WriteString(bytesPrefix(e, true))
	b.WriteString(units.FormatBytes(e.Bytes))
	if took > 0 {
		fmt.Fprintf(&b, " in %.1fs (%s/s)", took.Seconds(), units.FormatBytes(int64(float64(e.Bytes)/took.Seconds())))
	}
	return b.String()
}
