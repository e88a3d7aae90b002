package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/redisplan/redisplan/executors/server"
)

// cmdRedis is the scripts' "redis start NAME [directive...]": it starts a
// real redis-server for the script on a free loopback port, in
// $WORK/NAME, from a config file the script can manage, and kills it by
// PID when the script ends. It sets NAME_PORT, NAME_ADDR, NAME_CONF and
// NAME_DIR. Extra arguments are appended to the config file as lines.
func cmdRedis(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || args[0] != "start" {
		ts.Fatalf("usage: redis start NAME [config line...]")
	}
	bin, err := server.Binary()
	if err != nil {
		ts.Fatalf("redis-server is not installed (%v): install it with 'apt-get install redis-server' (or set REDISPLAN_REDIS_SERVER), or set REDISPLAN_SKIP_REDIS=1 to skip these tests on purpose", err)
	}
	name := args[1]
	dir := filepath.Join(ts.Getenv("WORK"), name)
	ts.Check(os.MkdirAll(dir, 0o755))
	conf := filepath.Join(dir, "redis.conf")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	srv, err := server.Start(ctx, server.Spec{
		Bin: bin, Dir: dir, LogFile: filepath.Join(dir, "redis.log"),
		Args: func(port int) ([]string, error) {
			lines := []string{
				"# A hand-written config, as redisplan finds it.",
				"port " + strconv.Itoa(port),
				"bind 127.0.0.1",
				"dir " + dir,
				"logfile " + filepath.Join(dir, "redis.log"),
				`save ""`,
			}
			lines = append(lines, args[2:]...)
			return []string{conf}, os.WriteFile(conf, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
		},
	})
	if err != nil {
		ts.Fatalf("redis start %s: %v", name, err)
	}
	ts.Defer(func() { _ = srv.Kill() })
	ts.Setenv(name+"_PORT", strconv.Itoa(srv.Port()))
	ts.Setenv(name+"_ADDR", srv.Addr())
	ts.Setenv(name+"_CONF", conf)
	ts.Setenv(name+"_DIR", dir)
}
