package pitr

import (
	"context"
	"fmt"
	"strings"

	"github.com/redisplan/redisplan/executors/server"
	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/rdb"
)

// ScratchBinary finds the binary of the replay's scratch server: of the
// base's engine ("redis", "valkey", or "" when unknown: any engine) and a
// release that loads its RDB version v (0 when unknown: any release), so
// that the replay runs as the engine that wrote the base does. The one
// REDISPLAN_REDIS_SERVER names wins when set. Otherwise the first of
// candidates (the binary a target's start command runs), then
// valkey-server or redis-server in PATH, whose --version prints such a
// release: one rdb.Loads knows first, then one newer than it knows. When
// none does, the error names the engine and the releases needed, what was
// found, and REDISPLAN_REDIS_SERVER.
func ScratchBinary(ctx context.Context, engine string, v int, candidates ...string) (string, error) {
	names := []string{"redis-server", "valkey-server"}
	if engine == "valkey" {
		names = []string{"valkey-server", "redis-server"}
	}
	rank := func(release string) int {
		kind, _, _, ok := rdb.Release(release)
		if !ok || engine != "" && !strings.EqualFold(kind, engine) {
			return 0
		}
		newest, known := rdb.Loads(release)
		switch {
		case known && newest >= v:
			return 2
		case !known:
			return 1 // newer than the table knows: its own load decides
		}
		return 0
	}
	bin, found, err := server.BinaryRanked(ctx, rank, names, candidates...)
	if err != nil || bin != "" {
		return bin, err
	}
	need := "a server binary"
	switch engine {
	case "valkey":
		need = "a valkey-server"
	case "redis":
		need = "a redis-server of Redis"
	}
	if v > 0 {
		loads := rdb.Loaders(v)
		if engine != "" {
			for _, l := range strings.Split(loads, ", ") {
				if strings.HasPrefix(strings.ToLower(l), engine+" ") {
					loads = l
				}
			}
		}
		if loads == "" {
			loads = "a release newer than any redisplan knows"
		}
		need += fmt.Sprintf(" that loads RDB version %d (%s)", v, loads)
	}
	saw := "none was found (the target's start command, valkey-server and redis-server in PATH)"
	if len(found) > 0 {
		var list []string
		for _, f := range found {
			list = append(list, f.Bin+" is "+catalog.ServerLabel(f.Release))
		}
		saw = "found only " + strings.Join(list, ", ")
	}
	return "", fmt.Errorf("it needs %s: %s; install one, name it in the target's service start command, or set %s to its path", need, saw, server.EnvBinary)
}
