package operations

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/apply"
	"github.com/redisplan/redisplan/executors/crontab"
	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/executors/lock"
	"github.com/redisplan/redisplan/executors/replicas"
	"github.com/redisplan/redisplan/executors/schedfiles"
	spechcl "github.com/redisplan/redisplan/hcl"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/planner"
)

// ApplyOptions are what an apply is made from.
type ApplyOptions struct {
	// Spec, Targets, Cron and Parallelism are as in PlanOptions: apply
	// plans again before it changes anything.
	Spec        *spechcl.Result
	Targets     []*model.Target
	Cron        crontab.RenderOptions
	Parallelism int
	// Saved is a plan made earlier (plan -out): it is applied only if
	// nothing it was made from has moved since, and needs no approval.
	Saved *planner.Plan
	// AllowRestart lets apply restart servers for changes that only a
	// restart makes them use.
	AllowRestart bool
	// Show is called with the fresh plan once it is known not to be
	// stale, before anything is changed.
	Show func(*planner.Plan)
	// Approve is asked before a plan with changes is applied, when there
	// is no saved plan; nil approves.
	Approve func() bool
	// Emit receives what apply does, one event at a time.
	Emit progress.Sink
}

// ApplyResult is what an apply did.
type ApplyResult struct {
	// Plan is the plan made at the start; when it has errors, nothing
	// was applied.
	Plan *planner.Plan
	// Stale says what moved since the saved plan was made; when set,
	// nothing was applied.
	Stale []string
	// Declined is set when Approve said no: nothing was applied.
	Declined bool
	// Applied sums what was applied on the targets without a failure.
	Applied apply.Result
	// Failures are the targets whose apply failed, each error saying
	// what was and was not done there. The other targets were applied.
	Failures []TargetError
}

// TargetError is one target's failure.
type TargetError struct {
	Target string
	Err    error
}

// syncTimeout bounds the wait for a restarted member's replicas to catch
// up (a full resynchronization of a large dataset takes minutes).
const syncTimeout = 15 * time.Minute

// Apply makes the targets agree with the spec: it first starts again any
// server a killed restart left stopped, then plans, refuses a stale saved
// plan, shows the plan, asks for approval, and applies each target's
// changes, Parallelism targets at a time. A replication group is applied
// one member at a time, replicas first. The error is for a failure before
// anything was planned; what happened per target is in the result.
func Apply(ctx context.Context, o ApplyOptions) (*ApplyResult, error) {
	ev := newEvents(o.Emit)
	targets := o.Targets
	if targets == nil {
		targets = o.Spec.Spec.Targets
	}
	// A restart that was killed while the server was down left its
	// record: that server is started again (its files are the ones it
	// saved) before anything is planned.
	for _, t := range targets {
		did, err := live.RecoverRestart(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("redis.%s: %w; nothing was applied", t.Name, err)
		}
		if did != "" {
			ev.emit(progress.Event{Operation: progress.OpApply, Target: t.Name, Message: did})
		}
	}
	// A saved plan is compared with fingerprints made with its own salt;
	// an apply without one needs none.
	var kdf *planner.KDF
	if o.Saved != nil {
		kdf = o.Saved.Fingerprints.KDF
	}
	p := Plan(ctx, PlanOptions{Spec: o.Spec, Targets: targets, Cron: o.Cron, Parallelism: o.Parallelism, KDF: kdf})
	r := &ApplyResult{Plan: p}
	// A saved plan is applied only if nothing it was made from has moved:
	// otherwise it would do something nobody reviewed. A server that cannot
	// be read now is reported as what it is, not as a change.
	if o.Saved != nil && !p.HasErrors() {
		if r.Stale = planner.Stale(o.Saved.Fingerprints, p.Fingerprints); len(r.Stale) > 0 {
			return r, nil
		}
	}
	if o.Show != nil {
		o.Show(p)
	}
	if p.HasErrors() || !p.HasChanges() {
		return r, nil
	}
	if o.Saved == nil && o.Approve != nil && !o.Approve() {
		r.Declined = true
		return r, nil
	}
	r.Applied, r.Failures = applyPlan(ctx, p, targets, o.AllowRestart, o.Parallelism, ev, realServers{})
	return r, nil
}

// applyPlan applies the targets of p that have changes, parallelism at a
// time, through srv.
func applyPlan(ctx context.Context, p *planner.Plan, targets []*model.Target, allowRestart bool, parallelism int, ev *events, srv servers) (apply.Result, []TargetError) {
	byName := map[string]*model.Target{}
	for _, t := range targets {
		byName[t.Name] = t
	}
	var (
		mu       sync.Mutex
		totals   apply.Result
		failures []TargetError
		wg       sync.WaitGroup
	)
	sem := make(chan struct{}, max(parallelism, 1))
	for _, tp := range p.Targets {
		if !tp.HasChanges() {
			continue
		}
		t := byName[tp.Target]
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			r, err := applyTarget(ctx, t, tp, allowRestart, ev.emit, srv)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failures = append(failures, TargetError{Target: t.Name, Err: err})
				return
			}
			totals.LiveChanges += r.LiveChanges
			totals.FileChanges += r.FileChanges
			totals.PendingChange = append(totals.PendingChange, r.PendingChange...)
			totals.ScheduleFiles += r.ScheduleFiles
		}()
	}
	wg.Wait()
	return totals, failures
}

// servers opens the executors that apply changes one server through.
// realServers dials the server; unit tests give fakes.
type servers interface {
	// live opens t's configuration through the name CONFIG has on it;
	// close releases it.
	live(t *model.Target, configCmd string) (lc apply.LiveConfig, close func(), err error)
	// restarter restarts t. In a replication group it then waits: a
	// replica (primary set) until it has caught up with its primary, a
	// primary (replicas set) until each of its replicas has.
	restarter(t *model.Target, primary *model.Connection, replicas []string, emit progress.Sink) apply.Restarter
}

type realServers struct{}

func (realServers) live(t *model.Target, configCmd string) (apply.LiveConfig, func(), error) {
	client, err := live.Dial(t.Connection)
	if err != nil {
		return nil, nil, err
	}
	return liveConfig{client: client, cmd: configCmd}, func() { client.Close() }, nil
}

func (realServers) restarter(t *model.Target, primary *model.Connection, replicas []string, emit progress.Sink) apply.Restarter {
	return restarter{t: t, primary: primary, replicas: replicas, emit: emit}
}

func applyTarget(ctx context.Context, t *model.Target, tp *model.TargetPlan, allowRestart bool, emit progress.Sink, srv servers) (apply.Result, error) {
	lk, warning, err := lock.Acquire(lock.PathFor(t.ConfigFile, t.Name, t.Connection.Address), "redisplan apply")
	if err != nil {
		return apply.Result{}, err
	}
	defer lk.Release()
	if warning != "" {
		emit.Emit(progress.Event{Operation: progress.OpApply, Target: t.Name, Level: progress.Warning, Message: warning})
	}
	if t.Replication == nil {
		req, closeFn, err := applyRequest(t, tp, allowRestart, emit, srv)
		if err != nil {
			return apply.Result{}, err
		}
		defer closeFn()
		return apply.Run(ctx, req)
	}

	// A replication group: each replica in the planned order, then the
	// primary. A restarted replica must be back in sync before the next
	// member is touched; a restarted primary must see every replica in
	// sync again before apply reports success.
	var reqs []apply.Request
	var members []string
	for _, rp := range tp.Replicas {
		m := t.Member(rp.Member)
		req, closeFn, err := applyRequest(m, rp, allowRestart, emit, srv)
		if err != nil {
			return apply.Result{}, err
		}
		defer closeFn()
		if req.Restarter != nil {
			req.Restarter = srv.restarter(live.AsStarted(m), &t.Connection, nil, emit)
		} else if t.Service != nil {
			req.NoRestarter = "the service commands name the primary's process only: write {host} or {port} in them to restart replicas"
		}
		reqs = append(reqs, req)
		members = append(members, rp.Member)
	}
	req, closeFn, err := applyRequest(t, tp, allowRestart, emit, srv)
	if err != nil {
		return apply.Result{}, err
	}
	defer closeFn()
	if req.Restarter != nil {
		req.Restarter = srv.restarter(live.AsStarted(t), nil, members, emit)
		// Checked before any member is touched.
		if allowRestart && len(apply.RestartNeeded(tp)) > 0 && len(t.Service.Stop) > 0 && !turnsOnPersistence(tp) {
			if err := refuseEmptyPrimary(ctx, t, req.Live); err != nil {
				return apply.Result{}, fmt.Errorf("%w. Nothing was changed", err)
			}
		}
	}
	reqs = append(reqs, req)
	return apply.RunGroup(ctx, reqs)
}

// applyRequest wires one server's apply: its client, its restarter and
// its crontab.
func applyRequest(t *model.Target, tp *model.TargetPlan, allowRestart bool, emit progress.Sink, srv servers) (apply.Request, func(), error) {
	// Until it restarts, a server in the middle of a CONFIG rotation
	// answers under the name in its config file, as plan found.
	configCmd := t.ConfigCommand()
	if tp.ConfigSource == model.ConfigFromFile {
		name, err := live.FileConfigName(t.ConfigFile)
		if err != nil {
			return apply.Request{}, nil, err
		}
		configCmd = name
	}
	lc, closeFn, err := srv.live(t, configCmd)
	if err != nil {
		return apply.Request{}, nil, err
	}
	req := apply.Request{
		Target:       t,
		Plan:         tp,
		Catalog:      planner.PlanCatalog(tp, t.RedisVersion),
		AllowRestart: allowRestart,
		Live:         lc,
		Splice:       crontab.SpliceOwned,
		Schedules:    schedfiles.Writer{},
		Emit:         emit,
	}
	if t.Service != nil && len(t.Service.Start) > 0 {
		req.Restarter = srv.restarter(live.AsStarted(t), nil, nil, emit)
	}
	if c := t.Cron; c != nil {
		if c.File != "" {
			req.Crontab = crontab.CronDFile{Path: c.File}
		} else {
			req.Crontab = crontab.UserCrontab{User: c.User}
		}
	}
	return req, closeFn, nil
}

// liveConfig is apply.LiveConfig over a go-redis client, through the name
// CONFIG has on this server.
type liveConfig struct {
	client *redis.Client
	cmd    string
}

var (
	_ apply.LiveConfig    = liveConfig{}
	_ apply.ScheduleFiles = schedfiles.Writer{}
)

func (l liveConfig) ConfigSet(ctx context.Context, pairs [][2]string) error {
	return live.ConfigSet(ctx, l.client, l.cmd, pairs)
}

func (l liveConfig) ConfigGet(ctx context.Context, names ...string) (map[string]string, error) {
	return live.ConfigGet(ctx, l.client, l.cmd, names...)
}

func (l liveConfig) EnableAOF(ctx context.Context) error {
	return live.EnableAOF(ctx, l.client, l.cmd)
}

// restarter restarts one server. In a replication group it then waits:
// a replica (primary set) until it has caught up with its primary, a
// primary (replicas set) until each of its replicas has.
type restarter struct {
	t        *model.Target
	primary  *model.Connection
	replicas []string
	emit     progress.Sink
}

var _ apply.Restarter = restarter{}

func (r restarter) Restart(ctx context.Context, steps apply.RestartSteps) error {
	say := func(format string, args ...any) {
		if r.emit != nil {
			r.emit.Emit(progress.Event{Operation: progress.OpApply, Target: r.t.Name, Message: fmt.Sprintf(format, args...)})
		}
	}
	opts := live.RestartOptions{BeforeStart: steps.BeforeStart, Undo: steps.Undo, WantNames: steps.WantNames, OldNames: steps.OldNames}
	if r.primary != nil {
		// A replica is checked against its primary once in sync: its own
		// data before the restart says nothing about what it reloads.
		opts.AfterStart = func(ctx context.Context) (string, error) {
			wctx, cancel := context.WithTimeout(ctx, syncTimeout)
			defer cancel()
			if err := replicas.WaitInSync(wctx, *r.primary, r.t.Connection); err != nil {
				return "", fmt.Errorf("after its restart: %w", err)
			}
			return live.SameDataAsPrimary(ctx, r.t, *r.primary)
		}
	}
	back, err := live.Restart(ctx, r.t, opts)
	if err != nil {
		return err
	}
	if back.Note != "" {
		say("%s", back.Note)
	}
	if back.Keyspace != "" {
		say("the server is back (run_id %s); %s", shortID(back.RunID), back.Keyspace)
	} else {
		say("the server is back (run_id %s)", shortID(back.RunID))
	}
	wctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	for _, addr := range r.replicas {
		m := r.t.Member(addr)
		if err := replicas.WaitInSync(wctx, r.t.Connection, m.Connection); err != nil {
			return fmt.Errorf("after the primary's restart: %w", err)
		}
		say("replica %s in sync again", addr)
	}
	return nil
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// refuseEmptyPrimary refuses to stop a primary through its service command
// when it persists nothing: a plain stop does not save, the primary would
// come back empty, and its replicas would copy the empty dataset. Without
// a stop command, Restart sends SHUTDOWN SAVE, which writes an RDB that the
// new process loads.
func refuseEmptyPrimary(ctx context.Context, t *model.Target, lc apply.LiveConfig) error {
	cfg, err := lc.ConfigGet(ctx, "save", "appendonly")
	if err != nil {
		return err
	}
	if strings.TrimSpace(cfg["save"]) == "" && cfg["appendonly"] == "no" {
		return fmt.Errorf(`the primary at %s persists nothing (save "" and appendonly no), so stopping it with the service stop command would bring it back empty and its replicas would copy the empty dataset: `+
			`remove service.stop so that redisplan stops it with SHUTDOWN SAVE, or turn on persistence first`, t.Connection.Address)
	}
	return nil
}

// turnsOnPersistence reports whether the plan itself makes the server
// persist (AOF on, or save points) before apply reaches the restart.
func turnsOnPersistence(tp *model.TargetPlan) bool {
	for _, c := range tp.Changes {
		if c.LiveChange && (c.Directive == "appendonly" && c.After == "yes" || c.Directive == "save" && strings.TrimSpace(c.After) != "") {
			return true
		}
	}
	return false
}
