package archive

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/repository"
)

// opsChain commits a chain of stream id from offset 0: n segments of 100
// bytes each, received a second apart from opsT0.
func opsChain(t *testing.T, r *repository.Repository, id string, n int) []Segment {
	t.Helper()
	var out []Segment
	for i := 0; i < n; i++ {
		out = append(out, opsWrite(t, r, id, int64(i)*100, 100, opsT0.Add(time.Duration(i+1)*time.Second)))
	}
	return out
}

// TestSurvey: the windows are the chains with a base, from the base's
// time to the newest segment; the head is the chain of the newest
// window, and its last write is read from that segment's footer; a
// stream without a base is unanchored, not a window nor the head even
// when newer, but the chain Following its replication ID.
func TestSurvey(t *testing.T) {
	r := opsRepo(t)
	ctx := context.Background()
	opsChain(t, r, opsCur, 3)
	opsWrite(t, r, opsFgn, 0, 40, opsT0.Add(time.Hour)) // no base: unanchored, and newer
	b := opsBase("b", opsCur, 0, 0)
	o, err := Survey(ctx, r, []*backup.Manifest{b})
	if err != nil {
		t.Fatal(err)
	}
	if o.Segments != 4 || len(o.Windows) != 1 || len(o.Unanchored) != 1 || len(o.Gaps) != 0 {
		t.Fatalf("survey %+v", o)
	}
	w := o.Newest()
	if w.Base != b || w.From != 0 || w.To != 300 || !w.First.Equal(b.Started) || len(w.Segments) != 3 {
		t.Errorf("window %+v", w)
	}
	if o.Head == nil || o.Head.ReplID != opsCur || o.Head.To != 300 {
		t.Fatalf("head %+v", o.Head)
	}
	if f := o.Following(opsFgn); f == nil || f.To != 40 || f.Recoverable() {
		t.Errorf("following %s: %+v", opsFgn, f)
	}
	if o.Following("5555555555555555555555555555555555555555") != nil {
		t.Error("following a stream the archive does not hold")
	}
	// A base the archiver just stored, before any segment: the archive
	// reaches its position, at its time.
	nb := opsBase("n", opsOld, 700, 2*time.Hour)
	o2, err := Survey(ctx, r, []*backup.Manifest{b, nb})
	if err != nil {
		t.Fatal(err)
	}
	if f := o2.Following(opsOld); f == nil || f.To != 700 || len(f.Segments) != 0 {
		t.Errorf("following a base without segments: %+v", f)
	} else if lw, err := LastWrite(ctx, r, f); err != nil || !lw.Equal(nb.Started) {
		t.Errorf("last write of a base without segments %v, %v", lw, err)
	}
	if o2.Head == nil || o2.Head.ReplID != opsOld {
		t.Errorf("head %+v, want the newer base's chain", o2.Head)
	}
	last, err := LastWrite(ctx, r, o.Head)
	if err != nil || !last.Equal(opsT0.Add(3*time.Second)) {
		t.Errorf("last write %v, %v; want the newest footer's %v", last, err, opsT0.Add(3*time.Second))
	}
	if o.Bytes <= 0 {
		t.Errorf("bytes %d", o.Bytes)
	}
}

// segPath is where a segment of r lies on disk.
func segPath(r *repository.Repository, s Segment) string {
	return filepath.Join(r.ObjectsPath(repository.Archive), s.Name)
}

// TestVerifyChains: a whole chain passes with every segment read; a
// flipped byte, a segment stored under another segment's name, and a
// missing segment before the stream's newest are each a problem that
// names the segment or the offsets; a new stream after a restart is a
// gap, not damage.
func TestVerifyChains(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T) (*repository.Repository, []Segment, []*backup.Manifest) {
		r := opsRepo(t)
		segs := opsChain(t, r, opsCur, 4)
		return r, segs, []*backup.Manifest{opsBase("b", opsCur, 0, 0)}
	}
	t.Run("whole", func(t *testing.T) {
		r, _, bases := setup(t)
		rep, err := VerifyChains(ctx, r, bases)
		if err != nil || !rep.OK() || rep.Chains != 1 || rep.Segments != 4 || rep.Bytes <= 0 {
			t.Fatalf("report %+v, %v", rep, err)
		}
	})
	t.Run("flipped byte", func(t *testing.T) {
		r, segs, bases := setup(t)
		p := segPath(r, segs[1])
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)/2] ^= 0x40
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		rep, _ := VerifyChains(ctx, r, bases)
		if rep.OK() || !strings.Contains(strings.Join(rep.Problems, "\n"), segs[1].Name) {
			t.Errorf("problems %q, want one naming %s", rep.Problems, segs[1].Name)
		}
	})
	t.Run("wrong name", func(t *testing.T) {
		r, segs, bases := setup(t)
		// segment 2's bytes under segment 3's name: header and name differ.
		b, err := os.ReadFile(segPath(r, segs[2]))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(segPath(r, segs[3]), b, 0o600); err != nil {
			t.Fatal(err)
		}
		rep, _ := VerifyChains(ctx, r, bases)
		if all := strings.Join(rep.Problems, "\n"); rep.OK() || !strings.Contains(all, segs[3].Name) || !strings.Contains(all, "its name") {
			t.Errorf("problems %q", rep.Problems)
		}
	})
	t.Run("missing", func(t *testing.T) {
		r, segs, bases := setup(t)
		if err := os.Remove(segPath(r, segs[1])); err != nil {
			t.Fatal(err)
		}
		rep, _ := VerifyChains(ctx, r, bases)
		if all := strings.Join(rep.Problems, "\n"); rep.OK() || !strings.Contains(all, "stops at offset 100") || !strings.Contains(all, "ends at 400") {
			t.Errorf("problems %q", rep.Problems)
		}
	})
	t.Run("restart is a gap", func(t *testing.T) {
		r, _, bases := setup(t)
		opsWrite(t, r, opsOld, 0, 100, opsT0.Add(time.Minute))
		bases = append(bases, opsBase("b2", opsOld, 0, 50*time.Second))
		rep, err := VerifyChains(ctx, r, bases)
		if err != nil || !rep.OK() || rep.Chains != 2 || len(rep.Gaps) != 1 || !strings.Contains(rep.Gaps[0].Reason, "replication ID changed") {
			t.Errorf("report %+v, %v", rep, err)
		}
	})
}

// The views read segments only through the repository's interface.
var _ interface {
	Lister
	Reader
} = (*repository.Repository)(nil)
