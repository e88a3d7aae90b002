package capture

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/rdb"
)

// A slow save is read while the server's child writes it, and what is
// read is byte for byte the file the save leaves behind.
func TestFollowBGSaveReadsWhileSaving(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)
	c := dialServer(t, model.Connection{Address: s.Addr()})
	populate(t, ctx, c, 5000)
	slowSaves(t, ctx, c, 200) // about 1s per save

	save, err := FollowBGSave(ctx, c, "CONFIG", "")
	if err != nil {
		t.Fatal(err)
	}
	defer save.Close()
	if !save.Followed {
		t.Fatal("the save's temp file was not found: the backup waited for the end of the save")
	}
	first := make([]byte, 9)
	if _, err := io.ReadFull(save, first); err != nil {
		t.Fatal(err)
	}
	if got := infoField(t, ctx, c, "rdb_bgsave_in_progress"); got != "1" {
		t.Errorf("rdb_bgsave_in_progress = %s after the first bytes came: they were not read while saving", got)
	}
	if save.Info() != nil {
		t.Error("Info is set before the save ended")
	}
	rest, err := io.ReadAll(save)
	if err != nil {
		t.Fatal(err)
	}
	got := append(first, rest...)
	if !bytes.Equal(got, readRDB(t, filepath.Join(s.Dir(), "dump.rdb"))) {
		t.Fatalf("the %d bytes read differ from the finished dump.rdb", len(got))
	}
	if _, err := rdb.Verify(bytes.NewReader(got)); err != nil {
		t.Errorf("what was read is not a sound RDB: %v", err)
	}
	if info := save.Info(); !strings.HasPrefix(info["db0"], "keys=5000,") || info["rdb_saves"] != "1" {
		t.Errorf("INFO after the save: db0 = %q, rdb_saves = %q", info["db0"], info["rdb_saves"])
	}
}

// A save that fails after its child wrote everything (the rename onto a
// directory fails) must not end the stream as if it were complete.
func TestFollowBGSaveFailure(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)
	c := dialServer(t, model.Connection{Address: s.Addr()})
	populate(t, ctx, c, 2000)
	slowSaves(t, ctx, c, 100)
	if err := os.Mkdir(filepath.Join(s.Dir(), "dump.rdb"), 0o700); err != nil {
		t.Fatal(err)
	}
	save, err := FollowBGSave(ctx, c, "CONFIG", "")
	if err == nil {
		defer save.Close()
		if !save.Followed {
			t.Error("the save's temp file was not found")
		}
		_, err = io.ReadAll(save)
	}
	mustContain(t, err, "BGSAVE on "+s.Addr()+" failed", "rdb_last_bgsave_status:err")
}

// Behind a save that was already running, the file is read only once
// our own save has ended, and it holds what was written before the call.
func TestFollowBGSaveBehindRunningSave(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)
	c := dialServer(t, model.Connection{Address: s.Addr()})
	populate(t, ctx, c, 5000)
	slowSaves(t, ctx, c, 100)
	if err := c.BgSave(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, "marker:after", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	save, err := FollowBGSave(ctx, c, "CONFIG", "")
	if err != nil {
		t.Fatal(err)
	}
	defer save.Close()
	got, err := io.ReadAll(save)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(got, []byte("marker:after")) {
		t.Error("the stream lacks a key written before the call: it is the older save's")
	}
	if save.Info()["rdb_saves"] != "2" {
		t.Errorf("rdb_saves = %q, want 2: the running save and ours", save.Info()["rdb_saves"])
	}
}
