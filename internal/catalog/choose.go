package catalog

import (
	"fmt"
	"strings"
)

// ServerVersion is the release a server reports in its INFO fields, in the
// form For takes: "7.0.15" for Redis, "valkey 8.0.1" for Valkey 8 and
// newer. Valkey (server_name:valkey) reports redis_version 7.2.4 for compatibility and its own
// release as valkey_version; a Valkey without valkey_version (7.2) is
// Redis 7.2 compatible and gives its redis_version. It returns "" when
// the fields say nothing.
func ServerVersion(info map[string]string) string {
	if v := info["valkey_version"]; v != "" {
		return "valkey " + v
	}
	return info["redis_version"]
}

// ServerLabel names a release in the form ServerVersion gives as people
// say it: "Redis 7.0.15", "Valkey 8.1.1". An empty release is "Redis ?".
func ServerLabel(release string) string {
	if v, ok := strings.CutPrefix(release, "valkey "); ok {
		return "Valkey " + v
	}
	if release == "" {
		release = "?"
	}
	return "Redis " + release
}

// Choose is the one rule that picks the catalog for a target: the catalog
// of the release the live server reports in INFO (redis_version,
// valkey_version, server_name), else the release the spec declares
// (redis_version in the spec, "" when it declares none), else the oldest
// catalog. It never returns nil. Plan records the version of the catalog
// it chose (Catalog.Version) and apply uses that one.
func Choose(info map[string]string, declared string) *Catalog {
	for _, v := range []string{ServerVersion(info), declared} {
		if v == "" {
			continue
		}
		if c, err := For(v); err == nil {
			return c
		}
	}
	if c, err := load(releases[0]); err == nil {
		return c
	}
	// Only a damaged build gets here: the embedded data is checked by
	// the package's tests. An empty catalog makes every directive unknown.
	return &Catalog{version: releases[0].version, byName: map[string]*Param{}}
}

// Label names the catalog's release as people say it: "Redis 7.4",
// "Valkey 8.1".
func (c *Catalog) Label() string {
	if v, ok := strings.CutPrefix(c.version, "valkey-"); ok {
		return "Valkey " + v
	}
	return "Redis " + c.version
}

// Where returns the labels of the releases whose catalog knows name, as a
// primary name or an alias, oldest first ("Redis 8.0", "Valkey 8.1").
func Where(name string) []string {
	var out []string
	for _, r := range releases {
		c, err := load(r)
		if err != nil {
			continue
		}
		if _, ok := c.Lookup(name); ok {
			out = append(out, c.Label())
		}
	}
	return out
}

// Knowing returns the oldest catalog (in the order of Versions) that knows
// name, as a primary name or an alias, and nil when none does. A spec
// that declares no redis_version has its directives typed by it when the
// default catalog lacks them; plan checks them again against the
// server's own catalog.
func Knowing(name string) *Catalog {
	for _, r := range releases {
		c, err := load(r)
		if err != nil {
			continue
		}
		if _, ok := c.Lookup(name); ok {
			return c
		}
	}
	return nil
}

// Absent says why a spec's directive is not in catalog c, for an error:
// "Valkey 8.1 has no configuration directive named "x"", followed by the
// releases that have it, or by a close name of c.
func Absent(c *Catalog, name string) string {
	msg := fmt.Sprintf("%s has no configuration directive named %q.", c.Label(), name)
	if have := Have(name); have != "" {
		return msg + " " + have + ": check the server's release, or the spec's redis_version."
	}
	if s := c.Suggest(name); s != "" {
		msg += fmt.Sprintf(" Did you mean %q?", s)
	}
	return msg
}

// Have says which releases know name: "Redis 8.0 has it", "Valkey 8.0
// and Valkey 8.1 have it", or "" when none does.
func Have(name string) string {
	where := Where(name)
	switch len(where) {
	case 0:
		return ""
	case 1:
		return where[0] + " has it"
	}
	return strings.Join(where[:len(where)-1], ", ") + " and " + where[len(where)-1] + " have it"
}
