package drill

import (
	"bytes"
	"strings"

	"github.com/redisplan/redisplan/executors/server"
	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/redisconf"
)

// persistenceDirectives are the directives that decide what survives a
// crash, and under which file names. Every other directive of the target
// (memory, security, rename-command, requirepass, networking) stays out of
// the scratch server: it would change nothing about durability, and some
// of it (a renamed CONFIG, a password) would only get in the drill's way.
var persistenceDirectives = map[string]bool{
	"appendonly":                    true,
	"appendfsync":                   true,
	"appendfilename":                true,
	"appenddirname":                 true,
	"aof-use-rdb-preamble":          true,
	"aof-load-truncated":            true,
	"aof-timestamp-enabled":         true,
	"aof-rewrite-incremental-fsync": true,
	"no-appendfsync-on-rewrite":     true,
	"save":                          true,
	"dbfilename":                    true,
	"rdbcompression":                true,
	"rdbchecksum":                   true,
	"rdb-save-incremental-fsync":    true,
	"stop-writes-on-bgsave-error":   true,
}

// isPersistence reports whether a directive belongs in the scratch
// server's config: one of persistenceDirectives or an auto-aof-rewrite-*
// threshold.
func isPersistence(name string) bool {
	return persistenceDirectives[name] || strings.HasPrefix(name, "auto-aof-rewrite-")
}

// persistenceOnly returns a copy of the target that keeps only its
// persistence directives and no rename-command lines.
func persistenceOnly(t *model.Target) *model.Target {
	c := *t
	c.Renames = nil
	c.Directives = nil
	for _, d := range t.Directives {
		if isPersistence(d.Name) {
			c.Directives = append(c.Directives, d)
		}
	}
	return &c
}

// scratchConfig returns the redis.conf of a scratch server: the target's
// persistence directives exactly as redisconf.Render writes them, then the
// lines the drill needs (they come last, so they win). A persistence
// directive the spec leaves out keeps Redis' default, as it would on a
// server whose config file does not set it.
func scratchConfig(t *model.Target, cat *catalog.Catalog, port int, dir, logfile string) []byte {
	var b bytes.Buffer
	b.Write(redisconf.Render(persistenceOnly(t), cat, redisconf.RenderOptions{Source: "the spec, for a redisplan RPO drill"}))
	b.WriteString("\n# The drill's scratch server: its own port and directory.\n")
	for _, line := range server.LoopbackLines(port, dir, logfile) {
		b.WriteString(line + "\n")
	}
	return b.Bytes()
}
