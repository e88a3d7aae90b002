package live

import (
	"strings"
	"testing"
)

func TestCompareKeyspace(t *testing.T) {
	ks := func(digest string, counts ...int64) Keyspace {
		k := Keyspace{DBs: map[int]DBKeys{}, Digest: digest}
		if digest == "" {
			k.NoDigest = "DEBUG is not allowed (enable-debug-command)"
		}
		for db, n := range counts {
			if n > 0 {
				k.DBs[db] = DBKeys{Keys: n}
			}
		}
		return k
	}
	tests := []struct {
		name          string
		before, after Keyspace
		act           activity
		ok            bool
		want          string
	}{
		{"identical", ks("d1", 5000, 3), ks("d1", 5000, 3), activity{}, true, "DEBUG DIGEST identical"},
		{"no digest", ks("", 5000), ks("", 5000), activity{}, true, "digest not compared: DEBUG is not allowed"},
		{"empty", ks("d1", 5000), ks("0000"), activity{}, false, "db0 has 0 keys, it had 5000"},
		{"other data, same count", ks("d1", 5000), ks("d2", 5000), activity{}, false, "DEBUG DIGEST d2, it was d1"},
		{"a key in another db", ks("d1", 5000, 0), ks("d1", 4999, 1), activity{}, false, "db1 has 1 keys, it had 0"},
		{"keys expired at load", ks("d1", 5000), ks("d2", 4990), activity{expired: 10}, true, "expired or evicted 10 keys"},
		{"more missing than expired and written", ks("d1", 5000), ks("d2", 4000), activity{expired: 10, writes: 5}, false, "1000 keys are missing"},
		{"client writes added keys", ks("d1", 5000), ks("d2", 5003), activity{writes: 3}, true, "ran 3 write commands"},
		{"flushed and empty", ks("d1", 5000), ks("0000"), activity{writes: 1, flushes: true}, false, "came back empty"},
		{"flushed one db", ks("d1", 5000, 10), ks("d2", 5000), activity{writes: 1, flushes: true}, true, "only emptiness was checked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := compareKeyspace(tt.before, tt.after, tt.act)
			if tt.ok {
				if err != nil {
					t.Fatalf("error %v, want success", err)
				}
				if !strings.Contains(got, tt.want) {
					t.Errorf("summary %q lacks %q", got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("success (%q), want a difference", got)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q lacks %q", err, tt.want)
			}
		})
	}
}
