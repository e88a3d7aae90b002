package restore

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
	rdbfile "github.com/redisplan/redisplan/internal/rdb"
)

// checkTarget is a target for a servertest server. Check never runs the
// service commands, so any start command does.
func checkTarget(s *servertest.Server) *model.Target {
	return &model.Target{
		Name:       "main",
		Connection: serverConn(s),
		Service:    &model.Service{Start: []string{"true"}},
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	conn := serverConn(s)
	fillData(t, conn, "A", 0, 2)
	saveNow(t, conn)
	rdb := rdbBackup(t, conn, s.Dir())

	aofServer := servertest.Start(t, servertest.Options{Config: "appendonly yes\nappendfsync always\n"})
	fillData(t, serverConn(aofServer), "A", 0)
	aof := aofBackup(t, serverConn(aofServer), aofServer.Dir())

	runID := runIDOf(t, conn)
	before := snapshot(t, conn)
	got, err := Check(testContext(t), checkTarget(s), rdb)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if diff := cmp.Diff(keyspace(t, conn), got.Keyspace); diff != "" {
		t.Errorf("Check's keyspace (-INFO +Check):\n%s", diff)
	}
	if got.UsedMemory <= 0 {
		t.Errorf("UsedMemory = %d", got.UsedMemory)
	}
	// AOF into an AOF server is fine too.
	if _, err := Check(testContext(t), checkTarget(aofServer), aof); err != nil {
		t.Errorf("Check of an AOF backup into an AOF server: %v", err)
	}

	newest, known := rdbfile.Loads(servertest.Version(t))
	if !known {
		t.Fatalf("the test's redis-server %s is not in the RDB version table", servertest.Version(t))
	}
	tooNew := withBytes(t, rdb, backup.KindRDB, func(b []byte) []byte { return append([]byte("REDIS0099"), b[9:]...) })
	notRDB := withBytes(t, rdb, backup.KindRDB, func(b []byte) []byte { return []byte("hello, world") })

	tests := []struct {
		name   string
		server *servertest.Server
		edit   func(*model.Target)
		src    Source
		want   []string
	}{
		{"rdb version too new", s, nil, tooNew,
			[]string{"RDB version 99", fmt.Sprintf("loads up to version %d", newest)}},
		{"not an rdb", s, nil, notRDB, []string{"is not an RDB file"}},
		{"no service start", s, func(tg *model.Target) { tg.Service = nil }, rdb,
			[]string{"service { start = [...] }"}},
		{"shutdown disabled and no stop", s, func(tg *model.Target) {
			tg.Renames = []model.Rename{{Command: "SHUTDOWN", NewName: ""}}
		}, rdb, []string{`SHUTDOWN is renamed to ""`, "stop"}},
		{"data dir elsewhere", s, func(tg *model.Target) { tg.DataDir = "/nonexistent/redis" }, rdb,
			[]string{"/nonexistent/redis does not exist on this machine"}},
		{"rdb into aof server without config file", aofServer, nil, rdb,
			[]string{"appendonly yes", "set the target's config_file"}},
		{"rdb into aof server, wrong config file", aofServer, func(tg *model.Target) {
			tg.ConfigFile = filepath.Join(t.TempDir(), "other.conf")
			if err := os.WriteFile(tg.ConfigFile, []byte("appendonly yes\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, rdb, []string{"the server reads the config file", "fix config_file"}},
		{"aof-only backup into appendonly no", s, nil, aof,
			[]string{"only AOF files", "appendonly no", "start empty"}},
		{"config file turns aof on", s, func(tg *model.Target) {
			tg.ConfigFile = filepath.Join(t.TempDir(), "redis.conf")
			if err := os.WriteFile(tg.ConfigFile, []byte("appendonly yes\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, rdb, []string{"runs with appendonly no but its config file", "says appendonly yes"}},
		{"no manifest", s, nil, Source{Open: rdb.Open}, []string{"no manifest"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := checkTarget(tt.server)
			if tt.edit != nil {
				tt.edit(tg)
			}
			_, err := Check(testContext(t), tg, tt.src)
			mustContain(t, err, tt.want...)
		})
	}

	if got := runIDOf(t, conn); got != runID {
		t.Errorf("run_id changed from %s to %s: Check restarted the server", runID, got)
	}
	if diff := cmp.Diff(before, snapshot(t, conn)); diff != "" {
		t.Errorf("Check changed the data:\n%s", diff)
	}
}

func TestCheckAOFFileNames(t *testing.T) {
	t.Parallel()
	from := servertest.Start(t, servertest.Options{Config: "appendonly yes\n"})
	fillData(t, serverConn(from), "A", 0)
	aof := aofBackup(t, serverConn(from), from.Dir())

	other := servertest.Start(t, servertest.Options{Config: "appendonly yes\nappendfilename other.aof\n"})
	_, err := Check(testContext(t), checkTarget(other), aof)
	mustContain(t, err, `appendfilename "appendonly.aof"`, `the server uses "other.aof"`)

	// A manifest that lists a file the backup lacks.
	var files []backup.File
	for _, f := range aof.Manifest.Files {
		if f.Kind != backup.KindAOFIncr {
			files = append(files, f)
		}
	}
	m := *aof.Manifest
	m.Files = files
	_, err = Check(testContext(t), checkTarget(from), Source{Manifest: &m, Open: aof.Open})
	mustContain(t, err, "lists appendonly.aof.1.incr.aof", "incomplete")
}

func TestCheckReplica(t *testing.T) {
	t.Parallel()
	master := servertest.Start(t, servertest.Options{})
	saveNow(t, serverConn(master))
	rdb := rdbBackup(t, serverConn(master), master.Dir())
	replica := servertest.Start(t, servertest.Options{Config: fmt.Sprintf("replicaof 127.0.0.1 %d\n", master.Port())})
	_, err := Check(testContext(t), checkTarget(replica), rdb)
	mustContain(t, err, "is a replica of 127.0.0.1:", "restore into the master")
}

func TestSpaceNeeded(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		placed, rewrite, snapshot int64
		want                      uint64
	}{
		{0, 0, 0, spaceMargin},
		{100 * mib, 0, 0, 110*mib + spaceMargin},
		{100 * mib, 100 * mib, 0, 220*mib + spaceMargin},
		{100 * mib, 0, 50 * mib, 165*mib + spaceMargin},
		{-5, -1, -1, spaceMargin}, // nonsense sizes count as none
	}
	for _, tt := range tests {
		if got := spaceNeeded(tt.placed, tt.rewrite, tt.snapshot); got != tt.want {
			t.Errorf("spaceNeeded(%d, %d, %d) = %d, want %d", tt.placed, tt.rewrite, tt.snapshot, got, tt.want)
		}
	}
	if err := enoughSpace("/data", 10*mib, 10*mib); err != nil {
		t.Errorf("exactly enough: %v", err)
	}
	err := enoughSpace("/data", 10*mib+1, 10*mib)
	mustContain(t, err, "not enough free space in /data", "needs 10.0 MiB", "10.0 MiB are free")
}

func TestFreeSpace(t *testing.T) {
	free, err := freeSpace(t.TempDir())
	if err != nil || free == 0 {
		t.Errorf("freeSpace = %d, %v", free, err)
	}
	if _, err := freeSpace("/nonexistent/dir"); err == nil {
		t.Error("freeSpace of a missing dir: no error")
	}
}

func TestParseRDBHeader(t *testing.T) {
	if v, err := parseRDBHeader([]byte("REDIS0010"), "dump.rdb"); v != 10 || err != nil {
		t.Errorf("REDIS0010 = %d, %v", v, err)
	}
	for _, bad := range []string{"", "REDIS", "REDIS00x1", "REDIS0000", "*2\r\n$6\r\nSE", "VALKEY080"} {
		if _, err := parseRDBHeader([]byte(bad), "dump.rdb"); err == nil {
			t.Errorf("parseRDBHeader(%q): no error", bad)
		}
	}
}

func TestParseAOFManifest(t *testing.T) {
	content := "file appendonly.aof.1.base.rdb seq 1 type b\n" +
		"file \"my file.aof.2.incr.aof\" seq 2 type i\n" +
		"file appendonly.aof.1.incr.aof seq 1 type h\n"
	got, err := parseAOFManifest([]byte(content))
	if err != nil {
		t.Fatal(err)
	}
	want := []aofEntry{
		{"appendonly.aof.1.base.rdb", "1", "b"},
		{"my file.aof.2.incr.aof", "2", "i"},
		{"appendonly.aof.1.incr.aof", "1", "h"},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(aofEntry{})); diff != "" {
		t.Errorf("parseAOFManifest (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"", "file x seq 1\n", "file x seq 1 type z\n", "file \"x seq 1 type b\n", "file x seq\n"} {
		if _, err := parseAOFManifest([]byte(bad)); err == nil {
			t.Errorf("parseAOFManifest(%q): no error", bad)
		}
	}
}

func TestClassify(t *testing.T) {
	rdb := backup.File{Original: "dump.rdb", Kind: backup.KindRDB, RawSize: 100}
	mf := backup.File{Original: "appendonlydir/appendonly.aof.manifest", Kind: backup.KindAOFManifest, RawSize: 88}
	base := backup.File{Original: "appendonlydir/appendonly.aof.1.base.rdb", Kind: backup.KindAOFBase, RawSize: 100}
	incr := backup.File{Original: "appendonlydir/appendonly.aof.1.incr.aof", Kind: backup.KindAOFIncr}
	tests := []struct {
		files []backup.File
		want  string // "" for no error
	}{
		{[]backup.File{rdb}, ""},
		{[]backup.File{mf, base}, ""},
		{[]backup.File{rdb, mf, base, incr}, ""}, // an empty incr file is fine
		{[]backup.File{{Original: "dump.rdb", Kind: backup.KindRDB}}, "no size in the manifest"},
		{nil, "nothing to restore"},
		{[]backup.File{base}, "no AOF manifest"},
		{[]backup.File{mf}, "no AOF base"},
		{[]backup.File{rdb, rdb}, "two RDB files"},
		{[]backup.File{{Original: "x", Kind: "tar", RawSize: 1}}, "unknown kind"},
		{[]backup.File{{Original: "../etc/passwd", Kind: backup.KindRDB, RawSize: 1}}, "unusable original name"},
		{[]backup.File{{Original: "/etc/passwd", Kind: backup.KindRDB, RawSize: 1}}, "unusable original name"},
	}
	for _, tt := range tests {
		_, err := classify(tt.files)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("classify(%v): %v", tt.files, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("classify(%v) = %v, want an error containing %q", tt.files, err, tt.want)
		}
	}
}

func TestCompareKeys(t *testing.T) {
	want := map[int]backup.DBStats{0: {Keys: 100, Expires: 10}, 1: {Keys: 5}}
	tests := []struct {
		name    string
		got     map[int]backup.DBStats
		wantErr string
	}{
		{"equal", map[int]backup.DBStats{0: {Keys: 100}, 1: {Keys: 5}}, ""},
		{"ttl keys expired", map[int]backup.DBStats{0: {Keys: 90}, 1: {Keys: 5}}, ""},
		{"more than ttl keys missing", map[int]backup.DBStats{0: {Keys: 89}, 1: {Keys: 5}}, "db0 has 89 keys, the backup 100 (10 with a TTL)"},
		{"db missing", map[int]backup.DBStats{0: {Keys: 100}}, "db1 has 0 keys, the backup 5"},
		{"extra db", map[int]backup.DBStats{0: {Keys: 100}, 1: {Keys: 5}, 3: {Keys: 1}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines, err := compareKeys(want, tt.got)
			if tt.wantErr == "" && err != nil {
				t.Errorf("compareKeys: %v", err)
			}
			if tt.wantErr != "" {
				mustContain(t, err, tt.wantErr)
			}
			if len(lines) == 0 {
				t.Error("no report lines")
			}
		})
	}
	lines, err := compareKeys(nil, map[int]backup.DBStats{0: {Keys: 7}})
	if err != nil || len(lines) != 1 || lines[0].kind != progress.Warning || !strings.Contains(lines[0].text, "no key counts") {
		t.Errorf("compareKeys without counts = %+v, %v; want one warning", lines, err)
	}
	lines, _ = compareKeys(want, map[int]backup.DBStats{0: {Keys: 100}, 1: {Keys: 5}, 3: {Keys: 1}})
	if last := lines[len(lines)-1]; last.kind != progress.Warning || !strings.Contains(last.text, "db3") {
		t.Errorf("extra db reported as %+v", last)
	}
}

func TestSafeName(t *testing.T) {
	for in, want := range map[string]string{
		"20261129T030000Z": "20261129T030000Z",
		"../../etc":        "_.._etc",
		"":                 "backup",
		"..":               "backup",
		"a b/c":            "a_b_c",
	} {
		if got := safeName(in); got != want {
			t.Errorf("safeName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestTooNewSaysWhatLoadsIt: the refusal names every engine's first
// release that loads the backup's RDB version (from the table), never
// "Redis ?" for a file that records no engine, and the AOF-preamble hint
// only for a backup that has an AOF.
func TestTooNewSaysWhatLoadsIt(t *testing.T) {
	restore := &plan{version: "7.0.15"}
	err := restore.tooNew("dump.rdb", 11, 10, "", noAOF)
	mustContain(t, err, "RDB version 11, which this server (Redis 7.0.15) cannot load",
		"loads RDB version 11: Redis 7.2 or newer, Valkey 7.2 or newer")
	for _, not := range []string{"?", "written by", "aof-use-rdb-preamble"} {
		if strings.Contains(err.Error(), not) {
			t.Errorf("the refusal of a plain RDB says %q: %v", not, err)
		}
	}
	err = restore.tooNew("appendonly.aof.1.base.rdb", 12, 10, "Redis 8.0.2", aofPreamble)
	mustContain(t, err, "(written by Redis 8.0.2)", "loads RDB version 12: Redis 7.4 or newer;", "into the target with appendonly yes", "aof-use-rdb-preamble no")
	if strings.Contains(err.Error(), "Valkey") {
		t.Errorf("Valkey does not load RDB 12, yet the refusal names it: %v", err)
	}
	// The backup's own AOF is commands: turning AOF on is the fix.
	err = restore.tooNew("dump.rdb", 12, 10, "Redis 8.0.2", aofCommands)
	mustContain(t, err, "turn AOF on for the target (appendonly yes, redisplan apply) and restore again", "replays its commands")
	mustContain(t, restore.tooNew("dump.rdb", 13, 10, "", noAOF), "No release redisplan knows loads RDB version 13")

	drill := &plan{version: "7.0.15", scratchBin: "/usr/bin/redis-server"}
	err = drill.tooNew("dump.rdb", 11, 10, "Valkey 8.1.1", noAOF)
	mustContain(t, err, "the drill's scratch server /usr/bin/redis-server (Redis 7.0.15)",
		"first on PATH", EnvRedisServer+"=/path/to/server", "Redis 7.2 or newer, Valkey 7.2 or newer")
	if strings.Contains(err.Error(), "Restore it into") {
		t.Errorf("a drill's refusal gives restore advice: %v", err)
	}
}
