package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/redisplan/redisplan/cmd/redisplan/internal/arguments"
	"github.com/redisplan/redisplan/executors/restore"
	"github.com/redisplan/redisplan/internal/units"
	"github.com/redisplan/redisplan/operations"
)

func runRestore(ctx context.Context, env *cmdEnv, a *arguments.Restore) int {
	t, ok := oneTarget(env, a.Spec, a.Targets, "restore", "restore needs exactly one -target")
	if !ok {
		return exitError
	}

	view := newProgressView(env, env.stdout, false)
	defer view.close()
	emit := view.sink(t.Name)
	var src restore.Source
	var err error
	if a.ToTime != "" {
		req := operations.TimeRequest{At: a.At, Destination: a.Destination, Identity: a.Identity}
		if a.Plan {
			plan, err := operations.PlanToTime(ctx, t, req)
			if err != nil {
				fmt.Fprintf(env.stderr, "redisplan restore: %v\nNothing was changed.\n", err)
				return exitError
			}
			writeTimePlan(env.stdout, plan)
			return exitOK
		}
		var plan operations.TimePlan
		var cleanup func()
		src, plan, cleanup, err = operations.TimeSource(ctx, t, req, emit)
		defer cleanup()
		if err != nil {
			fmt.Fprintf(env.stderr, "redisplan restore: %v\nNothing was changed.\n", err)
			return exitError
		}
		writeTimePlan(env.stdout, plan)
	} else {
		var notes []string
		src, notes, err = operations.RestoreSource(ctx, t, operations.SourceRequest{
			File: a.File, Destination: a.Destination, Backup: a.Backup, Identity: a.Identity, OtherSpec: a.FromOtherSpec})
		writeNotes(env.stderr, t, notes)
		if err != nil {
			fmt.Fprintf(env.stderr, "redisplan restore: %v\nNothing was changed.\n", err)
			return exitError
		}
	}
	// The target's lock is taken first and held to the end, across the
	// question: no backup run or apply works on the target meanwhile. A
	// restore that was killed after it stopped the server left it down:
	// it is started on its original files before anything else. Then
	// the backup is checked against the server with nothing changed.
	prep, err := operations.PrepareRestore(ctx, t, src, emit)
	var rerr *operations.RecoveryError
	if errors.As(err, &rerr) {
		return fail(env, "restore", err)
	}
	if err != nil {
		fmt.Fprintf(env.stderr, "redisplan restore: %v\nNothing was touched.\n", err)
		return exitError
	}
	defer func() {
		if err := prep.Release(); err != nil {
			fmt.Fprintf(env.stderr, "Warning: %v\n", err)
		}
	}()
	fmt.Fprintf(env.stdout, "redis.%s (%s) now holds:\n", t.Name, t.Connection.Address)
	writeStats(env.stdout, prep.Before)
	fmt.Fprintf(env.stdout, "Backup %s (taken %s) holds:\n", src.Manifest.ID, src.Manifest.Started.Format(time.RFC3339))
	writeStats(env.stdout, restore.Stats{Keyspace: src.Manifest.Keyspace, UsedMemory: src.Manifest.UsedMemory})
	if m := src.Manifest; m.SourceAddress != "" && m.SourceAddress != t.Connection.Address && m.SourceRole != "replica" {
		// A moved server is fine; another server's data is the accident a
		// restore must not make quietly.
		fmt.Fprintf(env.stdout, "WARNING: backup %s was taken from the server at %s, not from this target's server at %s: make sure it holds this server's data.\n",
			m.ID, m.SourceAddress, t.Connection.Address)
	}
	if a.Plan {
		fmt.Fprintln(env.stdout, "Nothing was changed (-plan): run again without -plan to restore.")
		return exitOK
	}
	fmt.Fprintln(env.stdout, "The backup's stored bytes will be checked against its manifest before the server is touched: a damaged backup stops the restore there. Then the server will be stopped, its data files kept in a safety copy (not deleted), the backup put in place (from a backup directory on this host, streamed into the server as it loads) and the server started again; the backup's raw checksum and RDB structure are checked on the way, and a mismatch rolls back to the original data.")
	if !a.AutoApprove && !confirm(env, "restore", "Do you want to replace the server's data with this backup?",
		"Review what the restore would do above and run again with -auto-approve.") {
		return exitError
	}
	// The stored bytes are checked before the server is stopped: a
	// damaged backup ends the restore there with nothing changed.
	r, err := prep.Restore(ctx, restore.Options{KeepSafetyCopy: a.KeepSafetyCopy, StageFirst: a.StageFirst, Emit: emit})
	if err != nil {
		fmt.Fprintf(env.stderr, "Error: %v\n", err)
		alertFailure(ctx, env, t, "restore", fmt.Sprintf("The restore of Redis %s failed", t.Name), err)
		return exitError
	}
	fmt.Fprintf(env.stdout, "Restore complete in %.2fs of loading. redis.%s now holds:\n", r.LoadSeconds, t.Name)
	writeStats(env.stdout, r.After)
	if r.SafetyCopy != "" {
		fmt.Fprintf(env.stdout, "The previous data files are kept in %s.\n", r.SafetyCopy)
	}
	return exitOK
}

func writeStats(w io.Writer, s restore.Stats) {
	dbs := make([]int, 0, len(s.Keyspace))
	for db := range s.Keyspace {
		dbs = append(dbs, db)
	}
	sort.Ints(dbs)
	switch {
	case s.Down:
		fmt.Fprintln(w, "  nothing: the server does not answer (down); the restore starts it with the service start command")
	case len(dbs) == 0:
		fmt.Fprintln(w, "  no keys")
	}
	for _, db := range dbs {
		fmt.Fprintf(w, "  db%d: %d keys (%d with a TTL)\n", db, s.Keyspace[db].Keys, s.Keyspace[db].Expires)
	}
	if s.UsedMemory > 0 {
		fmt.Fprintf(w, "  used_memory: %s\n", units.FormatBytes(s.UsedMemory))
	}
}

// writeTimePlan says what a restore to a point in time restores.
func writeTimePlan(w io.Writer, p operations.TimePlan) {
	to := "everything archived"
	if !p.To.IsZero() {
		to = p.To.Format(time.RFC3339Nano)
	}
	fmt.Fprintf(w, "Restore of redis.%s to %s:\n", p.Target, to)
	fmt.Fprintf(w, "  base backup %s (its data is from %s or before)\n", p.Base, p.BaseTime.Format(time.RFC3339Nano))
	if p.Writes == 0 {
		fmt.Fprintln(w, "  no archived write after the base up to that time: the base as it is")
	} else {
		fmt.Fprintf(w, "  %d writes replayed from %d archive segments, received %s to %s\n", p.Writes, p.Segments,
			p.From.Format(time.RFC3339Nano), p.Through.Format(time.RFC3339Nano))
	}
	if !p.Next.IsZero() {
		fmt.Fprintf(w, "  the first write left out was received at %s\n", p.Next.Format(time.RFC3339Nano))
	}
	for _, win := range p.Windows {
		fmt.Fprintf(w, "  point-in-time recovery is possible from %s to %s\n", win.From.Format(time.RFC3339Nano), win.To.Format(time.RFC3339Nano))
	}
}
