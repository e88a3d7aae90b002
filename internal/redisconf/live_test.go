package redisconf_test

import (
	"context"
	"testing"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/redisconf"
)

// An external test package: servertest runs servers through
// executors/server, which imports redisconf.

// TestQuoteReadByRedis writes awkward values with Set and FormatLine into a
// config file, starts a real redis-server with it and checks that the server
// read each value back exactly.
func TestQuoteReadByRedis(t *testing.T) {
	t.Parallel()
	// String directives that accept any bytes and have no effect on a
	// standalone test server.
	directives := []string{"masterauth", "masteruser", "ignore-warnings", "replica-announce-ip", "bind-source-addr"}
	values := []string{
		`a b"c`,
		`back\slash \x41 not an escape`,
		"tab\tnewline\ncr\rbell\abs\b",
		"\x01\x1f\x7f\xff\xfe",
		"héllo wörld",
		"#not a comment",
		"it's 'quoted'",
		"trailing space ",
		"  leading",
		"plain",
	}
	for start := 0; start < len(values); start += len(directives) {
		f, err := redisconf.Parse(nil)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{}
		for i, v := range values[start:min(start+len(directives), len(values))] {
			d := directives[i]
			if err := f.Set(d, []string{redisconf.FormatLine(d, v)}); err != nil {
				t.Fatal(err)
			}
			want[d] = v
		}
		s := servertest.Start(t, servertest.Options{Config: string(f.Bytes())})
		client := s.Client(t)
		for d, v := range want {
			got, err := client.ConfigGet(context.Background(), d).Result()
			if err != nil {
				t.Fatalf("CONFIG GET %s: %v", d, err)
			}
			if got[d] != v {
				t.Errorf("%s: wrote %s, server read %q, want %q", d, redisconf.FormatLine(d, v), got[d], v)
			}
		}
	}
}
