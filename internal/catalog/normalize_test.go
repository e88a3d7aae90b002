package catalog

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

type normalizeCase struct {
	version string // "" means 7.0
	name    string
	in      string
	want    string // when err is ""
	err     string // a part of the expected error message
}

func runNormalize(t *testing.T, tests []normalizeCase) {
	t.Helper()
	for _, tt := range tests {
		version := tt.version
		if version == "" {
			version = "7.0"
		}
		t.Run(fmt.Sprintf("%s/%s/%q", version, tt.name, tt.in), func(t *testing.T) {
			p := mustLookup(t, mustFor(t, version), tt.name)
			got, err := p.Normalize(tt.in)
			if tt.err != "" {
				if err == nil {
					t.Fatalf("Normalize(%q) = %q, want an error containing %q", tt.in, got, tt.err)
				}
				if !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Normalize(%q) error:\n%s\nwant it to contain\n%s", tt.in, err, tt.err)
				}
				if !strings.HasPrefix(err.Error(), fmt.Sprintf("%q ", p.Name)) {
					t.Errorf("error %q does not start with the directive name", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Normalize(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			again, err := p.Normalize(got)
			if err != nil || again != got {
				t.Errorf("Normalize is not idempotent: Normalize(%q) = %q, %v", got, again, err)
			}
		})
	}
}

// The messages promised in the package documentation, in full.
func TestNormalizeMessages(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"maxmemory", "2 gigs",
			`"maxmemory" expects a size such as 2gb or 1048576, got "2 gigs": spaces are not allowed (units: b, k, kb, m, mb, g, gb; k=1000, kb=1024)`},
		{"maxmemory-policy", "lru",
			`"maxmemory-policy" must be one of volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction, got "lru"`},
		{"hz", "-1", `"hz" must be between 0 and 2147483647, got "-1"`},
		{"hz", "ten", `"hz" expects a whole number such as 10, got "ten"`},
		{"proto-max-bulk-len", "1kb", `"proto-max-bulk-len" must be between 1048576 and 9223372036854775807 bytes, got "1kb" (1024 bytes)`},
		{"appendonly", "maybe", `"appendonly" expects yes or no, got "maybe"`},
		{"list-max-ziplist-entries", "512", `"list-max-ziplist-entries" was removed from Redis and is ignored; delete it from the configuration`},
		{"save", "3600", `"save" expects pairs of <seconds> <changes> such as "3600 1 300 100", or "" to disable snapshots, got "3600"`},
		{"notify-keyspace-events", "KEq", `"notify-keyspace-events" contains "q", which is not an event class; use letters from KEg$lshzxetmdnA (for example "Ex" for expired-key events)`},
		{"shutdown-on-sigint", "save nosave", `"shutdown-on-sigint" cannot combine save and nosave, got "save nosave"`},
		{"client-output-buffer-limit", "master 0 0 0", `"client-output-buffer-limit" class must be normal, replica, slave or pubsub, got "master"`},
	}
	c := mustFor(t, "7.0")
	for _, tt := range tests {
		_, err := mustLookup(t, c, tt.name).Normalize(tt.in)
		if err == nil {
			t.Errorf("%s: Normalize(%q) succeeded", tt.name, tt.in)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("%s: Normalize(%q) error\n got %s\nwant %s", tt.name, tt.in, err, tt.want)
		}
	}
}

func TestNormalizeBool(t *testing.T) {
	runNormalize(t, []normalizeCase{
		{name: "appendonly", in: "yes", want: "yes"},
		{name: "appendonly", in: "YES", want: "yes"},
		{name: "appendonly", in: "No", want: "no"},
		{name: "appendonly", in: "true", want: "yes"},
		{name: "appendonly", in: "FALSE", want: "no"},
		{name: "slave-read-only", in: "no", want: "no"},
		{name: "appendonly", in: "1", err: "expects yes or no"},
		{name: "appendonly", in: "on", err: "expects yes or no"},
		{name: "appendonly", in: "y", err: "expects yes or no"},
		{name: "appendonly", in: "", err: "expects yes or no"},
		{name: "appendonly", in: " yes", err: "expects yes or no"},
	})
}

func TestNormalizeEnum(t *testing.T) {
	runNormalize(t, []normalizeCase{
		{name: "maxmemory-policy", in: "allkeys-lru", want: "allkeys-lru"},
		{name: "maxmemory-policy", in: "ALLKEYS-LRU", want: "allkeys-lru"},
		{name: "maxmemory-policy", in: "NoEviction", want: "noeviction"},
		{name: "appendfsync", in: "Always", want: "always"},
		{name: "oom-score-adj", in: "relative", want: "yes"},
		{name: "oom-score-adj", in: "RELATIVE", want: "yes"},
		{name: "oom-score-adj", in: "absolute", want: "absolute"},
		{name: "oom-score-adj", in: "yes", want: "yes"},
		{name: "enable-protected-configs", in: "local", want: "local"},
		{name: "repl-diskless-load", in: "on-empty-db", want: "on-empty-db"},
		{version: "7.2", name: "loglevel", in: "nothing", want: "nothing"},
		{name: "loglevel", in: "nothing", err: "must be one of debug, verbose, notice, warning"},
		{name: "maxmemory-policy", in: "lru", err: "must be one of"},
		{name: "maxmemory-policy", in: "", err: "must be one of"},
		{name: "appendfsync", in: "every sec", err: "must be one of everysec, always, no"},
	})
}

func TestNormalizeEnumMulti(t *testing.T) {
	runNormalize(t, []normalizeCase{
		{name: "shutdown-on-sigterm", in: "default", want: "default"},
		{name: "shutdown-on-sigterm", in: "DEFAULT", want: "default"},
		{name: "shutdown-on-sigterm", in: "save now", want: "save now"},
		{name: "shutdown-on-sigterm", in: "now save", want: "save now"},
		{name: "shutdown-on-sigterm", in: "NOW save now", want: "save now"},
		{name: "shutdown-on-sigint", in: "force nosave now", want: "nosave now force"},
		{name: "shutdown-on-sigint", in: "default now", want: "now"},
		{name: "shutdown-on-sigint", in: "default default", want: "default"},
		{name: "shutdown-on-sigint", in: "  save   force ", want: "save force"},
		{name: "shutdown-on-sigint", in: "save nosave", err: "cannot combine save and nosave"},
		{name: "shutdown-on-sigint", in: "nosave now save", err: "cannot combine save and nosave"},
		{name: "shutdown-on-sigint", in: "", err: "takes one or more of default, save, nosave, now, force"},
		{name: "shutdown-on-sigint", in: "bogus", err: "takes one or more of"},
		{name: "shutdown-on-sigint", in: "save,now", err: "takes one or more of"},
	})
}

func TestNormalizeInteger(t *testing.T) {
	runNormalize(t, []normalizeCase{
		{name: "hz", in: "10", want: "10"},
		{name: "hz", in: "0", want: "1"},
		{name: "hz", in: "1", want: "1"},
		{name: "hz", in: "500", want: "500"},
		{name: "hz", in: "1000", want: "500"},
		{name: "hz", in: "2147483647", want: "500"},
		{name: "hz", in: "2147483648", err: "must be between 0 and 2147483647"},
		{name: "hz", in: "-1", err: "must be between 0 and 2147483647"},
		{name: "hz", in: "ten", err: "expects a whole number such as 10"},
		{name: "hz", in: "010", err: "expects a whole number"},
		{name: "hz", in: "+10", err: "expects a whole number"},
		{name: "hz", in: " 10", err: "expects a whole number"},
		{name: "hz", in: "1e3", err: "expects a whole number"},
		{name: "hz", in: "10.0", err: "expects a whole number"},
		{name: "hz", in: "-0", err: "expects a whole number"},
		{name: "hz", in: "", err: "expects a whole number"},
		{name: "port", in: "65535", want: "65535"},
		{name: "port", in: "0", want: "0"},
		{name: "port", in: "65536", err: "must be between 0 and 65535"},
		{name: "databases", in: "16", want: "16"},
		{name: "databases", in: "0", err: "must be between 1 and 2147483647"},
		{name: "list-max-listpack-size", in: "-2", want: "-2"},
		{name: "list-max-ziplist-size", in: "-5", want: "-5"},
		{name: "list-max-listpack-size", in: "-2147483648", want: "-2147483648"},
		{name: "list-max-listpack-size", in: "-2147483649", err: "must be between -2147483648 and 2147483647"},
		{name: "slowlog-log-slower-than", in: "-1", want: "-1"},
		{name: "slowlog-log-slower-than", in: "-2", err: "must be between -1 and 9223372036854775807"},
		{name: "maxclients", in: "4294967295", want: "4294967295"},
		{name: "maxclients", in: "4294967296", err: "must be between 1 and 4294967295"},
		{name: "slowlog-max-len", in: "9223372036854775807", want: "9223372036854775807"},
		{name: "slowlog-max-len", in: "9223372036854775808", err: "must be between 0 and 9223372036854775807"},
		{name: "slowlog-max-len", in: "99999999999999999999999999", err: "must be between"},
		{name: "active-defrag-cycle-max", in: "99", want: "99"},
		{name: "active-defrag-cycle-max", in: "100", err: "must be between 1 and 99"},
		{version: "7.4", name: "maxmemory-samples", in: "64", want: "64"},
		{version: "7.4", name: "maxmemory-samples", in: "65", err: "must be between 1 and 64"},
		{version: "valkey-8.0", name: "cluster-blacklist-ttl", in: "18446744073709551615", want: "18446744073709551615"},
		{version: "valkey-8.0", name: "cluster-blacklist-ttl", in: "18446744073709551616", err: "must be between 0 and 18446744073709551615"},
	})
}

func TestNormalizeOctal(t *testing.T) {
	runNormalize(t, []normalizeCase{
		{name: "unixsocketperm", in: "700", want: "700"},
		{name: "unixsocketperm", in: "0700", want: "700"},
		{name: "unixsocketperm", in: "770", want: "770"},
		{name: "unixsocketperm", in: "0", want: "0"},
		{name: "unixsocketperm", in: "00", want: "0"},
		{name: "unixsocketperm", in: "777", want: "777"},
		{name: "unixsocketperm", in: "1000", err: "must be between 0 and 777 (octal)"},
		{name: "unixsocketperm", in: "800", err: "expects octal permission digits"},
		{name: "unixsocketperm", in: "rwx", err: "expects octal permission digits"},
		{name: "unixsocketperm", in: "-700", err: "expects octal permission digits"},
		{name: "unixsocketperm", in: "", err: "expects octal permission digits"},
	})
}

func TestNormalizeMemory(t *testing.T) {
	runNormalize(t, []normalizeCase{
		{name: "maxmemory", in: "0", want: "0"},
		{name: "maxmemory", in: "2gb", want: "2147483648"},
		{name: "maxmemory", in: "2GB", want: "2147483648"},
		{name: "maxmemory", in: "1g", want: "1000000000"},
		{name: "maxmemory", in: "64mb", want: "67108864"},
		{name: "maxmemory", in: "100k", want: "100000"},
		{name: "maxmemory", in: "1048576", want: "1048576"},
		{name: "maxmemory", in: "18446744073709551615", want: "18446744073709551615"},
		{name: "maxmemory", in: "2 gigs", err: `expects a size such as 2gb or 1048576, got "2 gigs": spaces are not allowed`},
		{name: "maxmemory", in: "-1", err: "negative sizes are not allowed"},
		{name: "maxmemory", in: "1.5gb", err: "fractions are not allowed"},
		{name: "maxmemory", in: "1tb", err: `"tb" is not a known unit`},
		{name: "maxmemory", in: "", err: "it is empty"},
		{name: "maxmemory", in: "20000000000gb", err: "it is larger than 18446744073709551615 bytes"},
		{name: "proto-max-bulk-len", in: "512mb", want: "536870912"},
		{name: "proto-max-bulk-len", in: "1mb", want: "1048576"},
		{name: "proto-max-bulk-len", in: "1kb", err: "must be between 1048576 and 9223372036854775807 bytes"},
		{name: "proto-max-bulk-len", in: "8589934592gb", err: "must be between 1048576 and 9223372036854775807 bytes"},
		{name: "repl-backlog-size", in: "0", err: `must be between 1 and 9223372036854775807 bytes, got "0"`},
		{name: "hash-max-ziplist-value", in: "64", want: "64"},
		{name: "client-query-buffer-limit", in: "1gb", want: "1073741824"},
	})
}

func TestNormalizeMemoryOrPercent(t *testing.T) {
	runNormalize(t, []normalizeCase{
		{name: "maxmemory-clients", in: "5%", want: "5%"},
		{name: "maxmemory-clients", in: "100%", want: "100%"},
		{name: "maxmemory-clients", in: "0%", want: "0"},
		{name: "maxmemory-clients", in: "0", want: "0"},
		{name: "maxmemory-clients", in: "1gb", want: "1073741824"},
		{name: "maxmemory-clients", in: "101%", err: "takes a percentage between 0% and 100%"},
		{name: "maxmemory-clients", in: "1000000%", err: "takes a percentage between 0% and 100%"},
		{name: "maxmemory-clients", in: "-5%", err: "expects a size such as 64mb or a percentage"},
		{name: "maxmemory-clients", in: "05%", err: "expects a size such as 64mb or a percentage"},
		{name: "maxmemory-clients", in: "5.5%", err: "expects a size such as 64mb or a percentage"},
		{name: "maxmemory-clients", in: "%", err: "expects a size such as 64mb or a percentage"},
		{name: "maxmemory-clients", in: "lots", err: "expects a size such as 2gb"},
		{name: "maxmemory-clients", in: "9223372036854775808", err: "must be between 0 and 9223372036854775807 bytes"},
	})
}

func TestNormalizeStrings(t *testing.T) {
	runNormalize(t, []normalizeCase{
		{name: "requirepass", in: `a b"c`, want: `a b"c`},
		{name: "requirepass", in: "", want: ""},
		{name: "masterauth", in: " spaces kept ", want: " spaces kept "},
		{name: "dbfilename", in: "dump.rdb", want: "dump.rdb"},
		{name: "logfile", in: "", want: ""},
		{name: "proc-title-template", in: "{title}", want: "{title}"},
		{version: "valkey-8.0", name: "masterauth", in: "secret", want: "secret"},
	})
}

func TestNormalizeSave(t *testing.T) {
	runNormalize(t, []normalizeCase{
		{name: "save", in: "3600 1 300 100 60 10000", want: "3600 1 300 100 60 10000"},
		{name: "save", in: "", want: ""},
		{name: "save", in: "   ", want: ""},
		{name: "save", in: "900 1", want: "900 1"},
		{name: "save", in: "60 10000 900 1", want: "60 10000 900 1"},
		{name: "save", in: "  3600  1\t300 100 ", want: "3600 1 300 100"},
		{name: "save", in: "0300 010", want: "300 10"},
		{name: "save", in: "1 0", want: "1 0"},
		{name: "save", in: "3600", err: "expects pairs of <seconds> <changes>"},
		{name: "save", in: "3600 1 300", err: "expects pairs of <seconds> <changes>"},
		{name: "save", in: "0 1", err: "needs at least 1 second in each pair"},
		{name: "save", in: "-1 1", err: "expects pairs"},
		{name: "save", in: "1 -1", err: "expects pairs"},
		{name: "save", in: "1m 1", err: "expects pairs"},
		{name: "save", in: "a b", err: "expects pairs"},
		{name: "save", in: `""`, err: "takes an empty string to disable snapshots, not two quote characters"},
		{name: "save", in: "1 2147483648", err: "too large"},
		{name: "save", in: "9223372036854775808 1", err: "too large"},
	})
}

func TestNormalizeNotifyKeyspaceEvents(t *testing.T) {
	runNormalize(t, []normalizeCase{
		{name: "notify-keyspace-events", in: "", want: ""},
		{name: "notify-keyspace-events", in: "Ex", want: "xE"},
		{name: "notify-keyspace-events", in: "KEA", want: "AKE"},
		{name: "notify-keyspace-events", in: "AKE", want: "AKE"},
		{name: "notify-keyspace-events", in: "g$lshzxetdKE", want: "AKE"},
		{name: "notify-keyspace-events", in: "dtexzhsl$gEK", want: "AKE"},
		{name: "notify-keyspace-events", in: "g$lshzxetd", want: "A"},
		{name: "notify-keyspace-events", in: "Ag", want: "A"},
		{name: "notify-keyspace-events", in: "Kx", want: "xK"},
		{name: "notify-keyspace-events", in: "xx", want: "x"},
		{name: "notify-keyspace-events", in: "mEK", want: "KEm"},
		{name: "notify-keyspace-events", in: "AmKE", want: "AKEm"},
		{name: "notify-keyspace-events", in: "KEn", want: "nKE"},
		{name: "notify-keyspace-events", in: "ndg", want: "gdn"},
		{name: "notify-keyspace-events", in: "g$lshzxetnK", want: "g$lshzxetnK"},
		{name: "notify-keyspace-events", in: "An", err: "cannot combine n with A"},
		{name: "notify-keyspace-events", in: "g$lshzxetdnKE", err: "cannot combine n with A"},
		{name: "notify-keyspace-events", in: "KEq", err: `contains "q", which is not an event class`},
		{name: "notify-keyspace-events", in: "a", err: `contains "a"`},
		{name: "notify-keyspace-events", in: "K E", err: `contains " "`},
	})
}

func TestNormalizeClientOutputBufferLimit(t *testing.T) {
	const def = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
	runNormalize(t, []normalizeCase{
		{name: "client-output-buffer-limit", in: def, want: def},
		{name: "client-output-buffer-limit", in: "normal 0 0 0", want: def},
		{name: "client-output-buffer-limit", in: "replica 256mb 64mb 60", want: def},
		{name: "client-output-buffer-limit", in: "replica 512mb 128mb 120",
			want: "normal 0 0 0 slave 536870912 134217728 120 pubsub 33554432 8388608 60"},
		{name: "client-output-buffer-limit", in: "pubsub 64mb 16mb 90 normal 1gb 512mb 30",
			want: "normal 1073741824 536870912 30 slave 268435456 67108864 60 pubsub 67108864 16777216 90"},
		{name: "client-output-buffer-limit", in: "SLAVE 1 2 3", want: "normal 0 0 0 slave 1 2 3 pubsub 33554432 8388608 60"},
		{name: "client-output-buffer-limit", in: "replica 1mb 1mb 1 slave 2mb 2mb 2",
			want: "normal 0 0 0 slave 2097152 2097152 2 pubsub 33554432 8388608 60"},
		{name: "client-output-buffer-limit", in: "normal 1k 1k 0", want: "normal 1000 1000 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"},
		{name: "client-output-buffer-limit", in: "master 0 0 0", err: "class must be normal, replica, slave or pubsub"},
		{name: "client-output-buffer-limit", in: "normal 0 0", err: "expects groups of <class> <hard limit> <soft limit> <soft seconds>"},
		{name: "client-output-buffer-limit", in: "", err: "expects groups of"},
		{name: "client-output-buffer-limit", in: "normal 1x 0 0", err: `expects sizes such as 256mb or 0 for the normal limits, got "1x"`},
		{name: "client-output-buffer-limit", in: "normal 0 -1 0", err: "expects sizes"},
		{name: "client-output-buffer-limit", in: "normal 0 0 -1", err: "expects a whole number of seconds"},
		{name: "client-output-buffer-limit", in: "normal 0 0 1.5", err: "expects a whole number of seconds"},
	})
}

func TestNormalizeOOMScoreAdjValues(t *testing.T) {
	runNormalize(t, []normalizeCase{
		{name: "oom-score-adj-values", in: "0 200 800", want: "0 200 800"},
		{name: "oom-score-adj-values", in: "-1000 0 1000", want: "-1000 0 1000"},
		{name: "oom-score-adj-values", in: "-2000 2000 2000", want: "-2000 2000 2000"},
		{name: "oom-score-adj-values", in: "800 200 0", want: "800 200 0"},
		{name: "oom-score-adj-values", in: "+5 05 -0", want: "5 5 0"},
		{name: "oom-score-adj-values", in: "0 200", err: "expects exactly 3 integers between -2000 and 2000"},
		{name: "oom-score-adj-values", in: "0 200 800 900", err: "expects exactly 3 integers"},
		{name: "oom-score-adj-values", in: "0 200 2001", err: "expects exactly 3 integers"},
		{name: "oom-score-adj-values", in: "-2001 0 0", err: "expects exactly 3 integers"},
		{name: "oom-score-adj-values", in: "a b c", err: "expects exactly 3 integers"},
		{name: "oom-score-adj-values", in: "", err: "expects exactly 3 integers"},
	})
}

func TestNormalizeBind(t *testing.T) {
	sixteen := strings.TrimSpace(strings.Repeat("10.0.0.1 ", 16))
	runNormalize(t, []normalizeCase{
		{name: "bind", in: "* -::*", want: "* -::*"},
		{name: "bind", in: "127.0.0.1 ::1", want: "127.0.0.1 ::1"},
		{name: "bind", in: "::1 127.0.0.1", want: "::1 127.0.0.1"},
		{name: "bind", in: "127.0.0.1   -::1", want: "127.0.0.1 -::1"},
		{name: "bind", in: "", want: ""},
		{name: "bind", in: sixteen, want: sixteen},
		{name: "bind", in: sixteen + " 10.0.0.2", err: "accepts at most 16 addresses, got 17"},
	})
}

func TestNormalizeReplicaOf(t *testing.T) {
	runNormalize(t, []normalizeCase{
		{name: "replicaof", in: "10.0.0.1 6379", want: "10.0.0.1 6379"},
		{name: "slaveof", in: "primary.example 6380", want: "primary.example 6380"},
		{name: "replicaof", in: "  10.0.0.1   6379 ", want: "10.0.0.1 6379"},
		{name: "replicaof", in: "host 06379", want: "host 6379"},
		{name: "replicaof", in: "no one", want: ""},
		{name: "replicaof", in: "NO ONE", want: ""},
		{name: "replicaof", in: "", want: ""},
		{name: "replicaof", in: "host 65536", err: "port number between 0 and 65535"},
		{name: "replicaof", in: "host port", err: "port number between 0 and 65535"},
		{name: "replicaof", in: "host -1", err: "port number between 0 and 65535"},
		{name: "replicaof", in: "host", err: `expects "<host> <port>" or "no one"`},
		{name: "replicaof", in: "a b c", err: `expects "<host> <port>" or "no one"`},
	})
}

func TestNormalizePercentiles(t *testing.T) {
	runNormalize(t, []normalizeCase{
		{name: "latency-tracking-info-percentiles", in: "50 99 99.9", want: "50 99 99.9"},
		{name: "latency-tracking-info-percentiles", in: "50.0 99.00 99.90", want: "50 99 99.9"},
		{name: "latency-tracking-info-percentiles", in: "", want: ""},
		{name: "latency-tracking-info-percentiles", in: "0 100", want: "0 100"},
		{name: "latency-tracking-info-percentiles", in: "99.99 50", want: "99.99 50"},
		{name: "latency-tracking-info-percentiles", in: "1e1", want: "10"},
		{name: "latency-tracking-info-percentiles", in: ".5", want: "0.5"},
		{name: "latency-tracking-info-percentiles", in: "99.9999999", want: "100"},
		{name: "latency-tracking-info-percentiles", in: "0.0000001", want: "0"},
		{name: "latency-tracking-info-percentiles", in: "100.5", err: "takes percentiles between 0 and 100, got 100.5"},
		{name: "latency-tracking-info-percentiles", in: "-1", err: "takes percentiles between 0 and 100"},
		{name: "latency-tracking-info-percentiles", in: "abc", err: "expects percentiles between 0 and 100 separated by spaces"},
		{name: "latency-tracking-info-percentiles", in: "nan", err: "expects percentiles"},
		{name: "latency-tracking-info-percentiles", in: "inf", err: "expects percentiles"},
		{name: "latency-tracking-info-percentiles", in: "0x10", err: "expects percentiles"},
		{name: "latency-tracking-info-percentiles", in: "50,99", err: "expects percentiles"},
	})
}

func TestNormalizeDirAndFileOnly(t *testing.T) {
	runNormalize(t, []normalizeCase{
		{name: "dir", in: "/var/lib/redis", want: "/var/lib/redis"},
		{name: "dir", in: "relative/dir", want: "relative/dir"},
		{name: "dir", in: "/with space", want: "/with space"},
		{name: "dir", in: "", err: "must not be empty"},
		{name: "rename-command", in: `CONFIG ""`, want: `CONFIG ""`},
		{name: "rename-command", in: "FLUSHALL x1", want: "FLUSHALL x1"},
		{name: "include", in: "/etc/redis/conf.d/*.conf", want: "/etc/redis/conf.d/*.conf"},
		{name: "user", in: "default on nopass ~* &* +@all", want: "default on nopass ~* &* +@all"},
		{name: "loadmodule", in: "/usr/lib/redis/modules/x.so arg1", want: "/usr/lib/redis/modules/x.so arg1"},
		{name: "include", in: `"unclosed`, err: "cannot be written to redis.conf: unbalanced quotes"},
		{name: "lua-replicate-commands", in: "yes", err: "was removed from Redis and is ignored"},
		{name: "list-max-ziplist-value", in: "64", err: "was removed from Redis and is ignored"},
	})
}

// TestDefaultsNormalizeToThemselves: the Default column is what CONFIG GET
// returns, so it must already be in normalized form. Skipped, and why:
//   - dir: its default is a description, "(process cwd at start)", since the
//     real value is the server's working directory;
//   - deprecated-ignored entries: Normalize refuses every value for them.
func TestDefaultsNormalizeToThemselves(t *testing.T) {
	for _, v := range Versions() {
		c := mustFor(t, v)
		for _, p := range c.Params() {
			if p.Name == "dir" || p.Type == TypeDeprecatedIgnored {
				continue
			}
			got, err := p.Normalize(p.Default)
			if err != nil {
				t.Errorf("%s %s: default %q: %v", v, p.Name, p.Default, err)
				continue
			}
			if got != p.Default {
				t.Errorf("%s %s: default %q normalizes to %q", v, p.Name, p.Default, got)
			}
		}
	}
}

func TestFileArgs(t *testing.T) {
	tests := []struct {
		name, normalized string
		want             []string
	}{
		{"maxmemory", "2147483648", []string{"2gb"}},
		{"maxmemory", "0", []string{"0"}},
		{"maxmemory", "1000000000", []string{"1000000000"}},
		{"repl-backlog-size", "1048576", []string{"1mb"}},
		{"maxmemory-clients", "5%", []string{"5%"}},
		{"maxmemory-clients", "1048576", []string{"1mb"}},
		{"maxmemory-clients", "0", []string{"0"}},
		{"save", "3600 1 300 100", []string{"3600", "1", "300", "100"}},
		{"save", "", []string{""}},
		{"bind", "127.0.0.1 ::1", []string{"127.0.0.1", "::1"}},
		{"bind", "* -::*", []string{"*", "-::*"}},
		{"bind", "", []string{""}},
		{"requirepass", "", []string{""}},
		{"requirepass", "a b", []string{"a b"}},
		{"proc-title-template", "{title} {listen-addr}", []string{"{title} {listen-addr}"}},
		{"replicaof", "", []string{"no", "one"}},
		{"replicaof", "10.0.0.1 6379", []string{"10.0.0.1", "6379"}},
		{"client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
			[]string{"normal", "0", "0", "0", "replica", "256mb", "64mb", "60", "pubsub", "32mb", "8mb", "60"}},
		{"client-output-buffer-limit", "normal 1000 1536 0 slave 1 2 3 pubsub 0 0 0",
			[]string{"normal", "1000", "1536", "0", "replica", "1", "2", "3", "pubsub", "0", "0", "0"}},
		{"oom-score-adj-values", "0 200 800", []string{"0", "200", "800"}},
		{"latency-tracking-info-percentiles", "50 99 99.9", []string{"50", "99", "99.9"}},
		{"latency-tracking-info-percentiles", "", []string{""}},
		{"notify-keyspace-events", "", []string{""}},
		{"notify-keyspace-events", "AKE", []string{"AKE"}},
		{"shutdown-on-sigint", "save now", []string{"save", "now"}},
		{"shutdown-on-sigint", "default", []string{"default"}},
		{"dir", "/var/lib/my redis", []string{"/var/lib/my redis"}},
		{"rename-command", `CONFIG ""`, []string{"CONFIG", ""}},
		{"user", "default on nopass ~* &* +@all", []string{"default", "on", "nopass", "~*", "&*", "+@all"}},
		{"unixsocketperm", "700", []string{"700"}},
		{"appendonly", "yes", []string{"yes"}},
		{"hz", "10", []string{"10"}},
		{"list-max-ziplist-entries", "512", nil},
	}
	c := mustFor(t, "7.0")
	for _, tt := range tests {
		got := mustLookup(t, c, tt.name).FileArgs(tt.normalized)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: FileArgs(%q) = %q, want %q", tt.name, tt.normalized, got, tt.want)
		}
	}
}

// TestFileArgsRoundTrip: what FileArgs writes must read back, through
// Normalize, as the same normalized value. It runs over every default and a
// set of other values for each directive that has them.
func TestFileArgsRoundTrip(t *testing.T) {
	extra := map[string][]string{
		"maxmemory":                         {"2gb", "1g", "1536", "3kb"},
		"maxmemory-clients":                 {"5%", "0%", "64mb"},
		"save":                              {"", "900 1", "60 10000 900 1"},
		"bind":                              {"", "127.0.0.1 -::1"},
		"replicaof":                         {"no one", "10.0.0.1 6379"},
		"client-output-buffer-limit":        {"replica 512mb 128mb 120", "normal 1k 1500 5"},
		"latency-tracking-info-percentiles": {"", "50.5 99.999"},
		"notify-keyspace-events":            {"Ex", "KEA", "gdnKm"},
		"shutdown-on-sigint":                {"now save", "force nosave"},
		"unixsocketperm":                    {"0700"},
		"hz":                                {"1000"},
		"requirepass":                       {"a b\"c", ""},
		"oom-score-adj":                     {"relative"},
	}
	for _, v := range Versions() {
		c := mustFor(t, v)
		for _, p := range c.Params() {
			if p.Type == TypeDeprecatedIgnored || p.Type == TypeFileOnly {
				continue
			}
			inputs := extra[p.Name]
			if p.Name != "dir" {
				inputs = append(inputs, p.Default)
			}
			for _, in := range inputs {
				n, err := p.Normalize(in)
				if err != nil {
					t.Errorf("%s %s: Normalize(%q): %v", v, p.Name, in, err)
					continue
				}
				args := p.FileArgs(n)
				value := strings.Join(args, " ")
				if len(args) == 1 {
					value = args[0]
				}
				back, err := p.Normalize(value)
				if err != nil || back != n {
					t.Errorf("%s %s: Normalize(join(FileArgs(%q)) = %q) = %q, %v", v, p.Name, n, value, back, err)
				}
			}
		}
	}
}

func TestSavePairs(t *testing.T) {
	tests := []struct {
		in   string
		want [][2]string
	}{
		{"", nil},
		{"3600 1", [][2]string{{"3600", "1"}}},
		{"3600 1 300 100 60 10000", [][2]string{{"3600", "1"}, {"300", "100"}, {"60", "10000"}}},
	}
	for _, tt := range tests {
		if got := SavePairs(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("SavePairs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
