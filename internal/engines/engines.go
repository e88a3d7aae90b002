// Package engines finds the server engines installed for redisplan's tests:
// the system's redis-server (Redis 7.0 on Debian 12) and the engines that
// scripts/install-engines.sh unpacks into the cache folder
// (${XDG_CACHE_HOME:-~/.cache}/redisplan/engines/{redis-8.0,valkey-8.0,valkey-8.1}).
//
// Each engine is a server binary, its CLI and the version the server
// prints with --version. The package only looks; it starts nothing.
package engines

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// EnvSkip, set to 1, lets the tests run with the engines that are
// installed instead of failing for the ones that are missing.
const EnvSkip = "REDISPLAN_SKIP_ENGINES"

// EnvSystemServer names the system redis-server (a path, or a name looked
// up in PATH), as it does for the test harness (executors/server/servertest).
const EnvSystemServer = "REDISPLAN_REDIS_SERVER"

// Engine is one installed server engine.
type Engine struct {
	// Name is the engine and its release series: "redis-7.0",
	// "redis-8.0", "valkey-8.0", "valkey-8.1".
	Name string
	// Kind is "redis" or "valkey".
	Kind string
	// Version is what the server prints with --version ("8.0.2"), which
	// is also INFO's redis_version on Redis and valkey_version on Valkey.
	Version string
	// Server and CLI are the paths of the executables.
	Server string
	CLI    string
}

// Series is the major.minor of Version ("8.0").
func (e Engine) Series() string { return series(e.Version) }

// Wanted lists the engines the tests run on: the system's Redis 7.0 and
// the three in the cache folder.
var Wanted = []Want{
	{Name: "redis-7.0", Kind: "redis", Series: "7.0", System: true},
	{Name: "redis-8.0", Kind: "redis", Series: "8.0"},
	{Name: "valkey-8.0", Kind: "valkey", Series: "8.0"},
	{Name: "valkey-8.1", Kind: "valkey", Series: "8.1"},
}

// Want is an engine the tests want.
type Want struct {
	Name   string
	Kind   string
	Series string
	// System is true for the redis-server on PATH (or named by
	// REDISPLAN_REDIS_SERVER) rather than one in the cache folder.
	System bool
}

// Dir returns the cache folder the engines are installed in.
func Dir() (string, error) {
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("engines: no cache folder: set XDG_CACHE_HOME or HOME: %w", err)
		}
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "redisplan", "engines"), nil
}

// Find returns the wanted engines that are installed, in the order of
// Wanted, and an error naming every one that is missing or is not the
// wanted release, with how to install it.
func Find() ([]Engine, error) {
	dir, dirErr := Dir()
	var found []Engine
	var problems []string
	for _, w := range Wanted {
		e, err := find(w, dir, dirErr)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		found = append(found, e)
	}
	if len(problems) > 0 {
		return found, fmt.Errorf("engines: %s; run scripts/install-deps.sh to install them (or set %s=1 to run the tests without them)",
			strings.Join(problems, "; "), EnvSkip)
	}
	return found, nil
}

func find(w Want, dir string, dirErr error) (Engine, error) {
	e := Engine{Name: w.Name, Kind: w.Kind}
	if w.System {
		name := "redis-server"
		if v := os.Getenv(EnvSystemServer); v != "" {
			name = v
		}
		server, err := exec.LookPath(name)
		if err != nil {
			return e, fmt.Errorf("%s: no %s: %w", w.Name, name, err)
		}
		e.Server = server
		// redis-cli beside the server, else on PATH.
		e.CLI = filepath.Join(filepath.Dir(server), "redis-cli")
		if _, err := os.Stat(e.CLI); err != nil {
			if e.CLI, err = exec.LookPath("redis-cli"); err != nil {
				return e, fmt.Errorf("%s: no redis-cli: %w", w.Name, err)
			}
		}
	} else {
		if dirErr != nil {
			return e, fmt.Errorf("%s: %w", w.Name, dirErr)
		}
		bin := filepath.Join(dir, w.Name, "bin")
		e.Server = filepath.Join(bin, w.Kind+"-server")
		e.CLI = filepath.Join(bin, w.Kind+"-cli")
		for _, p := range []string{e.Server, e.CLI} {
			if _, err := os.Stat(p); err != nil {
				return e, fmt.Errorf("%s: %s is missing", w.Name, p)
			}
		}
	}
	kind, v, err := Version(e.Server)
	if err != nil {
		return e, fmt.Errorf("%s: %w", w.Name, err)
	}
	if kind != w.Kind || series(v) != w.Series {
		return e, fmt.Errorf("%s: %s is %s %s, want %s %s.x", w.Name, e.Server, kind, v, w.Kind, w.Series)
	}
	e.Version = v
	return e, nil
}

var versionRE = regexp.MustCompile(`\bv=([0-9][0-9A-Za-z.\-]*)`)

// Version runs `server --version` and returns the engine's kind ("redis"
// or "valkey") and version ("8.0.2").
func Version(server string) (kind, version string, err error) {
	out, err := exec.Command(server, "--version").CombinedOutput()
	if err != nil {
		return "", "", fmt.Errorf("%s --version: %w: %s", server, err, strings.TrimSpace(string(out)))
	}
	return ParseVersion(string(out))
}

// ParseVersion reads the output of `redis-server --version` ("Redis server
// v=7.0.15 sha=...") or `valkey-server --version` ("Valkey server v=8.1.1
// ..."; Valkey 8.0 prints "valkey-check-rdb v=8.0.1" when run under that
// name).
func ParseVersion(out string) (kind, version string, err error) {
	m := versionRE.FindStringSubmatch(out)
	if m == nil {
		return "", "", errors.New("no version (v=...) in the output of --version: " + strings.TrimSpace(out))
	}
	kind = "redis"
	if strings.Contains(strings.ToLower(out), "valkey") {
		kind = "valkey"
	}
	return kind, m[1], nil
}

func series(version string) string {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return version
	}
	return parts[0] + "." + parts[1]
}
