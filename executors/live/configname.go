package live

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/redisconf"
)

// ConfigName returns the name under which the target's server answers
// CONFIG, and where that name came from.
//
// It is the spec's name (t.ConfigCommand) when the server knows it. When
// the server does not, and the target's config file renames CONFIG to
// another name (or does not rename it), the server is still running with
// the file's name: an operator rotated the secret in the spec, and the
// server takes the new name only when it restarts. ConfigName then
// returns the file's name with model.ConfigFromFile. When the file
// disables CONFIG (rename-command CONFIG ""), it returns "" with
// model.ConfigDisabled. Names are secrets: no error quotes one.
func ConfigName(ctx context.Context, c *redis.Client, t *model.Target) (string, model.ConfigSource, error) {
	var content []byte
	if t.ConfigFile != "" {
		b, err := os.ReadFile(t.ConfigFile)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", "", fmt.Errorf("read config file: %w", err)
		}
		content = b
	}
	return configName(ctx, c, t, content)
}

// FileConfigName returns the name the config file at path gives CONFIG:
// its rename-command CONFIG line, or CONFIG when it has none.
func FileConfigName(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read config file: %w", err)
	}
	name, found, err := redisconf.CommandName(b, "CONFIG")
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if !found {
		return "CONFIG", nil
	}
	return name, nil
}

// configName is ConfigName with the config file's content already read.
func configName(ctx context.Context, c *redis.Client, t *model.Target, file []byte) (string, model.ConfigSource, error) {
	spec := t.ConfigCommand()
	if spec == "" {
		return "", model.ConfigFromSpec, nil
	}
	ep := endpointOf(c, spec)
	err := probeConfig(ctx, c, spec)
	if err == nil {
		return spec, model.ConfigFromSpec, nil
	}
	if !unknownCommand(err) {
		return "", "", ep.explain("CONFIG GET", err)
	}
	if t.ConfigFile == "" {
		if spec == "CONFIG" {
			return "", "", ep.explain("CONFIG GET", err) // no secret to keep out
		}
		return "", "", ep.newError(err, "%s does not know the CONFIG command under the name the spec gives it (not shown: it is a secret); "+
			"if it runs with another name, set the target's config_file to the redis.conf it was started from, so that redisplan can learn that name, "+
			"or set config_command to it", ep.addr)
	}
	name, found, ferr := redisconf.CommandName(file, "CONFIG")
	if ferr != nil {
		return "", "", fmt.Errorf("%s: %w", t.ConfigFile, ferr)
	}
	if !found {
		name = "CONFIG"
	}
	if name == "" {
		return "", model.ConfigDisabled, nil
	}
	if name != spec {
		perr := probeConfig(ctx, c, name)
		if perr == nil {
			return name, model.ConfigFromFile, nil
		}
		if !unknownCommand(perr) {
			return "", "", ep.explain("CONFIG GET", perr)
		}
	}
	return "", "", ep.newError(err, "%s knows the CONFIG command neither under the name the spec gives it nor under the name in %s (the names are secrets and not shown): "+
		"the server was started from another file, or that file's rename-command CONFIG line changed since it started "+
		"(after a failed restart, the previous file is %s.redisplan.bak); set the target's config_command to the name the server runs with, or restart it from its config file",
		ep.addr, t.ConfigFile, t.ConfigFile)
}

// probeConfig asks the server for one parameter under the name configCmd.
func probeConfig(ctx context.Context, c *redis.Client, configCmd string) error {
	return c.Do(ctx, configCmd, "GET", "port").Err()
}

// unknownCommand reports whether err is the server's reply to a command
// it does not know.
func unknownCommand(err error) bool {
	msg, ok := ReplyText(err)
	return ok && strings.HasPrefix(msg, "ERR unknown command")
}

// AsStarted returns t with the SHUTDOWN name the running server knows: the
// one its config file gives it now, before apply writes the spec's. A
// restart stops the old process under that name (SHUTDOWN SAVE, when the
// target has no stop command); the spec's name, when it differs, applies
// only to the process the restart starts. t is returned as it is when the
// file cannot be read or names SHUTDOWN as the spec does.
func AsStarted(t *model.Target) *model.Target {
	if t.ConfigFile == "" {
		return t
	}
	b, err := os.ReadFile(t.ConfigFile)
	if err != nil {
		return t
	}
	name, found, err := redisconf.CommandName(b, "SHUTDOWN")
	if err != nil {
		return t
	}
	if !found {
		name = "SHUTDOWN"
	}
	spec := "SHUTDOWN"
	for _, r := range t.Renames {
		if strings.EqualFold(r.Command, "SHUTDOWN") {
			spec = r.NewName
		}
	}
	if name == spec {
		return t
	}
	c := *t
	c.Renames = []model.Rename{{Command: "SHUTDOWN", NewName: name, Origin: t.ConfigFile}}
	for _, r := range t.Renames {
		if !strings.EqualFold(r.Command, "SHUTDOWN") {
			c.Renames = append(c.Renames, r)
		}
	}
	return &c
}
