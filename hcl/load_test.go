package hcl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/redisplan/redisplan/internal/model"
)

func load(t *testing.T, opts Options) *model.Spec {
	t.Helper()
	res, diags := Load(opts)
	if diags.HasErrors() {
		t.Fatalf("load %s: %s", opts.Path, diags.Error())
	}
	return res.Spec
}

func directives(t *model.Target) map[string]string {
	m := map[string]string{}
	for _, d := range t.Directives {
		m[d.Name] = d.Value
	}
	return m
}

// TestValidSpecs: every spec in testdata/valid and the example load with
// no diagnostics at all.
func TestValidSpecs(t *testing.T) {
	files, _ := filepath.Glob("../testdata/valid/*.hcl")
	files = append(files, "../examples/redis.hcl")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, diags := Load(Options{Path: f, Environ: []string{"REDISPLAN_VAR_redis_password=pw"}})
			if len(diags) > 0 {
				t.Fatalf("diagnostics: %s", diags.Error())
			}
		})
	}
}

func TestExampleExpressesTheSeed(t *testing.T) {
	spec := load(t, Options{Path: "../examples/redis.hcl"})
	if len(spec.Targets) != 1 {
		t.Fatalf("targets = %d, want 1", len(spec.Targets))
	}
	main := spec.Targets[0]
	want := map[string]string{
		"appendonly":                  "yes",
		"appendfsync":                 "everysec",
		"aof-use-rdb-preamble":        "yes",
		"auto-aof-rewrite-percentage": "100",
		"auto-aof-rewrite-min-size":   "67108864",
		"aof-load-truncated":          "yes",
		"save":                        "3600 1 300 100 60 10000",
		"rdbcompression":              "yes",
		"rdbchecksum":                 "yes",
		"stop-writes-on-bgsave-error": "yes",
		"maxmemory":                   "2147483648",
		"maxmemory-policy":            "allkeys-lru",
		"lazyfree-lazy-eviction":      "yes",
		"lazyfree-lazy-expire":        "yes",
		"activerehashing":             "yes",
		"jemalloc-bg-thread":          "yes",
		"slowlog-log-slower-than":     "10000",
		"latency-monitor-threshold":   "100",
		"notify-keyspace-events":      "xE",
	}
	if diff := cmp.Diff(want, directives(main)); diff != "" {
		t.Errorf("directives (-want +got):\n%s", diff)
	}
	renames := map[string]string{}
	for _, r := range main.Renames {
		renames[r.Command] = r.NewName
		if r.Command == "CONFIG" && !r.Sensitive {
			t.Error("the CONFIG rename comes from a sensitive variable but is not marked sensitive")
		}
	}
	if diff := cmp.Diff(map[string]string{"FLUSHDB": "", "FLUSHALL": "", "SHUTDOWN": "SHUTDOWN_MASTERTRADE", "CONFIG": "CONFIG_b7e4d19a"}, renames); diff != "" {
		t.Errorf("renames (-want +got):\n%s", diff)
	}
	if got := main.ConfigCommand(); got != "CONFIG_b7e4d19a" {
		t.Errorf("ConfigCommand = %q, want the renamed CONFIG", got)
	}
	b := main.Backup
	if b == nil || b.Schedule != "0 3 * * *" || b.Retention.MaxAge != 30*24*time.Hour {
		t.Errorf("backup = %+v, want daily at 03:00 with 30 days of retention", b)
	}
	a := main.Alerts
	if a == nil || a.Schedule != "*/15 * * * *" {
		t.Fatalf("alerts = %+v, want every 15 minutes", a)
	}
	levels := map[string][2]float64{}
	for _, th := range a.Thresholds {
		var l [2]float64
		if th.Warning != nil {
			l[0] = *th.Warning
		}
		if th.Critical != nil {
			l[1] = *th.Critical
		}
		levels[th.Check] = l
	}
	if levels["backup_age"][1] != 25*3600 || levels["memory_used_percent"][0] != 90 || levels["connected_clients"][0] != 9000 {
		t.Errorf("thresholds = %v, want the seed's (memory 90%% warning, backup 25h critical, 9000 clients)", levels)
	}
	if main.Service == nil || strings.Join(main.Service.Stop, " ") != "docker stop mastertrade_redis" {
		t.Errorf("service = %+v, want the docker preset", main.Service)
	}
}

func TestNormalizationAndAliases(t *testing.T) {
	spec := load(t, Options{Path: "../testdata/valid/full.hcl", Vars: []string{"redis_password=hunter2"}})
	main := spec.Target("main")
	got := directives(main)
	for name, want := range map[string]string{
		"maxmemory":                  "4294967296", // 4GB: the b makes it binary
		"replica-read-only":          "yes",
		"notify-keyspace-events":     "AKE",
		"bind":                       "127.0.0.1 ::1",
		"save":                       "900 1",
		"dbfilename":                 "dump-prod.rdb",
		"client-output-buffer-limit": "normal 0 0 0 slave 536870912 134217728 60 pubsub 33554432 8388608 60",
		"slowlog-log-slower-than":    "5000",
		"latency-monitor-threshold":  "50",
	} {
		if got[name] != want {
			t.Errorf("%s = %q, want %q", name, got[name], want)
		}
	}
	if _, ok := got["slave-read-only"]; ok {
		t.Error("the alias slave-read-only was kept instead of its primary name")
	}
	if d := main.Directive("requirepass"); d == nil || !d.Sensitive || d.Value != "hunter2" {
		t.Errorf("requirepass = %+v, want the variable's value, marked sensitive", d)
	}
	if main.Connection.Address != "127.0.0.1:7001" || main.Connection.Timeout != 3*time.Second {
		t.Errorf("connection = %+v", main.Connection)
	}
}

func TestFleet(t *testing.T) {
	spec := load(t, Options{Path: "../testdata/valid/fleet.hcl"})
	var names []string
	for _, tg := range spec.Targets {
		names = append(names, tg.Name)
	}
	if diff := cmp.Diff([]string{`cache["eu"]`, `cache["us"]`}, names); diff != "" {
		t.Fatalf("targets (-want +got):\n%s", diff)
	}
	us := spec.Target(`cache["us"]`)
	if us.Connection.Address != "127.0.0.1:6381" || directives(us)["maxmemory"] != "536870912" || us.ConfigFile != "/etc/redis/cache-us.conf" {
		t.Errorf("cache[\"us\"] = %+v %v", us.Connection, directives(us))
	}
	if directives(us)["save"] != "" {
		t.Errorf("an rdb block without snapshots must mean save \"\", got %q", directives(us)["save"])
	}
	if _, ok := directives(us)["save"]; !ok {
		t.Error("an rdb block without snapshots must manage save")
	}
}

func TestVariableSources(t *testing.T) {
	dir := t.TempDir()
	spec := `variable "port" {
  type    = number
  default = 6379
}
variable "policy" {
  type    = string
  default = "noeviction"
}
variable "binds" {
  type    = list(string)
  default = ["127.0.0.1"]
}
redis "main" {
  address = "127.0.0.1:${var.port}"
  memory { policy = var.policy }
  security { bind = var.binds }
}
`
	if err := os.WriteFile(filepath.Join(dir, "spec.hcl"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	varFile := filepath.Join(dir, "prod.vars")
	if err := os.WriteFile(varFile, []byte("port = 7000\npolicy = \"allkeys-lru\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		opts        Options
		wantAddress string
		wantPolicy  string
		wantBind    string
	}{
		{"defaults", Options{}, "127.0.0.1:6379", "noeviction", "127.0.0.1"},
		{"env", Options{Environ: []string{"REDISPLAN_VAR_port=6400"}}, "127.0.0.1:6400", "noeviction", "127.0.0.1"},
		{"var file beats env", Options{Environ: []string{"REDISPLAN_VAR_port=6400"}, VarFiles: []string{varFile}}, "127.0.0.1:7000", "allkeys-lru", "127.0.0.1"},
		{"-var beats var file", Options{VarFiles: []string{varFile}, Vars: []string{"port=7100", `binds=["127.0.0.1", "::1"]`}}, "127.0.0.1:7100", "allkeys-lru", "127.0.0.1 ::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Path = dir
			got := load(t, tt.opts).Target("main")
			if got.Connection.Address != tt.wantAddress {
				t.Errorf("address = %q, want %q", got.Connection.Address, tt.wantAddress)
			}
			if p := directives(got)["maxmemory-policy"]; p != tt.wantPolicy {
				t.Errorf("policy = %q, want %q", p, tt.wantPolicy)
			}
			if b := directives(got)["bind"]; b != tt.wantBind {
				t.Errorf("bind = %q, want %q", b, tt.wantBind)
			}
		})
	}
}

func TestUndeclaredVarOption(t *testing.T) {
	_, diags := Load(Options{Path: "../testdata/valid/minimal.hcl", Vars: []string{"nope=1"}})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), `"nope"`) {
		t.Fatalf("want an error naming the undeclared variable, got %v", diags)
	}
}

// TestSecretsStayOutOfDiagnostics: a sensitive value that is invalid is
// reported without its value.
func TestSecretsStayOutOfDiagnostics(t *testing.T) {
	dir := t.TempDir()
	spec := `variable "pw" {
  type      = string
  sensitive = true
}
redis "main" {
  address = "127.0.0.1:6379"
  settings = { "masterauth" = var.pw }
  memory { max = var.pw }
}
`
	os.WriteFile(filepath.Join(dir, "spec.hcl"), []byte(spec), 0o644)
	_, diags := Load(Options{Path: dir, Vars: []string{"pw=TopSecret123"}})
	if !diags.HasErrors() {
		t.Fatal("want an error for a sensitive value in memory.max")
	}
	if strings.Contains(diags.Error(), "TopSecret123") {
		t.Fatalf("a diagnostic shows the secret: %s", diags.Error())
	}
}

func TestDirectoryReadsAllFiles(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.hcl"), []byte("variable \"port\" {\n  default = 6390\n}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "b.hcl"), []byte("redis \"main\" {\n  address = \"127.0.0.1:${var.port}\"\n}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a spec {"), 0o644)
	spec := load(t, Options{Path: dir})
	if got := spec.Target("main").Connection.Address; got != "127.0.0.1:6390" {
		t.Errorf("address = %q: files of one directory must share variables", got)
	}
}

func TestMissingPath(t *testing.T) {
	res, diags := Load(Options{Path: filepath.Join(t.TempDir(), "nope.hcl")})
	if res == nil || !diags.HasErrors() {
		t.Fatal("want an error for a missing spec")
	}
	if !strings.Contains(diags.Error(), "no such file") {
		t.Errorf("error does not say the file is missing: %s", diags.Error())
	}
}

// TestModelledAttributesSetTheirDirectives: each attribute that stands for
// one redis.conf directive sets that directive, with the attribute's place
// in the spec as its origin (which conflict errors and plans show).
func TestModelledAttributesSetTheirDirectives(t *testing.T) {
	const spec = `
redis "tags" {
  address = "10.0.0.7:6380"
  persistence {
    aof {
      enabled            = false
      fsync              = "always"
      rdb_preamble       = false
      rewrite_percentage = 50
      rewrite_min_size   = "32mb"
      load_truncated     = false
      timestamps         = true
      filename           = "tags.aof"
      dirname            = "tagsaof"
    }
    rdb {
      compression          = false
      checksum             = false
      stop_writes_on_error = true
      filename             = "tags.rdb"
    }
  }
  memory {
    max     = "256mb"
    policy  = "allkeys-lru"
    samples = 7
    lazyfree {
      eviction   = false
      expire     = true
      server_del = true
      user_del   = true
      user_flush = true
    }
  }
  security {
    protected_mode = true
    bind           = "10.0.0.7"
  }
}
`
	res, diags := loadDiags(t, spec)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	got := map[string]string{}
	for _, d := range res.Spec.Targets[0].Directives {
		got[d.Name] = d.Origin
	}
	want := map[string]string{
		"appendonly":                  "persistence.aof.enabled",
		"appendfsync":                 "persistence.aof.fsync",
		"aof-use-rdb-preamble":        "persistence.aof.rdb_preamble",
		"auto-aof-rewrite-percentage": "persistence.aof.rewrite_percentage",
		"auto-aof-rewrite-min-size":   "persistence.aof.rewrite_min_size",
		"aof-load-truncated":          "persistence.aof.load_truncated",
		"aof-timestamp-enabled":       "persistence.aof.timestamps",
		"appendfilename":              "persistence.aof.filename",
		"appenddirname":               "persistence.aof.dirname",
		"save":                        "persistence.rdb.snapshot",
		"rdbcompression":              "persistence.rdb.compression",
		"rdbchecksum":                 "persistence.rdb.checksum",
		"stop-writes-on-bgsave-error": "persistence.rdb.stop_writes_on_error",
		"dbfilename":                  "persistence.rdb.filename",
		"maxmemory":                   "memory.max",
		"maxmemory-policy":            "memory.policy",
		"maxmemory-samples":           "memory.samples",
		"lazyfree-lazy-eviction":      "memory.lazyfree.eviction",
		"lazyfree-lazy-expire":        "memory.lazyfree.expire",
		"lazyfree-lazy-server-del":    "memory.lazyfree.server_del",
		"lazyfree-lazy-user-del":      "memory.lazyfree.user_del",
		"lazyfree-lazy-user-flush":    "memory.lazyfree.user_flush",
		"protected-mode":              "security.protected_mode",
		"bind":                        "security.bind",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("directives (-want +got):\n%s", diff)
	}
}
