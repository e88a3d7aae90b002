package restore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/conffile"
	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/executors/lock"
	"github.com/redisplan/redisplan/executors/server"
	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/internal/redisconf"
	"github.com/redisplan/redisplan/internal/secret"
)

const (
	// RecordName is the name of the lock journal (beside the target's
	// lock, lock.PathFor) in which a restore keeps its Record.
	RecordName   = "restore"
	recordFormat = "redisplan-restore/1"

	// HoldToWrite is the min-replicas-to-write a restore gives the
	// restored server until its data is checked: a server running with
	// it, or a config file holding it, was left so by an interrupted
	// restore.
	HoldToWrite = holdToWrite
)

// Phases of a restore, as its Record says.
const (
	// PhaseStopping: the server runs; writes may be paused.
	PhaseStopping = "stopping"
	// PhaseStopped: the server was stopped by the restore; no file moved.
	PhaseStopped = "stopped"
	// PhaseStreaming: a streamed load (stream.go): the config file holds
	// the restore's edits; the original files are in Safety, the data
	// file also at its name (the same file), or the restore's pipe is
	// there; the restored server may be loading or running, refusing
	// writes.
	PhaseStreaming = "streaming"
	// PhaseSwapped: the config file holds the restore's edits and the
	// backup's files are in the data dir, the originals in Safety.
	PhaseSwapped = "swapped"
	// PhaseStarted: the restored server runs, refusing writes until its
	// keys are checked.
	PhaseStarted = "started"
)

// Setting is one directive a restore changes in the config file (and
// live): what the user had, to be put back.
type Setting struct {
	Name string `json:"name"`
	// Live is the server's value before the restore ("" when not read).
	Live string `json:"live,omitempty"`
	// File is the config file's value; InFile false when the file did not
	// set it (the put-back removes the line then).
	File   string `json:"file,omitempty"`
	InFile bool   `json:"in_file"`
}

// Record is what a restore keeps durably (atomically, mode 0600) beside
// the target's lock from before it changes anything until it is done or
// rolled back: which server, the user's values of every setting it
// changes, and how far it got. A restore that is killed leaves it behind;
// the next restore reads the user's values from it (never from the
// server or the config file, which hold redisplan's), and check and apply
// say what it means.
type Record struct {
	Format   string    `json:"format"`
	Target   string    `json:"target"`
	Address  string    `json:"address"`
	BackupID string    `json:"backup_id"`
	PID      int       `json:"pid"`
	Start    string    `json:"proc_start,omitempty"`
	Host     string    `json:"host"`
	Time     time.Time `json:"time"`

	Phase      string `json:"phase"`
	ConfigFile string `json:"config_file,omitempty"`
	DataDir    string `json:"data_dir"`
	// Safety is the safety copy holding the original files (Moved), from
	// PhaseSwapped on.
	Safety string   `json:"safety,omitempty"`
	Moved  []string `json:"moved,omitempty"`
	// Names are the names in DataDir the restore replaces; Pidfile and
	// Logfile are the server's, to follow a start.
	Names   []string `json:"names"`
	Pidfile string   `json:"pidfile,omitempty"`
	Logfile string   `json:"logfile,omitempty"`
	// Settings are the user's values of what the restore changes.
	Settings []Setting `json:"settings"`
	// Keyspace is the server's keys per database before the restore.
	Keyspace map[int]backup.DBStats `json:"keyspace,omitempty"`
	// Down: the server did not answer before the restore (its data dir
	// may have been gone): recovery puts the files back and leaves it
	// down, as it was.
	Down bool `json:"down,omitempty"`
}

// RecordPath is where the Record of a restore into t is kept.
func RecordPath(t *model.Target) string {
	return lock.JournalAt(lock.PathFor(t.ConfigFile, t.Name, t.Connection.Address), RecordName).Path()
}

func recordJournal(t *model.Target) lock.Journal {
	return lock.JournalAt(lock.PathFor(t.ConfigFile, t.Name, t.Connection.Address), RecordName)
}

// ReadRecord returns the record an interrupted restore into t left, nil
// when there is none.
func ReadRecord(t *model.Target) (*Record, error) {
	data, err := recordJournal(t).Read()
	if err != nil || data == nil {
		return nil, err
	}
	var r Record
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&r); err != nil {
		return nil, fmt.Errorf("the record of a restore %s: %w", RecordPath(t), err)
	}
	if r.Format != recordFormat || r.PID <= 0 || r.Address == "" {
		return nil, fmt.Errorf("the record of a restore %s is incomplete, or not one redisplan wrote", RecordPath(t))
	}
	return &r, nil
}

// Running reports whether the restore that wrote the record still runs
// on this host.
func (r *Record) Running() bool {
	host, _ := os.Hostname()
	return r.Host == host && backup.ProcessRuns(r.PID, r.Start)
}

// Setting returns the record's setting called name.
func (r *Record) Setting(name string) (Setting, bool) {
	for _, s := range r.Settings {
		if s.Name == name {
			return s, true
		}
	}
	return Setting{}, false
}

// UserValues says in words the user's values the record keeps, for
// messages: "min-replicas-to-write 0, min-replicas-max-lag 10".
func (r *Record) UserValues() string {
	var b bytes.Buffer
	for _, s := range r.Settings {
		if s.Live == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %s", s.Name, s.Live)
	}
	return b.String()
}

// fileEdits are the edits that put the record's file values back.
func (r *Record) fileEdits(cat *catalog.Catalog) []redisconf.Edit {
	var edits []redisconf.Edit
	for _, s := range r.Settings {
		e := redisconf.Edit{Directive: s.Name}
		if s.InFile {
			e.Lines = redisconf.DirectiveLines(cat, s.Name, s.File)
		}
		edits = append(edits, e)
	}
	return edits
}

// writeRecord stores the run's record in its phase, durably.
func (r *run) writeRecord(phase string) error {
	if r.rec == nil {
		host, _ := os.Hostname()
		r.rec = &Record{Format: recordFormat, Target: r.t.Name, Address: r.t.Connection.Address, BackupID: r.src.Manifest.ID,
			PID: os.Getpid(), Start: backup.ProcStart(os.Getpid()), Host: host, Time: time.Now().UTC(),
			ConfigFile: r.t.ConfigFile, DataDir: r.p.dir, Names: r.p.dataNames(), Pidfile: r.p.pidfile, Logfile: r.p.logfile,
			Settings: r.p.settings, Keyspace: r.p.before.Keyspace, Down: r.p.down}
	}
	r.rec.Phase, r.rec.Safety, r.rec.Moved = phase, r.safety, r.moved
	data, err := json.MarshalIndent(r.rec, "", "  ")
	if err != nil {
		return err
	}
	if err := recordJournal(r.t).Write(append(data, '\n')); err != nil {
		return fmt.Errorf("keep the record of the restore: %w", err)
	}
	return nil
}

// removeRecord forgets the record: the restore is done or rolled back,
// or one left by an interrupted restore was acted on.
func (r *run) removeRecord() {
	if err := recordJournal(r.t).Remove(); err != nil && !errors.Is(err, os.ErrNotExist) {
		r.opts.emit(progress.Warning, "remove %s: %v", RecordPath(r.t), err)
	}
}

// phaseWords says how far a restore got, for messages.
func phaseWords(phase string) string {
	switch phase {
	case PhaseStopping:
		// Written before the stop: the server may be stopped already.
		return "while it stopped the server, before it moved any file"
	case PhaseStopped:
		return "after it stopped the server, before it moved any file"
	case PhaseStreaming:
		return "while it streamed the backup into the restored server, the original files in the safety copy"
	case PhaseSwapped:
		// Written before the start command: it may have started it.
		return "after it swapped in the backup's files, while it started the restored server"
	case PhaseStarted:
		return "after it started the restored server, before it checked its keys"
	}
	return "at an unknown point (" + phase + ")"
}

// forgetPrior handles the record when the restore ends before it stopped
// the server, having changed nothing: the record of an interrupted
// restore it carried on goes back to what it was (its leftovers are still
// there), and otherwise it is removed.
func (r *run) forgetPrior() {
	if r.p.prior == nil {
		r.removeRecord()
		return
	}
	data, err := json.MarshalIndent(r.p.prior, "", "  ")
	if err == nil {
		err = recordJournal(r.t).Write(append(data, '\n'))
	}
	if err != nil {
		r.opts.emit(progress.Warning, "put back the record of the interrupted restore in %s: %v", RecordPath(r.t), err)
	}
}

// PhaseWords says how far a restore got, for messages.
func PhaseWords(phase string) string { return phaseWords(phase) }

// FileHolds reports whether a config file's content sets
// min-replicas-to-write (or its old name min-slaves-to-write) to
// HoldToWrite, as Redis reads it: the last line wins.
func FileHolds(content []byte) bool {
	held := false
	for _, line := range strings.Split(string(content), "\n") {
		args, err := redisconf.SplitArgs(strings.TrimSpace(line))
		if err != nil || len(args) < 2 {
			continue
		}
		if name := strings.ToLower(args[0]); name == "min-replicas-to-write" || name == "min-slaves-to-write" {
			held = args[1] == HoldToWrite
		}
	}
	return held
}

// recoverDown deals with a server found down while the record of an
// interrupted restore is there: that restore stopped it. It puts the
// original data files back where the restore had swapped them (the record
// says where they are), the user's values back into the config file, and
// starts the server with the service start command; then it compares the
// keys with those the record noted before the stop. It returns what it
// did, for the user, or why it could not: then nothing was started.
func recoverDown(ctx context.Context, t *model.Target, rec *Record) (string, error) {
	what := fmt.Sprintf("the server at %s was down: a restore of backup %s (pid %d, %s) stopped it and was interrupted %s",
		rec.Address, rec.BackupID, rec.PID, rec.Time.UTC().Format(time.RFC3339), phaseWords(rec.Phase))
	if t.Service == nil || len(t.Service.Start) == 0 {
		return "", fmt.Errorf("%s; redisplan cannot start it (the target has no service start command): %s", what, handWords(rec))
	}
	if rec.DataDir == "" || len(rec.Names) == 0 {
		return "", fmt.Errorf("%s; its record %s does not say where the data files are: %s", what, RecordPath(t), handWords(rec))
	}
	switch rec.Phase {
	case PhaseStopping, PhaseStopped:
		// No file was moved unless the swap began: it begins by making
		// the safety copy directory, after the record said stopped.
		made, err := filepath.Glob(filepath.Join(rec.DataDir, safetyPrefix+safeName(rec.BackupID)+"-*"))
		if err != nil {
			return "", err
		}
		for _, m := range made {
			if st, err := os.Stat(m); err == nil && !st.ModTime().Before(rec.Time.Add(-time.Second)) {
				return "", fmt.Errorf("%s; it may have been swapping files in (%s exists): redisplan cannot tell which files are the original "+
					"ones, so it starts nothing; %s", what, m, handWords(rec))
			}
		}
		what += "; no data file had been moved"
	default:
		if rec.Safety == "" {
			return "", fmt.Errorf("%s; its record names no safety copy: %s", what, handWords(rec))
		}
		failed := filepath.Join(rec.Safety, failedDir)
		if err := os.Mkdir(failed, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("%s; roll back: %w", what, err)
		}
		for _, name := range rec.Names {
			if !plainName(name) {
				return "", fmt.Errorf("%s; its record names %q, not a plain file name", what, name)
			}
		}
		if rec.Phase == PhaseStreaming {
			if err := unpipe(rec.DataDir, rec.Names[0], rec.Safety); err != nil {
				return "", fmt.Errorf("%s; %w; %s", what, err, handWords(rec))
			}
		}
		for _, name := range rec.Names {
			if err := moveRestoredAway(filepath.Join(rec.DataDir, name), filepath.Join(failed, name), filepath.Join(rec.Safety, name)); err != nil {
				return "", fmt.Errorf("%s; move the restored %s away: %w; %s", what, name, err, handWords(rec))
			}
		}
		for _, name := range rec.Moved {
			if err := os.Rename(filepath.Join(rec.Safety, name), filepath.Join(rec.DataDir, name)); err != nil {
				return "", fmt.Errorf("%s; move the original %s back: %w; %s", what, name, err, handWords(rec))
			}
		}
		if err := syncDirs(rec.DataDir, rec.Safety, failed); err != nil {
			return "", err
		}
		what += fmt.Sprintf("; moved the original files back from %s (the restored ones are in %s)", rec.Safety, failed)
	}
	if rec.ConfigFile != "" {
		content, err := os.ReadFile(rec.ConfigFile)
		if err != nil {
			return "", fmt.Errorf("%s; read the config file: %w", what, err)
		}
		back, err := redisconf.ApplyEdits(content, rec.fileEdits(catalogFor("")))
		if err != nil {
			return "", fmt.Errorf("%s; put your values back into %s: %w", what, rec.ConfigFile, err)
		}
		if !bytes.Equal(back, content) {
			if err := conffile.Restore(rec.ConfigFile, back, true); err != nil {
				return "", fmt.Errorf("%s; %w", what, err)
			}
			what += "; put your values back into " + rec.ConfigFile
		}
	}
	if rec.Down {
		if err := recordJournal(t).Remove(); err != nil {
			return "", err
		}
		return what + "; the server was down before that restore began, so it is left down: restore again", nil
	}
	w := newStartWatch(rec.Pidfile, rec.Logfile)
	if err := secret.New(t.Connection.Password).Wrap(server.RunCommand(ctx, "start", t.Service.Start)); err != nil {
		return "", fmt.Errorf("%s; the data files are the original ones: %w", what, err)
	}
	if _, err := waitLoaded(ctx, t.Connection, w); err != nil {
		return "", fmt.Errorf("%s; started it with the original data files, but it did not come back: %w", what, err)
	}
	c, err := live.Dial(t.Connection)
	if err != nil {
		return "", err
	}
	defer c.Close()
	now, err := readStats(ctx, c)
	if err != nil {
		return "", err
	}
	for db, was := range rec.Keyspace {
		if got := now.Keyspace[db].Keys; got < was.Keys-was.Expires {
			return "", fmt.Errorf("%s; started it with the original data files, but db%d holds %d keys, before the stop it held %d: "+
				"look at the data before anything else (the restore's record is kept in %s)", what, db, got, was.Keys, RecordPath(t))
		}
	}
	if err := recordJournal(t).Remove(); err != nil {
		return "", err
	}
	return what + "; started it with the service start command: it holds the keys it held before the stop", nil
}

// handWords says what to do by hand after an interrupted restore.
func handWords(rec *Record) string {
	s := fmt.Sprintf("the original data files are in %s", rec.DataDir)
	if rec.Safety != "" {
		s = fmt.Sprintf("the original files (%s) are in %s", strings.Join(rec.Moved, ", "), rec.Safety)
	}
	if rec.Phase == PhaseStreaming && len(rec.Names) > 0 {
		s += fmt.Sprintf(" (remove first a named pipe the restore may have left at %s)", filepath.Join(rec.DataDir, rec.Names[0]))
	}
	return s + fmt.Sprintf("; put them in place, put your values back into the config file (%s), start the server, "+
		"then remove the restore's record", rec.UserValues())
}
