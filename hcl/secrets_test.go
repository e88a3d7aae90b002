package hcl

import (
	"slices"
	"testing"
)

// The CLI hides what Result.Secrets returns: the sensitive variables'
// strings (also inside collections) and the targets' secrets, and nothing
// that is not secret.
func TestResultSecrets(t *testing.T) {
	res := loadText(t, `
variable "pw" {
  type      = string
  sensitive = true
}
variable "tokens" {
  type      = map(list(string))
  sensitive = true
}
variable "host" {
  type    = string
  default = "127.0.0.1"
}
redis "main" {
  address  = "${var.host}:6379"
  password = var.pw
  security {
    renamed_commands = { CONFIG = "CfgLiteral9", SHUTDOWN = "ShutPlain", FLUSHALL = "" }
  }
}
`, "pw=Sw0rdfish!", `tokens={a = ["TokA1", "TokA2"]}`)
	got := res.Secrets()
	for _, want := range []string{"Sw0rdfish!", "TokA1", "TokA2", "CfgLiteral9"} {
		if !slices.Contains(got, want) {
			t.Errorf("Secrets() = %q, lacks %q", got, want)
		}
	}
	for _, not := range []string{"127.0.0.1", "ShutPlain", ""} {
		if slices.Contains(got, not) {
			t.Errorf("Secrets() = %q, holds %q, which is not secret", got, not)
		}
	}
	// The name CONFIG is given is sensitive even when written literally,
	// so that plans and render mask it; a disabled CONFIG is not.
	for _, r := range res.Spec.Target("main").Renames {
		if want := r.Command == "CONFIG"; r.Sensitive != want {
			t.Errorf("rename %s: sensitive = %v, want %v", r.Command, r.Sensitive, want)
		}
	}
}
