package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"filippo.io/age"
	"github.com/minio/minio-go/v7"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/s3test"
)

// The secret sweep: every command's failing paths, run with every kind of
// secret the spec can hold, on real redis-servers and a real versitygw.
// Every stdout and stderr, every file written, every object stored in S3
// and every notification body received is searched for each secret, in
// any letter case and URL- or base64-encoded. Only the managed config
// file (and its backup copies), render -o's redis.conf and the age
// identity files may hold secrets, and only with mode 0600.

// sweepSecrets are the values the sweep looks for, by what they are.
type sweepSecrets map[string]string

// leaks returns, for text, the secrets it shows and in which form.
func (s sweepSecrets) leaks(text string) []string {
	lower := strings.ToLower(text)
	var found []string
	for what, v := range s {
		forms := [][2]string{
			{"as is", v},
			{"URL-encoded", url.QueryEscape(v)},
			{"URL-path-encoded", url.PathEscape(v)},
			{"base64", base64.StdEncoding.EncodeToString([]byte(v))},
			{"base64url", base64.RawURLEncoding.EncodeToString([]byte(v))},
		}
		for _, f := range forms {
			if strings.Contains(lower, strings.ToLower(f[1])) {
				found = append(found, fmt.Sprintf("%s (%s)", what, f[0]))
				break
			}
		}
	}
	sort.Strings(found)
	return found
}

// hookReceiver records the body of every notification.
type hookReceiver struct {
	mu     sync.Mutex
	bodies []string
	srv    *httptest.Server
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies = append(r.bodies, string(b))
		r.mu.Unlock()
		// A receiver that refuses, quoting what it was sent: redisplan
		// quotes the answer in its delivery errors. (A 4xx is not
		// retried, which keeps the sweep short.)
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, "refused %s with token %s", req.Header.Get("Authorization"), req.URL.Query().Get("token"))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

const sweepSpec = `variable "address" {
  type = string
}
variable "destination" {
  type = string
}
variable "copy_to" {
  type = list(string)
}
variable "password" {
  type      = string
  sensitive = true
}
variable "requirepass" {
  type      = string
  sensitive = true
}
variable "config_command" {
  type      = string
  sensitive = true
}
variable "flush_name" {
  type      = string
  sensitive = true
}
variable "shutdown_name" {
  type      = string
  sensitive = true
}
variable "s3_access_key" {
  type      = string
  sensitive = true
}
variable "s3_secret_key" {
  type      = string
  sensitive = true
}
variable "hook_token" {
  type      = string
  sensitive = true
}
variable "hook_header" {
  type      = string
  sensitive = true
}

redis "main" {
  address     = var.address
  username    = "ops"
  password    = var.password
  config_file = %q
  rto         = "5m"
  %s
  persistence {
    rdb {
      snapshot {
        after   = "1h"
        changes = 1
      }
    }
  }
  memory {
    max = "100mb"
  }
  security {
    requirepass      = var.requirepass
    renamed_commands = {
      CONFIG   = var.config_command
      FLUSHALL = var.flush_name
      SHUTDOWN = var.shutdown_name
    }
  }
  backup {
    destination = var.destination
    copy_to     = var.copy_to
    recipients  = [%q]
    retention {
      keep_last = 1
    }
    s3 {
      endpoint   = %q
      region     = "us-east-1"
      access_key = var.s3_access_key
      secret_key = var.s3_secret_key
      path_style = true
    }
  }
  alerts {
    notify {
      webhook = "%s/hook?token=${var.hook_token}"
      headers = { Authorization = "Bearer ${var.hook_header}" }
    }
    notify {
      alertmanager = [replace("%[5]s", "//", "//redisplan:${var.hook_token}@")]
    }
    memory_used_percent {
      warning = 80
    }
    backup_age {
      critical = "25h"
    }
  }
}
`

func TestSecretSweep(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("the sweep runs every command several times")
	}
	rnd := func(prefix string) string { return prefix + rand.Text()[:12] }
	sec := sweepSecrets{
		"ACL user password":            rnd("AclPw"),
		"requirepass":                  rnd("ReqPw"),
		"wrong password":               rnd("WrongPw"),
		"CONFIG name on the server":    rnd("CfgOld"),
		"CONFIG name after rotation":   rnd("CfgNew"),
		"FLUSHALL rename":              rnd("FlushX"),
		"SHUTDOWN rename":              rnd("ShutX"),
		"S3 wrong secret key":          rnd("S3Wrong"),
		"webhook token":                rnd("HookTok"),
		"webhook Authorization header": rnd("HookHdr"),
	}
	s3srv := s3test.Start(t)
	sec["S3 access key"] = s3srv.AccessKey
	sec["S3 secret key"] = s3srv.SecretKey
	bucket := s3srv.Bucket(t, "sweep")

	root := t.TempDir()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	wrongID, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	sec["age identity"] = id.String()
	sec["wrong age identity"] = wrongID.String()
	idFile, wrongIDFile := filepath.Join(root, "age.key"), filepath.Join(root, "wrong-age.key")
	for p, k := range map[string]string{idFile: id.String(), wrongIDFile: wrongID.String()} {
		if err := os.WriteFile(p, []byte(k+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	// The server: CONFIG and FLUSHALL renamed, an ACL user for
	// redisplan and a password for the default user, all written to its
	// config file by CONFIG REWRITE.
	d := startDaemon(t, `save ""`,
		"rename-command CONFIG "+sec["CONFIG name on the server"],
		"rename-command FLUSHALL "+sec["FLUSHALL rename"])
	ctx := context.Background()
	c := d.client(t)
	for i := range 200 {
		if err := c.Set(ctx, fmt.Sprintf("k%d", i), "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for _, cmd := range [][]any{
		{"ACL", "SETUSER", "ops", "on", ">" + sec["ACL user password"], "~*", "&*", "+@all"},
		{sec["CONFIG name on the server"], "SET", "requirepass", sec["requirepass"]},
		{sec["CONFIG name on the server"], "REWRITE"},
	} {
		if err := c.Do(ctx, cmd...).Err(); err != nil {
			t.Fatalf("%v: %v", cmd[:2], err)
		}
	}
	// CONFIG REWRITE replaced the file with one of mode 0644.
	if err := os.Chmod(d.conf, 0o600); err != nil {
		t.Fatal(err)
	}

	hooks := newHookReceiver(t)
	closed := servertest.FreePort(t)
	spec := writeSpecIn(t, root, fmt.Sprintf(sweepSpec, d.conf, d.service(), id.Recipient().String(), s3srv.Endpoint, hooks.srv.URL))
	dest := filepath.Join(root, "backups")

	// The variables of a working setup; each case breaks one thing.
	good := map[string]string{
		"address":        d.addr(),
		"destination":    dest,
		"copy_to":        fmt.Sprintf(`["s3://%s/copy"]`, bucket),
		"password":       sec["ACL user password"],
		"requirepass":    sec["requirepass"],
		"config_command": sec["CONFIG name on the server"],
		"flush_name":     sec["FLUSHALL rename"],
		"shutdown_name":  sec["SHUTDOWN rename"],
		"s3_access_key":  s3srv.AccessKey,
		"s3_secret_key":  s3srv.SecretKey,
		"hook_token":     sec["webhook token"],
		"hook_header":    sec["webhook Authorization header"],
	}
	vars := func(change map[string]string) []string {
		var out []string
		for k, v := range good {
			if c, ok := change[k]; ok {
				v = c
			}
			out = append(out, "-var", k+"="+v)
		}
		return out
	}

	var leaks []string
	check := func(where, text string) {
		if found := sec.leaks(text); len(found) > 0 {
			leaks = append(leaks, fmt.Sprintf("%s shows %s", where, strings.Join(found, ", ")))
			t.Logf("%s:\n%s", where, text)
		}
	}
	runAll := func(name string, change map[string]string, cmds [][]string) {
		for _, cmd := range cmds {
			// Subcommand words first, then the flags, then the
			// positional arguments after "--".
			var words, flags, pos []string
			i := 0
			for ; i < len(cmd) && !strings.HasPrefix(cmd[i], "-"); i++ {
				words = append(words, cmd[i])
			}
			for ; i < len(cmd); i++ {
				if cmd[i] == "--" {
					pos = cmd[i+1:]
					break
				}
				flags = append(flags, cmd[i])
			}
			args := append(append(append(words, flags...), append([]string{"-config", spec}, vars(change)...)...), pos...)
			code, out, errOut := runCLI(t, args...)
			where := fmt.Sprintf("%s: redisplan %s (exit %d)", name, strings.Join(cmd, " "), code)
			check(where+" stdout", out)
			check(where+" stderr", errOut)
		}
	}

	// A good backup first, so that list, verify, restore and drill have
	// one to fail on.
	code, out, errOut := runCLI(t, append([]string{"backup", "run", "-config", spec}, vars(nil)...)...)
	if code != 0 {
		t.Fatalf("the first backup failed: exit %d\n%s%s", code, out, errOut)
	}
	check("working setup: redisplan backup run stdout", out)
	check("working setup: redisplan backup run stderr", errOut)
	runAll("working setup", nil, [][]string{
		{"plan"}, {"plan", "-json"}, {"plan", "-out", filepath.Join(root, "good.plan")},
		{"backup", "list"}, {"backup", "verify", "-identity", idFile, "-drill"},
		{"check", "-json", "-notify", "-state-dir", filepath.Join(root, "state-good")},
	})

	readOnly := [][]string{
		{"validate"}, {"validate", "-json"},
		{"render"}, {"render", "--", "crontab"}, {"render", "-o", filepath.Join(root, "render")},
		{"plan"}, {"plan", "-json"}, {"plan", "-format", "markdown"},
		{"lint"}, {"lint", "-format", "json"}, {"lint", "-format", "github"}, {"lint", "-format", "sarif"}, {"lint", "-format", "markdown"},
		{"check", "-state-dir", filepath.Join(root, "state")},
		{"check", "-json", "-state-dir", filepath.Join(root, "state")},
		{"check", "-format", "nagios", "-state-dir", filepath.Join(root, "state")},
		{"check", "-format", "prometheus", "-state-dir", filepath.Join(root, "state")},
		{"check", "-format", "prometheus", "-o", filepath.Join(root, "metrics.prom"), "-state-dir", filepath.Join(root, "state")},
		{"check", "-notify", "-json", "-state-dir", filepath.Join(root, "state-notify")},
		{"backup", "list"},
	}
	failing := func(planFile string) [][]string {
		return append(readOnly,
			[]string{"plan", "-out", planFile},
			[]string{"apply", "-auto-approve", "-allow-restart"},
			[]string{"apply", "--", planFile},
			[]string{"backup", "run"},
			[]string{"backup", "verify"},
			[]string{"backup", "verify", "-drill"},
			[]string{"backup", "verify", "-identity", wrongIDFile, "-drill"},
			[]string{"backup", "prune", "-dry-run"},
			[]string{"restore", "-target", "main", "-latest", "-auto-approve"},
			[]string{"restore", "-target", "main", "-latest", "-auto-approve", "-identity", wrongIDFile},
			[]string{"drill", "rto", "-target", "main"},
			[]string{"drill", "rto", "-target", "main", "-identity", idFile},
		)
	}

	// The operator rotated the secret CONFIG name in the spec; the
	// server still has the old one.
	runAll("CONFIG rotation", map[string]string{"config_command": sec["CONFIG name after rotation"]}, failing(filepath.Join(root, "rotation.plan")))
	// A mistyped password.
	runAll("wrong password", map[string]string{"password": sec["wrong password"]}, failing(filepath.Join(root, "wrongpw.plan")))
	// The server is down.
	runAll("unreachable", map[string]string{"address": fmt.Sprintf("127.0.0.1:%d", closed)}, failing(filepath.Join(root, "down.plan")))
	// The S3 secret key is wrong: the copy of a backup run, and every
	// command reading the bucket, fail.
	runAll("S3 wrong secret (copy_to)", map[string]string{"s3_secret_key": sec["S3 wrong secret key"]}, [][]string{
		{"backup", "run"}, {"backup", "list", "-destination", "s3://" + bucket + "/copy"},
	})
	runAll("S3 wrong secret (destination)", map[string]string{
		"s3_secret_key": sec["S3 wrong secret key"], "destination": "s3://" + bucket + "/main", "copy_to": "[]",
	}, [][]string{
		{"backup", "run"}, {"backup", "list"}, {"backup", "verify"}, {"backup", "prune"},
		{"restore", "-target", "main", "-latest", "-auto-approve"},
		{"check", "-json", "-notify", "-state-dir", filepath.Join(root, "state-s3")},
		{"drill", "rto", "-target", "main"},
	})
	// The backups are encrypted and no identity (or the wrong one) is
	// given; the SHUTDOWN rename of the spec is unknown to the server.
	runAll("age identity and renames", nil, [][]string{
		{"backup", "verify", "-drill"},
		{"backup", "verify", "-drill", "-identity", wrongIDFile},
		{"restore", "-target", "main", "-latest", "-auto-approve", "-identity", idFile},
		{"drill", "rto", "-target", "main", "-identity", wrongIDFile},
		{"drill", "rpo", "-target", "main", "-runs", "1", "-duration", "1s"},
	})

	// Last, as it changes the server: apply needs a restart, and the
	// spec's SHUTDOWN name is unknown to the server.
	runAll("unknown SHUTDOWN rename", nil, [][]string{
		{"apply", "-auto-approve", "-allow-restart"},
	})

	// Every file written under the test's directories.
	var scanned []string
	for _, dir := range []string{root, d.dir} {
		filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return nil
			}
			scanned = append(scanned, p)
			b, err := os.ReadFile(p)
			if err != nil {
				return nil
			}
			found := sec.leaks(string(b))
			if len(found) == 0 {
				return nil
			}
			info, _ := e.Info()
			base := filepath.Base(p)
			// The managed config file and its backup copies, the config
			// files render -o writes, and the identity files hold
			// secrets by design.
			mayHold := p == idFile || p == wrongIDFile || strings.HasPrefix(base, "redis.conf") ||
				(strings.HasPrefix(p, filepath.Join(root, "render")+"/") && strings.HasSuffix(base, ".conf"))
			switch {
			case !mayHold:
				leaks = append(leaks, fmt.Sprintf("file %s holds %s", p, strings.Join(found, ", ")))
			case info.Mode().Perm() != 0o600:
				leaks = append(leaks, fmt.Sprintf("file %s holds %s with mode %v, not 0600", p, strings.Join(found, ", "), info.Mode().Perm()))
			}
			return nil
		})
	}
	// The sweep reached the files it is about.
	for _, want := range []string{"good.plan", "rotation.plan", "wrongpw.plan", "metrics.prom", "manifest.json", ".check-state.json", "redis.conf.redisplan.bak"} {
		if !slices.ContainsFunc(scanned, func(p string) bool { return strings.HasSuffix(p, want) }) {
			t.Errorf("no %s was written: the sweep did not reach the path that writes it", want)
		}
	}
	// Every object in the bucket: manifests, catalogs, copies.
	for o := range s3srv.Client(t).ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		obj, err := s3srv.Client(t).GetObject(ctx, bucket, o.Key, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(obj)
		obj.Close()
		check("s3://"+bucket+"/"+o.Key, string(b))
	}
	// Every notification body.
	hooks.mu.Lock()
	bodies := append([]string(nil), hooks.bodies...)
	hooks.mu.Unlock()
	if len(bodies) == 0 {
		t.Error("no notification was received: the sweep did not reach the alert paths")
	}
	for i, b := range bodies {
		check(fmt.Sprintf("notification body %d", i+1), b)
	}

	if len(leaks) > 0 {
		t.Errorf("%d leaks:\n%s", len(leaks), strings.Join(leaks, "\n"))
	}
}

// writeSpecIn writes spec.hcl into dir.
func writeSpecIn(t *testing.T, dir, text string) string {
	t.Helper()
	p := filepath.Join(dir, "spec.hcl")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
