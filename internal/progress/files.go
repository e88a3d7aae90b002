package progress

import "time"

// Files follows the byte counts of the files in progress, each known by
// its target, phase and name, so that a renderer can say how fast each
// goes and how long it has left. The zero value is ready to use; it is
// not safe for concurrent use.
type Files struct {
	starts map[fileKey]Start
}

type fileKey struct{ target, phase, file string }

// Start is a file's first byte count, and when a log was last told how
// far the file got.
type Start struct {
	At      time.Time
	Bytes   int64
	Printed time.Time
}

// Observe records byte count e and returns its file's start. due says a
// log should get a line about the file still going: every interval
// since the last one. The file is forgotten on its last count.
func (f *Files) Observe(e Event, every time.Duration) (start Start, due bool) {
	if f.starts == nil {
		f.starts = map[fileKey]Start{}
	}
	key := fileKey{e.Target, e.Phase, e.File}
	start, seen := f.starts[key]
	if !seen {
		start = Start{At: e.Time, Bytes: e.Bytes, Printed: e.Time}
	}
	if due = !e.Done && e.Time.Sub(start.Printed) >= every; due {
		start.Printed = e.Time
	}
	f.starts[key] = start
	if e.Done {
		delete(f.starts, key)
	}
	return start, due
}

// Rate is the bytes per second of e's file since its start (0 before
// there is one) and, when the rate and the file's size are known
// (hasLeft), the time it has left, rounded the way a person reads it: to
// seconds under ten minutes, to minutes above.
func (s Start) Rate(e Event) (perSecond float64, left time.Duration, hasLeft bool) {
	elapsed := e.Time.Sub(s.At)
	if elapsed <= 0 || e.Bytes <= s.Bytes {
		return 0, 0, false
	}
	perSecond = float64(e.Bytes-s.Bytes) / elapsed.Seconds()
	if e.Total <= 0 || e.Bytes > e.Total {
		return perSecond, 0, false
	}
	left = time.Duration(float64(e.Total-e.Bytes) / perSecond * float64(time.Second))
	if left < 10*time.Minute {
		return perSecond, left.Round(time.Second), true
	}
	return perSecond, left.Round(time.Minute), true
}
