package planner

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/owner"
)

func cat70(t *testing.T) *catalog.Catalog {
	c, err := catalog.For("7.0")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// defaults is CONFIG GET on a fresh 7.0 server, for the directives these
// tests touch.
func defaults(over map[string]string) map[string]string {
	m := map[string]string{
		"maxmemory": "0", "maxmemory-policy": "noeviction", "appendonly": "no", "appendfsync": "everysec",
		"save": "3600 1 300 100 60 10000", "databases": "16", "notify-keyspace-events": "",
		"requirepass": "", "dir": "/data", "dbfilename": "dump.rdb", "enable-protected-configs": "no",
		"replica-read-only": "yes",
	}
	for k, v := range over {
		m[k] = v
	}
	return m
}

type change struct {
	Directive          string
	Action             model.Action
	Mode               model.Mode
	LiveChange, FileCh bool
}

func TestDiff(t *testing.T) {
	tests := []struct {
		name  string
		want  []model.Directive
		live  map[string]string
		file  *string
		info  map[string]string
		out   []change
		drift []string
		risks []string
	}{
		{
			name: "equal after normalization is no change",
			want: []model.Directive{{Name: "maxmemory", Value: "2147483648"}, {Name: "notify-keyspace-events", Value: "xE"}, {Name: "replica-read-only", Value: "yes"}},
			live: defaults(map[string]string{"maxmemory": "2147483648", "notify-keyspace-events": "xE"}),
			file: ptr("maxmemory 2gb\nnotify-keyspace-events Ex\nslave-read-only yes\n"),
		},
		{
			name: "live and file both differ",
			want: []model.Directive{{Name: "maxmemory", Value: "2147483648"}},
			live: defaults(nil),
			file: ptr("port 6379\n"),
			out:  []change{{"maxmemory", model.Create, model.Live, true, true}},
		},
		{
			name:  "drift: live changed behind the file's back",
			want:  []model.Directive{{Name: "maxmemory", Value: "2147483648"}},
			live:  defaults(map[string]string{"maxmemory": "1048576"}),
			file:  ptr("maxmemory 2gb\n"),
			out:   []change{{"maxmemory", model.Update, model.Live, true, false}},
			drift: []string{"maxmemory 1048576 2147483648"},
		},
		{
			name: "immutable needs a restart",
			want: []model.Directive{{Name: "databases", Value: "32"}},
			live: defaults(nil),
			file: ptr("databases 16\n"),
			out:  []change{{"databases", model.Update, model.Restart, false, true}},
		},
		{
			name:  "protected without enable-protected-configs",
			want:  []model.Directive{{Name: "dbfilename", Value: "main.rdb"}},
			live:  defaults(nil),
			out:   []change{{"dbfilename", model.Update, model.Protected, false, false}},
			risks: []string{"dbfilename"},
		},
		{
			// CONFIG SET would allow it, but the files would stay under the
			// old name: apply carries them over in a restart instead.
			name:  "dbfilename is never live, even where enable-protected-configs allows it",
			want:  []model.Directive{{Name: "dbfilename", Value: "main.rdb"}},
			live:  defaults(map[string]string{"enable-protected-configs": "local"}),
			out:   []change{{"dbfilename", model.Update, model.Protected, false, false}},
			risks: []string{"dbfilename"},
		},
		{
			name:  "maxmemory below used memory",
			want:  []model.Directive{{Name: "maxmemory", Value: "1048576"}},
			live:  defaults(nil),
			info:  map[string]string{"used_memory": "5000000"},
			out:   []change{{"maxmemory", model.Update, model.Live, true, false}},
			risks: []string{"maxmemory"},
		},
		{
			name:  "enabling AOF",
			want:  []model.Directive{{Name: "appendonly", Value: "yes"}},
			live:  defaults(nil),
			file:  ptr("appendonly no\n"),
			info:  map[string]string{"used_memory": "1000000"},
			out:   []change{{"appendonly", model.Update, model.Live, true, true}},
			risks: []string{"appendonly"},
		},
		{
			name:  "turning all persistence off",
			want:  []model.Directive{{Name: "save", Value: ""}},
			live:  defaults(nil),
			out:   []change{{"save", model.Update, model.Live, true, false}},
			risks: []string{""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := &model.Target{Name: "main", Directives: tt.want}
			st := &model.State{Live: &model.LiveState{Version: "7.0.15", RunID: "r1", Config: tt.live, Info: tt.info, Loopback: true}}
			if tt.file != nil {
				st.File = &model.FileState{Path: "/etc/redis.conf", Exists: true, Content: []byte(*tt.file)}
			}
			tp := Diff(Input{Target: target, State: st, Catalog: cat70(t)})
			if tp.Error != "" {
				t.Fatal(tp.Error)
			}
			var got []change
			for _, c := range tp.Changes {
				got = append(got, change{c.Directive, c.Action, c.Mode, c.LiveChange, c.FileChange})
			}
			if diff := cmp.Diff(tt.out, got); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			var drift []string
			for _, d := range tp.Drift {
				drift = append(drift, d.Directive+" "+d.Live+" "+d.File)
			}
			if diff := cmp.Diff(tt.drift, drift); diff != "" {
				t.Errorf("drift (-want +got):\n%s", diff)
			}
			var risks []string
			for _, r := range tp.Risks {
				risks = append(risks, r.Directive)
			}
			if diff := cmp.Diff(tt.risks, risks); diff != "" {
				t.Errorf("risks (-want +got):\n%s", diff)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestDiffMasksSecrets(t *testing.T) {
	target := &model.Target{Name: "main", Directives: []model.Directive{{Name: "requirepass", Value: "n3w-s3cret", Sensitive: true}},
		Renames: []model.Rename{{Command: "CONFIG", NewName: "CFG_hidden", Sensitive: true}}}
	st := &model.State{
		Live: &model.LiveState{Version: "7.0.15", Config: defaults(map[string]string{"requirepass": "old-s3cret"})},
		File: &model.FileState{Exists: true, Content: []byte("requirepass old-s3cret\nrename-command CONFIG CFG_old\n")},
	}
	tp := Diff(Input{Target: target, State: st, Catalog: cat70(t)})
	var b strings.Builder
	if err := Encode(&b, &Plan{FormatVersion: FormatVersion, Targets: []*model.TargetPlan{tp}}); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"n3w-s3cret", "old-s3cret", "CFG_hidden", "CFG_old"} {
		if strings.Contains(b.String(), secret) {
			t.Errorf("the plan holds the secret %q:\n%s", secret, b.String())
		}
	}
	if len(tp.Changes) != 2 {
		t.Errorf("changes = %+v, want requirepass and the CONFIG rename", tp.Changes)
	}
}

func TestDiffCrontab(t *testing.T) {
	target := &model.Target{Name: "main", Cron: &model.Cron{File: "/etc/cron.d/redisplan"}}
	self := owner.Owner{Spec: "/srv/a/spec.hcl", Target: "main"}
	want := []string{"# BEGIN redisplan main", self.Line(), "0 3 * * * root /b backup run", "# END redisplan main"}
	st := &model.State{Live: &model.LiveState{Config: defaults(nil)}, Cron: &model.CronState{Where: "/etc/cron.d/redisplan", Lines: []string{"# BEGIN redisplan main", self.Line(), "0 4 * * * root /b backup run", "# END redisplan main"}}}
	tp := Diff(Input{Target: target, State: st, Catalog: cat70(t), CronLines: want, CronOwner: self})
	if tp.Crontab == nil || tp.Crontab.Action != model.Update {
		t.Fatalf("crontab = %+v, want an update", tp.Crontab)
	}
	if diff := cmp.Diff([]string{"0 3 * * * root /b backup run"}, tp.Crontab.Added); diff != "" {
		t.Error(diff)
	}
	if diff := cmp.Diff([]string{"0 4 * * * root /b backup run"}, tp.Crontab.Removed); diff != "" {
		t.Error(diff)
	}
	st.Cron.Lines = want
	if tp := Diff(Input{Target: target, State: st, Catalog: cat70(t), CronLines: want, CronOwner: self}); tp.Crontab != nil {
		t.Errorf("an installed block equal to the spec's is a change: %+v", tp.Crontab)
	}
}

func TestDiffUnreachable(t *testing.T) {
	tp := Diff(Input{Target: &model.Target{Name: "main"}, State: &model.State{Error: errString("cannot connect to 127.0.0.1:1: connection refused")}, Catalog: cat70(t)})
	if !strings.Contains(tp.Error, "connection refused") || tp.HasChanges() {
		t.Errorf("plan = %+v, want the error and no changes", tp)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func TestStale(t *testing.T) {
	saved := &Fingerprints{Spec: "s1", Targets: map[string]TargetFingerprint{
		"main": {RunID: "aaaaaaaaaa", Config: "c1", Managed: map[string]string{"maxmemory": "0"}, File: "f1"},
	}}
	same := &Fingerprints{Spec: "s1", Targets: map[string]TargetFingerprint{
		"main": {RunID: "aaaaaaaaaa", Config: "c1", Managed: map[string]string{"maxmemory": "0"}, File: "f1"},
	}}
	if r := Stale(saved, same); len(r) != 0 {
		t.Errorf("identical fingerprints are stale: %v", r)
	}
	moved := &Fingerprints{Spec: "s1", Targets: map[string]TargetFingerprint{
		"main": {RunID: "aaaaaaaaaa", Config: "c2", Managed: map[string]string{"maxmemory": "1048576"}, File: "f1"},
	}}
	r := Stale(saved, moved)
	if len(r) != 1 || r[0] != "maxmemory on redis.main changed from 0 to 1048576" {
		t.Errorf("stale reasons = %q", r)
	}
	unread := &Fingerprints{Spec: "s1", Targets: map[string]TargetFingerprint{"main": {}}}
	r = Stale(saved, unread)
	if len(r) != 1 || r[0] != "redis.main could not be read to compare" {
		t.Errorf("a server that cannot be read now: stale reasons = %q", r)
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	p := &Plan{FormatVersion: FormatVersion, Targets: []*model.TargetPlan{{
		Target: "main", Changes: []model.Change{{Address: Address("main", "maxmemory"), Directive: "maxmemory", Action: model.Create, Mode: model.Protected, After: "1"}},
		Drift: []model.Drift{}, Risks: []model.Risk{{Message: "x"}},
		ScheduleFiles: []model.FileChange{{Kind: "systemd", Dir: "/d", Name: "redisplan-main-backup.timer", Action: model.Update, Diff: []string{"-a", "+b"}, Content: "b\n"}},
	}}, Fingerprints: &Fingerprints{KDF: NewKDF(), Spec: "s", Targets: map[string]TargetFingerprint{"main": {RunID: "r"}}}}
	var b strings.Builder
	if err := Encode(&b, p); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"action": "create"`) || !strings.Contains(b.String(), `"mode": "protected"`) {
		t.Errorf("actions and modes are not stable strings:\n%s", b.String())
	}
	back, err := Decode(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if _, err := Decode(strings.NewReader(`{"format_version":"9.0"}`)); err == nil {
		t.Error("a plan of another format version was accepted")
	}
}

// TestDiffReplicaRole: a server listed as a replica that reports another
// role is an error of its own, and nothing is planned on it.
func TestDiffReplicaRole(t *testing.T) {
	tg := &model.Target{Name: "main/127.0.0.1:6380", Directives: []model.Directive{{Name: "maxmemory", Value: "1048576"}}}
	live := &model.LiveState{Version: "7.0.15", Config: defaults(nil), Info: map[string]string{"role": "master"}}
	tp := Diff(Input{Target: tg, State: &model.State{Live: live}, Catalog: cat70(t), Replica: "127.0.0.1:6380"})
	if !strings.Contains(tp.Error, "127.0.0.1:6380 is listed as a replica but reports role:master") || len(tp.Changes) != 0 {
		t.Fatalf("error = %q, changes = %v", tp.Error, tp.Changes)
	}
	live.Info["role"] = "slave"
	tp = Diff(Input{Target: tg, State: &model.State{Live: live}, Catalog: cat70(t), Replica: "127.0.0.1:6380"})
	if tp.Error != "" || len(tp.Changes) != 1 || tp.Member != "127.0.0.1:6380" {
		t.Fatalf("replica plan: error %q, %d changes, member %q", tp.Error, len(tp.Changes), tp.Member)
	}

	group := &model.TargetPlan{Target: "main", Replicas: []*model.TargetPlan{tp, {Member: "127.0.0.1:6381", Error: "connection refused"}}}
	if !group.HasChanges() || group.OwnChanges() {
		t.Error("a group whose replicas change must have changes, but none of its own")
	}
	if got := group.Errors(); !cmp.Equal(got, []string{"replica 127.0.0.1:6381: connection refused"}) {
		t.Errorf("Errors = %v", got)
	}
	if !(&Plan{Targets: []*model.TargetPlan{group}}).HasErrors() {
		t.Error("a replica's error is not a plan error")
	}
}
