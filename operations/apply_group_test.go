package operations

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/redisplan/redisplan/executors/apply"
	spechcl "github.com/redisplan/redisplan/hcl"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
)

// These tests drive a replication group's apply through fakes of the
// executors' interfaces (apply.LiveConfig and apply.Restarter), to show the
// rollout's rules in an order that real servers cannot cheaply provoke.

// fakeServers records, across the members of a group, what apply asked
// of them in order.
type fakeServers struct {
	mu  sync.Mutex
	log []string
	// config is what each address answers to CONFIG GET.
	config map[string]map[string]string
	// failRestart names the address whose restart fails.
	failRestart string
	restarters  map[string]fakeRestarter
}

func (f *fakeServers) record(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, s)
}

func (f *fakeServers) live(t *model.Target, configCmd string) (apply.LiveConfig, func(), error) {
	return fakeLive{f: f, addr: t.Connection.Address}, func() {}, nil
}

func (f *fakeServers) restarter(t *model.Target, primary *model.Connection, replicas []string, emit progress.Sink) apply.Restarter {
	r := fakeRestarter{f: f, addr: t.Connection.Address, replicas: replicas}
	if primary != nil {
		r.primary = primary.Address
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.restarters == nil {
		f.restarters = map[string]fakeRestarter{}
	}
	f.restarters[r.addr] = r
	return r
}

type fakeLive struct {
	f    *fakeServers
	addr string
}

func (l fakeLive) ConfigSet(_ context.Context, pairs [][2]string) error {
	l.f.record(fmt.Sprintf("%s CONFIG SET %v", l.addr, pairs))
	return nil
}

func (l fakeLive) ConfigGet(_ context.Context, names ...string) (map[string]string, error) {
	out := map[string]string{}
	for _, n := range names {
		out[n] = l.f.config[l.addr][n]
	}
	return out, nil
}

func (l fakeLive) EnableAOF(context.Context) error {
	l.f.record(l.addr + " EnableAOF")
	return nil
}

type fakeRestarter struct {
	f        *fakeServers
	addr     string
	primary  string
	replicas []string
}

func (r fakeRestarter) Restart(ctx context.Context, steps apply.RestartSteps) error {
	r.f.record(r.addr + " restart")
	if r.addr == r.f.failRestart {
		if steps.Undo != nil {
			if err := steps.Undo(ctx); err != nil {
				return err
			}
		}
		return errors.New("the server did not come back")
	}
	return nil
}

// groupFixture is a primary and two replicas whose spec asks for a
// restart-only change (databases), with config files in a temp dir.
type groupFixture struct {
	target  *model.Target
	plan    *model.TargetPlan
	members []string // replicas, then the primary
	confDir string
}

func newGroupFixture(t *testing.T, serviceStop bool) *groupFixture {
	t.Helper()
	dir := t.TempDir()
	addrs := []string{"127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7000"}
	for _, a := range addrs {
		_, port, _ := strings.Cut(a, ":")
		if err := os.WriteFile(filepath.Join(dir, "redis-"+port+".conf"), []byte("port "+port+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stop := ""
	if serviceStop {
		stop = `stop  = ["/bin/true", "{port}"]`
	}
	spec := filepath.Join(t.TempDir(), "spec.hcl")
	text := fmt.Sprintf(`redis "main" {
  address     = %q
  config_file = "%s/redis-{port}.conf"
  replicas    = [%q, %q]
  service {
    start = ["/bin/true", "{port}"]
    %s
  }
  settings = {
    "databases" = 32
  }
}
`, addrs[2], dir, addrs[0], addrs[1], stop)
	if err := os.WriteFile(spec, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	res, diags := spechcl.Load(spechcl.Options{Path: spec})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	tgt := res.Spec.Target("main")
	change := func(name string) *model.TargetPlan {
		return &model.TargetPlan{Target: name, Changes: []model.Change{{
			Directive: "databases", Action: model.Update, Mode: model.Restart, FileChange: true,
			LiveBefore: model.Value{Set: true, Value: "16"}, FileBefore: model.Value{}, After: "32",
		}}}
	}
	tp := change("main")
	for _, a := range addrs[:2] {
		rp := change(model.MemberName("main", a))
		rp.Member = a
		tp.Replicas = append(tp.Replicas, rp)
	}
	return &groupFixture{target: tgt, plan: tp, members: addrs, confDir: dir}
}

func (g *groupFixture) conf(t *testing.T, addr string) string {
	_, port, _ := strings.Cut(addr, ":")
	b, err := os.ReadFile(filepath.Join(g.confDir, "redis-"+port+".conf"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestGroupRefusesEmptyPrimaryBeforeAnyMember: a primary that persists
// nothing, to be stopped by its service command, is refused before the
// first replica is touched: no file written, no restart, on any member.
func TestGroupRefusesEmptyPrimaryBeforeAnyMember(t *testing.T) {
	g := newGroupFixture(t, true)
	srv := &fakeServers{config: map[string]map[string]string{
		"127.0.0.1:7000": {"save": "", "appendonly": "no"},
	}}
	_, err := applyTarget(context.Background(), g.target, g.plan, true, nil, srv)
	if err == nil || !strings.Contains(err.Error(), "persists nothing") || !strings.Contains(err.Error(), "Nothing was changed") {
		t.Fatalf("apply: err = %v, want the empty-primary refusal", err)
	}
	if len(srv.log) != 0 {
		t.Errorf("members were touched before the refusal: %v", srv.log)
	}
	for _, a := range g.members {
		if c := g.conf(t, a); strings.Contains(c, "databases") {
			t.Errorf("%s's config file was written:\n%s", a, c)
		}
	}
}

// TestGroupRollsOutReplicasFirst: with persistence on, the members are
// restarted one at a time, replicas in the planned order and the primary
// last; each replica waits for its primary and the primary for its
// replicas.
func TestGroupRollsOutReplicasFirst(t *testing.T) {
	g := newGroupFixture(t, true)
	srv := &fakeServers{config: map[string]map[string]string{
		"127.0.0.1:7000": {"save": "900 1", "appendonly": "no"},
	}}
	var events []string
	res, err := applyTarget(context.Background(), g.target, g.plan, true, func(e progress.Event) { events = append(events, e.Message) }, srv)
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, strings.Join(events, "\n"))
	}
	want := []string{"127.0.0.1:7001 restart", "127.0.0.1:7002 restart", "127.0.0.1:7000 restart"}
	if fmt.Sprint(srv.log) != fmt.Sprint(want) {
		t.Errorf("restarts = %v, want %v", srv.log, want)
	}
	if !res.Restarted || res.FileChanges != 3 {
		t.Errorf("result = %+v, want a restart and 3 file changes (one per member)", res)
	}
	for _, a := range g.members[:2] {
		if r := srv.restarters[a]; r.primary != "127.0.0.1:7000" || len(r.replicas) != 0 {
			t.Errorf("replica %s's restart waits for primary %q, replicas %v; want the primary only", a, r.primary, r.replicas)
		}
	}
	if r := srv.restarters["127.0.0.1:7000"]; r.primary != "" || fmt.Sprint(r.replicas) != fmt.Sprint(g.members[:2]) {
		t.Errorf("the primary's restart waits for primary %q, replicas %v; want its replicas %v", r.primary, r.replicas, g.members[:2])
	}
	for _, a := range g.members {
		if c := g.conf(t, a); !strings.Contains(c, "databases 32") {
			t.Errorf("%s's config file lacks databases 32:\n%s", a, c)
		}
	}
}

// TestGroupStopsAtTheFirstFailedMember: when the first replica's restart
// fails, the rollout stops there: the second replica and the primary are
// neither written nor restarted, and the error says so.
func TestGroupStopsAtTheFirstFailedMember(t *testing.T) {
	g := newGroupFixture(t, true)
	srv := &fakeServers{
		config:      map[string]map[string]string{"127.0.0.1:7000": {"save": "900 1", "appendonly": "no"}},
		failRestart: "127.0.0.1:7001",
	}
	_, err := applyTarget(context.Background(), g.target, g.plan, true, nil, srv)
	if err == nil || !strings.Contains(err.Error(), "the 2 member(s) after it in the order were not changed") {
		t.Fatalf("apply: err = %v, want the rollout stopped after the first replica", err)
	}
	if fmt.Sprint(srv.log) != "[127.0.0.1:7001 restart]" {
		t.Errorf("restarts = %v, want only the first replica's", srv.log)
	}
	for _, a := range g.members {
		if c := g.conf(t, a); strings.Contains(c, "databases") {
			t.Errorf("%s's config file holds the change after the failed rollout:\n%s", a, c)
		}
	}
}
