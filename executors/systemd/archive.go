package systemd

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/redisplan/redisplan/executors/crontab"
	"github.com/redisplan/redisplan/executors/schedfiles"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/s3url"
	"github.com/redisplan/redisplan/internal/units"
)

// ArchiveRestartSec is how long systemd waits before it starts the
// archiver again after it stopped: short, since every second it is down
// the archive falls behind, and long enough not to spin on a server that
// refuses it.
const ArchiveRestartSec = 2

// archiveUnit returns the long-running service of the target's archive,
// nil when the target has none. It runs until stopped: Restart=always
// (and no start limit, so that a server that is down for an hour does not
// make systemd give up on the archiver), SIGTERM to stop, which makes the
// archiver commit what it received and exit 0.
func archiveUnit(t *model.Target, st *model.SystemdTimers, opts Options, binary string) *schedfiles.File {
	j, ok := crontab.ArchiveJob(t)
	if !ok {
		return nil
	}
	a := t.Backup.Archive
	name := UnitName(schedfiles.Name(st.ID, t.Name), j.Name)
	var svc strings.Builder
	serviceHead(&svc, t, st, opts, fmt.Sprintf("redisplan archive of redis.%s (continuous, flush %s)", oneLine(t.Name), units.FormatDuration(a.Flush)))
	fmt.Fprintln(&svc, "StartLimitIntervalSec=0")
	serviceSection(&svc, st, "exec", opts.Argv(binary, j, t.Name))
	fmt.Fprintln(&svc, "Restart=always")
	fmt.Fprintf(&svc, "RestartSec=%d\n", ArchiveRestartSec)
	// SIGTERM makes the archiver commit its buffered tail; a minute is
	// ample for one segment even on a slow store.
	fmt.Fprintln(&svc, "KillSignal=SIGTERM")
	fmt.Fprintln(&svc, "TimeoutStopSec=60")
	for _, l := range Hardening(archiveWritePaths(t)) {
		fmt.Fprintln(&svc, l)
	}
	fmt.Fprintln(&svc)
	fmt.Fprintln(&svc, "[Install]")
	fmt.Fprintln(&svc, "WantedBy=multi-user.target")
	return &schedfiles.File{Name: name + ".service", Content: []byte(svc.String())}
}

// archiveWritePaths is where the archiver writes: the destination's
// directory when it is local (nothing on the host for s3://), and the
// directory of the target's config file, where its lock is
// (<config file>.redisplan.archive.lock; without a config file the lock
// is in TMPDIR, the unit's state directory).
func archiveWritePaths(t *model.Target) []string {
	var out []string
	if d := t.Backup.Destination; d != "" && !s3url.Is(d) && filepath.IsAbs(d) {
		out = append(out, filepath.Clean(d))
	}
	if c := t.ConfigFile; c != "" && filepath.IsAbs(c) {
		out = append(out, filepath.Dir(filepath.Clean(c)))
	}
	return out
}
