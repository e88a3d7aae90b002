package hcl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	hclv2 "github.com/hashicorp/hcl/v2"
)

// loadDiags loads a spec written in the test and returns its diagnostics.
func loadDiags(t *testing.T, text string) (*Result, hclv2.Diagnostics) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "spec.hcl"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return Load(Options{Path: dir})
}

// allText joins every diagnostic's summary and detail.
func allText(diags hclv2.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		b.WriteString(d.Summary + ": " + d.Detail + "\n")
	}
	return b.String()
}

// TestDirectiveOfANewerReleaseWithoutRedisVersion: a spec that sets no
// redis_version may set a directive the default catalog (Redis 7.0) lacks
// but a newer release has: it loads with a warning naming the releases
// that have it, typed by one of them (true is yes, 10 stays 10), and plan
// checks it against the server. With redis_version set, the same
// directive is an error at load, and a name no release knows is an error
// either way, with the close name a release has.
func TestDirectiveOfANewerReleaseWithoutRedisVersion(t *testing.T) {
	const body = `
  address = "127.0.0.1:6379"
  settings = {
    "hide-user-data-from-log"       = true
    "max-new-connections-per-cycle" = 10
  }
`
	res, diags := loadDiags(t, "redis \"main\" {"+body+"}\n")
	if diags.HasErrors() {
		t.Fatalf("load without redis_version: %s", diags.Error())
	}
	var warned []string
	for _, d := range diags {
		if d.Severity == hclv2.DiagWarning {
			warned = append(warned, d.Detail)
		}
	}
	if len(warned) != 2 {
		t.Fatalf("want one warning per directive, got %q", warned)
	}
	for _, want := range []string{`"hide-user-data-from-log"`, "Redis 7.4, Redis 8.0, Valkey 8.0 and Valkey 8.1 have it", "release the server reports", "redis_version"} {
		if !strings.Contains(warned[0]+warned[1], want) {
			t.Errorf("the warnings do not say %q: %q", want, warned)
		}
	}
	tg := res.Spec.Targets[0]
	if d := tg.Directive("hide-user-data-from-log"); d == nil || d.Value != "yes" {
		t.Errorf("hide-user-data-from-log = %+v, want the normalized value yes", d)
	}
	if d := tg.Directive("max-new-connections-per-cycle"); d == nil || d.Value != "10" {
		t.Errorf("max-new-connections-per-cycle = %+v, want 10", d)
	}

	// A value the releases that have the directive refuse is still an error.
	_, diags = loadDiags(t, `redis "main" {
  address  = "127.0.0.1:6379"
  settings = { "hide-user-data-from-log" = "maybe" }
}
`)
	if !diags.HasErrors() || !strings.Contains(allText(diags), "Invalid value") {
		t.Errorf("an invalid value of a newer directive loads: %v", diags)
	}

	// redis_version set: the spec's own catalog decides, at load.
	_, diags = loadDiags(t, "redis \"main\" {\n  redis_version = \"7.0\""+body+"}\n")
	if !diags.HasErrors() {
		t.Fatal("with redis_version = 7.0 the spec loads, want Unknown directive")
	}
	if msg := allText(diags); !strings.Contains(msg, `Redis 7.0 has no configuration directive named "hide-user-data-from-log"`) ||
		!strings.Contains(msg, "Redis 7.4, Redis 8.0, Valkey 8.0 and Valkey 8.1 have it") {
		t.Errorf("with redis_version = 7.0: %s", msg)
	}
	if _, diags = loadDiags(t, "redis \"main\" {\n  redis_version = \"8.0\""+body+"}\n"); diags.HasErrors() {
		t.Errorf("with redis_version = 8.0: %s", allText(diags))
	}

	// No release knows the name: an error, with the close name one has.
	_, diags = loadDiags(t, `redis "main" {
  address  = "127.0.0.1:6379"
  settings = { "hide-user-data-from-logs" = "yes" }
}
`)
	if !diags.HasErrors() {
		t.Fatal("a directive no release knows loads")
	}
	if msg := allText(diags); !strings.Contains(msg, `Did you mean "hide-user-data-from-log"`) {
		t.Errorf("no close name suggested: %s", msg)
	}
}
