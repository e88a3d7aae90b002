// Package failpoint lets the fault-injection tests kill redisplan with a
// real SIGKILL at an exact point of its work, where the window is too
// short to hit from outside (a rename, the gap between two writes).
//
// A point does nothing unless REDISPLAN_FAILPOINT names it, so it costs
// one environment lookup in normal runs. The points are listed in
// docs/reliability.md.
package failpoint

import (
	"os"
	"syscall"
)

// Env is the environment variable that names the point to die at.
const Env = "REDISPLAN_FAILPOINT"

// Points reached by the product. Tests refer to them by these names.
const (
	// BackupBeforeRename is in the local storage's commit, after the
	// manifest is written and synced, before the pending directory is
	// renamed into place.
	BackupBeforeRename = "backup-before-rename"
	// BackupAOFRewritesHeld is in the AOF snapshot of backup run, right
	// after auto-aof-rewrite-percentage was set to 0 (and its value
	// recorded), before the AOF directory is copied.
	BackupAOFRewritesHeld = "backup-aof-rewrites-held"
	// ApplyAfterFileWrite is in apply, after redis.conf is written and
	// before the live CONFIG SET.
	ApplyAfterFileWrite = "apply-after-file-write"
	// WriteBeforeRename, followed by a file's base name, is in every
	// atomic write of that file (internal/fsutil), after the temp file is
	// written and synced, before it is renamed into place:
	// "write-before-rename:redis.conf.redisplan.bak".
	WriteBeforeRename = "write-before-rename:"
	// RestoreServerStarted is in restore, right after the restored server
	// has loaded its data and before its keys are checked: it still
	// refuses writes (min-replicas-to-write 2147483647).
	RestoreServerStarted = "restore-server-started"
	// RestoreServerStopped is in restore, right after the server was
	// stopped, before any file is moved.
	RestoreServerStopped = "restore-server-stopped"
	// RestoreFilesSwapped is in restore, right after the backup's files
	// were swapped in (the originals in the safety copy), before the
	// server is started; in a streamed restore, right after the pipe was
	// put at the data file's name (the original in the safety copy).
	RestoreFilesSwapped = "restore-files-swapped"
	// RestartServerStopped is in the restart of apply -allow-restart,
	// once the server has saved and stopped, before it is started again.
	RestartServerStopped = "restart-server-stopped"
)

// Hit kills the process with SIGKILL when name is the point the
// environment asks for: no deferred function, no cleanup, exactly as a
// kill -9 from outside.
func Hit(name string) {
	if os.Getenv(Env) != name {
		return
	}
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {} // SIGKILL cannot be caught; wait for it to land.
}
