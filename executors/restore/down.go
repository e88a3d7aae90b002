package restore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/internal/redisconf"
)

// dataDirMode is the mode of a data dir the restore creates: the server's
// user reads and writes it, its group may read it (as Debian's
// /var/lib/redis), others nothing.
const dataDirMode = 0o750

// checkDown is check for a server that does not answer at its address:
// the disaster case, where the host lost the server's disk and the data
// dir is gone, or a server that cannot start from its files. What a live
// server would say comes from the spec and the config file: the data dir
// (the target's data_dir, else the config file's dir), the file names,
// appendonly. The config file must exist (the service start command
// reads it); the data dir may be missing, and is then created (mode
// 0750, owned like the config file when redisplan runs as root) just
// before the files are staged.
func (p *plan) checkDown(ctx context.Context, t *model.Target, src Source, files backupFiles) error {
	p.down = true
	p.before.Down = true
	p.version = t.RedisVersion
	p.catalog = catalogFor(p.version)
	p.configCmd = commandName(t, "CONFIG")
	if t.ConfigFile == "" {
		return fmt.Errorf("the server at %s does not answer, and the target has no config_file: redisplan cannot tell where "+
			"its data goes nor how the service starts it; set config_file (and data_dir), or start the server first", t.Connection.Address)
	}
	content, err := os.ReadFile(t.ConfigFile)
	if err != nil {
		return fmt.Errorf("the server at %s does not answer, and its config file cannot be read: %w", t.Connection.Address, err)
	}
	fv, err := redisconf.Values(content, p.catalog)
	if err != nil {
		return fmt.Errorf("the config file %s: %w", t.ConfigFile, err)
	}
	cfg := fv.Values
	p.dir = cfg["dir"]
	if t.DataDir != "" {
		p.dir = t.DataDir
	}
	if p.dir == "" || !filepath.IsAbs(p.dir) {
		return fmt.Errorf("the server at %s does not answer and its data dir is not known as an absolute path (config file dir %q): "+
			"set the target's data_dir", t.Connection.Address, cfg["dir"])
	}
	p.dbfilename = orDefault(cfg["dbfilename"], "dump.rdb")
	p.appenddirname = orDefault(cfg["appenddirname"], "appendonlydir")
	p.appendfilename = orDefault(cfg["appendfilename"], "appendonly.aof")
	p.aofOn = cfg["appendonly"] == "yes"
	for _, n := range []string{p.dbfilename, p.appenddirname} {
		if !plainName(n) {
			return fmt.Errorf("the config file's file name %q is not a plain file name", n)
		}
	}
	p.pidfile = inDir(p.dir, cfg["pidfile"])
	p.logfile = inDir(p.dir, cfg["logfile"])
	if p.prior, err = readPrior(t); err != nil {
		return err
	}
	switch st, err := os.Stat(p.dir); {
	case errors.Is(err, fs.ErrNotExist):
		p.makeDir = true
		parent := filepath.Dir(p.dir)
		if st, err := os.Stat(parent); err != nil || !st.IsDir() {
			return fmt.Errorf("the server's data dir %s is gone and so is its parent %s: create the parent (with the owner the "+
				"server runs as), then restore", p.dir, parent)
		}
		if err := syscall.Access(parent, 2 /* W_OK */); err != nil {
			return fmt.Errorf("the server's data dir %s is gone and redisplan cannot create it in %s (%v): run it as root or as "+
				"the user the server runs as", p.dir, parent, err)
		}
	case err != nil:
		return fmt.Errorf("the server's data dir: %w", err)
	case !st.IsDir():
		return fmt.Errorf("the server's data dir %s is not a directory", p.dir)
	default:
		if err := checkDir(p.dir); err != nil {
			return err
		}
	}
	if p.clientCmd == "" {
		return fmt.Errorf(`CLIENT is renamed to "" on %s, so redisplan cannot keep writes out of the restored server until its `+
			`data is checked: name the command in the target's security.renamed_commands`, t.Connection.Address)
	}
	p.chooseHoldDown(t, cfg)
	// The service start command reads the config file: choose's check
	// of it needs to know that it is the one the server reads.
	if err := p.choose(t, files, map[string]string{"config_file": t.ConfigFile}); err != nil {
		return err
	}
	if err := p.checkAOFManifest(ctx, src, files); err != nil {
		return err
	}
	if err := p.checkRDBVersion(ctx, src, files); err != nil {
		return err
	}
	p.recordSettings(t, cfg)
	return p.checkSpace()
}

// chooseHoldDown is chooseHold for a server that is down: the restored
// server starts refusing writes when redisplan can edit its config file
// and set the values back with CONFIG (their values are the config
// file's, else the catalog's defaults); else writes are paused as soon as
// it answers.
func (p *plan) chooseHoldDown(t *model.Target, cfg map[string]string) {
	p.holdWrites, p.noHold = false, ""
	switch {
	case p.configCmd == "":
		p.noHold = `CONFIG is disabled (rename-command CONFIG "")`
		return
	case syscall.Access(t.ConfigFile, 2 /* W_OK */) != nil:
		p.noHold = fmt.Sprintf("redisplan cannot write the config file %s", t.ConfigFile)
		return
	}
	for _, s := range heldSettings {
		v := cfg[s[0]]
		if v == "" && p.catalog != nil {
			if par, ok := p.catalog.Lookup(s[0]); ok {
				v = par.Default
			}
		}
		if v == "" || v == holdToWrite {
			p.noHold = fmt.Sprintf("the config file %s holds no usable %s", t.ConfigFile, s[0])
			return
		}
		p.heldWas = append(p.heldWas, [2]string{s[0], v})
	}
	p.heldLive = append([][2]string(nil), p.heldWas...)
	p.holdWrites = true
}

// makeDataDir creates the data dir of a server that lost it, with
// dataDirMode, owned like the config file when redisplan runs as root (a
// service runs the server as its own user, who owns its config).
func (r *run) makeDataDir() error {
	if err := os.Mkdir(r.p.dir, dataDirMode); err != nil {
		return fmt.Errorf("create the data dir %s: %w", r.p.dir, err)
	}
	if err := os.Chmod(r.p.dir, dataDirMode); err != nil { // the umask may have taken bits
		return err
	}
	r.madeDir = true
	if os.Geteuid() == 0 {
		if uid, gid := owner(r.t.ConfigFile); uid >= 0 {
			if err := os.Chown(r.p.dir, uid, gid); err != nil {
				return fmt.Errorf("give the data dir %s the config file's owner: %w", r.p.dir, err)
			}
		}
	}
	r.opts.emit(progress.Step, "created the data dir %s (mode %#o), which was gone", r.p.dir, dataDirMode)
	return syncParent(r.p.dir)
}

// removeMadeDir removes the data dir the restore created, when nothing
// is in it: a restore that fails before its swap leaves things as they
// were.
func (r *run) removeMadeDir() {
	if r.madeDir && !r.swapped {
		if err := os.Remove(r.p.dir); err == nil {
			r.madeDir = false
		}
	}
}

func syncParent(dir string) error {
	f, err := os.Open(filepath.Dir(dir))
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// existingAncestor is dir, or its nearest ancestor that exists: where the
// free space of a data dir still to be created is measured.
func existingAncestor(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil || d == filepath.Dir(d) {
			return d
		}
	}
}
