package restore

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/server"
	"github.com/redisplan/redisplan/executors/server/servertest"
)

var scratchRE = regexp.MustCompile(`\(pid (\d+)\) on \S+ in (\S+)$`)

// scratchOf finds the scratch server's pid and directory in the events.
func scratchOf(t *testing.T, rec *recorder) (int, string) {
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, e := range rec.events {
		if m := scratchRE.FindStringSubmatch(e.Message); m != nil {
			pid, _ := strconv.Atoi(m[1])
			return pid, m[2]
		}
	}
	t.Fatalf("no event names the scratch server:\n%v", rec.events)
	return 0, ""
}

// assertCleanedUp fails when the scratch server still runs or its
// directory is still there.
func assertCleanedUp(t *testing.T, rec *recorder) {
	t.Helper()
	pid, dir := scratchOf(t, rec)
	if server.ProcessAlive(pid) {
		t.Errorf("the scratch server (pid %d) still runs", pid)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the scratch directory %s is still there: %v", dir, err)
	}
}

func TestDrill(t *testing.T) {
	t.Parallel()
	servertest.Binary(t)

	rdbServer := servertest.Start(t, servertest.Options{})
	fillData(t, serverConn(rdbServer), "A", 0, 1, 7)
	saveNow(t, serverConn(rdbServer))
	rdb := rdbBackup(t, serverConn(rdbServer), rdbServer.Dir())

	aofServer := servertest.Start(t, servertest.Options{Config: "appendonly yes\nappendfsync always\n"})
	fillData(t, serverConn(aofServer), "A", 0)
	rewrite(t, serverConn(aofServer))
	fillData(t, serverConn(aofServer), "B", 2)
	aof := aofBackup(t, serverConn(aofServer), aofServer.Dir())

	for _, tt := range []struct {
		name string
		src  Source
	}{{"rdb", rdb}, {"aof", aof}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			res, err := Drill(testContext(t), tt.src, Options{Emit: rec.emit, LoadTimeout: testLoadTimeout})
			t.Logf("events:\n%s", rec)
			if err != nil {
				t.Fatalf("Drill: %v", err)
			}
			if diff := cmp.Diff(tt.src.Manifest.Keyspace, res.After.Keyspace); diff != "" {
				t.Errorf("keys after the drill (-manifest +drill):\n%s", diff)
			}
			if res.LoadSeconds <= 0 {
				t.Errorf("LoadSeconds = %v, want > 0", res.LoadSeconds)
			}
			if res.SafetyCopy != "" || res.Before.Keyspace != nil {
				t.Errorf("a drill reports a safety copy or Before: %+v", res)
			}
			assertCleanedUp(t, rec)
		})
	}

	t.Run("unloadable", func(t *testing.T) {
		t.Parallel()
		bad := withBytes(t, rdb, backup.KindRDB, unloadable)
		rec := &recorder{}
		_, err := Drill(testContext(t), bad, Options{Emit: rec.emit, LoadTimeout: testLoadTimeout})
		mustContain(t, err, "drill backup 20260101T030000Z", "did not load the backup", "exited")
		assertCleanedUp(t, rec)
	})

	t.Run("key mismatch", func(t *testing.T) {
		t.Parallel()
		m := *rdb.Manifest
		m.Keyspace = cloneKeyspace(rdb.Manifest.Keyspace)
		m.Keyspace[3] = backup.DBStats{Keys: 10}
		rec := &recorder{}
		res, err := Drill(testContext(t), Source{Manifest: &m, Open: rdb.Open}, Options{Emit: rec.emit})
		mustContain(t, err, "db3 has 0 keys, the backup 10")
		if res.LoadSeconds <= 0 || res.After.Keyspace[0].Keys == 0 {
			t.Errorf("a failed comparison still reports the load: %+v", res)
		}
		assertCleanedUp(t, rec)
	})

	t.Run("version too new", func(t *testing.T) {
		t.Parallel()
		bad := withBytes(t, rdb, backup.KindRDB, func(b []byte) []byte { return append([]byte("REDIS0099"), b[9:]...) })
		_, err := Drill(testContext(t), bad, Options{})
		mustContain(t, err, "RDB version 99")
	})
}

func TestDrillWithoutBinary(t *testing.T) {
	t.Setenv(EnvRedisServer, filepath.Join(t.TempDir(), "no-redis-server"))
	src := Source{
		Manifest: &backup.Manifest{ID: "x", Files: []backup.File{{Original: "dump.rdb", Kind: backup.KindRDB, RawSize: 100}}},
		Open:     func(context.Context, backup.File) (io.ReadCloser, error) { return nil, errors.New("not read") },
	}
	_, err := Drill(testContext(t), src, Options{})
	mustContain(t, err, "no-redis-server", EnvRedisServer)
}
