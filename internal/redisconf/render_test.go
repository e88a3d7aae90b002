package redisconf_test

import (
	"strings"
	"testing"

	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/redisconf"
)

func cat70(t testing.TB) *catalog.Catalog {
	c, err := catalog.For("7.0")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRenderSecretsOnlyInFiles(t *testing.T) {
	target := &model.Target{
		Name: "main",
		Directives: []model.Directive{
			{Name: "maxmemory", Value: "1073741824"},
			{Name: "requirepass", Value: "s3cret pass", Sensitive: true},
		},
		Renames: []model.Rename{{Command: "CONFIG", NewName: "CFG_x1", Sensitive: true}},
	}
	shown := string(redisconf.Render(target, cat70(t), redisconf.RenderOptions{Source: "spec.hcl"}))
	if strings.Contains(shown, "s3cret") || strings.Contains(shown, "CFG_x1") {
		t.Fatalf("printable render shows a secret:\n%s", shown)
	}
	if !strings.Contains(shown, "maxmemory 1gb\n") {
		t.Errorf("render lacks maxmemory 1gb:\n%s", shown)
	}
	file := string(redisconf.Render(target, cat70(t), redisconf.RenderOptions{Source: "spec.hcl", Secrets: true}))
	for _, want := range []string{`requirepass "s3cret pass"` + "\n", "rename-command CONFIG CFG_x1\n"} {
		if !strings.Contains(file, want) {
			t.Errorf("file render lacks %q:\n%s", want, file)
		}
	}
}

func TestDirectiveLines(t *testing.T) {
	c := cat70(t)
	tests := []struct {
		name, value string
		want        []string
	}{
		{"save", "3600 1 300 100", []string{"save 3600 1", "save 300 100"}},
		{"save", "", []string{`save ""`}},
		{"maxmemory", "67108864", []string{"maxmemory 64mb"}},
		{"maxmemory", "1000", []string{"maxmemory 1000"}},
		{"bind", "127.0.0.1 -::1", []string{"bind 127.0.0.1 -::1"}},
		{"notify-keyspace-events", "", []string{`notify-keyspace-events ""`}},
		{"logfile", "/var/log/redis dir/r.log", []string{`logfile "/var/log/redis dir/r.log"`}},
	}
	for _, tt := range tests {
		got := redisconf.DirectiveLines(c, tt.name, tt.value)
		if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("DirectiveLines(%s, %q) = %q, want %q", tt.name, tt.value, got, tt.want)
		}
	}
}

// FuzzRenderParse: for any value a directive accepts, the lines rendered
// for it read back (through the redis.conf parser) to the same
// normalized value. This is the promise that render writes what the spec
// says.
func FuzzRenderParse(f *testing.F) {
	for _, s := range [][2]string{
		{"maxmemory", "2gb"}, {"save", "3600 1 300 100"}, {"save", ""},
		{"notify-keyspace-events", "Ex"}, {"bind", "127.0.0.1 ::1"},
		{"client-output-buffer-limit", "replica 512mb 128mb 60"},
		{"proc-title-template", "{title} {listen-addr}"}, {"logfile", `a "quoted" path\`},
		{"appendfsync", "EVERYSEC"}, {"maxmemory-clients", "10%"},
		{"latency-tracking-info-percentiles", "50 99.9"}, {"dir", "/var/lib/redis"},
	} {
		f.Add(s[0], s[1])
	}
	c := cat70(f)
	f.Fuzz(func(t *testing.T, name, value string) {
		p, ok := c.Lookup(name)
		if !ok || p.Mode() == model.FileOnly {
			return
		}
		norm, err := p.Normalize(value)
		if err != nil {
			return
		}
		lines := redisconf.DirectiveLines(c, p.Name, norm)
		conf, err := redisconf.Parse([]byte(strings.Join(lines, "\n") + "\n"))
		if err != nil {
			t.Fatalf("rendered %q does not parse: %v", lines, err)
		}
		var args []string
		for _, l := range conf.Lines {
			if l.Directive != p.Name {
				t.Fatalf("rendered line %q is not a %s line", l.Raw, p.Name)
			}
			args = append(args, l.Args...)
		}
		readBack := strings.Join(args, " ")
		if p.Name == "save" && len(args) == 1 && args[0] == "" {
			readBack = ""
		}
		got, err := p.Normalize(readBack)
		if err != nil {
			t.Fatalf("%s: rendered %q reads back as %q, which is invalid: %v", p.Name, lines, readBack, err)
		}
		if got != norm {
			t.Fatalf("%s: value %q renders as %q, reads back as %q", p.Name, norm, lines, got)
		}
	})
}
