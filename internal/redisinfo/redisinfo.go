// Package redisinfo reads the text of an INFO reply and the lines of its
// keyspace section. It is the one parser of INFO in redisplan: commands
// that ask a server for INFO go through it, whichever package asks.
//
// INFO is "# Section" headers followed by "field:value" lines, separated
// by CRLF (LF is accepted too). Field names are unique across sections on
// Redis and Valkey, so Parse returns one map; Sections keeps the sections
// apart for callers that need to know where a field came from.
package redisinfo

import (
	"strconv"
	"strings"
)

// Parse returns the fields of every section in an INFO reply. Values are
// kept whole: a keyspace line stays db0 -> "keys=1,expires=0,avg_ttl=0",
// a replica line slave0 -> "ip=...,port=...,state=online,...". Section
// headers, blank lines and lines without a colon are skipped.
func Parse(text string) map[string]string {
	out := map[string]string{}
	for line := range strings.Lines(text) {
		if k, v, ok := field(line); ok {
			out[k] = v
		}
	}
	return out
}

// Sections returns the fields of an INFO reply per section, keyed by the
// section's name in lower case ("server", "keyspace"). Fields before the
// first header go under "".
func Sections(text string) map[string]map[string]string {
	out := map[string]map[string]string{}
	section := ""
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\r\n")
		if name, ok := strings.CutPrefix(line, "#"); ok {
			section = strings.ToLower(strings.TrimSpace(name))
			if out[section] == nil {
				out[section] = map[string]string{}
			}
			continue
		}
		if k, v, ok := field(line); ok {
			if out[section] == nil {
				out[section] = map[string]string{}
			}
			out[section][k] = v
		}
	}
	return out
}

// field splits one "key:value" line.
func field(line string) (key, value string, ok bool) {
	line = strings.TrimRight(line, "\r\n")
	if line == "" || strings.HasPrefix(line, "#") {
		return "", "", false
	}
	return strings.Cut(line, ":")
}

// Int returns a field as an integer; ok is false when the field is
// missing or not a number.
func Int(fields map[string]string, key string) (n int64, ok bool) {
	n, err := strconv.ParseInt(fields[key], 10, 64)
	return n, err == nil
}

// Values splits a value made of "name=value" pairs, as in the keyspace,
// replica and commandstats lines: "keys=1,expires=0,avg_ttl=0".
func Values(value string) map[string]string {
	out := map[string]string{}
	for _, pair := range strings.Split(value, ",") {
		if k, v, ok := strings.Cut(pair, "="); ok {
			out[k] = v
		}
	}
	return out
}

// DB is one database's line of INFO keyspace. Its JSON form is the one
// backup manifests record.
type DB struct {
	Keys    int64 `json:"keys"`
	Expires int64 `json:"expires"`
}

// Keyspace reads the keyspace lines ("db0:keys=1,expires=0,avg_ttl=0")
// among fields, as Parse returns them. Databases without keys do not
// appear in INFO, so they are not in the map.
func Keyspace(fields map[string]string) map[int]DB {
	out := map[int]DB{}
	for k, v := range fields {
		rest, ok := strings.CutPrefix(k, "db")
		if !ok {
			continue
		}
		db, err := strconv.Atoi(rest)
		if err != nil || db < 0 {
			continue
		}
		vals := Values(v)
		var s DB
		s.Keys, _ = strconv.ParseInt(vals["keys"], 10, 64)
		s.Expires, _ = strconv.ParseInt(vals["expires"], 10, 64)
		out[db] = s
	}
	return out
}
