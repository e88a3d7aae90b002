package crontab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/redisplan/redisplan/internal/fsutil"
	"github.com/redisplan/redisplan/internal/model"
)

// Installer writes a crontab.
type Installer interface {
	Install(ctx context.Context, content []byte) error
}

var (
	_ Installer = CronDFile{}
	_ Installer = UserCrontab{}
)

// cronDMode is the mode of a cron.d file: cron skips files that group or
// others can write.
const cronDMode fs.FileMode = 0o644

// CronDFile is a system crontab file such as /etc/cron.d/redisplan, whose
// lines name the user each job runs as.
type CronDFile struct{ Path string }

// Install replaces the file atomically with content, with mode 0644. The
// directory must exist (it does when cron is installed), and the file name
// must be made of letters, digits, '_' and '-', or cron would ignore it.
func (c CronDFile) Install(ctx context.Context, content []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("install %s: %w", c.Path, err)
	}
	if name := filepath.Base(c.Path); !model.ValidCronDName(name) {
		return fmt.Errorf("install %s: cron ignores cron.d files whose names have characters other than letters, digits, '_' and '-'; use a name such as redisplan-main", c.Path)
	}
	dir := filepath.Dir(c.Path)
	if info, err := os.Stat(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("install %s: directory %s does not exist: is cron installed?", c.Path, dir)
		}
		return fmt.Errorf("install %s: %w", c.Path, err)
	} else if !info.IsDir() {
		return fmt.Errorf("install %s: %s is not a directory", c.Path, dir)
	}
	if err := fsutil.WriteFileMode(c.Path, content, cronDMode); err != nil {
		return fmt.Errorf("install crontab: %w", err)
	}
	return nil
}

// Read returns the file's content; a missing file is an empty crontab.
func (c CronDFile) Read(ctx context.Context) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", c.Path, err)
	}
	b, err := os.ReadFile(c.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read crontab: %w", err)
	}
	return b, nil
}

// UserCrontab is the crontab of one user, managed with the crontab(1)
// command found on PATH. An empty User is the user redisplan runs as;
// another user needs root.
type UserCrontab struct{ User string }

// Install replaces the user's crontab with content (`crontab -u USER -`).
// crontab(1) checks the content and refuses it, with its message in the
// error, when a line is invalid or the last line has no newline.
func (u UserCrontab) Install(ctx context.Context, content []byte) error {
	if _, err := u.run(ctx, content, u.args("-")...); err != nil {
		return fmt.Errorf("install crontab of %s: %w", u.who(), err)
	}
	return nil
}

// Read returns the user's crontab (`crontab -l -u USER`); a user without
// one has an empty crontab.
func (u UserCrontab) Read(ctx context.Context) ([]byte, error) {
	args := append([]string{"-l"}, u.args()...)
	out, err := u.run(ctx, nil, args...)
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 1 && strings.Contains(err.Error(), "no crontab for") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read crontab of %s: %w", u.who(), err)
	}
	return out, nil
}

func (u UserCrontab) args(rest ...string) []string {
	if u.User == "" {
		return rest
	}
	return append([]string{"-u", u.User}, rest...)
}

func (u UserCrontab) who() string {
	if u.User == "" {
		return "the current user"
	}
	return "user " + u.User
}

// run runs crontab with stdin and returns its standard output. Its error
// carries the exit status and what crontab wrote to standard error.
func (u UserCrontab) run(ctx context.Context, stdin []byte, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "crontab", args...)
	// The messages Read looks for are the untranslated ones.
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return nil, fmt.Errorf("crontab %s: %w: %s", strings.Join(args, " "), err, msg)
		}
		return nil, fmt.Errorf("crontab %s: %w", strings.Join(args, " "), err)
	}
	return stdout.Bytes(), nil
}
