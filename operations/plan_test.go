package operations

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redisplan/redisplan/executors/server/servertest"
	spechcl "github.com/redisplan/redisplan/hcl"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/planner"
)

// These tests call the operations as a program would, without the CLI,
// against real redis-servers.

func loadSpec(t *testing.T, text string) *spechcl.Result {
	t.Helper()
	p := filepath.Join(t.TempDir(), "spec.hcl")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	res, diags := spechcl.Load(spechcl.Options{Path: p})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return res
}

func memorySpec(t *testing.T, srv *servertest.Server) *spechcl.Result {
	return loadSpec(t, fmt.Sprintf(`redis "main" {
  address     = %q
  config_file = %q
  memory {
    max    = "64mb"
    policy = "allkeys-lfu"
  }
}
`, srv.Addr(), srv.ConfigPath()))
}

func configGet(t *testing.T, srv *servertest.Server, name string) string {
	t.Helper()
	v, err := srv.Client(t).ConfigGet(context.Background(), name).Result()
	if err != nil {
		t.Fatalf("CONFIG GET %s: %v", name, err)
	}
	return v[name]
}

func change(tp *model.TargetPlan, directive string) *model.Change {
	for i := range tp.Changes {
		if tp.Changes[i].Directive == directive {
			return &tp.Changes[i]
		}
	}
	return nil
}

// TestPlanThenApplyConverges: the plan shows the spec's memory settings
// as live changes; Apply makes them (live and in the file), and a new plan
// is empty.
func TestPlanThenApplyConverges(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	res := memorySpec(t, srv)
	ctx := context.Background()

	p := Plan(ctx, PlanOptions{Spec: res})
	if p.HasErrors() || !p.HasChanges() || len(p.Targets) != 1 {
		t.Fatalf("plan: errors %v, changes %v, %d targets; want one target with changes", p.HasErrors(), p.HasChanges(), len(p.Targets))
	}
	c := change(p.Targets[0], "maxmemory")
	if c == nil || !c.LiveChange || c.After != "67108864" {
		t.Fatalf("plan's maxmemory change = %+v, want a live change to 67108864", c)
	}

	var events []progress.Event
	shown := 0
	r, err := Apply(ctx, ApplyOptions{Spec: res, Show: func(*planner.Plan) { shown++ }, Emit: func(e progress.Event) { events = append(events, e) }})
	if err != nil {
		t.Fatal(err)
	}
	if shown != 1 || len(r.Failures) != 0 || r.Applied.LiveChanges != 2 || r.Applied.FileChanges != 2 {
		t.Fatalf("apply: shown %d times, failures %v, applied %+v; want the plan shown once and 2 live and 2 file changes", shown, r.Failures, r.Applied)
	}
	if len(events) == 0 || events[0].Target != "main" {
		t.Errorf("apply's events = %+v, want the steps of redis.main", events)
	}
	if got := configGet(t, srv, "maxmemory"); got != "67108864" {
		t.Errorf("maxmemory = %s after apply, want 67108864", got)
	}
	conf, _ := os.ReadFile(srv.ConfigPath())
	if !strings.Contains(string(conf), "maxmemory-policy allkeys-lfu\n") {
		t.Errorf("the config file lacks the policy:\n%s", conf)
	}
	if p := Plan(ctx, PlanOptions{Spec: res}); p.HasChanges() || p.HasErrors() {
		t.Errorf("plan after apply: changes %v, errors %v; want none", p.HasChanges(), p.HasErrors())
	}
}

// TestApplyDeclinedChangesNothing: when Approve says no, nothing changes.
func TestApplyDeclinedChangesNothing(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	res := memorySpec(t, srv)
	before, _ := os.ReadFile(srv.ConfigPath())
	asked := false
	r, err := Apply(context.Background(), ApplyOptions{Spec: res, Approve: func() bool { asked = true; return false }})
	if err != nil {
		t.Fatal(err)
	}
	if !asked || !r.Declined || r.Applied.LiveChanges != 0 {
		t.Fatalf("apply: asked %v, declined %v, applied %+v; want asked, declined and nothing applied", asked, r.Declined, r.Applied)
	}
	if got := configGet(t, srv, "maxmemory"); got != "0" {
		t.Errorf("maxmemory = %s after a declined apply, want 0", got)
	}
	if after, _ := os.ReadFile(srv.ConfigPath()); string(after) != string(before) {
		t.Errorf("the config file changed after a declined apply:\n%s", after)
	}
}

// TestApplyRefusesStaleSavedPlan: a saved plan is applied only while the
// server is as it was when the plan was made.
func TestApplyRefusesStaleSavedPlan(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	res := memorySpec(t, srv)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "plan.bin")
	if err := SavePlan(path, Plan(ctx, PlanOptions{Spec: res, KDF: planner.NewKDF()})); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("saved plan: %v, mode %v; want 0600", err, info.Mode())
	}
	saved, err := LoadPlan(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Client(t).ConfigSet(ctx, "hz", "20").Err(); err != nil {
		t.Fatal(err)
	}
	r, err := Apply(ctx, ApplyOptions{Spec: res, Saved: saved, Show: func(*planner.Plan) { t.Error("a stale plan was shown as if it would be applied") }})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Stale) == 0 {
		t.Fatal("apply of a saved plan after the server changed: not stale")
	}
	if got := configGet(t, srv, "maxmemory"); got != "0" {
		t.Errorf("maxmemory = %s after a refused stale plan, want 0", got)
	}
}
