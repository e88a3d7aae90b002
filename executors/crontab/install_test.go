package crontab

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
)

func TestCronDFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	f := CronDFile{Path: filepath.Join(dir, "redisplan")}

	got, err := f.Read(ctx)
	if err != nil || len(got) != 0 {
		t.Fatalf("Read of a missing file = %q, %v; want empty", got, err)
	}

	// A file that group members could write is fixed, not kept.
	if err := os.WriteFile(f.Path, []byte("old\n"), 0o664); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(f.Path, 0o664); err != nil {
		t.Fatal(err)
	}
	content := Splice(nil, "main", []string{"0 3 * * * redis /usr/bin/redisplan backup run -target main"})
	if err := f.Install(ctx, content); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(f.Path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o644 {
		t.Errorf("mode = %o, want 644", got)
	}
	got, err = f.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(content) {
		t.Errorf("Read = %q, want %q", got, content)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the crontab", len(entries))
	}
}

func TestCronDFileErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	tests := []struct {
		path, want string
	}{
		{filepath.Join(dir, "missing", "redisplan"), "does not exist"},
		{filepath.Join(dir, "redisplan.cron"), "cron ignores"},
	}
	for _, tt := range tests {
		err := CronDFile{Path: tt.path}.Install(ctx, []byte("\n"))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Install(%s) = %v, want an error with %q", tt.path, err, tt.want)
		}
		if _, err := os.Stat(tt.path); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Install(%s) left a file: %v", tt.path, err)
		}
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if err := (CronDFile{Path: filepath.Join(dir, "redisplan")}).Install(canceled, []byte("\n")); !errors.Is(err, context.Canceled) {
		t.Errorf("Install with a canceled context = %v", err)
	}
}

// fakeCrontab is a crontab(1) that keeps each user's crontab in a file and
// logs its arguments, so that UserCrontab is tested without cron.
const fakeCrontab = `#!/bin/sh
echo "$*" >>"$FAKE_CRONTAB_DIR/args"
user=default list= 
while [ $# -gt 0 ]; do
	case "$1" in
	-u) user=$2; shift 2 ;;
	-l) list=1; shift ;;
	-) shift ;;
	*) echo "crontab: unexpected argument $1" >&2; exit 2 ;;
	esac
done
tab="$FAKE_CRONTAB_DIR/tab.$user"
if [ -n "$list" ]; then
	if [ "$user" = broken ]; then echo "crontab: cannot open spool" >&2; exit 1; fi
	if [ ! -f "$tab" ]; then echo "no crontab for $user" >&2; exit 1; fi
	exec cat "$tab"
fi
if [ "$user" = broken ]; then echo "crontab: permission denied" >&2; exit 1; fi
cat >"$tab"
`

func TestUserCrontabWithFake(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh to run the fake crontab with")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "crontab"), []byte(fakeCrontab), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("FAKE_CRONTAB_DIR", dir)
	ctx := context.Background()

	u := UserCrontab{User: "alice"}
	got, err := u.Read(ctx)
	if err != nil || len(got) != 0 {
		t.Fatalf("Read without a crontab = %q, %v; want empty", got, err)
	}
	content := []byte("MAILTO=\"\"\n0 3 * * * job\n")
	if err := u.Install(ctx, content); err != nil {
		t.Fatal(err)
	}
	if got, err := u.Read(ctx); err != nil || string(got) != string(content) {
		t.Fatalf("Read = %q, %v; want %q", got, err, content)
	}
	if err := (UserCrontab{}).Install(ctx, content); err != nil {
		t.Fatal(err)
	}

	args, err := os.ReadFile(filepath.Join(dir, "args"))
	if err != nil {
		t.Fatal(err)
	}
	want := "-l -u alice\n-u alice -\n-l -u alice\n-\n"
	if string(args) != want {
		t.Errorf("crontab ran with\n%s\nwant\n%s", args, want)
	}

	for _, err := range []error{
		func() error { _, err := UserCrontab{User: "broken"}.Read(ctx); return err }(),
		UserCrontab{User: "broken"}.Install(ctx, content),
	} {
		if err == nil || !strings.Contains(err.Error(), "user broken") || !strings.Contains(err.Error(), "crontab: ") {
			t.Errorf("error = %v, want one naming the user and quoting crontab", err)
		}
	}
}

// envRealCrontab, set to 1, lets TestUserCrontabReal change the crontab of
// the user running the tests.
const envRealCrontab = "REDISPLAN_TEST_REAL_CRONTAB"

// TestUserCrontabReal runs the system's crontab(1) on the crontab of the
// user running the test, and puts that crontab back afterwards. It changes
// that user's real crontab for a moment (a cron daemon could run the test
// line, and a test killed in between leaves it there), so it runs only when
// REDISPLAN_TEST_REAL_CRONTAB=1 asks for it; TestUserCrontabWithFake covers
// UserCrontab otherwise.
func TestUserCrontabReal(t *testing.T) {
	if os.Getenv(envRealCrontab) != "1" {
		t.Skipf("set %s=1 to run this test against the crontab of the user running it", envRealCrontab)
	}
	if _, err := exec.LookPath("crontab"); err != nil {
		t.Skip("crontab(1) is not installed (Debian package cron); the fake crontab test covers UserCrontab")
	}
	me, err := user.Current()
	if err != nil {
		t.Skip("cannot tell the current user:", err)
	}
	ctx := context.Background()
	u := UserCrontab{User: me.Username}
	before, err := u.Read(ctx)
	if err != nil {
		t.Skipf("cannot read the crontab of %s, so it could not be put back: %v", me.Username, err)
	}
	t.Cleanup(func() {
		if len(before) == 0 {
			if out, err := exec.Command("crontab", "-u", me.Username, "-r").CombinedOutput(); err != nil {
				t.Errorf("crontab -r: %v: %s", err, out)
			}
			return
		}
		if err := u.Install(context.Background(), before); err != nil {
			t.Errorf("putting the crontab of %s back: %v", me.Username, err)
		}
	})

	content := Splice(before, "redisplan-test", []string{"0 3 * * * true"})
	if err := u.Install(ctx, content); err != nil {
		t.Fatal(err)
	}
	got, err := u.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(got), "# BEGIN redisplan redisplan-test\n0 3 * * * true\n# END redisplan redisplan-test\n") {
		t.Errorf("installed crontab reads back as %q", got)
	}
}
