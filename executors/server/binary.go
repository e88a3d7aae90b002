package server

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"

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
