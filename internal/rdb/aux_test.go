package rdb

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/redisinfo"
	"github.com/redisplan/redisplan/internal/testwait"
)

// A master with a replica attached writes its replication ID, offset and
// stream db into the RDB; Verify reads them as the server's INFO gives
// them. A server that never had a replica records none.
func TestVerifyReadsReplPosition(t *testing.T) {
	t.Parallel()
	master := servertest.Start(t, servertest.Options{})
	replica := servertest.Start(t, servertest.Options{Config: "replicaof 127.0.0.1 " + strconv.Itoa(master.Port())})
	ctx := context.Background()
	mc, rc := master.Client(t), replica.Client(t)
	testwait.For(t, 30*time.Second, "the replica in sync", func() (bool, error) {
		s, err := rc.Info(ctx, "replication").Result()
		return err == nil && redisinfo.Parse(s)["master_link_status"] == "up", nil
	})
	db3 := redis.NewClient(&redis.Options{Addr: master.Addr(), DB: 3})
	defer db3.Close()
	for i := range 50 {
		if err := db3.Set(ctx, "k"+strconv.Itoa(i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := mc.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	s, err := mc.Info(ctx, "replication").Result()
	if err != nil {
		t.Fatal(err)
	}
	inf := redisinfo.Parse(s)
	data, err := os.ReadFile(filepath.Join(master.Dir(), "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	info, err := Verify(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	pos := info.Repl
	if pos.ID != inf["master_replid"] || strconv.FormatInt(pos.Offset, 10) != inf["master_repl_offset"] {
		t.Fatalf("Repl = %+v; INFO says %s at %s", pos, inf["master_replid"], inf["master_repl_offset"])
	}
	if pos.StreamDB != 3 {
		t.Errorf("StreamDB = %d, want 3 (the db of the last write)", pos.StreamDB)
	}

	alone := dump(t, "")
	info, err = Verify(bytes.NewReader(alone))
	if err != nil {
		t.Fatal(err)
	}
	if info.Repl != (ReplPosition{}) {
		t.Errorf("a server without a replica recorded position %+v", info.Repl)
	}
}

func TestLZF(t *testing.T) {
	// "abc" as a literal, then a back reference of 3 bytes, 3 back.
	got, err := lzfDecompress([]byte{0x02, 'a', 'b', 'c', 0x20, 0x02}, 6)
	if err != nil || string(got) != "abcabc" {
		t.Fatalf("lzfDecompress = %q, %v", got, err)
	}
	if _, err := lzfDecompress([]byte{0x20, 0x05}, 3); err == nil {
		t.Errorf("a reference before the start was accepted")
	}
	// An LZF-compressed aux value.
	b := []byte{opAux, 0x03, 'k', 'e', 'y', 0xc3, 0x06, 0x06, 0x02, 'a', 'b', 'c', 0x20, 0x02, 0xfe}
	if aux := parseAux(b); aux["key"] != "abcabc" {
		t.Errorf("parseAux = %v", aux)
	}
}
