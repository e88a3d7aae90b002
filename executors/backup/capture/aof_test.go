package capture

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/testwait"
)

// aofServer starts a server with AOF on, auto-aof-rewrite-percentage 150
// (not the default, so a wrong restore shows), and extra config.
func aofServer(t *testing.T, extra string) (*servertest.Server, *redis.Client) {
	t.Helper()
	s := servertest.Start(t, servertest.Options{
		Config: "appendonly yes\nauto-aof-rewrite-percentage 150\n" + extra,
	})
	c := dialServer(t, model.Connection{Address: s.Addr()})
	return s, c
}

// rewritePercentage reads auto-aof-rewrite-percentage.
func rewritePercentage(t *testing.T, ctx context.Context, c *redis.Client) string {
	t.Helper()
	v, err := c.ConfigGet(ctx, "auto-aof-rewrite-percentage").Result()
	if err != nil {
		t.Fatal(err)
	}
	return v["auto-aof-rewrite-percentage"]
}

// fillAOF writes keys, rewrites the AOF so that its base holds them, and
// writes more keys, which only the incr file holds.
func fillAOF(t *testing.T, ctx context.Context, c *redis.Client) {
	t.Helper()
	populate(t, ctx, c, 2000)
	if err := c.BgRewriteAOF(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, c, "aof_rewrite_in_progress", "0")
	waitFor(t, ctx, c, "aof_rewrite_scheduled", "0")
	for i := 0; i < 100; i++ {
		if err := c.Set(ctx, "after:"+key(i), value(i), 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAOFSnapshot(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, config, file string
	}{
		{"default names", "", "appendonly.aof"},
		// Redis quotes a name with a space in the manifest.
		{"quoted names", "appendfilename \"my aof.aof\"\nappenddirname \"aof dir\"\n", "my aof.aof"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, c := aofServer(t, tt.config)
			ctx := testContext(t)
			fillAOF(t, ctx, c)
			cfg, err := c.ConfigGet(ctx, "appenddirname").Result()
			if err != nil {
				t.Fatal(err)
			}
			dirName := cfg["appenddirname"]

			dest := filepath.Join(t.TempDir(), dirName)
			files, err := AOFSnapshot(ctx, c, "CONFIG", "", dest, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := rewritePercentage(t, ctx, c); got != "150" {
				t.Errorf("auto-aof-rewrite-percentage = %s after the snapshot, want 150", got)
			}

			// The files are the manifest and what it lists, in order.
			src := filepath.Join(s.Dir(), dirName)
			content, err := os.ReadFile(filepath.Join(src, tt.file+".manifest"))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(tt.file, " ") && !bytes.Contains(content, []byte(`"`)) {
				t.Errorf("the manifest does not quote the names:\n%s", content)
			}
			entries, err := ParseAOFManifest(content)
			if err != nil {
				t.Fatal(err)
			}
			want := []AOFFile{{filepath.Join(dest, tt.file+".manifest"), dirName + "/" + tt.file + ".manifest", KindAOFManifest}}
			for _, kind := range []struct {
				t    byte
				kind string
			}{{AOFBase, KindAOFBase}, {AOFIncr, KindAOFIncr}} {
				for _, e := range entries {
					if e.Type == kind.t {
						want = append(want, AOFFile{filepath.Join(dest, e.Name), dirName + "/" + e.Name, kind.kind})
					}
				}
			}
			if len(files) != len(want) {
				t.Fatalf("files = %v, want %v", files, want)
			}
			for i := range want {
				if files[i] != want[i] {
					t.Errorf("files[%d] = %+v, want %+v", i, files[i], want[i])
				}
				orig := filepath.Join(s.Dir(), filepath.FromSlash(files[i].Original))
				a, err1 := os.ReadFile(orig)
				b, err2 := os.ReadFile(files[i].Path)
				if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
					t.Errorf("%s differs from %s (%v, %v)", files[i].Path, orig, err1, err2)
				}
				// The base is linked; the incr file Redis appends to is copied.
				same := sameFile(t, orig, files[i].Path)
				if wantSame := files[i].Kind != KindAOFIncr; same != wantSame {
					t.Errorf("%s shares the server's inode: %v, want %v", files[i].Original, same, wantSame)
				}
			}
			listed, err := os.ReadDir(dest)
			if err != nil || len(listed) != len(want) {
				t.Errorf("%s holds %d entries, want %d (%v)", dest, len(listed), len(want), err)
			}

			// A fresh server whose dir holds only the copy loads the same data.
			wantSize, err := c.DBSize(ctx).Result()
			if err != nil {
				t.Fatal(err)
			}
			r := startFrom(t, servertest.Options{Config: "appendonly yes\n" + tt.config}, func(dir string) {
				if err := os.RemoveAll(filepath.Join(dir, dirName)); err != nil {
					t.Fatal(err)
				}
				if err := os.Rename(dest, filepath.Join(dir, dirName)); err != nil {
					t.Fatal(err)
				}
			})
			rc := r.Client(t)
			if n, err := rc.DBSize(ctx).Result(); err != nil || n != wantSize {
				t.Errorf("restored DBSIZE = %d, %v; want %d", n, err, wantSize)
			}
			for _, k := range []string{key(0), key(1999), "after:" + key(99)} {
				if v, err := rc.Get(ctx, k).Result(); err != nil || !strings.HasPrefix(v, "value-") {
					t.Errorf("restored %s = %q, %v", k, v, err)
				}
			}
		})
	}
}

func sameFile(t *testing.T, a, b string) bool {
	t.Helper()
	fa, err := os.Stat(a)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := os.Stat(b)
	if err != nil {
		t.Fatal(err)
	}
	return os.SameFile(fa, fb)
}

// A rewrite that runs when the snapshot starts is waited for, so the copy
// is of the directory the rewrite leaves.
func TestAOFSnapshotWaitsForRewrite(t *testing.T) {
	t.Parallel()
	_, c := aofServer(t, "")
	ctx := testContext(t)
	populate(t, ctx, c, 5000)
	slowSaves(t, ctx, c, 200)
	rewrites := infoInt(t, ctx, c, "aof_rewrites")
	if err := c.BgRewriteAOF(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if got := infoField(t, ctx, c, "aof_rewrite_in_progress"); got != "1" {
		t.Fatalf("aof_rewrite_in_progress = %s right after BGREWRITEAOF; the rewrite is not slow enough for this test", got)
	}
	files, err := AOFSnapshot(ctx, c, "CONFIG", "", filepath.Join(t.TempDir(), "appendonlydir"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := infoInt(t, ctx, c, "aof_rewrites"); got != rewrites+1 {
		t.Errorf("aof_rewrites = %d, want %d", got, rewrites+1)
	}
	// The rewrite that was running wrote base 2.
	if files[1].Original != "appendonlydir/appendonly.aof.2.base.rdb" {
		t.Errorf("base = %s, want the rewrite's appendonly.aof.2.base.rdb", files[1].Original)
	}
	if got := rewritePercentage(t, ctx, c); got != "150" {
		t.Errorf("auto-aof-rewrite-percentage = %s, want 150", got)
	}
}

// When the copy fails, the setting comes back and destDir is removed.
func TestAOFSnapshotFailureRestoresSetting(t *testing.T) {
	t.Parallel()
	s, c := aofServer(t, "")
	ctx := testContext(t)
	populate(t, ctx, c, 100)
	// The manifest lists a base file that is not there any more.
	if err := os.Remove(filepath.Join(s.Dir(), "appendonlydir", "appendonly.aof.1.base.rdb")); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "appendonlydir")
	_, err := AOFSnapshot(ctx, c, "CONFIG", "", dest, nil)
	mustContain(t, err, "appendonly.aof.1.base.rdb", "disappeared", "tried 3 times")
	if got := rewritePercentage(t, ctx, c); got != "150" {
		t.Errorf("auto-aof-rewrite-percentage = %s after a failed snapshot, want 150", got)
	}
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Errorf("%s is still there after a failed snapshot (%v)", dest, err)
	}

}

// Cancelling the context while the snapshot waits for a rewrite, after it
// suspended automatic rewrites, still puts the setting back.
func TestAOFSnapshotCancelRestoresSetting(t *testing.T) {
	t.Parallel()
	_, c := aofServer(t, "")
	ctx := testContext(t)
	populate(t, ctx, c, 5000)
	slowSaves(t, ctx, c, 200)
	if err := c.BgRewriteAOF(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if got := infoField(t, ctx, c, "aof_rewrite_in_progress"); got != "1" {
		t.Fatalf("aof_rewrite_in_progress = %s right after BGREWRITEAOF; the rewrite is not slow enough for this test", got)
	}

	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	suspended := make(chan struct{})
	// A client of its own: c is in use by AOFSnapshot.
	w := dialServer(t, model.Connection{Address: c.Options().Addr})
	go func() {
		defer cancel()
		err := testwait.Until(testTimeout, func() (bool, error) {
			v, err := w.ConfigGet(ctx, "auto-aof-rewrite-percentage").Result()
			if err != nil || ctx.Err() != nil {
				return false, testwait.Stop(errors.Join(err, ctx.Err()))
			}
			return v["auto-aof-rewrite-percentage"] == "0", nil
		})
		if err == nil {
			close(suspended)
		}
	}()
	dest := filepath.Join(t.TempDir(), "appendonlydir")
	_, err := AOFSnapshot(cctx, c, "CONFIG", "", dest, nil)
	mustContain(t, err, "waiting for the AOF rewrite", "context canceled")
	select {
	case <-suspended:
	default:
		t.Fatal("the snapshot ended before it suspended automatic rewrites")
	}
	if got := rewritePercentage(t, ctx, c); got != "150" {
		t.Errorf("auto-aof-rewrite-percentage = %s after a cancelled snapshot, want 150", got)
	}
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Errorf("%s is still there after a cancelled snapshot (%v)", dest, err)
	}
}

func TestAOFSnapshotRefusals(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)

	off := servertest.Start(t, servertest.Options{})
	dest := filepath.Join(t.TempDir(), "appendonlydir")
	_, err := AOFSnapshot(ctx, dialServer(t, model.Connection{Address: off.Addr()}), "CONFIG", "", dest, nil)
	mustContain(t, err, "AOF is off on "+off.Addr())
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Errorf("%s was created (%v)", dest, err)
	}

	_, c := aofServer(t, "")
	existing := t.TempDir()
	_, err = AOFSnapshot(ctx, c, "CONFIG", "", existing, nil)
	mustContain(t, err, "create "+existing)
	if got := rewritePercentage(t, ctx, c); got != "150" {
		t.Errorf("auto-aof-rewrite-percentage = %s, want 150", got)
	}
	if _, err := os.Stat(existing); err != nil {
		t.Errorf("an existing destDir was removed: %v", err)
	}
}

// Across file systems the files are copied. /dev/shm is a tmpfs on Linux.
func TestAOFSnapshotCopiesAcrossFileSystems(t *testing.T) {
	t.Parallel()
	other, err := os.MkdirTemp("/dev/shm", "capture-test-")
	if err != nil {
		t.Skipf("no /dev/shm to copy to: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(other) })
	s, c := aofServer(t, "")
	if deviceOf(t, other) == deviceOf(t, s.Dir()) {
		t.Skipf("/dev/shm is on the same file system as %s", s.Dir())
	}
	ctx := testContext(t)
	fillAOF(t, ctx, c)
	files, err := AOFSnapshot(ctx, c, "CONFIG", "", filepath.Join(other, "appendonlydir"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		orig := filepath.Join(s.Dir(), f.Original)
		a, err1 := os.ReadFile(orig)
		b, err2 := os.ReadFile(f.Path)
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs from %s (%v, %v)", f.Path, orig, err1, err2)
		}
	}
}

func deviceOf(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		t.Skip("no device numbers on this system")
	}
	return uint64(st.Dev)
}
