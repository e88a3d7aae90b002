package catalog

import (
	"context"
	"testing"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/engines"
	"github.com/redisplan/redisplan/internal/redisinfo"
)

// TestCatalogMatchesEveryEngine starts every installed engine and checks
// that the catalog Choose gives for its INFO is the one of its release,
// knows every parameter CONFIG GET * lists (under its name or an alias),
// lists every parameter the catalog says CONFIG GET * shows, answers the
// hidden ones by exact name, and has the server's defaults.
func TestCatalogMatchesEveryEngine(t *testing.T) {
	t.Parallel()
	for _, e := range engines.Require(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			s := servertest.Start(t, servertest.Options{Binary: e.Server})
			client := s.Client(t)
			ctx := context.Background()
			raw, err := client.Info(ctx, "server").Result()
			if err != nil {
				t.Fatal(err)
			}
			info := redisinfo.Parse(raw)
			c := Choose(info, "")
			want := e.Series()
			if e.Kind == "valkey" {
				want = "valkey-" + want
			}
			if c.Version() != want {
				t.Fatalf("Choose(INFO of %s %s) = %s, want %s", e.Kind, e.Version, c.Version(), want)
			}

			all, err := client.ConfigGet(ctx, "*").Result()
			if err != nil {
				t.Fatal(err)
			}
			for name := range all {
				if _, ok := c.Lookup(name); !ok {
					t.Errorf("CONFIG GET * lists %s, which catalog %s does not know", name, c.Version())
				}
			}
			for _, p := range configParams(c) {
				if buildOnly(p) {
					continue
				}
				if p.Hidden() {
					got, err := client.ConfigGet(ctx, p.Name).Result()
					if err != nil {
						t.Fatal(err)
					}
					if _, ok := got[p.Name]; !ok {
						t.Errorf("catalog %s has the hidden %s, which CONFIG GET %s does not return", c.Version(), p.Name, p.Name)
					}
					continue
				}
				if _, ok := all[p.Name]; !ok {
					t.Errorf("catalog %s has %s, which CONFIG GET * does not list", c.Version(), p.Name)
				}
			}
			defaultsMatch(t, c, s)
		})
	}
}
