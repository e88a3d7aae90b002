package lint

import (
	"fmt"
	"net"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/model"
)

// config is what a target's server runs with as far as the spec can tell:
// the managed directives, and Redis's own defaults (from the catalog of the
// target's version) for the directives the spec leaves alone.
type config struct {
	t        *model.Target
	defaults map[string]string
}

// ruleDirectives are the directives whose defaults the rules read.
var ruleDirectives = []string{"appenddirname", "appendfsync", "appendonly", "bind", "maxmemory-policy", "protected-mode", "save"}

// catalogDefaults maps each catalog version to the defaults of
// ruleDirectives. It is computed once from the embedded catalogs, so that
// the rules do not parse a catalog per target, and never changes.
var catalogDefaults = sync.OnceValue(func() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, v := range catalog.Versions() {
		if cat, err := catalog.For(v); err == nil {
			out[v] = defaultsOf(cat)
		}
	}
	return out
})

func defaultsOf(cat *catalog.Catalog) map[string]string {
	m := map[string]string{}
	for _, name := range ruleDirectives {
		if p, ok := cat.Lookup(name); ok {
			m[name] = p.Default
		}
	}
	return m
}

// configOf reads the defaults of the target's catalog version; a release
// number ("7.2.4") goes through the catalog's own resolution, and an
// unknown version falls back to 7.0 as the spec loader does.
func configOf(t *model.Target) config {
	all := catalogDefaults()
	if d, ok := all[t.RedisVersion]; ok {
		return config{t: t, defaults: d}
	}
	if cat, err := catalog.For(t.RedisVersion); err == nil {
		if d, ok := all[cat.Version()]; ok {
			return config{t: t, defaults: d}
		}
		return config{t: t, defaults: defaultsOf(cat)}
	}
	return config{t: t, defaults: all["7.0"]}
}

// value returns the directive's value and the directive itself when the
// spec manages it; otherwise Redis's default and nil.
func (c config) value(name string) (string, *model.Directive) {
	if d := c.t.Directive(name); d != nil {
		return d.Value, d
	}
	return c.defaults[name], nil
}

// aof reports whether the append-only file is on.
func (c config) aof() bool {
	v, _ := c.value("appendonly")
	return v == "yes"
}

// saveIntervals returns the seconds of each save point, in spec order; none
// when snapshots are off.
func (c config) saveIntervals() []time.Duration {
	v, _ := c.value("save")
	var out []time.Duration
	for _, p := range catalog.SavePairs(v) {
		n, err := strconv.ParseInt(p[0], 10, 64)
		if err != nil {
			continue
		}
		out = append(out, time.Duration(n)*time.Second)
	}
	return out
}

// persistent reports whether the server writes its data to disk at all.
func (c config) persistent() bool {
	return c.aof() || len(c.saveIntervals()) > 0
}

// dataDir is the server's working directory as the spec states it
// (data_dir, else the dir directive), or "" when the spec does not say.
func (c config) dataDir() string {
	if c.t.DataDir != "" {
		return c.t.DataDir
	}
	if d := c.t.Directive("dir"); d != nil {
		return d.Value
	}
	return ""
}

// authenticated reports whether clients must authenticate: the default
// user has a password (requirepass, or a connection password, which
// redisplan itself could only use if the server asked for one), or the
// spec connects as an ACL user.
func (c config) authenticated() bool {
	if d := c.t.Directive("requirepass"); d != nil && d.Value != "" {
		return true
	}
	return c.t.Connection.Username != "" || c.t.Connection.Password != ""
}

// publicAddresses returns the bind addresses that are not loopback. An
// optional address ("-::1") counts as the address it names.
func publicAddresses(bind string) []string {
	var out []string
	for _, a := range strings.Fields(bind) {
		if !isLoopback(strings.TrimPrefix(a, "-")) {
			out = append(out, a)
		}
	}
	return out
}

func isLoopback(addr string) bool {
	if strings.EqualFold(addr, "localhost") {
		return true
	}
	ip := net.ParseIP(addr)
	return ip != nil && ip.IsLoopback()
}

// within reports whether path p is dir or lies below it. Both must be
// absolute: relative paths are relative to different working directories
// and cannot be compared.
func within(p, dir string) bool {
	if !path.IsAbs(p) || !path.IsAbs(dir) {
		return false
	}
	p, dir = path.Clean(p), path.Clean(dir)
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}

// at returns the first position that names a file: the most precise place
// a caller has, falling back to broader ones.
func at(ps ...model.Pos) model.Pos {
	for _, p := range ps {
		if p.Filename != "" {
			return p
		}
	}
	return model.Pos{}
}

// posOf is the position of a directive, or nothing for an unmanaged one.
func posOf(d *model.Directive) model.Pos {
	if d == nil {
		return model.Pos{}
	}
	return d.Pos
}

// assign writes the spec line that sets a directive to value, in the form
// the directive was written: a modelled attribute (protected_mode = true)
// or a settings entry.
func assign(d *model.Directive, value string) string {
	if d == nil || d.Origin == "" || strings.HasPrefix(d.Origin, "settings[") {
		name := "?"
		if d != nil {
			name = d.Name
		}
		return fmt.Sprintf("settings = { %q = %s }", name, value)
	}
	attr := d.Origin[strings.LastIndex(d.Origin, ".")+1:]
	return attr + " = " + value
}
