package rdb_test

import (
	"testing"

	"github.com/redisplan/redisplan/internal/rdb"
)

func TestLoads(t *testing.T) {
	tests := []struct {
		release string
		max     int
		known   bool
	}{
		{"7.0.15", 10, true},
		{"7.2.4", 11, true},
		{"7.4.1", 12, true},
		{"6.2.14", 9, true},
		{"8.0.2", 12, true},
		{"redis 8.0", 12, true},
		{"valkey 8.0.1", 11, true},
		{"valkey 7.2.5", 11, true},
		{"valkey-8.1", 11, true},
		{"7.0", 10, true},
		{"9.1.0", 0, false},
		{"valkey 9.0.0", 0, false},
		{"", 0, false},
		{"garbage", 0, false},
	}
	for _, tt := range tests {
		newest, known := rdb.Loads(tt.release)
		if newest != tt.max || known != tt.known {
			t.Errorf("Loads(%q) = %d, %v; want %d, %v", tt.release, newest, known, tt.max, tt.known)
		}
	}
}

func TestLoaders(t *testing.T) {
	for v, want := range map[int]string{
		10: "Redis 7.0 or newer, Valkey 7.2 or newer",
		11: "Redis 7.2 or newer, Valkey 7.2 or newer",
		12: "Redis 7.4 or newer",
		13: "",
	} {
		if got := rdb.Loaders(v); got != want {
			t.Errorf("Loaders(%d) = %q, want %q", v, got, want)
		}
	}
}
