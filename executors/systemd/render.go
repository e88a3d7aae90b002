// Package systemd renders the .service and .timer pairs that run a
// target's scheduled backups and health checks from systemd.
package systemd

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/redisplan/redisplan/executors/crontab"
	"github.com/redisplan/redisplan/executors/schedfiles"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/oncalendar"
	"github.com/redisplan/redisplan/internal/owner"
	"github.com/redisplan/redisplan/internal/s3url"
)

// Options carries what ExecStart= needs besides the target: the same as
// a crontab line's.
type Options = crontab.RenderOptions

// UnitName is the name of a job's units without the suffix; name is the
// cron block's id, or the target's name when the block has none.
func UnitName(name, job string) string {
	return schedfiles.Prefix + schedfiles.Slug(name) + "-" + job
}

// Owner is who st's units belong to when opts render them.
func Owner(t *model.Target, st *model.SystemdTimers, opts Options) owner.Owner {
	return owner.Owner{ID: st.ID, Spec: opts.Config, Target: t.Name}
}

// Render returns the units of every scheduled job of t for one systemd
// cron block, and the service of its archive when it has one, sorted by
// name. It fails only when a schedule has no
// OnCalendar form, which the spec's validation already refuses.
func Render(t *model.Target, st *model.SystemdTimers, opts Options) ([]schedfiles.File, error) {
	binary := opts.Binary
	if st.Binary != "" {
		binary = st.Binary
	}
	var files []schedfiles.File
	for _, j := range crontab.Jobs(t) {
		calendars, err := oncalendar.Convert(j.Schedule)
		if err != nil {
			return nil, fmt.Errorf("%s schedule of redis.%s as a systemd timer: %w", j.Name, t.Name, err)
		}
		name := UnitName(schedfiles.Name(st.ID, t.Name), j.Name)
		what := fmt.Sprintf("redisplan %s for redis.%s", strings.Join(j.Args, " "), oneLine(t.Name))

		argv := opts.Argv(binary, j, t.Name)

		var svc strings.Builder
		serviceHead(&svc, t, st, opts, what)
		serviceSection(&svc, st, "oneshot", argv)
		if j.Name == "check" {
			// check exits 1 on a WARNING: the check's own alerts report
			// it, and a failed unit would leave the host degraded until
			// the next run. CRITICAL (2) and UNKNOWN (3) still fail the
			// unit, for OnFailure= and for what watches failed units.
			fmt.Fprintln(&svc, "SuccessExitStatus=1")
		}
		for _, l := range Hardening(WritePaths(t)) {
			fmt.Fprintln(&svc, l)
		}

		var tmr strings.Builder
		unitHead(&tmr, t, st, opts, fmt.Sprintf("Schedule of %s (cron %s)", what, strings.Join(strings.Fields(j.Schedule), " ")))
		fmt.Fprintln(&tmr)
		fmt.Fprintln(&tmr, "[Timer]")
		for _, c := range calendars {
			fmt.Fprintf(&tmr, "OnCalendar=%s\n", c)
		}
		// A run missed while the machine was off happens at boot, as
		// anacron would do it.
		fmt.Fprintln(&tmr, "Persistent=true")
		if st.RandomizedDelay > 0 {
			fmt.Fprintf(&tmr, "RandomizedDelaySec=%d\n", int64((st.RandomizedDelay+time.Second-1)/time.Second))
		}
		fmt.Fprintln(&tmr)
		fmt.Fprintln(&tmr, "[Install]")
		fmt.Fprintln(&tmr, "WantedBy=timers.target")

		files = append(files,
			schedfiles.File{Name: name + ".service", Content: []byte(svc.String())},
			schedfiles.File{Name: name + ".timer", Content: []byte(tmr.String())})
	}
	if f := archiveUnit(t, st, opts, binary); f != nil {
		files = append(files, *f)
		sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	}
	return files, nil
}

// unitHead writes the start of every unit of t (services and timers):
// the marker, the owner line, and the [Unit] section's description.
func unitHead(b *strings.Builder, t *model.Target, st *model.SystemdTimers, opts Options, description string) {
	fmt.Fprintln(b, schedfiles.Marker(t.Name))
	fmt.Fprintln(b, Owner(t, st, opts).Line())
	fmt.Fprintln(b, "[Unit]")
	fmt.Fprintf(b, "Description=%s\n", specifiers(description))
}

// serviceHead writes the start of a service of t: unitHead and the
// [Unit] section's network dependencies (the jobs talk to Redis, stores
// and webhooks over the network). The caller may add [Unit] lines.
func serviceHead(b *strings.Builder, t *model.Target, st *model.SystemdTimers, opts Options, description string) {
	unitHead(b, t, st, opts, description)
	fmt.Fprintln(b, "Wants=network-online.target")
	fmt.Fprintln(b, "After=network-online.target")
}

// serviceSection closes the [Unit] section and writes the head of the
// [Service] section of a job: its Type=, the user it runs as when the
// spec names one, and its ExecStart= line. The caller adds the rest.
func serviceSection(b *strings.Builder, st *model.SystemdTimers, serviceType string, argv []string) {
	fmt.Fprintln(b)
	fmt.Fprintln(b, "[Service]")
	fmt.Fprintf(b, "Type=%s\n", serviceType)
	if st.RunAs != "" {
		fmt.Fprintf(b, "User=%s\n", specifiers(st.RunAs))
	}
	fmt.Fprintf(b, "ExecStart=%s\n", execLine(argv))
}

// StateDirectory is the directory under /var/lib (systemd's %S) that the
// units get as StateDirectory=: the check state of a target whose backups
// are not in a local directory, and, as TMPDIR, the lock and journal of a
// target without a config file.
const StateDirectory = "redisplan"

// Hardening returns the [Service] lines that confine a redisplan job:
// its state directory, a read-only system with writable paths (those that
// do not exist are skipped, so that a backup disk not mounted is
// reported by redisplan rather than by systemd), a private /tmp, no new
// privileges and private files. The check state falls back to the state
// directory (XDG_STATE_HOME), and so do the lock and journal of a target
// without a config file (TMPDIR): a private /tmp is removed when the
// unit stops, and a journal must outlive a killed run.
func Hardening(writePaths []string) []string {
	out := []string{
		"StateDirectory=" + StateDirectory,
		"Environment=XDG_STATE_HOME=%S TMPDIR=%S/" + StateDirectory,
		"UMask=0077",
		"ProtectSystem=strict",
	}
	for _, p := range writePaths {
		if strings.ContainsFunc(p, unicode.IsControl) {
			// A line break would start a setting of its own; such a
			// path stays read-only, and the job says it cannot write.
			continue
		}
		out = append(out, "ReadWritePaths="+pathWord("-"+p))
	}
	return append(out, "PrivateTmp=yes", "NoNewPrivileges=yes")
}

// WritePaths are the directories a target's scheduled jobs write to: its
// local backup destinations, the directory of its config file (where
// its lock and journal are) and its data dir when the spec names it (an
// AOF backup stages its snapshot there). Sorted, without duplicates.
func WritePaths(t *model.Target) []string {
	var paths []string
	add := func(p string) {
		if filepath.IsAbs(p) {
			paths = append(paths, filepath.Clean(p))
		}
	}
	if t.Backup != nil {
		for _, d := range append([]string{t.Backup.Destination}, t.Backup.CopyTo...) {
			if !s3url.Is(d) {
				add(d)
			}
		}
	}
	if t.ConfigFile != "" {
		add(filepath.Dir(t.ConfigFile))
	}
	if t.DataDir != "" {
		add(t.DataDir)
	} else if d := t.Directive("dir"); d != nil {
		add(d.Value)
	}
	slices.Sort(paths)
	return slices.Compact(paths)
}

// pathWord writes a path as one word of a path-list setting: '%' doubled
// (systemd expands specifiers there, not environment variables), in
// double quotes when it holds a space, a quote or a backslash.
func pathWord(p string) string {
	p = specifiers(p)
	if strings.ContainsAny(p, " \t\"'\\") {
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(p) + `"`
	}
	return p
}

// oneLine keeps a target name on its line in a unit setting: a for_each
// key may hold a line break, which would start a setting of its own, so
// such a name is shown quoted.
func oneLine(name string) string {
	if strings.ContainsFunc(name, unicode.IsControl) {
		return strconv.Quote(name)
	}
	return name
}

// specifiers escapes '%', which systemd expands in most settings.
func specifiers(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// execLine writes argv as an ExecStart= command line: '%' and '$' are
// doubled (systemd expands specifiers and environment variables in
// them), and an argument with a space, a quote, a backslash or a ';' is
// put in double quotes with '"' and '\' escaped.
func execLine(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		a = strings.ReplaceAll(a, "%", "%%")
		a = strings.ReplaceAll(a, "$", "$$")
		if a == "" || strings.ContainsAny(a, " \t\r\n\"'\\;") {
			a = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(a) + `"`
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}
