package progress

import "time"

// Record is an event as one JSON line of a command's -json output. Type
// is "message" (a line for a person: level and message) or "bytes" (how
// far a step has got through a file: file, bytes, total when known, done
// on the last count of the file).
type Record struct {
	Type      string    `json:"type"`
	Time      time.Time `json:"time"`
	Level     Level     `json:"level"`
	Operation string    `json:"operation,omitempty"`
	Target    string    `json:"target,omitempty"`
	Phase     string    `json:"phase,omitempty"`
	Message   string    `json:"message,omitempty"`
	File      string    `json:"file,omitempty"`
	Bytes     *int64    `json:"bytes,omitempty"`
	Total     int64     `json:"total,omitempty"`
	Done      bool      `json:"done,omitempty"`
}

// Record is e in its JSON form, its time in UTC.
func (e Event) Record() Record {
	r := Record{
		Type: "message", Time: e.Time.UTC(), Level: e.Level, Operation: e.Operation, Target: e.Target,
		Phase: e.Phase, Message: e.Message,
	}
	if e.IsBytes() {
		n := e.Bytes
		r.Type, r.File, r.Bytes, r.Total, r.Done = "bytes", e.File, &n, e.Total, e.Done
	}
	return r
}
