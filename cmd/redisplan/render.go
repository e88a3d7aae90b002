package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/redisplan/redisplan/cmd/redisplan/internal/arguments"
	"github.com/redisplan/redisplan/executors/crontab"
	"github.com/redisplan/redisplan/executors/promrules"
	"github.com/redisplan/redisplan/executors/repository"
	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/fsutil"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/redisconf"
)

func runRender(_ context.Context, env *cmdEnv, args []string) int {
	a, err := arguments.ParseRender(args)
	if code, done := parsed(env, "render", err, exitError); done {
		return code
	}
	sf, targets, outDir, what := specFlagsOf(a.Spec), a.Targets, a.Out, a.What

	res, ok := loadSpec(env, &sf)
	if !ok {
		return exitError
	}
	selected, err := selectTargets(res.Spec, targets)
	if err != nil {
		fmt.Fprintf(env.stderr, "redisplan render: %v\n", err)
		return exitError
	}
	if len(selected) == 0 {
		fmt.Fprintln(env.stderr, "redisplan render: the spec has no targets")
		return exitError
	}

	switch what {
	case "crontab":
		return renderCrontab(env, &sf, selected, outDir)
	case "systemd", "kubernetes":
		return renderSchedules(env, &sf, selected, what, outDir)
	case "prometheus-rules":
		return writeRendered(env, promrules.Render(selected, promrules.RenderOptions{}), outDir, "redisplan.rules.yml")
	}
	if outDir == "" && len(selected) > 1 {
		fmt.Fprintf(env.stderr, "redisplan render: the spec has %d targets; pick one with -target, or write them all with -o DIR\n", len(selected))
		return exitError
	}
	for _, t := range selected {
		cat, err := catalog.For(t.RedisVersion)
		if err != nil {
			fmt.Fprintf(env.stderr, "redisplan render: %s: %v\n", t.Name, err)
			return exitError
		}
		source := strings.Join(res.Filenames, ", ")
		if outDir == "" {
			env.stdout.Write(redisconf.Render(t, cat, redisconf.RenderOptions{Source: source}))
			continue
		}
		path := filepath.Join(outDir, fileName(t.Name)+".conf")
		data := redisconf.Render(t, cat, redisconf.RenderOptions{Source: source, Secrets: true})
		if err := writeSecretFile(path, data); err != nil {
			fmt.Fprintf(env.stderr, "redisplan render: %v\n", err)
			return exitError
		}
		fmt.Fprintf(env.stdout, "Wrote %s\n", path)
	}
	return exitOK
}

func renderCrontab(env *cmdEnv, sf *specFlags, targets []*model.Target, outDir string) int {
	opts, err := crontabOptions(sf)
	if err != nil {
		fmt.Fprintf(env.stderr, "redisplan render: %v\n", err)
		return exitError
	}
	return writeRendered(env, crontab.Render(targets, opts), outDir, "redisplan.cron")
}

// renderSchedules prints the systemd units or CronJob manifests of the
// selected targets' cron blocks of that kind, each file after a comment
// naming where plan and apply put it (manifests separated by "---", so
// that the output can be piped to kubectl), or writes them into outDir.
func renderSchedules(env *cmdEnv, sf *specFlags, targets []*model.Target, kind, outDir string) int {
	opts, err := crontabOptions(sf)
	if err != nil {
		fmt.Fprintf(env.stderr, "redisplan render: %v\n", err)
		return exitError
	}
	n := 0
	for _, t := range targets {
		dirs, err := scheduleDirs(t, opts)
		if err != nil {
			fmt.Fprintf(env.stderr, "redisplan render: %v\n", err)
			return exitError
		}
		for _, d := range dirs {
			if d.Kind != kind {
				continue
			}
			for _, f := range d.Files {
				if outDir != "" {
					path := filepath.Join(outDir, f.Name)
					if err := writeSecretFile(path, []byte(f.Content)); err != nil {
						fmt.Fprintf(env.stderr, "redisplan render: %v\n", err)
						return exitError
					}
					fmt.Fprintf(env.stdout, "Wrote %s\n", path)
					n++
					continue
				}
				switch {
				case kind == "kubernetes" && n > 0:
					fmt.Fprintln(env.stdout, "---")
				case n > 0:
					fmt.Fprintln(env.stdout)
				}
				fmt.Fprintf(env.stdout, "# %s\n%s", filepath.Join(d.Dir, f.Name), f.Content)
				n++
			}
		}
	}
	if n == 0 {
		fmt.Fprintf(env.stderr, "redisplan render: no selected target has a cron block of kind %q with a schedule to run\n", kind)
		return exitError
	}
	return exitOK
}

// writeRendered prints data, or writes it as DIR/name with mode 0600.
func writeRendered(env *cmdEnv, data []byte, outDir, name string) int {
	if outDir == "" {
		env.stdout.Write(data)
		return exitOK
	}
	path := filepath.Join(outDir, name)
	if err := writeSecretFile(path, data); err != nil {
		fmt.Fprintf(env.stderr, "redisplan render: %v\n", err)
		return exitError
	}
	fmt.Fprintf(env.stdout, "Wrote %s\n", path)
	return exitOK
}

// crontabOptions makes every path in the lines absolute: cron runs them
// from the user's home directory with a minimal PATH.
func crontabOptions(sf *specFlags) (crontab.RenderOptions, error) {
	bin, err := os.Executable()
	if err != nil {
		return crontab.RenderOptions{}, fmt.Errorf("find own path: %w", err)
	}
	if resolved, err := filepath.EvalSymlinks(bin); err == nil {
		bin = resolved
	}
	config, err := specPath(sf.config)
	if err != nil {
		return crontab.RenderOptions{}, err
	}
	opts := crontab.RenderOptions{Binary: bin, Config: config}
	for _, f := range sf.varFiles {
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

func writeSecretFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return fsutil.WriteFileMode(path, data, 0o600)
}

// fileName is the name of t's files: its redis.conf, its backup folder
// (repository.FileName).
func fileName(target string) string { return repository.FileName(target) }
