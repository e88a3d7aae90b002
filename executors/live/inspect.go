package live

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strings"

	"github.com/redisplan/redisplan/executors/crontab"
	"github.com/redisplan/redisplan/executors/schedfiles"
	"github.com/redisplan/redisplan/executors/server"
	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/secret"
)

// infoSections are the INFO sections the planner reads.
var infoSections = []string{"server", "persistence", "memory", "replication", "keyspace"}

// Inspector reads a target's live server, its redis.conf and its crontab
// block.
type Inspector struct{}

var _ model.Inspector = (*Inspector)(nil)

// Inspect reads the target's state.
//
// A config file or crontab that cannot be read (other than by not
// existing) is an error, and the state is nil. When only the live server
// cannot be read, Inspect returns the state with File and Cron filled and
// Error set, and returns that error too: the caller decides whether a plan
// without the live side is useful.
func (Inspector) Inspect(ctx context.Context, t *model.Target) (*model.State, error) {
	st := &model.State{}
	if t.ConfigFile != "" {
		fst, err := readConfigFile(t.ConfigFile)
		if err != nil {
			return nil, fmt.Errorf("inspect %s: %w", t.Name, err)
		}
		st.File = fst
	}
	if t.Cron != nil {
		cst, err := readCron(ctx, t.Cron, crontab.BlockName(t))
		if err != nil {
			return nil, fmt.Errorf("inspect %s: %w", t.Name, err)
		}
		if name := crontab.BlockName(t); name != t.Name {
			cst.Previous = crontab.Block(cst.Content, t.Name)
		}
		st.Cron = cst
	}
	schedules, err := readSchedules(ctx, t)
	if err != nil {
		return nil, fmt.Errorf("inspect %s: %w", t.Name, err)
	}
	st.Schedules = schedules
	live, err := inspectLive(ctx, t, st.File)
	if err != nil {
		// The error goes into plans, saved plans and pull requests.
		err = secret.New(t.Secrets()...).Wrap(err)
		st.Error = err
		return st, err
	}
	st.Live = live
	return st, nil
}

// readConfigFile reads the managed redis.conf; a missing file is a state,
// not an error.
func readConfigFile(path string) (*model.FileState, error) {
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &model.FileState{Path: path}, nil
	case err != nil:
		return nil, fmt.Errorf("read config file: %w", err)
	}
	st := &model.FileState{Path: path, Exists: true, Content: b}
	if info, err := os.Stat(path); err == nil {
		st.Mode = info.Mode().Perm()
	}
	return st, nil
}

// readCron reads the cron.d file or the user crontab that holds the
// target's block, named name.
func readCron(ctx context.Context, c *model.Cron, name string) (*model.CronState, error) {
	var (
		where   string
		content []byte
	)
	switch {
	case c.File != "":
		where = c.File
		b, err := os.ReadFile(c.File)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("read cron file: %w", err)
		}
		content = b
	case c.User != "":
		where = "crontab of " + c.User
		b, err := userCrontab(ctx, c.User)
		if err != nil {
			return nil, err
		}
		content = b
	default:
		return nil, errors.New("the cron block names neither a file nor a user")
	}
	return &model.CronState{Where: where, Content: content, Lines: crontab.Block(content, name)}, nil
}

// readSchedules reads the target's files in the directory of each of its
// systemd and kubernetes cron blocks, in spec order.
func readSchedules(ctx context.Context, t *model.Target) ([]model.ScheduleDir, error) {
	type block struct{ kind, dir, id string }
	var blocks []block
	for _, st := range t.Timers {
		blocks = append(blocks, block{"systemd", st.Dir, st.ID})
	}
	for _, kc := range t.CronJobs {
		blocks = append(blocks, block{"kubernetes", kc.Dir, kc.ID})
	}
	var out []model.ScheduleDir
	for _, b := range blocks {
		d, err := schedfiles.Read(ctx, b.dir, t.Name, schedfiles.Name(b.id, t.Name))
		if err != nil {
			return nil, err
		}
		sd := model.ScheduleDir{Kind: b.kind, Dir: b.dir, Others: d.Others}
		for _, f := range d.Files {
			sd.Files = append(sd.Files, model.ScheduleFile{Name: f.Name, Content: string(f.Content)})
		}
		out = append(out, sd)
	}
	return out, nil
}

// maxErrOutput bounds how much of a command's error output an error
// quotes (its end, where the reason usually is).
const maxErrOutput = 2048

// userCrontab returns the crontab of user; a user without one has an
// empty crontab.
func userCrontab(ctx context.Context, user string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "crontab", "-l", "-u", user)
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err == nil {
		return stdout.Bytes(), nil
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) && exitErr.ExitCode() == 1 && strings.Contains(stderr.String(), "no crontab for") {
		return nil, nil
	}
	if errors.Is(err, exec.ErrNotFound) {
		return nil, fmt.Errorf("read the crontab of %s: the crontab command is not installed (install cron, or use a cron.d file)", user)
	}
	return nil, fmt.Errorf("read the crontab of %s: crontab -l -u %s: %w: %s", user, user, err, server.TailOf(stderr.Bytes(), maxErrOutput))
}

// inspectLive reads the running server. When the server does not know
// the spec's CONFIG name, the name comes from the managed config file's
// rename-command CONFIG line (see ConfigName).
func inspectLive(ctx context.Context, t *model.Target, file *model.FileState) (*model.LiveState, error) {
	conn := t.Connection
	configCmd := t.ConfigCommand()
	if configCmd == "" {
		return nil, endpointFor(conn).newError(errConfigDisabled,
			`cannot inspect %s live: CONFIG was renamed to "" (rename-command CONFIG ""), so nobody can read or change `+
				`its configuration while it runs; rename CONFIG to a secret name and set the target's config_command to it, `+
				`or keep CONFIG and restrict it with an ACL user`, conn.Address)
	}
	if err := reachable(ctx, conn); err != nil {
		return nil, err
	}
	c, err := Dial(conn)
	if err != nil {
		return nil, err
	}
	defer c.Close()

	info, err := Info(ctx, c, infoSections...)
	if err != nil {
		return nil, err
	}
	var content []byte
	if file != nil {
		content = file.Content
	}
	configCmd, source, err := configName(ctx, c, t, content)
	if err != nil {
		return nil, err
	}
	if source == model.ConfigDisabled {
		return &model.LiveState{
			Version:      info["redis_version"],
			Server:       serverName(info),
			RunID:        info["run_id"],
			Config:       map[string]string{},
			Info:         info,
			Loopback:     isLoopback(conn.Address),
			ConfigSource: source,
		}, nil
	}
	cfg, err := ConfigGet(ctx, c, configCmd, "*")
	if err != nil {
		return nil, err
	}
	if hidden := hiddenParams(info, t.RedisVersion); len(hidden) > 0 {
		more, err := ConfigGet(ctx, c, configCmd, hidden...)
		if err != nil {
			return nil, err
		}
		for k, v := range more {
			cfg[k] = v
		}
	}
	return &model.LiveState{
		Version:  info["redis_version"],
		Server:   serverName(info),
		RunID:    info["run_id"],
		Config:   cfg,
		Info:     info,
		Loopback: isLoopback(conn.Address),

		ConfigSource: source,
	}, nil
}

func serverName(info map[string]string) string {
	if info["server_name"] == "valkey" || info["valkey_version"] != "" {
		return "valkey"
	}
	return "redis"
}

// hiddenParams names the HIDDEN parameters of the target's catalog
// (catalog.Choose), which CONFIG GET * leaves out.
func hiddenParams(info map[string]string, declared string) []string {
	cat := catalog.Choose(info, declared)
	var names []string
	for _, p := range cat.Params() {
		if p.Hidden() && p.Mode() != model.FileOnly {
			names = append(names, p.Name)
		}
	}
	return names
}
