package operations

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/redisplan/redisplan/executors/archive"
	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/backup/capture"
	"github.com/redisplan/redisplan/executors/backup/job"
	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/executors/lock"
	"github.com/redisplan/redisplan/executors/repository"
	"github.com/redisplan/redisplan/executors/restore"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
)

// BackupOptions are what the backup operations share.
type BackupOptions struct {
	// Version is redisplan's, recorded in what is written.
	Version string
	// Emit receives a run's messages and byte counts.
	Emit progress.Sink
	// Warn receives what went wrong beside an operation without failing
	// it (a lock left by a dead run, a record that could not be written).
	Warn func(string)
}

func (o BackupOptions) warn(format string, args ...any) {
	if o.Warn != nil {
		o.Warn(fmt.Sprintf(format, args...))
	}
}

// openRepository opens t's backups in dest (its destination when empty).
func openRepository(t *model.Target, dest, version string) (*repository.Repository, error) {
	r, err := repository.Open(t, dest)
	if err != nil {
		return nil, err
	}
	r.Version = version
	return r, nil
}

// TakeBackup is the first step of `backup run` for t: under the target's
// lock, a backup of its server into its destination, verified as it is
// written (repository.Take).
func TakeBackup(ctx context.Context, t *model.Target, o BackupOptions) (*backup.Manifest, error) {
	lk, warning, err := lock.Acquire(lock.PathFor(t.ConfigFile, t.Name, t.Connection.Address), "redisplan backup run")
	if err != nil {
		return nil, err
	}
	defer lk.Release()
	if warning != "" {
		o.warn("%s", warning)
	}
	repo, err := openRepository(t, "", o.Version)
	if err != nil {
		return nil, err
	}
	client, err := live.Dial(t.Connection)
	if err != nil {
		return nil, err
	}
	defer client.Close()
	return repo.Take(ctx, repository.TakeOptions{
		Client: client, Emit: o.Emit,
		Journal: func(name string) capture.Journal { return lk.Journal(name) },
	})
}

// CopyBackup is the second step of `backup run`: the backup m, complete in
// t's destination, copied to each copy_to destination and read back there.
// err joins every copy's failure.
func CopyBackup(ctx context.Context, t *model.Target, m *backup.Manifest, o BackupOptions) ([]repository.CopyResult, error) {
	if len(t.Backup.CopyTo) == 0 {
		return nil, nil
	}
	repo, err := openRepository(t, "", o.Version)
	if err != nil {
		return nil, err
	}
	res := repo.CopyTo(ctx, m, o.Emit)
	var errs []error
	for _, c := range res {
		if c.Err != nil {
			errs = append(errs, c.Err)
		}
	}
	return res, errors.Join(errs...)
}

// PruneRun is retention applied in one destination.
type PruneRun struct {
	// Destination is where; Main is true for the target's own destination
	// (not a copy_to one).
	Destination string
	Main        bool
	Result      repository.PruneResult
	// Archive is retention of the archive's segments in the target's
	// own destination (nil elsewhere, and when backups failed to prune).
	Archive *archive.PruneResult
	Err     error
}

// Prune applies t's retention to its destination and every copy_to
// destination (or only to dest, when set): copies follow the same
// retention, so that an off-site copy does not grow without bound. err
// joins each destination's failure, named by the destination for a copy.
func Prune(ctx context.Context, t *model.Target, dest string, dryRun bool, o BackupOptions) ([]PruneRun, error) {
	dests := append([]string{t.Backup.Destination}, t.Backup.CopyTo...)
	if dest != "" {
		dests = []string{dest}
	}
	var runs []PruneRun
	var errs []error
	for _, d := range dests {
		run := PruneRun{Destination: d, Main: d == t.Backup.Destination}
		repo, err := openRepository(t, d, o.Version)
		if err == nil {
			run.Result, run.Archive, err = prune(ctx, repo, dryRun)
		}
		if err != nil {
			if !run.Main {
				err = fmt.Errorf("%s: %w", d, err)
			}
			run.Err = err
			errs = append(errs, err)
		}
		runs = append(runs, run)
	}
	return runs, errors.Join(errs...)
}

// prune applies retention to repo's backups, then to the archive's
// segments: those the kept backups need stay, those only deleted backups
// needed go (none in a dry run), and those nothing proves are the
// target's are left alone (archive.Retain). Segments are pruned only
// after every backup retention dropped was deleted.
func prune(ctx context.Context, repo *repository.Repository, dryRun bool) (repository.PruneResult, *archive.PruneResult, error) {
	own, others, err := repo.Catalog(ctx)
	if err != nil {
		return repository.PruneResult{}, nil, err
	}
	res, err := repo.Prune(ctx, time.Now(), dryRun)
	if err != nil {
		return res, nil, err
	}
	keep := map[string]bool{}
	for _, d := range res.Decisions {
		keep[d.ID] = d.Keep
	}
	var kept, dropped []*backup.Manifest
	for _, m := range own {
		if k, decided := keep[m.ID]; !decided || k {
			kept = append(kept, m)
		} else {
			dropped = append(dropped, m)
		}
	}
	ar, err := archive.Prune(ctx, repo, kept, dropped, others, dryRun)
	if err != nil {
		return res, &ar, fmt.Errorf("archive: %w", err)
	}
	if ar.Segments() == 0 {
		return res, nil, nil
	}
	return res, &ar, nil
}

// BackupTargets are the targets of selected that have a backup block.
// named says the targets were named (-target): one without a backup block
// is then an error, rather than passed over.
func BackupTargets(selected []*model.Target, named bool) ([]*model.Target, error) {
	var out []*model.Target
	for _, t := range selected {
		if t.Backup != nil {
			out = append(out, t)
		} else if named {
			return nil, fmt.Errorf("redis.%s has no backup block", t.Name)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no target of the spec has a backup block")
	}
	return out, nil
}

// BackupList is what `backup list` shows, and its JSON.
type BackupList struct {
	Backups       []BackupEntry `json:"backups"`
	FormatVersion string        `json:"format_version"`
	// LeftAlone is what the targets' folders hold besides their backups.
	LeftAlone []repository.Foreign `json:"left_alone"`
	// Archives are the targets' archives: the times point-in-time
	// recovery reaches, and the gaps.
	Archives []ArchiveEntry `json:"archives"`
}

// BackupEntry describes one backup.
type BackupEntry struct {
	Target string    `json:"target"`
	ID     string    `json:"id"`
	Time   time.Time `json:"time"`
	Method string    `json:"method"`
	Keys   int64     `json:"keys"`
	Stored int64     `json:"stored_bytes"`
	Raw    int64     `json:"raw_bytes"`
	Files  int       `json:"files"`
	// Verified: verified when taken, and nothing found wrong since
	// (backup.Manifest.Usable), the backups retention and check count.
	Verified bool `json:"verified"`
	// VerifiedWhenTaken and VerifiedAt are the manifest's record of the
	// checks made while the backup was written.
	VerifiedWhenTaken bool      `json:"verified_when_taken"`
	VerifiedAt        time.Time `json:"verified_at"`
	// LastVerification is the last backup verify of this copy, if any.
	LastVerification *LastVerification `json:"last_verification"`
	// Status is one word for the VERIFIED column: verified (when
	// taken), re-verified, failed (the last backup verify), damaged (an
	// artifact is gone or has another size), unverified.
	Status  string `json:"status"`
	Problem string `json:"problem,omitempty"`
	// Owner is whose backup it is, as its manifest records it; "" for a
	// backup made before owners were recorded (every spec's).
	Owner string `json:"owner"`
}

// LastVerification is the outcome of the last backup verify of a backup.
type LastVerification struct {
	At      time.Time `json:"at"`
	OK      bool      `json:"ok"`
	Problem string    `json:"problem,omitempty"`
}

// ListBackups reads the backups of targets in dest (each one's
// destination when empty) and what is left alone beside them.
func ListBackups(ctx context.Context, targets []*model.Target, dest string) (BackupList, error) {
	l := BackupList{Backups: []BackupEntry{}, FormatVersion: "1.0", LeftAlone: []repository.Foreign{}, Archives: []ArchiveEntry{}}
	for _, t := range targets {
		repo, err := repository.Open(t, dest)
		if err != nil {
			return l, err
		}
		tl, err := repo.List(ctx)
		if err != nil {
			return l, fmt.Errorf("redis.%s: %w", t.Name, err)
		}
		l.LeftAlone = append(l.LeftAlone, tl.LeftAlone...)
		for _, m := range tl.Backups {
			l.Backups = append(l.Backups, newEntry(t.Name, m))
		}
		a, err := archiveEntry(ctx, repo, tl.Backups)
		if err != nil {
			return l, fmt.Errorf("redis.%s: archive: %w", t.Name, err)
		}
		if a != nil {
			l.Archives = append(l.Archives, *a)
		}
	}
	return l, nil
}

// newEntry describes one backup for backup list.
func newEntry(target string, m *backup.Manifest) BackupEntry {
	e := BackupEntry{Target: target, ID: m.ID, Time: m.Started, Method: m.Method, Keys: m.TotalKeys(), Files: len(m.Files),
		Verified: m.Usable(), VerifiedWhenTaken: m.Verified, VerifiedAt: m.VerifiedAt, Problem: m.Problem}
	for _, f := range m.Files {
		e.Stored += f.StoredSize
		e.Raw += f.RawSize
	}
	if m.Owner != nil && !m.Owner.IsZero() {
		e.Owner = repository.DescribeOwner(*m.Owner)
	}
	v := m.LastVerification
	if v != nil {
		e.LastVerification = &LastVerification{At: v.At, OK: v.OK, Problem: v.Problem}
	}
	switch {
	case !m.Verified:
		e.Status = "unverified"
	case m.Problem != "" && (v == nil || v.OK):
		e.Status = "damaged" // found by a look at the artifacts
	case v != nil && !v.OK:
		e.Status = "failed"
	case v != nil:
		e.Status = "re-verified"
	default:
		e.Status = "verified"
	}
	return e
}

// VerifyRequest says which backup `backup verify` checks and how.
type VerifyRequest struct {
	// Destination is where (the target's destination when empty).
	Destination string
	// Backup is an ID, or "latest" (or empty) for the newest; another
	// spec's backup may be named.
	Backup     string
	Identities []age.Identity
	// Drill restores the backup into a scratch server after it verified.
	Drill bool
}

// VerifyResult is what VerifyBackup found.
type VerifyResult struct {
	Manifest *backup.Manifest
	// Verified is true when the backup passed every check a restore
	// makes of it; Check is what that read.
	Verified bool
	Check    restore.VerifyResult
	// Drill is the scratch restore, when one ran.
	Drill *restore.Result
	// Archive is the check of the archive's chains, in the target's own
	// destination when it archives or holds segments; nil otherwise.
	Archive *archive.ChainReport
}

// VerifyBackup runs on one stored backup of t every check a restore makes
// of it before touching a server (restore.Verify: one code path, so that
// "verified" means restore accepts it), records the outcome beside its
// manifest, and drills it when asked. A drill whose scratch server loaded
// the backup and lacks keys is recorded as a failure too: a restore would
// roll back. What could not be recorded is a warning.
func VerifyBackup(ctx context.Context, t *model.Target, req VerifyRequest, o BackupOptions) (VerifyResult, error) {
	var res VerifyResult
	repo, err := openRepository(t, req.Destination, o.Version)
	if err != nil {
		return res, err
	}
	res.Archive, err = verifyArchive(ctx, repo)
	if err != nil {
		return res, err
	}
	m, _, err := repo.Pick(ctx, req.Backup, repository.PickOptions{OtherSpec: true})
	if err != nil {
		return res, errors.Join(err, archiveDamage(res.Archive))
	}
	res.Manifest = m
	src := restore.Source{Manifest: m, Open: repo.Reader(m, req.Identities)}
	verr, rerr := repo.Verify(ctx, m, func(ctx context.Context) (err error) {
		res.Check, err = restore.Verify(ctx, src, o.Emit)
		return err
	})
	if rerr != nil {
		o.warn("redis.%s: %v; backup list will not show this verification", t.Name, rerr)
	}
	if verr != nil {
		return res, errors.Join(fmt.Errorf("backup %s failed verification, a restore would refuse it: %w", m.ID, verr), archiveDamage(res.Archive))
	}
	res.Verified = true
	if !req.Drill {
		return res, archiveDamage(res.Archive)
	}
	r, err := restore.Drill(ctx, src, restore.Options{Emit: o.Emit.BytesOnly()})
	if err != nil {
		if r.After.Keyspace != nil {
			if rerr := repo.Record(ctx, m, fmt.Errorf("drill: %w", err)); rerr != nil {
				o.warn("redis.%s: %v; backup list will not show this verification", t.Name, rerr)
			}
		}
		return res, err
	}
	res.Drill = &r
	return res, archiveDamage(res.Archive)
}

// verifyArchive checks the archive's chains in repo when the target
// archives there (its own destination) or the folder holds segments.
func verifyArchive(ctx context.Context, repo *repository.Repository) (*archive.ChainReport, error) {
	if !repo.Main() {
		return nil, nil
	}
	own, _, err := repo.Catalog(ctx)
	if err != nil {
		return nil, err
	}
	r, err := archive.VerifyChains(ctx, repo, own)
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	if r.Segments == 0 && len(r.Problems) == 0 && repo.Target.Backup.Archive == nil {
		return nil, nil
	}
	return &r, nil
}

// archiveDamage is the error of a damaged archive, nil when whole.
func archiveDamage(r *archive.ChainReport) error {
	if r == nil || r.OK() {
		return nil
	}
	return fmt.Errorf("the archive is damaged, so point-in-time recovery does not reach every time it should: %s", strings.Join(r.Problems, "; "))
}

// ImportBackups adds files (RDB dumps, gzipped or not, such as the seed
// scripts' backups) to t's catalog, one backup each, telling done about
// each file as it is imported. It refuses a folder that holds another
// spec's backups before importing anything.
func ImportBackups(ctx context.Context, t *model.Target, files []string, opts repository.ImportOptions, o BackupOptions,
	done func(path string, r job.ImportResult, err error)) error {
	repo, err := openRepository(t, "", o.Version)
	if err == nil {
		err = repo.RefuseShared(ctx)
	}
	if err != nil {
		return err
	}
	for _, path := range files {
		r, err := repo.Import(ctx, path, opts)
		done(path, r, err)
	}
	return nil
}

// ImportProblems says what stops an import of these files before any is
// imported: every file is there, so that a word that is not one (a
// target name, a pattern the shell matched to nothing) stops the command
// line rather than failing after the files before it were imported.
func ImportProblems(paths []string) []string {
	var problems []string
	for _, path := range paths {
		info, err := os.Stat(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			problems = append(problems, fmt.Sprintf("%q: no such file; the arguments are the files to import, and a target is chosen with -target", path))
		case err != nil:
			problems = append(problems, fmt.Sprintf("%q: %v", path, errors.Unwrap(err)))
		case info.IsDir():
			problems = append(problems, fmt.Sprintf("%q is a directory: name the files in it (%s)", path, filepath.Join(path, "*.rdb.gz")))
		}
	}
	return problems
}
