package redisconf_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redisplan/redisplan/internal/redisconf"
)

func TestValuesSample(t *testing.T) {
	got, err := redisconf.Values([]byte(sampleConf), cat70(t))
	if err != nil {
		t.Fatal(err)
	}
	want := redisconf.FileValues{
		Values: map[string]string{
			"bind":                       "127.0.0.1 -::1",
			"port":                       "6379",
			"save":                       "3600 1 300 100 60 10000",
			"replicaof":                  "10.0.0.1 6379",
			"hash-max-listpack-entries":  "256",
			"maxmemory":                  "1gb",
			"maxmemory-policy":           "noeviction",
			"client-output-buffer-limit": "replica 256mb 64mb 60",
			"loglevel":                   "notice",
		},
		Present: map[string]bool{
			"bind": true, "port": true, "save": true, "replicaof": true,
			"hash-max-listpack-entries": true, "maxmemory": true, "maxmemory-policy": true,
			"client-output-buffer-limit": true, "loglevel": true,
		},
		Renames: map[string]string{
			"FLUSHALL": "",
			"FLUSHDB":  "b840fc02d524045429941cc15f59e41cb7be6c52",
		},
		Includes: []string{"/etc/redis/common.conf"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Values (-want +got):\n%s", diff)
	}
}

func TestValues(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		directive string
		want      string
		present   bool
	}{
		{"last line wins", "maxmemory 1gb\nmaxmemory 2gb\n", "maxmemory", "2gb", true},
		{"alias counts as the directive", "replicaof a 1\nslaveof b 2\n", "replicaof", "b 2", true},
		{"canonical after alias", "SLAVEOF b 2\nreplicaof a 1\n", "replicaof", "a 1", true},
		{"absent", "port 6379\n", "maxmemory", "", false},
		{"commented out", "# maxmemory 1gb\n", "maxmemory", "", false},
		{"quoted argument", "requirepass \"a b\"\n", "requirepass", "a b", true},
		{"save lines accumulate", "save 3600 1\nport 1\nsave 300 100 60 10000\n", "save", "3600 1 300 100 60 10000", true},
		{"save empty disables", "save \"\"\n", "save", "", true},
		{"save empty drops earlier pairs", "save 3600 1\nsave \"\"\nsave 60 10000\n", "save", "60 10000", true},
		{"save empty last", "save 3600 1\nsave ''\n", "save", "", true},
		{"buffer limits accumulate", "client-output-buffer-limit normal 0 0 0\nclient-output-buffer-limit pubsub 32mb 8mb 60\n",
			"client-output-buffer-limit", "normal 0 0 0 pubsub 32mb 8mb 60", true},
		{"deprecated directive ignored", "list-max-ziplist-entries 512\n", "list-max-ziplist-entries", "", false},
		{"unknown directive ignored", "no-such-thing 1\nmymodule.opt 2\n", "no-such-thing", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fv, err := redisconf.Values([]byte(tt.in), cat70(t))
			if err != nil {
				t.Fatal(err)
			}
			if got, ok := fv.Values[tt.directive]; got != tt.want || ok != tt.present || fv.Present[tt.directive] != tt.present {
				t.Errorf("Values[%s] = %q, %v (Present %v), want %q, %v",
					tt.directive, got, ok, fv.Present[tt.directive], tt.want, tt.present)
			}
		})
	}
}

func TestValuesRenames(t *testing.T) {
	in := "rename-command config \"\"\n" +
		"rename-command FLUSHALL a1\n" +
		"rename-command flushall a2\n"
	fv, err := redisconf.Values([]byte(in), cat70(t))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"CONFIG": "", "FLUSHALL": "a2"}
	if diff := cmp.Diff(want, fv.Renames); diff != "" {
		t.Errorf("Renames (-want +got):\n%s", diff)
	}
}

func TestValuesErrors(t *testing.T) {
	for _, in := range []string{
		"port \"6379\n",
		"port 1\nrename-command FLUSHALL\n",
		"rename-command FLUSHALL a b\n",
	} {
		if _, err := redisconf.Values([]byte(in), cat70(t)); err == nil {
			t.Errorf("Values(%q): no error", in)
		} else if strings.HasPrefix(in, "port 1") && !strings.Contains(err.Error(), "line 2") {
			t.Errorf("Values(%q): error %q does not name line 2", in, err)
		}
	}
}

// The values read back after ApplyEdits are the ones the edits asked for.
func TestValuesAfterApplyEdits(t *testing.T) {
	out, err := redisconf.ApplyEdits([]byte(sampleConf), sampleEdits(t))
	if err != nil {
		t.Fatal(err)
	}
	fv, err := redisconf.Values(out, cat70(t))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"maxmemory":  "4gb",
		"save":       "900 1 300 10",
		"appendonly": "yes",
		"replicaof":  "10.0.0.2 6380",
	} {
		if got := fv.Values[name]; got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if got := fv.Renames["FLUSHALL"]; got != "FLUSHALL_x1" {
		t.Errorf("FLUSHALL renamed to %q", got)
	}
	if got := fv.Renames["FLUSHDB"]; got != "b840fc02d524045429941cc15f59e41cb7be6c52" {
		t.Errorf("FLUSHDB renamed to %q", got)
	}
}
