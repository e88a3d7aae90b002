package hcl

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redisplan/redisplan/internal/model"
)

// TestReplicasDecode: the replicas attribute, from = "replica", and the
// {host}/{port} placeholders, for the target itself and for each member.
func TestReplicasDecode(t *testing.T) {
	spec := load(t, Options{Path: "../testdata/valid/replicas.hcl"})
	main := spec.Target("main")
	if main == nil || main.Replication == nil {
		t.Fatal("main has no replication group")
	}
	if got := main.Replication.Replicas; !cmp.Equal(got, []string{"127.0.0.1:6380", "127.0.0.1:6381"}) {
		t.Errorf("replicas = %v", got)
	}
	if main.ConfigFile != "/etc/redis/redis-6379.conf" {
		t.Errorf("the primary's config_file = %q, want its own port put in", main.ConfigFile)
	}
	if got := main.Service.Start; !cmp.Equal(got, []string{"systemctl", "start", "redis-server@6379"}) {
		t.Errorf("the primary's start = %v", got)
	}
	if main.Backup.From != model.FromReplica {
		t.Errorf("backup.from = %q, want replica", main.Backup.From)
	}

	m := main.Member("127.0.0.1:6381")
	if m.Name != "main/127.0.0.1:6381" || m.Connection.Address != "127.0.0.1:6381" {
		t.Errorf("member = %s at %s", m.Name, m.Connection.Address)
	}
	if m.ConfigFile != "/etc/redis/redis-6381.conf" {
		t.Errorf("the member's config_file = %q", m.ConfigFile)
	}
	if got := m.Service.Stop; !cmp.Equal(got, []string{"systemctl", "stop", "redis-server@6381"}) {
		t.Errorf("the member's stop = %v", got)
	}
	if m.Backup != nil || m.Replication != nil || m.Alerts != nil || m.Cron != nil {
		t.Error("a member carries the group's backup, replication, alerts or cron")
	}
	if !cmp.Equal(directives(m), directives(main)) {
		t.Errorf("the member's directives %v differ from the primary's %v", directives(m), directives(main))
	}

	sessions := spec.Target("sessions")
	if sessions.Replication == nil || !sessions.Replication.Discover {
		t.Fatal("sessions does not discover its replicas")
	}
	if sessions.Backup != nil {
		t.Error("sessions has a backup block")
	}
	if got := sessions.Service.Start; !cmp.Equal(got, []string{"ssh", "10.0.0.1", "sudo", "systemctl", "start", "redis-server"}) {
		t.Errorf("the primary's start = %v", got)
	}
	sm := sessions.Member("10.0.0.2:6379")
	if got := sm.Service.Start; !cmp.Equal(got, []string{"ssh", "10.0.0.2", "sudo", "systemctl", "start", "redis-server"}) {
		t.Errorf("the member's start = %v", got)
	}
	if sm.ConfigFile != "" {
		t.Errorf("a member got config_file %q though the spec's has no placeholder", sm.ConfigFile)
	}
}

// TestMemberSkipsMemberSpecificDirectives: replicaof, port and the like
// name one server and never reach a replica.
func TestMemberSkipsMemberSpecificDirectives(t *testing.T) {
	tg := &model.Target{
		Name:        "main",
		Connection:  model.Connection{Address: "127.0.0.1:6379"},
		Directives:  []model.Directive{{Name: "maxmemory", Value: "1"}, {Name: "port", Value: "6379"}, {Name: "pidfile", Value: "/run/a.pid"}, {Name: "dir", Value: "/var/lib/redis"}},
		Replication: &model.Replication{Replicas: []string{"127.0.0.1:6380"}, ConfigFile: "/etc/redis.conf"},
		ConfigFile:  "/etc/redis.conf",
	}
	m := tg.Member("127.0.0.1:6380")
	if got := directives(m); !cmp.Equal(got, map[string]string{"maxmemory": "1"}) {
		t.Errorf("member directives = %v, want only maxmemory", got)
	}
	if m.ConfigFile != "" {
		t.Errorf("member config_file = %q: a file without a placeholder is the primary's", m.ConfigFile)
	}
}
