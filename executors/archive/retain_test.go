package archive

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/repository"
	"github.com/redisplan/redisplan/internal/model"
)

// Streams of the retention and view tests.
const (
	opsOld = "1111111111111111111111111111111111111111"
	opsCur = "2222222222222222222222222222222222222222"
	opsFgn = "3333333333333333333333333333333333333333"
)

var opsT0 = time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)

func opsSeg(id string, start, end int64) Segment {
	s := Segment{ReplID: id, Start: start, End: end}
	s.Name = s.FileName()
	return s
}

func opsBase(id, replid string, off int64, at time.Duration) *backup.Manifest {
	return &backup.Manifest{ID: id, ReplID: replid, ReplOffset: off, Started: opsT0.Add(at), Finished: opsT0.Add(at + time.Second)}
}

func names(segs []Segment) string {
	var out []string
	for _, s := range segs {
		out = append(out, s.ReplID[:1]+":"+strconv.FormatInt(s.Start, 10)+"-"+strconv.FormatInt(s.End, 10))
	}
	return strings.Join(out, " ")
}

// TestRetain: the kept bases keep their stream from the oldest kept
// position on (a segment holding that position included, holes or not);
// what is before it, and a stream whose bases are all dropped, goes; a
// stream none of the target's bases is in, or another spec's bases are in
// too, is left alone whatever retention decided.
func TestRetain(t *testing.T) {
	segs := []Segment{
		opsSeg(opsOld, 0, 100), opsSeg(opsOld, 100, 200), // only a dropped base
		opsSeg(opsCur, 0, 500), opsSeg(opsCur, 500, 1000), // before the kept base at 1200
		opsSeg(opsCur, 1000, 1500), // holds the kept base's position
		opsSeg(opsCur, 1500, 2000),
		opsSeg(opsCur, 2500, 3000),                                // after a hole: kept all the same
		opsSeg(opsFgn, 0, 100),                                    // another spec's stream
		opsSeg("4444444444444444444444444444444444444444", 0, 10), // no base at all
	}
	kept := []*backup.Manifest{opsBase("k1", opsCur, 1200, time.Hour), opsBase("k2", opsCur, 2600, 2*time.Hour), {ID: "plain"}}
	dropped := []*backup.Manifest{opsBase("d1", opsOld, 0, 0), opsBase("d2", opsCur, 0, 30*time.Minute)}
	others := []*backup.Manifest{opsBase("o1", opsFgn, 0, 0)}
	r := Retain(segs, kept, dropped, others)
	if got, want := names(r.Keep), "2:1000-1500 2:1500-2000 2:2500-3000"; got != want {
		t.Errorf("keep %s, want %s", got, want)
	}
	if got, want := names(r.Drop), "1:0-100 1:100-200 2:0-500 2:500-1000"; got != want {
		t.Errorf("drop %s, want %s", got, want)
	}
	if got, want := names(r.Alone), "3:0-100 4:0-10"; got != want {
		t.Errorf("alone %s, want %s", got, want)
	}
	if r.Segments() != len(segs) {
		t.Errorf("%d segments decided, want %d", r.Segments(), len(segs))
	}
	// A stream another spec's backups are in too is never pruned: its
	// segments cannot be told apart.
	r = Retain(segs, kept, dropped, append(others, opsBase("o2", opsOld, 0, 0)))
	if strings.Contains(names(r.Drop), "1:") || !strings.Contains(names(r.Alone), "1:0-100") {
		t.Errorf("a shared stream: drop %s, alone %s", names(r.Drop), names(r.Alone))
	}
}

// opsRepo is a directory repository of target main under a temp dir.
func opsRepo(t *testing.T) *repository.Repository {
	t.Helper()
	dir := t.TempDir()
	tg := &model.Target{Name: "main", Pos: model.Pos{Filename: filepath.Join(dir, "spec.hcl")},
		Backup: &model.Backup{Destination: filepath.Join(dir, "backups"), Archive: &model.Archive{Flush: time.Second}}}
	r, err := repository.Open(tg, "")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// opsWrite commits a real segment of stream id from start, received at
// at, holding SET commands of n bytes of stream in all (padded so that
// the segment ends at start+n), and returns it.
func opsWrite(t *testing.T, r *repository.Repository, id string, start, n int64, at time.Time) Segment {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewSegmentWriter(&buf, Header{Target: "main", ReplID: id, StartOffset: start, First: at})
	if err != nil {
		t.Fatal(err)
	}
	w.Mark(at)
	if n > 0 {
		raw := cmd("SET", "k", strconv.FormatInt(start, 10))
		if int64(len(raw)) > n {
			w.Skip(n) // only PINGs in this stretch
		} else {
			_, args, err := ParseCommand(raw)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Command(raw, args); err != nil {
				t.Fatal(err)
			}
			w.Skip(n - int64(len(raw)))
		}
	}
	if _, err := w.Close(at); err != nil {
		t.Fatal(err)
	}
	s := Segment{ReplID: id, Start: start, End: start + n}
	s.Name = s.FileName()
	if err := r.CommitObject(context.Background(), repository.Archive, s.Name, buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	// The commit time a directory gives is the file's: made the time the
	// test says, as if the segment had been committed then.
	if err := os.Chtimes(filepath.Join(r.ObjectsPath(repository.Archive), s.Name), at, at); err != nil {
		t.Fatal(err)
	}
	s.Committed = at
	return s
}

// TestPruneDeletesWhatRetainDrops: in a real directory repository, a dry
// run deletes nothing; a run deletes exactly the dropped segments and
// leaves the kept ones, the unprovable ones and a file that is no segment.
func TestPruneDeletesWhatRetainDrops(t *testing.T) {
	r := opsRepo(t)
	ctx := context.Background()
	for _, s := range []struct {
		id         string
		start, len int64
	}{{opsOld, 0, 100}, {opsCur, 0, 500}, {opsCur, 500, 1000}, {opsFgn, 0, 50}} {
		opsWrite(t, r, s.id, s.start, s.len, opsT0)
	}
	if err := r.CommitObject(ctx, repository.Archive, "notes.txt", []byte("mine")); err != nil {
		t.Fatal(err)
	}
	kept := []*backup.Manifest{opsBase("k", opsCur, 600, time.Hour)}
	dropped := []*backup.Manifest{opsBase("d", opsOld, 0, 0), opsBase("d2", opsCur, 0, 0)}
	left := func() string {
		objs, err := r.ListObjects(ctx, repository.Archive)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, o := range objs {
			if s, ok := ParseName(o.Name); ok {
				out = append(out, s.ReplID[:1]+":"+strconv.FormatInt(s.Start, 10))
			} else {
				out = append(out, o.Name)
			}
		}
		return strings.Join(out, " ")
	}
	before := left()
	res, err := Prune(ctx, r, kept, dropped, nil, true)
	if err != nil || res.Deleted != 0 || len(res.Drop) != 2 || left() != before {
		t.Fatalf("dry run: %+v %v; left %s", res, err, left())
	}
	res, err = Prune(ctx, r, kept, dropped, nil, false)
	if err != nil || res.Deleted != 2 {
		t.Fatalf("prune: %+v %v", res, err)
	}
	if got, want := left(), "2:500 3:0 notes.txt"; got != want {
		t.Errorf("left %s, want %s", got, want)
	}
}
