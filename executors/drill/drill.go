// Package drill measures the recovery objectives a spec promises.
//
// RPO crashes a scratch redis-server, configured with the target's
// persistence directives, while a client writes to it, restarts it from
// its own files and counts the acknowledged writes that did not come
// back. RTO times the proof that a backup restores: verification, then a
// restore into a scratch server until it answers, then the key comparison.
//
// A drill never touches a target: every server it runs is its own, on a
// free loopback port in a temporary directory, and is killed (and its
// directory removed) before the drill returns, whether it succeeded or
// not. Nothing here prints: progress goes to the Emit callbacks, and
// JudgeRPO and JudgeRTO compare figures with an objective without I/O.
package drill

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"

	"github.com/redisplan/redisplan/executors/restore"
)

// EnvRedisServer names the redis-server binary the drills run: a path, or
// a name looked up in PATH. Without it, they run redis-server from PATH.
const EnvRedisServer = restore.EnvRedisServer

// serverBinary finds the redis-server binary.
func serverBinary() (string, error) {
	name := "redis-server"
	if v := os.Getenv(EnvRedisServer); v != "" {
		name = v
	}
	bin, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("a drill runs a scratch redis-server, and %q was not found (%v): install redis-server "+
			"or set %s to its path", name, err, EnvRedisServer)
	}
	return bin, nil
}

var versionRE = regexp.MustCompile(`^(\w+) server v=([0-9][0-9A-Za-z.\-]*)`)

// binaryVersion asks a server binary for its release: "7.0.15", or
// "valkey 8.0.1", which is the form catalog.For takes.
func binaryVersion(ctx context.Context, bin string) (string, error) {
	out, err := exec.CommandContext(ctx, bin, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("%s --version: %w", bin, err)
	}
	m := versionRE.FindStringSubmatch(strings.TrimSpace(string(out)))
	if m == nil {
		return "", fmt.Errorf("%s --version printed no version: %q", bin, out)
	}
	if strings.EqualFold(m[1], "valkey") {
		return "valkey " + m[2], nil
	}
	return m[2], nil
}
