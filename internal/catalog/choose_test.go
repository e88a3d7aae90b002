package catalog

import (
	"strings"
	"testing"
)

func TestChoose(t *testing.T) {
	for _, tc := range []struct {
		name     string
		info     map[string]string
		declared string
		want     string
	}{
		{"redis 7.0 server", map[string]string{"redis_version": "7.0.15"}, "7.4", "7.0"},
		{"redis 7.2 server", map[string]string{"redis_version": "7.2.4"}, "", "7.2"},
		{"valkey 8.0 reports redis_version 7.2.4", map[string]string{"redis_version": "7.2.4", "server_name": "valkey", "valkey_version": "8.0.1"}, "7.0", "valkey-8.0"},
		{"valkey 7.2 has no valkey_version", map[string]string{"redis_version": "7.2.5", "server_name": "valkey"}, "", "7.2"},
		{"server not read: the spec's version", nil, "valkey-8.0", "valkey-8.0"},
		{"server too old: the spec's version", map[string]string{"redis_version": "6.2.14"}, "7.2", "7.2"},
		{"nothing known: the oldest catalog", map[string]string{"redis_version": "garbage"}, "", "7.0"},
		{"declared version unsupported: the oldest catalog", nil, "6.0", "7.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Choose(tc.info, tc.declared)
			if c == nil {
				t.Fatal("Choose returned nil")
			}
			if c.Version() != tc.want {
				t.Errorf("Choose(%v, %q) = %s, want %s", tc.info, tc.declared, c.Version(), tc.want)
			}
		})
	}
}

func TestServerVersion(t *testing.T) {
	for _, tc := range []struct {
		info map[string]string
		want string
	}{
		{map[string]string{"redis_version": "7.0.15"}, "7.0.15"},
		{map[string]string{"redis_version": "7.2.4", "server_name": "valkey", "valkey_version": "8.1.1"}, "valkey 8.1.1"},
		{map[string]string{}, ""},
	} {
		if got := ServerVersion(tc.info); got != tc.want {
			t.Errorf("ServerVersion(%v) = %q, want %q", tc.info, got, tc.want)
		}
	}
}

func TestAbsent(t *testing.T) {
	c70, err := For("7.0")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := Absent(c70, "repl-rdb-channel"), `Redis 7.0 has no configuration directive named "repl-rdb-channel". Redis 8.0 has it`; !strings.HasPrefix(got, want) {
		t.Errorf("Absent(7.0, repl-rdb-channel) = %q, want it to start with %q", got, want)
	}
	if got := Absent(c70, "maxmemori"); !strings.Contains(got, `Did you mean "maxmemory"?`) {
		t.Errorf("Absent(7.0, maxmemori) = %q, want a suggestion", got)
	}
	v81, err := For("valkey-8.1")
	if err != nil {
		t.Fatal(err)
	}
	if got := v81.Label(); got != "Valkey 8.1" {
		t.Errorf("Label = %q", got)
	}
	if got := Where("dual-channel-replication-enabled"); strings.Join(got, ",") != "Valkey 8.0,Valkey 8.1" {
		t.Errorf("Where(dual-channel-replication-enabled) = %q", got)
	}
	if got := Have("dual-channel-replication-enabled"); got != "Valkey 8.0 and Valkey 8.1 have it" {
		t.Errorf("Have(dual-channel-replication-enabled) = %q", got)
	}
	if got := Have("nonexistent-directive"); got != "" {
		t.Errorf("Have(nonexistent-directive) = %q, want empty", got)
	}
}
