package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redisplan/redisplan/executors/server/servertest"
)

// fingerprintServer is a redis-server whose config file (the one the spec
// manages) sets requirepass for the default user, renames CONFIG to a
// secret name and declares an ACL user "ops" that redisplan connects as:
// the default user's password can then change behind redisplan's back
// while redisplan still reaches the server.
type fingerprintServer struct {
	srv                        *servertest.Server
	conf                       string
	password, opsPassword, cfg string
	spec                       string
}

func startFingerprintServer(t *testing.T) *fingerprintServer {
	t.Helper()
	f := &fingerprintServer{password: "Pl4nFingerpr1nt-pw", opsPassword: "0ps-pw-7c1d", cfg: "CFG_fp_3a9e51"}
	f.conf = filepath.Join(t.TempDir(), "redis.conf")
	conf := fmt.Sprintf("# managed by a person before redisplan\nrequirepass %s\nuser ops on >%s ~* &* +@all\nrename-command CONFIG %s\nmaxmemory-policy noeviction\nsave \"\"\n",
		f.password, f.opsPassword, f.cfg)
	if err := os.WriteFile(f.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	f.srv = servertest.Start(t, servertest.Options{ConfigFile: f.conf, Password: f.password})
	setVar(t, "REDISPLAN_VAR_password", f.password)
	setVar(t, "REDISPLAN_VAR_ops_password", f.opsPassword)
	setVar(t, "REDISPLAN_VAR_config_command", f.cfg)
	f.spec = writeSpec(t, fmt.Sprintf(`variable "password" {
  type      = string
  sensitive = true
}
variable "ops_password" {
  type      = string
  sensitive = true
}
variable "config_command" {
  type      = string
  sensitive = true
}

redis "main" {
  address     = %q
  username    = "ops"
  password    = var.ops_password
  config_file = %q
  memory {
    max = "64mb"
  }
  security {
    requirepass      = var.password
    renamed_commands = { CONFIG = var.config_command }
  }
}
`, f.srv.Addr(), f.conf))
	return f
}

// configSet runs CONFIG SET under the secret name.
func (f *fingerprintServer) configSet(t *testing.T, name, value string) {
	t.Helper()
	if err := f.srv.Client(t).Do(context.Background(), f.cfg, "SET", name, value).Err(); err != nil {
		t.Fatalf("CONFIG SET %s: %v", name, err)
	}
}

// editConf replaces old by new in the config file.
func (f *fingerprintServer) editConf(t *testing.T, old, new string) {
	t.Helper()
	b, err := os.ReadFile(f.conf)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("the config file has no %q:\n%s", old, b)
	}
	if err := os.WriteFile(f.conf, []byte(strings.Replace(string(b), old, new, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
}

// fastHashes are the encodings of an unsalted SHA-256 of s that a plan
// file could carry: anyone holding one can test guesses of s offline at
// the speed of SHA-256.
func fastHashes(s string) []string {
	sum := sha256.Sum256([]byte(s))
	return []string{
		hex.EncodeToString(sum[:]),
		strings.ToUpper(hex.EncodeToString(sum[:])),
		base64.StdEncoding.EncodeToString(sum[:]),
		base64.RawStdEncoding.EncodeToString(sum[:]),
		base64.URLEncoding.EncodeToString(sum[:]),
		base64.RawURLEncoding.EncodeToString(sum[:]),
	}
}

// A saved plan is handed around for review and kept as a CI artifact: it
// must hold neither the secrets nor anything that lets a reader test
// guesses of them cheaply. The password, its config line, the secret
// CONFIG name and the whole config file are looked for as SHA-256 in hex
// and base64.
func TestSavedPlanHoldsNoFastHashOfSecrets(t *testing.T) {
	t.Parallel()
	f := startFingerprintServer(t)
	planFile := filepath.Join(t.TempDir(), "main.plan")
	code, out, errOut := runCLI(t, "plan", "-detailed-exitcode", "-out", planFile, "-config", f.spec)
	if code != 2 || !strings.Contains(out, "+ maxmemory: 0 -> 64mb  [live]") {
		t.Fatalf("plan -out: exit %d, want 2 with the maxmemory change\n%s%s", code, out, errOut)
	}
	saved, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	conf, err := os.ReadFile(f.conf)
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{
		"the password":              f.password,
		"the requirepass line":      "requirepass " + f.password,
		"the ops user's password":   f.opsPassword,
		"the secret CONFIG name":    f.cfg,
		"the rename-command line":   "rename-command CONFIG " + f.cfg,
		"the whole config file":     string(conf),
		"the password as JSON":      fmt.Sprintf("%q", f.password),
		"the requirepass value row": fmt.Sprintf("%q=%q\n", "requirepass", f.password),
	}
	for what, s := range secrets {
		if strings.Contains(string(saved), s) {
			t.Errorf("the saved plan holds %s in clear", what)
		}
		for _, h := range fastHashes(s) {
			if strings.Contains(string(saved), h) {
				t.Errorf("the saved plan holds an unsalted SHA-256 of %s (%s): whoever reads the plan can test guesses of it offline", what, h)
			}
		}
	}

	// The plan still applies while nothing moved.
	code, out, errOut = runCLI(t, "apply", "-config", f.spec, planFile)
	if code != 0 || !strings.Contains(out, "CONFIG SET maxmemory") {
		t.Fatalf("apply of a fresh saved plan: exit %d\n%s%s", code, out, errOut)
	}
	noSecret(t, "apply", []string{f.password, f.opsPassword, f.cfg}, out, errOut)
}

// A saved plan is refused when a secret moved after it was made, though
// the plan file holds no usable trace of it: the password changed live
// and in the file, only in the file, or only live.
func TestSavedPlanStaleWhenASecretChanges(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		live, file bool
		want       []string
	}{
		{"password changed live and in the file", true, true, []string{"the live configuration of redis.main changed", "the config file of redis.main changed"}},
		{"password changed in the file only", false, true, []string{"the config file of redis.main changed"}},
		{"password changed live only", true, false, []string{"the live configuration of redis.main changed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := startFingerprintServer(t)
			planFile := filepath.Join(t.TempDir(), "main.plan")
			if code, out, errOut := runCLI(t, "plan", "-out", planFile, "-config", f.spec); code != 0 {
				t.Fatalf("plan -out: exit %d\n%s%s", code, out, errOut)
			}
			const newPassword = "An0ther-pw-after-the-plan"
			if tc.live {
				f.configSet(t, "requirepass", newPassword)
			}
			if tc.file {
				f.editConf(t, "requirepass "+f.password+"\n", "requirepass "+newPassword+"\n")
			}
			code, out, errOut := runCLI(t, "apply", "-config", f.spec, planFile)
			if code != 1 || !strings.Contains(errOut, "Saved plan is stale: ") {
				t.Fatalf("apply after the change: exit %d, want 1 and a stale plan\n%s%s", code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("the refusal does not say %q:\n%s", w, errOut)
				}
			}
			if strings.Contains(out, "CONFIG SET") {
				t.Errorf("a stale plan changed the server:\n%s", out)
			}
			if got := f.srv.Client(t).Do(context.Background(), f.cfg, "GET", "maxmemory").String(); strings.Contains(got, "67108864") {
				t.Errorf("a stale plan was applied: %s", got)
			}
			noSecret(t, "apply of a stale plan", []string{f.password, newPassword, f.opsPassword, f.cfg}, out, errOut)
		})
	}
}

// A config file line that holds no secret, changed after the plan, makes
// the plan stale too.
func TestSavedPlanStaleWhenTheConfigFileChanges(t *testing.T) {
	t.Parallel()
	f := startFingerprintServer(t)
	planFile := filepath.Join(t.TempDir(), "main.plan")
	if code, out, errOut := runCLI(t, "plan", "-out", planFile, "-config", f.spec); code != 0 {
		t.Fatalf("plan -out: exit %d\n%s%s", code, out, errOut)
	}
	f.editConf(t, "maxmemory-policy noeviction\n", "maxmemory-policy allkeys-lru\n")
	code, out, errOut := runCLI(t, "apply", "-config", f.spec, planFile)
	if code != 1 || !strings.Contains(errOut, "Saved plan is stale: the config file of redis.main changed") {
		t.Fatalf("apply after a config file edit: exit %d, want 1 and a stale plan naming the file\n%s%s", code, out, errOut)
	}
}
