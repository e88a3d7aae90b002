package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"filippo.io/age"

	"github.com/redisplan/redisplan/cmd/redisplan/internal/arguments"
	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/backup/capture"
	"github.com/redisplan/redisplan/executors/backup/file"
	"github.com/redisplan/redisplan/executors/backup/job"
	"github.com/redisplan/redisplan/executors/backup/s3"
	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/executors/lock"
	"github.com/redisplan/redisplan/executors/restore"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/owner"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/internal/s3url"
)

func runBackup(ctx context.Context, env *cmdEnv, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(env.stderr, "Usage: redisplan backup run|list|verify|prune|import [flags]\nRun 'redisplan help backup' for what each does.")
		return exitError
	}
	switch args[0] {
	case "run":
		return runBackupRun(ctx, env, args[1:])
	case "list":
		return runBackupList(ctx, env, args[1:])
	case "verify":
		return runBackupVerify(ctx, env, args[1:])
	case "prune":
		return runBackupPrune(ctx, env, args[1:])
	case "import":
		return runBackupImport(ctx, env, args[1:])
	case "-h", "-help", "--help":
		arguments.Help(env.stdout, "backup")
		return exitOK
	}
	fmt.Fprintf(env.stderr, "redisplan backup: unknown subcommand %q; the subcommand comes first, then its flags\nUsage: redisplan backup run|list|verify|prune|import [flags]\n", args[0])
	return exitError
}

// backupTargets loads the spec and returns the selected targets that have
// a backup block.
func backupTargets(env *cmdEnv, sf *specFlags, names []string, cmd string) ([]*model.Target, bool) {
	res, ok := loadSpec(env, sf)
	if !ok {
		return nil, false
	}
	selected, err := selectTargets(res.Spec, names)
	if err != nil {
		fmt.Fprintf(env.stderr, "redisplan %s: %v\n", cmd, err)
		return nil, false
	}
	var out []*model.Target
	for _, t := range selected {
		if t.Backup != nil {
			out = append(out, t)
		} else if len(names) > 0 {
			fmt.Fprintf(env.stderr, "redisplan %s: redis.%s has no backup block\n", cmd, t.Name)
			return nil, false
		}
	}
	if len(out) == 0 {
		fmt.Fprintf(env.stderr, "redisplan %s: no target of the spec has a backup block\n", cmd)
		return nil, false
	}
	return out, true
}

// storageFor opens a target's backups in dest (its backup destination
// when dest is empty): a directory, or s3://bucket/prefix reached with the
// target's s3 settings. Each target has its own directory (or prefix)
// under a destination, so that a fleet can share one.
func storageFor(t *model.Target, dest string) (backup.Storage, error) {
	if dest == "" {
		dest = t.Backup.Destination
	}
	if s3url.Is(dest) {
		cfg := s3.Config{Destination: strings.TrimRight(dest, "/") + "/" + fileName(t.Name)}
		if c := t.Backup.S3; c != nil {
			cfg.S3 = *c
		}
		return s3.New(cfg)
	}
	if t.Backup.RequireDestination {
		if err := destinationExists(dest); err != nil {
			return nil, err
		}
	}
	return file.New(filepath.Join(dest, fileName(t.Name)))
}

// destinationExists is what require_destination = true asks: the
// directory is there (a mounted backup disk), so that redisplan creates
// nothing but the target's folder inside it.
func destinationExists(dest string) error {
	info, err := os.Stat(dest)
	switch {
	case err == nil && info.IsDir():
		return nil
	case err == nil:
		return fmt.Errorf("backup destination %s is not a directory", dest)
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("backup destination %s does not exist, and the spec sets require_destination = true: "+
			"mount the backup disk (or create the directory) and run again; nothing was written", dest)
	default:
		return fmt.Errorf("backup destination %s: %w", dest, err)
	}
}

func runBackupRun(ctx context.Context, env *cmdEnv, args []string) int {
	a, err := arguments.ParseBackupRun(args)
	if code, done := parsed(env, "backup run", err, exitError); done {
		return code
	}
	sf, targets, noPrune := specFlagsOf(a.Spec), a.Targets, a.NoPrune
	selected, ok := backupTargets(env, &sf, targets, "backup run")
	if !ok {
		return exitError
	}
	status := exitOK
	for _, t := range selected {
		m, err := backupOne(ctx, env, t)
		if err != nil {
			fmt.Fprintf(env.stderr, "Error: backup of redis.%s failed: %v\nEarlier backups are untouched.\n", t.Name, err)
			alertFailure(ctx, env, t, "backup_run", fmt.Sprintf("The backup of Redis %s failed", t.Name), err)
			status = exitError
			continue
		}
		fmt.Fprintf(env.stdout, "redis.%s: backup %s complete: %d keys, %s stored in %.1fs, verified\n",
			t.Name, m.ID, m.TotalKeys(), humanBytes(storedSize(m)), m.DurationSeconds)
		if err := copyBackup(ctx, env, t, m); err != nil {
			fmt.Fprintf(env.stderr, "Error: copy of backup %s of redis.%s failed: %v\nThe backup itself is complete in %s.\n", m.ID, t.Name, err, t.Backup.Destination)
			alertFailure(ctx, env, t, "backup_copy", fmt.Sprintf("The copy of a backup of Redis %s failed", t.Name), err)
			status = exitError
		}
		if noPrune {
			continue
		}
		if err := prune(ctx, env, t, false, ""); err != nil {
			fmt.Fprintf(env.stderr, "Error: retention for redis.%s: %v\n", t.Name, err)
			status = exitError
		}
	}
	return status
}

func backupOne(ctx context.Context, env *cmdEnv, t *model.Target) (*backup.Manifest, error) {
	lk, warning, err := lock.Acquire(lock.PathFor(t.ConfigFile, t.Name, t.Connection.Address), "redisplan backup run")
	if err != nil {
		return nil, err
	}
	defer lk.Release()
	if warning != "" {
		fmt.Fprintf(env.stderr, "warning: %s\n", warning)
	}
	store, err := storageFor(t, "")
	if err != nil {
		return nil, err
	}
	client, err := live.Dial(t.Connection)
	if err != nil {
		return nil, err
	}
	defer client.Close()
	view := newProgressView(env, env.stdout, false)
	defer view.close()
	req := job.Request{
		Target: t, Storage: store, Client: client, RedisplanVersion: version,
		Emit:    view.sink(t.Name),
		Journal: func(name string) capture.Journal { return lk.Journal(name) },
		Owner:   targetOwner(t),
		// After a killed run's settings are put back, so that a refusal
		// does not leave them as the killed run left them.
		Admit: func(ctx context.Context) error { return refuseShared(ctx, t, "", store) },
	}
	return job.Run(ctx, req)
}

// copyBackup replicates a finished backup to each copy_to destination,
// reading every copy back against the manifest's checksums. It tries
// every destination and reports every failure.
func copyBackup(ctx context.Context, env *cmdEnv, t *model.Target, m *backup.Manifest) error {
	if len(t.Backup.CopyTo) == 0 {
		return nil
	}
	src, err := storageFor(t, "")
	if err != nil {
		return err
	}
	view := newProgressView(env, env.stdout, false)
	defer view.close()
	var errs []error
	for _, dest := range t.Backup.CopyTo {
		dst, err := storageFor(t, dest)
		if err == nil {
			// What a run killed while copying left there, as the run
			// cleans its main destination.
			var n int
			if n, err = dst.Clean(ctx); err == nil && n > 0 {
				fmt.Fprintf(env.stdout, "redis.%s: removed %d leftover(s) of interrupted copies in %s\n", t.Name, n, dest)
			}
		}
		if err == nil {
			err = refuseShared(ctx, t, dest, dst)
		}
		if err == nil {
			var res backup.CopyResult
			if res, err = backup.Copy(ctx, src, dst, m, view.sink(t.Name)); err == nil {
				how := "copied to"
				if res.Existed {
					how = "already in"
				}
				fmt.Fprintf(env.stdout, "redis.%s: backup %s %s %s: %s read back, checksums verified\n", t.Name, m.ID, how, dest, humanBytes(res.Bytes))
				continue
			}
		}
		errs = append(errs, fmt.Errorf("%s: %w", dest, err))
	}
	return errors.Join(errs...)
}

func storedSize(m *backup.Manifest) int64 {
	var n int64
	for _, f := range m.Files {
		n += f.StoredSize
	}
	return n
}

func humanBytes(n int64) string {
	v := float64(n)
	for _, u := range []string{"B", "KiB", "MiB", "GiB"} {
		if v < 1024 || u == "GiB" {
			if u == "B" {
				return fmt.Sprintf("%d B", n)
			}
			return fmt.Sprintf("%.1f %s", v, u)
		}
		v /= 1024
	}
	return fmt.Sprint(n)
}

// manifests reads every complete backup of a target, oldest first, with
// what is known of each since it was taken (backup.LoadCatalog).
func manifests(ctx context.Context, store backup.Storage) ([]*backup.Manifest, error) {
	return backup.LoadCatalog(ctx, store)
}

type listEntry struct {
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
	LastVerification *lastVerification `json:"last_verification"`
	// Status is one word for the VERIFIED column: verified (when
	// taken), re-verified, failed (the last backup verify), damaged (an
	// artifact is gone or has another size), unverified.
	Status  string `json:"status"`
	Problem string `json:"problem,omitempty"`
	// Owner is whose backup it is, as its manifest records it; empty for
	// a backup made before owners were recorded.
	Owner string `json:"owner,omitempty"`
}

type lastVerification struct {
	At      time.Time `json:"at"`
	OK      bool      `json:"ok"`
	Problem string    `json:"problem,omitempty"`
}

// newListEntry describes one backup for backup list.
func newListEntry(target string, m *backup.Manifest) listEntry {
	e := listEntry{Target: target, ID: m.ID, Time: m.Started, Method: m.Method, Keys: m.TotalKeys(), Files: len(m.Files),
		Verified: m.Usable(), VerifiedWhenTaken: m.Verified, VerifiedAt: m.VerifiedAt, Problem: m.Problem}
	for _, f := range m.Files {
		e.Stored += f.StoredSize
		e.Raw += f.RawSize
	}
	if m.Owner != nil && !m.Owner.IsZero() {
		e.Owner = describeOwner(*m.Owner)
	}
	v := m.LastVerification
	if v != nil {
		e.LastVerification = &lastVerification{At: v.At, OK: v.OK, Problem: v.Problem}
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

// verifiedColumn is what backup list's VERIFIED column says of e.
func verifiedColumn(e listEntry) string {
	at := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") }
	switch e.Status {
	case "unverified":
		return "no"
	case "damaged":
		return "NOT RESTORABLE: " + e.Problem
	case "failed":
		return "FAILED " + at(e.LastVerification.At) + ": " + e.LastVerification.Problem
	case "re-verified":
		return "when taken; re-verified " + at(e.LastVerification.At)
	}
	return "when taken"
}

func runBackupList(ctx context.Context, env *cmdEnv, args []string) int {
	a, err := arguments.ParseBackupList(args)
	if code, done := parsed(env, "backup list", err, exitError); done {
		return code
	}
	sf, targets, asJSON, dest := specFlagsOf(a.Spec), a.Targets, a.JSON, a.Destination
	selected, ok := backupTargets(env, &sf, targets, "backup list")
	if !ok {
		return exitError
	}
	entries := []listEntry{}
	alone := []foreignEntry{}
	for _, t := range selected {
		store, err := storageFor(t, dest)
		if err != nil {
			fmt.Fprintf(env.stderr, "redisplan backup list: %v\n", err)
			return exitError
		}
		ms, err := manifests(ctx, store)
		if err == nil {
			var f []foreignEntry
			f, err = foreignIn(ctx, t, dest, store)
			alone = append(alone, f...)
		}
		if err != nil {
			fmt.Fprintf(env.stderr, "redisplan backup list: redis.%s: %v\n", t.Name, err)
			return exitError
		}
		ms, others := backupClaim(t).Partition(ms)
		alone = append(alone, othersIn(t, dest, others)...)
		for _, m := range ms {
			entries = append(entries, newListEntry(t.Name, m))
		}
	}
	if asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(map[string]any{"format_version": "1.0", "backups": entries, "left_alone": alone})
		return exitOK
	}
	defer printForeign(env.stdout, alone)
	if len(entries) == 0 {
		fmt.Fprintln(env.stdout, "No backups yet.")
		return exitOK
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TARGET\tID\tTIME (UTC)\tMETHOD\tKEYS\tSTORED\tVERIFIED (UTC)")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", e.Target, e.ID, e.Time.Format("2006-01-02 15:04:05"), e.Method, e.Keys, humanBytes(e.Stored), verifiedColumn(e))
	}
	tw.Flush()
	return exitOK
}

// targetOwner is the owner of what redisplan keeps for t (its backups,
// its check state): the backup block's id when it has one, else the
// absolute path of the spec file that declares t, and its name. It does
// not depend on how -config names the spec (a file or its directory), so
// that cron's runs and a person's restore agree.
func targetOwner(t *model.Target) *owner.Owner {
	spec := t.Pos.Filename
	if abs, err := filepath.Abs(spec); err == nil && spec != "" {
		spec = abs
	}
	o := &owner.Owner{Spec: spec, Target: t.Name}
	if t.Backup != nil {
		o.ID = t.Backup.ID
	}
	return o
}

// backupClaim is what counts as t's backups in a catalog (backup.Claim).
func backupClaim(t *model.Target) backup.Claim {
	return backup.Claim{Owner: *targetOwner(t), PreviousSpecs: t.Backup.PreviousSpecs}
}

// describeOwner names the owner of a backup for a person.
func describeOwner(o owner.Owner) string {
	s := fmt.Sprintf("spec %s, target %q", o.Spec, o.Target)
	if o.ID != "" {
		return fmt.Sprintf("backup id %q, %s", o.ID, s)
	}
	return s
}

// describeOwners names the distinct owners of ms.
func describeOwners(ms []*backup.Manifest) string {
	var names []string
	for _, m := range ms {
		if d := describeOwner(*m.Owner); !slices.Contains(names, d) {
			names = append(names, d)
		}
	}
	return strings.Join(names, "; ")
}

// resolveShared is what a person does about a folder that two specs'
// targets share.
func resolveShared(t *model.Target) string {
	return fmt.Sprintf("If those are another server's backups, give redis.%s a destination of its own; "+
		"if they are this target's from before its spec file moved, list that file in the backup block's previous_specs "+
		"(and set backup { id = \"...\" }, which keeps the backups this target's through later moves)", t.Name)
}

// refuseShared refuses to add backups to t's folder in dest (its
// destination when empty) when it holds another spec's backups: the two
// servers' backups would mix, and only the owner recorded in each would
// keep one spec's retention and restore off the other's.
func refuseShared(ctx context.Context, t *model.Target, dest string, store backup.Storage) error {
	ms, err := manifests(ctx, store)
	if err != nil {
		return err
	}
	_, others := backupClaim(t).Partition(ms)
	if len(others) == 0 {
		return nil
	}
	return fmt.Errorf("%s holds %d backup(s) of another spec's target (%s), the newest %s; this spec (%s) will not add its backups to theirs, "+
		"and nothing was written. %s",
		catalogPath(t, dest), len(others), describeOwners(others), others[len(others)-1].ID, describeOwner(*targetOwner(t)), resolveShared(t))
}

// pickOptions say which backups pickBackup may choose.
type pickOptions struct {
	// usable makes "latest" the newest backup of this target that counts
	// as verified (Manifest.Usable), passing over newer ones that do not.
	usable bool
	// otherSpec allows an ID to name another spec's backup.
	otherSpec bool
}

// pickBackup finds the backup an argument names, among t's backups (c):
// an ID, or "latest". notes say what it passed over, or that the backup
// is another spec's.
func pickBackup(ms []*backup.Manifest, which string, c backup.Claim, o pickOptions) (m *backup.Manifest, notes []string, err error) {
	own, others := c.Partition(ms)
	if which != "" && which != "latest" {
		for _, m := range ms {
			if m.ID != which {
				continue
			}
			if c.Owns(m) {
				return m, nil, nil
			}
			if !o.otherSpec {
				return nil, nil, fmt.Errorf("backup %s is another spec's (%s), not this target's (%s): restoring it would put another server's data into this one. "+
					"Pass -from-other-spec if that is what you mean; if it is this target's from before its spec file moved, list that file in the backup block's previous_specs",
					m.ID, describeOwner(*m.Owner), describeOwner(c.Owner))
			}
			return m, []string{fmt.Sprintf("backup %s is another spec's (%s)", m.ID, describeOwner(*m.Owner))}, nil
		}
		return nil, nil, fmt.Errorf("no backup with id %s (backup list shows them)", which)
	}
	if len(own) == 0 {
		if len(others) > 0 {
			return nil, nil, fmt.Errorf("there are no backups of this target (%s); the %d there are another spec's (%s), which -latest never picks",
				describeOwner(c.Owner), len(others), describeOwners(others))
		}
		return nil, nil, errors.New("there are no backups")
	}
	if !o.usable {
		return own[len(own)-1], nil, nil
	}
	for i := len(own) - 1; i >= 0; i-- {
		m := own[i]
		if m.Usable() {
			return m, notes, nil
		}
		notes = append(notes, fmt.Sprintf("skipped backup %s: %s", m.ID, unusableWhy(m)))
	}
	return nil, notes, fmt.Errorf("none of the %d backups of this target is usable: %s", len(own), strings.Join(notes, "; "))
}

// unusableWhy says why m does not count as a verified backup.
func unusableWhy(m *backup.Manifest) string {
	if m.Problem != "" {
		return m.Problem
	}
	return "not verified when taken"
}

func readIdentities(path string) ([]age.Identity, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ids, err := backup.ParseIdentities(f)
	if err != nil {
		return nil, fmt.Errorf("read identities from %s: %w", path, err)
	}
	return ids, nil
}

// source gives restore and drill the raw bytes of a stored backup,
// checked as they stream.
func source(store backup.Storage, m *backup.Manifest, ids []age.Identity) restore.Source {
	return restore.Source{
		Manifest: m,
		Open: func(ctx context.Context, f backup.File) (io.ReadCloser, error) {
			stored, err := store.Open(ctx, m.ID, f.Name)
			if err != nil {
				return nil, err
			}
			raw, err := backup.OpenStream(stored, f, ids)
			if err != nil {
				stored.Close()
				return nil, err
			}
			return closeBoth{raw, stored}, nil
		},
	}
}

type closeBoth struct {
	io.ReadCloser
	inner io.Closer
}

func (c closeBoth) Close() error {
	err := c.ReadCloser.Close()
	if e := c.inner.Close(); err == nil {
		err = e
	}
	return err
}

// verifyBackup runs on a stored backup every check a restore makes of it
// before touching a server (restore.Verify: one code path), so that
// "verified" means that restore accepts it. The bytes read are reported
// to emit.
func verifyBackup(emit progress.Sink) func(context.Context, restore.Source) error {
	return func(ctx context.Context, src restore.Source) error {
		_, err := restore.Verify(ctx, src, emit)
		return err
	}
}

func runBackupVerify(ctx context.Context, env *cmdEnv, args []string) int {
	a, err := arguments.ParseBackupVerify(args)
	if code, done := parsed(env, "backup verify", err, exitError); done {
		return code
	}
	sf, targets, identity, drill, dest := specFlagsOf(a.Spec), a.Targets, a.Identity, a.Drill, a.Destination
	selected, ok := backupTargets(env, &sf, targets, "backup verify")
	if !ok {
		return exitError
	}
	ids, err := readIdentities(identity)
	if err != nil {
		fmt.Fprintf(env.stderr, "redisplan backup verify: %v\n", err)
		return exitError
	}
	status := exitOK
	for _, t := range selected {
		if err := verifyOne(ctx, env, t, dest, a.Backup, ids, drill); err != nil {
			fmt.Fprintf(env.stderr, "Error: redis.%s: %v\n", t.Name, err)
			status = exitError
		}
	}
	return status
}

// verifyOne verifies one backup of t (which: an ID or latest) in dest,
// records the outcome beside its manifest, and drills it when asked.
func verifyOne(ctx context.Context, env *cmdEnv, t *model.Target, dest, which string, ids []age.Identity, drill bool) error {
	store, err := storageFor(t, dest)
	if err != nil {
		return err
	}
	ms, err := manifests(ctx, store)
	if err != nil {
		return err
	}
	m, _, err := pickBackup(ms, which, backupClaim(t), pickOptions{otherSpec: true})
	if err != nil {
		return err
	}
	src := source(store, m, ids)
	view := newProgressView(env, env.stdout, false)
	defer view.close()
	res, err := restore.Verify(ctx, src, view.sink(t.Name))
	// An interruption or a missing key says nothing about the backup;
	// any other outcome is recorded, and a failure makes the backup
	// count as unverified until a later verify passes.
	if ctx.Err() == nil && !errors.Is(err, backup.ErrIdentity) {
		if rerr := backup.RecordVerification(context.WithoutCancel(ctx), store, m.ID, time.Now(), err, version); rerr != nil {
			fmt.Fprintf(env.stderr, "warning: redis.%s: %v; backup list will not show this verification\n", t.Name, rerr)
		}
	}
	if err != nil {
		return fmt.Errorf("backup %s failed verification, a restore would refuse it: %w", m.ID, err)
	}
	fmt.Fprintf(env.stdout, "redis.%s: backup %s is intact: %d file(s) read through every check a restore makes "+
		"(checksums, sizes, RDB structure, the AOF manifest)\n", t.Name, m.ID, res.Files)
	for _, name := range res.NoChecksum {
		fmt.Fprintf(env.stdout, "redis.%s: note: %s carries no CRC-64 (the server writes with rdbchecksum no): it was checked against the digests taken when the backup was made\n", t.Name, name)
	}
	if !drill {
		return nil
	}
	r, err := restore.Drill(ctx, src, restore.Options{Emit: view.bytesOnly(t.Name)})
	if err != nil {
		if r.After.Keyspace != nil && ctx.Err() == nil {
			// The scratch server loaded the backup and lacks keys: a
			// restore would roll back, so the backup does not count as
			// verified. (A drill that could not run says nothing.)
			if rerr := backup.RecordVerification(context.WithoutCancel(ctx), store, m.ID, time.Now(), fmt.Errorf("drill: %w", err), version); rerr != nil {
				fmt.Fprintf(env.stderr, "warning: redis.%s: %v; backup list will not show this verification\n", t.Name, rerr)
			}
		}
		return err
	}
	fmt.Fprintf(env.stdout, "redis.%s: drill restored backup %s into a scratch server: %s, loaded in %.2fs\n",
		t.Name, m.ID, restore.KeySummary(m.Keyspace, r.After.Keyspace), r.LoadSeconds)
	return nil
}

func runBackupImport(ctx context.Context, env *cmdEnv, args []string) int {
	a, err := arguments.ParseBackupImport(args)
	if code, done := parsed(env, "backup import", err, exitError); done {
		return code
	}
	// Every file is there before any is imported: a word that is not one
	// (a target name, a pattern the shell matched to nothing) stops the
	// line, rather than failing after the files before it were imported.
	var problems []string
	for _, path := range a.Files {
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
	if len(problems) > 0 {
		code, _ := parsed(env, "backup import", &arguments.Error{Command: "backup import", Problems: problems}, exitError)
		return code
	}
	sf, targets, metaDir, noLoad := specFlagsOf(a.Spec), a.Targets, a.MetadataDir, a.NoLoad
	selected, ok := backupTargets(env, &sf, targets, "backup import")
	if !ok {
		return exitError
	}
	t := selected[0]
	store, err := storageFor(t, "")
	if err == nil {
		err = refuseShared(ctx, t, "", store)
	}
	if err != nil {
		fmt.Fprintf(env.stderr, "redisplan backup import: %v\n", err)
		return exitError
	}
	status := exitOK
	for _, path := range a.Files {
		r, err := job.Import(ctx, job.ImportRequest{
			Target: t, Storage: store, Path: path, MetadataDir: metaDir, NoLoad: noLoad, RedisplanVersion: version, Owner: targetOwner(t),
			Emit: newProgressView(env, env.stdout, false).sink(t.Name),
		})
		switch {
		case err != nil:
			fmt.Fprintf(env.stderr, "Error: redis.%s: %v\n", t.Name, err)
			status = exitError
		case r.Existed:
			fmt.Fprintf(env.stdout, "redis.%s: %s is already in the catalog as backup %s; nothing written\n", t.Name, path, r.Manifest.ID)
		default:
			keys := fmt.Sprintf("%d keys", r.Manifest.TotalKeys())
			if r.Manifest.Keyspace == nil {
				keys = "keys not counted"
			}
			fmt.Fprintf(env.stdout, "redis.%s: imported %s as backup %s: %s, %s stored, verified; the file itself is untouched\n",
				t.Name, path, r.Manifest.ID, keys, humanBytes(storedSize(r.Manifest)))
		}
	}
	return status
}

func runBackupPrune(ctx context.Context, env *cmdEnv, args []string) int {
	a, err := arguments.ParseBackupPrune(args)
	if code, done := parsed(env, "backup prune", err, exitError); done {
		return code
	}
	sf, targets, dryRun, dest := specFlagsOf(a.Spec), a.Targets, a.DryRun, a.Destination
	selected, ok := backupTargets(env, &sf, targets, "backup prune")
	if !ok {
		return exitError
	}
	status := exitOK
	for _, t := range selected {
		if err := prune(ctx, env, t, dryRun, dest); err != nil {
			fmt.Fprintf(env.stderr, "Error: redis.%s: %v\n", t.Name, err)
			status = exitError
		}
	}
	return status
}

// prune applies the target's retention to its destination and every
// copy_to destination (or only to dest): it prints every backup with the
// rule that keeps it, and deletes the others. Copies follow the same
// retention, so that an off-site copy does not grow without bound.
func prune(ctx context.Context, env *cmdEnv, t *model.Target, dryRun bool, dest string) error {
	dests := append([]string{t.Backup.Destination}, t.Backup.CopyTo...)
	if dest != "" {
		dests = []string{dest}
	}
	var errs []error
	for _, d := range dests {
		label := "redis." + t.Name
		if d != t.Backup.Destination {
			label += " (" + d + ")"
		}
		if err := pruneOne(ctx, env, t, d, label, dryRun); err != nil {
			if d != t.Backup.Destination {
				err = fmt.Errorf("%s: %w", d, err)
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func pruneOne(ctx context.Context, env *cmdEnv, t *model.Target, dest, label string, dryRun bool) error {
	store, err := storageFor(t, dest)
	if err != nil {
		return err
	}
	ms, err := manifests(ctx, store)
	if err != nil {
		return err
	}
	// Another spec's backups in a shared folder are neither counted nor
	// deleted: they are listed as left alone.
	ms, others := backupClaim(t).Partition(ms)
	var cands []backup.Candidate
	for _, m := range ms {
		cands = append(cands, backup.Candidate{ID: m.ID, Time: m.Started, Verified: m.Usable(), HoldsData: m.TotalKeys() > 0})
		if m.Verified && m.Problem != "" {
			fmt.Fprintf(env.stdout, "%s: %s does not count as a verified backup: %s\n", label, m.ID, m.Problem)
		}
	}
	alone, err := foreignIn(ctx, t, dest, store)
	if err != nil {
		return err
	}
	alone = append(alone, othersIn(t, dest, others)...)
	defer printForeign(env.stdout, alone)
	decisions := backup.Select(cands, t.Backup.Retention, time.Now())
	sort.Slice(decisions, func(i, j int) bool { return decisions[i].ID > decisions[j].ID })
	verb := "delete"
	if dryRun {
		verb = "would delete"
	}
	for _, d := range decisions {
		if d.Keep {
			fmt.Fprintf(env.stdout, "%s: keep %s (%s)\n", label, d.ID, strings.Join(d.Reasons, ", "))
			continue
		}
		fmt.Fprintf(env.stdout, "%s: %s %s (no retention rule keeps it)\n", label, verb, d.ID)
		if dryRun {
			continue
		}
		if err := store.Delete(ctx, d.ID); err != nil {
			return fmt.Errorf("delete %s: %w", d.ID, err)
		}
	}
	return nil
}

// foreignEntry is something in a target's destination that is not
// redisplan's: list and prune name it, nothing removes it.
type foreignEntry struct {
	Target string `json:"target"`
	// Path is where it is: the destination's folder (or prefix) of the
	// target, then its name.
	Path string `json:"path"`
	Why  string `json:"why"`
	// Owner, for a backup of another spec's target in a shared folder,
	// says whose it is; empty for what is not redisplan's.
	Owner string `json:"owner,omitempty"`
}

// foreignIn lists what store, the target's backups in dest (its
// destination when empty), holds besides redisplan's own.
func foreignIn(ctx context.Context, t *model.Target, dest string, store backup.Storage) ([]foreignEntry, error) {
	fs, err := store.Foreign(ctx)
	if err != nil {
		return nil, err
	}
	base := catalogPath(t, dest)
	out := make([]foreignEntry, 0, len(fs))
	for _, f := range fs {
		out = append(out, foreignEntry{Target: t.Name, Path: base + f.Name, Why: f.Why})
	}
	return out, nil
}

// catalogPath is the folder (or prefix) of t's backups in dest (its
// destination when empty), ending with a separator.
func catalogPath(t *model.Target, dest string) string {
	if dest == "" {
		dest = t.Backup.Destination
	}
	if s3url.Is(dest) {
		return strings.TrimRight(dest, "/") + "/" + fileName(t.Name) + "/"
	}
	return filepath.Join(dest, fileName(t.Name)) + string(filepath.Separator)
}

// othersIn describes the backups of other specs' targets in t's folder of
// dest, which list and prune leave alone.
func othersIn(t *model.Target, dest string, others []*backup.Manifest) []foreignEntry {
	out := make([]foreignEntry, 0, len(others))
	for _, m := range others {
		out = append(out, foreignEntry{Target: t.Name, Path: catalogPath(t, dest) + m.ID,
			Why: "a backup of another spec's target", Owner: describeOwner(*m.Owner)})
	}
	return out
}

// printForeign says, for each entry, that it is left alone.
func printForeign(w io.Writer, entries []foreignEntry) {
	for _, e := range entries {
		if e.Owner != "" {
			fmt.Fprintf(w, "redis.%s: %s: another spec's (%s), left alone\n", e.Target, e.Path, e.Owner)
			continue
		}
		fmt.Fprintf(w, "redis.%s: %s: not redisplan's, left alone (%s)\n", e.Target, e.Path, e.Why)
	}
}
