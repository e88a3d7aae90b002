package archive

import (
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/server/servertest"
)

// Writes made while the archiver's first full resynchronization runs are
// in its base or in the stream after it, never both and never neither.
func TestWritesDuringFullSync(t *testing.T) {
	t.Parallel()
	src := servertest.Start(t, servertest.Options{Config: debugConfig})
	c := src.Client(t)
	writeMix(t, src.Addr(), 0)
	repo := openRepo(t, archiveTarget(t, src))
	w := startWriter(t, src.Addr())
	a := follow(t, repo, 100*time.Millisecond)
	time.Sleep(1500 * time.Millisecond)
	w.halt()
	a.waitArchived(t, c)
	a.stop(t)
	if got, want := digest(t, replayed(t, repo).Client(t)), digest(t, c); got != want {
		t.Fatalf("replayed digest %s, source %s\n%v", got, want, a.messages())
	}
}
