package restore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/conffile"
	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/executors/server"
	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/rdb"
	"github.com/redisplan/redisplan/internal/redisconf"
	"github.com/redisplan/redisplan/internal/secret"
	"github.com/redisplan/redisplan/internal/units"
)

const (
	// spaceMargin is added to the bytes a restore writes before comparing
	// them with the free space: the server keeps writing logs and, after
	// the restore, data.
	spaceMargin = 64 << 20
	// maxAOFManifest bounds how much of an AOF manifest Check reads.
	maxAOFManifest = 1 << 20
)

// plan is what Check learned: where the files go and how the server must
// be started. Restore follows it.
type plan struct {
	version   string // redis_version, or valkey_version on Valkey
	pid       string // the running server's process_id
	catalog   *catalog.Catalog
	configCmd string // the name CONFIG has on the server; "" when disabled
	saveCmd   string
	bgsaveCmd string
	clientCmd string // the name CLIENT has; "" when disabled
	shutdown  string // the name SHUTDOWN has; "" when disabled

	dir            string
	dbfilename     string
	appenddirname  string
	appendfilename string
	aofOn          bool // the server runs with appendonly yes
	pidfile        string
	logfile        string

	restoreAOF bool   // the backup's AOF files are placed and loaded
	enableAOF  bool   // RDB-only backup into an AOF server: load with AOF off, then turn it on
	rdbVersion int    // 0 when the loaded file is not an RDB (an AOF base without preamble)
	scratchBin string // a drill's scratch server binary; "" for a restore

	// holdWrites: the restored server starts with heldSettings in its
	// config file, so that it refuses writes until its data is checked,
	// and gets heldWas back live afterwards. When it cannot (noHold says
	// why), writes are paused as soon as the restored server answers.
	holdWrites bool
	noHold     string
	heldWas    [][2]string // what the restored server gets back
	heldLive   [][2]string // what the server had before the restore
	recovered  string      // what recoverHeld found, for an event
	// prior is the record an interrupted restore left (nil when none):
	// the user's values come from it. settings are the user's values
	// this restore records before changing anything; fileEdits put the
	// user's values back into a config file that holds a leftover.
	prior     *Record
	settings  []Setting
	fileEdits []redisconf.Edit

	// down: nothing answered at the server's address (the disaster
	// case): there is nothing to pause, save or stop, and a rollback
	// leaves the server down as it was. makeDir: its data dir does not
	// exist and the restore creates it.
	down    bool
	makeDir bool

	placements []placement
	skipped    []string // backup files not restored (AOF files on an appendonly-no server)
	// rdbLeftOut says why the backup's RDB is not placed beside the AOF
	// it restores: the server's release cannot load it. "" when placed.
	rdbLeftOut string
	need, free uint64 // disk space

	before Stats
}

// dataNames are the names in the data dir that the restore replaces.
func (p *plan) dataNames() []string { return []string{p.dbfilename, p.appenddirname} }

// summary is one line on what the checks found.
func (p *plan) summary() string {
	var b strings.Builder
	if p.down {
		b.WriteString("the server does not answer (down)")
		if p.version != "" {
			fmt.Fprintf(&b, "; the spec says version %s", p.version)
		}
	} else {
		fmt.Fprintf(&b, "version %s", p.version)
	}
	if p.rdbVersion > 0 {
		fmt.Fprintf(&b, ", backup RDB version %d", p.rdbVersion)
	}
	switch {
	case p.restoreAOF:
		b.WriteString(", restoring the AOF")
	case p.enableAOF:
		b.WriteString(", restoring the RDB with AOF off, then turning AOF back on")
	default:
		b.WriteString(", restoring the RDB")
	}
	into := "into"
	if p.makeDir {
		into = "into the new data dir"
	}
	fmt.Fprintf(&b, " %s %s; %s needed, %s free", into, p.dir, units.FormatBytes(int64(p.need)), units.FormatBytes(int64(p.free)))
	return b.String()
}

// Check does everything that can be checked without touching the server's
// data: the server answers and is not a replica; it can load the backup's
// RDB version; the backup's files fit the server's configuration (an RDB-
// only backup into a server with appendonly yes needs the config file, an
// AOF-only backup needs appendonly yes, AOF file names must match); the
// service commands exist; the data dir is writable and has room for the
// backup's files plus a margin. It returns the server's current stats.
func Check(ctx context.Context, t *model.Target, src Source) (Stats, error) {
	p, err := check(ctx, t, src)
	if err != nil {
		return Stats{}, secret.New(t.Secrets()...).Errorf("check restore into %s: %w", t.Name, err)
	}
	return p.before, nil
}

func check(ctx context.Context, t *model.Target, src Source) (*plan, error) {
	m := src.Manifest
	if m == nil || src.Open == nil {
		return nil, errors.New("the backup source has no manifest or no way to read its files")
	}
	files, err := classify(m.Files)
	if err != nil {
		return nil, fmt.Errorf("backup %s: %w", m.ID, err)
	}
	// SHUTDOWN and CONFIG under the names the running server knows: those
	// of the config file it was started from, while a rotation of the
	// spec's names waits for a restart. CONFIG's is learned below.
	p := &plan{saveCmd: commandName(t, "SAVE"), bgsaveCmd: commandName(t, "BGSAVE"),
		clientCmd: commandName(t, "CLIENT"), shutdown: commandName(live.AsStarted(t), "SHUTDOWN")}

	if t.Service == nil || len(t.Service.Start) == 0 {
		return nil, fmt.Errorf(`redisplan does not know how to start the server at %s after placing the files: `+
			`add service { start = [...] } to the target, for example start = ["systemctl", "start", "redis-server"]`, t.Connection.Address)
	}
	if p.shutdown == "" && len(t.Service.Stop) == 0 {
		return nil, fmt.Errorf(`SHUTDOWN is renamed to "" on %s, so redisplan cannot stop the server itself: `+
			`add service { stop = [...] } to the target`, t.Connection.Address)
	}

	if t.Connection.Address != "" {
		network, addr := server.Address(t.Connection)
		if down, _ := server.NotAnswering(ctx, network, addr); down {
			return p, p.checkDown(ctx, t, src, files)
		}
	}
	c, err := live.Dial(t.Connection)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	info, err := live.Info(ctx, c, "server", "replication", "persistence")
	if err != nil {
		return nil, err
	}
	if info["loading"] == "1" {
		return nil, fmt.Errorf("the server at %s is still loading its data: wait until it has loaded, then restore", t.Connection.Address)
	}
	if info["role"] == "slave" {
		return nil, fmt.Errorf("the server at %s is a replica of %s:%s: after a restore it would sync from its master again and "+
			"replace the restored data; restore into the master, or remove replicaof first",
			t.Connection.Address, orUnknown(info["master_host"]), orUnknown(info["master_port"]))
	}
	if p.configCmd, _, err = live.ConfigName(ctx, c, t); err != nil {
		return nil, err
	}
	p.version = catalog.ServerVersion(info)
	p.pid = info["process_id"]
	p.catalog = catalogFor(p.version)

	if err := p.readConfig(ctx, c, t, info); err != nil {
		return nil, err
	}
	if err := checkDir(p.dir); err != nil {
		return nil, err
	}
	if p.clientCmd == "" {
		return nil, fmt.Errorf(`CLIENT is renamed to "" on %s, so redisplan cannot pause writes while it saves and stops the server, `+
			`and writes acknowledged in between would be in neither the safety copy nor the restored data: name the command in the `+
			`target's security.renamed_commands, or remove the rename`, t.Connection.Address)
	}
	p.chooseHold(ctx, c, t, info)

	// Which files go where.
	if err := p.choose(t, files, info); err != nil {
		return nil, err
	}
	if err := p.checkAOFManifest(ctx, src, files); err != nil {
		return nil, err
	}
	if err := p.checkRDBVersion(ctx, src, files); err != nil {
		return nil, err
	}

	p.before, err = readStats(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := p.checkSpace(); err != nil {
		return nil, err
	}
	return p, nil
}

// catalogFor returns the catalog of the server's release, or the newest
// Redis one for a release the catalog does not know: it only formats the
// appendonly line, which every release writes alike.
func catalogFor(version string) *catalog.Catalog {
	if cat, err := catalog.For(version); err == nil {
		return cat
	}
	var cat *catalog.Catalog
	for _, v := range catalog.Versions() {
		if c, err := catalog.For(v); err == nil && !strings.HasPrefix(v, "valkey") {
			cat = c
		}
	}
	return cat
}

// commandName is the name a command has on the target's server: its
// rename, or itself. "" means it is disabled.
func commandName(t *model.Target, command string) string {
	name := command
	for _, r := range t.Renames {
		if strings.EqualFold(r.Command, command) {
			name = r.NewName
		}
	}
	return name
}

// readConfig learns the data dir and file names: from CONFIG GET, or from
// the config file when CONFIG is disabled.
func (p *plan) readConfig(ctx context.Context, c *redis.Client, t *model.Target, info map[string]string) error {
	names := []string{"dir", "dbfilename", "appendonly", "appenddirname", "appendfilename", "pidfile", "logfile"}
	var cfg map[string]string
	var err error
	if p.configCmd != "" {
		if cfg, err = live.ConfigGet(ctx, c, p.configCmd, names...); err != nil {
			return err
		}
	} else {
		if t.ConfigFile == "" || t.DataDir == "" {
			return fmt.Errorf(`CONFIG is disabled on %s (rename-command CONFIG ""), so redisplan cannot ask the server `+
				`where its data is: set the target's config_file and data_dir, or its config_command`, t.Connection.Address)
		}
		content, err := os.ReadFile(t.ConfigFile)
		if err != nil {
			return fmt.Errorf("read config file: %w", err)
		}
		fv, err := redisconf.Values(content, p.catalog)
		if err != nil {
			return err
		}
		cfg = fv.Values
	}
	p.dir = cfg["dir"]
	if t.DataDir != "" {
		p.dir = t.DataDir
	}
	p.dbfilename = orDefault(cfg["dbfilename"], "dump.rdb")
	p.appenddirname = orDefault(cfg["appenddirname"], "appendonlydir")
	p.appendfilename = orDefault(cfg["appendfilename"], "appendonly.aof")
	p.aofOn = cfg["appendonly"] == "yes" || info["aof_enabled"] == "1"
	if p.prior, err = readPrior(t); err != nil {
		return err
	}
	if s, ok := p.prior.setting("appendonly"); ok && (s.Live == "yes" || s.InFile && s.File == "yes") {
		// An interrupted restore of an RDB set appendonly no for the
		// load: the user's server runs with AOF.
		p.aofOn = true
	}
	if !p.aofOn && t.ConfigFile != "" && p.configCmd != "" {
		// A start reads the file: when it turns AOF on, the server would
		// load the (moved-aside) AOF and start empty.
		if content, err := os.ReadFile(t.ConfigFile); err == nil {
			if fv, err := redisconf.Values(content, p.catalog); err == nil && fv.Values["appendonly"] == "yes" {
				return fmt.Errorf("the server runs with appendonly no but its config file %s says appendonly yes, so the restarted "+
					"server would load an AOF instead of the restored RDB: bring the two in line first (redisplan plan shows the difference)", t.ConfigFile)
			}
		}
	}
	if !filepath.IsAbs(p.dir) {
		return fmt.Errorf("the server's data dir %q is not an absolute path: set the target's data_dir", p.dir)
	}
	for _, n := range []string{p.dbfilename, p.appenddirname} {
		if !plainName(n) {
			return fmt.Errorf("the server's file name %q is not a plain file name", n)
		}
	}
	p.pidfile = inDir(p.dir, cfg["pidfile"])
	p.logfile = inDir(p.dir, cfg["logfile"])
	if p.configCmd != "" {
		was, err := live.ConfigGet(ctx, c, p.configCmd, heldSettings[0][0], heldSettings[1][0])
		if err != nil {
			return err
		}
		for _, s := range heldSettings {
			p.heldWas = append(p.heldWas, [2]string{s[0], was[s[0]]})
		}
		p.heldLive = slices.Clone(p.heldWas)
		p.recoverHeld(t)
	}
	p.recordSettings(t, cfg)
	return nil
}

// readPrior reads the record an interrupted restore into t left, and
// refuses while the restore that wrote it still runs.
func readPrior(t *model.Target) (*Record, error) {
	r, err := ReadRecord(t)
	if err != nil {
		return nil, fmt.Errorf("%w: it says what an interrupted restore changed; read it, put back what it lists by hand if needed, then remove it", err)
	}
	if r == nil {
		return nil, nil
	}
	if r.Running() {
		return nil, fmt.Errorf("another restore into %s is running (pid %d, since %s): wait until it is done", r.Address, r.PID, r.Time.Format(time.RFC3339))
	}
	if r.Address != t.Connection.Address {
		return nil, fmt.Errorf("%s is the record of a restore into %s, not %s: remove it if that restore is done", RecordPath(t), r.Address, t.Connection.Address)
	}
	return r, nil
}

func (r *Record) setting(name string) (Setting, bool) {
	if r == nil {
		return Setting{}, false
	}
	return r.Setting(name)
}

// recordSettings decides the user's values of what the restore changes,
// which it records before changing anything: those an interrupted
// restore recorded, else what the server and the config file hold now
// (recoverHeld has replaced a leftover hold by the user's values).
func (p *plan) recordSettings(t *model.Target, cfg map[string]string) {
	if p.prior != nil {
		p.settings = slices.Clone(p.prior.Settings)
		if t.ConfigFile != "" {
			p.fileEdits = p.prior.fileEdits(p.catalog)
		}
		return
	}
	var file redisconf.FileValues
	if t.ConfigFile != "" {
		if content, err := os.ReadFile(t.ConfigFile); err == nil {
			file, _ = redisconf.Values(content, p.catalog)
		}
	}
	p.settings = append(p.settings, Setting{Name: "appendonly", Live: cfg["appendonly"],
		File: file.Values["appendonly"], InFile: file.Present["appendonly"]})
	for _, s := range p.heldWas {
		set := Setting{Name: s[0], Live: s[1], File: file.Values[s[0]], InFile: file.Present[s[0]]}
		if p.recovered != "" && set.InFile {
			set.File = s[1]
		}
		p.settings = append(p.settings, set)
	}
}

// recoverHeld notices min-replicas-to-write left at holdToWrite by a
// restore that was killed before it put the server's value back, in the
// server or its config file. That value is redisplan's, never the user's:
// the user's is taken from the config file when it has another one, else
// from the copy of it that the killed restore kept (conffile.BackupSuffix),
// else the catalog's defaults, and the config file gets it back too.
func (p *plan) recoverHeld(t *model.Target) {
	var file map[string]string
	if t.ConfigFile != "" {
		if content, err := os.ReadFile(t.ConfigFile); err == nil {
			if fv, err := redisconf.Values(content, p.catalog); err == nil {
				file = fv.Values
			}
		}
	}
	if p.prior != nil {
		// The interrupted restore recorded the user's values before it
		// changed anything: they win over whatever the server and the
		// config file hold now.
		from := false
		for i, s := range heldSettings {
			if rs, ok := p.prior.Setting(s[0]); ok && rs.Live != "" && rs.Live != holdToWrite {
				p.heldWas[i][1], from = rs.Live, true
			}
		}
		if from || p.heldWas[0][1] == holdToWrite || file[heldSettings[0][0]] == holdToWrite {
			p.recovered = fmt.Sprintf("a restore into %s (pid %d, %s) was interrupted %s; the restored server gets your "+
				"min-replicas-to-write %s and min-replicas-max-lag %s back (from its record %s)",
				p.prior.Address, p.prior.PID, p.prior.Time.Format(time.RFC3339), phaseWords(p.prior.Phase), p.heldWas[0][1], p.heldWas[1][1], RecordPath(t))
		}
		return
	}
	if p.heldWas[0][1] != holdToWrite && file[heldSettings[0][0]] != holdToWrite {
		return
	}
	from := "the defaults"
	if p.catalog != nil {
		for i, s := range heldSettings {
			if par, ok := p.catalog.Lookup(s[0]); ok {
				p.heldWas[i][1] = par.Default
			}
		}
	}
	// The config file itself when only the server holds the leftover (the
	// restore was killed after putting the file back), else the copy.
	for _, path := range []string{t.ConfigFile, t.ConfigFile + conffile.BackupSuffix} {
		content, err := os.ReadFile(path)
		if t.ConfigFile == "" || err != nil {
			continue
		}
		fv, err := redisconf.Values(content, p.catalog)
		if err != nil || fv.Values[heldSettings[0][0]] == holdToWrite {
			continue
		}
		from = path
		for i, s := range heldSettings {
			if v, ok := fv.Values[s[0]]; ok && fv.Present[s[0]] {
				p.heldWas[i][1] = v
			}
		}
		break
	}
	for _, s := range p.heldWas {
		p.fileEdits = append(p.fileEdits, redisconf.Edit{Directive: s[0], Lines: redisconf.DirectiveLines(p.catalog, s[0], s[1])})
	}
	p.recovered = fmt.Sprintf("min-replicas-to-write %s was left by an interrupted restore (it refuses every write); "+
		"the restored server gets min-replicas-to-write %s and min-replicas-max-lag %s (from %s) instead",
		holdToWrite, p.heldWas[0][1], p.heldWas[1][1], from)
}

// chooseHold decides how the restored server keeps writes out until its
// data is checked: through its config file when redisplan can edit the
// file the server reads and put the server's values back with CONFIG SET,
// else by pausing writes as soon as it answers.
func (p *plan) chooseHold(ctx context.Context, c *redis.Client, t *model.Target, info map[string]string) {
	p.holdWrites, p.noHold = false, ""
	switch {
	case t.ConfigFile == "":
		p.noHold = "the target has no config_file"
	case p.configCmd == "":
		p.noHold = `CONFIG is disabled (rename-command CONFIG "")`
	case len(p.heldWas) != len(heldSettings) || p.heldWas[0][1] == "" || p.heldWas[1][1] == "":
		p.noHold = "the server does not report min-replicas-to-write"
	case info["config_file"] == "" || !sameFile(info["config_file"], t.ConfigFile):
		p.noHold = fmt.Sprintf("the server does not read the target's config_file %s", t.ConfigFile)
	case syscall.Access(t.ConfigFile, 2 /* W_OK */) != nil:
		p.noHold = fmt.Sprintf("redisplan cannot write the config file %s", t.ConfigFile)
	default:
		content, err := os.ReadFile(t.ConfigFile)
		if err == nil {
			_, err = redisconf.Values(content, p.catalog)
		}
		if err != nil {
			p.noHold = fmt.Sprintf("the config file %s cannot be read: %v", t.ConfigFile, err)
			return
		}
		// The values back after the check need CONFIG SET, which an ACL
		// may deny where it allows CONFIG GET: setting the current values
		// changes nothing and proves it is allowed.
		if err := live.ConfigSet(ctx, c, p.configCmd, p.heldLive); err != nil {
			p.noHold = fmt.Sprintf("CONFIG SET of min-replicas-to-write fails (%v)", err)
			return
		}
		p.holdWrites = true
	}
}

// inDir makes a path the server reports absolute, reading relative ones
// from its data dir (where a running server's working directory is).
func inDir(dir, name string) string {
	if name == "" || filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(dir, name)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// plainName reports whether s names a file directly inside a directory.
func plainName(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, `/\`) && !strings.ContainsRune(s, 0)
}

// checkDir makes sure the data dir exists here and redisplan may write
// into it.
func checkDir(dir string) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("the server's data dir %s does not exist on this machine: a restore needs to run where the "+
			"server's files are (or set the target's data_dir to where this machine sees them)", dir)
	case err != nil:
		return fmt.Errorf("the server's data dir: %w", err)
	case !st.IsDir():
		return fmt.Errorf("the server's data dir %s is not a directory", dir)
	}
	if err := syscall.Access(dir, 2 /* W_OK */); err != nil {
		return fmt.Errorf("redisplan cannot write into the server's data dir %s (%v): run it as the user the server runs as, or as root", dir, err)
	}
	return nil
}

// backupFiles are a backup's artifacts by role.
type backupFiles struct {
	rdb         *backup.File
	aofManifest *backup.File
	aofBase     *backup.File
	aofIncr     []backup.File
}

func (b backupFiles) hasAOF() bool { return b.aofManifest != nil }

// classify sorts a manifest's files by kind and checks that they make a
// restorable backup.
func classify(files []backup.File) (backupFiles, error) {
	var b backupFiles
	for i := range files {
		f := &files[i]
		if !plainName(path.Base(f.Original)) || path.IsAbs(f.Original) || slices.Contains(strings.Split(f.Original, "/"), "..") {
			return b, fmt.Errorf("file %q has an unusable original name %q", f.Name, f.Original)
		}
		// An AOF part may be empty: a server without RDB preamble that
		// started empty keeps a 0-byte base file until its first
		// rewrite, and an incr file is empty until the first write.
		// Redis loads an empty part as no commands.
		if f.RawSize < 0 || f.RawSize == 0 && f.Kind != backup.KindAOFIncr && f.Kind != backup.KindAOFBase {
			return b, fmt.Errorf("file %s has no size in the manifest (raw_size %d): the manifest is damaged", f.Original, f.RawSize)
		}
		switch f.Kind {
		case backup.KindRDB:
			if b.rdb != nil {
				return b, fmt.Errorf("two RDB files (%s, %s)", b.rdb.Original, f.Original)
			}
			b.rdb = f
		case backup.KindAOFManifest:
			if b.aofManifest != nil {
				return b, fmt.Errorf("two AOF manifests (%s, %s)", b.aofManifest.Original, f.Original)
			}
			b.aofManifest = f
		case backup.KindAOFBase:
			if b.aofBase != nil {
				return b, fmt.Errorf("two AOF base files (%s, %s)", b.aofBase.Original, f.Original)
			}
			b.aofBase = f
		case backup.KindAOFIncr:
			b.aofIncr = append(b.aofIncr, *f)
		default:
			return b, fmt.Errorf("file %s has an unknown kind %q", f.Original, f.Kind)
		}
	}
	switch {
	case b.aofManifest == nil && (b.aofBase != nil || len(b.aofIncr) > 0):
		return b, errors.New("it holds AOF files but no AOF manifest, which Redis needs to load them")
	case b.rdb == nil && b.aofManifest == nil:
		return b, errors.New("it holds neither an RDB file nor an AOF: there is nothing to restore")
	case b.aofManifest != nil && b.aofBase == nil:
		return b, errors.New("it holds an AOF manifest but no AOF base file")
	}
	return b, nil
}

// choose decides what is restored and where each file goes.
func (p *plan) choose(t *model.Target, files backupFiles, info map[string]string) error {
	switch {
	case files.hasAOF() && p.aofOn:
		p.restoreAOF = true
	case files.hasAOF() && files.rdb == nil:
		return fmt.Errorf("the backup holds only AOF files and the server runs with appendonly no, so it would load %s "+
			"and start empty: turn AOF on for the target (appendonly yes, redisplan apply) and restore again, or restore a backup that holds an RDB",
			p.dbfilename)
	case p.aofOn:
		// An RDB into a server with appendonly yes: it would ignore the
		// RDB and start empty. Load with AOF off, then turn it on.
		p.enableAOF = true
		if err := p.checkConfigFile(t, info); err != nil {
			return err
		}
	}

	if files.rdb != nil {
		// Placed along with a restored AOF too: it is the same data, and
		// what a later start with appendonly no would load.
		p.placements = append(p.placements, placement{file: *files.rdb, dest: p.dbfilename})
	}
	if files.hasAOF() {
		aof := []backup.File{*files.aofBase}
		aof = append(aof, files.aofIncr...)
		aof = append(aof, *files.aofManifest) // last: a partial AOF dir has no manifest
		for _, f := range aof {
			if !p.restoreAOF {
				p.skipped = append(p.skipped, f.Original)
				continue
			}
			p.placements = append(p.placements, placement{file: f, dest: path.Join(p.appenddirname, path.Base(f.Original))})
		}
	}
	for i := range p.placements {
		p.placements[i].dir = p.dir
	}
	return nil
}

// checkConfigFile makes sure that editing the target's config file
// decides whether the restarted server loads its AOF.
func (p *plan) checkConfigFile(t *model.Target, info map[string]string) error {
	if t.ConfigFile == "" {
		return errors.New("the backup holds only an RDB and the server runs with appendonly yes, which would make it ignore the RDB " +
			"and start empty; redisplan restores such a backup by starting the server with appendonly no and turning AOF on once loaded, " +
			"which needs the server's config file: set the target's config_file")
	}
	if p.configCmd == "" {
		return errors.New(`the backup holds only an RDB and the server runs with appendonly yes: redisplan must turn AOF back on ` +
			`after the load with CONFIG SET, which is disabled (rename-command CONFIG ""); set the target's config_command`)
	}
	content, err := os.ReadFile(t.ConfigFile)
	if err != nil {
		return fmt.Errorf("read the config file, which the restore edits: %w", err)
	}
	if _, err := redisconf.Values(content, p.catalog); err != nil {
		return err
	}
	if err := syscall.Access(t.ConfigFile, 2 /* W_OK */); err != nil {
		return fmt.Errorf("redisplan cannot write the config file %s (%v), which the restore edits: run it as a user who may", t.ConfigFile, err)
	}
	served := info["config_file"]
	if served == "" {
		return fmt.Errorf("the server was started without a config file, so setting appendonly no in %s would not reach it: "+
			"start it with its config file, then restore", t.ConfigFile)
	}
	if !sameFile(served, t.ConfigFile) {
		return fmt.Errorf("the server reads the config file %s, not the target's config_file %s: fix config_file", served, t.ConfigFile)
	}
	return nil
}

// sameFile reports whether two paths name the same file.
func sameFile(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// checkAOFManifest makes sure the backup's AOF is whole (checkAOFFiles)
// and that its names fit the server's appendfilename.
func (p *plan) checkAOFManifest(ctx context.Context, src Source, files backupFiles) error {
	if !files.hasAOF() || !p.restoreAOF {
		return nil
	}
	prefix, err := checkAOFFiles(ctx, src, files)
	if err != nil {
		return err
	}
	if prefix != p.appendfilename {
		return fmt.Errorf("the backup's AOF files are named after appendfilename %q but the server uses %q, so it would not find them: "+
			"restore into a server with appendfilename %q (an immutable setting: change it in the config file and restart)",
			prefix, p.appendfilename, prefix)
	}
	return nil
}

// aofPrefix is the appendfilename a backup's AOF manifest is named after.
func aofPrefix(mf *backup.File) (string, error) {
	prefix, ok := strings.CutSuffix(path.Base(mf.Original), ".manifest")
	if !ok || prefix == "" {
		return "", fmt.Errorf("the backup's AOF manifest %s is not named <appendfilename>.manifest", mf.Original)
	}
	return prefix, nil
}

// checkAOFFiles reads the backup's AOF manifest and makes sure every file
// it lists is in the backup, as the kind it lists, under a name that
// starts with the manifest's appendfilename, which it returns.
func checkAOFFiles(ctx context.Context, src Source, files backupFiles) (string, error) {
	mf := files.aofManifest
	prefix, err := aofPrefix(mf)
	if err != nil {
		return "", err
	}
	rc, err := src.Open(ctx, *mf)
	if err != nil {
		return "", fmt.Errorf("read the backup's AOF manifest: %w", err)
	}
	content, err := io.ReadAll(io.LimitReader(rc, maxAOFManifest+1))
	cerr := rc.Close()
	if err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("read the backup's AOF manifest: %w", err)
	}
	return prefix, checkAOFList(content, prefix, files)
}

// checkAOFList checks the content of a backup's AOF manifest, named after
// appendfilename prefix, against the files the backup holds.
func checkAOFList(content []byte, prefix string, files backupFiles) error {
	if len(content) > maxAOFManifest {
		return fmt.Errorf("the backup's AOF manifest is larger than %d bytes: not an AOF manifest", maxAOFManifest)
	}
	listed, err := parseAOFManifest(content)
	if err != nil {
		return fmt.Errorf("the backup's AOF manifest: %w", err)
	}
	have := map[string]string{path.Base(files.aofBase.Original): "b"}
	for _, f := range files.aofIncr {
		have[path.Base(f.Original)] = "i"
	}
	bases := 0
	for _, e := range listed {
		if e.typ == "h" {
			continue // history: Redis deletes it, the backup need not hold it
		}
		if e.typ == "b" {
			bases++
		}
		if !plainName(e.name) {
			return fmt.Errorf("the backup's AOF manifest lists %q, which is not a plain file name", e.name)
		}
		if !strings.HasPrefix(e.name, prefix+".") {
			return fmt.Errorf("the backup's AOF manifest lists %s, which does not start with its appendfilename %s", e.name, prefix)
		}
		if have[e.name] != e.typ {
			return fmt.Errorf("the backup's AOF manifest lists %s (type %s) but the backup does not hold it as such: the backup is incomplete", e.name, e.typ)
		}
	}
	if bases != 1 {
		return fmt.Errorf("the backup's AOF manifest lists %d base files, want 1", bases)
	}
	return nil
}

// aofEntry is one line of an AOF manifest.
type aofEntry struct {
	name string
	seq  string
	typ  string // b (base), h (history), i (incr)
}

// parseAOFManifest reads Redis 7's AOF manifest: one file per line as
// key/value pairs ("file NAME seq N type T"), split as sdssplitargs does,
// since names may be quoted.
func parseAOFManifest(content []byte) ([]aofEntry, error) {
	var out []aofEntry
	for i, line := range bytes.Split(content, []byte("\n")) {
		s := strings.TrimSpace(string(line))
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		args, err := redisconf.SplitArgs(s)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		if len(args)%2 != 0 {
			return nil, fmt.Errorf("line %d: %q is not key/value pairs", i+1, s)
		}
		var e aofEntry
		for j := 0; j < len(args); j += 2 {
			switch args[j] {
			case "file":
				e.name = args[j+1]
			case "seq":
				e.seq = args[j+1]
			case "type":
				e.typ = args[j+1]
			}
		}
		if e.name == "" || e.seq == "" || (e.typ != "b" && e.typ != "h" && e.typ != "i") {
			return nil, fmt.Errorf("line %d: %q lacks file, seq or a type b/h/i", i+1, s)
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil, errors.New("it lists no file")
	}
	return out, nil
}

// checkRDBVersion reads the first bytes of the RDB the server will load
// and makes sure the server's release supports its version.
func (p *plan) checkRDBVersion(ctx context.Context, src Source, files backupFiles) error {
	f := files.rdb
	if p.restoreAOF {
		f = files.aofBase
		if err := p.leaveOutRDB(ctx, src, files); err != nil {
			return err
		}
	}
	v, err := readRDBVersion(ctx, src, *f)
	if err != nil {
		return err
	}
	p.rdbVersion = v
	if v == 0 {
		return nil
	}
	newest, known := rdb.Loads(p.version)
	if known && v > newest {
		aof := noAOF
		if files.hasAOF() {
			aof = aofPreamble
			if !p.restoreAOF {
				// The server runs with appendonly no and would load the
				// RDB: the AOF beside it may be commands.
				if bv, err := readRDBVersion(ctx, src, *files.aofBase); err == nil && bv == 0 {
					aof = aofCommands
				}
			}
		}
		return p.tooNew(f.Original, v, newest, src.Manifest.Server(), aof)
	}
	return nil
}

// leaveOutRDB does not place the backup's RDB beside the AOF a restore
// puts back when the server's release cannot load it (an AOF of commands
// from a newer engine): the server loads the AOF, and a later start with
// appendonly no would refuse the RDB and not start. The data directory's
// own dump.rdb goes into the safety copy all the same, so none is left.
func (p *plan) leaveOutRDB(ctx context.Context, src Source, files backupFiles) error {
	if files.rdb == nil {
		return nil
	}
	v, err := readRDBVersion(ctx, src, *files.rdb)
	if err != nil {
		return err
	}
	newest, known := rdb.Loads(p.version)
	if !known || v <= newest {
		return nil
	}
	p.placements = slices.DeleteFunc(p.placements, func(pl placement) bool { return pl.file.Kind == backup.KindRDB })
	p.rdbLeftOut = fmt.Sprintf("did not restore %s: it has RDB version %d, which this server (%s) cannot load (it loads up to version %d); "+
		"the AOF holds the same data, so keep appendonly yes until a BGSAVE has written an RDB of this server", files.rdb.Original, v, catalog.ServerLabel(p.version), newest)
	return nil
}

// tooNew says that the server cannot load the backup's RDB version v, and
// what would: the releases that load it, and for a drill the binary to put
// first on PATH.
func (p *plan) tooNew(name string, v, newest int, writer string, aof aofForm) error {
	by := ""
	if writer != "" {
		by = " (written by " + writer + ")"
	}
	which := "this server"
	if p.scratchBin != "" {
		which = "the drill's scratch server " + p.scratchBin
	}
	msg := fmt.Sprintf("the backup's %s has RDB version %d%s, which %s (%s) cannot load (it loads up to version %d)",
		name, v, by, which, catalog.ServerLabel(p.version), newest)
	loads := rdb.Loaders(v)
	if p.scratchBin != "" {
		if loads == "" {
			loads = "a release newer than any redisplan knows"
		}
		return fmt.Errorf("%s. Put a server that loads RDB version %d (%s) first on PATH, or set %s=/path/to/server", msg, v, loads, EnvRedisServer)
	}
	if loads == "" {
		msg += fmt.Sprintf(". No release redisplan knows loads RDB version %d: restore it into a server at least as new as the one that wrote it", v)
	} else {
		msg += fmt.Sprintf(". Restore it into a server that loads RDB version %d: %s", v, loads)
	}
	switch aof {
	case aofCommands:
		msg += "; or turn AOF on for the target (appendonly yes, redisplan apply) and restore again: this backup's AOF has no RDB preamble, " +
			"so the server replays its commands instead of loading the RDB" + replayCaveat
	case aofPreamble:
		msg += "; or restore, into the target with appendonly yes, a backup whose AOF has no RDB preamble (taken with aof-use-rdb-preamble no): " +
			"it holds commands and no RDB version" + replayCaveat
	}
	return errors.New(msg)
}

// aofForm is what a too-new backup's AOF offers instead of its RDB.
type aofForm int

const (
	noAOF       aofForm = iota // the backup has no AOF
	aofPreamble                // its base is an RDB too
	aofCommands                // its base is commands (aof-use-rdb-preamble no)
)

// replayCaveat is what limits replaying an AOF of commands on an older
// release (tests/engines TestRestoreAOFOnlyAcrossEngines replays Redis
// 8.0's and Valkey 8.1's on Redis 7.0).
const replayCaveat = ", which an older release replays as long as it knows every command in it (Redis 7.4's hash-field expiration commands, for one, are unknown to Redis 7.2 and older)"

// readRDBVersion reads the 9-byte header "REDIS0011" of an RDB file. It
// returns 0 for an AOF base file written without an RDB preamble, and for
// an empty one.
func readRDBVersion(ctx context.Context, src Source, f backup.File) (int, error) {
	rc, err := src.Open(ctx, f)
	if err != nil {
		return 0, fmt.Errorf("read the backup's %s: %w", f.Original, err)
	}
	defer rc.Close()
	head := make([]byte, 9)
	n, err := io.ReadFull(rc, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("read the backup's %s: %w", f.Original, err)
	}
	head = head[:n]
	if f.Kind == backup.KindAOFBase && !bytes.HasPrefix(head, []byte("REDIS")) {
		// As Redis decides: a base without the RDB signature is an AOF
		// of commands (which may start with a "#TS:" annotation when
		// aof-timestamp-enabled is on), or empty.
		return 0, nil
	}
	return parseRDBHeader(head, f.Original)
}

// parseRDBHeader returns the version in an RDB header.
func parseRDBHeader(head []byte, name string) (int, error) {
	if len(head) < 9 || string(head[:5]) != "REDIS" {
		return 0, fmt.Errorf("the backup's %s is not an RDB file: it does not start with REDIS and a version (%q)", name, head)
	}
	v, err := strconv.Atoi(string(head[5:9]))
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("the backup's %s has an unreadable RDB version %q", name, head[5:9])
	}
	return v, nil
}

// checkSpace compares the free space in the data dir with what the
// restore writes there.
func (p *plan) checkSpace() error {
	var placed, rdb int64
	for _, pl := range p.placements {
		placed += pl.file.RawSize
		if pl.file.Kind == backup.KindRDB {
			rdb = pl.file.RawSize
		}
	}
	var rewrite, snapshot int64
	if p.enableAOF {
		rewrite = rdb // the first AOF rewrite writes a base as large as the RDB
	}
	if !p.aofOn {
		// SAVE before stopping writes the current data; its last RDB,
		// or else its memory, says how large.
		snapshot = p.before.UsedMemory
		if st, err := os.Stat(filepath.Join(p.dir, p.dbfilename)); err == nil {
			snapshot = st.Size()
		}
	}
	p.need = spaceNeeded(placed, rewrite, snapshot)
	free, err := freeSpace(existingAncestor(p.dir))
	if err != nil {
		return err
	}
	p.free = free
	return enoughSpace(p.dir, p.need, p.free)
}

// spaceNeeded is the free space a restore requires: the files it writes
// (the backup's, the first AOF rewrite when AOF is turned on after the
// load, the current data's snapshot before stopping), plus 10% and a
// fixed margin. The moved-aside files keep their space: a rename.
func spaceNeeded(placed, rewrite, snapshot int64) uint64 {
	n := uint64(max(placed, 0)) + uint64(max(rewrite, 0)) + uint64(max(snapshot, 0))
	return n + n/10 + spaceMargin
}

// enoughSpace fails when free is less than need.
func enoughSpace(dir string, need, free uint64) error {
	if free < need {
		return fmt.Errorf("not enough free space in %s: the restore needs %s (the backup's files, a snapshot of the current "+
			"data and a margin), %s are free; free some space (the current data files stay until the restore is proven good)",
			dir, units.FormatBytes(int64(need)), units.FormatBytes(int64(free)))
	}
	return nil
}

// freeSpace is the space an unprivileged user may still use in dir.
func freeSpace(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("free space in %s: %w", dir, err)
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil // field types differ between systems
}
