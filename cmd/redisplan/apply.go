package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/cmd/redisplan/internal/arguments"
	"github.com/redisplan/redisplan/executors/apply"
	"github.com/redisplan/redisplan/executors/crontab"
	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/executors/lock"
	"github.com/redisplan/redisplan/executors/replicas"
	"github.com/redisplan/redisplan/executors/schedfiles"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
	"github.com/redisplan/redisplan/planner"
	"github.com/redisplan/redisplan/planner/lint"
)

func runApply(ctx context.Context, env *cmdEnv, args []string) int {
	a, err := arguments.ParseApply(args)
	if code, done := parsed(env, "apply", err, exitError); done {
		return code
	}
	sf, targets, parallelism, planFile := specFlagsOf(a.Spec), a.Targets, a.Parallelism, a.PlanFile
	autoApprove, allowRestart, allowPolicy := a.AutoApprove, a.AllowRestart, a.AllowPolicyErrors

	res, ok := loadSpec(env, &sf)
	if !ok {
		return exitError
	}
	var saved *planner.Plan
	if planFile != "" {
		f, err := os.Open(planFile)
		if err != nil {
			fmt.Fprintf(env.stderr, "redisplan apply: %v\n", err)
			return exitError
		}
		saved, err = planner.Decode(f)
		f.Close()
		if err != nil {
			fmt.Fprintf(env.stderr, "redisplan apply: %s: %v\n", planFile, err)
			return exitError
		}
		if len(targets) == 0 {
			for _, tp := range saved.Targets {
				targets = append(targets, tp.Target)
			}
		}
	}
	selected, err := selectTargets(res.Spec, targets)
	if err != nil {
		fmt.Fprintf(env.stderr, "redisplan apply: %v\n", err)
		return exitError
	}
	cronOpts, err := crontabOptions(&sf)
	if err != nil {
		fmt.Fprintf(env.stderr, "redisplan apply: %v\n", err)
		return exitError
	}
	// Policy errors stop apply before it reads or changes anything.
	findings, ok := checkPolicies(env, &sf, res, selected)
	if !ok {
		return exitError
	}
	findings = unsuppressed(findings)
	if errs := policyErrors(findings); len(errs) > 0 {
		if !allowPolicy {
			lint.WriteText(env.stderr, errs, !sf.noColor && isTerminal(env.stderr))
			fmt.Fprintf(env.stderr, "redisplan apply: refusing to apply: %s (%s); nothing was changed. Fix them, suppress each with an ignore block or a # redisplan:ignore comment that gives a reason, or run again with -allow-policy-errors.\n",
				plural(len(errs), "policy error", "policy errors"), findingList(errs))
			return exitError
		}
		fmt.Fprintf(env.stderr, "WARNING: applying despite %d policy error(s): %s. -allow-policy-errors overrides them; this apply goes against the spec's own policies.\n",
			len(errs), findingList(errs))
	}

	// A restart that was killed while the server was down left its
	// record: that server is started again (its files are the ones it
	// saved) before anything is planned.
	for _, t := range selected {
		did, err := live.RecoverRestart(ctx, t)
		if err != nil {
			fmt.Fprintf(env.stderr, "redisplan apply: redis.%s: %v; nothing was applied\n", t.Name, err)
			return exitError
		}
		if did != "" {
			fmt.Fprintf(env.stdout, "redis.%s: %s\n", t.Name, did)
		}
	}
	// A saved plan is compared with fingerprints made with its own salt;
	// an apply without one needs none.
	var kdf *planner.KDF
	if saved != nil {
		kdf = saved.Fingerprints.KDF
	}
	p := makePlan(ctx, res, selected, cronOpts, parallelism, kdf)
	color := !sf.noColor && isTerminal(env.stdout)
	// A saved plan is applied only if nothing it was made from has moved:
	// otherwise it would do something nobody reviewed. A server that cannot
	// be read now is reported below as what it is, not as a change.
	if saved != nil && !p.HasErrors() {
		if reasons := planner.Stale(saved.Fingerprints, p.Fingerprints); len(reasons) > 0 {
			fmt.Fprintf(env.stderr, "Saved plan is stale: %s since the plan was made.\nRun redisplan plan again and review the new plan.\n", strings.Join(reasons, "; "))
			return exitError
		}
	}
	writePlanText(env.stdout, p, selected, findings, color)
	if p.HasErrors() {
		for _, tp := range p.Targets {
			for _, e := range tp.Errors() {
				fmt.Fprintf(env.stderr, "Error: redis.%s: %s\n", tp.Target, e)
			}
		}
		fmt.Fprintln(env.stderr, "redisplan apply: some targets could not be planned (see the errors above); nothing was applied")
		return exitError
	}
	if !p.HasChanges() {
		return exitOK
	}
	if saved == nil && !autoApprove {
		if !confirm(env, "apply", "Do you want to apply these changes?",
			"Review the plan and run again with -auto-approve, or save it with plan -out FILE and run apply FILE.") {
			return exitError
		}
	}

	byName := map[string]*model.Target{}
	for _, t := range selected {
		byName[t.Name] = t
	}
	var (
		mu     sync.Mutex
		failed bool
		totals apply.Result
		wg     sync.WaitGroup
	)
	sem := make(chan struct{}, parallelism)
	emit := newProgressView(env, env.stdout, false).sink("")
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
			r, err := applyTarget(ctx, t, tp, allowRestart, emit)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed = true
				fmt.Fprintf(env.stderr, "Error: redis.%s: %v\n", t.Name, err)
				return
			}
			totals.LiveChanges += r.LiveChanges
			totals.FileChanges += r.FileChanges
			totals.PendingChange = append(totals.PendingChange, r.PendingChange...)
			totals.ScheduleFiles += r.ScheduleFiles
		}()
	}
	wg.Wait()
	if failed {
		fmt.Fprintln(env.stdout, "Apply failed for some targets; see the errors above. Targets without an error were applied.")
		return exitError
	}
	schedules := ""
	if totals.ScheduleFiles > 0 {
		schedules = ", " + plural(totals.ScheduleFiles, "schedule file", "schedule files")
	}
	fmt.Fprintf(env.stdout, "Apply complete: %s, %s%s, %d pending restart.\n",
		plural(totals.LiveChanges, "live change", "live changes"),
		plural(totals.FileChanges, "file change", "file changes"),
		schedules, len(totals.PendingChange))
	return exitOK
}

// confirm asks for "yes" on a terminal before the command named by what
// ("apply", "restore") changes anything. Without a terminal nobody can
// answer, so it refuses rather than guess; hint says how to go on.
func confirm(env *cmdEnv, what, question, hint string) bool {
	f, ok := env.stdin.(*os.File)
	if !ok || !isTerminal(f) {
		fmt.Fprintf(env.stderr, "redisplan %s: refusing to %s without confirmation: stdin is not a terminal; nothing was changed. %s\n", what, what, hint)
		return false
	}
	fmt.Fprintf(env.stdout, "\n%s Only 'yes' will be accepted: ", question)
	answer, _ := bufio.NewReader(env.stdin).ReadString('\n')
	if strings.TrimSpace(answer) != "yes" {
		fmt.Fprintf(env.stderr, "redisplan %s: cancelled; nothing was changed.\n", what)
		return false
	}
	return true
}

// syncTimeout bounds the wait for a restarted member's replicas to catch
// up (a full resynchronization of a large dataset takes minutes).
const syncTimeout = 15 * time.Minute

func applyTarget(ctx context.Context, t *model.Target, tp *model.TargetPlan, allowRestart bool, emit progress.Sink) (apply.Result, error) {
	lk, warning, err := lock.Acquire(lock.PathFor(t.ConfigFile, t.Name, t.Connection.Address), "redisplan apply")
	if err != nil {
		return apply.Result{}, err
	}
	defer lk.Release()
	if warning != "" {
		emit.Emit(progress.Event{Operation: progress.OpApply, Target: t.Name, Level: progress.Warning, Message: warning})
	}
	if t.Replication == nil {
		req, closeFn, err := applyRequest(t, tp, allowRestart, emit)
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
		req, closeFn, err := applyRequest(m, rp, allowRestart, emit)
		if err != nil {
			return apply.Result{}, err
		}
		defer closeFn()
		if req.Restarter != nil {
			req.Restarter = restarter{t: live.AsStarted(m), primary: &t.Connection, emit: emit}
		} else if t.Service != nil {
			req.NoRestarter = "the service commands name the primary's process only: write {host} or {port} in them to restart replicas"
		}
		reqs = append(reqs, req)
		members = append(members, rp.Member)
	}
	req, closeFn, err := applyRequest(t, tp, allowRestart, emit)
	if err != nil {
		return apply.Result{}, err
	}
	defer closeFn()
	if req.Restarter != nil {
		req.Restarter = restarter{t: live.AsStarted(t), replicas: members, emit: emit}
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

// applyRequest wires one server's apply: its client, its restarter (set
// by the caller) and its crontab.
func applyRequest(t *model.Target, tp *model.TargetPlan, allowRestart bool, emit progress.Sink) (apply.Request, func(), error) {
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
	client, err := live.Dial(t.Connection)
	if err != nil {
		return apply.Request{}, nil, err
	}
	req := apply.Request{
		Target:       t,
		Plan:         tp,
		Catalog:      targetCatalog(t, &model.State{Live: &model.LiveState{Version: tp.Version}}),
		AllowRestart: allowRestart,
		Live:         liveConfig{client: client, cmd: configCmd},
		Splice:       crontab.SpliceOwned,
		Schedules:    schedfiles.Writer{},
		Emit:         emit,
	}
	if t.Service != nil && len(t.Service.Start) > 0 {
		req.Restarter = restarter{t: live.AsStarted(t), emit: emit}
	}
	if c := t.Cron; c != nil {
		if c.File != "" {
			req.Crontab = crontab.CronDFile{Path: c.File}
		} else {
			req.Crontab = crontab.UserCrontab{User: c.User}
		}
	}
	return req, func() { client.Close() }, nil
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
		r.emit.Emit(progress.Event{Operation: progress.OpApply, Target: r.t.Name, Message: fmt.Sprintf(format, args...)})
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
