package archive

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/repository"
	"github.com/redisplan/redisplan/internal/model"
)

const rid2 = "fedcba9876543210fedcba9876543210fedcba98"

var t0 = time.Date(2026, 12, 4, 14, 0, 0, 0, time.UTC)

func seg(id string, start, end int64, at time.Duration) Segment {
	s := Segment{ReplID: id, Start: start, End: end}
	s.Name, s.Committed = s.FileName(), t0.Add(at)
	return s
}

func base(id string, off int64, at time.Duration) *backup.Manifest {
	return &backup.Manifest{ID: "b" + t0.Add(at).Format("150405"), ReplID: id, ReplOffset: off, Started: t0.Add(at)}
}

// Chains joins contiguous segments onto the base whose position they
// reach, leaves segments before the base out of its window, and reports a
// hole in the offsets and a change of replication ID as gaps.
func TestChains(t *testing.T) {
	b1 := base(rid, 100, 0)
	b2 := base(rid2, 0, 10*time.Minute)
	segs := []Segment{
		seg(rid, 0, 50, -time.Minute),  // before b1: no base
		seg(rid, 80, 150, time.Second), // b1 at 100 is inside
		seg(rid, 150, 200, 2*time.Second),
		seg(rid, 300, 400, 5*time.Minute), // a hole from 200 to 300
		seg(rid2, 0, 10, 10*time.Minute+time.Second),
		seg(rid2, 5, 10, 10*time.Minute+time.Second), // overlaps: passed over
	}
	b3 := base(rid, 300, 4*time.Minute)
	b4 := base(rid2, 50, 20*time.Minute) // no segment reaches it yet
	chains, gaps := Chains([]*backup.Manifest{b2, b1, b3, b4, {ID: "plain"}}, segs)
	type sum struct {
		id       string
		base     string
		from, to int64
		n        int
	}
	var got []sum
	for _, c := range chains {
		b := ""
		if c.Base != nil {
			b = c.Base.ID
		}
		got = append(got, sum{c.ReplID[:2], b, c.From, c.To, len(c.Segments)})
	}
	want := []sum{
		{"01", "", 0, 50, 1},
		{"01", b1.ID, 100, 200, 2},
		{"01", b3.ID, 300, 400, 1},
		{"fe", b2.ID, 0, 10, 1},
		{"fe", b4.ID, 50, 50, 0},
	}
	if len(got) != len(want) {
		t.Fatalf("chains %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("chain %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if c := chains[1]; !c.First.Equal(t0) || !c.Last.Equal(t0.Add(2*time.Second)) {
		t.Errorf("window %v to %v", c.First, c.Last)
	}
	if len(gaps) != 3 || !gaps[0].From.Equal(t0.Add(2*time.Second)) || !gaps[0].To.Equal(t0.Add(4*time.Minute)) ||
		!strings.Contains(gaps[0].Reason, "offsets 200 to 300") || !strings.Contains(gaps[1].Reason, "replication ID changed") ||
		!strings.Contains(gaps[2].Reason, "offsets 10 to 50") {
		t.Errorf("gaps %+v", gaps)
	}
}

// Segments committed through the repository list back in order; what is
// not a segment in the folder is not listed, and the archive folder is
// not reported as something left alone beside the backups.
func TestListSegmentsInRepository(t *testing.T) {
	dir := t.TempDir()
	tg := &model.Target{Name: "main", Pos: model.Pos{Filename: filepath.Join(dir, "spec.hcl")},
		Backup: &model.Backup{Destination: filepath.Join(dir, "backups")}}
	r, err := repository.Open(tg, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if s, err := ListSegments(ctx, r); err != nil || len(s) != 0 {
		t.Fatalf("an empty archive: %v %v", s, err)
	}
	for _, s := range []Segment{{ReplID: rid, Start: 50, End: 90}, {ReplID: rid, Start: 0, End: 50}} {
		if err := r.CommitObject(ctx, repository.Archive, s.FileName(), []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.CommitObject(ctx, repository.Archive, "notes.txt", []byte("mine")); err != nil {
		t.Fatal(err)
	}
	s, err := ListSegments(ctx, r)
	if err != nil || len(s) != 2 || s[0].Start != 0 || s[1].Start != 50 || s[0].Size != 1 || s[0].Committed.IsZero() {
		t.Fatalf("ListSegments = %+v, %v", s, err)
	}
	l, err := r.List(ctx)
	if err != nil || len(l.LeftAlone) != 0 {
		t.Fatalf("List = %+v, %v; the archive folder is not foreign", l, err)
	}
}
