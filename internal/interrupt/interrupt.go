// Package interrupt words why a context ended, so that a user who pressed
// Ctrl-C is not told that a deadline passed.
package interrupt

import (
	"context"
	"errors"
)

// When says why a context ended, to finish a sentence such as "the server
// was not ready when ...". cause is context.Cause(ctx) (or ctx.Err()): a
// deadline gives "the deadline passed"; a cancellation, which is how
// signal.NotifyContext reports Ctrl-C and SIGTERM, gives "redisplan was
// interrupted", with the signal when the cause names it.
func When(cause error) string {
	switch {
	case errors.Is(cause, context.DeadlineExceeded):
		return "the deadline passed"
	case cause == nil || cause == context.Canceled:
		return "redisplan was interrupted"
	}
	// signal.NotifyContext's cause, "interrupt signal received", which is
	// also context.Canceled.
	return "redisplan was interrupted (" + cause.Error() + ")"
}
