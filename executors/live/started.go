package live

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/redisconf"
)

// startedFrom returns the config file the server at conn was started from
// (INFO's config_file, "" without one), and "" when nothing answers.
func startedFrom(ctx context.Context, conn model.Connection) (string, error) {
	c, err := dialWith(conn, oneShot)
	if err != nil {
		return "", err
	}
	defer c.Close()
	info, err := Info(ctx, c, "server")
	if err != nil {
		return "", err
	}
	return info["config_file"], nil
}

// samePath reports whether a and b name the same file or directory, after
// symbolic links: Redis reports its dir and config file resolved.
func samePath(a, b string) bool {
	resolve := func(p string) string {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return r
		}
		return filepath.Clean(p)
	}
	return resolve(a) == resolve(b)
}

// checkStartedAsBefore fails when the new process was started from another
// config file than the old one: what apply wrote into the managed file
// does not apply to it, and a service start command that points elsewhere
// brings up a server on other data.
func checkStartedAsBefore(ctx context.Context, conn model.Connection, before string) error {
	if before == "" {
		return nil
	}
	now, err := startedFrom(ctx, conn)
	if err != nil {
		return err
	}
	if now == "" || !samePath(now, before) {
		if now == "" {
			now = "no config file"
		}
		return fmt.Errorf("the restarted server was started from %s, not from %s as before: the service start command does not start it from its config file, so the new configuration does not apply to it", now, before)
	}
	return nil
}

// checkNames fails when the new process does not use the data file names
// want gives (dir, dbfilename, appenddirname, appendfilename): the files
// were carried over to those names, and a process using others (a service
// start command with its own --dir, another config file) runs on other
// data, whatever its keys look like.
func checkNames(ctx context.Context, t *model.Target, want map[string]string) error {
	if len(want) == 0 {
		return nil
	}
	c, err := dialWith(t.Connection, oneShot)
	if err != nil {
		return err
	}
	defer c.Close()
	name, _, err := ConfigName(ctx, c, t)
	if err != nil {
		return err
	}
	if name == "" {
		return nil // CONFIG disabled: the keyspace check is all there is
	}
	var names []string
	for n := range want {
		names = append(names, n)
	}
	got, err := ConfigGet(ctx, c, name, names...)
	if err != nil {
		return err
	}
	var wrong []string
	for n, w := range want {
		g := got[n]
		if n == "dir" && samePath(g, w) || g == w {
			continue
		}
		wrong = append(wrong, fmt.Sprintf("%s %s (want %s)", n, g, w))
	}
	if len(wrong) > 0 {
		return fmt.Errorf("the restarted server does not use the names its data was carried over to: it reports %s; the service start command does not start it from its config file as it is now", strings.Join(wrong, ", "))
	}
	return nil
}

// fileSecrets returns the secrets a redis.conf holds (requirepass,
// masterauth, the names rename-command gives, ACL user passwords), to hide
// them in what a failing service command prints: Redis echoes a bad config
// line, and the file may hold a name the spec no longer knows (a CONFIG
// name being rotated).
func fileSecrets(paths ...string) []string {
	var out []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			args, err := redisconf.SplitArgs(line)
			if err != nil || len(args) < 2 {
				continue
			}
			switch strings.ToLower(args[0]) {
			case "requirepass", "masterauth":
				out = append(out, args[1])
			case "rename-command":
				if len(args) > 2 && args[2] != "" {
					out = append(out, args[2])
				}
			case "user":
				for _, a := range args[2:] {
					if strings.HasPrefix(a, ">") && len(a) > 1 {
						out = append(out, a[1:])
					}
				}
			}
		}
	}
	return out
}
