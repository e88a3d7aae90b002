package planner

import (
	"strings"
	"testing"

	"github.com/redisplan/redisplan/internal/model"
)

// The plan of a server reached under another CONFIG name than the spec's
// (a rotation), or whose config file disables CONFIG (the seed's), holds
// the rename with both names hidden, and says what a restart does.
func TestDiffConfigSource(t *testing.T) {
	const secret = "CFG_spec_secret"
	target := func(directives ...model.Directive) *model.Target {
		return &model.Target{
			Name:       "main",
			Directives: directives,
			Renames:    []model.Rename{{Command: "CONFIG", NewName: secret, Sensitive: true}},
		}
	}
	maxmem := model.Directive{Name: "maxmemory", Value: "1073741824"}
	tests := []struct {
		name      string
		t         *model.Target
		src       model.ConfigSource
		file      string
		info      map[string]string
		wantErr   string
		directive []string
		risk      string
	}{
		{
			name: "rotation: a normal plan plus the rename", t: target(maxmem), src: model.ConfigFromFile,
			file:      "rename-command CONFIG CFG_file_secret\nmaxmemory 2gb\n",
			directive: []string{"maxmemory", "rename-command CONFIG"},
		},
		{
			name: "disabled: only the rename, the other differences named", t: target(maxmem), src: model.ConfigDisabled,
			file:      "rename-command CONFIG \"\"\nmaxmemory 2gb\nappendonly yes\n",
			info:      map[string]string{"aof_enabled": "1"},
			directive: []string{"rename-command CONFIG"},
			risk:      "the spec also differs from the file in maxmemory",
		},
		{
			name: "disabled, and the spec does not name CONFIG", t: &model.Target{Name: "main"}, src: model.ConfigDisabled,
			file:    "rename-command CONFIG \"\"\n",
			wantErr: "give CONFIG a secret name in the spec",
		},
		{
			name: "disabled, and the restart would start empty", t: target(), src: model.ConfigDisabled,
			file:    "rename-command CONFIG \"\"\nappendonly yes\n",
			info:    map[string]string{"aof_enabled": "0"},
			wantErr: "would start it EMPTY",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := defaults(nil)
			if tt.src == model.ConfigDisabled {
				live = map[string]string{}
			}
			info := tt.info
			if info == nil {
				info = map[string]string{}
			}
			tp := Diff(Input{
				Target:  tt.t,
				Catalog: cat70(t),
				State: &model.State{
					Live: &model.LiveState{Version: "7.0.15", Config: live, Info: info, ConfigSource: tt.src},
					File: &model.FileState{Path: "/etc/redis/redis.conf", Exists: true, Content: []byte(tt.file)},
				},
			})
			if tt.wantErr != "" {
				if !strings.Contains(tp.Error, tt.wantErr) || len(tp.Changes) != 0 {
					t.Fatalf("plan error %q with %d changes, want %q and none", tp.Error, len(tp.Changes), tt.wantErr)
				}
				return
			}
			if tp.Error != "" {
				t.Fatalf("plan error: %s", tp.Error)
			}
			if tp.ConfigSource != tt.src {
				t.Errorf("ConfigSource = %q, want %q", tp.ConfigSource, tt.src)
			}
			var got []string
			for _, c := range tp.Changes {
				got = append(got, c.Directive)
				if c.Directive == "rename-command CONFIG" {
					if !c.Sensitive || c.After != "" || c.FileBefore.Value != "" || c.Mode != model.FileOnly {
						t.Errorf("the CONFIG rename is not a masked file-only change: %+v", c)
					}
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.directive, ",") {
				t.Errorf("changes = %v, want %v", got, tt.directive)
			}
			var risks []string
			for _, r := range tp.Risks {
				risks = append(risks, r.Message)
			}
			if tt.risk != "" && !strings.Contains(strings.Join(risks, "\n"), tt.risk) {
				t.Errorf("risks lack %q: %v", tt.risk, risks)
			}
		})
	}
}
