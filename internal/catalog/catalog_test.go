package catalog

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/redisplan/redisplan/internal/model"
)

func mustFor(t *testing.T, version string) *Catalog {
	t.Helper()
	c, err := For(version)
	if err != nil {
		t.Fatalf("For(%q): %v", version, err)
	}
	return c
}

func mustLookup(t *testing.T, c *Catalog, name string) *Param {
	t.Helper()
	p, ok := c.Lookup(name)
	if !ok {
		t.Fatalf("%s: Lookup(%q) found nothing", c.Version(), name)
	}
	return p
}

// configParams returns the parameters CONFIG GET knows: everything except
// file-only and deprecated-ignored entries.
func configParams(c *Catalog) []*Param {
	var out []*Param
	for _, p := range c.Params() {
		if p.Type != TypeFileOnly && p.Type != TypeDeprecatedIgnored {
			out = append(out, p)
		}
	}
	return out
}

func namesWhere(c *Catalog, keep func(*Param) bool) []string {
	var out []string
	for _, p := range configParams(c) {
		if keep(p) {
			out = append(out, p.Name)
		}
	}
	sort.Strings(out)
	return out
}

func sorted(s string) []string {
	f := strings.Fields(s)
	sort.Strings(f)
	return f
}

func TestVersions(t *testing.T) {
	want := []string{"7.0", "7.2", "7.4", "8.0", "valkey-8.0", "valkey-8.1"}
	if got := Versions(); !slices.Equal(got, want) {
		t.Fatalf("Versions() = %q, want %q", got, want)
	}
	Versions()[0] = "changed"
	if Versions()[0] != "7.0" {
		t.Fatal("Versions() shares its slice with the caller")
	}
}

func TestEveryCatalogLoads(t *testing.T) {
	for _, v := range Versions() {
		t.Run(v, func(t *testing.T) {
			c := mustFor(t, v)
			if c.Version() != v {
				t.Errorf("Version() = %q, want %q", c.Version(), v)
			}
			params := c.Params()
			if len(params) < 150 {
				t.Fatalf("only %d params", len(params))
			}
			if !slices.IsSortedFunc(params, func(a, b *Param) int { return strings.Compare(a.Name, b.Name) }) {
				t.Error("Params() is not sorted by name")
			}
			for _, p := range params {
				if !p.Type.valid() {
					t.Errorf("%s: invalid type %q", p.Name, p.Type)
				}
				if got := mustLookup(t, c, p.Name); got != p {
					t.Errorf("Lookup(%q) returned %q", p.Name, got.Name)
				}
				if got := mustLookup(t, c, strings.ToUpper(p.Name)); got != p {
					t.Errorf("Lookup(%q) returned %q", strings.ToUpper(p.Name), got.Name)
				}
				if p.Alias != "" {
					if got := mustLookup(t, c, p.Alias); got != p {
						t.Errorf("Lookup(alias %q) returned %q, want %q", p.Alias, got.Name, p.Name)
					}
				}
				numeric := p.Type == TypeInteger || p.Type == TypeMemory || p.Type == TypeMemoryOrPercent || p.Type == TypeOctal
				if numeric != (p.Min != nil && p.Max != nil) {
					t.Errorf("%s (%s): Min %v Max %v", p.Name, p.Type, p.Min, p.Max)
				}
				enum := p.Type == TypeBool || p.Type == TypeEnum || p.Type == TypeEnumMulti
				if enum != (len(p.Allowed) > 0) {
					t.Errorf("%s (%s): Allowed %q", p.Name, p.Type, p.Allowed)
				}
				if p.Immutable != p.HasFlag("IMMUTABLE") && p.Type != TypeFileOnly && p.Type != TypeDeprecatedIgnored {
					t.Errorf("%s: Immutable %v but flags %q", p.Name, p.Immutable, p.Flags)
				}
			}
			if _, ok := c.Lookup("<module>.<name>"); ok {
				t.Error("the module directive row became a catalog entry")
			}
			if got := c.Params(); &got[0] == &params[0] {
				t.Error("Params() shares its slice with the caller")
			}
		})
	}
}

// TestCounts checks the numbers in NOTES.md sections 1.1 and 8.
func TestCounts(t *testing.T) {
	tests := []struct {
		version                      string
		total, modifiable, immutable int
		aliases                      int
		// removed are the deprecated-ignored entries beyond the three
		// every release has.
		removed string
	}{
		{"7.0", 178, 146, 32, 19, ""},
		{"7.2", 185, 151, 34, 19, ""},
		{"7.4", 188, 154, 34, 23, ""},
		{"valkey-8.0", 200, 164, 36, 25, ""},
		{"8.0", 190, 157, 33, 23, "io-threads-do-reads"},
		{"valkey-8.1", 212, 175, 37, 27, "io-threads-do-reads dynamic-hz"},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			c := mustFor(t, tt.version)
			params := configParams(c)
			if len(params) != tt.total {
				t.Errorf("%d parameters, want %d", len(params), tt.total)
			}
			immutable := namesWhere(c, func(p *Param) bool { return p.Immutable })
			if len(immutable) != tt.immutable || len(params)-len(immutable) != tt.modifiable {
				t.Errorf("%d immutable and %d modifiable, want %d and %d",
					len(immutable), len(params)-len(immutable), tt.immutable, tt.modifiable)
			}
			aliases := 0
			for _, p := range c.Params() {
				if p.Alias != "" {
					aliases++
				}
			}
			if aliases != tt.aliases {
				t.Errorf("%d aliases, want %d", aliases, tt.aliases)
			}
			var fileOnly, removed []string
			for _, p := range c.Params() {
				switch p.Type {
				case TypeFileOnly:
					fileOnly = append(fileOnly, p.Name)
				case TypeDeprecatedIgnored:
					removed = append(removed, p.Name)
				}
			}
			if want := sorted("include rename-command user loadmodule sentinel"); !slices.Equal(fileOnly, want) {
				t.Errorf("file-only entries %q, want %q", fileOnly, want)
			}
			if want := sorted("list-max-ziplist-entries list-max-ziplist-value lua-replicate-commands " + tt.removed); !slices.Equal(removed, want) {
				t.Errorf("deprecated-ignored entries %q, want %q", removed, want)
			}
		})
	}
}

func TestCounts70ByType(t *testing.T) {
	c := mustFor(t, "7.0")
	count := map[string]int{}
	for _, p := range configParams(c) {
		switch p.Type {
		case TypeEnum, TypeEnumMulti:
			count["enum"]++
		case TypeInteger, TypeMemory, TypeMemoryOrPercent, TypeOctal:
			count["numeric"]++
		default:
			count[string(p.Type)]++
		}
	}
	want := map[string]int{"bool": 50, "string": 32, "sds": 2, "enum": 17, "numeric": 69, "special": 8}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%d %s parameters, want %d", count[k], k, n)
		}
	}
	if len(count) != len(want) {
		t.Errorf("types %v, want %v", count, want)
	}
}

func TestFlags70(t *testing.T) {
	c := mustFor(t, "7.0")
	tests := []struct {
		what string
		keep func(*Param) bool
		want string
	}{
		{"IMMUTABLE", func(p *Param) bool { return p.Immutable },
			"rdbchecksum daemonize io-threads-do-reads always-show-logo set-proc-title syslog-enabled cluster-enabled " +
				"disable-thp aclfile unixsocket pidfile cluster-config-file syslog-ident appendfilename appenddirname " +
				"server_cpulist bio_cpulist aof_rewrite_cpulist bgsave_cpulist logfile supervised syslog-facility " +
				"enable-protected-configs enable-debug-command enable-module-command databases io-threads tcp-backlog " +
				"cluster-port unixsocketperm socket-mark-id replicaof"},
		{"HIDDEN", (*Param).Hidden,
			"use-exit-on-panic rdb-key-save-delay key-load-delay watchdog-period loading-process-events-interval-bytes"},
		{"SENSITIVE", (*Param).Sensitive, "masteruser masterauth requirepass"},
		{"DENY_LOADING", func(p *Param) bool { return p.HasFlag("DENY_LOADING") }, "appendonly repl-diskless-load dir"},
		{"MULTI_ARG", func(p *Param) bool { return p.HasFlag("MULTI_ARG") },
			"shutdown-on-sigint shutdown-on-sigterm save client-output-buffer-limit oom-score-adj-values bind replicaof " +
				"latency-tracking-info-percentiles"},
		{"PROTECTED", func(p *Param) bool { return p.Mode() == model.Protected }, "dir dbfilename"},
		{"VOLATILE", func(p *Param) bool { return p.HasFlag("VOLATILE") },
			"tls-cert-file tls-key-file tls-client-cert-file tls-client-key-file tls-dh-params-file tls-ca-cert-file tls-ca-cert-dir"},
	}
	for _, tt := range tests {
		got := namesWhere(c, tt.keep)
		if want := sorted(tt.want); !slices.Equal(got, want) {
			t.Errorf("%s = %q\nwant %q", tt.what, got, want)
		}
	}
}

func TestAliases(t *testing.T) {
	tests := []struct {
		version, alias, primary string
	}{
		{"7.0", "slaveof", "replicaof"},
		{"7.0", "SLAVEOF", "replicaof"},
		{"7.0", "hash-max-ziplist-entries", "hash-max-listpack-entries"},
		{"7.0", "lua-time-limit", "busy-reply-threshold"},
		{"7.0", "slave-priority", "replica-priority"},
		{"7.0", "min-slaves-to-write", "min-replicas-to-write"},
		{"7.0", "list-max-ziplist-size", "list-max-listpack-size"},
		{"7.4", "server_cpulist", "server-cpulist"},
		{"7.4", "bgsave_cpulist", "bgsave-cpulist"},
		{"valkey-8.0", "masterauth", "primaryauth"},
		{"valkey-8.0", "masteruser", "primaryuser"},
		{"valkey-8.0", "slaveof", "replicaof"},
		{"valkey-8.1", "masterauth", "primaryauth"},
		{"valkey-8.1", "slowlog-log-slower-than", "commandlog-execution-slower-than"},
		{"valkey-8.1", "slowlog-max-len", "commandlog-slow-execution-max-len"},
	}
	for _, tt := range tests {
		c := mustFor(t, tt.version)
		if p := mustLookup(t, c, tt.alias); p.Name != tt.primary {
			t.Errorf("%s: Lookup(%q) = %q, want %q", tt.version, tt.alias, p.Name, tt.primary)
		}
	}
	// In 7.0 the cpulist names with underscores are primary names.
	if p := mustLookup(t, mustFor(t, "7.0"), "server_cpulist"); p.Name != "server_cpulist" || p.Alias != "" {
		t.Errorf("7.0 server_cpulist = %+v", p)
	}
	if _, ok := mustFor(t, "7.0").Lookup("server-cpulist"); ok {
		t.Error("7.0 knows server-cpulist, which came with 7.4")
	}
}

func TestVersionSpecificNames(t *testing.T) {
	tests := []struct {
		name    string
		present []string
		absent  []string
	}{
		{"locale-collate", []string{"7.2", "7.4", "valkey-8.0"}, []string{"7.0"}},
		{"set-max-listpack-entries", []string{"7.2", "7.4", "valkey-8.0"}, []string{"7.0"}},
		{"hide-user-data-from-log", []string{"7.4", "valkey-8.0"}, []string{"7.0", "7.2"}},
		{"max-new-connections-per-cycle", []string{"7.4", "valkey-8.0"}, []string{"7.0", "7.2"}},
		{"primaryauth", []string{"valkey-8.0"}, []string{"7.0", "7.2", "7.4"}},
		{"availability-zone", []string{"valkey-8.0"}, []string{"7.0", "7.2", "7.4"}},
		{"maxmemory", []string{"7.0", "7.2", "7.4", "8.0", "valkey-8.0", "valkey-8.1"}, nil},
		{"repl-rdb-channel", []string{"8.0"}, []string{"7.4", "valkey-8.0", "valkey-8.1"}},
		{"replica-full-sync-buffer-limit", []string{"8.0"}, []string{"7.4", "valkey-8.1"}},
		{"dual-channel-replication-enabled", []string{"valkey-8.0", "valkey-8.1"}, []string{"7.4", "8.0"}},
		{"rdb-version-check", []string{"valkey-8.1"}, []string{"valkey-8.0", "8.0"}},
		{"commandlog-reply-larger-than", []string{"valkey-8.1"}, []string{"valkey-8.0", "8.0"}},
	}
	for _, tt := range tests {
		for _, v := range tt.present {
			if _, ok := mustFor(t, v).Lookup(tt.name); !ok {
				t.Errorf("%s: %s is missing", v, tt.name)
			}
		}
		for _, v := range tt.absent {
			if _, ok := mustFor(t, v).Lookup(tt.name); ok {
				t.Errorf("%s: %s should not exist", v, tt.name)
			}
		}
	}
	if p := mustLookup(t, mustFor(t, "valkey-8.0"), "primaryauth"); p.Alias != "masterauth" || !p.Sensitive() {
		t.Errorf("valkey primaryauth = %+v", p)
	}
}

func TestVersionSpecificValues(t *testing.T) {
	tests := []struct {
		version, name, field, want string
	}{
		{"7.0", "maxmemory-samples", "max", "2147483647"},
		{"7.4", "maxmemory-samples", "max", "64"},
		{"valkey-8.0", "repl-backlog-size", "default", "10485760"},
		{"7.4", "repl-backlog-size", "default", "1048576"},
		{"valkey-8.0", "syslog-ident", "default", "valkey"},
		{"valkey-8.0", "lazyfree-lazy-eviction", "default", "yes"},
		{"7.0", "loglevel", "allowed", "debug verbose notice warning"},
		{"7.2", "loglevel", "allowed", "debug verbose notice warning nothing"},
	}
	for _, tt := range tests {
		p := mustLookup(t, mustFor(t, tt.version), tt.name)
		var got string
		switch tt.field {
		case "max":
			got = p.Max.String()
		case "default":
			got = p.Default
		case "allowed":
			got = strings.Join(p.Allowed, " ")
		}
		if got != tt.want {
			t.Errorf("%s %s %s = %q, want %q", tt.version, tt.name, tt.field, got, tt.want)
		}
	}
	if _, err := mustLookup(t, mustFor(t, "7.0"), "loglevel").Normalize("nothing"); err == nil {
		t.Error("7.0 accepts loglevel nothing")
	}
}

func TestSensitive(t *testing.T) {
	tests := []struct {
		version string
		want    string
	}{
		{"7.0", "masterauth masteruser requirepass"},
		{"7.2", "masterauth masteruser requirepass"},
		{"7.4", "masterauth masteruser requirepass tls-client-key-file-pass tls-key-file-pass"},
		{"valkey-8.0", "primaryauth primaryuser requirepass tls-client-key-file-pass tls-key-file-pass"},
	}
	for _, tt := range tests {
		got := namesWhere(mustFor(t, tt.version), (*Param).Sensitive)
		if want := sorted(tt.want); !slices.Equal(got, want) {
			t.Errorf("%s: sensitive = %q, want %q", tt.version, got, want)
		}
	}
}

func TestFor(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"7.0", "7.0"},
		{"7.0.15", "7.0"},
		{"7.0.0", "7.0"},
		{"7.1", "7.0"},
		{"7.2", "7.2"},
		{"7.2.4", "7.2"},
		{"7.2.6", "7.2"},
		{"7.3.1", "7.2"},
		{"7.4", "7.4"},
		{"7.4.1", "7.4"},
		{"7.9", "7.4"},
		{"8.0", "8.0"},
		{"8.0.2", "8.0"},
		{"8.2.0", "8.0"},
		{"v7.2.4", "7.2"},
		{" 7.2.4 ", "7.2"},
		{"redis 7.2.4", "7.2"},
		{"redis-7.0.15", "7.0"},
		{"Redis 7.4", "7.4"},
		{"valkey-8.0", "valkey-8.0"},
		{"valkey 8.0.1", "valkey-8.0"},
		{"Valkey 8.0.1", "valkey-8.0"},
		{"valkey-8.1.0", "valkey-8.1"},
		{"valkey 8.1.1", "valkey-8.1"},
		{"valkey8.0", "valkey-8.0"},
		{"valkey 9.0", "valkey-8.1"},
	}
	for _, tt := range tests {
		c, err := For(tt.in)
		if err != nil {
			t.Errorf("For(%q): %v", tt.in, err)
			continue
		}
		if c.Version() != tt.want {
			t.Errorf("For(%q).Version() = %q, want %q", tt.in, c.Version(), tt.want)
		}
	}
}

func TestForErrors(t *testing.T) {
	for _, in := range []string{"", "6.2", "6.2.14", "5", "7", "seven", "7.x", "7.2.4.1", "valkey 7.2.5", "valkey", "keydb 6.3", "7.2-rc1"} {
		_, err := For(in)
		if err == nil {
			t.Errorf("For(%q) succeeded, want an error", in)
			continue
		}
		msg := err.Error()
		for _, v := range Versions() {
			if !strings.Contains(msg, v) {
				t.Errorf("For(%q) error %q does not name %s", in, msg, v)
			}
		}
	}
}

func TestLookupModuleDirective(t *testing.T) {
	c := mustFor(t, "7.0")
	for _, name := range []string{"search.timeout", "bf.error-rate", "mymodule.x"} {
		if _, ok := c.Lookup(name); ok {
			t.Errorf("Lookup(%q) found a module directive", name)
		}
	}
	if _, ok := c.Lookup("no-such-directive"); ok {
		t.Error("Lookup found an unknown name")
	}
}

func TestSuggest(t *testing.T) {
	tests := []struct {
		version, in, want string
	}{
		{"7.0", "maxmemroy", "maxmemory"},
		{"7.0", "appendfsynk", "appendfsync"},
		{"7.0", "MAXMEMROY", "maxmemory"},
		{"7.0", "maxmemory-polcy", "maxmemory-policy"},
		{"7.0", "appendonyl", "appendonly"},
		{"7.0", "requirepas", "requirepass"},
		{"7.0", "slave-priorty", "slave-priority"},
		{"7.0", "hx", "hz"},
		{"7.0", "client-output-buffer-limits", "client-output-buffer-limit"},
		{"7.0", "latency-tracking-info-percentile", "latency-tracking-info-percentiles"},
		{"7.0", "server-cpulist", "server_cpulist"},
		{"7.4", "server-cpulst", "server-cpulist"},
		{"valkey-8.0", "primaryauht", "primaryauth"},
		{"7.0", "completely-unrelated-thing", ""},
		{"7.0", "foo", ""},
		{"7.0", "x", ""},
		{"7.0", "", ""},
	}
	for _, tt := range tests {
		if got := mustFor(t, tt.version).Suggest(tt.in); got != tt.want {
			t.Errorf("%s: Suggest(%q) = %q, want %q", tt.version, tt.in, got, tt.want)
		}
	}
}

func TestMode(t *testing.T) {
	tests := []struct {
		version, name string
		want          model.Mode
		str           string
	}{
		{"7.0", "appendonly", model.Live, "live"},
		{"7.0", "maxmemory", model.Live, "live"},
		{"7.0", "databases", model.Restart, "restart"},
		{"7.0", "replicaof", model.Restart, "restart"},
		{"7.0", "slaveof", model.Restart, "restart"},
		{"7.0", "dir", model.Protected, "protected"},
		{"7.0", "dbfilename", model.Protected, "protected"},
		{"7.0", "rename-command", model.FileOnly, "file-only"},
		{"7.0", "include", model.FileOnly, "file-only"},
		{"7.0", "user", model.FileOnly, "file-only"},
		{"7.0", "lua-replicate-commands", model.FileOnly, "file-only"},
		{"valkey-8.0", "unixsocketgroup", model.Restart, "restart"},
	}
	for _, tt := range tests {
		p := mustLookup(t, mustFor(t, tt.version), tt.name)
		if got := p.Mode(); got != tt.want || got.String() != tt.str {
			t.Errorf("%s %s: Mode() = %v (%d), want %s", tt.version, tt.name, got, got, tt.str)
		}
	}
	if got := model.Mode(42).String(); got != "unknown" {
		t.Errorf("Mode(42).String() = %q", got)
	}
}
