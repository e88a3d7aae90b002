package engines_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/backup/capture"
	"github.com/redisplan/redisplan/executors/server"
	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/engines"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/rdb"
	"github.com/redisplan/redisplan/internal/redisinfo"
	"github.com/redisplan/redisplan/internal/testwait"
)

// TestDurabilityOnEveryEngine checks, on every engine in parallel, the
// server behaviour redisplan's durability relies on and that differs
// between engines: the replication handshakes (Valkey 8's dual-channel and
// Redis 8's RDB channel are only used when a replica asks for them), the
// capture of the replication backup method with those settings on and
// off, the multi-part AOF layout a backup copies and a restore puts back,
// the SHUTDOWN options redisplan sends, the ACL lines the docs give, and
// the INFO fields redisplan reads.
func TestDurabilityOnEveryEngine(t *testing.T) {
	for _, e := range everyEngine(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			t.Run("handshake", func(t *testing.T) { t.Parallel(); handshakes(t, e) })
			t.Run("replication-capture", func(t *testing.T) { t.Parallel(); replicationCapture(t, e) })
			t.Run("aof-layout", func(t *testing.T) { t.Parallel(); aofLayout(t, e) })
			t.Run("shutdown", func(t *testing.T) { t.Parallel(); shutdownOptions(t, e) })
			t.Run("acl", func(t *testing.T) { t.Parallel(); aclLines(t, e) })
			t.Run("info-fields", func(t *testing.T) { t.Parallel(); infoFields(t, e) })
		})
	}
}

// dualChannel is the Valkey setting of dual-channel replication.
const dualChannel = "dual-channel-replication-enabled"

// respCommand writes one command in RESP.
func respCommand(w io.Writer, args ...string) error {
	s := fmt.Sprintf("*%d\r\n", len(args))
	for _, a := range args {
		s += fmt.Sprintf("$%d\r\n%s\r\n", len(a), a)
	}
	_, err := io.WriteString(w, s)
	return err
}

// psyncReply sends REPLCONF capa for each of capas, and PSYNC ? -1, on a
// connection of its own, and returns the first line of the answer.
func psyncReply(t *testing.T, addr string, capas ...string) string {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(nc)
	for _, c := range capas {
		if err := respCommand(nc, "REPLCONF", "capa", c); err != nil {
			t.Fatal(err)
		}
		if line, err := r.ReadString('\n'); err != nil || line != "+OK\r\n" {
			t.Fatalf("REPLCONF capa %s: %q, %v", c, line, err)
		}
	}
	if err := respCommand(nc, "PSYNC", "?", "-1"); err != nil {
		t.Fatal(err)
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("PSYNC: %v", err)
		}
		// A primary sends newlines to keep the link alive while it
		// prepares the RDB.
		if line = strings.TrimRight(line, "\r\n"); line != "" {
			return line
		}
	}
}

// handshakes: a replica that does not ask for dual-channel (Valkey 8) or
// RDB-channel (Redis 8) replication gets the classic +FULLRESYNC and the
// RDB on its own connection, whatever the primary's settings; one that
// asks gets +DUALCHANNELSYNC from Valkey with dual-channel-replication
// enabled, and +RDBCHANNELSYNC <client id> from Redis 8.
func handshakes(t *testing.T, e engines.Engine) {
	config := "repl-diskless-sync yes\nrepl-diskless-sync-delay 0\n"
	if e.Kind == "valkey" {
		config += dualChannel + " yes\n"
	}
	s := servertest.Start(t, servertest.Options{Binary: e.Server, Config: config})
	s.Client(t).Set(context.Background(), "k", "v", 0)

	plain := psyncReply(t, s.Addr(), "eof", "psync2")
	if !strings.HasPrefix(plain, "+FULLRESYNC ") {
		t.Errorf("%s: PSYNC without asking for another channel: %q, want +FULLRESYNC", e.Name, plain)
	}
	dual := psyncReply(t, s.Addr(), "eof", "psync2", "dual-channel")
	rdbCh := psyncReply(t, s.Addr(), "eof", "psync2", "rdb-channel-repl")
	switch {
	case e.Kind == "valkey":
		if dual != "+DUALCHANNELSYNC" {
			t.Errorf("%s with %s yes: PSYNC after capa dual-channel: %q, want +DUALCHANNELSYNC", e.Name, dualChannel, dual)
		}
		if !strings.HasPrefix(rdbCh, "+FULLRESYNC ") {
			t.Errorf("%s: PSYNC after capa rdb-channel-repl (Redis 8's): %q, want +FULLRESYNC", e.Name, rdbCh)
		}
	case e.Series() == "8.0":
		if !strings.HasPrefix(rdbCh, "+RDBCHANNELSYNC ") {
			t.Errorf("%s: PSYNC after capa rdb-channel-repl: %q, want +RDBCHANNELSYNC <client id>", e.Name, rdbCh)
		}
		if !strings.HasPrefix(dual, "+FULLRESYNC ") {
			t.Errorf("%s: PSYNC after capa dual-channel (Valkey's): %q, want +FULLRESYNC", e.Name, dual)
		}
	default:
		for _, got := range []string{dual, rdbCh} {
			if !strings.HasPrefix(got, "+FULLRESYNC ") {
				t.Errorf("%s: PSYNC after an unknown capa: %q, want +FULLRESYNC", e.Name, got)
			}
		}
	}
}

// replicationCapture runs the replication backup method's capture against
// the engine with diskless sync on and off, and on Valkey with
// dual-channel replication on and off: the stream is a whole RDB of the
// engine's version, and loaded into a server of the same engine it gives
// the same digest.
func replicationCapture(t *testing.T, e engines.Engine) {
	variants := []string{"repl-diskless-sync yes\n", "repl-diskless-sync no\n"}
	if e.Kind == "valkey" {
		variants = append(variants, dualChannel+" yes\nrepl-diskless-sync yes\n", dualChannel+" yes\nrepl-diskless-sync no\n", dualChannel+" no\nrepl-diskless-sync yes\n")
	}
	for _, v := range variants {
		name := strings.ReplaceAll(strings.TrimSpace(v), "\n", ",")
		t.Run(strings.ReplaceAll(name, " ", "="), func(t *testing.T) {
			t.Parallel()
			src := servertest.Start(t, servertest.Options{Binary: e.Server, Config: v + "repl-diskless-sync-delay 0\nenable-debug-command local\n"})
			fill(t, src.Addr(), "capture")
			want := digest(t, src.Client(t))

			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			rc, err := capture.Replication(ctx, model.Connection{Address: src.Addr()})
			if err != nil {
				t.Fatalf("%s (%s): replication capture: %v\n%s", e.Name, name, err, src.Log())
			}
			data, err := io.ReadAll(rc)
			if cerr := rc.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				t.Fatalf("%s (%s): read the replication stream: %v\n%s", e.Name, name, err, src.Log())
			}
			info, err := rdb.Verify(strings.NewReader(string(data)))
			if err != nil || info.Version != rdbVersions[e.Name] {
				t.Fatalf("%s (%s): the captured stream: RDB version %d, %v; want a whole RDB of version %d", e.Name, name, info.Version, err, rdbVersions[e.Name])
			}

			dst := servertest.Start(t, servertest.Options{Binary: e.Server, Config: "enable-debug-command local\n"})
			if err := os.WriteFile(filepath.Join(dst.Dir(), "dump.rdb"), data, 0o600); err != nil {
				t.Fatal(err)
			}
			c := dst.Client(t)
			if err := c.Do(ctx, "DEBUG", "RELOAD", "NOSAVE").Err(); err != nil {
				t.Fatalf("%s: DEBUG RELOAD NOSAVE of the captured RDB: %v", e.Name, err)
			}
			if got := digest(t, c); got != want {
				t.Errorf("%s (%s): the captured RDB loads with digest %s, want %s", e.Name, name, got, want)
			}
		})
	}
}

// aofLayout: the multi-part AOF each engine writes (a manifest listing a
// base with an RDB preamble and an increment) is what a backup with
// include = ["aof"] stores, under the engine's own names, and what a
// restore puts back: the restored server loads those files, with the
// backup's digest.
func aofLayout(t *testing.T, e engines.Engine) {
	addr, conf, dir := startDaemon(t, e, aofPreambleConf)
	c := client(t, addr)
	ctx := context.Background()
	fill(t, addr, "base")
	rewriteAOF(t, c)
	// Writes after the rewrite go to the increment.
	fill(t, addr, "incr")
	want := digest(t, c)

	aofDir := filepath.Join(dir, "appendonlydir")
	live := aofManifest(t, aofDir)
	// Redis 8.0 adds "startoffset N" to the increment's line (its
	// replication offset where the file starts); the others do not.
	if len(live) != 2 || !strings.HasSuffix(fileOf(live[0]), ".base.rdb") || !strings.Contains(live[0], " type b") ||
		!strings.HasSuffix(fileOf(live[1]), ".incr.aof") || !strings.Contains(live[1], " type i") {
		t.Fatalf("%s writes the AOF manifest %q; want a base .rdb (preamble) and an increment", e.Name, live)
	}
	if got := strings.Contains(live[1], " startoffset "); got != (e.Kind == "redis" && e.Series() == "8.0") {
		t.Errorf("%s: the increment's manifest line %q has a startoffset: %v", e.Name, live[1], got)
	}

	dest := t.TempDir()
	spec := includeSpec(t, addr, conf, e.Server, dest, `["aof"]`)
	mustRun(t, "backup", "run", "-config", spec)
	var m struct {
		Files []struct {
			Kind     string `json:"kind"`
			Original string `json:"original"`
		} `json:"files"`
	}
	readManifest(t, dest, &m)
	var stored []string
	for _, f := range m.Files {
		stored = append(stored, f.Kind+" "+f.Original)
	}
	slices.Sort(stored)
	wantStored := []string{"aof-base appendonlydir/" + fileOf(live[0]), "aof-incr appendonlydir/" + fileOf(live[1]), "aof-manifest appendonlydir/appendonly.aof.manifest"}
	if !slices.Equal(stored, wantStored) {
		t.Errorf("%s: the backup stores %q, want %q", e.Name, stored, wantStored)
	}

	fill(t, addr, "after")
	mustRun(t, "restore", "-config", spec, "-target", "main", "-latest", "-auto-approve")
	waitUp(t, c, dir)
	if got := digest(t, c); got != want {
		t.Errorf("%s: after the restore of the AOF backup the digest is %s, want %s", e.Name, got, want)
	}
	if restored := aofManifest(t, aofDir); !slices.Equal(restored, live) {
		t.Errorf("%s: the restored AOF manifest is %q, want the backup's %q", e.Name, restored, live)
	}
	if info, err := c.Info(ctx, "persistence").Result(); err != nil || !strings.Contains(info, "aof_enabled:1") {
		t.Errorf("%s: after the restore AOF is not on: %v\n%s", e.Name, err, info)
	}
}

// aofManifest returns the lines of the AOF manifest in dir that name a
// file, as "file NAME seq N type T".
func aofManifest(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "appendonly.aof.manifest"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		out = append(out, strings.TrimSpace(l))
	}
	return out
}

// fileOf is the file name in a manifest line.
func fileOf(line string) string {
	f := strings.Fields(line)
	if len(f) < 2 {
		return ""
	}
	return f[1]
}

// readManifest decodes the one manifest.json under dest into v.
func readManifest(t *testing.T, dest string, v any) {
	t.Helper()
	var found string
	_ = filepath.WalkDir(dest, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Name() == "manifest.json" {
			found = p
		}
		return nil
	})
	raw, err := os.ReadFile(found)
	if err != nil {
		t.Fatalf("no manifest.json under %s: %v", dest, err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatal(err)
	}
}

// shutdownOptions: the SHUTDOWN forms redisplan sends (executors/server
// Shutdown): SAVE writes the RDB even with no save points, NOSAVE writes
// none even with them, NOSAVE NOW FORCE stops the server, and ABORT, with
// no shutdown under way, is an error reply, not an unknown option.
func shutdownOptions(t *testing.T, e engines.Engine) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, tc := range []struct {
		config string
		args   []any
		saved  bool
	}{
		{"save \"\"\n", []any{"SHUTDOWN", "SAVE"}, true},
		{"save 3600 1\n", []any{"SHUTDOWN", "NOSAVE"}, false},
		{"save 3600 1\n", []any{"SHUTDOWN", "NOSAVE", "NOW", "FORCE"}, false},
	} {
		s := servertest.Start(t, servertest.Options{Binary: e.Server, Config: tc.config})
		c := s.Client(t)
		c.Set(ctx, "k", "v", 0)
		if tc.args[1] == "SAVE" {
			err := c.Do(ctx, "SHUTDOWN", "ABORT").Err()
			if err == nil || strings.Contains(strings.ToLower(err.Error()), "syntax") {
				t.Errorf("%s: SHUTDOWN ABORT with no shutdown under way: %v, want an error reply that is not a syntax error", e.Name, err)
			}
		}
		if err := server.Shutdown(ctx, server.NewClient(s.Addr(), "", nil), tc.args...); err != nil {
			t.Errorf("%s: %v refused: %v", e.Name, tc.args, err)
			continue
		}
		if err := server.WaitGone(ctx, s.Addr(), "tcp", s.Addr()); err != nil {
			t.Errorf("%s: after %v: %v", e.Name, tc.args, err)
		}
		_, err := os.Stat(filepath.Join(s.Dir(), "dump.rdb"))
		if saved := err == nil; saved != tc.saved {
			t.Errorf("%s: after %v dump.rdb exists: %v, want %v", e.Name, tc.args, saved, tc.saved)
		}
	}
}

// aclLines: the ACL lines the docs give work on every engine: an
// application user with +@all -@dangerous (docs/rules/RP011.md) cannot run
// FLUSHALL, FLUSHDB, CONFIG, KEYS or DEBUG but writes; a user with
// +config|get +config|set +config|rewrite (docs/rules/RP002.md) runs
// those; a user with +sync +replconf alone (docs/backup.md) takes a
// replication backup.
func aclLines(t *testing.T, e engines.Engine) {
	s := servertest.Start(t, servertest.Options{Binary: e.Server, Config: "enable-debug-command yes\n"})
	ctx := context.Background()
	admin := s.Client(t)
	for _, line := range [][]any{
		{"ACL", "SETUSER", "app", "on", ">app-secret", "~*", "&*", "+@all", "-@dangerous"},
		{"ACL", "SETUSER", "cfg", "on", ">cfg-secret", "+config|get", "+config|set", "+config|rewrite"},
		{"ACL", "SETUSER", "repl", "on", ">repl-secret", "+sync", "+replconf"},
	} {
		if err := admin.Do(ctx, line...).Err(); err != nil {
			t.Fatalf("%s: %v: %v", e.Name, line, err)
		}
	}
	as := func(user, pw string) *redis.Client {
		c := redis.NewClient(&redis.Options{Addr: s.Addr(), Username: user, Password: pw, Protocol: 2, DisableIdentity: true, MaxRetries: -1})
		t.Cleanup(func() { c.Close() })
		return c
	}
	app := as("app", "app-secret")
	if err := app.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Errorf("%s: the application user cannot SET: %v", e.Name, err)
	}
	for _, cmd := range [][]any{{"FLUSHALL"}, {"FLUSHDB"}, {"CONFIG", "GET", "maxmemory"}, {"KEYS", "*"}, {"DEBUG", "DIGEST"}} {
		if err := app.Do(ctx, cmd...).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOPERM") {
			t.Errorf("%s: the +@all -@dangerous user runs %v: %v, want NOPERM", e.Name, cmd, err)
		}
	}
	cfg := as("cfg", "cfg-secret")
	for _, cmd := range [][]any{{"CONFIG", "GET", "maxmemory"}, {"CONFIG", "SET", "maxmemory", "100mb"}, {"CONFIG", "REWRITE"}} {
		if err := cfg.Do(ctx, cmd...).Err(); err != nil {
			t.Errorf("%s: the +config|get +config|set +config|rewrite user: %v: %v", e.Name, cmd, err)
		}
	}
	rc, err := capture.Replication(ctx, model.Connection{Address: s.Addr(), Username: "repl", Password: "repl-secret"})
	if err != nil {
		t.Fatalf("%s: replication capture as a +sync +replconf user: %v", e.Name, err)
	}
	n, err := io.Copy(io.Discard, rc)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	if err != nil || n == 0 {
		t.Errorf("%s: replication capture as a +sync +replconf user read %d bytes: %v", e.Name, n, err)
	}
}

// infoPrimary are INFO fields (of the default sections) that redisplan
// reads on every server: check, backup, restore, plan and drills.
var infoPrimary = []string{
	"redis_version", "run_id", "process_id", "executable", "config_file", "uptime_in_seconds", "server_time_usec",
	"connected_clients", "blocked_clients", "used_memory", "maxmemory", "mem_fragmentation_ratio", "mem_fragmentation_bytes",
	"loading", "rdb_changes_since_last_save", "rdb_bgsave_in_progress", "rdb_last_save_time", "rdb_last_bgsave_status",
	"rdb_last_bgsave_time_sec", "rdb_current_bgsave_time_sec", "rdb_saves", "aof_enabled", "aof_rewrite_in_progress",
	"aof_rewrite_scheduled", "aof_last_bgrewrite_status", "aof_last_write_status", "aof_rewrites", "aof_rewrites_consecutive_failures",
	"rejected_connections", "evicted_keys", "role", "connected_slaves", "master_replid", "master_repl_offset",
}

// infoReplica are the fields redisplan reads on a replica.
var infoReplica = []string{"master_host", "master_port", "master_link_status", "master_last_io_seconds_ago", "master_sync_in_progress", "slave_repl_offset"}

// infoFields: every engine reports the fields redisplan reads under the
// same names (Valkey 8 too, although it calls replicas replicas
// elsewhere), with role master/slave and the replica listed as slave0 with
// ip, port, state and offset; Valkey adds server_name and valkey_version.
func infoFields(t *testing.T, e engines.Engine) {
	primary := servertest.Start(t, servertest.Options{Binary: e.Server, Config: "appendonly yes\n"})
	replica := servertest.Start(t, servertest.Options{Binary: e.Server, Config: fmt.Sprintf("replicaof 127.0.0.1 %d\n", primary.Port())})
	ctx := context.Background()
	primary.Client(t).Set(ctx, "k", "v", 0)
	var p, r map[string]string
	if err := testwait.Until(20*time.Second, func() (bool, error) {
		pi, err := primary.Client(t).Info(ctx).Result()
		if err != nil {
			return false, err
		}
		ri, err := replica.Client(t).Info(ctx).Result()
		if err != nil {
			return false, err
		}
		p, r = redisinfo.Parse(pi), redisinfo.Parse(ri)
		return r["master_link_status"] == "up" && strings.Contains(p["slave0"], "state=online"), nil
	}); err != nil {
		t.Fatalf("%s: the replica did not come online: %v\nprimary slave0 %q, replica link %q", e.Name, err, p["slave0"], r["master_link_status"])
	}
	for _, f := range infoPrimary {
		if _, ok := p[f]; !ok {
			t.Errorf("%s: INFO has no %s", e.Name, f)
		}
	}
	for _, f := range infoReplica {
		if _, ok := r[f]; !ok {
			t.Errorf("%s: INFO of a replica has no %s", e.Name, f)
		}
	}
	if p["role"] != "master" || r["role"] != "slave" {
		t.Errorf("%s: INFO role %q and %q, want master and slave", e.Name, p["role"], r["role"])
	}
	slave := redisinfo.Values(p["slave0"])
	for _, k := range []string{"ip", "port", "state", "offset"} {
		if slave[k] == "" {
			t.Errorf("%s: INFO slave0 %q has no %s", e.Name, p["slave0"], k)
		}
	}
	if e.Kind == "valkey" && (p["server_name"] != "valkey" || p["valkey_version"] != e.Version) {
		t.Errorf("%s: INFO server_name %q valkey_version %q", e.Name, p["server_name"], p["valkey_version"])
	}
	if ks := redisinfo.Keyspace(p); ks[0].Keys != 1 {
		t.Errorf("%s: INFO keyspace %v, want db0 with 1 key", e.Name, ks)
	}
}
