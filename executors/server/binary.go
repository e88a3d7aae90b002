package server

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"

	"github.com/redisplan/redisplan/internal/engines"
)

// EnvBinary names the redis-server binary redisplan runs itself (drills,
// tests): a path, or a name looked up in PATH. Without it, redis-server is
// looked up in PATH.
const EnvBinary = "REDISPLAN_REDIS_SERVER"

// Binary finds the redis-server binary that EnvBinary names, or
// redis-server in PATH. The error names what was looked for and how to
// fix it.
func Binary() (string, error) {
	name := "redis-server"
	if v := os.Getenv(EnvBinary); v != "" {
		name = v
	}
	bin, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%q was not found (%v): install redis-server or set %s to its path", name, err, EnvBinary)
	}
	return bin, nil
}

// BinaryFor finds the server binary for data an engine wrote ("redis",
// "valkey", or "" when unknown): the one EnvBinary names, else for
// "valkey" valkey-server in PATH when there is one, else Binary's
// redis-server. A scratch server then loads what that engine writes
// (Redis 7.0 cannot load Valkey 8's RDB version 11).
func BinaryFor(engine string) (string, error) {
	if os.Getenv(EnvBinary) == "" && engine == "valkey" {
		if bin, err := exec.LookPath("valkey-server"); err == nil {
			return bin, nil
		}
	}
	return Binary()
}

// BinaryOf finds a server binary of the release a running server reports
// in its INFO (release in the form Version gives: "7.0.15", "valkey
// 8.1.1"), so that a scratch server behaves as the target does. The one
// EnvBinary names wins when set. Otherwise the first of candidates (the
// executable INFO reports, the binary a spec's start command runs), then
// valkey-server or redis-server in PATH, whose --version prints that
// release; when none does, Binary's with note saying that the scratch
// server is another release than the target's. A release of "" (the
// server could not be read) is Binary's, with a note saying so.
func BinaryOf(ctx context.Context, release string, candidates ...string) (bin, note string, err error) {
	if os.Getenv(EnvBinary) != "" {
		bin, err = Binary()
		return bin, "", err
	}
	if release != "" {
		name := "redis-server"
		if strings.HasPrefix(release, "valkey ") {
			name = "valkey-server"
		}
		if p, err := exec.LookPath(name); err == nil {
			candidates = append(candidates, p)
		}
		for _, c := range candidates {
			if c == "" {
				continue
			}
			if st, err := os.Stat(c); err != nil || st.IsDir() {
				continue
			}
			if v, err := Version(ctx, c); err == nil && v == release {
				return c, "", nil
			}
		}
	}
	bin, err = Binary()
	if err != nil {
		return "", "", err
	}
	if release == "" {
		return bin, fmt.Sprintf("the target's server could not be read, so the scratch server is %s, not necessarily the target's release", bin), nil
	}
	return bin, fmt.Sprintf("no %s binary was found (the executable its INFO reports, the spec's start command, PATH), so the scratch server is %s: set %s to a binary of the target's release", release, bin, EnvBinary), nil
}

// Version asks a server binary for its release: "7.0.15" for Redis, or
// "valkey 8.0.1", which is the form catalog.For takes.
func Version(ctx context.Context, bin string) (string, error) {
	out, err := exec.CommandContext(ctx, bin, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("%s --version: %w", bin, err)
	}
	kind, v, err := engines.ParseVersion(string(out))
	if err != nil {
		return "", fmt.Errorf("%s --version: %w", bin, err)
	}
	if kind == "valkey" {
		return "valkey " + v, nil
	}
	return v, nil
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
// Another process may take it before the server binds it: Start tries
// another port then.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free loopback port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("find a free loopback port: %w", err)
	}
	return port, nil
}

// Found is a server binary a search ran and the release its --version
// printed (in the form Version gives).
type Found struct{ Bin, Release string }

// BinaryRanked finds the server binary whose release rank likes best: the
// one EnvBinary names when set; otherwise, among candidates (the binary a
// target's start command runs) and then names looked up in PATH, the
// first of the highest rank above 0 that rank gives its --version's
// release. bin is "" when none ranks above 0; found lists every binary
// whose release was read, for the caller's message.
func BinaryRanked(ctx context.Context, rank func(release string) int, names []string, candidates ...string) (bin string, found []Found, err error) {
	if os.Getenv(EnvBinary) != "" {
		bin, err = Binary()
		return bin, nil, err
	}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			candidates = append(candidates, p)
		}
	}
	best := 0
	seen := map[string]bool{}
	for _, c := range candidates {
		if c == "" || seen[c] {
			continue
		}
		seen[c] = true
		if st, err := os.Stat(c); err != nil || st.IsDir() {
			continue
		}
		release, err := Version(ctx, c)
		if err != nil {
			continue
		}
		found = append(found, Found{Bin: c, Release: release})
		if r := rank(release); r > best {
			bin, best = c, r
		}
	}
	return bin, found, nil
}
