package relocate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// layout writes a Redis 7 data dir: an RDB and an AOF directory whose
// manifest lists the given lines.
func layout(t *testing.T, aofName string, manifest string, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "dump.rdb"), []byte("rdb"), 0o600))
	must(t, os.Mkdir(filepath.Join(dir, "appendonlydir"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "appendonlydir", aofName+".manifest"), []byte(manifest), 0o644))
	for _, f := range files {
		must(t, os.WriteFile(filepath.Join(dir, "appendonlydir", f), []byte("content of "+f), 0o644))
	}
	return dir
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func names(dir string) Names {
	return Names{Dir: dir, DBFilename: "dump.rdb", AppendDirname: "appendonlydir", AppendFilename: "appendonly.aof"}
}

func TestCarryRenamesManifestEntries(t *testing.T) {
	dir := layout(t, "appendonly.aof",
		"file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.1.incr.aof seq 1 type h\nfile appendonly.aof.3.incr.aof seq 3 type i\n",
		"appendonly.aof.2.base.rdb", "appendonly.aof.3.incr.aof") // the history file is already gone
	from := names(dir)
	to := from
	to.AppendFilename = "my orders.aof" // a name Redis writes quoted
	c, err := Plan(from, to, true)
	must(t, err)
	must(t, c.Do())
	aof := filepath.Join(dir, "appendonlydir")
	// The history file Redis already deleted is left out: an entry only
	// tells Redis what to delete.
	want := "file \"my orders.aof.2.base.rdb\" seq 2 type b\nfile \"my orders.aof.3.incr.aof\" seq 3 type i\n"
	if got := read(t, filepath.Join(aof, "my orders.aof.manifest")); got != want {
		t.Errorf("new manifest:\n%s\nwant:\n%s", got, want)
	}
	if got := read(t, filepath.Join(aof, "my orders.aof.3.incr.aof")); got != "content of appendonly.aof.3.incr.aof" {
		t.Errorf("incr file carried over as %q", got)
	}
	// The old names stay until Finish.
	if _, err := os.Stat(filepath.Join(aof, "appendonly.aof.manifest")); err != nil {
		t.Errorf("the old manifest is gone before Finish: %v", err)
	}
	removed, left := c.Finish()
	if len(removed) != 3 || len(left) != 0 {
		t.Errorf("Finish removed %v, left %v; want the two old files and the old manifest removed", removed, left)
	}
	entries, _ := os.ReadDir(aof)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "appendonly.aof") {
			t.Errorf("%s is still there after Finish", e.Name())
		}
	}
	if got := read(t, filepath.Join(dir, "dump.rdb")); got != "rdb" {
		t.Errorf("dump.rdb, whose name did not change, was touched: %q", got)
	}
}

func TestCarryUndoLeavesTheOldLayout(t *testing.T) {
	dir := layout(t, "appendonly.aof", "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
		"appendonly.aof.1.base.rdb", "appendonly.aof.1.incr.aof")
	from := names(dir)
	to := from
	to.Dir = filepath.Join(t.TempDir(), "new")
	to.DBFilename = "orders.rdb"
	c, err := Plan(from, to, true)
	must(t, err)
	must(t, c.Do())
	if got := read(t, filepath.Join(to.Dir, "orders.rdb")); got != "rdb" {
		t.Errorf("orders.rdb = %q", got)
	}
	// Something the new server wrote is not Undo's to remove.
	theirs := filepath.Join(to.Dir, "appendonlydir", "temp-rewrite.aof")
	must(t, os.WriteFile(theirs, nil, 0o644))
	must(t, c.Undo())
	if _, err := os.Stat(filepath.Join(to.Dir, "orders.rdb")); !os.IsNotExist(err) {
		t.Errorf("orders.rdb survived Undo: %v", err)
	}
	if _, err := os.Stat(theirs); err != nil {
		t.Errorf("Undo removed a file it did not make: %v", err)
	}
	for _, f := range []string{"dump.rdb", "appendonlydir/appendonly.aof.manifest", "appendonlydir/appendonly.aof.1.base.rdb", "appendonlydir/appendonly.aof.1.incr.aof"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("old %s is gone after Undo: %v", f, err)
		}
	}
}

func TestPlanRefuses(t *testing.T) {
	t.Run("new name taken", func(t *testing.T) {
		dir := layout(t, "appendonly.aof", "file appendonly.aof.1.base.rdb seq 1 type b\n", "appendonly.aof.1.base.rdb")
		must(t, os.WriteFile(filepath.Join(dir, "appendonlydir", "orders.aof.1.base.rdb"), []byte("theirs"), 0o644))
		to := names(dir)
		to.AppendFilename = "orders.aof"
		if _, err := Plan(names(dir), to, true); err == nil || !strings.Contains(err.Error(), "orders.aof.1.base.rdb already exists") {
			t.Errorf("Plan = %v, want a refusal naming the taken file", err)
		}
	})
	t.Run("a file not named after appendfilename", func(t *testing.T) {
		dir := layout(t, "appendonly.aof", "file restored.aof.1.base.rdb seq 1 type b\n", "restored.aof.1.base.rdb")
		to := names(dir)
		to.AppendFilename = "orders.aof"
		if _, err := Plan(names(dir), to, true); err == nil || !strings.Contains(err.Error(), "not named after appendfilename") {
			t.Errorf("Plan = %v, want a refusal", err)
		}
	})
	t.Run("a listed base file is missing", func(t *testing.T) {
		dir := layout(t, "appendonly.aof", "file appendonly.aof.1.base.rdb seq 1 type b\n")
		to := names(dir)
		to.AppendFilename = "orders.aof"
		if _, err := Plan(names(dir), to, true); err == nil || !strings.Contains(err.Error(), "appendonly.aof.1.base.rdb") {
			t.Errorf("Plan = %v, want a refusal naming the missing file", err)
		}
	})
	t.Run("dir not on this host", func(t *testing.T) {
		from := names("/nonexistent/redis")
		to := from
		to.DBFilename = "orders.rdb"
		if _, err := Plan(from, to, false); err == nil || !strings.Contains(err.Error(), "server's host") {
			t.Errorf("Plan = %v, want a refusal", err)
		}
	})
}
