package progress

import "testing"

// Every level has its word in a message line, so that a log says what
// was only pending, or undone.
func TestMessageLineLevels(t *testing.T) {
	for level, want := range map[Level]string{
		Step:       "redis.a: did it",
		Pending:    "redis.a: pending: did it",
		Warning:    "redis.a: warning: did it",
		RolledBack: "redis.a: rolled back: did it",
	} {
		if got := (Event{Target: "a", Level: level, Message: "did it"}).Line(); got != want {
			t.Errorf("%s: %q, want %q", level, got, want)
		}
	}
}
