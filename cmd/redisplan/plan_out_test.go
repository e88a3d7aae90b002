package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redisplan/redisplan/executors/server/servertest"
)

// TestSavedPlanSaysAnApplyThatWorks: plan -out prints the apply command
// for the file it saved, with the -config the plan needs and each -var by
// name only; that command, given the variable's value again, applies the
// plan to a real server.
func TestSavedPlanSaysAnApplyThatWorks(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	const secret = "Sav3dPlan-secret-9f2"
	spec := writeSpec(t, `variable "primary_secret" {
  sensitive = true
}

redis "main" {
  address     = "`+srv.Addr()+`"
  config_file = "`+srv.ConfigPath()+`"
  settings = {
    "masterauth" = var.primary_secret
  }
}
`)
	planFile := filepath.Join(t.TempDir(), "v81", "plan2.bin")
	if err := os.MkdirAll(filepath.Dir(planFile), 0o700); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "plan", "-out", planFile, "-config", spec, "-var", "primary_secret="+secret)
	if code != 0 {
		t.Fatalf("plan -out: exit %d\n%s%s", code, out, errOut)
	}
	want := "Apply exactly it with: redisplan apply -config " + spec + " -var 'primary_secret=...' " + planFile + "\n"
	if !strings.Contains(out, want) {
		t.Fatalf("plan -out does not say %q:\n%s", want, out)
	}
	if strings.Contains(out+errOut, secret) {
		t.Fatalf("plan -out printed the variable's value:\n%s%s", out, errOut)
	}

	// Run the printed command as a shell would split it, with the value.
	line := strings.TrimSuffix(out[strings.Index(out, want)+len("Apply exactly it with: redisplan "):], "\n")
	var args []string
	for _, f := range strings.Fields(line) {
		f = strings.Trim(f, "'")
		args = append(args, strings.Replace(f, "=...", "="+secret, 1))
	}
	code, out, errOut = runCLI(t, args...)
	if code != 0 {
		t.Fatalf("the printed command %q: exit %d\n%s%s", line, code, out, errOut)
	}
	if got := configGet(t, srv.Client(t), "masterauth"); got != secret {
		t.Errorf("masterauth after the printed apply = %q, want the variable's value", got)
	}
}
