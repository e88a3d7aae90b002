package backup

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestCheckID(t *testing.T) {
	for _, id := range []string{"20261129T030000Z", "a", "backup-1.2_3"} {
		if err := CheckID(id); err != nil {
			t.Errorf("CheckID(%q) = %v", id, err)
		}
	}
	for _, id := range []string{"", ".", "..", "../x", "a/b", ".pending-x", "-x", "a b", "a\x00", "é", strings.Repeat("a", 129)} {
		if err := CheckID(id); err == nil {
			t.Errorf("CheckID(%q) accepted", id)
		}
	}
}

func TestCheckName(t *testing.T) {
	for _, name := range []string{"dump.rdb.zst", "appendonlydir/appendonly.aof.1.base.rdb.zst.age", ".hidden", "a/b/c", "a..b"} {
		if err := CheckName(name); err != nil {
			t.Errorf("CheckName(%q) = %v", name, err)
		}
	}
	for _, name := range []string{"", ".", "..", "../x", "a/../b", "/abs", "a//b", "a/", "a\\b", "a\nb"} {
		if err := CheckName(name); err == nil {
			t.Errorf("CheckName(%q) accepted", name)
		}
	}
}

func TestManifestRoundTrip(t *testing.T) {
	m := &Manifest{
		Version:  ManifestVersion,
		ID:       "20261129T030000Z",
		Target:   "main",
		Method:   "bgsave",
		Started:  time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC),
		Keyspace: map[int]DBStats{0: {Keys: 3}, 2: {Keys: 4, Expires: 1}},
		Files: []File{{Name: "dump.rdb.zst.age", Original: "dump.rdb", Kind: KindRDB, Compression: CompressionZstd,
			Recipients: []string{"age1example"}}},
	}
	var buf bytes.Buffer
	if err := WriteManifestJSON(&buf, m); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(buf.Bytes(), []byte("}\n")) {
		t.Errorf("manifest does not end with a newline")
	}
	got, err := ParseManifest(buf.Bytes(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.TotalKeys() != 7 || got.Files[0].Recipients[0] != "age1example" || !got.Started.Equal(m.Started) {
		t.Errorf("round trip = %+v", got)
	}
	// Written twice, same bytes.
	var again bytes.Buffer
	WriteManifestJSON(&again, got)
	if !bytes.Equal(again.Bytes(), buf.Bytes()) {
		t.Errorf("manifest encoding is not stable")
	}
}

func TestParseManifestRejects(t *testing.T) {
	for _, tc := range []struct {
		name, json, want string
	}{
		{"not json", "{", "not valid JSON"},
		{"newer version", `{"version": 2, "id": "b1"}`, "upgrade redisplan"},
		{"no version", `{"id": "b1"}`, "manifest version 0"},
		{"other id", `{"version": 1, "id": "b2"}`, `not "b1"`},
		{"bad file name", `{"version": 1, "id": "b1", "files": [{"name": "../x"}]}`, "artifact name"},
		{"duplicate file", `{"version": 1, "id": "b1", "files": [{"name": "x"}, {"name": "x"}]}`, "twice"},
	} {
		_, err := ParseManifest([]byte(tc.json), "b1")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want %q", tc.name, err, tc.want)
		}
	}
	// Fields from a newer redisplan are ignored.
	if _, err := ParseManifest([]byte(`{"version": 1, "id": "b1", "future_field": true}`), "b1"); err != nil {
		t.Errorf("unknown field: %v", err)
	}
}
