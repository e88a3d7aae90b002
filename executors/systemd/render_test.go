package systemd

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/schedfiles"
	"github.com/redisplan/redisplan/internal/model"
)

var update = flag.Bool("update", false, "rewrite golden files from the current output")

func target() *model.Target {
	return &model.Target{
		Name:   "main",
		Backup: &model.Backup{Schedule: "30 2 * * mon-fri", Destination: "/var/backups/redis", Archive: &model.Archive{Flush: 500 * time.Millisecond}},
		Alerts: &model.Alerts{Schedule: "0 3 13 * 5"},
	}
}

var opts = Options{Binary: "/usr/bin/redisplan", Config: "/etc/redisplan", VarFiles: []string{"/etc/redisplan/prod.vars"}}

// TestRenderGolden compares the units with testdata/golden; -update
// rewrites them. Rendering twice gives the same bytes.
func TestRenderGolden(t *testing.T) {
	st := &model.SystemdTimers{Dir: "/etc/systemd/system", RunAs: "redis", RandomizedDelay: 5 * time.Minute}
	files, err := Render(target(), st, opts)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Render(target(), st, opts)
	var names []string
	for i, f := range files {
		names = append(names, f.Name)
		if string(again[i].Content) != string(f.Content) {
			t.Errorf("%s: two renders differ", f.Name)
		}
		if !schedfiles.HasMarker(f.Content, "main") {
			t.Errorf("%s has no marker for main", f.Name)
		}
		golden := filepath.Join("testdata", "golden", f.Name)
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, f.Content, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if string(want) != string(f.Content) {
			t.Errorf("%s differs:\n--- want\n%s\n--- got\n%s", golden, want, f.Content)
		}
	}
	want := "redisplan-main-archive.service redisplan-main-backup.service redisplan-main-backup.timer redisplan-main-check.service redisplan-main-check.timer"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("files = %s, want %s", got, want)
	}
}

func TestRenderOptions(t *testing.T) {
	tg := target()
	tg.Name = `cache["eu"]`
	tg.Alerts = nil
	tg.Backup.Archive = nil
	files, err := Render(tg, &model.SystemdTimers{Binary: "/opt/redisplan/bin/redisplan"}, Options{Binary: "/ignored", Config: "/srv/my specs/100%"})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || files[0].Name != "redisplan-cache-eu-backup.service" {
		t.Fatalf("files = %v", files)
	}
	svc, tmr := string(files[0].Content), string(files[1].Content)
	for _, want := range []string{
		`ExecStart=/opt/redisplan/bin/redisplan backup run -no-color -config "/srv/my specs/100%%" -target "cache[\"eu\"]"` + "\n",
	} {
		if !strings.Contains(svc, want) {
			t.Errorf("service lacks %q:\n%s", want, svc)
		}
	}
	if strings.Contains(svc, "User=") {
		t.Errorf("service without run_as has a User= line:\n%s", svc)
	}
	if strings.Contains(tmr, "RandomizedDelaySec") {
		t.Errorf("timer without randomized_delay has RandomizedDelaySec:\n%s", tmr)
	}
	// A name with a line break (hcl escapes for_each keys, but the model
	// does not promise it) stays on its line.
	tg.Name = "a\nExecStartPre=/bin/touch /tmp/pwned"
	files, err = Render(tg, &model.SystemdTimers{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		for _, l := range strings.Split(string(f.Content), "\n") {
			if strings.HasPrefix(l, "ExecStartPre") {
				t.Errorf("%s: a line break in the target name started a setting: %q", f.Name, l)
			}
		}
	}
	if _, err := Render(&model.Target{Name: "x", Backup: &model.Backup{Schedule: "@every 1h"}}, &model.SystemdTimers{}, opts); err == nil {
		t.Error("Render of an @every schedule succeeded")
	}
}

// TestVerify runs systemd-analyze verify on the rendered units, with
// ExecStart pointing at an executable that exists.
func TestVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (Debian package systemd); the golden files still check the units")
	}
	bin, err := exec.LookPath("true")
	if err != nil {
		t.Skip("no true(1) to stand for redisplan")
	}
	dir := t.TempDir()
	st := &model.SystemdTimers{Dir: dir, RandomizedDelay: 90 * time.Second}
	// Every write path the hardening can name, one with a space.
	tg := target()
	tg.ConfigFile = "/etc/redis/redis.conf"
	tg.DataDir = "/var/lib/redis"
	tg.Backup.CopyTo = []string{"/mnt/backup disk/redis", "s3://bucket/redis"}
	files, err := Render(tg, st, Options{Binary: bin, Config: dir})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range files {
		p := filepath.Join(dir, f.Name)
		if err := os.WriteFile(p, f.Content, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	cmd := exec.Command(analyze, append([]string{"verify", "--man=no"}, paths...)...)
	cmd.Env = append(os.Environ(), "SYSTEMD_LOG_LEVEL=warning", "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	// verify also reports the host's own units when it loads their
	// dependencies (network-online.target); only lines about ours count.
	var ours []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "redisplan-") {
			ours = append(ours, line)
		}
	}
	if len(ours) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, strings.Join(ours, "\n"))
	}
	if err != nil && len(ours) == 0 {
		t.Logf("systemd-analyze verify exited with %v about units other than ours:\n%s", err, out)
	}
}

// TestHardeningKeepsPathsOnTheirLine: a write path with a line break
// (a destination a spec value built) is left out rather than start a
// setting of its own.
func TestHardeningKeepsPathsOnTheirLine(t *testing.T) {
	lines := Hardening([]string{"/srv/a\nExecStartPre=/bin/touch /tmp/pwned", "/srv/b"})
	for _, l := range lines {
		if strings.Contains(l, "ExecStartPre") || strings.Contains(l, "\n") {
			t.Errorf("a path escaped its line: %q", l)
		}
	}
	if !slices.Contains(lines, "ReadWritePaths=-/srv/b") {
		t.Errorf("lines %q lack the plain path", lines)
	}
}

// TestHardening: each service confines its job, and can write where the
// job writes: local destinations, the config file's directory (lock and
// journal) and the data dir (an AOF backup's snapshot); the check unit
// passes a WARNING and fails on CRITICAL and UNKNOWN.
func TestHardening(t *testing.T) {
	tg := target()
	tg.ConfigFile = "/etc/redis/redis.conf"
	tg.Directives = []model.Directive{{Name: "dir", Value: "/var/lib/redis"}}
	tg.Backup.CopyTo = []string{"/mnt/backup disk/100%", "s3://bucket/redis", "/var/backups/redis/"}
	files, err := Render(tg, &model.SystemdTimers{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"StateDirectory=redisplan",
		"Environment=XDG_STATE_HOME=%S TMPDIR=%S/redisplan",
		"UMask=0077",
		"ProtectSystem=strict",
		"ReadWritePaths=-/etc/redis",
		`ReadWritePaths="-/mnt/backup disk/100%%"`,
		"ReadWritePaths=-/var/backups/redis",
		"ReadWritePaths=-/var/lib/redis",
		"PrivateTmp=yes",
		"NoNewPrivileges=yes",
	}
	for _, f := range files {
		// The archive's service writes only to its destination
		// (TestArchiveUnit).
		if !strings.HasSuffix(f.Name, ".service") || strings.HasSuffix(f.Name, "-archive.service") {
			continue
		}
		svc := string(f.Content)
		if !strings.Contains(svc, strings.Join(want, "\n")+"\n") {
			t.Errorf("%s lacks the hardening lines\n%s\ngot:\n%s", f.Name, strings.Join(want, "\n"), svc)
		}
		pass := strings.Contains(svc, "\nSuccessExitStatus=1\n")
		if check := strings.HasSuffix(f.Name, "-check.service"); pass != check {
			t.Errorf("%s: SuccessExitStatus=1 present %v, want %v", f.Name, pass, check)
		}
		if strings.Contains(svc, "SuccessExitStatus=1 2") || strings.Contains(svc, "SuccessExitStatus=2") {
			t.Errorf("%s: a CRITICAL would pass:\n%s", f.Name, svc)
		}
	}
}

// TestArchiveUnit: the archive runs as a long-running service that
// systemd restarts whatever happens, with the same command line as the
// timers' services, writing only to a local destination; an s3://
// destination leaves the whole file system read-only.
func TestArchiveUnit(t *testing.T) {
	tg := target()
	tg.Name = `cache["eu"]`
	tg.Backup.Destination = "/srv/my backups/100%"
	files, err := Render(tg, &model.SystemdTimers{RunAs: "redis"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if files[0].Name != "redisplan-cache-eu-archive.service" {
		t.Fatalf("files = %v", files)
	}
	svc := string(files[0].Content)
	for _, want := range []string{
		"\nType=exec\n", "\nUser=redis\n", "\nRestart=always\n", "\nStartLimitIntervalSec=0\n", "\nKillSignal=SIGTERM\n",
		`ExecStart=/usr/bin/redisplan archive -no-color -config /etc/redisplan -var-file /etc/redisplan/prod.vars -target "cache[\"eu\"]"` + "\n",
		"\nProtectSystem=strict\n", "\nNoNewPrivileges=yes\n", "\nPrivateTmp=yes\n",
		"\nReadWritePaths=\"-/srv/my backups/100%%\"\n",
		"\nWantedBy=multi-user.target\n",
	} {
		if !strings.Contains(svc, want) {
			t.Errorf("archive service lacks %q:\n%s", want, svc)
		}
	}
	for _, f := range files {
		if strings.HasSuffix(f.Name, ".timer") && strings.Contains(f.Name, "archive") {
			t.Errorf("the archive has a timer: %s", f.Name)
		}
	}
	tg.Backup.Destination = "s3://bucket/redis"
	files, err = Render(tg, &model.SystemdTimers{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if svc := string(files[0].Content); strings.Contains(svc, "ReadWritePaths") || !strings.Contains(svc, "ProtectSystem=strict") {
		t.Errorf("an s3 archive's service:\n%s", svc)
	}
	// The archiver's lock is beside the target's config file: that
	// directory is writable, and nothing else of the host.
	tg.ConfigFile = "/etc/redis/redis.conf"
	files, err = Render(tg, &model.SystemdTimers{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if svc := string(files[0].Content); strings.Count(svc, "ReadWritePaths=") != 1 || !strings.Contains(svc, "\nReadWritePaths=-/etc/redis\n") {
		t.Errorf("an archive of a target with a config file:\n%s", svc)
	}
	tg.Backup.Archive = nil
	files, _ = Render(tg, &model.SystemdTimers{}, opts)
	for _, f := range files {
		if strings.Contains(f.Name, "archive") {
			t.Errorf("a target without an archive block got %s", f.Name)
		}
	}
}
