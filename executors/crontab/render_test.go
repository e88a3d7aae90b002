package crontab

import (
	"strings"
	"testing"

	"github.com/redisplan/redisplan/internal/model"
)

func TestLinesQuoteForTheShell(t *testing.T) {
	target := &model.Target{
		Name:   `cache["eu"]`,
		Backup: &model.Backup{Schedule: "0 3 * * *"},
		Cron:   &model.Cron{User: "redis", Log: "/var/log/red is%.log"},
	}
	got := Lines(target, RenderOptions{Binary: "/usr/bin/redisplan", Config: "/etc/redisplan/my specs", VarFiles: []string{"/etc/redisplan/prod.vars"}})
	want := []string{
		`# BEGIN redisplan cache["eu"]`,
		`0 3 * * * /usr/bin/redisplan backup run -no-color -config '/etc/redisplan/my specs' -var-file /etc/redisplan/prod.vars -target 'cache["eu"]' >>'/var/log/red is\%.log' 2>&1`,
		`# END redisplan cache["eu"]`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestNoScheduleNoLines(t *testing.T) {
	if got := Lines(&model.Target{Name: "main", Backup: &model.Backup{Destination: "/b"}}, RenderOptions{}); got != nil {
		t.Errorf("a target without schedules got lines %q", got)
	}
}

func TestCronDFileHasUserColumn(t *testing.T) {
	target := &model.Target{Name: "main", Alerts: &model.Alerts{Schedule: "*/15 * * * *"}, Cron: &model.Cron{File: "/etc/cron.d/redisplan", RunAs: "redis"}}
	got := Lines(target, RenderOptions{Binary: "/b/redisplan", Config: "/etc/r"})
	if got[1] != "*/15 * * * * redis /b/redisplan check -notify -no-color -config /etc/r -target main" {
		t.Errorf("line = %q", got[1])
	}
}
