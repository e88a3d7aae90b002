package capture

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/model"
)

// readRDB reads a file BGSave returned and checks that it looks like an
// RDB file.
func readRDB(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("REDIS")) {
		t.Fatalf("%s does not start with REDIS: %q", path, b[:min(len(b), 16)])
	}
	return b
}

func TestBGSave(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)
	c := dialServer(t, model.Connection{Address: s.Addr()})
	populate(t, ctx, c, 1000)

	path, info, err := BGSave(ctx, c, "CONFIG", "")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(s.Dir(), "dump.rdb"); path != want {
		t.Errorf("path = %q, want %q", path, want)
	}
	readRDB(t, path)
	if !strings.HasPrefix(info["db0"], "keys=1000,") {
		t.Errorf("INFO db0 = %q, want keys=1000", info["db0"])
	}
	for _, f := range []string{"run_id", "redis_version", "used_memory", "rdb_saves"} {
		if info[f] == "" {
			t.Errorf("INFO lacks %s", f)
		}
	}
	if info["rdb_saves"] != "1" {
		t.Errorf("rdb_saves = %q after the first save, want 1", info["rdb_saves"])
	}

	// Right after: a new save, which sees the newer key.
	if err := c.Set(ctx, "marker:second", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	path2, info2, err := BGSave(ctx, c, "CONFIG", "")
	if err != nil {
		t.Fatal(err)
	}
	if info2["rdb_saves"] != "2" {
		t.Errorf("rdb_saves = %q after the second save, want 2", info2["rdb_saves"])
	}
	if !strings.HasPrefix(info2["db0"], "keys=1001,") {
		t.Errorf("INFO db0 = %q, want keys=1001", info2["db0"])
	}
	if !bytes.Contains(readRDB(t, path2), []byte("marker:second")) {
		t.Error("the second save lacks the key written before it")
	}
}

func TestBGSaveDataDirOverride(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)
	c := dialServer(t, model.Connection{Address: s.Addr()})
	other := t.TempDir()
	path, _, err := BGSave(ctx, c, "CONFIG", other)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(other, "dump.rdb"); path != want {
		t.Errorf("path = %q, want %q (dataDir replaces CONFIG GET dir)", path, want)
	}
}

// A save already running started before the call, so BGSave waits for it
// and then makes its own.
func TestBGSaveWaitsForRunningSave(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)
	c := dialServer(t, model.Connection{Address: s.Addr()})
	populate(t, ctx, c, 5000)
	slowSaves(t, ctx, c, 200) // about 1s per save

	before := infoInt(t, ctx, c, "rdb_saves")
	if err := c.BgSave(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if got := infoField(t, ctx, c, "rdb_bgsave_in_progress"); got != "1" {
		t.Fatalf("rdb_bgsave_in_progress = %s right after BGSAVE; the save is not slow enough for this test", got)
	}
	// Written after the running save forked: only a later save has it.
	if err := c.Set(ctx, "marker:after", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}

	path, info, err := BGSave(ctx, c, "CONFIG", "")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := info["rdb_saves"], before+2; got != itoa(want) {
		t.Errorf("rdb_saves = %s, want %d: the running save and BGSave's own", got, want)
	}
	if !bytes.Contains(readRDB(t, path), []byte("marker:after")) {
		t.Error("the file lacks a key written before BGSave was called: it is the older save's")
	}
}

// While an AOF rewrite runs BGSAVE is refused; BGSave schedules it.
func TestBGSaveBehindAOFRewrite(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)
	c := dialServer(t, model.Connection{Address: s.Addr()})
	populate(t, ctx, c, 5000)
	slowSaves(t, ctx, c, 200)

	before := infoInt(t, ctx, c, "rdb_saves")
	rewrites := infoInt(t, ctx, c, "aof_rewrites")
	if err := c.BgRewriteAOF(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if got := infoField(t, ctx, c, "aof_rewrite_in_progress"); got != "1" {
		t.Fatalf("aof_rewrite_in_progress = %s right after BGREWRITEAOF; the rewrite is not slow enough for this test", got)
	}
	if err := c.Set(ctx, "marker:after", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}

	path, info, err := BGSave(ctx, c, "CONFIG", "")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := info["rdb_saves"], before+1; got != itoa(want) {
		t.Errorf("rdb_saves = %s, want %d", got, want)
	}
	if got := info["aof_rewrites"]; got != itoa(rewrites+1) {
		t.Errorf("aof_rewrites = %s, want %d: the save ran after the rewrite", got, rewrites+1)
	}
	if !bytes.Contains(readRDB(t, path), []byte("marker:after")) {
		t.Error("the file lacks a key written before BGSave was called")
	}
}

// A save that fails is reported with its status. As root, permissions do
// not stop the save; a directory where the file should go does: the
// child's final rename(2) fails with EISDIR.
func TestBGSaveFailure(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)
	c := dialServer(t, model.Connection{Address: s.Addr()})
	populate(t, ctx, c, 10)
	if err := os.Mkdir(filepath.Join(s.Dir(), "dump.rdb"), 0o700); err != nil {
		t.Fatal(err)
	}
	_, _, err := BGSave(ctx, c, "CONFIG", "")
	mustContain(t, err, "BGSAVE on "+s.Addr()+" failed", "rdb_last_bgsave_status:err", "log")
	if !strings.Contains(s.Log(), "Is a directory") {
		t.Errorf("the server log does not show the failed rename:\n%s", s.Log())
	}
}

func TestBGSaveNeedsConfig(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)
	c := dialServer(t, model.Connection{Address: s.Addr()})
	_, _, err := BGSave(ctx, c, "", "")
	mustContain(t, err, "CONFIG is disabled")
}

// saveFinished for servers without rdb_saves (before Redis 7.0).
func TestSaveFinishedWithoutRDBSaves(t *testing.T) {
	mark := saveMark{lastSave: 1000, changes: 50, status: "ok"}
	tests := []struct {
		name       string
		info       map[string]string
		sawRunning bool
		want       bool
	}{
		{"still running", map[string]string{"rdb_bgsave_in_progress": "1", "rdb_last_save_time": "1001"}, true, false},
		{"seen running, now idle", map[string]string{"rdb_bgsave_in_progress": "0", "rdb_last_save_time": "1000", "rdb_changes_since_last_save": "50"}, true, true},
		{"nothing happened yet", map[string]string{"rdb_bgsave_in_progress": "0", "rdb_last_save_time": "1000", "rdb_changes_since_last_save": "50"}, false, false},
		{"last save time moved", map[string]string{"rdb_bgsave_in_progress": "0", "rdb_last_save_time": "1002", "rdb_changes_since_last_save": "70"}, false, true},
		{"same second, changes reset", map[string]string{"rdb_bgsave_in_progress": "0", "rdb_last_save_time": "1000", "rdb_changes_since_last_save": "0"}, false, true},
		{"failed", map[string]string{"rdb_bgsave_in_progress": "0", "rdb_last_save_time": "1000", "rdb_changes_since_last_save": "60", "rdb_last_bgsave_status": "err"}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := saveFinished(mark, tt.info, tt.sawRunning); got != tt.want {
				t.Errorf("saveFinished = %v, want %v", got, tt.want)
			}
		})
	}
	withSaves := saveMark{saves: 3, hasSaves: true}
	if saveFinished(withSaves, map[string]string{"rdb_bgsave_in_progress": "0", "rdb_saves": "3"}, true) {
		t.Error("with rdb_saves, a save that started before the mark does not count")
	}
	if !saveFinished(withSaves, map[string]string{"rdb_bgsave_in_progress": "0", "rdb_saves": "4"}, false) {
		t.Error("with rdb_saves, a later save that ended counts")
	}
}

func TestAcceptedBy(t *testing.T) {
	if got := acceptedBy("Background saving started"); got != started {
		t.Errorf("started reply: %v", got)
	}
	if got := acceptedBy("Background saving scheduled"); got != scheduled {
		t.Errorf("scheduled reply: %v", got)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
