package live

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/model"
)

// ConfigName finds the name a server answers CONFIG under when the spec's
// name is not (yet) the server's: from the rename-command line of the
// config file it was started from. No name is ever in an error.
func TestConfigName(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{Config: "rename-command CONFIG CFG_running\n"})
	ctx := testContext(t)
	c := s.Client(t)
	writeConf := func(content string) string {
		p := filepath.Join(t.TempDir(), "redis.conf")
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	target := func(specName, file string) *model.Target {
		tg := targetFor(s)
		tg.Renames = []model.Rename{{Command: "CONFIG", NewName: specName, Sensitive: true}}
		tg.ConfigFile = file
		return tg
	}
	secrets := []string{"CFG_running", "CFG_rotated", "CFG_elsewhere"}

	tests := []struct {
		name     string
		target   *model.Target
		wantName string
		wantSrc  model.ConfigSource
		wantErr  string
	}{
		{"the spec's name", target("CFG_running", ""), "CFG_running", model.ConfigFromSpec, ""},
		{"rotation: the file's name", target("CFG_rotated", writeConf("port 1\nrename-command CONFIG CFG_running\n")), "CFG_running", model.ConfigFromFile, ""},
		{"the file disables CONFIG", target("CFG_rotated", writeConf("rename-command CONFIG \"\"\n")), "", model.ConfigDisabled, ""},
		{"neither name works", target("CFG_rotated", writeConf("rename-command CONFIG CFG_elsewhere\n")), "", "", "knows the CONFIG command neither under the name the spec gives it nor under the name in"},
		{"the file names the spec's name", target("CFG_rotated", writeConf("rename-command CONFIG CFG_rotated\n")), "", "", "changed since it started"},
		{"no config file", target("CFG_rotated", ""), "", "", "set the target's config_file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, src, err := ConfigName(ctx, c, tt.target)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ConfigName = %q, %q, %v; want an error containing %q", name, src, err, tt.wantErr)
				}
				for _, sec := range secrets {
					if strings.Contains(err.Error(), sec) {
						t.Errorf("the error prints the secret name %q: %v", sec, err)
					}
				}
				return
			}
			if err != nil || name != tt.wantName || src != tt.wantSrc {
				t.Fatalf("ConfigName = %q, %q, %v; want %q, %q", name, src, err, tt.wantName, tt.wantSrc)
			}
		})
	}
}
