package operations

import (
	"sync"

	"github.com/redisplan/redisplan/executors/apply"
)

// events passes an operation's events to its sink one at a time, whatever
// goroutine they come from: the one place operations emit, so that the
// event type can change here alone.
type events struct {
	mu   sync.Mutex
	sink func(apply.Event)
}

func newEvents(sink func(apply.Event)) *events {
	return &events{sink: sink}
}

func (e *events) emit(ev apply.Event) {
	if e.sink == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.sink(ev)
}
