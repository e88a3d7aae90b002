package check

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/backup/file"
	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/redisinfo"
	"github.com/redisplan/redisplan/internal/testwait"
)

// liveTimeout bounds every live test's calls and waits, so that a hung
// server fails the test instead of the whole run. Nothing asserts how long
// anything takes.
const liveTimeout = 60 * time.Second

func liveContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), liveTimeout)
	t.Cleanup(cancel)
	return ctx
}

// persistentConfig is the redis.conf fragment of a server with RDB
// snapshots and AOF, matching persistentTarget.
const persistentConfig = "save 3600 1 300 100\nappendonly yes\nappendfsync everysec\nlatency-monitor-threshold 100\n"

// persistentTarget is the spec of a server started with persistentConfig.
func persistentTarget(s *servertest.Server) *model.Target {
	return &model.Target{
		Name:       "main",
		Connection: model.Connection{Address: s.Addr(), Timeout: 5 * time.Second},
		Directives: []model.Directive{
			{Name: "appendfsync", Value: "everysec"},
			{Name: "appendonly", Value: "yes"},
			{Name: "latency-monitor-threshold", Value: "100"},
			{Name: "save", Value: "3600 1 300 100"},
		},
	}
}

// plainTarget is the spec of a server started without persistence.
func plainTarget(s *servertest.Server) *model.Target {
	return &model.Target{Name: "main", Connection: model.Connection{Address: s.Addr(), Timeout: 5 * time.Second}}
}

// commitBackup stores a small complete backup in s.
func commitBackup(t *testing.T, s backup.Storage, finished time.Time, verified bool) {
	t.Helper()
	ctx := liveContext(t)
	id := finished.UTC().Format("20060102T150405Z")
	p, err := s.Begin(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	w, err := p.Create(ctx, "dump.rdb")
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("REDIS0010 test payload")
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	n := int64(len(data))
	m := &backup.Manifest{Version: backup.ManifestVersion, ID: id, Target: "main", Method: "bgsave",
		Started: finished.Add(-2 * time.Second), Finished: finished, DurationSeconds: 2, Verified: verified,
		Files: []backup.File{{Name: "dump.rdb", Original: "dump.rdb", Kind: backup.KindRDB, RawSize: n, StoredSize: n, Compression: "none"}}}
	if err := p.Commit(ctx, m); err != nil {
		t.Fatal(err)
	}
}

// run gathers and evaluates the target once.
func run(t *testing.T, tg *model.Target, backups func(context.Context) ([]*backup.Manifest, error), prev *Sample) (Input, []Result) {
	t.Helper()
	in := Gather(liveContext(t), tg, backups, prev, time.Now())
	rs := Evaluate(in)
	for _, r := range rs {
		t.Logf("%-26s %-8s %s", r.Name, r.Status, r.Message)
	}
	return in, rs
}

func mustFind(t *testing.T, rs []Result, name string) Result {
	t.Helper()
	r := find(rs, name)
	if r == nil {
		t.Fatalf("no %s result", name)
	}
	return *r
}

func wantStatus(t *testing.T, rs []Result, name string, want Status, contains ...string) {
	t.Helper()
	r := mustFind(t, rs, name)
	if r.Status != want {
		t.Errorf("%s = %s (%s), want %s", name, r.Status, r.Message, want)
	}
	for _, c := range contains {
		if !strings.Contains(r.Message, c) {
			t.Errorf("%s message %q does not contain %q", name, r.Message, c)
		}
	}
}

// waitInfo polls INFO until ok accepts it.
func waitInfo(t *testing.T, c *redis.Client, what string, ok func(info string) bool) {
	t.Helper()
	ctx := liveContext(t)
	testwait.For(t, liveTimeout, what, func() (bool, error) {
		info, err := c.Info(ctx).Result()
		return err == nil && ok(info), err
	})
}

func infoField(info, key string) string { return redisinfo.Parse(info)[key] }

func TestLiveHealthy(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{Config: persistentConfig})
	c := s.Client(t)
	ctx := liveContext(t)
	if err := c.Set(ctx, "k1", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, "k2", "v", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	waitInfo(t, c, "the initial AOF rewrite", func(info string) bool {
		return infoField(info, "aof_rewrite_in_progress") == "0" && infoField(info, "aof_rewrite_scheduled") == "0"
	})

	store, err := file.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	commitBackup(t, store, time.Now().Add(-2*time.Hour), true)

	tg := persistentTarget(s)
	tg.Service = &model.Service{Status: []string{"true"}}
	tg.Backup = &model.Backup{Destination: store.Dir()}
	tg.Alerts = &model.Alerts{Thresholds: []model.Threshold{
		{Check: "memory_used_percent", Warning: f(90)},
		{Check: "fragmentation_ratio", Warning: f(1.5)},
		{Check: "last_save_age", Critical: f(3600)},
		{Check: "bgsave_duration", Critical: f(600)},
		{Check: "connected_clients", Warning: f(9000)},
		{Check: "blocked_clients", Warning: f(10)},
		{Check: "replication_lag", Warning: f(10)},
	}}

	in, rs := run(t, tg, catalogOf(store), nil)
	if in.LiveErr != nil || in.ConfigErr != nil || in.LatencyErr != nil || in.SlowlogErr != nil {
		t.Fatalf("gather errors: live %v, config %v, latency %v, slowlog %v", in.LiveErr, in.ConfigErr, in.LatencyErr, in.SlowlogErr)
	}
	want := []string{"reachable", "service", "memory_used_percent", "fragmentation_ratio", "rdb_last_bgsave", "last_save_age",
		"bgsave_duration", "aof", "persistence_drift", "backup_age", "evicted_keys", "rejected_connections", "connected_clients",
		"connected_clients_percent", "blocked_clients", "replication", "replication_lag", "keyspace", "latency", "slowlog"}
	var got []string
	for _, r := range rs {
		got = append(got, r.Name)
		if r.Status != OK {
			t.Errorf("%s = %s (%s), want ok", r.Name, r.Status, r.Message)
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("checks:\n got %v\nwant %v", got, want)
	}
	wantStatus(t, rs, "keyspace", OK, "db0 2 keys (1 with a TTL)")
	wantStatus(t, rs, "evicted_keys", OK, "first sample")
	if r := mustFind(t, rs, "backup_age"); r.Value == nil || *r.Value < 7200 {
		t.Errorf("backup_age value %v, want the age of the backup made 2h ago", r.Value)
	}

	// The next run measures growth from the sample of this one.
	prev := SampleOf(in)
	in2, rs := run(t, tg, catalogOf(store), &prev)
	for _, r := range rs {
		if r.Status != OK {
			t.Errorf("second run: %s = %s (%s), want ok", r.Name, r.Status, r.Message)
		}
	}
	if r := mustFind(t, rs, "evicted_keys"); strings.Contains(r.Message, "first sample") || r.Value == nil {
		t.Errorf("second run: evicted_keys %q, want a measured rate", r.Message)
	}

	m := MetricsOf(in2)[0]
	if !m.Up || m.UsedMemoryBytes == nil || m.MaxMemoryBytes == nil || *m.MaxMemoryBytes != 0 || m.Backup == nil || m.Backup.Count != 1 {
		t.Errorf("metrics = %+v", m)
	}
}

func TestLiveMemoryCritical(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	c := s.Client(t)
	ctx := liveContext(t)
	info, err := c.Info(ctx, "memory").Result()
	if err != nil {
		t.Fatal(err)
	}
	used, err := strconv.ParseInt(infoField(info, "used_memory"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	// Just above used_memory/0.91: the server uses a little under 91% of
	// it, and opening the check's connection only adds to the use.
	maxmem := int64(float64(used)/0.91) + 1
	if err := c.ConfigSet(ctx, "maxmemory", strconv.FormatInt(maxmem, 10)).Err(); err != nil {
		t.Fatal(err)
	}
	_, rs := run(t, plainTarget(s), nil, nil)
	wantStatus(t, rs, "memory_used_percent", Critical, "memory used 9", "(warning at 80%, critical at 90%)")
	if r := mustFind(t, rs, "memory_used_percent"); r.Value == nil || *r.Value <= 90 {
		t.Errorf("memory value %v, want above 90", r.Value)
	}
}

func TestLiveFailingBgsave(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	c := s.Client(t)
	ctx := liveContext(t)
	// A directory where the RDB file goes: the child writes its temp file,
	// then the rename over dump.rdb fails (root or not).
	if err := os.Mkdir(filepath.Join(s.Dir(), "dump.rdb"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := c.BgSave(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	waitInfo(t, c, "the BGSAVE to fail", func(info string) bool {
		return infoField(info, "rdb_bgsave_in_progress") == "0" && infoField(info, "rdb_last_bgsave_status") == "err"
	})
	tg := plainTarget(s)
	in, rs := run(t, tg, nil, nil)
	wantStatus(t, rs, "rdb_last_bgsave", Critical, "rdb_last_bgsave_status:err")
	if m := MetricsOf(in)[0]; m.RDBLastBgsaveOK == nil || *m.RDBLastBgsaveOK {
		t.Errorf("redis_rdb_last_bgsave_status = %v, want 0", m.RDBLastBgsaveOK)
	}

	// The spec may make it a warning.
	tg.Alerts = &model.Alerts{Thresholds: []model.Threshold{{Check: "rdb_save_failed", Severity: "warning"}}}
	_, rs = run(t, tg, nil, nil)
	wantStatus(t, rs, "rdb_last_bgsave", Warning)
}

func TestLivePersistenceSwitchedOff(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{Config: persistentConfig})
	c := s.Client(t)
	ctx := liveContext(t)
	waitInfo(t, c, "the initial AOF rewrite", func(info string) bool {
		return infoField(info, "aof_rewrite_in_progress") == "0" && infoField(info, "aof_rewrite_scheduled") == "0"
	})
	if err := c.ConfigSet(ctx, "save", "").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.ConfigSet(ctx, "appendonly", "no").Err(); err != nil {
		t.Fatal(err)
	}
	_, rs := run(t, persistentTarget(s), nil, nil)
	wantStatus(t, rs, "persistence_drift", Critical,
		`persistence was switched off: save "" and appendonly no`,
		`save is "" live, "3600 1 300 100" in the spec`,
		`appendonly is "no" live, "yes" in the spec`)
	wantStatus(t, rs, "aof", Critical, "AOF is off but the spec says appendonly yes")
}

// A spec whose appendfilename the server does not use yet (the file was
// changed, the server not restarted): a restart outside redisplan would
// start it empty, so check says so.
func TestLivePendingAppendfilename(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{Config: persistentConfig})
	tg := persistentTarget(s)
	tg.Directives = append(tg.Directives, model.Directive{Name: "appendfilename", Value: "orders.aof"})
	_, rs := run(t, tg, nil, nil)
	wantStatus(t, rs, "persistence_drift", Critical, `appendfilename is "appendonly.aof" live, "orders.aof" in the spec`)
}

func TestLiveServerStopped(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	store, err := file.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	commitBackup(t, store, time.Now().Add(-time.Hour), true)
	tg := plainTarget(s)
	tg.Backup = &model.Backup{Destination: store.Dir()}
	tg.Service = &model.Service{Status: []string{"sh", "-c", "echo redis is inactive; exit 3"}}
	s.Stop(t)

	in, rs := run(t, tg, catalogOf(store), nil)
	wantStatus(t, rs, "reachable", Critical, s.Addr(), "connection refused")
	wantStatus(t, rs, "service", Critical, "exited with status 3", "redis is inactive")
	wantStatus(t, rs, "backup_age", OK)
	for _, r := range rs {
		switch r.Name {
		case "reachable", "service", "backup_age":
		default:
			if r.Status != Unknown || r.Message != "server unreachable" {
				t.Errorf("%s = %s (%s), want unknown, server unreachable", r.Name, r.Status, r.Message)
			}
		}
	}
	if m := MetricsOf(in)[0]; m.Up {
		t.Error("redis_up is 1 for a stopped server")
	}
	var buf bytes.Buffer
	WriteNagios(&buf, NewReport(time.Now(), rs))
	if !strings.HasPrefix(buf.String(), "REDISPLAN CRITICAL - 2 critical, 10 unknown: main reachable cannot connect to "+s.Addr()) {
		t.Errorf("nagios output:\n%s", buf.String())
	}
}

func TestLiveReplicaLinkDown(t *testing.T) {
	t.Parallel()
	// The primary sends the replica its data at once, not 5s later.
	primary := servertest.Start(t, servertest.Options{Config: "repl-diskless-sync-delay 0\n"})
	replica := servertest.Start(t, servertest.Options{Config: fmt.Sprintf("replicaof 127.0.0.1 %d\n", primary.Port())})
	rc := replica.Client(t)
	waitInfo(t, rc, "the replica's link to come up", func(info string) bool {
		return infoField(info, "master_link_status") == "up"
	})
	tg := plainTarget(replica)
	tg.Directives = []model.Directive{{Name: "replicaof", Value: fmt.Sprintf("127.0.0.1 %d", primary.Port())}}
	tg.Alerts = &model.Alerts{Thresholds: []model.Threshold{{Check: "replication_lag", Warning: f(30), Critical: f(60)}}}
	in, rs := run(t, tg, nil, nil)
	wantStatus(t, rs, "replication", OK, "link up")
	wantStatus(t, rs, "replication_lag", OK)
	if m := MetricsOf(in)[0]; m.MasterLinkUp == nil || !*m.MasterLinkUp {
		t.Errorf("redis_master_link_up = %v, want 1", m.MasterLinkUp)
	}

	// The primary as seen from its own spec: a master with one replica.
	_, prs := run(t, plainTarget(primary), nil, nil)
	if r := mustFind(t, prs, "replication"); r.Status != OK || r.Value == nil || *r.Value != 1 {
		t.Errorf("primary replication = %s %v (%s), want ok with 1 replica", r.Status, r.Value, r.Message)
	}

	primary.Stop(t)
	waitInfo(t, rc, "the replica's link to go down", func(info string) bool {
		return infoField(info, "master_link_status") == "down"
	})
	in, rs = run(t, tg, nil, nil)
	wantStatus(t, rs, "replication", Critical, fmt.Sprintf("the link to the master 127.0.0.1:%d is down", primary.Port()))
	if m := MetricsOf(in)[0]; m.MasterLinkUp == nil || *m.MasterLinkUp {
		t.Errorf("redis_master_link_up = %v, want 0", m.MasterLinkUp)
	}

	// Without replicaof in the spec, the server should be a master.
	_, rs = run(t, plainTarget(replica), nil, nil)
	wantStatus(t, rs, "replication", Critical, "the spec declares no replicaof")
}

func TestLiveRestrictedUser(t *testing.T) {
	t.Parallel()
	const password = "s3cret-check-pw"
	s := servertest.Start(t, servertest.Options{
		Config: "user checker on >" + password + " ~* &* +@all -config -latency\n",
	})
	tg := plainTarget(s)
	tg.Connection.Username = "checker"
	tg.Connection.Password = password
	tg.Directives = []model.Directive{{Name: "save", Value: ""}}

	in, rs := run(t, tg, nil, nil)
	wantStatus(t, rs, "reachable", OK)
	wantStatus(t, rs, "memory_used_percent", OK) // from INFO alone
	wantStatus(t, rs, "persistence_drift", Unknown, "checker", "config|get")
	wantStatus(t, rs, "latency", Unknown, "ACL SETUSER checker +latency|latest")
	wantStatus(t, rs, "slowlog", OK)

	rep := NewReport(time.Now(), rs)
	var out bytes.Buffer
	WriteTable(&out, rep, false)
	WriteNagios(&out, rep)
	if err := WriteJSON(&out, rep); err != nil {
		t.Fatal(err)
	}
	WritePrometheus(&out, rep, MetricsOf(in))
	if strings.Contains(out.String(), password) {
		t.Errorf("the output contains the password:\n%s", out.String())
	}

	// A wrong password is a critical reachable check that does not quote it.
	tg.Connection.Password = "wrong-" + password
	_, rs = run(t, tg, nil, nil)
	wantStatus(t, rs, "reachable", Critical, "authentication failed")
	for _, r := range rs {
		if strings.Contains(r.Message, password) {
			t.Errorf("%s quotes the password: %s", r.Name, r.Message)
		}
	}

	// CONFIG renamed to "": the checks that need it are unknown, the rest
	// are judged from INFO.
	plain := plainTarget(s)
	plain.Directives = []model.Directive{{Name: "save", Value: ""}}
	plain.Renames = []model.Rename{{Command: "CONFIG", NewName: ""}}
	_, rs = run(t, plain, nil, nil)
	wantStatus(t, rs, "reachable", OK)
	wantStatus(t, rs, "persistence_drift", Unknown, `CONFIG is disabled on this server (rename-command CONFIG "")`)
}

func TestLiveLatencyAndSlowlog(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{
		Config: "enable-debug-command local\nlatency-monitor-threshold 10\nslowlog-log-slower-than 20000\n",
	})
	c := s.Client(t)
	ctx := liveContext(t)
	tg := plainTarget(s)
	tg.Directives = []model.Directive{{Name: "latency-monitor-threshold", Value: "10"}}

	in, rs := run(t, tg, nil, nil)
	wantStatus(t, rs, "latency", OK)
	wantStatus(t, rs, "slowlog", OK, "first sample")

	if err := c.Do(ctx, "DEBUG", "SLEEP", "0.1").Err(); err != nil {
		t.Fatal(err)
	}
	prev := SampleOf(in)
	in, rs = run(t, tg, nil, &prev)
	wantStatus(t, rs, "latency", Warning, "command")
	wantStatus(t, rs, "slowlog", Warning, "grew by 1 entry since")

	// The same spike and entry are not reported twice.
	prev = SampleOf(in)
	_, rs = run(t, tg, nil, &prev)
	wantStatus(t, rs, "latency", OK, "1 older event")
	wantStatus(t, rs, "slowlog", OK)
}

// catalogOf reads the complete backups in s, as check's callers do
// (backup.LoadCatalog).
func catalogOf(s backup.Storage) func(context.Context) ([]*backup.Manifest, error) {
	return func(ctx context.Context) ([]*backup.Manifest, error) { return backup.LoadCatalog(ctx, s) }
}
