package oncalendar

import (
	"bufio"
	"bytes"
	"errors"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

// cases are cron schedules and the OnCalendar expressions a timer needs
// to elapse at the same minutes.
var cases = []struct {
	cron string
	want []string
}{
	{"0 3 * * *", []string{"*-*-* 03:00:00"}},
	{"*/15 * * * *", []string{"*-*-* *:00/15:00"}},
	{"5,35 */2 * * *", []string{"*-*-* 00/2:05,35:00"}},
	{"0 9-17 * * mon-fri", []string{"Mon..Fri *-*-* 09..17:00:00"}},
	{"30 1 * * 0", []string{"Sun *-*-* 01:30:00"}},
	{"0 0 * * sat,sun", []string{"Sat,Sun *-*-* 00:00:00"}},
	{"0 0 * * 0-2", []string{"Mon,Tue,Sun *-*-* 00:00:00"}},
	{"0 4 1 * *", []string{"*-*-01 04:00:00"}},
	{"0 4 */2 * *", []string{"*-*-01/2 04:00:00"}},
	{"0 4 1,15 jan,jul *", []string{"*-01,07-01,15 04:00:00"}},
	{"0 4 1 */3 *", []string{"*-01/3-01 04:00:00"}},
	{"10-20/5 3 * * *", []string{"*-*-* 03:10,15,20:00"}},
	{"7/20 * * * *", []string{"*-*-* *:07/20:00"}},
	{"0 0 29 2 *", []string{"*-02-29 00:00:00"}},
	{"0 12 * 12 1-5", []string{"Mon..Fri *-12-* 12:00:00"}},
	{"0 6 ? * MON", []string{"Mon *-*-* 06:00:00"}},
	{"@daily", []string{"*-*-* 00:00:00"}},
	{"@hourly", []string{"*-*-* *:00:00"}},
	{"@weekly", []string{"Sun *-*-* 00:00:00"}},
	{"@monthly", []string{"*-*-01 00:00:00"}},
	{"@yearly", []string{"*-01-01 00:00:00"}},
	{"TZ=Europe/Paris 0 3 * * *", []string{"*-*-* 03:00:00 Europe/Paris"}},
	// Both day fields restricted: cron runs on either, so two lines.
	{"0 2 13 * 5", []string{"*-*-13 02:00:00", "Fri *-*-* 02:00:00"}},
	{"0 2 1-7 * 1", []string{"*-*-01..07 02:00:00", "Mon *-*-* 02:00:00"}},
	// 7 is Sunday, as in Vixie cron and crontab(5).
	{"0 0 * * 7", []string{"Sun *-*-* 00:00:00"}},
	{"0 0 * * 5-7", []string{"Fri..Sun *-*-* 00:00:00"}},
	{"0 0 * * 0,7", []string{"Sun *-*-* 00:00:00"}},
}

func TestConvert(t *testing.T) {
	for _, tt := range cases {
		got, err := Convert(tt.cron)
		if err != nil {
			t.Errorf("Convert(%q): %v", tt.cron, err)
			continue
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Convert(%q) = %q, want %q", tt.cron, got, tt.want)
		}
	}
}

func TestSundayAsZero(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"0 0 * * 7", "0 0 * * 0"},
		{"0 0 * * 5-7", "0 0 * * 0,5,6"},
		{"0 0 * * 0-7", "0 0 * * *"},
		{"TZ=Europe/Paris 30 2 * * 7", "TZ=Europe/Paris 30 2 * * 0"},
		{"0 0 * * */7", "0 0 * * */7"},
		{"0 7 7 7 1", "0 7 7 7 1"},
		{"@weekly", "@weekly"},
		{"0 0 * * 8", "0 0 * * 8"},
	} {
		if got := SundayAsZero(tt.in); got != tt.want {
			t.Errorf("SundayAsZero(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if _, err := cron.ParseStandard(SundayAsZero(tt.in)); err != nil && tt.in != "0 0 * * 8" {
			t.Errorf("robfig/cron refuses %q: %v", SundayAsZero(tt.in), err)
		}
	}
}

func TestConvertRefuses(t *testing.T) {
	tests := []struct{ cron, want string }{
		{"@every 90m", "cannot express @every"},
		{"0 3 */2 * 1", "depends on the cron implementation"},
		{"0 3 1 * */2", "depends on the cron implementation"},
		{"0 3 * *", "has 4 fields"},
		{"0 24 * * *", "outside 0-23"},
		{"0 0 * * 8", "outside 0-7 (0 and 7 are Sunday)"},
		{"0 3 5-1 * *", "runs backwards"},
		{"*/0 * * * *", "invalid step"},
		{"@reboot", "unknown macro"},
	}
	for _, tt := range tests {
		got, err := Convert(tt.cron)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Convert(%q) = %q, %v; want an error with %q", tt.cron, got, err, tt.want)
		}
	}
	if _, err := Convert("@every 1h"); !errors.Is(err, ErrEvery) {
		t.Errorf("Convert(@every 1h) = %v, want ErrEvery", err)
	}
}

// TestConvertAgreesWithCron runs systemd's own calendar parser on every
// expression of the table and checks that the next elapses, merged over
// a schedule's expressions, are the runs robfig/cron computes for the cron
// schedule from the same moment.
func TestConvertAgreesWithCron(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (Debian package systemd); the table in TestConvert still checks the conversion")
	}
	const iterations = 40
	// An odd second, so that no run falls on the base itself.
	base := time.Date(2027, time.February, 26, 23, 58, 17, 0, time.UTC)
	for _, tt := range cases {
		sched, err := cron.ParseStandard(SundayAsZero(tt.cron))
		if err != nil {
			t.Fatalf("robfig/cron refuses %q: %v", tt.cron, err)
		}
		var want []time.Time
		for next := base; len(want) < iterations; {
			// robfig/cron looks five years ahead at most (29 February).
			if next = sched.Next(next); next.IsZero() {
				break
			}
			want = append(want, next.UTC())
		}
		if len(want) < 5 {
			t.Fatalf("robfig/cron finds only %d runs of %q", len(want), tt.cron)
		}
		var got []time.Time
		for _, expr := range tt.want {
			got = append(got, elapses(t, analyze, expr, base, iterations)...)
		}
		slices.SortFunc(got, func(a, b time.Time) int { return a.Compare(b) })
		got = slices.CompactFunc(got, func(a, b time.Time) bool { return a.Equal(b) })[:iterations]
		for i := range want {
			if !got[i].Equal(want[i]) {
				t.Errorf("%q as %q: run %d is %s for systemd, %s for cron", tt.cron, tt.want, i+1, got[i], want[i])
				break
			}
		}
	}
}

// elapses asks systemd-analyze for the next n elapses of expr after base,
// in UTC.
func elapses(t *testing.T, analyze, expr string, base time.Time, n int) []time.Time {
	t.Helper()
	cmd := exec.Command(analyze, "calendar", "--iterations="+itoa(n), "--base-time="+base.Format("2006-01-02 15:04:05 UTC"), expr)
	cmd.Env = []string{"TZ=UTC", "LC_ALL=C", "SYSTEMD_COLORS=0"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze calendar %q: %v\n%s", expr, err, out)
	}
	var times []time.Time
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		_, rest, ok := strings.Cut(line, ": ")
		if !strings.HasPrefix(line, "Next elapse:") && !strings.HasPrefix(line, "Iter. #") || !ok {
			continue
		}
		// "Thu 2026-01-01 03:00:00 UTC"
		ts, err := time.Parse("Mon 2006-01-02 15:04:05 MST", strings.TrimSpace(rest))
		if err != nil {
			t.Fatalf("systemd-analyze calendar %q printed %q: %v", expr, line, err)
		}
		times = append(times, ts.UTC())
	}
	if len(times) != n {
		t.Fatalf("systemd-analyze calendar %q gave %d elapses, want %d:\n%s", expr, len(times), n, out)
	}
	return times
}

func itoa(n int) string { return strconv.Itoa(n) }
