package engines_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/internal/engines"
	"github.com/redisplan/redisplan/internal/testwait"
)

// rdbVersions are the RDB format versions the engines write (RDB_VERSION
// in their src/rdb.h).
var rdbVersions = map[string]int{"redis-7.0": 10, "redis-8.0": 12, "valkey-8.0": 11, "valkey-8.1": 11}

// plainConf is a test server with no persistence of its own.
func plainConf(port int, dir string) string {
	return serverConf(port, dir) + "save \"\"\n"
}

// plainSpec is a target whose backups go to dest; two such specs (two
// servers) share the folder of target "main" there.
func plainSpec(t *testing.T, addr, conf, server, dest string) string {
	t.Helper()
	return specWith(t, addr, conf, server, dest, "", "")
}

// specWith is plainSpec with backupExtra inside the backup block and
// targetExtra inside the target block.
func specWith(t *testing.T, addr, conf, server, dest, backupExtra, targetExtra string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "redis.hcl")
	text := fmt.Sprintf(`redis "main" {
  address     = %q
  config_file = %q
  service {
    start = [%q, %q]
  }
  backup {
    destination = %q
%s  }
%s}
`, addr, conf, server, conf, dest, backupExtra, targetExtra)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// byName returns the installed engines by name; a missing one fails the
// test (or, with REDISPLAN_SKIP_ENGINES=1, skips it).
func byName(t *testing.T, names ...string) map[string]engines.Engine {
	t.Helper()
	all := map[string]engines.Engine{}
	for _, e := range engines.Require(t) {
		all[e.Name] = e
	}
	for _, n := range names {
		if _, ok := all[n]; !ok {
			t.Skipf("%s is not installed and %s=1 is set", n, engines.EnvSkip)
		}
	}
	return all
}

// backupOn fills a server of engine e, takes a backup of it with
// redisplan and returns the backup's ID, the destination and the digest
// of the data it holds.
func backupOn(t *testing.T, e engines.Engine) (id, dest, want string) {
	t.Helper()
	addr, conf, _ := startDaemon(t, e, plainConf)
	fill(t, addr, e.Name)
	want = digest(t, client(t, addr))
	dest = t.TempDir()
	mustRun(t, "backup", "run", "-config", plainSpec(t, addr, conf, e.Server, dest))
	var manifest string
	err := filepath.WalkDir(dest, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Name() == "manifest.json" {
			id, manifest = filepath.Base(filepath.Dir(p)), p
		}
		return err
	})
	if err != nil || id == "" {
		t.Fatalf("no manifest.json under %s: %v", dest, err)
	}
	// The manifest says which engine and release made the backup, and
	// its RDB format version.
	raw, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Engine        string `json:"engine"`
		EngineVersion string `json:"engine_version"`
		RDBVersion    int    `json:"rdb_version"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("read %s: %v", manifest, err)
	}
	if m.Engine != e.Kind || m.EngineVersion != e.Version || m.RDBVersion != rdbVersions[e.Name] {
		t.Errorf("the manifest records engine %q %q, RDB version %d; want %q %q, %d", m.Engine, m.EngineVersion, m.RDBVersion, e.Kind, e.Version, rdbVersions[e.Name])
	}
	return id, dest, want
}

// restoreOtherInto starts engine e from config with a key of its own,
// restores backup id (another spec's) into it with the spec specOf writes
// for it, and returns its digest after the restore.
func restoreOtherInto(t *testing.T, e engines.Engine, config func(int, string) string, id string, specOf func(addr, conf string) string) string {
	t.Helper()
	addr, conf, dir := startDaemon(t, e, config)
	c := client(t, addr)
	c.Set(context.Background(), "only-before-the-restore", "x", 0)
	out := mustRun(t, "restore", "-config", specOf(addr, conf), "-target", "main", "-auto-approve", "-from-other-spec", id)
	if !strings.Contains(out, "Restore complete") {
		t.Fatalf("restore output:\n%s", out)
	}
	// An RDB from a backup directory is streamed into the loading
	// server: every engine opens its RDB path as Redis 7.0 does. (AOF
	// files are staged.)
	if strings.Contains(out, "restoring the RDB into") && !strings.Contains(out, "streamed the backup into the server") {
		t.Errorf("the restore into %s did not stream the backup:\n%s", e.Name, out)
	}
	waitUp(t, c, dir)
	return digest(t, c)
}

// TestRestoreAcrossEngines: a backup of Redis 7.0 restores into Redis 8.0,
// Valkey 8.0 and Valkey 8.1 with the same DEBUG DIGEST.
func TestRestoreAcrossEngines(t *testing.T) {
	t.Parallel()
	all := byName(t, "redis-7.0", "redis-8.0", "valkey-8.0", "valkey-8.1")
	id, dest, want := backupOn(t, all["redis-7.0"])
	for _, name := range []string{"redis-8.0", "valkey-8.0", "valkey-8.1"} {
		e := all[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := restoreOtherInto(t, e, plainConf, id, func(addr, conf string) string { return plainSpec(t, addr, conf, e.Server, dest) })
			if got != want {
				t.Errorf("Redis 7.0's backup restored into %s %s: digest %s, want %s", e.Kind, e.Version, got, want)
			}
		})
	}
}

// TestRestoreRefusesAnRDBTooNew: Valkey 8.1 writes RDB version 11, which
// Redis 7.0 cannot load; restore refuses before it touches the server,
// naming both engines and releases and what would work.
func TestRestoreRefusesAnRDBTooNew(t *testing.T) {
	t.Parallel()
	all := byName(t, "redis-7.0", "valkey-8.1")
	id, dest, _ := backupOn(t, all["valkey-8.1"])

	e := all["redis-7.0"]
	addr, conf, dir := startDaemon(t, e, plainConf)
	c := client(t, addr)
	fill(t, addr, "keep")
	before := digest(t, c)
	pidBefore, _ := os.ReadFile(filepath.Join(dir, "redis.pid"))
	code, out := run(t, "restore", "-config", plainSpec(t, addr, conf, e.Server, dest), "-target", "main", "-auto-approve", "-from-other-spec", id)
	if code == 0 {
		t.Fatalf("restore of a Valkey 8.1 backup into Redis %s succeeded:\n%s", e.Version, out)
	}
	// What would work: every engine whose releases load RDB 11 (Redis 8.0
	// does), not only the backup's own.
	for _, want := range []string{"RDB version 11", "Valkey " + all["valkey-8.1"].Version, "Redis " + e.Version, "loads up to version 10", "Nothing was touched", "Redis 7.2 or newer, Valkey 7.2 or newer"} {
		if !strings.Contains(out, want) {
			t.Errorf("the refusal does not say %q:\n%s", want, out)
		}
	}
	// The backup has no AOF: no AOF advice.
	if strings.Contains(out, "aof-use-rdb-preamble") {
		t.Errorf("the refusal of a backup without an AOF gives AOF advice:\n%s", out)
	}

	// The same RDB as a plain file (restore -file) records no engine: the
	// refusal says what loads it and never guesses the writer.
	var rdbs []string
	_ = filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), "dump.rdb") {
			rdbs = append(rdbs, p)
		}
		return nil
	})
	if len(rdbs) == 0 {
		t.Fatalf("no dump.rdb under %s", dest)
	}
	plain := filepath.Join(t.TempDir(), "dump.rdb")
	copyRDB(t, rdbs[0], plain)
	code, out = run(t, "restore", "-config", plainSpec(t, addr, conf, e.Server, t.TempDir()), "-target", "main", "-auto-approve", "-file", plain)
	if code == 0 {
		t.Fatalf("restore -file of a Valkey 8.1 RDB into Redis %s succeeded:\n%s", e.Version, out)
	}
	for _, want := range []string{"RDB version 11", "Redis 7.2 or newer, Valkey 7.2 or newer"} {
		if !strings.Contains(out, want) {
			t.Errorf("the refusal of a plain RDB does not say %q:\n%s", want, out)
		}
	}
	for _, not := range []string{"Redis ?", "aof-use-rdb-preamble"} {
		if strings.Contains(out, not) {
			t.Errorf("the refusal of a plain RDB says %q:\n%s", not, out)
		}
	}
	if got := digest(t, c); got != before {
		t.Errorf("the refused restore changed the data: digest %s, was %s", got, before)
	}
	if pidAfter, _ := os.ReadFile(filepath.Join(dir, "redis.pid")); string(pidAfter) != string(pidBefore) {
		t.Errorf("the refused restore restarted the server: pid %s, was %s", pidAfter, pidBefore)
	}
}

// TestDrillUsesTheBackupsEngine: a drill of a Valkey 8.1 backup runs its
// scratch server on valkey-server when PATH has one (and
// REDISPLAN_REDIS_SERVER names none); with only Redis 7.0 it is refused for
// the RDB version, naming both servers.
func TestDrillUsesTheBackupsEngine(t *testing.T) {
	t.Parallel()
	all := byName(t, "redis-7.0", "valkey-8.1")
	e := all["valkey-8.1"]
	addr, conf, _ := startDaemon(t, e, plainConf)
	fill(t, addr, "drill")
	spec := plainSpec(t, addr, conf, e.Server, t.TempDir())
	mustRun(t, "backup", "run", "-config", spec)

	system := all["redis-7.0"]
	withValkey := []string{"REDISPLAN_REDIS_SERVER=", "PATH=" + filepath.Dir(e.Server) + string(os.PathListSeparator) + os.Getenv("PATH")}
	if code, out := runEnv(t, withValkey, "drill", "rto", "-config", spec, "-target", "main"); code != 0 {
		t.Errorf("drill rto of a Valkey 8.1 backup with valkey-server in PATH: exit %d, want 0\n%s", code, out)
	}
	onlyRedis := []string{"REDISPLAN_REDIS_SERVER=" + system.Server}
	code, out := runEnv(t, onlyRedis, "drill", "rto", "-config", spec, "-target", "main")
	if code == 0 {
		t.Fatalf("drill rto of a Valkey 8.1 backup on Redis %s succeeded:\n%s", system.Version, out)
	}
	// The fix is the drill's binary, not the restore's target.
	for _, want := range []string{"RDB version 11", "Valkey " + e.Version, "Redis " + system.Version, system.Server, "first on PATH", "REDISPLAN_REDIS_SERVER=/path/to/server"} {
		if !strings.Contains(out, want) {
			t.Errorf("the refused drill does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Restore it into") {
		t.Errorf("the refused drill gives restore advice:\n%s", out)
	}

	// -json still prints the result object, failed, with the reason.
	cmd := exec.Command(cli, "drill", "rto", "-config", spec, "-target", "main", "-json")
	cmd.Env = append(os.Environ(), onlyRedis...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err == nil {
		t.Fatalf("drill rto -json on Redis %s succeeded:\n%s", system.Version, stdout.String())
	}
	var rep struct {
		Drill  string `json:"drill"`
		Pass   *bool  `json:"pass"`
		Reason string `json:"reason"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("drill rto -json that failed printed no result object on stdout (%v):\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	if rep.Drill != "rto" || rep.Pass == nil || *rep.Pass || !strings.Contains(rep.Reason, "RDB version 11") {
		t.Errorf("drill rto -json result = %+v, want drill rto, pass false and the RDB version as reason", rep)
	}
}

// copyRDB copies a backup's RDB (decompressed when it ends in .zst) to a
// plain file.
func copyRDB(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(from, ".zst") {
		dec, err := zstd.NewReader(nil)
		if err != nil {
			t.Fatal(err)
		}
		defer dec.Close()
		if b, err = dec.DecodeAll(b, nil); err != nil {
			t.Fatalf("decompress %s: %v", from, err)
		}
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// idSpec is plainSpec with a backup id, so that two specs (two servers)
// own the same backups in dest, and extra inside the target block.
func idSpec(t *testing.T, addr, conf, server, dest, extra string) string {
	t.Helper()
	return specWith(t, addr, conf, server, dest, "    id = \"moved\"\n", extra)
}

// checkResult runs check -json and returns the result named name.
func checkResult(t *testing.T, spec, name string) (status, message string) {
	t.Helper()
	cmd := exec.Command(cli, "check", "-json", "-config", spec)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	_ = cmd.Run() // the exit code is the worst status; the JSON says which
	var rep struct {
		Results []struct {
			Name    string `json:"name"`
			Status  string `json:"status"`
			Message string `json:"message"`
		} `json:"results"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("check -json: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	for _, r := range rep.Results {
		if r.Name == name {
			return r.Status, r.Message
		}
	}
	t.Fatalf("check -json has no %s result:\n%s", name, stdout.String())
	return "", ""
}

// TestCheckAlertsOnABackupItsServerCannotLoad: a backup Valkey 8.1 took
// (RDB version 11) is the newest of a Redis 7.0 target (the two specs
// share the backups through a backup id): check's backup_loadable is
// critical, naming both and what loads it; with backup_unloadable {
// severity = "warning" } it is a warning; once the Redis 7.0 server has a
// backup of its own, it is OK.
func TestCheckAlertsOnABackupItsServerCannotLoad(t *testing.T) {
	t.Parallel()
	all := byName(t, "redis-7.0", "valkey-8.1")
	dest := t.TempDir()
	v := all["valkey-8.1"]
	vaddr, vconf, _ := startDaemon(t, v, plainConf)
	fill(t, vaddr, "valkey")
	mustRun(t, "backup", "run", "-config", idSpec(t, vaddr, vconf, v.Server, dest, ""))

	r := all["redis-7.0"]
	addr, conf, _ := startDaemon(t, r, plainConf)
	spec := idSpec(t, addr, conf, r.Server, dest, "")
	status, msg := checkResult(t, spec, "backup_loadable")
	if status != "critical" {
		t.Errorf("backup_loadable of a Valkey %s backup on Redis %s: %s, want critical: %s", v.Version, r.Version, status, msg)
	}
	for _, want := range []string{"written by Valkey " + v.Version, "RDB version 11", "this server (Redis " + r.Version + ") cannot load (it loads up to version 10)", "Redis 7.2 or newer, Valkey 7.2 or newer"} {
		if !strings.Contains(msg, want) {
			t.Errorf("backup_loadable does not say %q: %s", want, msg)
		}
	}

	warnSpec := idSpec(t, addr, conf, r.Server, dest, "  alerts {\n    backup_unloadable {\n      severity = \"warning\"\n    }\n  }\n")
	if status, msg := checkResult(t, warnSpec, "backup_loadable"); status != "warning" {
		t.Errorf("backup_loadable with backup_unloadable { severity = \"warning\" }: %s, want warning: %s", status, msg)
	}

	// The same backups judged by the Valkey 8.1 server that took them.
	if status, msg := checkResult(t, idSpec(t, vaddr, vconf, v.Server, dest, ""), "backup_loadable"); status != "ok" {
		t.Errorf("backup_loadable on Valkey %s of its own backup: %s, want ok: %s", v.Version, status, msg)
	}

	// A backup of the Redis 7.0 server is now the newest: OK.
	mustRun(t, "backup", "run", "-config", spec)
	status, msg = checkResult(t, spec, "backup_loadable")
	if status != "ok" || !strings.Contains(msg, "RDB version 10, which Redis "+r.Version+" loads") {
		t.Errorf("backup_loadable after a backup of Redis %s: %s, want ok saying it loads RDB version 10: %s", r.Version, status, msg)
	}
}

// TestDrillRPORunsTheTargetsEngine: drill rpo crashes a scratch server of
// the target's own engine and release, found from the target's INFO (its
// executable) or the spec's start command, with no REDISPLAN_REDIS_SERVER
// and no such engine in PATH.
func TestDrillRPORunsTheTargetsEngine(t *testing.T) {
	t.Parallel()
	all := byName(t, "redis-8.0", "valkey-8.1")
	for _, name := range []string{"redis-8.0", "valkey-8.1"} {
		e := all[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			addr, conf, _ := startDaemon(t, e, plainConf)
			spec := plainSpec(t, addr, conf, e.Server, t.TempDir())
			cmd := exec.Command(cli, "drill", "rpo", "-config", spec, "-target", "main", "-runs", "1", "-duration", "400ms", "-json")
			cmd.Env = append(os.Environ(), "REDISPLAN_REDIS_SERVER=")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			_ = cmd.Run() // the spec sets no rpo: the report is what counts
			var rep struct {
				Server     string `json:"server"`
				Binary     string `json:"binary"`
				BinaryNote string `json:"binary_note"`
				Runs       []struct {
					Acknowledged int64 `json:"acknowledged"`
				} `json:"runs"`
			}
			if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
				t.Fatalf("drill rpo -json: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
			}
			want := e.Version
			if e.Kind == "valkey" {
				want = "valkey " + e.Version
			}
			if rep.Server != want || rep.BinaryNote != "" {
				t.Errorf("drill rpo of a %s target ran %q (%s), note %q; want %q\nstderr: %s", name, rep.Server, rep.Binary, rep.BinaryNote, want, stderr.String())
			}
			if len(rep.Runs) != 1 || rep.Runs[0].Acknowledged == 0 {
				t.Errorf("drill rpo runs = %+v, want one run with acknowledged writes\nstderr: %s", rep.Runs, stderr.String())
			}
		})
	}
}

// aofConf is a test server that persists with an AOF of commands only:
// no save points, no RDB preamble in the AOF's base.
func aofConf(port int, dir string) string {
	return serverConf(port, dir) + "save \"\"\nappendonly yes\nappendfsync always\naof-use-rdb-preamble no\n"
}

// aofPreambleConf is aofConf with the default RDB preamble in the base.
func aofPreambleConf(port int, dir string) string {
	return serverConf(port, dir) + "save \"\"\nappendonly yes\nappendfsync always\naof-use-rdb-preamble yes\n"
}

// includeSpec is plainSpec whose backups hold what include lists.
func includeSpec(t *testing.T, addr, conf, server, dest, include string) string {
	t.Helper()
	return specWith(t, addr, conf, server, dest, "    include = "+include+"\n", "")
}

// rewriteAOF runs BGREWRITEAOF and waits until it is done: what the AOF
// held is then in its base.
func rewriteAOF(t *testing.T, c *redis.Client) {
	t.Helper()
	ctx := context.Background()
	if err := c.Do(ctx, "BGREWRITEAOF").Err(); err != nil {
		t.Fatal(err)
	}
	if err := testwait.Until(20*time.Second, func() (bool, error) {
		info, err := c.Info(ctx, "persistence").Result()
		return err == nil && strings.Contains(info, "aof_rewrite_in_progress:0") && strings.Contains(info, "aof_rewrite_scheduled:0"), err
	}); err != nil {
		t.Fatal(err)
	}
}

// aofBackupOn fills a server of engine e started from config and takes an
// AOF-only backup of it; it returns the backup's ID, the destination and
// the digest of the data.
func aofBackupOn(t *testing.T, e engines.Engine, config func(int, string) string, include string) (id, dest, want string) {
	t.Helper()
	addr, conf, _ := startDaemon(t, e, config)
	fill(t, addr, e.Name)
	c := client(t, addr)
	// The fill is in the AOF's increment; a rewrite puts it in the base,
	// which is where the preamble (or its absence) shows.
	rewriteAOF(t, c)
	want = digest(t, c)
	dest = t.TempDir()
	mustRun(t, "backup", "run", "-config", includeSpec(t, addr, conf, e.Server, dest, include))
	entries, err := os.ReadDir(filepath.Join(dest, "main"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range entries {
		if d.IsDir() && !strings.HasPrefix(d.Name(), ".") {
			id = d.Name()
		}
	}
	if id == "" {
		t.Fatalf("no backup under %s", dest)
	}
	return id, dest, want
}

// TestRestoreAOFOnlyAcrossEngines: an AOF of commands (aof-use-rdb-preamble
// no) carries no RDB version, and an older engine replays it: Redis 8.0's
// into Redis 7.0 and Valkey 8.0, Valkey 8.1's into Redis 7.0, each with the
// same digest, when the restored server runs with appendonly yes. Into a
// server with appendonly no it is refused, saying to turn AOF on. An AOF
// whose base is an RDB preamble is refused like an RDB, and the refusal's
// advice is the one that works.
func TestRestoreAOFOnlyAcrossEngines(t *testing.T) {
	t.Parallel()
	all := byName(t, "redis-7.0", "redis-8.0", "valkey-8.0", "valkey-8.1")
	for _, tc := range []struct{ from, into string }{
		{"redis-8.0", "redis-7.0"},
		{"redis-8.0", "valkey-8.0"},
		{"valkey-8.1", "redis-7.0"},
	} {
		t.Run(tc.from+"-into-"+tc.into, func(t *testing.T) {
			t.Parallel()
			from, into := all[tc.from], all[tc.into]
			id, dest, want := aofBackupOn(t, from, aofConf, `["aof"]`)

			got := restoreOtherInto(t, into, aofConf, id, func(addr, conf string) string {
				return includeSpec(t, addr, conf, into.Server, dest, `["aof"]`)
			})
			if got != want {
				t.Errorf("the AOF-only backup of %s restored into %s: digest %s, want %s", tc.from, tc.into, got, want)
			}
		})
	}

	// With its RDB too, the backup restores from its AOF, and the RDB the
	// server could not load is left out rather than put where a start
	// with appendonly no would refuse it.
	t.Run("with-rdb", func(t *testing.T) {
		t.Parallel()
		id, dest, want := aofBackupOn(t, all["redis-8.0"], aofConf, `["rdb", "aof"]`)
		e := all["redis-7.0"]
		addr, conf, dir := startDaemon(t, e, aofConf)
		c := client(t, addr)
		out := mustRun(t, "restore", "-config", includeSpec(t, addr, conf, e.Server, dest, `["rdb", "aof"]`), "-target", "main", "-auto-approve", "-from-other-spec", id)
		if !strings.Contains(out, "did not restore dump.rdb: it has RDB version 12") {
			t.Errorf("the restore does not say it left out the RDB version 12:\n%s", out)
		}
		waitUp(t, c, dir)
		if got := digest(t, c); got != want {
			t.Errorf("Redis 8.0's AOF and RDB backup restored into Redis %s: digest %s, want %s", e.Version, got, want)
		}
		if _, err := os.Stat(filepath.Join(dir, "dump.rdb")); err == nil {
			t.Errorf("the restore put an RDB Redis %s cannot load into its data directory", e.Version)
		}
	})

	t.Run("appendonly-no", func(t *testing.T) {
		t.Parallel()
		id, dest, _ := aofBackupOn(t, all["redis-8.0"], aofConf, `["aof"]`)
		e := all["redis-7.0"]
		addr, conf, _ := startDaemon(t, e, plainConf)
		code, out := run(t, "restore", "-config", includeSpec(t, addr, conf, e.Server, dest, `["aof"]`), "-target", "main", "-auto-approve", "-from-other-spec", id)
		if code == 0 || !strings.Contains(out, "appendonly no") || !strings.Contains(out, "turn AOF on") {
			t.Errorf("restore of an AOF-only backup into a server with appendonly no: exit %d, want a refusal that says to turn AOF on:\n%s", code, out)
		}
	})

	t.Run("preamble", func(t *testing.T) {
		t.Parallel()
		from, e := all["valkey-8.1"], all["redis-7.0"]
		id, dest, _ := aofBackupOn(t, from, aofPreambleConf, `["aof"]`)
		addr, conf, _ := startDaemon(t, e, aofConf)
		c := client(t, addr)
		fill(t, addr, "keep")
		before := digest(t, c)
		code, out := run(t, "restore", "-config", includeSpec(t, addr, conf, e.Server, dest, `["aof"]`), "-target", "main", "-auto-approve", "-from-other-spec", id)
		if code == 0 {
			t.Fatalf("restore of a Valkey 8.1 AOF with an RDB preamble into Redis %s succeeded:\n%s", e.Version, out)
		}
		for _, want := range []string{"RDB version 11", "Nothing was touched", "aof-use-rdb-preamble no", "appendonly yes"} {
			if !strings.Contains(out, want) {
				t.Errorf("the refusal does not say %q:\n%s", want, out)
			}
		}
		if got := digest(t, c); got != before {
			t.Errorf("the refused restore changed the data")
		}
	})
}
