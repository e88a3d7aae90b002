package catalog

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/redisconf"
)

// liveCatalog returns the catalog for the local redis-server's version.
func liveCatalog(t *testing.T) *Catalog {
	t.Helper()
	version := servertest.Version(t)
	c, err := For(version)
	if err != nil {
		t.Fatalf("the local redis-server %s has no catalog: %v", version, err)
	}
	return c
}

// TestDefaultsMatchLiveServer compares every Default with CONFIG GET on a
// server that only sets what the test harness needs.
func TestDefaultsMatchLiveServer(t *testing.T) {
	t.Parallel()
	defaultsMatch(t, liveCatalog(t), servertest.Start(t, servertest.Options{}))
}

// defaultsMatch compares every Default of c with CONFIG GET on s, a server
// that only sets what the test harness needs.
func defaultsMatch(t *testing.T, c *Catalog, s *servertest.Server) {
	t.Helper()
	client := s.Client(t)
	ctx := context.Background()

	// The harness's own config lines change some defaults (port, bind, dir,
	// save, ...): leave those out.
	data, err := os.ReadFile(s.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	conf, err := redisconf.Parse(data)
	if err != nil {
		t.Fatalf("parse %s: %v", s.ConfigPath(), err)
	}
	setByHarness := map[string]bool{}
	for _, l := range conf.Lines {
		if p, ok := c.Lookup(l.Directive); ok {
			setByHarness[p.Name] = true
		}
	}

	checked := 0
	for _, p := range configParams(c) {
		if setByHarness[p.Name] || buildOnly(p) {
			continue
		}
		got, err := client.ConfigGet(ctx, p.Name).Result()
		if err != nil {
			t.Fatalf("CONFIG GET %s: %v", p.Name, err)
		}
		value, ok := got[p.Name]
		if !ok {
			t.Errorf("%s: CONFIG GET %s returned nothing", c.Version(), p.Name)
			continue
		}
		if value != p.Default {
			t.Errorf("%s: CONFIG GET %s = %q, catalog default %q", c.Version(), p.Name, value, p.Default)
		}
		checked++
	}
	if checked < 150 {
		t.Errorf("only %d defaults checked", checked)
	}
}

// TestNormalizeMatchesLiveServer sets values the server accepts and checks
// that CONFIG GET gives back exactly what Normalize says, then checks that
// values Normalize refuses are refused by the server too.
func TestNormalizeMatchesLiveServer(t *testing.T) {
	t.Parallel()
	c := liveCatalog(t)
	s := servertest.Start(t, servertest.Options{})
	client := s.Client(t)
	ctx := context.Background()

	accepted := []struct{ name, value string }{
		{"maxmemory", "2gb"},
		{"maxmemory", "1g"},
		{"maxmemory", "01"},
		{"maxmemory", "64MB"},
		{"maxmemory", "0"},
		{"proto-max-bulk-len", "512mb"},
		{"maxmemory-policy", "ALLKEYS-LRU"},
		{"activerehashing", "No"},
		{"oom-score-adj", "relative"},
		{"hz", "0"},
		{"hz", "1000"},
		{"hz", "10"},
		{"list-max-ziplist-size", "-5"},
		{"slowlog-log-slower-than", "-1"},
		{"masterauth", `a b"c`},
		{"shutdown-on-sigint", "now save"},
		{"shutdown-on-sigint", "default now"},
		{"shutdown-on-sigterm", "force nosave now"},
		{"notify-keyspace-events", "Ex"},
		{"notify-keyspace-events", "KEA"},
		{"notify-keyspace-events", "gdnKm"},
		{"notify-keyspace-events", "g$lshzxetd"},
		{"notify-keyspace-events", ""},
		{"latency-tracking-info-percentiles", "50.0 99.00 99.90"},
		{"latency-tracking-info-percentiles", "99.9999999 0.0000001 1e1 .5"},
		{"latency-tracking-info-percentiles", ""},
		{"client-output-buffer-limit", "replica 512mb 128mb 120"},
		{"client-output-buffer-limit", "SLAVE 1 2 3"},
		{"client-output-buffer-limit", "normal 1k 1500 5 pubsub 64mb 16mb 90"},
		{"oom-score-adj-values", "+5 05 -0"},
		{"oom-score-adj-values", "-1000 0 1000"},
		{"maxmemory-clients", "0%"},
		{"maxmemory-clients", "5%"},
		{"maxmemory-clients", "64mb"},
		{"save", "0300 010"},
		{"save", "60 10000 900 1"},
		{"save", ""},
	}
	// Each case ends by setting the default back, so that every case starts
	// from the defaults: the server changes only what a value mentions
	// (client-output-buffer-limit classes), and oom-score-adj yes would make
	// negative oom-score-adj-values need privileges.
	for _, tt := range accepted {
		p := mustLookup(t, c, tt.name)
		want, err := p.Normalize(tt.value)
		if err != nil {
			t.Errorf("%s: Normalize(%q): %v", tt.name, tt.value, err)
			continue
		}
		if err := client.ConfigSet(ctx, tt.name, tt.value).Err(); err != nil {
			t.Errorf("CONFIG SET %s %q: %v", tt.name, tt.value, err)
			continue
		}
		got, err := client.ConfigGet(ctx, p.Name).Result()
		if err != nil {
			t.Fatalf("CONFIG GET %s: %v", p.Name, err)
		}
		if got[p.Name] != want {
			t.Errorf("%s %q: CONFIG GET gives %q, Normalize gives %q", tt.name, tt.value, got[p.Name], want)
		}
		if err := client.ConfigSet(ctx, p.Name, p.Default).Err(); err != nil {
			t.Fatalf("CONFIG SET %s %q (the default): %v", p.Name, p.Default, err)
		}
	}

	refused := []struct{ name, value string }{
		{"maxmemory", "1.5gb"},
		{"maxmemory", "-1"},
		{"maxmemory", "1 gb"},
		{"maxmemory", "1tb"},
		{"proto-max-bulk-len", "1kb"},
		{"hz", "010"},
		{"hz", "+10"},
		{"hz", "-1"},
		{"port", "65536"},
		{"activerehashing", "on"},
		{"maxmemory-policy", "lru"},
		{"maxmemory-clients", "101%"},
		{"maxmemory-clients", "05%"},
		{"shutdown-on-sigint", "save nosave"},
		{"shutdown-on-sigint", "bogus"},
		{"notify-keyspace-events", "KEq"},
		{"save", "0 1"},
		{"save", "3600"},
		{"save", `""`},
		{"client-output-buffer-limit", "master 0 0 0"},
		{"client-output-buffer-limit", "normal 0 0 -1"},
		{"oom-score-adj-values", "0 200 2001"},
		{"oom-score-adj-values", "0 200"},
		{"latency-tracking-info-percentiles", "100.5"},
		{"latency-tracking-info-percentiles", "abc"},
		{"list-max-ziplist-size", "-0"},
	}
	for _, tt := range refused {
		p := mustLookup(t, c, tt.name)
		if got, err := p.Normalize(tt.value); err == nil {
			t.Errorf("%s: Normalize(%q) = %q, want an error", tt.name, tt.value, got)
		}
		if err := client.ConfigSet(ctx, tt.name, tt.value).Err(); err == nil {
			t.Errorf("CONFIG SET %s %q succeeded, but Normalize refuses it", tt.name, tt.value)
		}
	}
}

// TestNormalizeDesiredRefusesWhatTheServerReplaces: hz outside 1..500 is
// accepted by CONFIG SET and then replaced, so a spec asking for it could
// never converge; a value the server keeps is accepted.
func TestNormalizeDesiredRefusesWhatTheServerReplaces(t *testing.T) {
	t.Parallel()
	c := liveCatalog(t)
	s := servertest.Start(t, servertest.Options{})
	client := s.Client(t)
	ctx := context.Background()
	p := mustLookup(t, c, "hz")
	for _, tt := range []struct {
		value string
		kept  bool
	}{{"0", false}, {"1000", false}, {"501", false}, {"1", true}, {"500", true}, {"10", true}} {
		if err := client.ConfigSet(ctx, "hz", tt.value).Err(); err != nil {
			t.Fatalf("CONFIG SET hz %s: %v", tt.value, err)
		}
		got := client.ConfigGet(ctx, "hz").Val()["hz"]
		if kept := got == tt.value; kept != tt.kept {
			t.Fatalf("CONFIG SET hz %s reads back %q: the server's clamping is not what this test expects", tt.value, got)
		}
		norm, err := p.NormalizeDesired(tt.value)
		switch {
		case tt.kept && err != nil:
			t.Errorf("NormalizeDesired(%q): %v; the server keeps it", tt.value, err)
		case tt.kept && norm != got:
			t.Errorf("NormalizeDesired(%q) = %q, the server reports %q", tt.value, norm, got)
		case !tt.kept && err == nil:
			t.Errorf("NormalizeDesired(%q) = %q, want a refusal: the server replaces it with %q", tt.value, norm, got)
		case !tt.kept && !strings.Contains(err.Error(), "between 1 and 500"):
			t.Errorf("NormalizeDesired(%q): %v; want the range the server keeps", tt.value, err)
		}
	}
}

// buildOnly reports whether p exists only in servers built with an option
// release builds leave out (LOG_REQ_RES).
func buildOnly(p *Param) bool {
	return strings.Contains(p.Notes, "only when built with LOG_REQ_RES")
}
