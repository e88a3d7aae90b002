package pitr

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/server/servertest"
)

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// batch is commands received together, after a time mark.
type batch struct {
	at   int64 // unix ms
	cmds [][]string
}

// stream renders batches as a segment's content renders them.
func stream(batches []batch) string {
	var b strings.Builder
	for _, bt := range batches {
		b.WriteString(mark(bt.at))
		for _, c := range bt.cmds {
			b.WriteString(resp(c...))
		}
	}
	return b.String()
}

// TestReplayUndoesAFlushall: a base, writes in several dbs with a
// transaction and expiries, then FLUSHALL: replayed to just before the
// FLUSHALL, the data is the reference server's, which received the same
// writes up to then (DEBUG DIGEST).
func TestReplayUndoesAFlushall(t *testing.T) {
	ctx := testContext(t)
	ref := servertest.Start(t, servertest.Options{Config: "enable-debug-command yes\n"})
	c := ref.Client(t)
	conn := c.Conn()
	defer conn.Close()
	for _, cmd := range [][]string{{"SET", "base", "1"}, {"SELECT", "3"}, {"HSET", "h", "f", "v"}, {"SELECT", "0"}} {
		if err := conn.Do(ctx, args(cmd)...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := conn.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	base, err := os.ReadFile(filepath.Join(ref.Dir(), "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	far := time.Now().Add(24 * time.Hour).UnixMilli()
	batches := []batch{
		{1000_000, [][]string{{"SELECT", "0"}, {"SET", "a", "1"}, {"INCR", "n"}, {"PEXPIREAT", "a", itoa(far)}}},
		{1000_400, [][]string{{"MULTI"}, {"SET", "t1", "x"}, {"INCR", "n"}, {"EXEC"}, {"SELECT", "5"}, {"RPUSH", "l", "1", "2", "3"}, {"SELECT", "3"}, {"HDEL", "h", "f"}}},
		{1001_000, [][]string{{"FLUSHALL"}}},
		{1001_200, [][]string{{"SELECT", "0"}, {"SET", "after", "1"}}},
	}
	// The reference gets the writes up to the FLUSHALL.
	for _, bt := range batches[:2] {
		for _, cmd := range bt.cmds {
			if err := conn.Do(ctx, args(cmd)...).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	want, err := conn.Do(ctx, "DEBUG", "DIGEST").Text()
	if err != nil {
		t.Fatal(err)
	}

	out, err := Replay(ctx, Input{
		Bin: servertest.Binary(t), Dir: t.TempDir(), Base: strings.NewReader(string(base)),
		Stream: strings.NewReader(stream(batches)), Until: time.UnixMilli(1000_999),
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Cut.Writes != 7 || out.Cut.Last.UnixMilli() != 1000_400 || out.Cut.Next.UnixMilli() != 1001_000 {
		t.Errorf("cut: %+v, want 7 writes up to the mark 1000400, the next at 1001000", out.Cut)
	}
	if got := out.Keyspace[0].Keys; got != 4 {
		t.Errorf("db0 holds %d keys, want 4 (base, a, n, t1)", got)
	}
	if got := digestOf(t, out.RDB); got != want {
		t.Errorf("the replayed data's digest is %s, the reference's %s", got, want)
	}

	// Everything: the FLUSHALL and the write after it.
	all, err := Replay(ctx, Input{Bin: servertest.Binary(t), Dir: t.TempDir(), Base: strings.NewReader(string(base)),
		Stream: strings.NewReader(stream(batches))})
	if err != nil {
		t.Fatal(err)
	}
	if !all.Cut.Complete || len(all.Keyspace) != 1 || all.Keyspace[0].Keys != 1 {
		t.Errorf("replayed to the end: cut %+v, keyspace %v; want only db0 with the key written after FLUSHALL", all.Cut, all.Keyspace)
	}
}

// TestReplayRefusesADamagedStream: a stream that ends inside a
// transaction is not replayed, and no RDB is made.
func TestReplayRefusesADamagedStream(t *testing.T) {
	ctx := testContext(t)
	dir := t.TempDir()
	_, err := Replay(ctx, Input{Bin: servertest.Binary(t), Dir: dir, Base: strings.NewReader("REDIS0010"),
		Stream: strings.NewReader(mark(1) + resp("MULTI") + resp("SET", "a", "1"))})
	if err == nil || !strings.Contains(err.Error(), "inside MULTI/EXEC") {
		t.Fatalf("err = %v, want a refusal of the cut transaction", err)
	}
	if _, err := os.Stat(filepath.Join(dir, RDBName)); err == nil {
		t.Error("an RDB was made from a damaged stream")
	}
}

// digestOf loads an RDB in a server of its own and returns DEBUG DIGEST.
func digestOf(t *testing.T, rdb string) string {
	t.Helper()
	s := servertest.Start(t, servertest.Options{Config: "enable-debug-command yes\n"})
	s.Shutdown(t, false)
	data, err := os.ReadFile(rdb)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Dir(), "dump.rdb"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	s.Restart(t)
	d, err := s.Client(t).Do(t.Context(), "DEBUG", "DIGEST").Text()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func args(cmd []string) []any {
	out := make([]any, len(cmd))
	for i, a := range cmd {
		out[i] = a
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
