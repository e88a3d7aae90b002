package hcl

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// The loader records where each variable's value came from, which the
// planner needs to tell whether a scheduled job (given only the
// -var-files) resolves it, and with the same value.
func TestVariableSourcesForJobs(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "redis.hcl")
	os.WriteFile(spec, []byte(`variable "pw" {
  sensitive = true
}
variable "max" {
  default = "32mb"
}
variable "port" {
  default = "6379"
}
variable "hour" {}
redis "main" {
  address  = "127.0.0.1:${var.port}"
  password = var.pw
  memory {
    max = var.max
  }
  backup {
    schedule    = "0 ${var.hour} * * *"
    destination = "/tmp/b"
  }
}
`), 0o644)
	a, b := filepath.Join(dir, "a.vars"), filepath.Join(dir, "b.vars")
	os.WriteFile(a, []byte("pw = \"one\"\nmax = \"64mb\"\n"), 0o600)
	os.WriteFile(b, []byte("pw = \"two\"\n"), 0o600)
	res, diags := Load(Options{Path: spec, VarFiles: []string{a, b},
		Vars:    []string{"max=64mb", "hour=3"},
		Environ: []string{EnvPrefix + "port=6380", EnvPrefix + "pw=env"}})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	type src struct {
		HasDefault bool
		VarFiles   []string
		OnlyHere   bool
		NotDefault bool
	}
	want := map[string]src{
		"pw":   {false, []string{a, b}, false, false}, // the files override the environment
		"max":  {true, []string{a}, false, true},      // -var gives the file's own value
		"port": {true, nil, true, true},               // the environment overrides the default
		"hour": {false, nil, false, false},            // -var only: nothing to compare with
	}
	for name, w := range want {
		v := res.Variables[name]
		if got := (src{v.HasDefault, v.VarFiles, v.OnlyHere, v.NotDefault}); !reflect.DeepEqual(got, w) {
			t.Errorf("%s: %+v, want %+v", name, got, w)
		}
	}
}
