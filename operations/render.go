package operations

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/redisplan/redisplan/executors/crontab"
	"github.com/redisplan/redisplan/executors/promrules"
	"github.com/redisplan/redisplan/executors/repository"
	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/fsutil"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/redisconf"
)

// RenderRequest is what render makes: What is "redis.conf" (the default),
// "crontab", "systemd", "kubernetes" or "prometheus-rules".
type RenderRequest struct {
	Targets []*model.Target
	What    string
	// Source names the spec's files in a redis.conf's header.
	Source string
	// Secrets puts secrets in redis.conf files: only for files written
	// with mode 0600, never for a terminal.
	Secrets bool
	// Config and VarFiles are the spec the job lines of crontab, systemd
	// and kubernetes schedules name (CrontabOptions).
	Config   string
	VarFiles []string
}

// RenderedFile is one file render makes: Name is its name in an output
// directory; Dir, for a schedule file, is the directory where plan and
// apply put it.
type RenderedFile struct {
	Name string
	Dir  string
	Data []byte
}

// Render makes the files of r, in order: one redis.conf per target, one
// crontab or rules file for all of them, or each target's schedule files
// of the kind asked for.
func Render(r RenderRequest) ([]RenderedFile, error) {
	switch r.What {
	case "prometheus-rules":
		return []RenderedFile{{Name: "redisplan.rules.yml", Data: promrules.Render(r.Targets, promrules.RenderOptions{})}}, nil
	case "crontab", "systemd", "kubernetes":
		opts, err := CrontabOptions(r.Config, r.VarFiles)
		if err != nil {
			return nil, err
		}
		if r.What == "crontab" {
			return []RenderedFile{{Name: "redisplan.cron", Data: crontab.Render(r.Targets, opts)}}, nil
		}
		return renderSchedules(r.Targets, r.What, opts)
	}
	var out []RenderedFile
	for _, t := range r.Targets {
		cat, err := catalog.For(t.RedisVersion)
		if err != nil {
			return out, fmt.Errorf("%s: %w", t.Name, err)
		}
		data := redisconf.Render(t, cat, redisconf.RenderOptions{Source: r.Source, Secrets: r.Secrets})
		out = append(out, RenderedFile{Name: repository.FileName(t.Name) + ".conf", Data: data})
	}
	return out, nil
}

// renderSchedules is the systemd units or CronJob manifests of the
// targets' cron blocks of that kind.
func renderSchedules(targets []*model.Target, kind string, opts crontab.RenderOptions) ([]RenderedFile, error) {
	var out []RenderedFile
	for _, t := range targets {
		dirs, err := ScheduleDirs(t, opts)
		if err != nil {
			return out, err
		}
		for _, d := range dirs {
			if d.Kind != kind {
				continue
			}
			for _, f := range d.Files {
				out = append(out, RenderedFile{Name: f.Name, Dir: d.Dir, Data: []byte(f.Content)})
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no selected target has a cron block of kind %q with a schedule to run", kind)
	}
	return out, nil
}

// WriteRendered writes f into dir (made with mode 0700 when missing)
// atomically with mode 0600, and returns its path.
func WriteRendered(dir string, f RenderedFile) (string, error) {
	path := filepath.Join(dir, f.Name)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	return path, fsutil.WriteFileMode(path, f.Data, 0o600)
}

// CrontabOptions makes every path in job lines absolute: cron runs them
// from the user's home directory with a minimal PATH.
func CrontabOptions(config string, varFiles []string) (crontab.RenderOptions, error) {
	bin, err := os.Executable()
	if err != nil {
		return crontab.RenderOptions{}, fmt.Errorf("find own path: %w", err)
	}
	if resolved, err := filepath.EvalSymlinks(bin); err == nil {
		bin = resolved
	}
	config, err = specPath(config)
	if err != nil {
		return crontab.RenderOptions{}, err
	}
	opts := crontab.RenderOptions{Binary: bin, Config: config}
	for _, f := range varFiles {
		abs, err := filepath.Abs(f)
		if err != nil {
			return crontab.RenderOptions{}, err
		}
		opts.VarFiles = append(opts.VarFiles, abs)
	}
	return opts, nil
}

// specPath is the absolute path that names the spec in job lines and
// owner lines. A directory holding a single .hcl file is named by that
// file, so that "-config ." and "-config redis.hcl" are the same spec and
// not two owners of the same server's schedules.
func specPath(config string) (string, error) {
	abs, err := filepath.Abs(config)
	if err != nil {
		return "", err
	}
	if info, err := os.Stat(abs); err == nil && info.IsDir() {
		if files, err := filepath.Glob(filepath.Join(abs, "*.hcl")); err == nil && len(files) == 1 {
			return files[0], nil
		}
	}
	return abs, nil
}
