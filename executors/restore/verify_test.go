package restore

import (
	"bytes"
	"io"
	"maps"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/progress"
)

// TestVerifyRefusesWhatStagingRefuses: Verify accepts sound backups,
// including an AOF whose base file is empty, and refuses, with the
// staging's own message, every backup a restore would refuse before
// touching the server.
func TestVerifyRefusesWhatStagingRefuses(t *testing.T) {
	t.Parallel()
	rdbServer := servertest.Start(t, servertest.Options{})
	fillData(t, serverConn(rdbServer), "A", 0, 1)
	saveNow(t, serverConn(rdbServer))
	rdbSrc := rdbBackup(t, serverConn(rdbServer), rdbServer.Dir())

	// Started empty without RDB preamble: a 0-byte base, every write in
	// the incr file.
	aofServer := servertest.Start(t, servertest.Options{Config: "appendonly yes\nappendfsync always\naof-use-rdb-preamble no\n"})
	fillData(t, serverConn(aofServer), "A", 0)
	aofSrc := aofBackup(t, serverConn(aofServer), aofServer.Dir())
	if i := slices.IndexFunc(aofSrc.Manifest.Files, func(f backup.File) bool { return f.Kind == backup.KindAOFBase }); i < 0 || aofSrc.Manifest.Files[i].RawSize != 0 {
		t.Fatalf("the AOF backup has no empty base file: %+v", aofSrc.Manifest.Files)
	}

	withoutIncr := *aofSrc.Manifest
	withoutIncr.Files = slices.DeleteFunc(slices.Clone(withoutIncr.Files), func(f backup.File) bool { return f.Kind == backup.KindAOFIncr })

	for _, tt := range []struct {
		name string
		src  Source
		want string // "" for a sound backup
	}{
		{"rdb", rdbSrc, ""},
		{"aof with an empty base", aofSrc, ""},
		{"flipped byte", withBytes(t, rdbSrc, backup.KindRDB, func(b []byte) []byte {
			b = bytes.Clone(b)
			b[len(b)/2] ^= 0x40
			return b
		}), "not a sound RDB file"},
		{"incr file missing", Source{Manifest: &withoutIncr, Open: aofSrc.Open}, "the backup is incomplete"},
		{"not an RDB", withBytes(t, rdbSrc, backup.KindRDB, func([]byte) []byte { return []byte("*1\r\n$4\r\nPING\r\n") }), "is not an RDB file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			res, err := Verify(t.Context(), tt.src, rec.emit)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Verify of a sound backup: %v", err)
				}
				if res.Files != len(tt.src.Manifest.Files) {
					t.Errorf("Verify read %d files of %d", res.Files, len(tt.src.Manifest.Files))
				}
				// Its progress counts every byte of every file, once.
				if done, want := rec.doneBytes(progress.OpVerify, progress.PhaseVerify), rawSizes(tt.src.Manifest); !maps.Equal(done, want) {
					t.Errorf("verify reported %v bytes done per file, the manifest says %v", done, want)
				}
				return
			}
			mustContain(t, err, tt.want)
			// The same backup, staged for a drill, is refused for the
			// same reason.
			_, derr := Drill(testContext(t), tt.src, Options{LoadTimeout: testLoadTimeout})
			mustContain(t, derr, tt.want)
		})
	}
}

func TestKeySummary(t *testing.T) {
	ks := func(keys, expires int64) map[int]backup.DBStats {
		return map[int]backup.DBStats{0: {Keys: keys, Expires: expires}}
	}
	for _, tt := range []struct {
		want, got map[int]backup.DBStats
		out       string
	}{
		{ks(10, 0), ks(10, 0), "10 keys, as in the manifest"},
		{ks(15, 5), ks(10, 0), "10 keys restored, the manifest lists 15 (5 of them with a TTL, which may have expired since)"},
		{ks(10, 0), ks(12, 0), "12 keys restored, the manifest lists 10"},
		{ks(10, 0), map[int]backup.DBStats{0: {Keys: 5}, 1: {Keys: 5}}, "10 keys restored, the manifest lists 10"},
		{nil, ks(3, 0), "3 keys; the manifest has no key counts to compare them with"},
	} {
		if got := KeySummary(tt.want, tt.got); got != tt.out {
			t.Errorf("KeySummary(%v, %v) = %q, want %q", tt.want, tt.got, got, tt.out)
		}
	}
}

// TestDrillAOFWithTimestamps: with aof-timestamp-enabled and no RDB
// preamble, a rewritten base AOF starts with a "#TS:" annotation, not
// with a command; Redis loads it, and so must a drill (and a restore,
// which checks the backup with the same code).
func TestDrillAOFWithTimestamps(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{Config: "appendonly yes\nappendfsync always\naof-use-rdb-preamble no\naof-timestamp-enabled yes\n"})
	fillData(t, serverConn(srv), "A", 0, 1)
	rewrite(t, serverConn(srv))
	fillData(t, serverConn(srv), "B", 2)
	src := aofBackup(t, serverConn(srv), srv.Dir())
	i := slices.IndexFunc(src.Manifest.Files, func(f backup.File) bool { return f.Kind == backup.KindAOFBase })
	rc, err := src.Open(t.Context(), src.Manifest.Files[i])
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 4)
	_, err = io.ReadFull(rc, head)
	rc.Close()
	if err != nil || string(head) != "#TS:" {
		t.Fatalf("the base AOF starts with %q (%v), want a #TS: annotation", head, err)
	}

	if _, err := Verify(t.Context(), src, nil); err != nil {
		t.Errorf("Verify: %v", err)
	}
	res, err := Drill(testContext(t), src, Options{LoadTimeout: testLoadTimeout})
	if err != nil {
		t.Fatalf("Drill: %v", err)
	}
	if diff := cmp.Diff(src.Manifest.Keyspace, res.After.Keyspace); diff != "" {
		t.Errorf("keys after the drill (-manifest +drill):\n%s", diff)
	}
}

// TestCheckLayout: the checks backup run makes before it commits accept
// an AOF with an empty base and refuse one whose AOF manifest names a
// file the backup does not hold.
func TestCheckLayout(t *testing.T) {
	aof := func(incrs ...string) *backup.Manifest {
		m := &backup.Manifest{ID: "20260101T030000Z", Files: []backup.File{
			{Name: "dump.rdb", Original: "dump.rdb", Kind: backup.KindRDB, RawSize: 100},
			{Name: "appendonlydir/appendonly.aof.1.base.aof", Original: "appendonlydir/appendonly.aof.1.base.aof", Kind: backup.KindAOFBase, RawSize: 0},
			{Name: "appendonlydir/appendonly.aof.manifest", Original: "appendonlydir/appendonly.aof.manifest", Kind: backup.KindAOFManifest, RawSize: 88},
		}}
		for _, n := range incrs {
			m.Files = append(m.Files, backup.File{Name: "appendonlydir/" + n, Original: "appendonlydir/" + n, Kind: backup.KindAOFIncr, RawSize: 10})
		}
		return m
	}
	content := []byte("file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n")
	if err := CheckLayout(aof("appendonly.aof.1.incr.aof"), content); err != nil {
		t.Errorf("an AOF with an empty base: %v", err)
	}
	mustContain(t, CheckLayout(aof(), content), "appendonly.aof.1.incr.aof", "the backup is incomplete")
	mustContain(t, CheckLayout(&backup.Manifest{Files: []backup.File{{Name: "dump.rdb", Original: "dump.rdb", Kind: backup.KindRDB}}}, nil),
		"the manifest is damaged")
	if err := CheckLayout(&backup.Manifest{Files: aof().Files[:1]}, nil); err != nil {
		t.Errorf("an RDB-only backup: %v", err)
	}
}
