package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/redisplan/redisplan/cmd/redisplan/internal/arguments"
	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/backup/job"
	"github.com/redisplan/redisplan/executors/repository"
	"github.com/redisplan/redisplan/executors/restore"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/internal/units"
	"github.com/redisplan/redisplan/operations"
)

func runBackup(ctx context.Context, env *cmdEnv, args []string) int {
	const use = "Usage: redisplan backup run|list|verify|prune|import [flags]"
	return subcommand(ctx, env, "backup", args, map[string]func(context.Context, *cmdEnv, []string) int{
		"run":    parsedBy("backup run", arguments.ParseBackupRun, runBackupRun),
		"list":   parsedBy("backup list", arguments.ParseBackupList, runBackupList),
		"verify": parsedBy("backup verify", arguments.ParseBackupVerify, runBackupVerify),
		"prune":  parsedBy("backup prune", arguments.ParseBackupPrune, runBackupPrune),
		"import": parsedBy("backup import", arguments.ParseBackupImport, runBackupImport),
	}, use+"\nRun 'redisplan help backup' for what each does.", "; the subcommand comes first, then its flags\n"+use)
}

// backupTargets loads the spec and returns the selected targets that have
// a backup block.
func backupTargets(env *cmdEnv, s arguments.Spec, names []string, cmd string) ([]*model.Target, bool) {
	_, selected, ok := loadTargets(env, s, names, cmd)
	if !ok {
		return nil, false
	}
	out, err := operations.BackupTargets(selected, len(names) > 0)
	if err != nil {
		fmt.Fprintf(env.stderr, "redisplan %s: %v\n", cmd, err)
		return nil, false
	}
	return out, true
}

func runBackupRun(ctx context.Context, env *cmdEnv, a *arguments.BackupRun) int {
	selected, ok := backupTargets(env, a.Spec, a.Targets, "backup run")
	if !ok {
		return exitError
	}
	return forEachTarget(env, selected, func(t *model.Target, o operations.BackupOptions) bool {
		m, err := operations.TakeBackup(ctx, t, o)
		if err != nil {
			fmt.Fprintf(env.stderr, "Error: backup of redis.%s failed: %v\nEarlier backups are untouched.\n", t.Name, err)
			alertFailure(ctx, env, t, "backup_run", fmt.Sprintf("The backup of Redis %s failed", t.Name), err)
			return false
		}
		fmt.Fprintf(env.stdout, "redis.%s: backup %s complete: %d keys, %s stored in %.1fs, verified\n",
			t.Name, m.ID, m.TotalKeys(), units.FormatBytes(m.StoredSize()), m.DurationSeconds)
		copies, err := operations.CopyBackup(ctx, t, m, o)
		for _, c := range copies {
			writeCopy(env.stdout, t, m, c)
		}
		if err != nil {
			fmt.Fprintf(env.stderr, "Error: copy of backup %s of redis.%s failed: %v\nThe backup itself is complete in %s.\n", m.ID, t.Name, err, t.Backup.Destination)
			alertFailure(ctx, env, t, "backup_copy", fmt.Sprintf("The copy of a backup of Redis %s failed", t.Name), err)
		}
		ok := err == nil
		if !a.NoPrune {
			if err := prune(ctx, env, t, false, "", o); err != nil {
				fmt.Fprintf(env.stderr, "Error: retention for redis.%s: %v\n", t.Name, err)
				ok = false
			}
		}
		return ok
	})
}

// forEachTarget runs each for the selected targets in turn, with the
// backup options of this command line (progress rendered on stdout); the
// status is exitError when one of them failed.
func forEachTarget(env *cmdEnv, selected []*model.Target, each func(*model.Target, operations.BackupOptions) (ok bool)) int {
	view := newProgressView(env, env.stdout, false)
	defer view.close()
	status := exitOK
	for _, t := range selected {
		if !each(t, backupOptions(env, view.sink(t.Name))) {
			status = exitError
		}
	}
	return status
}

// backupOptions are the backup operations' options for this command line:
// messages and byte counts rendered by the progress view on stdout (the
// progress line on a terminal's stderr), warnings on stderr.
func backupOptions(env *cmdEnv, emit progress.Sink) operations.BackupOptions {
	return operations.BackupOptions{
		Version: version,
		Emit:    emit,
		Warn:    func(s string) { fmt.Fprintf(env.stderr, "warning: %s\n", s) },
	}
}

// writeCopy says what the copy of m to one copy_to destination did.
func writeCopy(w io.Writer, t *model.Target, m *backup.Manifest, c repository.CopyResult) {
	if c.Cleaned > 0 {
		fmt.Fprintf(w, "redis.%s: removed %d leftover(s) of interrupted copies in %s\n", t.Name, c.Cleaned, c.Destination)
	}
	if c.Err != nil {
		return
	}
	how := "copied to"
	if c.Existed {
		how = "already in"
	}
	fmt.Fprintf(w, "redis.%s: backup %s %s %s: %s read back, checksums verified\n", t.Name, m.ID, how, c.Destination, units.FormatBytes(c.Bytes))
}

// verifiedColumn is what backup list's VERIFIED column says of e.
func verifiedColumn(e operations.BackupEntry) string {
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

func runBackupList(ctx context.Context, env *cmdEnv, a *arguments.BackupList) int {
	selected, ok := backupTargets(env, a.Spec, a.Targets, "backup list")
	if !ok {
		return exitError
	}
	l, err := operations.ListBackups(ctx, selected, a.Destination)
	if err != nil {
		return fail(env, "backup list", err)
	}
	if a.JSON {
		writeJSON(env.stdout, l)
		return exitOK
	}
	entries, alone := l.Backups, l.LeftAlone
	defer printForeign(env.stdout, alone)
	defer printArchives(env.stdout, l.Archives)
	if len(entries) == 0 {
		fmt.Fprintln(env.stdout, "No backups yet.")
		return exitOK
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TARGET\tID\tTIME (UTC)\tMETHOD\tKEYS\tSTORED\tVERIFIED (UTC)")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", e.Target, e.ID, e.Time.Format("2006-01-02 15:04:05"), e.Method, e.Keys, units.FormatBytes(e.Stored), verifiedColumn(e))
	}
	tw.Flush()
	return exitOK
}

func runBackupVerify(ctx context.Context, env *cmdEnv, a *arguments.BackupVerify) int {
	selected, ok := backupTargets(env, a.Spec, a.Targets, "backup verify")
	if !ok {
		return exitError
	}
	ids, err := repository.Identities(a.Identity)
	if err != nil {
		return fail(env, "backup verify", err)
	}
	return forEachTarget(env, selected, func(t *model.Target, o operations.BackupOptions) bool {
		res, err := operations.VerifyBackup(ctx, t, operations.VerifyRequest{Destination: a.Destination, Backup: a.Backup, Identities: ids, Drill: a.Drill}, o)
		writeVerified(env.stdout, t, res)
		return reported(env, t, err)
	})
}

// reported prints err of target t, if any, and says whether there was none.
func reported(env *cmdEnv, t *model.Target, err error) bool {
	if err != nil {
		fmt.Fprintf(env.stderr, "Error: redis.%s: %v\n", t.Name, err)
	}
	return err == nil
}

// writeVerified says what backup verify found of one backup.
func writeVerified(w io.Writer, t *model.Target, res operations.VerifyResult) {
	if !res.Verified {
		return
	}
	m := res.Manifest
	fmt.Fprintf(w, "redis.%s: backup %s is intact: %d file(s) read through every check a restore makes "+
		"(checksums, sizes, RDB structure, the AOF manifest)\n", t.Name, m.ID, res.Check.Files)
	for _, name := range res.Check.NoChecksum {
		fmt.Fprintf(w, "redis.%s: note: %s carries no CRC-64 (the server writes with rdbchecksum no): it was checked against the digests taken when the backup was made\n", t.Name, name)
	}
	if r := res.Drill; r != nil {
		fmt.Fprintf(w, "redis.%s: drill restored backup %s into a scratch server: %s, loaded in %.2fs\n",
			t.Name, m.ID, restore.KeySummary(m.Keyspace, r.After.Keyspace), r.LoadSeconds)
	}
	for _, l := range res.ArchiveLines() {
		fmt.Fprintf(w, "redis.%s: %s\n", t.Name, l)
	}
}

// printArchives prints each target's archive lines.
func printArchives(w io.Writer, archives []operations.ArchiveEntry) {
	for _, a := range archives {
		for _, l := range a.Lines() {
			fmt.Fprintf(w, "redis.%s: %s\n", a.Target, l)
		}
	}
}

func runBackupImport(ctx context.Context, env *cmdEnv, a *arguments.BackupImport) int {
	problems := operations.ImportProblems(a.Files)
	if len(problems) > 0 {
		code, _ := parsed(env, "backup import", &arguments.Error{Command: "backup import", Problems: problems}, exitError)
		return code
	}
	selected, ok := backupTargets(env, a.Spec, a.Targets, "backup import")
	if !ok {
		return exitError
	}
	t := selected[0]
	status := exitOK
	view := newProgressView(env, env.stdout, false)
	defer view.close()
	o := backupOptions(env, view.sink(t.Name))
	err := operations.ImportBackups(ctx, t, a.Files, repository.ImportOptions{MetadataDir: a.MetadataDir, NoLoad: a.NoLoad, Emit: o.Emit},
		o, func(path string, r job.ImportResult, err error) {
			switch {
			case !reported(env, t, err):
				status = exitError
			case r.Existed:
				fmt.Fprintf(env.stdout, "redis.%s: %s is already in the catalog as backup %s; nothing written\n", t.Name, path, r.Manifest.ID)
			default:
				keys := fmt.Sprintf("%d keys", r.Manifest.TotalKeys())
				if r.Manifest.Keyspace == nil {
					keys = "keys not counted"
				}
				fmt.Fprintf(env.stdout, "redis.%s: imported %s as backup %s: %s, %s stored, verified; the file itself is untouched\n",
					t.Name, path, r.Manifest.ID, keys, units.FormatBytes(r.Manifest.StoredSize()))
			}
		})
	if err != nil {
		return fail(env, "backup import", err)
	}
	return status
}

func runBackupPrune(ctx context.Context, env *cmdEnv, a *arguments.BackupPrune) int {
	selected, ok := backupTargets(env, a.Spec, a.Targets, "backup prune")
	if !ok {
		return exitError
	}
	return forEachTarget(env, selected, func(t *model.Target, o operations.BackupOptions) bool {
		return reported(env, t, prune(ctx, env, t, a.DryRun, a.Destination, o))
	})
}

// prune applies t's retention (operations.Prune) and prints, for each
// destination, every backup with the rule that keeps it, and what it
// deleted and left alone.
func prune(ctx context.Context, env *cmdEnv, t *model.Target, dryRun bool, dest string, o operations.BackupOptions) error {
	runs, err := operations.Prune(ctx, t, dest, dryRun, o)
	for _, r := range runs {
		label := "redis." + t.Name
		if !r.Main {
			label += " (" + r.Destination + ")"
		}
		for _, n := range r.Result.NotCounted {
			fmt.Fprintf(env.stdout, "%s: %s does not count as a verified backup: %s\n", label, n.ID, n.Problem)
		}
		verb := "delete"
		if dryRun {
			verb = "would delete"
		}
		for _, d := range r.Result.Decisions {
			if d.Keep {
				fmt.Fprintf(env.stdout, "%s: keep %s (%s)\n", label, d.ID, strings.Join(d.Reasons, ", "))
			} else {
				fmt.Fprintf(env.stdout, "%s: %s %s (no retention rule keeps it)\n", label, verb, d.ID)
			}
		}
		for _, l := range r.ArchiveLines(verb) {
			fmt.Fprintf(env.stdout, "%s: %s\n", label, l)
		}
		printForeign(env.stdout, r.Result.LeftAlone)
	}
	return err
}

// printForeign says, for each entry, that it is left alone.
func printForeign(w io.Writer, entries []repository.Foreign) {
	for _, e := range entries {
		if e.Owner != "" {
			fmt.Fprintf(w, "redis.%s: %s: another spec's (%s), left alone\n", e.Target, e.Path, e.Owner)
			continue
		}
		fmt.Fprintf(w, "redis.%s: %s: not redisplan's, left alone (%s)\n", e.Target, e.Path, e.Why)
	}
}
