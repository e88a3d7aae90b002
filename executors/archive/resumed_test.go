package archive

import (
	"context"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/server/servertest"
)

// The writes the server kept in its backlog while the archiver was away
// (a FLUSHALL among them) arrive after the resume all at once: the
// segment that holds them says so, with when the stream was lost and
// regained and the offsets received late.
func TestResumeMarksLateWrites(t *testing.T) {
	t.Parallel()
	src := servertest.Start(t, servertest.Options{Config: debugConfig})
	c := src.Client(t)
	repo := openRepo(t, archiveTarget(t, src))
	ctx := context.Background()
	a := follow(t, repo, 100*time.Millisecond)
	writeMix(t, src.Addr(), 0)
	a.waitArchived(t, c)
	a.stop(t)
	_, from := a.position()
	stopped := time.Now()
	for _, cmd := range [][]any{{"SET", "before", "1"}, {"FLUSHALL"}, {"SET", "after", "1"}} {
		if err := c.Do(ctx, cmd...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	_, until := masterOffset(t, c)
	wrote := time.Now()
	b := follow(t, repo, 100*time.Millisecond)
	b.waitArchived(t, c)
	b.stop(t)
	segs, err := ListSegments(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}
	var found []Resumed
	for _, s := range segs {
		r, err := ReadSegment(ctx, repo, s)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Resumed) > 0 && r.Header.StartOffset != from {
			t.Errorf("segment %s starting at %d holds a resume mark; the resume was at %d", s.Name, r.Header.StartOffset, from)
		}
		found = append(found, r.Resumed...)
	}
	if len(found) != 1 {
		t.Fatalf("resume marks %+v; want one", found)
	}
	r := found[0]
	if r.FromOffset != from || r.UntilOffset < until {
		t.Errorf("late stream %d to %d; want %d to at least %d (the FLUSHALL and the writes around it)", r.FromOffset, r.UntilOffset, from, until)
	}
	if r.Lost.IsZero() || r.Lost.After(stopped) || r.Regained.Before(wrote) {
		t.Errorf("lost %v, regained %v; the archiver stopped at %v and the writes were made before %v", r.Lost, r.Regained, stopped, wrote)
	}
}
