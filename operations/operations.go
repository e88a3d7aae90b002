package operations

import (
	"sync"

	"github.com/redisplan/redisplan/internal/progress"
)

// events passes an operation's events to its sink one at a time, whatever
// goroutine they come from: the one place operations emit, so that the
// event type can change here alone.
type events struct {
	mu   sync.Mutex
	sink progress.Sink
}

func newEvents(sink progress.Sink) *events {
	return &events{sink: sink}
}

func (e *events) emit(ev progress.Event) {
	if e.sink == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.sink(ev)
}
