package planner

import (
	"strings"
	"testing"

	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/model"
)

// TestPlanRecordsItsCatalog: a plan of a Valkey 8.0 server (which reports
// redis_version 7.2.4) records the Valkey catalog it was diffed with, a
// saved plan keeps it, and PlanCatalog gives apply that catalog, not the
// Redis 7.2 one its redis_version would name.
func TestPlanRecordsItsCatalog(t *testing.T) {
	info := map[string]string{"redis_version": "7.2.4", "server_name": "valkey", "valkey_version": "8.0.1"}
	cat := catalog.Choose(info, "7.0")
	target := &model.Target{Name: "main", RedisVersion: "7.0", Directives: []model.Directive{{Name: "maxmemory", Value: "1048576"}}}
	live := defaults(nil)
	st := &model.State{Live: &model.LiveState{Version: "7.2.4", Server: "valkey", Config: live, Info: info}}
	tp := Diff(Input{Target: target, State: st, Catalog: cat})
	if tp.Error != "" {
		t.Fatalf("plan error: %s", tp.Error)
	}
	if tp.Catalog != "valkey-8.0" {
		t.Fatalf("TargetPlan.Catalog = %q, want valkey-8.0", tp.Catalog)
	}
	if tp.Server != "Valkey 8.0.1" {
		t.Errorf("TargetPlan.Server = %q, want Valkey 8.0.1", tp.Server)
	}

	var b strings.Builder
	p := &Plan{FormatVersion: FormatVersion, Targets: []*model.TargetPlan{tp}, Fingerprints: &Fingerprints{KDF: NewKDF(), Spec: "s", Targets: map[string]TargetFingerprint{"main": {RunID: "r"}}}}
	if err := Encode(&b, p); err != nil {
		t.Fatal(err)
	}
	back, err := Decode(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	saved := back.Targets[0]
	if saved.Catalog != "valkey-8.0" {
		t.Fatalf("the saved plan lost its catalog: %q\n%s", saved.Catalog, b.String())
	}
	if got := PlanCatalog(saved, target.RedisVersion).Version(); got != "valkey-8.0" {
		t.Errorf("PlanCatalog of the saved plan = %s, want valkey-8.0", got)
	}
}

// TestPlanCatalogOfAnOlderPlan: a plan saved before plans recorded their
// catalog gives the catalog of the server version it recorded, else the
// spec's.
func TestPlanCatalogOfAnOlderPlan(t *testing.T) {
	if got := PlanCatalog(&model.TargetPlan{Version: "7.2.4"}, "7.0").Version(); got != "7.2" {
		t.Errorf("PlanCatalog(redis_version 7.2.4) = %s, want 7.2", got)
	}
	if got := PlanCatalog(&model.TargetPlan{}, "7.4").Version(); got != "7.4" {
		t.Errorf("PlanCatalog(no version, spec 7.4) = %s, want 7.4", got)
	}
}

// TestDiffNamesTheServersRelease: a directive the target's release does
// not have stops its plan with the server's engine and release and the
// releases that have it; one the server has under another name is
// planned under that name, with a note saying so.
func TestDiffNamesTheServersRelease(t *testing.T) {
	info := map[string]string{"redis_version": "7.2.4", "server_name": "valkey", "valkey_version": "8.1.1"}
	cat := catalog.Choose(info, "8.0")
	if cat.Version() != "valkey-8.1" {
		t.Fatalf("Choose = %s, want valkey-8.1", cat.Version())
	}
	live := defaults(map[string]string{"commandlog-execution-slower-than": "10000"})
	st := func() *model.State {
		return &model.State{Live: &model.LiveState{Version: "7.2.4", Server: "valkey", Config: live, Info: info}}
	}

	target := &model.Target{Name: "main", RedisVersion: "8.0", Directives: []model.Directive{{Name: "replica-full-sync-buffer-limit", Value: "0"}}}
	tp := Diff(Input{Target: target, State: st(), Catalog: cat})
	for _, want := range []string{"replica-full-sync-buffer-limit", "Valkey 8.1.1", "Redis 8.0"} {
		if !strings.Contains(tp.Error, want) {
			t.Errorf("plan error %q does not mention %q", tp.Error, want)
		}
	}

	target = &model.Target{Name: "main", RedisVersion: "8.0", Directives: []model.Directive{{Name: "slowlog-log-slower-than", Value: "5000"}}}
	tp = Diff(Input{Target: target, State: st(), Catalog: cat})
	if tp.Error != "" {
		t.Fatalf("plan error: %s", tp.Error)
	}
	if len(tp.Changes) != 1 || tp.Changes[0].Directive != "commandlog-execution-slower-than" || tp.Changes[0].After != "5000" {
		t.Fatalf("changes = %+v, want commandlog-execution-slower-than -> 5000", tp.Changes)
	}
	found := false
	for _, r := range tp.Risks {
		if strings.Contains(r.Message, "slowlog-log-slower-than is called commandlog-execution-slower-than") && strings.Contains(r.Message, "Valkey 8.1.1") {
			found = true
		}
	}
	if !found {
		t.Errorf("no note that the directive has another name on this server: %+v", tp.Risks)
	}
}
