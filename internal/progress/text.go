package progress

import (
	"fmt"
	"strings"
	"time"

	"github.com/redisplan/redisplan/internal/units"
)

// The text lines of events, for logs and terminals; Record is their JSON
// line.

// levelPrefix is what a message line says before the text.
var levelPrefix = map[Level]string{
	Pending:    "pending: ",
	Warning:    "warning: ",
	RolledBack: "rolled back: ",
}

// Line is a message event as a line of text: "redis.NAME: [warning: |pending: |rolled back: ]TEXT".
func (e Event) Line() string {
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
	PhaseStore:  {"storing", "stored"},
	PhaseStage:  {"writing", "wrote"},
	PhaseVerify: {"verifying", "verified"},
	PhaseUpload: {"uploading", "uploaded"},
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

func bytesPrefix(e Event, done bool) string {
	var b strings.Builder
	if e.Target != "" {
		fmt.Fprintf(&b, "redis.%s: ", e.Target)
	}
	fmt.Fprintf(&b, "%s %s: ", phaseVerb(e.Phase, done), e.File)
	return b.String()
}

// RunningLine is a byte count of a file still going: "redis.main: storing dump.rdb: 12.0 MiB of 48.0 MiB
// (25%), 6.0 MiB/s, 6s left". The rate is measured from the file's first
// count; the time left needs a rate and a known size not yet reached.
func RunningLine(e Event, start Start) string {
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

// DoneLine is a file's last byte count: "redis.main: stored dump.rdb: 48.0 MiB in 8.0s (6.0 MiB/s)".
func DoneLine(e Event, took time.Duration) string {
	var b strings.Builder
	b.WriteString(bytesPrefix(e, true))
	b.WriteString(units.FormatBytes(e.Bytes))
	if took > 0 {
		fmt.Fprintf(&b, " in %.1fs (%s/s)", took.Seconds(), units.FormatBytes(int64(float64(e.Bytes)/took.Seconds())))
	}
	return b.String()
}
