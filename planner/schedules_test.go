package planner

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/owner"
)

func TestDiffScheduleFiles(t *testing.T) {
	target := &model.Target{Name: "main"}
	dir := "/etc/systemd/system"
	self := owner.Owner{Spec: "/srv/a/spec.hcl", Target: "main"}
	timer := func(cal string) string {
		return "# marker\n" + self.Line() + "\n[Timer]\nOnCalendar=" + cal + "\nPersistent=true\n"
	}
	svc := "# marker\n" + self.Line() + "\n[Service]\n"
	want := []model.ScheduleDir{{Kind: "systemd", Dir: dir, Owner: self, Files: []model.ScheduleFile{
		{Name: "redisplan-main-backup.service", Content: svc},
		{Name: "redisplan-main-backup.timer", Content: timer("*-*-* 03:00:00")},
	}}}
	type fc struct {
		Name   string
		Action model.Action
		Diff   []string
	}
	tests := []struct {
		name   string
		have   []model.ScheduleDir
		want   []fc
		errHas string
	}{
		{"empty directory: create both", nil, []fc{
			{"redisplan-main-backup.service", model.Create, nil},
			{"redisplan-main-backup.timer", model.Create, nil},
		}, ""},
		{"one line differs: update with its diff", []model.ScheduleDir{{Kind: "systemd", Dir: dir, Files: []model.ScheduleFile{
			{Name: "redisplan-main-backup.service", Content: svc},
			{Name: "redisplan-main-backup.timer", Content: timer("*-*-* 04:00:00")},
		}}}, []fc{
			{"redisplan-main-backup.timer", model.Update, []string{"-OnCalendar=*-*-* 04:00:00", "+OnCalendar=*-*-* 03:00:00"}},
		}, ""},
		{"a schedule no longer wanted: delete", []model.ScheduleDir{{Kind: "systemd", Dir: dir, Files: []model.ScheduleFile{
			{Name: "redisplan-main-backup.service", Content: svc},
			{Name: "redisplan-main-backup.timer", Content: timer("*-*-* 03:00:00")},
			{Name: "redisplan-main-check.timer", Content: timer("*:00/15")},
		}}}, []fc{
			{"redisplan-main-check.timer", model.Delete, nil},
		}, ""},
		{"in sync: nothing", []model.ScheduleDir{{Kind: "systemd", Dir: dir, Files: want[0].Files}}, nil, ""},
		{"a file without the marker is not overwritten", []model.ScheduleDir{{Kind: "systemd", Dir: dir, Others: []string{"redisplan-main-backup.timer"}}},
			nil, "redisplan-main-backup.timer exists and was not written by redisplan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &model.State{Live: &model.LiveState{Config: defaults(nil)}, Schedules: tt.have}
			tp := Diff(Input{Target: target, State: st, Catalog: cat70(t), Schedules: want})
			if tt.errHas != "" {
				if !strings.Contains(tp.Error, tt.errHas) || tp.HasChanges() {
					t.Fatalf("plan error %q, changes %v; want an error with %q and no changes", tp.Error, tp.ScheduleFiles, tt.errHas)
				}
				return
			}
			var got []fc
			for _, c := range tp.ScheduleFiles {
				got = append(got, fc{c.Name, c.Action, c.Diff})
				if c.Dir != dir || c.Kind != "systemd" {
					t.Errorf("%s: dir %q kind %q", c.Name, c.Dir, c.Kind)
				}
				if (c.Action == model.Delete) != (c.Content == "") {
					t.Errorf("%s: %s with content %q", c.Name, c.Action, c.Content)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			if tp.HasChanges() != (len(tt.want) > 0) {
				t.Errorf("HasChanges = %v", tp.HasChanges())
			}
		})
	}
}

func TestLineDiff(t *testing.T) {
	a := []string{"a", "b", "c", "d"}
	b := []string{"a", "x", "c", "d", "e"}
	if diff := cmp.Diff([]string{"-b", "+x", "+e"}, lineDiff(a, b)); diff != "" {
		t.Error(diff)
	}
	if got := lineDiff(a, a); len(got) != 0 {
		t.Errorf("equal files differ: %q", got)
	}
}

func TestStaleScheduleFiles(t *testing.T) {
	st := &model.State{Schedules: []model.ScheduleDir{{Kind: "systemd", Dir: "/d", Files: []model.ScheduleFile{{Name: "redisplan-main-backup.timer", Content: "a"}}}}}
	kdf := NewKDF()
	before := FingerprintTarget(&model.Target{Name: "main"}, st, nil, kdf)
	st.Schedules[0].Files[0].Content = "b"
	after := FingerprintTarget(&model.Target{Name: "main"}, st, nil, kdf)
	r := Stale(&Fingerprints{KDF: kdf, Targets: map[string]TargetFingerprint{"main": before}}, &Fingerprints{KDF: kdf, Targets: map[string]TargetFingerprint{"main": after}})
	if len(r) != 1 || r[0] != "the schedule files of redis.main changed" {
		t.Errorf("stale reasons = %q", r)
	}
}

// A foreign schedule file stops the plan before anything is planned: the
// error plan has no changes, so no secret of the spec reaches a printed
// or saved plan.
func TestScheduleConflictPlansNothing(t *testing.T) {
	target := &model.Target{Name: "main", Directives: []model.Directive{{Name: "requirepass", Value: "n3w-s3cret", Sensitive: true}}}
	dir := "/etc/systemd/system"
	st := &model.State{
		Live:      &model.LiveState{Config: defaults(map[string]string{"requirepass": "old-s3cret"})},
		Schedules: []model.ScheduleDir{{Kind: "systemd", Dir: dir, Others: []string{"redisplan-main-backup.timer"}}},
	}
	want := []model.ScheduleDir{{Kind: "systemd", Dir: dir, Files: []model.ScheduleFile{{Name: "redisplan-main-backup.timer", Content: "# marker\n"}}}}
	tp := Diff(Input{Target: target, State: st, Catalog: cat70(t), Schedules: want})
	if tp.Error == "" || tp.HasChanges() {
		t.Fatalf("error %q, changes %+v: want an error plan without changes", tp.Error, tp.Changes)
	}
	var b strings.Builder
	if err := json.NewEncoder(&b).Encode(tp); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "s3cret") {
		t.Errorf("the plan holds a password: %s", b.String())
	}
}
