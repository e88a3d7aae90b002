package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redisplan/redisplan/executors/server/servertest"
)

// A spec whose variables have no default (a password, a memory limit)
// runs from cron with what the job lines carry: the -var-files, and the
// cron file's environment lines. A plan given the values with -var only
// must not install job lines that cannot run.

const jobVarsPassword = "n1ghtly-jobs-pw"

// jobVarsSetup starts a redis-server with a password and writes, in one
// directory, a spec with two required variables and the given cron
// block, and secrets.vars setting both. It returns the server, the spec,
// the var file and the directory.
func jobVarsSetup(t *testing.T, cron func(dir string) string) (*servertest.Server, string, string, string) {
	t.Helper()
	srv := servertest.Start(t, servertest.Options{Config: "requirepass " + jobVarsPassword, Password: jobVarsPassword})
	dir := t.TempDir()
	spec := filepath.Join(dir, "redis.hcl")
	text := fmt.Sprintf(`variable "redis_password" {
  type      = string
  sensitive = true
}
variable "max_memory" {
  type = string
}
variable "backup_hour" {
  type    = number
  default = 3
}
redis "main" {
  address  = %q
  password = var.redis_password
  memory {
    max = var.max_memory
  }
  backup {
    schedule    = "0 ${var.backup_hour} * * *"
    destination = %q
  }
%s
}
`, srv.Addr(), filepath.Join(dir, "backups"), cron(dir))
	if err := os.WriteFile(spec, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	vars := filepath.Join(dir, "secrets.vars")
	if err := os.WriteFile(vars, []byte(fmt.Sprintf("redis_password = %q\nmax_memory = \"32mb\"\n", jobVarsPassword)), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, spec, vars, dir
}

func cronFileBlock(file string) func(string) string {
	return func(string) string { return fmt.Sprintf("  cron {\n    file = %q\n  }", file) }
}

// runBackupLine runs the installed crontab line of the backup job the way
// cron would: its arguments after the binary, with env as the process
// environment (the cron file's environment lines).
func runBackupLine(t *testing.T, cronFile string, env map[string]string) (int, string) {
	t.Helper()
	content, err := os.ReadFile(cronFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(content), "\n") {
		f := strings.Fields(line)
		for i := 0; i+2 < len(f); i++ {
			if f[i+1] == "backup" && f[i+2] == "run" {
				for k, v := range env {
					setVar(t, k, v)
				}
				code, out, errOut := runCLI(t, f[i+1:]...)
				return code, out + errOut
			}
		}
	}
	t.Fatalf("no backup line in %s:\n%s", cronFile, content)
	return 0, ""
}

// TestApplyRefusesJobLinesWithoutTheirVariables: apply with -var-file
// installs lines that carry it (and the backup line runs); apply with the
// same values given by -var only is refused with the variables' names and
// the fix, and neither the installed lines nor the server change.
func TestApplyRefusesJobLinesWithoutTheirVariables(t *testing.T) {
	t.Parallel()
	cronFile := filepath.Join(t.TempDir(), "redisplan")
	srv, spec, vars, _ := jobVarsSetup(t, cronFileBlock(cronFile))

	if code, out, errOut := runCLI(t, "apply", "-auto-approve", "-config", spec, "-var-file", vars); code != 0 {
		t.Fatalf("apply with -var-file: exit %d\n%s%s", code, out, errOut)
	}
	installed, err := os.ReadFile(cronFile)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(installed), " -var-file "+vars+" "); n != 1 {
		t.Fatalf("the job line does not carry -var-file %s:\n%s", vars, installed)
	}
	if code, out := runBackupLine(t, cronFile, nil); code != 0 {
		t.Fatalf("the installed backup line fails: exit %d\n%s", code, out)
	}

	// The same spec applied with -var only, and a new memory limit.
	code, out, errOut := runCLI(t, "apply", "-auto-approve", "-config", spec,
		"-var", "redis_password="+jobVarsPassword, "-var", "max_memory=64mb")
	if code != 1 {
		t.Errorf("apply with -var only: exit %d, want 1\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"the variables max_memory, redis_password have no default",
		"Pass them with -var-file, which the job lines carry, or set REDISPLAN_VAR_max_memory, REDISPLAN_VAR_redis_password in the cron file's environment",
		"nothing was applied",
	} {
		if !strings.Contains(out+errOut, want) {
			t.Errorf("apply does not say %q:\n%s%s", want, out, errOut)
		}
	}
	if strings.Contains(out+errOut, jobVarsPassword) {
		t.Errorf("the output holds the password:\n%s%s", out, errOut)
	}
	if after, _ := os.ReadFile(cronFile); !bytes.Equal(after, installed) {
		t.Errorf("the installed lines changed:\nbefore %q\nafter  %q", installed, after)
	}
	if got := configGet(t, srv.Client(t), "maxmemory"); got != "33554432" {
		t.Errorf("maxmemory is %s: apply changed the server before refusing", got)
	}
	if code, out := runBackupLine(t, cronFile, nil); code != 0 {
		t.Errorf("the installed backup line fails after the refused apply: exit %d\n%s", code, out)
	}

	// plan says the same, and exits 1.
	if code, out, errOut := runCLI(t, "plan", "-config", spec, "-var", "redis_password="+jobVarsPassword, "-var", "max_memory=64mb"); code != 1 ||
		!strings.Contains(errOut, "Error: redis.main: the crontab jobs in "+cronFile+" could not run") {
		t.Errorf("plan with -var only: exit %d, want 1 with the error\n%s%s", code, out, errOut)
	}
}

// TestCronEnvironmentResolvesJobVariables: with REDISPLAN_VAR_ lines in
// the cron file's environment, -var only is accepted, the plan says in
// words that the lines stop passing the -var-file, and the installed
// backup line runs with the cron file's environment.
func TestCronEnvironmentResolvesJobVariables(t *testing.T) {
	t.Parallel()
	cronFile := filepath.Join(t.TempDir(), "redisplan")
	srv, spec, vars, _ := jobVarsSetup(t, cronFileBlock(cronFile))
	if code, out, errOut := runCLI(t, "apply", "-auto-approve", "-config", spec, "-var-file", vars); code != 0 {
		t.Fatalf("apply with -var-file: exit %d\n%s%s", code, out, errOut)
	}
	installed, err := os.ReadFile(cronFile)
	if err != nil {
		t.Fatal(err)
	}
	env := "SHELL=/bin/sh\nREDISPLAN_VAR_redis_password=" + jobVarsPassword + "\nREDISPLAN_VAR_max_memory = 64mb\n"
	if err := os.WriteFile(cronFile, append([]byte(env), installed...), 0o644); err != nil {
		t.Fatal(err)
	}

	// Both in the environment, before the block: the plan is accepted
	// and says that the lines drop the -var-file.
	code, out, errOut := runCLI(t, "plan", "-config", spec, "-var", "redis_password="+jobVarsPassword, "-var", "max_memory=64mb")
	if code != 0 {
		t.Fatalf("plan with -var and both variables in the cron file: exit %d\n%s%s", code, out, errOut)
	}
	risk := "the crontab jobs in " + cronFile + " change where they take the spec's variables from: they stop passing -var-file " + vars
	if !strings.Contains(out, risk) {
		t.Errorf("the plan does not say in words that the lines drop the -var-file (want %q):\n%s", risk, out)
	}

	code, out, errOut = runCLI(t, "apply", "-auto-approve", "-config", spec, "-var", "redis_password="+jobVarsPassword, "-var", "max_memory=64mb")
	if code != 0 {
		t.Fatalf("apply with -var and the cron file's environment: exit %d\n%s%s", code, out, errOut)
	}
	after, _ := os.ReadFile(cronFile)
	if strings.Contains(string(after), "-var-file") || !strings.HasPrefix(string(after), env) {
		t.Errorf("the cron file after apply:\n%s", after)
	}
	if got := configGet(t, srv.Client(t), "maxmemory"); got != "67108864" {
		t.Errorf("maxmemory is %s after the apply", got)
	}
	if code, out := runBackupLine(t, cronFile, map[string]string{
		"REDISPLAN_VAR_redis_password": jobVarsPassword, "REDISPLAN_VAR_max_memory": "64mb",
	}); code != 0 {
		t.Errorf("the installed backup line fails with the cron file's environment: exit %d\n%s", code, out)
	}

	// An environment line after the block does not reach its jobs.
	moved := strings.Replace(string(after), "REDISPLAN_VAR_max_memory = 64mb\n", "", 1) + "REDISPLAN_VAR_max_memory=64mb\n"
	if err := os.WriteFile(cronFile, []byte(moved), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCLI(t, "plan", "-config", spec, "-var", "redis_password="+jobVarsPassword, "-var", "max_memory=64mb")
	if code != 1 || !strings.Contains(errOut, "the variable max_memory has no default") {
		t.Errorf("plan with REDISPLAN_VAR_max_memory after the block: exit %d, want 1 naming max_memory\n%s%s", code, out, errOut)
	}
}

// TestSystemdJobsNeedTheirVariables: systemd services get no variables
// but the -var-files of their ExecStart= line, so -var only is refused and
// the units stay as they were.
func TestSystemdJobsNeedTheirVariables(t *testing.T) {
	t.Parallel()
	units := filepath.Join(t.TempDir(), "units")
	srv, spec, vars, _ := jobVarsSetup(t, func(string) string {
		return fmt.Sprintf("  cron {\n    kind = \"systemd\"\n    dir  = %q\n  }", units)
	})
	if code, out, errOut := runCLI(t, "apply", "-auto-approve", "-config", spec, "-var-file", vars); code != 0 {
		t.Fatalf("apply with -var-file: exit %d\n%s%s", code, out, errOut)
	}
	before := fileContents(t, units)
	service := before[filepath.Join(units, "redisplan-main-backup.service")]
	if !strings.Contains(service, " -var-file "+vars+" ") {
		t.Fatalf("ExecStart= does not carry -var-file %s:\n%s", vars, service)
	}
	code, out, errOut := runCLI(t, "apply", "-auto-approve", "-config", spec,
		"-var", "redis_password="+jobVarsPassword, "-var", "max_memory=64mb")
	if code != 1 || !strings.Contains(errOut, "the systemd services in "+units+" could not run: the variables max_memory, redis_password have no default") ||
		!strings.Contains(errOut, "Pass them with -var-file, which the job lines carry") {
		t.Errorf("apply with -var only: exit %d, want 1 with the error\n%s%s", code, out, errOut)
	}
	if after := fileContents(t, units); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("the units changed:\nbefore %q\nafter  %q", before, after)
	}
	if got := configGet(t, srv.Client(t), "maxmemory"); got != "33554432" {
		t.Errorf("maxmemory is %s: apply changed the server before refusing", got)
	}
}

// TestPlanWarnsWhenJobsGetAnotherValue: a -var that overrides the
// -var-file's value is not seen by the jobs, which read the -var-file: the
// plan says so under Risks, naming the variable and never its value.
func TestPlanWarnsWhenJobsGetAnotherValue(t *testing.T) {
	t.Parallel()
	cronFile := filepath.Join(t.TempDir(), "redisplan")
	_, spec, vars, _ := jobVarsSetup(t, cronFileBlock(cronFile))
	if code, out, errOut := runCLI(t, "apply", "-auto-approve", "-config", spec, "-var-file", vars); code != 0 {
		t.Fatalf("apply with -var-file: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := runCLI(t, "plan", "-config", spec, "-var-file", vars, "-var", "max_memory=48mb")
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s%s", code, out, errOut)
	}
	want := "the scheduled backup and check will run with another value of the variable max_memory than this plan"
	if !strings.Contains(out, want) || strings.Contains(out, "redis_password than") {
		t.Errorf("the plan does not warn that the jobs get another max_memory (want %q):\n%s", want, out)
	}
	// The same value as the -var-file's: nothing to warn about.
	if code, out, errOut := runCLI(t, "plan", "-config", spec, "-var-file", vars, "-var", "max_memory=32mb"); code != 0 || strings.Contains(out, "another value") {
		t.Errorf("plan with the -var-file's own value: exit %d\n%s%s", code, out, errOut)
	}
}

// TestPlanWarnsWhenPodsGetTheDefault: a Kubernetes CronJob's pod gets no
// -var-file, only the Secret's variables, so a non-sensitive variable
// with a default runs with the default there: a plan given another value
// says so.
func TestPlanWarnsWhenPodsGetTheDefault(t *testing.T) {
	t.Parallel()
	manifests := filepath.Join(t.TempDir(), "k8s")
	_, spec, vars, _ := jobVarsSetup(t, func(string) string {
		return fmt.Sprintf("  cron {\n    kind       = \"kubernetes\"\n    dir        = %q\n    image      = \"redisplan:test\"\n    config_map = \"redisplan-spec\"\n    secret     = \"redisplan-secrets\"\n  }", manifests)
	})
	code, out, errOut := runCLI(t, "plan", "-config", spec, "-var-file", vars, "-var", "backup_hour=4")
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s%s", code, out, errOut)
	}
	if want := "the Kubernetes CronJobs will run with the default of the variable backup_hour, not this plan's value"; !strings.Contains(out, want) {
		t.Errorf("the plan does not warn that the pods get the default (want %q):\n%s", want, out)
	}
	// The Secret gives the pods every variable without a default: no
	// error, and no warning without another value.
	if code, out, errOut := runCLI(t, "plan", "-config", spec, "-var-file", vars); code != 0 || strings.Contains(out, "will run with") {
		t.Errorf("plan with the defaults: exit %d\n%s%s", code, out, errOut)
	}
}
