package restore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/executors/server"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/internal/redisconf"
	"github.com/redisplan/redisplan/internal/units"
)

// EnvRedisServer names the redis-server binary Drill runs: a path, or a
// name looked up in PATH. Without it, Drill runs redis-server from PATH.
const EnvRedisServer = server.EnvBinary

// Drill proves that a backup restores: it writes the backup's files into a
// new temporary directory (its AOF when it has one, else its RDB, with
// appendonly to match), starts a scratch redis-server there on a free
// loopback port, measures the time until the data is loaded, compares the
// keys per database with the manifest, stops the server with SHUTDOWN
// NOSAVE and removes the directory. It never touches a target.
//
// A drill whose keys do not match returns its Result (with After and
// LoadSeconds) and an error.
func Drill(ctx context.Context, src Source, opts Options) (res Result, err error) {
	m := src.Manifest
	if m == nil || src.Open == nil {
		return Result{}, errors.New("drill: the backup source has no manifest or no way to read its files")
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("drill backup %s: %w", m.ID, err)
		}
	}()
	files, err := classify(m.Files)
	if err != nil {
		return Result{}, err
	}
	bin, err := server.BinaryFor(m.Engine)
	if err != nil {
		return Result{}, fmt.Errorf("a drill runs a scratch redis-server, and %w", err)
	}
	version, err := server.Version(ctx, bin)
	if err != nil {
		return Result{}, err
	}

	dir, err := os.MkdirTemp("", "redisplan-drill-")
	if err != nil {
		return Result{}, fmt.Errorf("create the scratch directory: %w", err)
	}
	// Runs after the server is stopped (deferred later, so earlier).
	defer func() {
		if rerr := os.RemoveAll(dir); rerr != nil {
			opts.emit(progress.Warning, "could not remove the scratch directory %s: %v", dir, rerr)
		} else {
			opts.emit(progress.Step, "removed %s", dir)
		}
	}()

	p := &plan{
		version:        version,
		scratchBin:     bin,
		dir:            dir,
		dbfilename:     "dump.rdb",
		appenddirname:  "appendonlydir",
		appendfilename: "appendonly.aof",
		aofOn:          files.hasAOF(),
	}
	if files.hasAOF() {
		p.appendfilename = strings.TrimSuffix(path.Base(files.aofManifest.Original), ".manifest")
	}
	if err := p.choose(nil, files, nil); err != nil {
		return Result{}, err
	}
	if err := p.checkAOFManifest(ctx, src, files); err != nil {
		return Result{}, err
	}
	if err := p.checkRDBVersion(ctx, src, files); err != nil {
		return Result{}, err
	}
	var placed int64
	for _, pl := range p.placements {
		placed += pl.file.RawSize
	}
	p.need = spaceNeeded(placed, 0, 0)
	if p.free, err = freeSpace(dir); err != nil {
		return Result{}, err
	}
	if err := enoughSpace(dir, p.need, p.free); err != nil {
		return Result{}, err
	}
	for _, pl := range p.placements {
		crc, err := place(ctx, src, pl, opts.Emit.With(progress.Event{Operation: progress.OpDrill, Phase: progress.PhaseStage}))
		if err != nil {
			return Result{}, err
		}
		opts.emit(progress.Step, "wrote %s (%s)", pl.path(), units.FormatBytes(pl.file.RawSize))
		if crc == crcMissing && pl.file.RawSHA256 == "" {
			opts.emit(progress.Warning, "%s", noChecksumWarning(pl.file))
		}
	}

	loadCtx, cancel := context.WithTimeout(ctx, opts.loadTimeout())
	defer cancel()
	s, err := startScratch(loadCtx, bin, p, opts)
	if err != nil {
		return Result{}, err
	}
	defer s.stop(opts)
	res.LoadSeconds = s.loadSeconds
	opts.emit(progress.Step, "the scratch server loaded the backup in %.2fs", res.LoadSeconds)

	c, err := live.Dial(s.conn)
	if err != nil {
		return res, err
	}
	defer c.Close()
	if res.After, err = readStats(ctx, c); err != nil {
		return res, err
	}
	lines, err := compareKeys(m.Keyspace, res.After.Keyspace)
	for _, l := range lines {
		opts.emit(l.kind, "%s", l.text)
	}
	return res, err
}

// scratch is a redis-server that Drill runs.
type scratch struct {
	srv         *server.Server
	conn        model.Connection
	loadSeconds float64
}

// startScratch writes the scratch server's config and starts it on a free
// loopback port, and waits until it has loaded its data. A server that
// does not load is killed, and has exited, before startScratch returns.
func startScratch(ctx context.Context, bin string, p *plan, opts Options) (*scratch, error) {
	dir := p.dir
	conf := filepath.Join(dir, "redis.conf")
	logfile := filepath.Join(dir, "redis.log")
	aof := "no"
	if p.restoreAOF {
		aof = "yes"
	}
	var start time.Time
	srv, err := server.Start(ctx, server.Spec{
		Bin:     bin,
		Dir:     dir,
		LogFile: logfile,
		Args: func(port int) ([]string, error) {
			lines := append([]string{"# Scratch server of a redisplan restore drill."}, server.LoopbackLines(port, dir, logfile)...)
			lines = append(lines,
				redisconf.FormatLine("dbfilename", p.dbfilename),
				redisconf.FormatLine("appendonly", aof),
				redisconf.FormatLine("appendfilename", p.appendfilename),
				redisconf.FormatLine("appenddirname", p.appenddirname),
				redisconf.FormatLine("save", ""),
			)
			if err := os.WriteFile(conf, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
				return nil, fmt.Errorf("write the scratch server's config: %w", err)
			}
			return []string{conf}, nil
		},
		Started: func(pid int, addr string) {
			start = time.Now()
			opts.emit(progress.Step, "started a scratch %s (pid %d) on %s in %s", filepath.Base(bin), pid, addr, dir)
		},
	})
	if err != nil {
		return nil, fmt.Errorf("the scratch server did not load the backup: %w", err)
	}
	return &scratch{
		srv:         srv,
		conn:        model.Connection{Address: srv.Addr()},
		loadSeconds: time.Since(start).Seconds(),
	}, nil
}

// stop ends the scratch server with SHUTDOWN NOSAVE, or SIGKILL when it
// refuses or does not exit in time, and waits until it has exited.
func (s *scratch) stop(opts Options) {
	if err := s.srv.Stop(killTimeout); err != nil {
		opts.emit(progress.Warning, "the scratch server did not stop cleanly: %v", err)
	}
	opts.emit(progress.Step, "stopped the scratch server")
}
