package drill

import (
	"context"
	"testing"
	"time"

	"github.com/redisplan/redisplan/internal/model"
)

// testTimeout bounds every test's calls, so that a hung server fails the
// test instead of the whole run. Nothing asserts how long a call takes.
const testTimeout = 3 * time.Minute

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// target returns a target whose directives are the given name/value
// pairs, already in canonical form.
func target(pairs ...string) *model.Target {
	t := &model.Target{Name: "main", Connection: model.Connection{Address: "127.0.0.1:1"}}
	for i := 0; i+1 < len(pairs); i += 2 {
		t.Directives = append(t.Directives, model.Directive{Name: pairs[i], Value: pairs[i+1]})
	}
	return t
}
