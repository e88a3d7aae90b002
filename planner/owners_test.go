package planner

import (
	"strings"
	"testing"

	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/owner"
)

// TestDiffCrontabOwners: a block of the same name is replaced only when it
// is this spec's: by its owner line, or, without one (an older
// redisplan's), when its lines run this spec.
func TestDiffCrontabOwners(t *testing.T) {
	self := owner.Owner{Spec: "/srv/b/spec.hcl", Target: "main"}
	other := owner.Owner{Spec: "/srv/a/spec.hcl", Target: "main"}
	block := func(o *owner.Owner, spec, at string) []string {
		lines := []string{"# BEGIN redisplan main"}
		if o != nil {
			lines = append(lines, o.Line())
		}
		return append(lines, at+" * * * root /usr/bin/redisplan backup run -no-color -config "+spec+" -target main", "# END redisplan main")
	}
	want := block(&self, self.Spec, "0 3")
	tests := []struct {
		name    string
		self    owner.Owner
		have    []string
		want    []string
		action  model.Action // NoOp for no change
		errHas  []string
		noteHas string
	}{
		{"another spec's block is not replaced", self, block(&other, other.Spec, "0 4"), want, model.NoOp,
			[]string{`the crontab block "main" in /etc/cron.d/redisplan belongs to spec /srv/a/spec.hcl, target "main"`, "cron { id", "delete it"}, ""},
		{"another spec's block when this spec wants none", self, block(&other, other.Spec, "0 4"), nil, model.NoOp, nil, ""},
		{"an older redisplan's block running this spec is adopted", self, block(nil, self.Spec, "0 4"), want, model.Update, nil, "adopted"},
		{"an older redisplan's block running another spec is refused", self, block(nil, other.Spec, "0 4"), want, model.NoOp,
			[]string{"has no owner line", "do not run this spec (/srv/b/spec.hcl)"}, ""},
		{"a path that only starts like this spec's proves nothing", self, block(nil, self.Spec+".old", "0 4"), want, model.NoOp,
			[]string{"has no owner line"}, ""},
		{"an owner line edited by hand", self, append([]string{"# BEGIN redisplan main", "# redisplan owner: someone"}, want[2:]...), want, model.NoOp,
			[]string{"cannot read"}, ""},
		{"the same id from a moved spec is this spec's", owner.Owner{ID: "orders", Spec: "/new", Target: "main"},
			block(&owner.Owner{ID: "orders", Spec: "/old", Target: "main"}, "/old", "0 3"), want, model.Update, nil, ""},
		{"this spec's block, removed when no longer wanted", self, want, nil, model.Delete, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := &model.Target{Name: "main", Cron: &model.Cron{File: "/etc/cron.d/redisplan", ID: tt.self.ID}}
			if tt.self.ID != "" {
				target.Cron.ID = "main" // the block keeps its name in this table
			}
			self := tt.self
			st := &model.State{Live: &model.LiveState{Config: defaults(nil)}, Cron: &model.CronState{Where: "/etc/cron.d/redisplan", Lines: tt.have}}
			tp := Diff(Input{Target: target, State: st, Catalog: cat70(t), CronLines: tt.want, CronOwner: self})
			for _, e := range tt.errHas {
				if !strings.Contains(tp.Error, e) {
					t.Errorf("error %q lacks %q", tp.Error, e)
				}
			}
			if len(tt.errHas) > 0 {
				if tp.HasChanges() {
					t.Errorf("an error plan has changes: %+v", tp.Crontab)
				}
				return
			}
			if tp.Error != "" {
				t.Fatalf("error %q", tp.Error)
			}
			switch {
			case tt.action == model.NoOp && tp.Crontab != nil:
				t.Errorf("crontab change %+v, want none", tp.Crontab)
			case tt.action != model.NoOp && (tp.Crontab == nil || tp.Crontab.Action != tt.action):
				t.Errorf("crontab change %+v, want %s", tp.Crontab, tt.action)
			case tt.action != model.NoOp && !strings.Contains(tp.Crontab.Note, tt.noteHas):
				t.Errorf("note %q lacks %q", tp.Crontab.Note, tt.noteHas)
			case tt.action != model.NoOp && tp.Crontab.Owner != self.Line():
				t.Errorf("owner %q, want %q", tp.Crontab.Owner, self.Line())
			}
		})
	}
}

// TestDiffScheduleFileOwners: the same for systemd units and CronJob
// manifests.
func TestDiffScheduleFileOwners(t *testing.T) {
	self := owner.Owner{Spec: "/srv/b/spec.hcl", Target: "main"}
	other := owner.Owner{Spec: "/srv/a/spec.hcl", Target: "main"}
	unit := func(o *owner.Owner, spec, cal string) string {
		s := "# marker\n"
		if o != nil {
			s += o.Line() + "\n"
		}
		return s + "[Service]\nExecStart=/usr/bin/redisplan backup run -config " + spec + " -target main\n# " + cal + "\n"
	}
	manifest := func(o *owner.Owner, image string) string {
		s := "# marker\n"
		if o != nil {
			s += o.Line() + "\n"
		}
		return s + "kind: CronJob\nimage: " + image + "\n"
	}
	const name = "redisplan-main-backup.x"
	tests := []struct {
		name   string
		kind   string
		have   []model.ScheduleFile
		want   []model.ScheduleFile
		action model.Action
		errHas string
	}{
		{"another spec's unit is not replaced", "systemd", []model.ScheduleFile{{Name: name, Content: unit(&other, other.Spec, "a")}}, []model.ScheduleFile{{Name: name, Content: unit(&self, self.Spec, "b")}}, model.NoOp,
			`belongs to spec /srv/a/spec.hcl, target "main", not to this spec`},
		{"another spec's unit this spec does not want is left alone", "systemd", []model.ScheduleFile{{Name: name, Content: unit(&other, other.Spec, "a")}}, nil, model.NoOp, ""},
		{"an older unit running this spec is adopted", "systemd", []model.ScheduleFile{{Name: name, Content: unit(nil, self.Spec, "a")}}, []model.ScheduleFile{{Name: name, Content: unit(&self, self.Spec, "a")}}, model.Update, ""},
		{"an older unit running this spec is removed when no longer wanted", "systemd", []model.ScheduleFile{{Name: name, Content: unit(nil, self.Spec, "a")}}, nil, model.Delete, ""},
		{"an older unit running another spec is refused", "systemd", []model.ScheduleFile{{Name: name, Content: unit(nil, other.Spec, "a")}}, []model.ScheduleFile{{Name: name, Content: unit(&self, self.Spec, "a")}}, model.NoOp,
			"does not run this spec"},
		{"an older unit running another spec is left alone", "systemd", []model.ScheduleFile{{Name: name, Content: unit(nil, other.Spec, "a")}}, nil, model.NoOp, ""},
		{"an older manifest equal to this spec's is adopted", "kubernetes", []model.ScheduleFile{{Name: name, Content: manifest(nil, "r:1")}}, []model.ScheduleFile{{Name: name, Content: manifest(&self, "r:1")}}, model.Update, ""},
		{"an older manifest that differs is refused", "kubernetes", []model.ScheduleFile{{Name: name, Content: manifest(nil, "r:1")}}, []model.ScheduleFile{{Name: name, Content: manifest(&self, "r:2")}}, model.NoOp,
			"differs from what this spec renders"},
		{"an older manifest this spec does not want is left alone", "kubernetes", []model.ScheduleFile{{Name: name, Content: manifest(nil, "r:1")}}, nil, model.NoOp, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &model.State{Live: &model.LiveState{Config: defaults(nil)}, Schedules: []model.ScheduleDir{{Kind: tt.kind, Dir: "/d", Files: tt.have}}}
			in := Input{Target: &model.Target{Name: "main"}, State: st, Catalog: cat70(t),
				Schedules: []model.ScheduleDir{{Kind: tt.kind, Dir: "/d", Owner: self, Files: tt.want}}}
			tp := Diff(in)
			if tt.errHas != "" {
				if !strings.Contains(tp.Error, tt.errHas) || tp.HasChanges() {
					t.Errorf("error %q, changes %+v; want an error with %q and no change", tp.Error, tp.ScheduleFiles, tt.errHas)
				}
				return
			}
			if tp.Error != "" {
				t.Fatalf("error %q", tp.Error)
			}
			if tt.action == model.NoOp {
				if len(tp.ScheduleFiles) != 0 {
					t.Errorf("changes %+v, want none", tp.ScheduleFiles)
				}
				return
			}
			if len(tp.ScheduleFiles) != 1 || tp.ScheduleFiles[0].Action != tt.action {
				t.Fatalf("changes %+v, want one %s", tp.ScheduleFiles, tt.action)
			}
			if tt.action == model.Update && !strings.Contains(tp.ScheduleFiles[0].Note, "adopted") {
				t.Errorf("note %q does not say the file is adopted", tp.ScheduleFiles[0].Note)
			}
		})
	}
}

// TestDiffCrontabPrevious: once a cron block has an id, the block this
// spec wrote under the target's name goes; another spec's block of that
// name stays.
func TestDiffCrontabPrevious(t *testing.T) {
	self := owner.Owner{ID: "orders", Spec: "/srv/b/spec.hcl", Target: "main"}
	target := &model.Target{Name: "main", Cron: &model.Cron{File: "/etc/cron.d/redisplan", ID: "orders"}}
	want := []string{"# BEGIN redisplan orders", self.Line(), "0 3 * * * job", "# END redisplan orders"}
	for _, tt := range []struct {
		name     string
		previous owner.Owner
		removed  bool
	}{
		{"this spec's, before the id", owner.Owner{Spec: self.Spec, Target: "main"}, true},
		{"another spec's", owner.Owner{Spec: "/srv/a/spec.hcl", Target: "main"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			prev := []string{"# BEGIN redisplan main", tt.previous.Line(), "0 3 * * * job", "# END redisplan main"}
			st := &model.State{Live: &model.LiveState{Config: defaults(nil)}, Cron: &model.CronState{Where: "/etc/cron.d/redisplan", Lines: want, Previous: prev}}
			tp := Diff(Input{Target: target, State: st, Catalog: cat70(t), CronLines: want, CronOwner: self})
			if tp.Error != "" {
				t.Fatal(tp.Error)
			}
			got := tp.Crontab != nil && tp.Crontab.Previous == "main"
			if got != tt.removed {
				t.Errorf("crontab change %+v; want the previous block removed: %v", tp.Crontab, tt.removed)
			}
		})
	}
}
