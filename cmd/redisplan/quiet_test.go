package main

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/redisplan/redisplan/executors/server/servertest"
)

// TestCheckQuiet: with -quiet (what the rendered schedules pass), a check
// that finds everything OK prints nothing at all, so cron mails nothing;
// without it the same run prints its table; a failure prints with -quiet
// too.
func TestCheckQuiet(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{Config: "save 3600 1\nmaxmemory 1gb"})
	rcv := newReceiver(t)
	spec := checkSpec(t, srv, t.TempDir(), rcv.srv.URL+"/alerts")
	mustRun(t, "backup", "run", "-config", spec)
	stateDir := t.TempDir()

	code, out, errOut := runCLI(t, "check", "-notify", "-quiet", "-config", spec, "-state-dir", stateDir)
	if code != 0 || out != "" || errOut != "" {
		t.Fatalf("healthy, -quiet: exit %d, stdout %q, stderr %q; want exit 0 and no output", code, out, errOut)
	}
	code, out, specWarnings := runCLI(t, "check", "-config", spec, "-state-dir", stateDir)
	if code != 0 || !strings.Contains(out, "memory_used_percent") {
		t.Fatalf("healthy, interactive: exit %d, output %q; want the table", code, out)
	}

	c := srv.Client(t)
	used, _ := strconv.ParseFloat(infoValue(t, c, "used_memory"), 64)
	c.ConfigSet(context.Background(), "maxmemory", strconv.Itoa(int(used*100/95)))
	code, out, errOut = runCLI(t, "check", "-notify", "-quiet", "-config", spec, "-state-dir", stateDir)
	if code != 2 || !strings.Contains(out, "memory_used_percent") || !strings.Contains(strings.ToLower(out), "critical") {
		t.Fatalf("critical, -quiet: exit %d, output %q; want exit 2 and the table", code, out)
	}
	// The spec's warnings (what an interactive run prints on stderr) come
	// with a report that is shown, and only then.
	if !strings.HasPrefix(errOut, specWarnings) {
		t.Errorf("critical, -quiet: stderr %q, want the spec's warnings %q first", errOut, specWarnings)
	}
	if n := len(rcv.received()); n != 1 {
		t.Fatalf("the receiver got %d payloads, want the firing one", n)
	}

	// Fixed while the receiver fails: all checks are OK, but the
	// resolved alert did not go out, which a person must hear of.
	specText, err := os.ReadFile(spec)
	if err != nil {
		t.Fatal(err)
	}
	bad := newReceiver(t, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500)
	writeOver(t, spec, strings.ReplaceAll(string(specText), rcv.srv.URL, bad.srv.URL))
	c.ConfigSet(context.Background(), "maxmemory", "1gb")
	code, out, errOut = runCLI(t, "check", "-notify", "-quiet", "-config", spec, "-state-dir", stateDir)
	if code != 0 || !strings.Contains(out+errOut, "delivery") {
		t.Fatalf("resolved but undelivered, -quiet: exit %d, stdout %q, stderr %q; want exit 0 and the failed delivery", code, out, errOut)
	}

	// The receiver is back: this run sends "resolved", finds everything
	// OK, and says nothing.
	writeOver(t, spec, string(specText))
	code, out, errOut = runCLI(t, "check", "-notify", "-quiet", "-config", spec, "-state-dir", stateDir)
	if code != 0 || out != "" || errOut != "" {
		t.Fatalf("resolved, -quiet: exit %d, stdout %q, stderr %q; want exit 0 and no output", code, out, errOut)
	}
	if got := rcv.received(); len(got) != 2 || got[1]["status"] != "resolved" {
		t.Fatalf("receiver got %v, want the resolved payload second", got)
	}
}

func writeOver(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
