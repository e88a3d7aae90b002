package catalog

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
