package lint

import (
	"testing"
	"time"

	"github.com/redisplan/redisplan/internal/model"
)

func TestSchedulePeriod(t *testing.T) {
	day := 24 * time.Hour
	for _, tt := range []struct {
		schedule string
		want     time.Duration
	}{
		{"0 3 * * *", day},
		{"@daily", day},
		{"*/15 * * * *", 15 * time.Minute},
		{"@every 6h", 6 * time.Hour},
		{"0 3 * * 1-5", 3 * day},                             // the weekend
		{"*/15 9-17 * * 1-5", 63*time.Hour + 15*time.Minute}, // Friday 17:45 to Monday 9:00
		{"0 3 * * 0", 7 * day},
		{"0 3 1 * *", 31 * day},
		{"@yearly", 366 * day}, // 2028 is a leap year
		{"0 0 29 2 *", 4*365*day + day},
	} {
		got, err := schedulePeriod(tt.schedule)
		if err != nil || got != tt.want {
			t.Errorf("schedulePeriod(%q) = %v, %v; want %v", tt.schedule, got, err, tt.want)
		}
	}
	if _, err := schedulePeriod("not cron"); err == nil {
		t.Error("no error for an invalid schedule")
	}
}

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

func BenchmarkSchedulePeriod(b *testing.B) {
	for _, s := range []string{"* * * * *", "0 3 * * *"} {
		b.Run(s, func(b *testing.B) {
			for b.Loop() {
				if _, err := schedulePeriod(s); err != nil {
					b.Fatal(err)
				}
			}
		})
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
