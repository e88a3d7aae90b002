package operations

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/redisplan/redisplan/executors/archive"
	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/pitr"
	"github.com/redisplan/redisplan/executors/repository"
	"github.com/redisplan/redisplan/executors/restore"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/internal/rdb"
)

// TimeRequest says what a restore to a point in time restores.
type TimeRequest struct {
	// At is the time to restore to; zero restores everything archived.
	At time.Time
	// Destination is where the base backups and the archive are (the
	// target's destination when empty).
	Destination string
	// Identity is the file of age identities for encrypted bases.
	Identity string
	// WorkDir is where the base and the stream are replayed (a new
	// directory in it, removed afterwards); the system's temporary
	// directory when empty. It needs room for the base, the stream up to
	// At and the replayed RDB.
	WorkDir string
}

// TimePlan is what a restore to a point in time would restore: restore
// -plan prints it, and a restore reports it.
type TimePlan struct {
	Target string `json:"target"`
	// To is the time asked for; zero for everything archived.
	To time.Time `json:"to,omitzero"`
	// Base is the base backup, and BaseTime when its data is from.
	Base     string    `json:"base"`
	BaseTime time.Time `json:"base_time"`
	// From and Through are the receive times of the first and last writes
	// replayed (zero when none is); Next that of the first write left out
	// (zero when none was).
	From    time.Time `json:"from,omitzero"`
	Through time.Time `json:"through,omitzero"`
	Next    time.Time `json:"next,omitzero"`
	// Writes is how many writes are replayed onto the base; Segments how
	// many archive segments hold them.
	Writes   int64 `json:"writes"`
	Segments int   `json:"segments"`
	// Windows are every recoverable window of the target.
	Windows []pitr.Window `json:"windows"`
}

// timeSource is what TimeSource and PlanToTime share: the repository,
// the base and segments chosen, and the recoverable windows.
type timeSource struct {
	repo    *repository.Repository
	choice  pitr.Choice
	windows []pitr.Window
}

func openTimeSource(ctx context.Context, t *model.Target, req TimeRequest) (*timeSource, error) {
	if t.Backup == nil {
		return nil, fmt.Errorf("redis.%s has no backup block, so there are no base backups and no archive to restore from", t.Name)
	}
	repo, err := repository.Open(t, req.Destination)
	if err != nil {
		return nil, err
	}
	own, _, err := repo.Catalog(ctx)
	if err != nil {
		return nil, err
	}
	var bases []*backup.Manifest
	for _, m := range own {
		if m.Usable() && m.ReplID != "" {
			bases = append(bases, m)
		}
	}
	segs, err := archive.ListSegments(ctx, repo)
	if err != nil {
		return nil, err
	}
	chains, _ := archive.Chains(bases, segs)
	lasts, err := pitr.LastTimes(ctx, repo, chains)
	if err != nil {
		return nil, err
	}
	c, err := pitr.Choose(chains, lasts, req.At)
	if err != nil {
		return nil, fmt.Errorf("restore %s to %s: %w", t.Name, describeAt(req.At), err)
	}
	return &timeSource{repo: repo, choice: c, windows: pitr.Windows(chains, lasts)}, nil
}

func describeAt(at time.Time) string {
	if at.IsZero() {
		return "the latest archived write"
	}
	return at.UTC().Format(time.RFC3339Nano)
}

// PlanToTime says what a restore of t to req.At would restore, with
// nothing changed and no server started: it reads the segments up to
// the time to count the writes.
func PlanToTime(ctx context.Context, t *model.Target, req TimeRequest) (TimePlan, error) {
	ts, err := openTimeSource(ctx, t, req)
	if err != nil {
		return TimePlan{}, err
	}
	stream := pitr.OpenStream(ctx, ts.repo, ts.choice)
	defer stream.Close()
	cut, err := pitr.CutAt(io.Discard, stream, req.At)
	if err != nil {
		return TimePlan{}, fmt.Errorf("read the archive of %s: %w", t.Name, err)
	}
	return ts.plan(t, req, cut), nil
}

func (ts *timeSource) plan(t *model.Target, req TimeRequest, cut pitr.Cut) TimePlan {
	return TimePlan{Target: t.Name, To: req.At, Base: ts.choice.Base.ID, BaseTime: pitr.BaseTime(ts.choice.Base),
		From: cut.First, Through: cut.Last, Next: cut.Next, Writes: cut.Writes, Segments: len(ts.choice.Segments), Windows: ts.windows}
}

// TimeSource replays the base backup and the archived writes up to
// req.At (pitr.Replay, in a scratch server of the base's engine) into one
// RDB and returns it as a restore.Source that PrepareRestore and Restore
// take like any backup: every check and safety of a restore applies. Its
// manifest's keyspace is the replayed data's, so the restored server's
// keys are compared with it. cleanup removes the replayed files; call it
// once the restore is done.
func TimeSource(ctx context.Context, t *model.Target, req TimeRequest, emit progress.Sink) (src restore.Source, plan TimePlan, cleanup func(), err error) {
	cleanup = func() {}
	ts, err := openTimeSource(ctx, t, req)
	if err != nil {
		return restore.Source{}, TimePlan{}, cleanup, err
	}
	base := ts.choice.Base
	var rdbFile *backup.File
	for i := range base.Files {
		if base.Files[i].Kind == backup.KindRDB {
			rdbFile = &base.Files[i]
		}
	}
	if rdbFile == nil {
		return restore.Source{}, TimePlan{}, cleanup, fmt.Errorf("base backup %s holds no RDB file to replay the archive onto", base.ID)
	}
	ids, err := repository.Identities(req.Identity)
	if err != nil {
		return restore.Source{}, TimePlan{}, cleanup, err
	}
	// The scratch server is of the base's engine and a release that loads
	// its RDB version: refused here, before the replay, when there is none.
	bin, err := pitr.ScratchBinary(ctx, base.Engine, base.RDBVersion, startBinary(t))
	if err != nil {
		return restore.Source{}, TimePlan{}, cleanup, fmt.Errorf("restore %s to %s: the replay runs the archive in a scratch server of base backup %s's engine, and %w; nothing was changed", t.Name, describeAt(req.At), base.ID, err)
	}
	// The target is checked with the base before the replay, which can
	// take long: a target that cannot take the result is refused first.
	// PrepareRestore checks it again with the replayed RDB.
	if _, err := restore.Check(ctx, t, restore.Source{Manifest: base, Open: ts.repo.Reader(base, ids)}); err != nil {
		return restore.Source{}, TimePlan{}, cleanup, err
	}
	dir, err := os.MkdirTemp(req.WorkDir, "redisplan-pitr-")
	if err != nil {
		return restore.Source{}, TimePlan{}, cleanup, fmt.Errorf("create the replay directory: %w", err)
	}
	cleanup = func() { os.RemoveAll(dir) }
	emit.Say(progress.Step, "replaying base backup %s and the archived writes after it up to %s in %s", base.ID, describeAt(req.At), dir)

	rc, err := ts.repo.Reader(base, ids)(ctx, *rdbFile)
	if err != nil {
		return restore.Source{}, TimePlan{}, cleanup, err
	}
	defer rc.Close()
	stream := pitr.OpenStream(ctx, ts.repo, ts.choice)
	defer stream.Close()
	out, err := pitr.Replay(ctx, pitr.Input{Bin: bin, Dir: dir, Base: rc, Stream: stream, DB: base.ReplStreamDB, Until: req.At, Emit: emit})
	if err != nil {
		return restore.Source{}, TimePlan{}, cleanup, fmt.Errorf("restore %s to %s: %w; nothing was changed", t.Name, describeAt(req.At), err)
	}
	plan = ts.plan(t, req, out.Cut)

	f, err := os.Open(out.RDB)
	if err != nil {
		return restore.Source{}, plan, cleanup, err
	}
	info, err := rdb.Verify(f)
	f.Close()
	if err != nil {
		return restore.Source{}, plan, cleanup, fmt.Errorf("the replayed RDB is not sound: %w", err)
	}
	st, err := os.Stat(out.RDB)
	if err != nil {
		return restore.Source{}, plan, cleanup, err
	}
	at := req.At
	if at.IsZero() {
		at = out.Cut.Last
	}
	if at.IsZero() {
		at = pitr.BaseTime(base)
	}
	now := time.Now().UTC()
	m := &backup.Manifest{
		Version: backup.ManifestVersion, ID: "pitr-" + at.UTC().Format("20060102T150405.000Z"), Target: t.Name, Method: "point-in-time",
		SourceRole: base.SourceRole, SourceAddress: base.SourceAddress,
		Started: at, Finished: now, RedisVersion: base.RedisVersion, Engine: base.Engine, EngineVersion: base.EngineVersion,
		Keyspace: out.Keyspace, UsedMemory: out.UsedMemory, RDBVersion: info.Version, Verified: true, VerifiedAt: now,
		Owner: base.Owner,
		Files: []backup.File{{Name: filepath.Base(out.RDB), Original: "dump.rdb", Kind: backup.KindRDB,
			RawSize: st.Size(), StoredSize: st.Size(), Compression: "none"}},
	}
	path := out.RDB
	src = restore.Source{Manifest: m, Open: func(context.Context, backup.File) (io.ReadCloser, error) { return os.Open(path) }}
	return src, plan, cleanup, nil
}

// startBinary is the server binary the target's service start command
// runs when it names one by path (a name is looked up in PATH anyway), or
// "" when it has none.
func startBinary(t *model.Target) string {
	if t.Service == nil || len(t.Service.Start) == 0 || !filepath.IsAbs(t.Service.Start[0]) {
		return ""
	}
	return t.Service.Start[0]
}
