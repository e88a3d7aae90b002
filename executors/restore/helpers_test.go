package restore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/executors/server"
	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/internal/redisinfo"
)

// testTimeout bounds every test's calls, so that a hung server fails the
// test instead of the whole run. Nothing asserts how long a call takes.
const testTimeout = 3 * time.Minute

// testLoadTimeout is the restores' LoadTimeout: a server that died is
// noticed through its pidfile long before.
const testLoadTimeout = time.Minute

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// daemon is a redis-server that daemonizes itself, as a service manager
// would run it: Restore stops and starts it through SHUTDOWN and its
// service start command, so the servertest harness (which owns its
// processes) cannot run it.
type daemon struct {
	bin      string
	conf     string
	dataDir  string
	pidfile  string
	logfile  string
	port     int
	password string

	pids *servertest.Pidfile // every process seen, killed when the test ends
}

// startDaemon writes a redis.conf (with extra appended) into a new
// directory, with the data in its data/ subdirectory, starts the server
// and waits until it is ready. Every process it or a restore started is
// killed with SIGKILL when the test ends, passed or failed.
func startDaemon(t *testing.T, extra string) *daemon {
	t.Helper()
	bin := servertest.Binary(t)
	root := t.TempDir()
	d := &daemon{
		bin:     bin,
		conf:    filepath.Join(root, "redis.conf"),
		dataDir: filepath.Join(root, "data"),
		pidfile: filepath.Join(root, "redis.pid"),
		logfile: filepath.Join(root, "redis.log"),
		port:    servertest.FreePort(t),
	}
	if err := os.Mkdir(d.dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(extra, "requirepass ") {
		d.password = strings.Fields(extra[strings.Index(extra, "requirepass "):])[1]
	}
	conf := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %q\ndaemonize yes\npidfile %q\nlogfile %q\nsave \"\"\n%s",
		d.port, d.dataDir, d.pidfile, d.logfile, extra)
	if err := os.WriteFile(d.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	// Registered after t.TempDir, so it runs before the directory is
	// removed.
	d.pids = servertest.WatchPidfile(t, d.pidfile)
	d.start(t)
	return d
}

// start runs the service start command and waits until the server is
// ready.
func (d *daemon) start(t *testing.T) {
	t.Helper()
	ctx := testContext(t)
	if out, err := exec.CommandContext(ctx, d.bin, d.conf).CombinedOutput(); err != nil {
		t.Fatalf("start %s %s: %v\n%s\n%s", d.bin, d.conf, err, out, d.log())
	}
	if _, err := live.WaitReady(ctx, d.connection()); err != nil {
		d.notePID()
		t.Fatalf("redis-server did not become ready: %v\n%s", err, d.log())
	}
	d.notePID()
}

// restart stops the server with a plain SHUTDOWN and starts it again.
func (d *daemon) restart(t *testing.T) {
	t.Helper()
	ctx := testContext(t)
	d.notePID()
	c := d.client(t, 0)
	// The connection closing is success; a reply is a refusal.
	if err := server.Shutdown(ctx, c, "SHUTDOWN"); err != nil {
		t.Fatalf("SHUTDOWN: %v", err)
	}
	network, addr := server.Address(d.connection())
	if err := server.WaitGone(ctx, d.addr(), network, addr); err != nil {
		t.Fatal(err)
	}
	d.start(t)
}

func (d *daemon) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(d.port)) }

func (d *daemon) connection() model.Connection {
	return model.Connection{Address: d.addr(), Password: d.password, Timeout: 10 * time.Second}
}

// target returns the restore target for the daemon.
func (d *daemon) target() *model.Target {
	return &model.Target{
		Name:       "main",
		Connection: d.connection(),
		ConfigFile: d.conf,
		Service:    &model.Service{Start: []string{d.bin, d.conf}},
	}
}

func (d *daemon) client(t *testing.T, db int) *redis.Client {
	t.Helper()
	return dbClient(t, d.connection(), db)
}

func (d *daemon) log() string {
	b, _ := os.ReadFile(d.logfile)
	return "--- redis.log ---\n" + string(b)
}

// notePID remembers the process named in the pidfile.
func (d *daemon) notePID() { d.pids.Note() }

// serverConn is the connection to a servertest server.
func serverConn(s *servertest.Server) model.Connection {
	return model.Connection{Address: s.Addr(), Timeout: 10 * time.Second}
}

// dbClient returns a client for one database, closed when the test ends.
func dbClient(t *testing.T, conn model.Connection, db int) *redis.Client {
	t.Helper()
	conn.DB = db
	c, err := live.Dial(conn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// fillData writes keys of every type into the given databases: strings
// (raw and integer), small and large hashes, lists, sets (intset and
// hashtable), sorted sets, a stream with a consumer group, and keys with a
// TTL. variant changes every value, and the key names partly.
func fillData(t *testing.T, conn model.Connection, variant string, dbs ...int) {
	t.Helper()
	ctx := testContext(t)
	for _, db := range dbs {
		c := dbClient(t, conn, db)
		p := c.Pipeline()
		v := func(s string, i int) string { return fmt.Sprintf("%s-%s-%d-db%d", variant, s, i, db) }
		for i := range 40 {
			p.Set(ctx, fmt.Sprintf("str:%d", i), v("str", i), 0)
		}
		p.Set(ctx, "str:"+variant, v("only", 0), 0)
		p.Set(ctx, "counter", 1000+db+len(variant), 0)
		p.Set(ctx, "big", strings.Repeat(v("big", 0), 200), 0)
		p.HSet(ctx, "hash:small", "a", v("h", 1), "b", v("h", 2), "n", 7)
		for i := range 300 {
			p.HSet(ctx, "hash:big", fmt.Sprintf("f%d", i), v("hb", i))
		}
		for i := range 5 {
			p.RPush(ctx, "list:small", v("l", i))
		}
		for i := range 600 {
			p.RPush(ctx, "list:big", v("lb", i))
		}
		p.SAdd(ctx, "set:ints", 1, 2, 3, 100+db)
		for i := range 200 {
			p.SAdd(ctx, "set:big", v("s", i))
		}
		p.ZAdd(ctx, "zset:small", redis.Z{Score: 1.5, Member: v("z", 1)}, redis.Z{Score: -2, Member: v("z", 2)})
		for i := range 200 {
			p.ZAdd(ctx, "zset:big", redis.Z{Score: float64(i) / 3, Member: v("zb", i)})
		}
		for i := range 20 {
			p.XAdd(ctx, &redis.XAddArgs{Stream: "stream", ID: fmt.Sprintf("%d-%d", 1700000000000+i, db), Values: []any{"n", i, "v", v("x", i)}})
		}
		p.XGroupCreate(ctx, "stream", "readers-"+variant, "0")
		for i := range 10 {
			p.Set(ctx, fmt.Sprintf("ttl:%d", i), v("ttl", i), time.Hour)
		}
		p.HSet(ctx, "hash:ttl", "f", v("ht", 0))
		p.Expire(ctx, "hash:ttl", 2*time.Hour)
		if _, err := p.Exec(ctx); err != nil {
			t.Fatalf("fill db%d: %v", db, err)
		}
	}
}

// snapshot returns every key of every database with its type, value and
// whether it has a TTL, as comparable strings.
func snapshot(t *testing.T, conn model.Connection) map[string]string {
	t.Helper()
	ctx := testContext(t)
	c0 := dbClient(t, conn, 0)
	info, err := live.Info(ctx, c0, "keyspace")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for db := range redisinfo.Keyspace(info) {
		c := dbClient(t, conn, db)
		keys, err := c.Keys(ctx, "*").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			out[fmt.Sprintf("db%d/%s", db, k)] = describe(t, ctx, c, k)
		}
	}
	return out
}

// describe renders one key: type, value, TTL presence.
func describe(t *testing.T, ctx context.Context, c *redis.Client, key string) string {
	t.Helper()
	typ, err := c.Type(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	var val string
	switch typ {
	case "string":
		val, err = c.Get(ctx, key).Result()
	case "hash":
		var m map[string]string
		m, err = c.HGetAll(ctx, key).Result()
		val = sortedMap(m)
	case "list":
		var l []string
		l, err = c.LRange(ctx, key, 0, -1).Result()
		val = fmt.Sprintf("%q", l)
	case "set":
		var l []string
		l, err = c.SMembers(ctx, key).Result()
		slices.Sort(l)
		val = fmt.Sprintf("%q", l)
	case "zset":
		var l []redis.Z
		l, err = c.ZRangeWithScores(ctx, key, 0, -1).Result()
		val = fmt.Sprint(l)
	case "stream":
		var msgs []redis.XMessage
		msgs, err = c.XRange(ctx, key, "-", "+").Result()
		var b strings.Builder
		for _, m := range msgs {
			fmt.Fprintf(&b, "%s{%s}", m.ID, sortedAny(m.Values))
		}
		groups, gerr := c.XInfoGroups(ctx, key).Result()
		if gerr != nil {
			t.Fatal(gerr)
		}
		for _, g := range groups {
			fmt.Fprintf(&b, " group %s last %s", g.Name, g.LastDeliveredID)
		}
		val = b.String()
	default:
		t.Fatalf("key %s has unexpected type %s", key, typ)
	}
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	ttl, err := c.PTTL(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s %s ttl=%v", typ, val, ttl > 0)
}

func sortedMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%q=%q ", k, m[k])
	}
	return b.String()
}

func sortedAny(m map[string]any) string {
	s := map[string]string{}
	for k, v := range m {
		s[k] = fmt.Sprint(v)
	}
	return sortedMap(s)
}

// keyspace reads INFO keyspace.
func keyspace(t *testing.T, conn model.Connection) map[int]backup.DBStats {
	t.Helper()
	ctx := testContext(t)
	info, err := live.Info(ctx, dbClient(t, conn, 0), "keyspace")
	if err != nil {
		t.Fatal(err)
	}
	return redisinfo.Keyspace(info)
}

// saveNow runs SAVE.
func saveNow(t *testing.T, conn model.Connection) {
	t.Helper()
	if err := dbClient(t, conn, 0).Save(testContext(t)).Err(); err != nil {
		t.Fatalf("SAVE: %v", err)
	}
}

// flushAll empties the server.
func flushAll(t *testing.T, conn model.Connection) {
	t.Helper()
	if err := dbClient(t, conn, 0).FlushAll(testContext(t)).Err(); err != nil {
		t.Fatalf("FLUSHALL: %v", err)
	}
}

// rdbBackup copies dataDir/dump.rdb into a backup directory of its own
// and returns it as a Source, with the server's keyspace as the
// manifest's.
func rdbBackup(t *testing.T, conn model.Connection, dataDir string) Source {
	t.Helper()
	dir := t.TempDir()
	f := copyArtifact(t, dataDir, dir, "dump.rdb", backup.KindRDB)
	return newSource(t, conn, dir, []backup.File{f}, false)
}

// aofBackup copies the files the AOF manifest in dataDir/appendonlydir
// lists (and the manifest) into a backup directory of its own.
func aofBackup(t *testing.T, conn model.Connection, dataDir string) Source {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "appendonlydir"), 0o700); err != nil {
		t.Fatal(err)
	}
	content, err := os.ReadFile(filepath.Join(dataDir, "appendonlydir", "appendonly.aof.manifest"))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := parseAOFManifest(content)
	if err != nil {
		t.Fatal(err)
	}
	var files []backup.File
	for _, e := range entries {
		kind := map[string]string{"b": backup.KindAOFBase, "i": backup.KindAOFIncr}[e.typ]
		if kind == "" {
			continue
		}
		files = append(files, copyArtifact(t, dataDir, dir, "appendonlydir/"+e.name, kind))
	}
	files = append(files, copyArtifact(t, dataDir, dir, "appendonlydir/appendonly.aof.manifest", backup.KindAOFManifest))
	return newSource(t, conn, dir, files, true)
}

// copyArtifact copies one server file into the backup directory.
func copyArtifact(t *testing.T, from, to, original, kind string) backup.File {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(from, original))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(to, original), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return backup.File{Name: original, Original: original, Kind: kind, RawSize: int64(len(b)), Compression: "none"}
}

// newSource builds the manifest and a Source that reads the copies.
func newSource(t *testing.T, conn model.Connection, dir string, files []backup.File, aof bool) Source {
	t.Helper()
	m := &backup.Manifest{
		Version:      backup.ManifestVersion,
		ID:           "20260101T030000Z",
		Target:       "main",
		Method:       "bgsave",
		RedisVersion: servertest.Version(t),
		Keyspace:     keyspace(t, conn),
		AOFEnabled:   aof,
		Files:        files,
	}
	return Source{Manifest: m, Open: func(ctx context.Context, f backup.File) (io.ReadCloser, error) {
		return os.Open(filepath.Join(dir, filepath.FromSlash(f.Name)))
	}}
}

// withBytes returns a copy of src whose file of the given kind reads as
// edit makes it (its manifest size follows, as if the backup had been
// made from those bytes).
func withBytes(t *testing.T, src Source, kind string, edit func([]byte) []byte) Source {
	t.Helper()
	m := *src.Manifest
	m.Files = slices.Clone(m.Files)
	m.Keyspace = cloneKeyspace(src.Manifest.Keyspace)
	var edited []byte
	for i, f := range m.Files {
		if f.Kind != kind {
			continue
		}
		rc, err := src.Open(t.Context(), f)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		edited = edit(b)
		m.Files[i].RawSize = int64(len(edited))
	}
	if edited == nil {
		t.Fatalf("the backup has no %s file", kind)
	}
	return Source{Manifest: &m, Open: func(ctx context.Context, f backup.File) (io.ReadCloser, error) {
		if f.Kind == kind {
			return io.NopCloser(bytes.NewReader(edited)), nil
		}
		return src.Open(ctx, f)
	}}
}

// unloadable turns an RDB into one that passes every check made while a
// backup is staged (the header, the EOF marker at the end, and a CRC-64
// of zero, as rdbchecksum no writes) but that Redis refuses to load: the
// first opcode after the header is a type no release knows.
func unloadable(b []byte) []byte {
	b = bytes.Clone(b)
	b[9] = 0x7f
	clear(b[len(b)-8:])
	return b
}

func cloneKeyspace(k map[int]backup.DBStats) map[int]backup.DBStats {
	out := make(map[int]backup.DBStats, len(k))
	for db, s := range k {
		out[db] = s
	}
	return out
}

// recorder collects events.
type recorder struct {
	mu     sync.Mutex
	events []progress.Event
}

func (r *recorder) emit(e progress.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) has(kind progress.Level, substr string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.events {
		if e.Level == kind && strings.Contains(e.Message, substr) {
			return true
		}
	}
	return false
}

// doneBytes is the bytes of each file that the last (Done) event of
// operation's phase reported. A file reported Done twice counts twice, so
// that a pass that read a file twice does not add up.
func (r *recorder) doneBytes(operation, phase string) map[string]int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return progress.DoneBytes(r.events, operation, phase)
}

// rawSizes is the raw size of each file of m, by original name.
func rawSizes(m *backup.Manifest) map[string]int64 {
	out := map[string]int64{}
	for _, f := range m.Files {
		out[f.Original] += f.RawSize
	}
	return out
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, e := range r.events {
		if e.IsBytes() {
			fmt.Fprintf(&b, "  %s %s: %d of %d bytes (done %v)\n", e.Phase, e.File, e.Bytes, e.Total, e.Done)
			continue
		}
		fmt.Fprintf(&b, "  %s: %s\n", e.Level, e.Message)
	}
	return b.String()
}

// mustContain fails the test when the error is nil or its text lacks any
// of the parts.
func mustContain(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", parts)
	}
	t.Logf("error: %v", err)
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}

// noTempFiles fails when a restore left a temp file in dir or below.
func noTempFiles(t *testing.T, dir string) {
	t.Helper()
	_ = filepath.WalkDir(dir, func(path string, e os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(e.Name(), tempPrefix) {
			t.Errorf("temp file left behind: %s", path)
		}
		return nil
	})
}
