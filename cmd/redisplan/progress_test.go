package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redisplan/redisplan/internal/progress"
)

// progressEvents is a backup of one 10 MiB file in 4 seconds, a warning
// in the middle, and a message after it: what the view is tested with.
func progressEvents() []progress.Event {
	t0 := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	const mib = 1 << 20
	file := progress.Event{Operation: progress.OpBackup, Target: "main", Phase: progress.PhaseStore, File: "dump.rdb", Total: 10 * mib}
	bytesAt := func(ms int, n int64, done bool) progress.Event {
		e := file
		e.Time, e.Bytes, e.Done = at(ms), n, done
		return e
	}
	return []progress.Event{
		{Time: at(0), Operation: progress.OpBackup, Target: "main", Message: "removed 1 leftover(s) of interrupted runs"},
		bytesAt(0, 0, false),
		bytesAt(1000, 2*mib, false),
		{Time: at(1500), Operation: progress.OpBackup, Target: "main", Level: progress.Warning, Message: "the disk is slow"},
		bytesAt(2000, 4*mib, false),
		bytesAt(4000, 10*mib, true),
		{Time: at(4100), Operation: progress.OpBackup, Target: "main", Message: "stored the RDB"},
	}
}

func renderProgress(t *testing.T, terminal, asJSON bool) (out, term string) {
	t.Helper()
	var o, tm bytes.Buffer
	v := &progressView{out: &o, json: asJSON,
		now: func() time.Time { t.Fatal("an event without a time was stamped"); return time.Time{} }}
	if terminal {
		v.term = &tm
	}
	for _, e := range progressEvents() {
		v.sink("")(e)
	}
	v.close()
	return o.String(), tm.String()
}

// On a terminal the byte counts are one line rewritten in place, with the
// bytes, the rate and the time left, ended by a newline once the file is
// done; a message takes the line off first, and the next count draws it
// again.
func TestProgressViewTerminal(t *testing.T) {
	out, term := renderProgress(t, true, false)
	wantOut := "redis.main: removed 1 leftover(s) of interrupted runs\n" +
		"redis.main: warning: the disk is slow\n" +
		"redis.main: stored the RDB\n"
	if out != wantOut {
		t.Errorf("messages:\n%q\nwant\n%q", out, wantOut)
	}
	wantTerm := "\r\x1b[Kredis.main: storing dump.rdb: 0 B of 10.0 MiB (0%)" +
		"\r\x1b[Kredis.main: storing dump.rdb: 2.0 MiB of 10.0 MiB (20%), 2.0 MiB/s, 4s left" +
		"\r\x1b[K" + // taken off for the warning
		"\r\x1b[Kredis.main: storing dump.rdb: 4.0 MiB of 10.0 MiB (40%), 2.0 MiB/s, 3s left" +
		"\r\x1b[Kredis.main: stored dump.rdb: 10.0 MiB in 4.0s (2.5 MiB/s)\n"
	if term != wantTerm {
		t.Errorf("terminal:\n%q\nwant\n%q", term, wantTerm)
	}
}

// A size that turns out smaller than the bytes (an estimate) shows no
// share and no time left, only bytes and rate.
func TestProgressViewTotalExceeded(t *testing.T) {
	var tm bytes.Buffer
	v := &progressView{out: &bytes.Buffer{}, term: &tm, now: time.Now}
	t0 := time.Unix(0, 0)
	e := progress.Event{Target: "main", Phase: progress.PhaseStore, File: "dump.rdb", Total: 100}
	e.Time, e.Bytes = t0, 50
	v.event(e)
	e.Time, e.Bytes = t0.Add(time.Second), 1074
	v.event(e)
	want := "\r\x1b[Kredis.main: storing dump.rdb: 50 B of 100 B (50%)\r\x1b[Kredis.main: storing dump.rdb: 1.0 KiB, 1.0 KiB/s"
	if tm.String() != want {
		t.Errorf("terminal:\n%q\nwant\n%q", tm.String(), want)
	}
	v.close()
	if !strings.HasSuffix(tm.String(), "\n") {
		t.Error("close left the progress line unfinished")
	}
}

// Without a terminal (a log): no redrawn line, no control characters, one
// line per file done among the messages.
func TestProgressViewPlain(t *testing.T) {
	out, term := renderProgress(t, false, false)
	want := "redis.main: removed 1 leftover(s) of interrupted runs\n" +
		"redis.main: warning: the disk is slow\n" +
		"redis.main: stored dump.rdb: 10.0 MiB in 4.0s (2.5 MiB/s)\n" +
		"redis.main: stored the RDB\n"
	if out != want || term != "" {
		t.Errorf("plain output:\n%q\nwant\n%q (terminal %q)", out, want, term)
	}
}

// In a log, a file that takes long gets a line of how far it got about
// every ten seconds, not one per count.
func TestProgressViewPlainLongFile(t *testing.T) {
	var out bytes.Buffer
	v := &progressView{out: &out, now: time.Now}
	t0 := time.Unix(0, 0)
	const mib = 1 << 20
	for s := 0; s <= 25; s++ {
		v.event(progress.Event{Time: t0.Add(time.Duration(s) * time.Second), Target: "main", Phase: progress.PhaseStage, File: "dump.rdb",
			Bytes: int64(s) * mib, Total: 25 * mib, Done: s == 25})
	}
	want := "redis.main: writing dump.rdb: 10.0 MiB of 25.0 MiB (40%), 1.0 MiB/s, 15s left\n" +
		"redis.main: writing dump.rdb: 20.0 MiB of 25.0 MiB (80%), 1.0 MiB/s, 5s left\n" +
		"redis.main: wrote dump.rdb: 25.0 MiB in 25.0s (1.0 MiB/s)\n"
	if out.String() != want {
		t.Errorf("log:\n%q\nwant\n%q", out.String(), want)
	}
}

// With -json every event is one JSON object per line that decodes, in
// order, with the fields a program needs.
func TestProgressViewJSON(t *testing.T) {
	out, term := renderProgress(t, true, true)
	if term != "" {
		t.Errorf("-json drew on the terminal: %q", term)
	}
	events := progressEvents()
	sc := bufio.NewScanner(strings.NewReader(out))
	i := 0
	for ; sc.Scan(); i++ {
		var got progressLine
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&got); err != nil {
			t.Fatalf("line %d %q: %v", i+1, sc.Text(), err)
		}
		if i >= len(events) {
			t.Fatalf("more lines than events: %q", sc.Text())
		}
		e := events[i]
		if !got.Time.Equal(e.Time) || got.Level != e.Level || got.Operation != e.Operation || got.Target != e.Target || got.Message != e.Message {
			t.Errorf("line %d: %+v, want %+v", i+1, got, e)
		}
		if e.IsBytes() {
			if got.Type != "bytes" || got.Bytes == nil || *got.Bytes != e.Bytes || got.Total != e.Total || got.Done != e.Done || got.File != e.File || got.Phase != e.Phase {
				t.Errorf("line %d: %s, want the byte count %+v", i+1, sc.Text(), e)
			}
		} else if got.Type != "message" || got.Bytes != nil {
			t.Errorf("line %d: %s, want a message", i+1, sc.Text())
		}
	}
	if i != len(events) {
		t.Errorf("%d lines for %d events:\n%s", i, len(events), out)
	}
}

// apply's targets run in parallel: lines from many goroutines come out
// whole, one per event.
func TestProgressViewConcurrent(t *testing.T) {
	var out bytes.Buffer
	v := &progressView{out: &out, now: time.Now}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := v.sink(fmt.Sprintf("t%d", g))
			for i := 0; i < 50; i++ {
				s.Say(progress.Step, "step %d", i)
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 400 {
		t.Fatalf("%d lines, want 400", len(lines))
	}
	for _, l := range lines {
		var g, i int
		if n, err := fmt.Sscanf(l, "redis.t%d: step %d", &g, &i); n != 2 || err != nil {
			t.Fatalf("garbled line %q", l)
		}
	}
}

// progressLine is every field of a progress record (progress.Record) as a
// JSON line: the lines are decoded strictly against it.
type progressLine struct {
	Type      string         `json:"type"`
	Time      time.Time      `json:"time"`
	Level     progress.Level `json:"level"`
	Operation string         `json:"operation"`
	Target    string         `json:"target"`
	Phase     string         `json:"phase"`
	Message   string         `json:"message"`
	File      string         `json:"file"`
	Bytes     *int64         `json:"bytes"`
	Total     int64          `json:"total"`
	Done      bool           `json:"done"`
}
