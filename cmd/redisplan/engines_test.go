package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/engines"
)

// engine returns the installed engine of that name; a missing one fails
// the test unless REDISPLAN_SKIP_ENGINES=1, which skips it.
func engine(t *testing.T, name string) engines.Engine {
	t.Helper()
	for _, e := range engines.Require(t) {
		if e.Name == name {
			return e
		}
	}
	t.Skipf("%s is not installed and %s=1 is set", name, engines.EnvSkip)
	return engines.Engine{}
}

// TestApplyValkeyUsesThePlansCatalog: on a real Valkey 8.0 server, which
// reports redis_version 7.2.4, plan picks the Valkey 8.0 catalog from INFO
// and records it in the saved plan, and apply edits the config file with
// that catalog: masterauth is Valkey's alias of primaryauth, so the old
// masterauth line is replaced, not left beside a new primaryauth line (as
// it was when apply used the Redis 7.2 catalog).
func TestApplyValkeyUsesThePlansCatalog(t *testing.T) {
	t.Parallel()
	e := engine(t, "valkey-8.0")
	srv := servertest.Start(t, servertest.Options{Binary: e.Server, Config: "masterauth old-primary-secret\n"})
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
	const secretVar = "primary_secret=new-primary-secret"
	planFile := filepath.Join(t.TempDir(), "plan.json")
	code, out, errOut := runCLI(t, "plan", "-out", planFile, "-var", secretVar, "-config", spec)
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s%s", code, out, errOut)
	}
	// The spec's masterauth is primaryauth on Valkey 8: the plan says so.
	if want := "masterauth is called primaryauth on this server (Valkey " + e.Version + ")"; !strings.Contains(out, want) {
		t.Errorf("plan does not say %q:\n%s", want, out)
	}
	raw, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	var saved struct {
		Targets []struct {
			Catalog string `json:"catalog"`
		} `json:"targets"`
	}
	if err := json.Unmarshal(raw, &saved); err != nil || len(saved.Targets) != 1 {
		t.Fatalf("read the saved plan: %v\n%s", err, raw)
	}
	if saved.Targets[0].Catalog != "valkey-8.0" {
		t.Fatalf("the saved plan records catalog %q, want valkey-8.0", saved.Targets[0].Catalog)
	}
	if code, out, errOut := runCLI(t, "apply", "-var", secretVar, "-config", spec, planFile); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	if got := configGet(t, srv.Client(t), "primaryauth"); got != "new-primary-secret" {
		t.Errorf("CONFIG GET primaryauth = %q after apply", got)
	}
	conf, err := os.ReadFile(srv.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	lines := regexp.MustCompile(`(?m)^(masterauth|primaryauth)\b.*$`).FindAllString(string(conf), -1)
	if len(lines) != 1 || !strings.Contains(lines[0], "new-primary-secret") {
		t.Errorf("the config file's primaryauth/masterauth lines are %q, want one line with the new secret:\n%s", lines, conf)
	}
	srv.Restart(t)
	if got := configGet(t, srv.Client(t), "primaryauth"); got != "new-primary-secret" {
		t.Errorf("CONFIG GET primaryauth = %q after a restart", got)
	}
	code, out, errOut = runCLI(t, "plan", "-detailed-exitcode", "-var", secretVar, "-config", spec)
	if code != 0 {
		t.Errorf("plan after apply: exit %d, want 0 (no changes)\n%s%s", code, out, errOut)
	}
	// The plan names the server's engine and release, not the Redis
	// version Valkey reports for compatibility.
	if want := "(" + srv.Addr() + ", Valkey " + e.Version + ")"; !strings.Contains(out, want) {
		t.Errorf("plan does not name the server as %q:\n%s", want, out)
	}

}
