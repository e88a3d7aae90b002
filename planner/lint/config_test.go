package lint

import (
	"testing"

	"github.com/redisplan/redisplan/internal/model"
)

func TestWithin(t *testing.T) {
	for _, tt := range []struct {
		p, dir string
		want   bool
	}{
		{"/var/lib/redis", "/var/lib/redis", true},
		{"/var/lib/redis/", "/var/lib/redis", true},
		{"/var/lib/redis/backups", "/var/lib/redis", true},
		{"/var/lib/redis/../backups", "/var/lib/redis", false},
		{"/var/lib/redis-backups", "/var/lib/redis", false},
		{"/anything", "/", true},
		{"backups", "data", false},
		{"/data/backups", "data", false},
	} {
		if got := within(tt.p, tt.dir); got != tt.want {
			t.Errorf("within(%q, %q) = %v, want %v", tt.p, tt.dir, got, tt.want)
		}
	}
}

func TestPublicAddresses(t *testing.T) {
	for bind, want := range map[string]string{
		"127.0.0.1 -::1":      "",
		"127.0.1.1 localhost": "",
		"":                    "",
		"0.0.0.0":             "0.0.0.0",
		"* -::*":              "* -::*",
		"127.0.0.1 10.0.0.5":  "10.0.0.5",
		"-10.0.0.5":           "-10.0.0.5",
	} {
		got := publicAddresses(bind)
		joined := ""
		for i, a := range got {
			if i > 0 {
				joined += " "
			}
			joined += a
		}
		if joined != want {
			t.Errorf("publicAddresses(%q) = %q, want %q", bind, joined, want)
		}
	}
}

func TestRuleName(t *testing.T) {
	for title, want := range map[string]string{
		"CONFIG disabled":                "ConfigDisabled",
		"rename-command instead of ACLs": "RenameCommandInsteadOfAcls",
	} {
		if got := ruleName(title); got != want {
			t.Errorf("ruleName(%q) = %q, want %q", title, got, want)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	for _, version := range []string{"", "7.0", "7.2.4", "valkey-8.0", "6.2"} {
		c := configOf(&model.Target{RedisVersion: version})
		for name, want := range map[string]string{"save": "3600 1 300 100 60 10000", "appendonly": "no", "bind": "* -::*", "protected-mode": "yes", "appenddirname": "appendonlydir"} {
			if got, d := c.value(name); got != want || d != nil {
				t.Errorf("version %q: %s = %q, want the default %q", version, name, got, want)
			}
		}
	}
	c := configOf(&model.Target{Directives: []model.Directive{{Name: "save", Value: ""}}})
	if got, d := c.value("save"); got != "" || d == nil {
		t.Errorf("a managed save gives %q, %v", got, d)
	}
}
