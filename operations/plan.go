package operations

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/redisplan/redisplan/executors/backup/capture"
	"github.com/redisplan/redisplan/executors/crontab"
	"github.com/redisplan/redisplan/executors/kubecron"
	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/executors/lock"
	"github.com/redisplan/redisplan/executors/replicas"
	"github.com/redisplan/redisplan/executors/restore"
	"github.com/redisplan/redisplan/executors/schedfiles"
	"github.com/redisplan/redisplan/executors/systemd"
	spechcl "github.com/redisplan/redisplan/hcl"
	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/fsutil"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/owner"
	"github.com/redisplan/redisplan/planner"
)

// PlanOptions are what a plan is made from.
type PlanOptions struct {
	// Spec is the loaded spec; Targets are the ones to plan (all the
	// spec's when nil).
	Spec    *spechcl.Result
	Targets []*model.Target
	// Cron says how the scheduled jobs' lines name the binary, the spec
	// and the var-files.
	Cron crontab.RenderOptions
	// Parallelism is how many targets are inspected at a time (1 when
	// not positive).
	Parallelism int
	// KDF, when set, makes the plan carry fingerprints made with it: for
	// a saved plan, or to compare with one. Fingerprints cost a few
	// argon2id runs, so a plan only shown goes without.
	KDF *planner.KDF
}

// Plan inspects every target, Parallelism at a time, and diffs each with
// the spec. A target that cannot be inspected gets an error of its own in
// the plan; the others still plan.
func Plan(ctx context.Context, o PlanOptions) *planner.Plan {
	targets := o.Targets
	if targets == nil {
		targets = o.Spec.Spec.Targets
	}
	p := &planner.Plan{
		FormatVersion: planner.FormatVersion,
		Targets:       make([]*model.TargetPlan, len(targets)),
	}
	if o.KDF != nil {
		p.Fingerprints = &planner.Fingerprints{
			KDF:     o.KDF,
			Spec:    specFingerprint(o.Spec, o.KDF),
			Targets: map[string]planner.TargetFingerprint{},
		}
	}
	jv := jobVariables(o.Spec, o.Cron)
	var mu sync.Mutex
	sem := make(chan struct{}, max(o.Parallelism, 1))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			tp, fps := planGroup(ctx, t, o.Cron, o.KDF, jv)
			p.Targets[i] = tp
			if p.Fingerprints == nil {
				return
			}
			mu.Lock()
			for name, fp := range fps {
				p.Fingerprints.Targets[name] = fp
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return p
}

// SavePlan writes p to path for a later apply, atomically and readable by
// its owner only (a plan names servers and their settings).
func SavePlan(path string, p *planner.Plan) error {
	var b strings.Builder
	if err := planner.Encode(&b, p); err != nil {
		return err
	}
	return fsutil.WriteFileMode(path, []byte(b.String()), 0o600)
}

// LoadPlan reads a plan that SavePlan wrote.
func LoadPlan(path string) (*planner.Plan, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := planner.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// planGroup plans a target and, when it is the primary of a replication
// group, each of its replicas (declared, or listed by the primary's INFO
// replication), in the order apply changes them. The fingerprints are
// keyed by target name, and by member name for replicas.
func planGroup(ctx context.Context, t *model.Target, cronOpts crontab.RenderOptions, kdf *planner.KDF, jv *planner.JobVariables) (*model.TargetPlan, map[string]planner.TargetFingerprint) {
	tp, st, fp := planTarget(ctx, t, "", nil, cronOpts, kdf, jv)
	fps := map[string]planner.TargetFingerprint{t.Name: fp}
	if t.Replication == nil || tp.Error != "" {
		return tp, fps
	}
	var info map[string]string
	if st.Live != nil {
		info = st.Live.Info
	}
	for _, addr := range replicas.Addresses(t, info) {
		m := t.Member(addr)
		rp, _, rfp := planTarget(ctx, m, addr, info, cronOpts, kdf, jv)
		tp.Replicas = append(tp.Replicas, rp)
		fps[m.Name] = rfp
	}
	return tp, fps
}

// planTarget inspects and diffs one server; its fingerprint is made only
// with a kdf.
func planTarget(ctx context.Context, t *model.Target, replica string, primaryInfo map[string]string, cronOpts crontab.RenderOptions, kdf *planner.KDF, jv *planner.JobVariables) (*model.TargetPlan, *model.State, planner.TargetFingerprint) {
	ictx, cancel := context.WithTimeout(ctx, t.Connection.Timeout+10*time.Second)
	defer cancel()
	st, err := live.Inspector{}.Inspect(ictx, t)
	if st == nil {
		st = &model.State{}
	}
	if err != nil && st.Error == nil {
		st.Error = err
	}
	cat := targetCatalog(t, st)
	var cronLines []string
	if t.Cron != nil {
		cronLines = crontab.Lines(t, cronOpts)
	}
	schedules, err := ScheduleDirs(t, cronOpts)
	if err != nil {
		tp := &model.TargetPlan{Target: t.Name, Error: err.Error(), Changes: []model.Change{}, Drift: []model.Drift{}, Risks: []model.Risk{}}
		return tp, st, fingerprint(t, st, cat, kdf)
	}
	tp := planner.Diff(planner.Input{Target: t, State: st, Catalog: cat, CronLines: cronLines, CronOwner: crontab.Owner(t, cronOpts),
		Schedules: schedules, Replica: replica, PrimaryInfo: primaryInfo, JobVariables: jv, Leftovers: leftovers(t, replica)})
	return tp, st, fingerprint(t, st, cat, kdf)
}

func fingerprint(t *model.Target, st *model.State, cat *catalog.Catalog, kdf *planner.KDF) planner.TargetFingerprint {
	if kdf == nil {
		return planner.TargetFingerprint{}
	}
	return planner.FingerprintTarget(t, st, cat, kdf)
}

// jobVariables says which of the spec's variables the scheduled jobs can
// resolve from what their lines carry: the variables without a default,
// and those the carried -var-files set. -var values and this process's
// environment never reach a job.
func jobVariables(res *spechcl.Result, cronOpts crontab.RenderOptions) *planner.JobVariables {
	jv := &planner.JobVariables{}
	for name, v := range res.Variables {
		if !v.HasDefault {
			jv.Required = append(jv.Required, name)
		}
		if v.OnlyHere {
			jv.OnlyHere = append(jv.OnlyHere, name)
		}
		if v.NotDefault && !v.Sensitive {
			jv.PodDefaults = append(jv.PodDefaults, name)
		}
		for _, f := range v.VarFiles {
			abs, err := filepath.Abs(f)
			if err == nil && slices.Contains(cronOpts.VarFiles, abs) && !slices.Contains(jv.FromVarFiles, name) {
				jv.FromVarFiles = append(jv.FromVarFiles, name)
			}
		}
	}
	sort.Strings(jv.Required)
	sort.Strings(jv.FromVarFiles)
	sort.Strings(jv.OnlyHere)
	sort.Strings(jv.PodDefaults)
	return jv
}

// ScheduleDirs renders the files of the target's systemd and kubernetes
// cron blocks, in the order the inspector reads their directories.
func ScheduleDirs(t *model.Target, cronOpts crontab.RenderOptions) ([]model.ScheduleDir, error) {
	var out []model.ScheduleDir
	add := func(kind, dir string, o owner.Owner, files []schedfiles.File) {
		sd := model.ScheduleDir{Kind: kind, Dir: dir, Owner: o}
		for _, f := range files {
			sd.Files = append(sd.Files, model.ScheduleFile{Name: f.Name, Content: string(f.Content)})
		}
		out = append(out, sd)
	}
	for _, st := range t.Timers {
		files, err := systemd.Render(t, st, cronOpts)
		if err != nil {
			return nil, err
		}
		add("systemd", st.Dir, systemd.Owner(t, st, cronOpts), files)
	}
	for _, kc := range t.CronJobs {
		files, err := kubecron.Render(t, kc, cronOpts.Config)
		if err != nil {
			return nil, err
		}
		add("kubernetes", kc.Dir, kubecron.Owner(t, kc, cronOpts.Config), files)
	}
	return out, nil
}

// targetCatalog is the catalog for a target: catalog.Choose on the live
// server's INFO, else the spec's redis_version.
func targetCatalog(t *model.Target, st *model.State) *catalog.Catalog {
	var info map[string]string
	if st != nil && st.Live != nil {
		info = st.Live.Info
	}
	return catalog.Choose(info, t.RedisVersion)
}

func specFingerprint(res *spechcl.Result, kdf *planner.KDF) string {
	in := planner.SpecInput{Files: map[string][]byte{}, Vars: map[string]string{}}
	for _, name := range res.Filenames {
		if b, err := os.ReadFile(name); err == nil {
			in.Files[name] = b
		}
	}
	for name, v := range res.Variables {
		if b, err := ctyjson.Marshal(v.Value, v.Value.Type()); err == nil {
			in.Vars[name] = string(b)
		}
	}
	return planner.SpecFingerprint(in, kdf)
}

// leftovers reads the records that interrupted runs left beside the
// target's lock, for the plan to name redisplan's own values as such.
func leftovers(t *model.Target, replica string) planner.Leftovers {
	var l planner.Leftovers
	if replica != "" {
		return l
	}
	if r, err := restore.ReadRecord(t); err == nil && r != nil && r.Running() {
		l.Restore = fmt.Sprintf("a restore of backup %s (pid %d, since %s) is running: wait until it is done",
			r.BackupID, r.PID, r.Time.UTC().Format(time.RFC3339))
		l.RestoreRunning = true
	} else if err == nil && r != nil {
		l.Restore = fmt.Sprintf("the restore of backup %s, pid %d at %s, stopped %s; its record %s keeps your values: %s",
			r.BackupID, r.PID, r.Time.UTC().Format(time.RFC3339), restore.PhaseWords(r.Phase), restore.RecordPath(t), r.UserValues())
	}
	if r, err := live.ReadRestartRecord(t); err == nil && r != nil && !r.Running() {
		l.Restart = r.Words(t) + ": redisplan apply starts it again with the service start command and compares its keys with those before the stop"
	}
	data, err := lock.JournalAt(lock.PathFor(t.ConfigFile, t.Name, t.Connection.Address), capture.JournalName).Read()
	if err == nil && data != nil {
		if h, err := capture.ParseRewriteHold(data); err == nil && !h.Holding() && h.Address == t.Connection.Address {
			l.Rewrite = &planner.RewriteLeftover{RunID: h.RunID, Original: h.Original, PID: h.PID, Time: h.Time.UTC().Format(time.RFC3339)}
		}
	}
	return l
}
