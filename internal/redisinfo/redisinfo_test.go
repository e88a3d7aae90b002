package redisinfo

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The testdata files are INFO EVERYTHING replies, as the servers sent
// them (CRLF): from redis-server 7.0.15 a primary with AOF on, 1000 keys
// in db0 and 2 keys with a TTL in db2, and its replica while its first
// sync was still waiting for the primary's rewrite; from Valkey 8.0.1,
// Valkey 8.1.1 and Redis 8.0.2 a server with 1000 keys in db0 and 2 keys
// in db2, one of them with a TTL.
func readInfo(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseRealReplies(t *testing.T) {
	tests := []struct {
		file string
		want map[string]string
	}{
		{"primary-7.0.txt", map[string]string{
			"redis_version":    "7.0.15",
			"role":             "master",
			"loading":          "0",
			"aof_enabled":      "1",
			"db0":              "keys=1000,expires=0,avg_ttl=0",
			"db2":              "keys=2,expires=2,avg_ttl=749284",
			"connected_slaves": "1",
			"cmdstat_set":      "calls=2,usec=8,usec_per_call=4.00,rejected_calls=0,failed_calls=0",
			"executable":       "/tmp/srvinfo/redis-server",
		}},
		{"valkey-8.0.txt", map[string]string{
			"redis_version":  "7.2.4",
			"server_name":    "valkey",
			"valkey_version": "8.0.1",
			"loading":        "0",
			"db0":            "keys=1000,expires=0,avg_ttl=0",
		}},
		{"valkey-8.1.txt", map[string]string{
			"redis_version":  "7.2.4",
			"server_name":    "valkey",
			"valkey_version": "8.1.1",
			"db2":            "keys=2,expires=1,avg_ttl=0",
		}},
		{"redis-8.0.txt", map[string]string{
			"redis_version":             "8.0.2",
			"db0":                       "keys=1000,expires=0,avg_ttl=0,subexpiry=0",
			"db0_distrib_strings_sizes": "8=1000",
		}},
		{"replica-7.0.txt", map[string]string{
			"role":               "slave",
			"master_link_status": "down",
			"master_host":        "127.0.0.1",
			"loading":            "0",
			"db0":                "",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := Parse(readInfo(t, tt.file))
			for k, want := range tt.want {
				if got[k] != want {
					t.Errorf("Parse()[%q] = %q, want %q", k, got[k], want)
				}
			}
			for k, v := range got {
				if k == "" || k[0] == '#' || v != trimmed(v) {
					t.Errorf("Parse() kept a header or a line ending: %q: %q", k, v)
				}
			}
		})
	}
}

func trimmed(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\r' || s[len(s)-1] == '\n') {
		s = s[:len(s)-1]
	}
	return s
}

func TestSectionsRealReply(t *testing.T) {
	s := Sections(readInfo(t, "primary-7.0.txt"))
	for _, name := range []string{"server", "clients", "memory", "persistence", "stats", "replication",
		"cpu", "modules", "commandstats", "errorstats", "latencystats", "cluster", "keyspace"} {
		if _, ok := s[name]; !ok {
			t.Errorf("Sections() has no %q section; it has %v", name, keys(s))
		}
	}
	if got := s["server"]["redis_version"]; got != "7.0.15" {
		t.Errorf(`Sections()["server"]["redis_version"] = %q`, got)
	}
	if got := s["keyspace"]; !cmp.Equal(got, map[string]string{
		"db0": "keys=1000,expires=0,avg_ttl=0",
		"db2": "keys=2,expires=2,avg_ttl=749284",
	}) {
		t.Errorf(`Sections()["keyspace"] = %v`, got)
	}
	if got := Sections(readInfo(t, "redis-8.0.txt"))["keysizes"]["db0_distrib_strings_sizes"]; got != "8=1000" {
		t.Errorf(`Redis 8.0's keysizes section: db0_distrib_strings_sizes = %q`, got)
	}
	if _, ok := s["server"]["db0"]; ok {
		t.Error("a keyspace field landed in the server section")
	}
	if len(s["modules"]) != 0 {
		t.Errorf("the empty modules section has fields: %v", s["modules"])
	}
}

func keys(m map[string]map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, text string
		want       map[string]string
	}{
		{"empty", "", map[string]string{}},
		{"LF endings", "# Server\nredis_version:7.0.15\n\n# Keyspace\ndb0:keys=1,expires=0,avg_ttl=0\n",
			map[string]string{"redis_version": "7.0.15", "db0": "keys=1,expires=0,avg_ttl=0"}},
		{"no final newline", "loading:1", map[string]string{"loading": "1"}},
		{"value with colons", "executable:/opt/a:b/redis-server\r\n", map[string]string{"executable": "/opt/a:b/redis-server"}},
		{"empty value", "os:\r\n", map[string]string{"os": ""}},
		{"line without colon skipped", "garbage\r\nrole:master\r\n", map[string]string{"role": "master"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Parse(tt.text)); diff != "" {
				t.Errorf("Parse() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKeyspace(t *testing.T) {
	tests := []struct {
		name   string
		fields map[string]string
		want   map[int]DB
	}{
		{"real primary", Parse(readInfo(t, "primary-7.0.txt")), map[int]DB{0: {Keys: 1000}, 2: {Keys: 2, Expires: 2}}},
		{"real replica before its sync", Parse(readInfo(t, "replica-7.0.txt")), map[int]DB{}},
		{"real Valkey 8.0", Parse(readInfo(t, "valkey-8.0.txt")), map[int]DB{0: {Keys: 1000}, 2: {Keys: 2, Expires: 1}}},
		{"real Valkey 8.1", Parse(readInfo(t, "valkey-8.1.txt")), map[int]DB{0: {Keys: 1000}, 2: {Keys: 2, Expires: 1}}},
		// Redis 8 adds a Keysizes section whose fields start with db0_.
		{"real Redis 8.0, Keysizes fields skipped", Parse(readInfo(t, "redis-8.0.txt")), map[int]DB{0: {Keys: 1000}, 2: {Keys: 2, Expires: 1}}},
		{"no keys", map[string]string{"redis_version": "7.0.15"}, map[int]DB{}},
		{"high database number", map[string]string{"db15": "keys=3,expires=1,avg_ttl=10"}, map[int]DB{15: {Keys: 3, Expires: 1}}},
		{"fields in any order, extra ones ignored", map[string]string{"db1": "avg_ttl=0,subexpiry=0,expires=4,keys=9"}, map[int]DB{1: {Keys: 9, Expires: 4}}},
		{"not a database", map[string]string{"dbfilename": "x", "db": "keys=1", "db-1": "keys=1"}, map[int]DB{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Keyspace(tt.fields)); diff != "" {
				t.Errorf("Keyspace() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIntAndValues(t *testing.T) {
	f := Parse(readInfo(t, "primary-7.0.txt"))
	if n, ok := Int(f, "connected_slaves"); !ok || n != 1 {
		t.Errorf("Int(connected_slaves) = %d, %v; want 1, true", n, ok)
	}
	if _, ok := Int(f, "no_such_field"); ok {
		t.Error("Int of a missing field reported ok")
	}
	if _, ok := Int(f, "role"); ok {
		t.Error("Int of a word reported ok")
	}
	got := Values(f["slave0"])
	if got["state"] != "wait_bgsave" || got["ip"] != "127.0.0.1" || got["offset"] != "0" {
		t.Errorf("Values(slave0) = %v", got)
	}
}

// Moved from executors/live (parseInfo) and executors/restore
// (ParseKeyspace), with their assertions.
func TestParseCRLFReply(t *testing.T) {
	text := "# Server\r\nredis_version:7.0.15\r\nexecutable:/usr/bin/redis-server\r\n\r\n# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n"
	want := map[string]string{
		"redis_version": "7.0.15",
		"executable":    "/usr/bin/redis-server",
		"db0":           "keys=1,expires=0,avg_ttl=0",
	}
	if diff := cmp.Diff(want, Parse(text)); diff != "" {
		t.Errorf("Parse() (-want +got):\n%s", diff)
	}
}

func TestKeyspaceSkipsOtherFields(t *testing.T) {
	got := Keyspace(map[string]string{
		"db0":         "keys=12,expires=3,avg_ttl=100",
		"db15":        "keys=1,expires=0,avg_ttl=0",
		"dbx":         "keys=1",
		"used_memory": "10",
	})
	want := map[int]DB{0: {Keys: 12, Expires: 3}, 15: {Keys: 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Keyspace() (-want +got):\n%s", diff)
	}
}
