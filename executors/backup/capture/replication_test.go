package capture

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/model"
)

// dataset is what the replication tests write and expect back.
type dataset struct {
	keys int
	big  string
}

func writeDataset(t *testing.T, ctx context.Context, c *redis.Client, keys int) dataset {
	t.Helper()
	populate(t, ctx, c, keys)
	var b strings.Builder
	for i := 0; b.Len() < 1<<20; i++ {
		b.WriteString(strconv.Itoa(i * 7919))
	}
	d := dataset{keys: keys, big: b.String()}
	if err := c.Set(ctx, "big", d.big, 0).Err(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		if err := c.HSet(ctx, "hash", "f"+strconv.Itoa(i), i).Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.RPush(ctx, "list", i).Err(); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// check compares a server's data with the dataset.
func (d dataset) check(t *testing.T, ctx context.Context, c *redis.Client) {
	t.Helper()
	if n, err := c.DBSize(ctx).Result(); err != nil || n != int64(d.keys+3) {
		t.Fatalf("DBSIZE = %d, %v; want %d", n, err, d.keys+3)
	}
	for start := 0; start < d.keys; start += 1000 {
		var names []string
		for i := start; i < min(start+1000, d.keys); i++ {
			names = append(names, key(i))
		}
		vals, err := c.MGet(ctx, names...).Result()
		if err != nil {
			t.Fatal(err)
		}
		for j, v := range vals {
			if want := value(start + j); v != want {
				t.Fatalf("%s = %v, want %q", names[j], v, want)
			}
		}
	}
	if big, err := c.Get(ctx, "big").Result(); err != nil || big != d.big {
		t.Errorf("big: %d bytes, %v; want %d bytes", len(big), err, len(d.big))
	}
	if h, err := c.HGetAll(ctx, "hash").Result(); err != nil || len(h) != 100 || h["f42"] != "42" {
		t.Errorf("hash = %d fields (f42=%q), %v", len(h), h["f42"], err)
	}
	if l, err := c.LRange(ctx, "list", 0, -1).Result(); err != nil || len(l) != 100 || l[99] != "99" {
		t.Errorf("list = %d items, %v", len(l), err)
	}
}

// checkRDBShape checks the frame of an RDB file: the magic at the start,
// and the EOF opcode followed by the 8-byte checksum at the end.
func checkRDBShape(t *testing.T, b []byte) {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("REDIS")) {
		t.Fatalf("the stream does not start with REDIS: %q", b[:min(len(b), 16)])
	}
	if len(b) < 9+9 || b[len(b)-9] != 0xFF {
		t.Fatalf("the stream does not end with 0xFF and a checksum: ...%x", b[max(0, len(b)-16):])
	}
}

// loadRDB starts a fresh server on the RDB and returns a client for it.
func loadRDB(t *testing.T, rdb []byte) *redis.Client {
	t.Helper()
	s := startFrom(t, servertest.Options{}, func(dir string) {
		writeFile(t, filepath.Join(dir, "dump.rdb"), rdb)
	})
	return s.Client(t)
}

func TestReplication(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		config   string
		diskless bool
	}{
		{"disk-backed", "repl-diskless-sync no\n", false},
		{"diskless", "repl-diskless-sync yes\nrepl-diskless-sync-delay 0\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := servertest.Start(t, servertest.Options{Config: tt.config})
			ctx := testContext(t)
			d := writeDataset(t, ctx, s.Client(t), 5000)

			r, err := Replication(ctx, model.Connection{Address: s.Addr()})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if _, got := r.(*rdbStream).body.(*markReader); got != tt.diskless {
				t.Fatalf("EOF-mark form = %v, want %v", got, tt.diskless)
			}
			rdb, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			checkRDBShape(t, rdb)
			d.check(t, ctx, loadRDB(t, rdb))
		})
	}
}

// The user that the package documentation recommends can take a
// replication backup; a wrong password or a user without +sync cannot,
// and the errors say why without the password.
func TestReplicationAuth(t *testing.T) {
	t.Parallel()
	const (
		adminPW  = "admin-secret-1"
		backupPW = "backup-secret-2"
		appPW    = "app-secret-3"
	)
	s := servertest.Start(t, servertest.Options{
		Password: adminPW,
		Config: "requirepass " + adminPW + "\n" +
			"repl-diskless-sync-delay 0\n" +
			"user backup on >" + backupPW + " resetkeys resetchannels -@all +sync +replconf\n" +
			"user app on >" + appPW + " ~* &* +@all -sync -psync\n",
	})
	ctx := testContext(t)
	c := s.Client(t)
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}

	good := []model.Connection{
		{Address: s.Addr(), Password: adminPW},
		{Address: s.Addr(), Username: "backup", Password: backupPW},
	}
	for _, conn := range good {
		r, err := Replication(ctx, conn)
		if err != nil {
			t.Fatalf("user %q: %v", conn.Username, err)
		}
		rdb, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatalf("user %q: %v", conn.Username, err)
		}
		checkRDBShape(t, rdb)
		if !bytes.Contains(rdb, []byte("k")) {
			t.Errorf("user %q: the RDB lacks the key", conn.Username)
		}
	}

	const wrong = "not-the-password-4"
	_, err := Replication(ctx, model.Connection{Address: s.Addr(), Password: wrong})
	mustContain(t, err, "authentication failed for user default at "+s.Addr(), "password is wrong")
	mustNotContain(t, err, wrong)
	mustNotContain(t, err, adminPW)

	_, err = Replication(ctx, model.Connection{Address: s.Addr()})
	mustContain(t, err, "requires a password")

	_, err = Replication(ctx, model.Connection{Address: s.Addr(), Username: "app", Password: appPW})
	mustContain(t, err, "user app lacks permission for SYNC", "ACL SETUSER app +sync")
	mustNotContain(t, err, appPW)
}

func TestReplicationRefused(t *testing.T) {
	t.Parallel()
	_, err := Replication(testContext(t), model.Connection{Address: "127.0.0.1:" + strconv.Itoa(servertest.FreePort(t))})
	mustContain(t, err, "connection refused")
}

// A server that goes away in the middle of the transfer makes Read fail:
// a truncated stream never passes for a whole RDB.
func TestReplicationServerDies(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{Config: "repl-diskless-sync yes\nrepl-diskless-sync-delay 0\n"})
	ctx := testContext(t)
	c := s.Client(t)
	populate(t, ctx, c, 20000)
	slowSaves(t, ctx, c, 100)

	r, err := Replication(ctx, model.Connection{Address: s.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := io.ReadFull(r, make([]byte, 5)); err != nil {
		t.Fatal(err)
	}
	s.Kill(t)
	_, err = io.Copy(io.Discard, r)
	mustContain(t, err, "RDB transfer from "+s.Addr()+" ended after", "before the end of the RDB")
	if _, again := r.Read(make([]byte, 1)); again == nil || again.Error() != err.Error() {
		t.Errorf("a second Read returned %v, want the same error", again)
	}
}

// Cancelling the context stops the transfer.
func TestReplicationCancel(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{Config: "repl-diskless-sync yes\nrepl-diskless-sync-delay 0\n"})
	ctx := testContext(t)
	c := s.Client(t)
	populate(t, ctx, c, 20000)
	slowSaves(t, ctx, c, 100)

	rctx, cancel := context.WithCancel(ctx)
	r, err := Replication(rctx, model.Connection{Address: s.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := io.ReadFull(r, make([]byte, 5)); err != nil {
		t.Fatal(err)
	}
	cancel()
	_, err = io.Copy(io.Discard, r)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Read after cancel: %v, want context.Canceled", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close after cancel: %v", err)
	}
}
