package drill

import (
	"bytes"
	"strings"
	"testing"

	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/model"
)

func TestScratchConfigKeepsOnlyPersistence(t *testing.T) {
	cat, err := catalog.For("7.0")
	if err != nil {
		t.Fatal(err)
	}
	tg := target(
		"appendfsync", "always",
		"appendonly", "yes",
		"auto-aof-rewrite-min-size", "67108864",
		"dbfilename", "main.rdb",
		"hz", "20",
		"maxmemory", "1073741824",
		"port", "6390",
		"save", "900 1 300 10",
	)
	tg.Directives = append(tg.Directives, model.Directive{Name: "requirepass", Value: "s3cret", Sensitive: true})
	tg.Renames = []model.Rename{{Command: "CONFIG", NewName: ""}, {Command: "FLUSHALL", NewName: "FA"}}

	conf := string(scratchConfig(tg, cat, 7777, "/tmp/run dir", "/tmp/run dir/redis.log"))
	t.Logf("config:\n%s", conf)
	for _, want := range []string{
		"appendfsync always\n",
		"appendonly yes\n",
		"auto-aof-rewrite-min-size 64mb\n",
		"dbfilename main.rdb\n",
		"save 900 1\nsave 300 10\n",
		"port 7777\n",
		"bind 127.0.0.1\n",
		"dir \"/tmp/run dir\"\n",
		"logfile \"/tmp/run dir/redis.log\"\n",
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("the config lacks %q", want)
		}
	}
	for _, unwanted := range []string{"hz", "maxmemory", "port 6390", "requirepass", "s3cret", "rename-command"} {
		if strings.Contains(conf, unwanted) {
			t.Errorf("the config holds %q, which is not a persistence directive of the target", unwanted)
		}
	}
	// The drill's own lines come last, so that they win.
	if i, j := strings.Index(conf, "appendonly yes"), strings.Index(conf, "port 7777"); i > j {
		t.Errorf("the drill's lines come before the target's directives")
	}
	// The target itself is not changed.
	if len(tg.Directives) != 9 || len(tg.Renames) != 2 {
		t.Errorf("scratchConfig changed the target: %d directives, %d renames", len(tg.Directives), len(tg.Renames))
	}
	again := scratchConfig(tg, cat, 7777, "/tmp/run dir", "/tmp/run dir/redis.log")
	if !bytes.Equal([]byte(conf), again) {
		t.Errorf("rendering twice gave different bytes")
	}
}

func TestSummarize(t *testing.T) {
	for _, tt := range []struct {
		name              string
		runs              []RPORun
		worst, median     int64
		worstMs, medianMs float64
	}{
		{"none", nil, 0, 0, 0, 0},
		{"one", []RPORun{{Lost: 5, LostMillis: 10}}, 5, 5, 10, 10},
		{"odd", []RPORun{{Lost: 9, LostMillis: 1}, {Lost: 0, LostMillis: 0}, {Lost: 3, LostMillis: 30}}, 9, 3, 30, 1},
		{"even", []RPORun{{Lost: 4, LostMillis: 4}, {Lost: 1, LostMillis: 1}, {Lost: 0}, {Lost: 10, LostMillis: 100}}, 10, 2, 100, 2.5},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w, m, wms, mms := summarize(tt.runs)
			if w != tt.worst || m != tt.median || wms != tt.worstMs || mms != tt.medianMs {
				t.Errorf("summarize = %d, %d, %v, %v; want %d, %d, %v, %v", w, m, wms, mms, tt.worst, tt.median, tt.worstMs, tt.medianMs)
			}
		})
	}
}
