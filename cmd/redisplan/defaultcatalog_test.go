package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/redisplan/redisplan/executors/server/servertest"
)

// newerDirectiveSpec sets, without redis_version, two directives Redis 7.0
// (the default catalog) lacks and Redis 7.4 and newer have, beside one
// every release has.
func newerDirectiveSpec(addr, conf string) string {
	return fmt.Sprintf(`redis "main" {
  address     = %q
  config_file = %q
  settings = {
    "hide-user-data-from-log"       = true
    "max-new-connections-per-cycle" = 25
    "hz"                            = 20
  }
}
`, addr, conf)
}

// TestPlanChecksANewerDirectiveAgainstTheServer: on a real Redis 8.0
// server, a spec without redis_version that sets hide-user-data-from-log
// and max-new-connections-per-cycle plans (it used to stop at load, as if
// the server were Redis 7.0), apply sets them live and in redis.conf, and
// the next plan, after a restart too, has no changes.
func TestPlanChecksANewerDirectiveAgainstTheServer(t *testing.T) {
	t.Parallel()
	e := engine(t, "redis-8.0")
	srv := servertest.Start(t, servertest.Options{Binary: e.Server})
	spec := writeSpec(t, newerDirectiveSpec(srv.Addr(), srv.ConfigPath()))

	code, out, errOut := runCLI(t, "plan", "-detailed-exitcode", "-config", spec)
	if code != 2 {
		t.Fatalf("plan: exit %d, want 2 (changes)\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"hide-user-data-from-log", "max-new-connections-per-cycle"} {
		if !strings.Contains(out, want) {
			t.Errorf("the plan does not change %s:\n%s", want, out)
		}
	}
	if code, out, errOut := runCLI(t, "apply", "-auto-approve", "-config", spec); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	c := srv.Client(t)
	want := map[string]string{"hide-user-data-from-log": "yes", "max-new-connections-per-cycle": "25", "hz": "20"}
	check := func(when string) {
		t.Helper()
		for name, v := range want {
			if got := configGet(t, c, name); got != v {
				t.Errorf("%s: CONFIG GET %s = %q, want %q", when, name, got, v)
			}
		}
	}
	check("after apply")
	conf, err := os.ReadFile(srv.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"hide-user-data-from-log yes", "max-new-connections-per-cycle 25", "hz 20"} {
		if !strings.Contains(string(conf), line+"\n") {
			t.Errorf("redis.conf has no line %q:\n%s", line, conf)
		}
	}
	if code, out, errOut := runCLI(t, "plan", "-detailed-exitcode", "-config", spec); code != 0 {
		t.Errorf("plan after apply: exit %d, want 0 (no changes)\n%s%s", code, out, errOut)
	}
	srv.Restart(t)
	c = srv.Client(t)
	check("after a restart")
	if code, out, errOut := runCLI(t, "plan", "-detailed-exitcode", "-config", spec); code != 0 {
		t.Errorf("plan after a restart: exit %d, want 0 (no changes)\n%s%s", code, out, errOut)
	}
}

// TestPlanRefusesANewerDirectiveTheServerLacks: the same spec against a
// real Redis 7.0 server stops the target's plan, naming the server and
// the releases that have the directive, and apply changes nothing: not
// hz, which the server has, and not the config file.
func TestPlanRefusesANewerDirectiveTheServerLacks(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	spec := writeSpec(t, newerDirectiveSpec(srv.Addr(), srv.ConfigPath()))
	before, err := os.ReadFile(srv.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	c := srv.Client(t)
	version := serverRelease(t, srv)

	code, out, errOut := runCLI(t, "plan", "-config", spec)
	if code != 1 {
		t.Fatalf("plan: exit %d, want 1\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"which this server (Redis " + version + ") does not have",
		"Redis 7.4, Redis 8.0, Valkey 8.0 and Valkey 8.1 have it",
	} {
		if !strings.Contains(out+errOut, want) {
			t.Errorf("plan does not say %q:\n%s%s", want, out, errOut)
		}
	}
	if strings.Contains(out+errOut, "Unknown directive") {
		t.Errorf("plan stopped at load instead of checking the server:\n%s%s", out, errOut)
	}
	if code, out, errOut := runCLI(t, "apply", "-auto-approve", "-config", spec); code == 0 {
		t.Errorf("apply: exit 0, want a failure\n%s%s", out, errOut)
	}
	if got := configGet(t, c, "hz"); got != "10" {
		t.Errorf("CONFIG GET hz = %q after the refused apply, want 10 (unchanged)", got)
	}
	after, err := os.ReadFile(srv.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	if string(after) != string(before) {
		t.Errorf("the refused apply changed redis.conf:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// serverRelease returns the release the server reports in INFO.
func serverRelease(t *testing.T, srv *servertest.Server) string {
	t.Helper()
	info, err := srv.Client(t).Info(t.Context(), "server").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
			return v
		}
	}
	t.Fatalf("INFO has no redis_version:\n%s", info)
	return ""
}

// TestValidateWarnsOfANewerDirective: validate -json of that spec is valid,
// with one warning per directive that names the releases that have it and
// says plan checks it against the server.
func TestValidateWarnsOfANewerDirective(t *testing.T) {
	t.Parallel()
	spec := writeSpec(t, newerDirectiveSpec("127.0.0.1:1", "/etc/redis/redis.conf"))
	code, out, errOut := runCLI(t, "validate", "-json", "-config", spec)
	if code != 0 {
		t.Fatalf("validate -json: exit %d, want 0\n%s%s", code, out, errOut)
	}
	var got struct {
		Valid       bool `json:"valid"`
		ErrorCount  int  `json:"error_count"`
		Diagnostics []struct {
			Severity string `json:"severity"`
			Summary  string `json:"summary"`
			Detail   string `json:"detail"`
		} `json:"diagnostics"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("validate -json: %v\n%s", err, out)
	}
	if !got.Valid || got.ErrorCount != 0 {
		t.Errorf("validate -json: valid %v, %d errors, want valid\n%s", got.Valid, got.ErrorCount, out)
	}
	warned := map[string]bool{}
	for _, d := range got.Diagnostics {
		if d.Severity != "warning" {
			continue
		}
		for _, name := range []string{"hide-user-data-from-log", "max-new-connections-per-cycle"} {
			if strings.Contains(d.Detail, `"`+name+`"`) &&
				strings.Contains(d.Detail, "Redis 7.4, Redis 8.0, Valkey 8.0 and Valkey 8.1 have it") &&
				strings.Contains(d.Detail, "the release the server reports") {
				warned[name] = true
			}
		}
	}
	if len(warned) != 2 {
		t.Errorf("validate -json warns of %v, want both directives, with the releases that have them and the server check:\n%s", warned, out)
	}
}
