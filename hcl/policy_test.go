package hcl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/redisplan/redisplan/internal/model"
)

// loadText loads a spec written in the test, with the given -var values.
func loadText(t *testing.T, text string, vars ...string) *Result {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "spec.hcl"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	res, diags := Load(Options{Path: dir, Vars: vars})
	if diags.HasErrors() {
		t.Fatalf("load: %s", diags.Error())
	}
	return res
}

// twoTargets is a durable target with AOF and a cache without it.
const twoTargets = `
redis "orders" {
  address = "127.0.0.1:6379"
  durable = true
  persistence {
    aof {
      enabled = true
      fsync   = "always"
    }
  }
  memory {
    max    = "1gb"
    policy = "noeviction"
  }
}

redis "cache" {
  address   = "127.0.0.1:6380"
  ephemeral = true
  memory {
    max    = "256mb"
    policy = "allkeys-lru"
  }
}
`

type findingKey struct {
	Code, Target, Message string
	Severity              model.Severity
}

func findingKeys(fs []model.Finding) []findingKey {
	var out []findingKey
	for _, f := range fs {
		out = append(out, findingKey{f.Code, f.Target, f.Message, f.Severity})
	}
	return out
}

func TestEvalPolicies(t *testing.T) {
	tests := []struct {
		name     string
		policies string
		want     []findingKey
	}{
		{
			name: "true everywhere",
			policies: `policy "bounded-memory" {
  condition = memory.max > 0
  message   = "Set memory.max."
}`,
		},
		{
			name: "false for one target",
			policies: `policy "aof" {
  severity  = "warning"
  condition = persistence.aof.enabled || ephemeral
  message   = "Run AOF unless the data may be lost."
}
policy "no-eviction-when-durable" {
  condition = !durable || memory.policy == "noeviction"
  message   = "A durable target must never evict."
}
policy "fsync-always" {
  severity  = "notice"
  condition = persistence.aof.fsync == "always"
  message   = "fsync every write."
}`,
			// The cache has no AOF: appendfsync is Redis's default, everysec.
			want: []findingKey{{"fsync-always", "cache", "fsync every write.", model.SeverityNotice}},
		},
		{
			name: "defaults of unset directives",
			policies: `policy "snapshots" {
  condition = persistence.rdb.enabled && length(persistence.rdb.save) == 3 && persistence.rdb.save[0].after == 3600
  message   = "Keep Redis's default snapshots."
}
policy "no-aof" {
  condition = persistence.aof.enabled
  message   = "Run AOF."
  targets   = ["cache"]
}`,
			want: []findingKey{{"no-aof", "cache", "Run AOF.", model.SeverityError}},
		},
		{
			name: "targets limits the policy",
			policies: `policy "small" {
  condition = memory.max <= 512 * 1024 * 1024
  message   = "Keep it small."
  targets   = ["cache"]
}
policy "lru" {
  condition = memory.policy == "allkeys-lru"
  message   = "Evict with LRU."
  targets   = ["orders"]
}`,
			want: []findingKey{{"lru", "orders", "Evict with LRU.", model.SeverityError}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := loadText(t, twoTargets+tt.policies)
			got, diags := EvalPolicies(res)
			if len(diags) > 0 {
				t.Fatalf("diagnostics: %s", diags.Error())
			}
			if diff := cmp.Diff(tt.want, findingKeys(got)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			for _, f := range got {
				if f.Pos.Filename == "" || f.Pos.Line == 0 {
					t.Errorf("finding %s has no position: %+v", f.Code, f.Pos)
				}
			}
		})
	}
}

func TestEvalPoliciesFindingPointsAtCondition(t *testing.T) {
	res := loadText(t, twoTargets+`
policy "aof" {
  condition = persistence.aof.enabled
  message   = "Run AOF."
}
`)
	got, _ := EvalPolicies(res)
	if len(got) != 1 {
		t.Fatalf("findings = %+v, want one for the cache", got)
	}
	// The condition is on the third line of the policy block.
	if want := strings.Count(twoTargets, "\n") + 3; got[0].Pos.Line != want || got[0].Pos.Column != 15 {
		t.Errorf("pos = %+v, want line %d, column 15 (the condition)", got[0].Pos, want)
	}
}

func TestEvalPoliciesForEachBlockName(t *testing.T) {
	res := loadText(t, `
redis "cache" {
  for_each = { eu = 6380, us = 6381 }
  address  = "127.0.0.1:${each.value}"
}
redis "main" {
  address = "127.0.0.1:6379"
}
policy "bounded" {
  condition = memory.max > 0
  message   = "Set memory.max."
  targets   = ["cache"]
}
`)
	got, diags := EvalPolicies(res)
	if len(diags) > 0 {
		t.Fatalf("diagnostics: %s", diags.Error())
	}
	var targets []string
	for _, f := range got {
		targets = append(targets, f.Target)
	}
	if diff := cmp.Diff([]string{`cache["eu"]`, `cache["us"]`}, targets); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
}

func TestEvalPoliciesDiagnostics(t *testing.T) {
	tests := []struct {
		name      string
		condition string
		summary   string
		detail    string
	}{
		{"unknown attribute", "persistence.aof.enabld", "Unknown policy attribute", `persistence.aof has no attribute "enabld". Did you mean "enabled"?`},
		{"unknown root", "persistance.aof.enabled", "Unknown policy attribute", `A policy condition has no attribute "persistance". Did you mean "persistence"?`},
		{"far from any name", "memory.maximum_bytes > 0", "Unknown policy attribute", "It has: max, policy."},
		{"missing setting", `settings["hz"] == "10"`, "Invalid index", "does not identify an element"},
		{"not a bool", "memory.max", "Invalid policy condition", "a number"},
		{"a string", `memory.policy`, "Invalid policy condition", "a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := loadText(t, twoTargets+`
policy "bad" {
  condition = `+tt.condition+`
  message   = "Broken."
}
`)
			got, diags := EvalPolicies(res)
			if len(got) != 0 {
				t.Errorf("findings = %+v, want none from a broken condition", got)
			}
			// Two targets, one mistake: reported once.
			if len(diags) != 1 || !diags.HasErrors() {
				t.Fatalf("diagnostics = %v, want exactly one error", diags)
			}
			d := diags[0]
			if d.Summary != tt.summary || !strings.Contains(d.Detail, tt.detail) {
				t.Errorf("diagnostic = %q: %q, want %q mentioning %s", d.Summary, d.Detail, tt.summary, tt.detail)
			}
			line := strings.Count(twoTargets, "\n") + 3
			if d.Subject == nil || d.Subject.Start.Line != line || d.Subject.Start.Column < 15 || !strings.HasSuffix(d.Subject.Filename, "spec.hcl") {
				t.Errorf("range = %v, want the condition on line %d", d.Subject, line)
			}
		})
	}
}

func TestEvalPoliciesUnknownTarget(t *testing.T) {
	res := loadText(t, twoTargets+`
policy "p" {
  condition = true
  message   = "m"
  targets   = ["ordres"]
}
`)
	_, diags := EvalPolicies(res)
	if len(diags) != 1 || diags.HasErrors() || diags[0].Summary != "Unknown policy target" {
		t.Fatalf("diagnostics = %v, want one warning about the unknown target", diags)
	}
}

// TestTargetObjectHoldsNoSecret: secrets set through sensitive variables
// (requirepass, masterauth, a CONFIG rename, the connection password)
// appear nowhere in the object policies see.
func TestTargetObjectHoldsNoSecret(t *testing.T) {
	const secret = "S3cretValue-42"
	res := loadText(t, `
variable "pw" {
  type      = string
  sensitive = true
}
redis "main" {
  address  = "127.0.0.1:6379"
  password = var.pw
  security {
    requirepass      = var.pw
    renamed_commands = { CONFIG = var.pw }
    disabled_commands = ["FLUSHALL"]
  }
  settings = {
    "masterauth" = var.pw
    "hz"         = 20
  }
}
`, "pw="+secret)
	obj := TargetObject(res.Spec.Target("main"))
	var walk func(path string, v cty.Value)
	walk = func(path string, v cty.Value) {
		if v.IsNull() || !v.IsKnown() {
			return
		}
		ty := v.Type()
		switch {
		case ty == cty.String:
			if strings.Contains(v.AsString(), secret) {
				t.Errorf("%s holds the secret", path)
			}
		case ty.IsObjectType() || ty.IsMapType() || ty.IsListType():
			for it := v.ElementIterator(); it.Next(); {
				k, el := it.Element()
				key := k.GoString()
				if k.Type() == cty.String {
					key = k.AsString()
					if strings.Contains(key, secret) {
						t.Errorf("%s has the secret as a key", path)
					}
				}
				walk(path+"."+key, el)
			}
		}
	}
	walk("target", obj)
	if strings.Contains(obj.GoString(), secret) {
		t.Error("the object's Go representation holds the secret")
	}

	sec := obj.GetAttr("security")
	if !sec.GetAttr("requirepass_set").True() {
		t.Error("requirepass_set = false, want true")
	}
	if got := sec.GetAttr("renamed_commands"); !got.RawEquals(cty.ListVal([]cty.Value{cty.StringVal("CONFIG")})) {
		t.Errorf("renamed_commands = %#v, want [CONFIG]", got)
	}
	if got := sec.GetAttr("disabled_commands"); !got.RawEquals(cty.ListVal([]cty.Value{cty.StringVal("FLUSHALL")})) {
		t.Errorf("disabled_commands = %#v, want [FLUSHALL]", got)
	}
	settings := obj.GetAttr("settings").AsValueMap()
	for _, name := range []string{"requirepass", "masterauth"} {
		if _, ok := settings[name]; ok {
			t.Errorf("settings holds the sensitive directive %s", name)
		}
	}
	if settings["hz"].AsString() != "20" {
		t.Errorf("settings[hz] = %#v, want \"20\"", settings["hz"])
	}
}

func TestTargetObjectValues(t *testing.T) {
	res := loadText(t, `
redis "main" {
  address = "127.0.0.1:6379"
  rpo     = "1s"
  rto     = "5m"
  persistence {
    rdb {}
  }
  security {
    bind = ["127.0.0.1", "::1"]
  }
  backup {
    destination = "/var/backups/redis"
    schedule    = "@daily"
    retention {
      max_age = "30d"
    }
    archive {
      flush = "500ms"
    }
  }
}
redis "plain" {
  address = "127.0.0.1:6380"
}
`)
	if a := TargetObject(res.Spec.Target("plain")).GetAttr("backup").GetAttr("archive"); !a.GetAttr("enabled").False() || !a.GetAttr("flush").Equals(cty.NumberIntVal(0)).True() {
		t.Errorf("backup.archive of a target without backups = %#v", a)
	}
	obj := TargetObject(res.Spec.Target("main"))
	for _, tt := range []struct {
		path []string
		want cty.Value
	}{
		{[]string{"rpo"}, cty.NumberIntVal(1)},
		{[]string{"rto"}, cty.NumberIntVal(300)},
		{[]string{"persistence", "rdb", "enabled"}, cty.False},
		{[]string{"persistence", "aof", "enabled"}, cty.False},
		{[]string{"memory", "max"}, cty.NumberIntVal(0)},
		{[]string{"memory", "policy"}, cty.StringVal("noeviction")},
		{[]string{"security", "protected_mode"}, cty.True},
		{[]string{"security", "requirepass_set"}, cty.False},
		{[]string{"security", "bind"}, cty.ListVal([]cty.Value{cty.StringVal("127.0.0.1"), cty.StringVal("::1")})},
		{[]string{"backup", "enabled"}, cty.True},
		{[]string{"backup", "compression"}, cty.StringVal("zstd")},
		{[]string{"backup", "max_age"}, cty.NumberIntVal(30 * 24 * 3600)},
		{[]string{"backup", "archive", "enabled"}, cty.True},
		{[]string{"backup", "archive", "flush"}, cty.NumberFloatVal(0.5)},
		{[]string{"alerts", "enabled"}, cty.False},
	} {
		v := obj
		for _, p := range tt.path {
			v = v.GetAttr(p)
		}
		if !v.Equals(tt.want).True() {
			t.Errorf("%s = %#v, want %#v", strings.Join(tt.path, "."), v, tt.want)
		}
	}
}

// TestEvalPoliciesWithoutSpec: a load that failed has no spec and no
// policies to run.
func TestEvalPoliciesWithoutSpec(t *testing.T) {
	fs, diags := EvalPolicies(&Result{Files: map[string]*hclv2.File{}})
	if fs != nil || diags != nil {
		t.Errorf("EvalPolicies on a failed load = %v, %v; want nothing", fs, diags)
	}
}
