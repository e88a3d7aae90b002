package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redisplan/redisplan/executors/server/servertest"
	spechcl "github.com/redisplan/redisplan/hcl"
	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/redisconf"
)

// TestExampleConfigRunsOnRealRedis renders examples/redis.hcl the way
// render -o does, starts a real redis-server on it (port and dir
// overridden by the harness), and checks that the server runs with every
// value the spec asked for.
func TestExampleConfigRunsOnRealRedis(t *testing.T) {
	t.Parallel()
	res, diags := spechcl.Load(spechcl.Options{Path: "../../examples/redis.hcl"})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	target := res.Spec.Target("main")
	cat, err := catalog.For(target.RedisVersion)
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(t.TempDir(), "redis.conf")
	data := redisconf.Render(target, cat, redisconf.RenderOptions{Source: "examples/redis.hcl", Secrets: true})
	if err := os.WriteFile(conf, data, 0o600); err != nil {
		t.Fatal(err)
	}

	srv := servertest.Start(t, servertest.Options{ConfigFile: conf})
	rdb := srv.Client(t)
	ctx := context.Background()
	configCmd := target.ConfigCommand()

	for _, d := range target.Directives {
		reply, err := rdb.Do(ctx, configCmd, "GET", d.Name).Result()
		if err != nil {
			t.Fatalf("%s GET %s: %v", configCmd, d.Name, err)
		}
		// RESP3 answers CONFIG GET with a map, RESP2 with a flat list.
		var live any
		switch r := reply.(type) {
		case map[any]any:
			live = r[d.Name]
		case []any:
			if len(r) == 2 {
				live = r[1]
			}
		}
		value, ok := live.(string)
		if !ok {
			t.Fatalf("%s GET %s: reply %#v", configCmd, d.Name, reply)
		}
		p, _ := cat.Lookup(d.Name)
		got, err := p.Normalize(value)
		if err != nil {
			t.Fatalf("normalize live %s=%q: %v", d.Name, value, err)
		}
		if got != d.Value {
			t.Errorf("live %s = %q, spec asked for %q", d.Name, got, d.Value)
		}
	}

	// The renames took effect: the disabled commands are gone, CONFIG is
	// only reachable under its secret name.
	for _, cmd := range []string{"FLUSHALL", "FLUSHDB", "CONFIG"} {
		err := rdb.Do(ctx, cmd, "x").Err()
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), "unknown command") {
			t.Errorf("%s: err = %v, want unknown command", cmd, err)
		}
	}
}
