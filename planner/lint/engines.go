package lint

import (
	"fmt"
	"path"
	"strings"

	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/rdb"
	"github.com/redisplan/redisplan/internal/s3url"
)

// RP015: a backup destination shared by targets whose engines cannot load
// each other's backups. A target's engine is the release its spec declares
// (redis_version); targets that declare none are not compared, since the
// default catalog says nothing about their server.
func checkSharedDestination(spec *model.Spec) []model.Finding {
	var out []model.Finding
	seen := map[string][]*model.Target{}
	var order []string
	for _, t := range spec.Targets {
		if t.Backup == nil || t.Backup.Destination == "" || !t.VersionDeclared {
			continue
		}
		if _, known := rdb.Loads(t.RedisVersion); !known {
			continue
		}
		d := sameDestination(t.Backup.Destination)
		if _, ok := seen[d]; !ok {
			order = append(order, d)
		}
		seen[d] = append(seen[d], t)
	}
	for _, d := range order {
		ts := seen[d]
		for j := 1; j < len(ts); j++ {
			for i := 0; i < j; i++ {
				if f, ok := unloadable(ts[i], ts[j]); ok {
					out = append(out, f)
				}
			}
		}
	}
	return out
}

// sameDestination is the form in which two destinations that are the same
// place compare equal.
func sameDestination(d string) string {
	if s3url.Is(d) {
		return strings.TrimRight(d, "/")
	}
	return path.Clean(d)
}

// unloadable judges two targets that share a destination: a finding on b
// when either cannot load the RDB version the other's engine writes.
func unloadable(a, b *model.Target) (model.Finding, bool) {
	var why, fixes []string
	for _, p := range [][2]*model.Target{{a, b}, {b, a}} {
		writer, loader := p[0], p[1]
		writes, _ := rdb.Loads(writer.RedisVersion)
		loads, _ := rdb.Loads(loader.RedisVersion)
		if writes <= loads {
			continue
		}
		why = append(why, fmt.Sprintf("%q cannot load the backups of %q (%s writes RDB version %d, %s loads up to version %d)",
			loader.Name, writer.Name, releaseLabel(writer), writes, releaseLabel(loader), loads))
		to := rdb.Loaders(writes)
		if to == "" {
			to = "a release at least as new as " + releaseLabel(writer)
		}
		fixes = append(fixes, fmt.Sprintf("a backup of %q restores only into %s", writer.Name, to))
	}
	if len(why) == 0 {
		return model.Finding{}, false
	}
	return model.Finding{
		Target: b.Name,
		Message: fmt.Sprintf("targets %q (%s) and %q (%s) share the backup destination %s, but %s",
			a.Name, releaseLabel(a), b.Name, releaseLabel(b), b.Backup.Destination, strings.Join(why, ", and ")),
		Pos: at(b.Backup.Pos, b.Pos),
		Fix: fmt.Sprintf("%s: before moving a backup between them, upgrade the server that restores it; or give the engines destinations of their own",
			strings.Join(fixes, ", and ")),
	}, true
}

// releaseLabel names the release a target declares: "Redis 7.0",
// "Valkey 8.1".
func releaseLabel(t *model.Target) string {
	if c, err := catalog.For(t.RedisVersion); err == nil {
		return c.Label()
	}
	return t.RedisVersion
}
