package rdb

import (
	"fmt"
	"strconv"
	"strings"
)

// loaders is the RDB version table: from which release on an engine writes
// and loads which RDB version, up to the last release this table knows
// (through). Rows of an engine are in release order. A release writes the
// newest version it loads.
var loaders = []struct {
	engine                   string // "Redis" or "Valkey"
	major, minor             int    // the first release of the row
	throughMajor, throughMin int    // the last release of the row (minor -1: every minor)
	rdb                      int
}{
	{"Redis", 4, 0, 4, -1, 8},
	{"Redis", 5, 0, 6, -1, 9},
	{"Redis", 7, 0, 7, 1, 10},
	{"Redis", 7, 2, 7, 3, 11},
	{"Redis", 7, 4, 8, 0, 12},
	// Valkey 7.2 to 8.x write and load RDB 11; they refuse Redis' 12 and
	// newer (reserved as foreign formats).
	{"Valkey", 7, 2, 8, -1, 11},
}

// Release is a server release as redisplan writes it in its several
// places: "7.0.15" or "redis 8.0" (Redis), "valkey 8.1.1" (the form
// catalog.ServerVersion gives) or "valkey-8.1" (a spec's redis_version).
// It returns the engine ("Redis" or "Valkey"), major and minor, and false
// when s is not such a release.
func Release(s string) (engine string, major, minor int, ok bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	engine = "Redis"
	if rest, found := strings.CutPrefix(s, "valkey"); found {
		engine, s = "Valkey", rest
	} else if rest, found := strings.CutPrefix(s, "redis"); found {
		s = rest
	}
	s = strings.TrimLeft(s, " -v")
	parts := strings.SplitN(s, ".", 3)
	if len(parts) < 2 {
		return "", 0, 0, false
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return "", 0, 0, false
	}
	return engine, major, minor, true
}

// Loads returns the newest RDB version a server release (in a form
// Release reads) loads, which is also the version it writes. known is
// false for a release this table does not know (older than Redis 4.0,
// newer than Redis 8.0, or not a release): its own load decides.
func Loads(release string) (newest int, known bool) {
	engine, major, minor, ok := Release(release)
	if !ok {
		return 0, false
	}
	for _, r := range loaders {
		if r.engine != engine {
			continue
		}
		from := major > r.major || major == r.major && minor >= r.minor
		through := major < r.throughMajor || major == r.throughMajor && (r.throughMin < 0 || minor <= r.throughMin)
		if from && through {
			return r.rdb, true
		}
	}
	return 0, false
}

// Loaders names, per engine, the first known release that loads RDB
// version v ("Redis 7.2 or newer, Valkey 7.2 or newer"), or "" when no
// release in the table does.
func Loaders(v int) string {
	var out []string
	seen := map[string]bool{}
	for _, r := range loaders {
		if r.rdb < v || seen[r.engine] {
			continue
		}
		seen[r.engine] = true
		out = append(out, fmt.Sprintf("%s %d.%d or newer", r.engine, r.major, r.minor))
	}
	return strings.Join(out, ", ")
}
