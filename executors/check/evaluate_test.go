package check

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/backup/capture"
	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/executors/restore"
	"github.com/redisplan/redisplan/internal/model"
)

var testNow = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func f(v float64) *float64 { return &v }

// healthyInfo is INFO of a healthy master that uses 1% of its memory,
// with AOF on and a save ten minutes ago.
func healthyInfo() map[string]string {
	return map[string]string{
		"redis_version":               "7.0.15",
		"run_id":                      "run-1",
		"uptime_in_seconds":           "86400",
		"server_time_usec":            fmt.Sprint(testNow.UnixMicro()),
		"connected_clients":           "10",
		"maxclients":                  "10000",
		"blocked_clients":             "0",
		"used_memory":                 "1048576",
		"maxmemory":                   "104857600",
		"mem_fragmentation_ratio":     "1.10",
		"loading":                     "0",
		"rdb_changes_since_last_save": "0",
		"rdb_bgsave_in_progress":      "0",
		"rdb_last_save_time":          fmt.Sprint(testNow.Unix() - 600),
		"rdb_last_bgsave_status":      "ok",
		"rdb_last_bgsave_time_sec":    "1",
		"rdb_current_bgsave_time_sec": "-1",
		"aof_enabled":                 "1",
		"aof_last_bgrewrite_status":   "ok",
		"aof_last_write_status":       "ok",
		"aof_delayed_fsync":           "0",
		"rejected_connections":        "0",
		"evicted_keys":                "0",
		"role":                        "master",
		"connected_slaves":            "1",
		"db0":                         "keys=10,expires=2,avg_ttl=0",
	}
}

func healthyConfig() map[string]string {
	return map[string]string{
		"maxmemory":                 "104857600",
		"maxclients":                "10000",
		"save":                      "3600 1 300 100",
		"appendonly":                "yes",
		"appendfsync":               "everysec",
		"latency-monitor-threshold": "100",
	}
}

func testTarget() *model.Target {
	return &model.Target{
		Name:       "main",
		Connection: model.Connection{Address: "127.0.0.1:6379"},
		Directives: []model.Directive{
			{Name: "appendfsync", Value: "everysec"},
			{Name: "appendonly", Value: "yes"},
			{Name: "latency-monitor-threshold", Value: "100"},
			{Name: "save", Value: "3600 1 300 100"},
		},
		Backup: &model.Backup{Destination: "/var/backups/redis"},
	}
}

func manifest(id string, finished time.Time, verified bool) *backup.Manifest {
	return &backup.Manifest{Version: 1, ID: id, Target: "main", Started: finished.Add(-time.Minute), Finished: finished,
		DurationSeconds: 60, Verified: verified, Files: []backup.File{{Name: "dump.rdb.zst", StoredSize: 1000}}}
}

// healthyInput is a run against a healthy server, 15 minutes after the
// previous one.
func healthyInput() Input {
	return Input{
		Target:  testTarget(),
		Now:     testNow,
		Info:    healthyInfo(),
		Config:  healthyConfig(),
		Backups: []*backup.Manifest{manifest("20261129T110000Z", testNow.Add(-time.Hour), true)},
		Previous: &Sample{Time: testNow.Add(-15 * time.Minute), RunID: "run-1",
			EvictedKeys: 0, RejectedConnections: 0, AOFDelayedFsync: 0, SlowlogLen: 0, Latency: map[string]int64{}},
	}
}

func withThreshold(in *Input, th model.Threshold) {
	if in.Target.Alerts == nil {
		in.Target.Alerts = &model.Alerts{}
	}
	in.Target.Alerts.Thresholds = append(in.Target.Alerts.Thresholds, th)
}

func setDirective(in *Input, name, value string) {
	for i, d := range in.Target.Directives {
		if d.Name == name {
			in.Target.Directives[i].Value = value
			return
		}
	}
	in.Target.Directives = append(in.Target.Directives, model.Directive{Name: name, Value: value})
}

func dropDirective(in *Input, name string) {
	in.Target.Directives = slices.DeleteFunc(in.Target.Directives, func(d model.Directive) bool { return d.Name == name })
}

func find(rs []Result, name string) *Result {
	for i := range rs {
		if rs[i].Name == name {
			return &rs[i]
		}
	}
	return nil
}

func TestHealthyInputIsAllOK(t *testing.T) {
	rs := Evaluate(healthyInput())
	if len(rs) == 0 {
		t.Fatal("no results")
	}
	for _, r := range rs {
		if r.Status != OK {
			t.Errorf("%s = %s (%s), want ok", r.Name, r.Status, r.Message)
		}
		if r.Target != "main" {
			t.Errorf("%s: target %q, want main", r.Name, r.Target)
		}
	}
	var names []string
	for _, r := range rs {
		names = append(names, r.Name)
	}
	want := []string{"reachable", "memory_used_percent", "rdb_last_bgsave", "aof", "persistence_drift", "backup_age",
		"evicted_keys", "rejected_connections", "connected_clients_percent", "replication", "keyspace", "latency", "slowlog"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("checks (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(rs, Evaluate(healthyInput())); diff != "" {
		t.Errorf("a second evaluation differs:\n%s", diff)
	}
}

func TestEvaluate(t *testing.T) {
	type want struct {
		status   Status
		absent   bool
		contains []string
		message  string
		value    *float64
		warning  *float64
		critical *float64
	}
	tests := []struct {
		name  string
		check string
		edit  func(in *Input)
		want  want
	}{
		// backup_loadable: the newest verified backup's RDB version
		// against what the server's release loads.
		{"backup loadable absent without an RDB version", "backup_loadable", nil, want{absent: true}},
		{"backup loadable ok", "backup_loadable", func(in *Input) { in.Backups[0].RDBVersion = 10 },
			want{status: OK, message: "the newest verified backup 20261129T110000Z has RDB version 10, which Redis 7.0.15 loads"}},
		{"backup loadable critical by default", "backup_loadable", func(in *Input) {
			in.Backups[0].RDBVersion, in.Backups[0].Engine, in.Backups[0].EngineVersion = 11, "valkey", "8.1.1"
		}, want{status: Critical, contains: []string{"20261129T110000Z (written by Valkey 8.1.1) has RDB version 11",
			"this server (Redis 7.0.15) cannot load (it loads up to version 10)", "Redis 7.2 or newer, Valkey 7.2 or newer", "redisplan backup run"}}},
		{"backup loadable severity from the spec", "backup_loadable", func(in *Input) {
			in.Backups[0].RDBVersion = 12
			in.Info["redis_version"], in.Info["valkey_version"] = "7.2.4", "8.1.1"
			withThreshold(in, model.Threshold{Check: "backup_unloadable", Severity: "warning"})
		}, want{status: Warning, contains: []string{"RDB version 12", "this server (Valkey 8.1.1) cannot load (it loads up to version 11)", "Redis 7.4 or newer"}}},
		{"backup loadable judges the newest verified backup", "backup_loadable", func(in *Input) {
			in.Backups[0].RDBVersion = 10
			newer := manifest("20261129T113000Z", testNow.Add(-30*time.Minute), false)
			newer.RDBVersion = 12
			in.Backups = append(in.Backups, newer)
		}, want{status: OK, contains: []string{"20261129T110000Z has RDB version 10"}}},
		{"backup loadable on a release the table does not know", "backup_loadable", func(in *Input) {
			in.Backups[0].RDBVersion = 13
			in.Info["redis_version"] = "9.0.0"
		}, want{status: OK, contains: []string{"RDB version 13", "does not know which versions Redis 9.0.0 loads"}}},

		// reachable and service
		{"reachable ok", "reachable", nil, want{status: OK, contains: []string{"127.0.0.1:6379 answers", "redis 7.0.15", "up 24h"}}},
		{"reachable critical", "reachable", func(in *Input) {
			in.LiveErr = errors.New("cannot connect to 127.0.0.1:6379: connection refused")
		}, want{status: Critical, message: "cannot connect to 127.0.0.1:6379: connection refused"}},
		{"reachable while loading", "reachable", func(in *Input) { in.Info["loading"] = "1" }, want{status: Warning, contains: []string{"loading"}}},
		{"service without command", "service", nil, want{absent: true}},
		{"service ok", "service", func(in *Input) { var err error; in.ServiceErr = &err }, want{status: OK}},
		{"service failed", "service", func(in *Input) {
			err := errors.New("the service status command [\"systemctl\" \"is-active\" \"redis\"] exited with status 3:\ninactive")
			in.ServiceErr = &err
		}, want{status: Critical, contains: []string{"exited with status 3: inactive"}}},

		// memory
		{"memory ok", "memory_used_percent", nil, want{status: OK, value: f(1), warning: f(80), critical: f(90)}},
		{"memory warning by default", "memory_used_percent", func(in *Input) { in.Info["used_memory"] = "89128960" },
			want{status: Warning, value: f(85), warning: f(80), critical: f(90)}},
		{"memory critical by default", "memory_used_percent", func(in *Input) { in.Info["used_memory"] = "95630131" },
			want{status: Critical, message: "memory used 91.2% of 100mb (warning at 80%, critical at 90%)"}},
		{"memory spec levels replace the defaults", "memory_used_percent", func(in *Input) {
			in.Info["used_memory"] = "95630131"
			withThreshold(in, model.Threshold{Check: "memory_used_percent", Warning: f(90)})
		}, want{status: Warning, warning: f(90), message: "memory used 91.2% of 100mb (warning at 90%)"}},
		{"memory spec critical", "memory_used_percent", func(in *Input) {
			in.Info["used_memory"] = "73400320"
			withThreshold(in, model.Threshold{Check: "memory_used_percent", Warning: f(50), Critical: f(60)})
		}, want{status: Critical, value: f(70), warning: f(50), critical: f(60)}},
		{"memory without maxmemory", "memory_used_percent", func(in *Input) {
			in.Info["maxmemory"] = "0"
			in.Info["used_memory"] = "95630131000"
		}, want{status: OK, message: "maxmemory is 0 (no limit): usage is not a percentage"}},
		{"memory maxmemory from CONFIG", "memory_used_percent", func(in *Input) {
			delete(in.Info, "maxmemory")
			in.Config["maxmemory"] = "1100000"
		}, want{status: Critical, contains: []string{"memory used 95.3% of 1mb"}}},
		{"memory maxmemory unknown", "memory_used_percent", func(in *Input) {
			delete(in.Info, "maxmemory")
			in.Config = nil
			in.ConfigErr = errors.New("the user checker lacks permission for CONFIG GET")
		}, want{status: Unknown, contains: []string{"maxmemory", "lacks permission"}}},
		{"fragmentation without threshold", "fragmentation_ratio", nil, want{absent: true}},
		{"fragmentation warning", "fragmentation_ratio", func(in *Input) {
			in.Info["mem_fragmentation_ratio"] = "2.00"
			in.Info["used_memory"] = "52428800"
			in.Info["mem_fragmentation_bytes"] = "52428800"
			withThreshold(in, model.Threshold{Check: "fragmentation_ratio", Warning: f(1.5)})
		}, want{status: Warning, value: f(2), warning: f(1.5)}},
		{"fragmentation of a small dataset", "fragmentation_ratio", func(in *Input) {
			in.Info["mem_fragmentation_ratio"] = "7.66"
			in.Info["used_memory"] = "917080"
			withThreshold(in, model.Threshold{Check: "fragmentation_ratio", Warning: f(1.5)})
		}, want{status: OK, value: f(7.66), contains: []string{"not judged: 895.6kb used is too little"}}},
		{"fragmentation with a small gap", "fragmentation_ratio", func(in *Input) {
			in.Info["mem_fragmentation_ratio"] = "1.60"
			in.Info["used_memory"] = "10485760"
			in.Info["mem_fragmentation_bytes"] = "6291456"
			withThreshold(in, model.Threshold{Check: "fragmentation_ratio", Warning: f(1.5)})
		}, want{status: OK, value: f(1.6), contains: []string{"not judged: RSS and used memory differ by only 6mb"}}},

		// RDB
		{"bgsave ok", "rdb_last_bgsave", nil, want{status: OK}},
		{"bgsave failed", "rdb_last_bgsave", func(in *Input) {
			in.Info["rdb_last_bgsave_status"] = "err"
			in.Info["rdb_changes_since_last_save"] = "42"
		}, want{status: Critical, contains: []string{"rdb_last_bgsave_status:err", "42 changes"}}},
		{"bgsave failed with spec severity", "rdb_last_bgsave", func(in *Input) {
			in.Info["rdb_last_bgsave_status"] = "err"
			withThreshold(in, model.Threshold{Check: "rdb_save_failed", Severity: "warning"})
		}, want{status: Warning}},
		{"bgsave status missing", "rdb_last_bgsave", func(in *Input) { delete(in.Info, "rdb_last_bgsave_status") }, want{status: Unknown}},
		{"last save age without threshold", "last_save_age", nil, want{absent: true}},
		{"last save age ok", "last_save_age", func(in *Input) {
			withThreshold(in, model.Threshold{Check: "last_save_age", Critical: f(3600)})
		}, want{status: OK, value: f(600), critical: f(3600), message: "last successful save 10m ago (critical at 1h)"}},
		{"last save age critical", "last_save_age", func(in *Input) {
			in.Info["rdb_last_save_time"] = fmt.Sprint(testNow.Unix() - 7200)
			withThreshold(in, model.Threshold{Check: "last_save_age", Critical: f(3600)})
		}, want{status: Critical, value: f(7200)}},
		{"last save age uses the server clock", "last_save_age", func(in *Input) {
			in.Info["server_time_usec"] = fmt.Sprint(testNow.Add(-500 * time.Second).UnixMicro())
			withThreshold(in, model.Threshold{Check: "last_save_age", Critical: f(3600)})
		}, want{status: OK, value: f(100)}},
		{"last save age after a restart", "last_save_age", func(in *Input) {
			in.Info["uptime_in_seconds"] = "500"
			in.Info["rdb_last_save_time"] = fmt.Sprint(testNow.Unix() - 500)
			withThreshold(in, model.Threshold{Check: "last_save_age", Warning: f(300)})
		}, want{status: Warning, value: f(500), contains: []string{"no save since the server started 8m20s ago", "resets at restart"}}},
		{"bgsave duration idle", "bgsave_duration", func(in *Input) {
			withThreshold(in, model.Threshold{Check: "bgsave_duration", Critical: f(60)})
		}, want{status: OK, value: f(0), contains: []string{"no BGSAVE running", "the last took 1s"}}},
		{"bgsave duration critical", "bgsave_duration", func(in *Input) {
			in.Info["rdb_bgsave_in_progress"] = "1"
			in.Info["rdb_current_bgsave_time_sec"] = "120"
			withThreshold(in, model.Threshold{Check: "bgsave_duration", Warning: f(30), Critical: f(60)})
		}, want{status: Critical, value: f(120), message: "BGSAVE running for 2m (warning at 30s, critical at 1m)"}},

		// AOF
		{"aof ok", "aof", nil, want{status: OK, message: "AOF is on (appendfsync everysec), the last write and rewrite succeeded"}},
		{"aof off against the spec", "aof", func(in *Input) { in.Info["aof_enabled"] = "0" },
			want{status: Critical, message: "AOF is off but the spec says appendonly yes"}},
		{"aof on against the spec", "aof", func(in *Input) { setDirective(in, "appendonly", "no") },
			want{status: Critical, message: "AOF is on but the spec says appendonly no"}},
		{"aof off unmanaged", "aof", func(in *Input) {
			in.Info["aof_enabled"] = "0"
			dropDirective(in, "appendonly")
		}, want{status: OK, message: "AOF is off"}},
		{"aof write failed", "aof", func(in *Input) { in.Info["aof_last_write_status"] = "err" },
			want{status: Critical, contains: []string{"aof_last_write_status:err"}}},
		{"aof write failed with spec severity", "aof", func(in *Input) {
			in.Info["aof_last_write_status"] = "err"
			withThreshold(in, model.Threshold{Check: "aof_write_failed", Severity: "warning"})
		}, want{status: Warning}},
		{"aof rewrite failed", "aof", func(in *Input) { in.Info["aof_last_bgrewrite_status"] = "err" },
			want{status: Critical, contains: []string{"aof_last_bgrewrite_status:err"}}},
		{"aof rewrite failed with spec severity", "aof", func(in *Input) {
			in.Info["aof_last_bgrewrite_status"] = "err"
			withThreshold(in, model.Threshold{Check: "aof_rewrite_failed", Severity: "warning"})
		}, want{status: Warning}},
		{"aof delayed fsync grew", "aof", func(in *Input) { in.Info["aof_delayed_fsync"] = "3" },
			want{status: Warning, contains: []string{"aof_delayed_fsync grew by 3"}}},
		{"aof delayed fsync on the first run", "aof", func(in *Input) {
			in.Info["aof_delayed_fsync"] = "3"
			in.Previous = nil
		}, want{status: OK}},

		// persistence drift
		{"drift none", "persistence_drift", nil, want{status: OK, value: f(0)}},
		{"drift normalizes live values", "persistence_drift", func(in *Input) { in.Config["save"] = "3600  1 300\t100" }, want{status: OK}},
		{"persistence switched off", "persistence_drift", func(in *Input) {
			in.Config["save"] = ""
			in.Config["appendonly"] = "no"
		}, want{status: Critical, value: f(2), contains: []string{
			`persistence was switched off: save "" and appendonly no`,
			`save is "" live, "3600 1 300 100" in the spec`,
			`appendonly is "no" live, "yes" in the spec`,
		}}},
		{"drift of appendfsync", "persistence_drift", func(in *Input) { in.Config["appendfsync"] = "always" },
			want{status: Critical, message: `appendfsync is "always" live, "everysec" in the spec`}},
		{"drift of a sensitive directive", "persistence_drift", func(in *Input) {
			in.Target.Directives = append(in.Target.Directives, model.Directive{Name: "dbfilename", Value: "secret-name.rdb", Sensitive: true})
			in.Config["dbfilename"] = "dump.rdb"
		}, want{status: Critical, message: "dbfilename differs from the spec (the value is sensitive)"}},
		{"drift of appendfilename", "persistence_drift", func(in *Input) {
			in.Target.Directives = append(in.Target.Directives, model.Directive{Name: "appendfilename", Value: "orders.aof"})
			in.Config["appendfilename"] = "appendonly.aof"
		}, want{status: Critical, message: `appendfilename is "appendonly.aof" live, "orders.aof" in the spec`}},
		{"drift of a directive CONFIG GET did not report", "persistence_drift", func(in *Input) { delete(in.Config, "appendfsync") },
			want{status: Unknown, contains: []string{"appendfsync"}}},
		{"drift without CONFIG", "persistence_drift", func(in *Input) {
			in.Config = nil
			in.ConfigErr = errors.New(`cannot read the configuration of 127.0.0.1:6379: CONFIG is disabled`)
		}, want{status: Unknown, contains: []string{"CONFIG is disabled"}}},
		{"drift without persistence directives", "persistence_drift", func(in *Input) {
			for _, n := range []string{"save", "appendonly", "appendfsync"} {
				dropDirective(in, n)
			}
		}, want{absent: true}},

		// backups
		{"backup age ok", "backup_age", nil, want{status: OK, value: f(3600), critical: f(90000),
			message: "newest verified backup 20261129T110000Z finished 1h ago (critical at 25h)"}},
		{"backup age critical by default", "backup_age", func(in *Input) {
			in.Backups = []*backup.Manifest{manifest("20261128T100000Z", testNow.Add(-26*time.Hour), true)}
		}, want{status: Critical, value: f(26 * 3600)}},
		{"backup age spec levels", "backup_age", func(in *Input) {
			in.Backups = []*backup.Manifest{manifest("20261129T090000Z", testNow.Add(-3*time.Hour), true)}
			withThreshold(in, model.Threshold{Check: "backup_age", Warning: f(7200), Critical: f(14400)})
		}, want{status: Warning, value: f(10800), warning: f(7200), critical: f(14400)}},
		{"no backup yet", "backup_age", func(in *Input) { in.Backups = nil }, want{status: Critical, message: "no backup yet"}},
		{"no verified backup", "backup_age", func(in *Input) {
			in.Backups = []*backup.Manifest{manifest("20261129T110000Z", testNow.Add(-time.Hour), false)}
		}, want{status: Critical, contains: []string{"none verified"}}},
		{"newest backup unverified", "backup_age", func(in *Input) {
			in.Backups = []*backup.Manifest{
				manifest("20261129T080000Z", testNow.Add(-4*time.Hour), true),
				manifest("20261129T110000Z", testNow.Add(-time.Hour), false),
			}
		}, want{status: OK, value: f(4 * 3600), contains: []string{"20261129T080000Z", "the newer backup 20261129T110000Z is not verified"}}},
		{"newest backup lacks a file", "backup_age", func(in *Input) {
			damaged := manifest("20261129T110000Z", testNow.Add(-time.Hour), true)
			damaged.Problem = "dump.rdb.zst is missing"
			in.Backups = []*backup.Manifest{manifest("20261129T080000Z", testNow.Add(-4*time.Hour), true), damaged}
		}, want{status: OK, value: f(4 * 3600), contains: []string{"newest verified backup 20261129T080000Z",
			"the newer backup 20261129T110000Z is not verified (dump.rdb.zst is missing)"}}},
		{"backup catalog unreadable", "backup_age", func(in *Input) {
			in.Backups = nil
			in.BackupsErr = errors.New("list backups: permission denied")
		}, want{status: Unknown, contains: []string{"permission denied"}}},
		{"no backup block", "backup_age", func(in *Input) { in.Target.Backup = nil; in.Backups = nil }, want{absent: true}},
		{"backup age while unreachable", "backup_age", func(in *Input) {
			in.LiveErr = errors.New("connection refused")
			in.Info, in.Config = nil, nil
		}, want{status: OK, value: f(3600)}},

		// counters
		{"evictions on the first run", "evicted_keys", func(in *Input) {
			in.Previous = nil
			in.Info["evicted_keys"] = "500"
		}, want{status: OK, message: "first sample"}},
		{"evictions warn by default", "evicted_keys", func(in *Input) { in.Info["evicted_keys"] = "30" },
			want{status: Warning, value: f(2), warning: f(0), message: "30 keys evicted in 15m: 2 per minute (warning at 0 per minute)"}},
		{"no evictions", "evicted_keys", nil, want{status: OK, value: f(0)}},
		{"evictions under the spec level", "evicted_keys", func(in *Input) {
			in.Info["evicted_keys"] = "30"
			withThreshold(in, model.Threshold{Check: "evicted_keys", Warning: f(5)})
		}, want{status: OK, value: f(2), warning: f(5)}},
		{"evictions after a restart", "evicted_keys", func(in *Input) {
			in.Info["run_id"] = "run-2"
			in.Info["evicted_keys"] = "30"
		}, want{status: OK, contains: []string{"first sample", "restarted"}}},
		{"evictions counter reset", "evicted_keys", func(in *Input) {
			in.Previous.EvictedKeys = 100
			in.Info["evicted_keys"] = "30"
		}, want{status: OK, contains: []string{"first sample", "reset"}}},
		{"rejected connections", "rejected_connections", func(in *Input) { in.Info["rejected_connections"] = "3" },
			want{status: Warning, value: f(3), contains: []string{"3 connections rejected in 15m", "maxclients"}}},
		{"rejected connections none", "rejected_connections", nil, want{status: OK, value: f(0)}},
		{"rejected connections first run", "rejected_connections", func(in *Input) {
			in.Previous = nil
			in.Info["rejected_connections"] = "3"
		}, want{status: OK, message: "first sample"}},

		// clients
		{"clients without threshold", "connected_clients", nil, want{absent: true}},
		{"clients above the seed's level", "connected_clients", func(in *Input) {
			in.Info["connected_clients"] = "9500"
			withThreshold(in, model.Threshold{Check: "connected_clients", Warning: f(9000)})
		}, want{status: Warning, value: f(9500), message: "9500 clients connected (warning at 9000)"}},
		{"clients percent ok", "connected_clients_percent", nil, want{status: OK, value: f(0.1), warning: f(80), critical: f(95)}},
		{"clients percent warning", "connected_clients_percent", func(in *Input) { in.Info["connected_clients"] = "8500" },
			want{status: Warning, value: f(85)}},
		{"clients percent critical", "connected_clients_percent", func(in *Input) { in.Info["connected_clients"] = "9600" },
			want{status: Critical, value: f(96)}},
		{"blocked clients", "blocked_clients", func(in *Input) {
			in.Info["blocked_clients"] = "10"
			withThreshold(in, model.Threshold{Check: "blocked_clients", Critical: f(5)})
		}, want{status: Critical, value: f(10)}},

		// replication
		{"master", "replication", nil, want{status: OK, value: f(1), message: "master with 1 connected replica"}},
		{"master but the spec wants a replica", "replication", func(in *Input) { setDirective(in, "replicaof", "10.0.0.1 6379") },
			want{status: Critical, contains: []string{"spec says replicaof 10.0.0.1 6379"}}},
		{"replica link up", "replication", func(in *Input) {
			setDirective(in, "replicaof", "10.0.0.1 6379")
			replica(in, "up")
		}, want{status: OK, message: "replica of 10.0.0.1:6379, link up, last I/O 1s ago"}},
		{"replica link down", "replication", func(in *Input) {
			setDirective(in, "replicaof", "10.0.0.1 6379")
			replica(in, "down")
		}, want{status: Critical, message: "the link to the master 10.0.0.1:6379 is down for 2m"}},
		{"replica the spec does not declare", "replication", func(in *Input) { replica(in, "up") },
			want{status: Critical, contains: []string{"spec declares no replicaof"}}},
		{"replica of another master", "replication", func(in *Input) {
			setDirective(in, "replicaof", "10.0.0.2 6379")
			replica(in, "up")
		}, want{status: Critical, contains: []string{"replicates from 10.0.0.1:6379 but the spec says replicaof 10.0.0.2 6379"}}},
		{"lag without threshold", "replication_lag", nil, want{absent: true}},
		{"lag of a master", "replication_lag", func(in *Input) {
			withThreshold(in, model.Threshold{Check: "replication_lag", Warning: f(10)})
		}, want{status: OK}},
		{"lag warning", "replication_lag", func(in *Input) {
			setDirective(in, "replicaof", "10.0.0.1 6379")
			replica(in, "up")
			in.Info["master_last_io_seconds_ago"] = "30"
			withThreshold(in, model.Threshold{Check: "replication_lag", Warning: f(10), Critical: f(60)})
		}, want{status: Warning, value: f(30)}},
		{"lag with the link down", "replication_lag", func(in *Input) {
			setDirective(in, "replicaof", "10.0.0.1 6379")
			replica(in, "down")
			withThreshold(in, model.Threshold{Check: "replication_lag", Warning: f(10), Critical: f(60)})
		}, want{status: Critical, value: f(120)}},

		// informational
		{"keyspace", "keyspace", func(in *Input) { in.Info["db3"] = "keys=5,expires=0,avg_ttl=0" },
			want{status: OK, value: f(15), message: "db0 10 keys (2 with a TTL), db3 5 keys"}},
		{"keyspace empty", "keyspace", func(in *Input) { delete(in.Info, "db0") }, want{status: OK, value: f(0), message: "no keys"}},

		// latency
		{"latency none", "latency", nil, want{status: OK, value: f(0), warning: f(0.1)}},
		{"latency spike", "latency", func(in *Input) {
			in.Latency = []LatencyEvent{{Event: "command", LatestMillis: 150, MaxMillis: 300, Time: testNow.Add(-time.Minute)}}
		}, want{status: Warning, value: f(0.15), contains: []string{"above 100ms since the previous run", "command 150ms (max 300ms)"}}},
		{"latency spike the previous run saw", "latency", func(in *Input) {
			in.Latency = []LatencyEvent{{Event: "command", LatestMillis: 150, MaxMillis: 300, Time: testNow.Add(-time.Hour)}}
			in.Previous.Latency = map[string]int64{"command": testNow.Add(-time.Hour).Unix()}
		}, want{status: OK, contains: []string{"1 older event;"}}},
		{"latency spike again", "latency", func(in *Input) {
			in.Latency = []LatencyEvent{{Event: "command", LatestMillis: 150, MaxMillis: 300, Time: testNow.Add(-time.Minute)}}
			in.Previous.Latency = map[string]int64{"command": testNow.Add(-time.Hour).Unix()}
		}, want{status: Warning}},
		{"latency after a restart", "latency", func(in *Input) {
			in.Info["run_id"] = "run-2"
			in.Latency = []LatencyEvent{{Event: "command", LatestMillis: 150, MaxMillis: 300, Time: testNow.Add(-time.Hour)}}
			in.Previous.Latency = map[string]int64{"command": testNow.Add(-time.Hour).Unix()}
		}, want{status: Warning, contains: []string{"recorded"}}},
		{"latency under the spec threshold", "latency", func(in *Input) {
			in.Latency = []LatencyEvent{{Event: "fork", LatestMillis: 50, MaxMillis: 80, Time: testNow.Add(-time.Minute)}}
		}, want{status: OK}},
		{"latency on the first run", "latency", func(in *Input) {
			in.Previous = nil
			in.Latency = []LatencyEvent{{Event: "fork", LatestMillis: 50, MaxMillis: 200, Time: testNow.Add(-time.Hour)}}
		}, want{status: Warning, contains: []string{"recorded", "fork 50ms (max 200ms)"}}},
		{"latency unreadable", "latency", func(in *Input) { in.LatencyErr = errors.New("the user checker lacks permission for LATENCY LATEST") },
			want{status: Unknown, contains: []string{"lacks permission"}}},

		// slowlog
		{"slowlog first sample", "slowlog", func(in *Input) { in.Previous = nil; in.SlowlogLen = 4 },
			want{status: OK, contains: []string{"first sample"}}},
		{"slowlog grew", "slowlog", func(in *Input) { in.SlowlogLen = 4 },
			want{status: Warning, value: f(4), contains: []string{"grew by 4 entries"}}},
		{"slowlog same", "slowlog", nil, want{status: OK, value: f(0)}},
		{"slowlog unreadable", "slowlog", func(in *Input) { in.SlowlogErr = errors.New("NOPERM") }, want{status: Unknown}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := healthyInput()
			if tt.edit != nil {
				tt.edit(&in)
			}
			rs := Evaluate(in)
			r := find(rs, tt.check)
			if tt.want.absent {
				if r != nil {
					t.Fatalf("%s is reported (%s: %s), want no result", tt.check, r.Status, r.Message)
				}
				return
			}
			if r == nil {
				t.Fatalf("no %s result", tt.check)
			}
			t.Logf("%s: %s", r.Status, r.Message)
			if r.Status != tt.want.status {
				t.Errorf("status = %s, want %s (message %q)", r.Status, tt.want.status, r.Message)
			}
			if tt.want.message != "" && r.Message != tt.want.message {
				t.Errorf("message = %q, want %q", r.Message, tt.want.message)
			}
			for _, c := range tt.want.contains {
				if !strings.Contains(r.Message, c) {
					t.Errorf("message %q does not contain %q", r.Message, c)
				}
			}
			if strings.ContainsAny(r.Message, "\r\n") {
				t.Errorf("message %q spans several lines", r.Message)
			}
			checkLevel(t, "value", r.Value, tt.want.value)
			if tt.want.warning != nil {
				checkLevel(t, "warning", r.Warning, tt.want.warning)
			}
			if tt.want.critical != nil {
				checkLevel(t, "critical", r.Critical, tt.want.critical)
			}
		})
	}
}

// replica turns the input's server into a replica of 10.0.0.1:6379.
func replica(in *Input, link string) {
	in.Info["role"] = "slave"
	in.Info["master_host"] = "10.0.0.1"
	in.Info["master_port"] = "6379"
	in.Info["master_link_status"] = link
	in.Info["master_sync_in_progress"] = "0"
	if link == "up" {
		in.Info["master_last_io_seconds_ago"] = "1"
	} else {
		in.Info["master_last_io_seconds_ago"] = "-1"
		in.Info["master_link_down_since_seconds"] = "120"
	}
	in.Info["connected_slaves"] = "0"
}

func checkLevel(t *testing.T, what string, got, want *float64) {
	t.Helper()
	switch {
	case want == nil:
		return
	case got == nil:
		t.Errorf("%s is unset, want %g", what, *want)
	case fmt.Sprintf("%.3f", *got) != fmt.Sprintf("%.3f", *want):
		t.Errorf("%s = %g, want %g", what, *got, *want)
	}
}

func TestUnreachable(t *testing.T) {
	in := healthyInput()
	in.LiveErr = errors.New("cannot connect to 127.0.0.1:6379: connection refused; is redis-server running there?")
	in.Info, in.Config = nil, nil
	var err error
	in.ServiceErr = &err
	withThreshold(&in, model.Threshold{Check: "connected_clients", Warning: f(9000)})
	got := map[string]Status{}
	for _, r := range Evaluate(in) {
		got[r.Name] = r.Status
		if r.Status == Unknown && r.Message != "server unreachable" {
			t.Errorf("%s: message %q, want server unreachable", r.Name, r.Message)
		}
	}
	want := map[string]Status{
		"reachable": Critical, "service": OK, "backup_age": OK,
		"memory_used_percent": Unknown, "rdb_last_bgsave": Unknown, "aof": Unknown, "persistence_drift": Unknown,
		"evicted_keys": Unknown, "rejected_connections": Unknown, "connected_clients": Unknown,
		"connected_clients_percent": Unknown, "replication": Unknown, "keyspace": Unknown,
		"latency": Unknown, "slowlog": Unknown,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(*in.Previous, SampleOf(in)); diff != "" {
		t.Errorf("SampleOf an unreachable server is not the previous sample (-want +got):\n%s", diff)
	}
}

func TestSampleOf(t *testing.T) {
	in := healthyInput()
	in.Info["evicted_keys"] = "7"
	in.Info["rejected_connections"] = "2"
	in.Info["aof_delayed_fsync"] = "1"
	in.SlowlogLen = 5
	in.Latency = []LatencyEvent{{Event: "fork", LatestMillis: 200, MaxMillis: 200, Time: time.Unix(1795930000, 0)}}
	want := Sample{Time: testNow, RunID: "run-1", EvictedKeys: 7, RejectedConnections: 2, AOFDelayedFsync: 1, SlowlogLen: 5,
		Latency: map[string]int64{"fork": 1795930000}}
	if diff := cmp.Diff(want, SampleOf(in)); diff != "" {
		t.Errorf("SampleOf (-want +got):\n%s", diff)
	}

	// What could not be read is -1, so that the next run does not
	// measure growth from it.
	delete(in.Info, "aof_delayed_fsync")
	in.SlowlogErr = errors.New("NOPERM")
	in.LatencyErr = errors.New("NOPERM")
	got := SampleOf(in)
	if got.AOFDelayedFsync != -1 || got.SlowlogLen != -1 || got.Latency != nil {
		t.Errorf("SampleOf = %+v, want -1 for the counters that were not read", got)
	}
	in.Previous = &got
	in.Now = testNow.Add(15 * time.Minute)
	in.SlowlogErr = nil
	in.SlowlogLen = 9
	if r := find(Evaluate(in), "slowlog"); r.Status != OK || !strings.Contains(r.Message, "first sample") {
		t.Errorf("slowlog after an unread sample = %s %q, want ok, first sample", r.Status, r.Message)
	}

	// The first run ever, against a server that does not answer.
	down := Input{Target: testTarget(), Now: testNow, LiveErr: errors.New("refused")}
	next := healthyInput()
	s := SampleOf(down)
	next.Previous = &s
	next.Info["evicted_keys"] = "30"
	if r := find(Evaluate(next), "evicted_keys"); r.Status != OK || r.Message != "first sample" {
		t.Errorf("evicted_keys after an unreachable first run = %s %q, want ok, first sample", r.Status, r.Message)
	}
}

func TestConfigNames(t *testing.T) {
	tg := testTarget()
	tg.Directives = append(tg.Directives, model.Directive{Name: "dbfilename", Value: "dump.rdb"}, model.Directive{Name: "maxmemory-policy", Value: "noeviction"})
	got := ConfigNames(tg)
	want := []string{"maxmemory", "maxclients", "save", "appendonly", "appendfsync", "latency-monitor-threshold", "auto-aof-rewrite-percentage", "min-replicas-to-write", "dbfilename"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ConfigNames (-want +got):\n%s", diff)
	}
}

func TestHumanUnits(t *testing.T) {
	for _, tt := range []struct {
		got, want string
	}{
		{humanDuration(42), "42s"},
		{humanDuration(300), "5m"},
		{humanDuration(303), "5m3s"},
		{humanDuration(3600), "1h"},
		{humanDuration(3900), "1h5m"},
		{humanDuration(90000), "25h"},
		{humanDuration(3*86400 + 4*3600), "3d4h"},
		{humanBytes(512), "512b"},
		{humanBytes(1536), "1.5kb"},
		{humanBytes(100 << 20), "100mb"},
		{humanBytes(2 << 30), "2gb"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// auto-aof-rewrite-percentage 0 with AOF on warns unless the spec asks
// for 0, and says so precisely when a killed backup run left it.
func TestAOFRewritesOff(t *testing.T) {
	hold := &capture.RewriteHold{Address: "127.0.0.1:6379", RunID: "run-1", Original: "150", PID: 4242, Time: testNow.Add(-time.Hour)}
	for _, tc := range []struct {
		name    string
		pct     string
		spec    string // "" leaves the spec without the directive
		hold    *capture.RewriteHold
		holding bool
		want    Status
		says    string
	}{
		{"default value", "100", "", nil, false, OK, "AOF is on"},
		{"off, spec silent", "0", "", nil, false, Warning, "the spec does not ask for 0"},
		{"off, spec asks for 100", "0", "100", nil, false, Warning, "the spec does not ask for 0"},
		{"off, spec asks for 0", "0", "0", nil, false, OK, "AOF is on"},
		{"held by a running backup", "0", "", hold, true, OK, "AOF is on"},
		{"left by a killed backup", "0", "", hold, false, Warning, "the next backup run puts back the value 150"},
		{"record of an earlier server process", "0", "", &capture.RewriteHold{Address: "127.0.0.1:6379", RunID: "run-0", Original: "150", PID: 1}, false, Warning, "the spec does not ask for 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := healthyInput()
			in.Config["auto-aof-rewrite-percentage"] = tc.pct
			if tc.spec != "" {
				setDirective(&in, "auto-aof-rewrite-percentage", tc.spec)
			}
			in.RewriteHold, in.RewriteHolding = tc.hold, tc.holding
			r := find(Evaluate(in), "aof")
			if r.Status != tc.want || !strings.Contains(r.Message, tc.says) {
				t.Errorf("aof = %s %q, want %s with %q", r.Status, r.Message, tc.want, tc.says)
			}
		})
	}
}

// interrupted_restore appears only when a restore's hold is there: it is
// critical for a leftover, a warning while the restore that keeps the
// record still runs, and critical when the server is down and the record
// of an interrupted restore is there.
func TestInterruptedRestore(t *testing.T) {
	in := healthyInput()
	if r := find(Evaluate(in), CheckInterruptedRestore); r != nil {
		t.Fatalf("interrupted_restore on a healthy server: %s %q", r.Status, r.Message)
	}
	in.Config["min-replicas-to-write"] = restore.HoldToWrite
	r := find(Evaluate(in), CheckInterruptedRestore)
	if r == nil || r.Status != Critical || !strings.Contains(r.Message, "refuses every write") || !strings.Contains(r.Message, "run redisplan restore again") {
		t.Fatalf("interrupted_restore with the hold live = %+v", r)
	}
	// A restart that left the server with other data says so, not a restore.
	in.RestartRecord = &live.RestartRecord{PID: 43, Mismatch: "db0 holds 0 keys, before the stop it held 100",
		Held: [][2]string{{"min-replicas-to-write", "0"}, {"min-replicas-max-lag", "10"}}}
	r = find(Evaluate(in), CheckInterruptedRestore)
	if r == nil || r.Status != Critical || !strings.Contains(r.Message, "a restart by redisplan apply") ||
		!strings.Contains(r.Message, "before the stop it held 100") || !strings.Contains(r.Message, "CONFIG SET min-replicas-to-write 0 min-replicas-max-lag 10") {
		t.Errorf("interrupted_restore with the hold left by a restart = %+v", r)
	}
	in.RestartRecord = nil
	rec := &restore.Record{BackupID: "b1", PID: 42, Phase: restore.PhaseStarted,
		Settings: []restore.Setting{{Name: "min-replicas-to-write", Live: "0"}, {Name: "min-replicas-max-lag", Live: "7"}}}
	in.RestoreRecord, in.RestoreRecordPath = rec, "/etc/redis/redis.conf.redisplan.lock.restore"
	r = find(Evaluate(in), CheckInterruptedRestore)
	if r == nil || !strings.Contains(r.Message, "min-replicas-max-lag 7") || !strings.Contains(r.Message, "before it checked its keys") {
		t.Errorf("interrupted_restore with a record = %+v, want the record's values and phase", r)
	}
	in.RestoreRunning = true
	if r := find(Evaluate(in), CheckInterruptedRestore); r == nil || r.Status != Warning || !strings.Contains(r.Message, "is running") {
		t.Errorf("interrupted_restore while the restore runs = %+v, want a warning", r)
	}
	down := Input{Target: testTarget(), Now: testNow, LiveErr: errors.New("refused"), RestoreRecord: rec, RestoreRecordPath: in.RestoreRecordPath}
	if r := find(Evaluate(down), CheckInterruptedRestore); r == nil || r.Status != Critical || !strings.Contains(r.Message, "does not answer") {
		t.Errorf("interrupted_restore with the server down = %+v", r)
	}
}
