package crontab

import (
	"strings"
	"testing"

	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/owner"
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
		`# redisplan owner: spec "/etc/redisplan/my specs", target "cache[\"eu\"]"`,
		`PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
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
	if got[3] != "*/15 * * * * redis /b/redisplan check -notify -quiet -no-color -config /etc/r -target main" {
		t.Errorf("line = %q", got[3])
	}
}

// TestEnvironmentLines: the block sets a PATH with the sbin directories
// (cron's own is /usr/bin:/bin), and MAILTO only when the spec gives one;
// mail_to = "" turns the mail off.
func TestEnvironmentLines(t *testing.T) {
	target := &model.Target{Name: "main", Alerts: &model.Alerts{Schedule: "*/15 * * * *"}, Cron: &model.Cron{User: "redis"}}
	opts := RenderOptions{Binary: "/b/redisplan", Config: "/etc/r"}
	for _, c := range []struct {
		mailTo *string
		want   []string
	}{
		{nil, []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
		{ptr("ops@example.com,dba@example.com"), []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "MAILTO=ops@example.com,dba@example.com"}},
		{ptr(""), []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", `MAILTO=""`}},
	} {
		target.Cron.MailTo = c.mailTo
		got := Lines(target, opts)
		// The environment comes before the job lines it applies to.
		if env := got[2 : 2+len(c.want)]; strings.Join(env, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("mail_to %v: environment %q, want %q", c.mailTo, env, c.want)
		}
		if job := got[2+len(c.want)]; !strings.Contains(job, " check -notify -quiet ") {
			t.Errorf("mail_to %v: line after the environment = %q, want the check job", c.mailTo, job)
		}
	}
}

func ptr(s string) *string { return &s }

// TestBlockNamedByID: a cron block's id names the block instead of the
// target and is its owner, so that two specs' targets "main" can share a
// crontab.
func TestBlockNamedByID(t *testing.T) {
	target := &model.Target{Name: "main", Backup: &model.Backup{Schedule: "0 3 * * *"}, Cron: &model.Cron{File: "/etc/cron.d/redisplan", ID: "orders-a"}}
	got := Lines(target, RenderOptions{Binary: "/b/redisplan", Config: "/srv/a"})
	if got[0] != "# BEGIN redisplan orders-a" || got[len(got)-1] != "# END redisplan orders-a" {
		t.Errorf("markers = %q, %q", got[0], got[len(got)-1])
	}
	if got[1] != `# redisplan owner: id "orders-a" (spec "/srv/a", target "main")` {
		t.Errorf("owner line = %q", got[1])
	}
}

// TestSpliceOwned: apply replaces a block only when it is the applying
// spec's, or has no owner line (an older redisplan's, which the plan
// decided to adopt).
func TestSpliceOwned(t *testing.T) {
	a := owner.Owner{Spec: "/srv/a", Target: "main"}
	b := owner.Owner{Spec: "/srv/b", Target: "main"}
	block := func(o owner.Owner, job string) []string {
		return []string{BeginMarker("main"), o.Line(), job, EndMarker("main")}
	}
	current := Splice([]byte("MAILTO=ops\n"), "main", block(a, "0 3 * * * a"))
	if _, err := SpliceOwned(current, "main", block(b, "0 3 * * * b"), b); err == nil || !strings.Contains(err.Error(), `belongs to spec /srv/a, target "main"`) {
		t.Errorf("another spec's block replaced: %v", err)
	}
	if _, err := SpliceOwned(current, "main", nil, b); err == nil {
		t.Error("another spec's block removed")
	}
	next, err := SpliceOwned(current, "main", block(a, "0 4 * * * a"), a)
	if err != nil || !strings.Contains(string(next), "0 4 * * * a") {
		t.Errorf("own block not replaced: %v\n%s", err, next)
	}
	legacy := Splice(nil, "main", []string{BeginMarker("main"), "0 3 * * * old", EndMarker("main")})
	if next, err := SpliceOwned(legacy, "main", block(b, "0 3 * * * b"), b); err != nil || strings.Contains(string(next), "old") {
		t.Errorf("a block without an owner line not adopted: %v\n%s", err, next)
	}
}

// TestArchiveIsNotACronJob: a target with an archive gets no cron line
// for it (cron would start it and never restart it) but comment lines
// saying where to run it instead, with the command a supervisor would
// run, quoted for a shell.
func TestArchiveIsNotACronJob(t *testing.T) {
	target := &model.Target{
		Name:   `cache["eu"]`,
		Backup: &model.Backup{Schedule: "0 3 * * *", Destination: "/b", Archive: &model.Archive{Flush: model.DefaultArchiveFlush}},
		Cron:   &model.Cron{User: "redis"},
	}
	got := Lines(target, RenderOptions{Binary: "/usr/bin/redisplan", Config: "/etc/redisplan"})
	var jobs, comments []string
	for _, l := range got {
		switch {
		case strings.HasPrefix(l, "#"):
			comments = append(comments, l)
		case strings.HasPrefix(l, "PATH=") || strings.HasPrefix(l, "MAILTO="):
			// the block's environment, not a job
		default:
			jobs = append(jobs, l)
		}
	}
	if len(jobs) != 1 || !strings.Contains(jobs[0], " backup run ") {
		t.Errorf("job lines = %q, want the backup only", jobs)
	}
	text := strings.Join(comments, "\n")
	for _, want := range []string{"cannot run from cron", `kind = "systemd"`, `kind = "kubernetes"`, "/usr/bin/redisplan archive -no-color -config /etc/redisplan -target 'cache[\"eu\"]'"} {
		if !strings.Contains(text, want) {
			t.Errorf("the block does not say %q:\n%s", want, text)
		}
	}
	if _, ok := ArchiveJob(&model.Target{Name: "x", Backup: &model.Backup{}}); ok {
		t.Error("a target without an archive block has an archive job")
	}
}
