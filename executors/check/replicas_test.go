package check

import (
	"errors"
	"testing"

	"github.com/redisplan/redisplan/internal/model"
)

func TestReplicaPersistence(t *testing.T) {
	same := func() map[string]string {
		return map[string]string{"save": "3600 1 300 100", "appendonly": "yes", "appendfsync": "everysec"}
	}
	for _, tc := range []struct {
		name     string
		replicas []ReplicaConfig
		status   Status
		message  string
	}{
		{"none listed", nil, OK, "the primary has no replicas to compare"},
		{"alike", []ReplicaConfig{{Address: "10.0.0.2:6379", Config: same()}, {Address: "10.0.0.3:6379", Config: same()}},
			OK, "the 2 replicas match the primary's persistence settings"},
		{"one differs", []ReplicaConfig{
			{Address: "10.0.0.2:6379", Config: same()},
			{Address: "10.0.0.3:6379", Config: map[string]string{"save": "", "appendonly": "yes", "appendfsync": "always"}},
		}, Warning, `replica 10.0.0.3:6379: save is "", the primary's "3600 1 300 100", appendfsync is "always", the primary's "everysec"`},
		{"same after normalization", []ReplicaConfig{{Address: "10.0.0.2:6379", Config: map[string]string{"save": "3600 1 300 100", "appendonly": "YES", "appendfsync": "EVERYSEC"}}},
			OK, "the replica matches the primary's persistence settings"},
		{"unreadable", []ReplicaConfig{{Address: "10.0.0.2:6379", Err: errors.New("connection refused")}},
			Unknown, "could not read replicas: 10.0.0.2:6379: connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := healthyInput()
			in.Target.Replication = &model.Replication{Replicas: []string{"10.0.0.2:6379", "10.0.0.3:6379"}}
			in.Replicas = tc.replicas
			r := find(Evaluate(in), CheckReplicaPersistence)
			if r == nil {
				t.Fatal("no replica_persistence result for a target with replicas")
			}
			if r.Status != tc.status || r.Message != tc.message {
				t.Errorf("got %s: %s\nwant %s: %s", r.Status, r.Message, tc.status, tc.message)
			}
		})
	}
	if find(Evaluate(healthyInput()), CheckReplicaPersistence) != nil {
		t.Error("replica_persistence runs for a target without replicas")
	}
}
