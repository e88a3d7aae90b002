package replicas

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redisplan/redisplan/internal/model"
)

func TestFromInfo(t *testing.T) {
	info := map[string]string{
		"role":               "master",
		"connected_slaves":   "3",
		"slave1":             "ip=10.0.0.3,port=6379,state=wait_bgsave,offset=0,lag=0",
		"slave0":             "ip=10.0.0.2,port=6380,state=online,offset=1234,lag=1",
		"slave10":            "ip=::1,port=7000,state=online,offset=99,lag=0",
		"slave_repl_offset":  "5",
		"master_repl_offset": "1300",
	}
	got := FromInfo(info)
	want := []Reported{
		{Address: "10.0.0.2:6380", State: "online", Offset: 1234},
		{Address: "10.0.0.3:6379", State: "wait_bgsave", Offset: 0},
		{Address: "[::1]:7000", State: "online", Offset: 99},
	}
	if !cmp.Equal(got, want) {
		t.Errorf("FromInfo = %v\nwant %v", got, want)
	}
	tg := &model.Target{Replication: &model.Replication{Discover: true}}
	if got := Addresses(tg, info); !cmp.Equal(got, []string{"10.0.0.2:6380", "10.0.0.3:6379", "[::1]:7000"}) {
		t.Errorf("discovered addresses = %v", got)
	}
	tg.Replication = &model.Replication{Replicas: []string{"b:1", "a:1"}}
	if got := Addresses(tg, info); !cmp.Equal(got, []string{"b:1", "a:1"}) {
		t.Errorf("declared addresses = %v, want the spec's order", got)
	}
}

func TestLag(t *testing.T) {
	primary := map[string]string{"role": "master", "master_repl_offset": "5000", "master_replid": "aaa"}
	for _, tc := range []struct {
		name    string
		replica map[string]string
		lag     int64
		err     string
	}{
		{"in sync", map[string]string{"role": "slave", "master_link_status": "up", "master_sync_in_progress": "0", "slave_repl_offset": "5000", "master_replid": "aaa"}, 0, ""},
		{"ahead of an older sample", map[string]string{"role": "slave", "master_link_status": "up", "slave_repl_offset": "5100", "master_replid": "aaa"}, 0, ""},
		{"behind", map[string]string{"role": "slave", "master_link_status": "up", "slave_repl_offset": "3000", "master_replid": "aaa"}, 2000, ""},
		{"link down", map[string]string{"role": "slave", "master_link_status": "down", "slave_repl_offset": "5000"}, 0, "link to the primary is down"},
		{"full sync", map[string]string{"role": "slave", "master_link_status": "up", "master_sync_in_progress": "1"}, 0, "full synchronization"},
		{"promoted", map[string]string{"role": "master"}, 0, "not a replica (role:master)"},
		{"another primary", map[string]string{"role": "slave", "master_link_status": "up", "master_replid": "bbb", "master_host": "10.0.0.9", "master_port": "6379"}, 0, "it replicates 10.0.0.9:6379, not this primary"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lag, err := Lag(tc.replica, primary)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Lag error = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil || lag != tc.lag {
				t.Fatalf("Lag = %d, %v; want %d", lag, err, tc.lag)
			}
		})
	}
}
