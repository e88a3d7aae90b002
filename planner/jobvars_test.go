package planner

import (
	"reflect"
	"testing"
)

func TestCronEnvironment(t *testing.T) {
	content := []byte("SHELL=/bin/sh\n" +
		"REDISPLAN_VAR_a = 1\n" +
		"  REDISPLAN_VAR_b=\"x y\"\r\n" +
		"# REDISPLAN_VAR_c=commented\n" +
		"0 3 * * * root echo REDISPLAN_VAR_d=1\n" +
		"@daily root REDISPLAN_VAR_e=1 cmd\n" +
		"# BEGIN redisplan other\n" +
		"REDISPLAN_VAR_f=inside another block\n" +
		"# END redisplan other\n" +
		"# BEGIN redisplan main\n" +
		"0 3 * * * root redisplan backup run\n" +
		"# END redisplan main\n" +
		"REDISPLAN_VAR_g=after the block\n")
	got := cronEnvironment(content, "main")
	want := map[string]bool{"SHELL": true, "REDISPLAN_VAR_a": true, "REDISPLAN_VAR_b": true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("before the block: %v, want %v", got, want)
	}
	// A block not yet installed is appended: every line is above it.
	got = cronEnvironment(content, "new")
	want["REDISPLAN_VAR_g"] = true
	if !reflect.DeepEqual(got, want) {
		t.Errorf("new block: %v, want %v", got, want)
	}
}

func TestJobLineVarFiles(t *testing.T) {
	cron := []string{
		"# BEGIN redisplan main",
		`0 3 * * * root /bin/redisplan backup run -no-color -config /s/redis.hcl -var-file '/s/my secrets.vars' -var-file /s/b.vars -target main`,
		`# END redisplan main`,
	}
	if got, want := cronVarFiles(cron), []string{"/s/my secrets.vars", "/s/b.vars"}; !reflect.DeepEqual(got, want) {
		t.Errorf("crontab: %q, want %q", got, want)
	}
	exec := `/bin/redisplan backup run -no-color -config /s/redis.hcl -var-file "/s/100%% \"x\".vars" -target main`
	if got, want := execVarFiles(exec), []string{`/s/100% "x".vars`}; !reflect.DeepEqual(got, want) {
		t.Errorf("ExecStart: %q, want %q", got, want)
	}
}
