package arguments

import (
	"flag"
	"slices"
	"strings"
	"time"

	"github.com/redisplan/redisplan/executors/drill"
)

// Validate is validate's command line.
type Validate struct {
	Spec Spec
	JSON bool
}

func (v *Validate) define(fs *flag.FlagSet) {
	v.Spec.define(fs)
	fs.BoolVar(&v.JSON, "json", false, "print the result as JSON")
}

// ParseValidate parses validate's arguments.
func ParseValidate(args []string) (*Validate, error) {
	v := &Validate{}
	p := newParser("validate", v.define)
	if err := p.parse(args); err != nil {
		return nil, err
	}
	return v, p.result()
}

// Fmt is fmt's command line.
type Fmt struct {
	Check, Diff, Write, NoColor bool
	// Config is formatted when no Paths are given.
	Config string
	// Paths are files, or directories whose *.hcl files are formatted.
	Paths []string
}

func (f *Fmt) define(fs *flag.FlagSet) {
	fs.BoolVar(&f.Check, "check", false, "change nothing; exit 3 when a file needs formatting")
	fs.BoolVar(&f.Diff, "diff", false, "print the changes as a unified diff")
	fs.BoolVar(&f.Write, "write", true, "rewrite files that need formatting")
	fs.BoolVar(&f.NoColor, "no-color", false, "never use colour in output")
	fs.StringVar(&f.Config, "config", ".", "spec `path` to format when no PATH is given")
	// Accepted like every command's, so that a wrapper can pass the same
	// flags everywhere; formatting does not evaluate variables.
	var ignored repeated
	fs.Var(&ignored, "var", "accepted for uniformity; fmt does not evaluate variables")
	fs.Var(&ignored, "var-file", "accepted for uniformity; fmt does not evaluate variables")
}

// ParseFmt parses fmt's arguments.
func ParseFmt(args []string) (*Fmt, error) {
	f := &Fmt{}
	p := newParser("fmt", f.define)
	if err := p.parse(args); err != nil {
		return nil, err
	}
	f.Paths = p.args
	if len(f.Paths) == 0 {
		f.Paths = []string{f.Config}
	}
	return f, p.result()
}

// RenderKinds are what render prints, in the order its help lists them.
var RenderKinds = []string{"redis.conf", "crontab", "systemd", "kubernetes", "prometheus-rules"}

// Render is render's command line.
type Render struct {
	Spec    Spec
	Targets []string
	// Out is a directory to write files into; empty prints them.
	Out string
	// What is one of RenderKinds.
	What string
}

func (r *Render) define(fs *flag.FlagSet) {
	r.Spec.define(fs)
	fs.Var((*repeated)(&r.Targets), "target", "render only this `target` (repeatable)")
	fs.StringVar(&r.Out, "o", "", "write files into `DIR` (mode 0600, secrets included) instead of printing")
}

// ParseRender parses render's arguments.
func ParseRender(args []string) (*Render, error) {
	r := &Render{}
	p := newParser("render", r.define)
	if err := p.parse(args); err != nil {
		return nil, err
	}
	r.What = p.arg(0)
	if r.What == "" {
		r.What = "redis.conf"
	}
	if !isSpecPath(r.What) && !oneOf(r.What, RenderKinds) {
		p.errorf("cannot render %s; choose %s", p.quote(r.What), choices(RenderKinds))
	}
	return r, p.result()
}

// PlanFormats are plan's output formats.
var PlanFormats = []string{"text", "json", "markdown"}

// Plan is plan's command line.
type Plan struct {
	Spec        Spec
	Targets     []string
	Parallelism int
	// Out is the file the plan is saved to; empty saves nothing.
	Out string
	// Format is one of PlanFormats; -json sets it to json.
	Format           string
	DetailedExitcode bool
	json             bool
}

func (pl *Plan) define(fs *flag.FlagSet) {
	pl.Spec.define(fs)
	fs.Var((*repeated)(&pl.Targets), "target", "plan only this `target` (repeatable)")
	fs.IntVar(&pl.Parallelism, "parallelism", 10, "how many targets to inspect at once")
	fs.StringVar(&pl.Out, "out", "", "save the plan to `FILE` for apply")
	fs.BoolVar(&pl.json, "json", false, "print the plan as JSON (same as -format json)")
	fs.StringVar(&pl.Format, "format", "text", "output `format`: "+choices(PlanFormats))
	fs.BoolVar(&pl.DetailedExitcode, "detailed-exitcode", false, "exit 2 when there are changes, 0 when none, 1 on error")
}

// ParsePlan parses plan's arguments.
func ParsePlan(args []string) (*Plan, error) {
	pl := &Plan{}
	p := newParser("plan", pl.define)
	if err := p.parse(args); err != nil {
		return nil, err
	}
	if pl.json {
		pl.Format = "json"
	}
	if !oneOf(pl.Format, PlanFormats) {
		p.errorf("unknown format %q; choose %s", pl.Format, choices(PlanFormats))
	}
	if pl.Parallelism < 1 {
		p.errorf("-parallelism must be at least 1")
	}
	return pl, p.result()
}

// Apply is apply's command line.
type Apply struct {
	Spec              Spec
	Targets           []string
	Parallelism       int
	AutoApprove       bool
	AllowRestart      bool
	AllowPolicyErrors bool
	// JSON streams the plan, the progress and the outcome as JSON lines.
	JSON bool
	// PlanFile is a plan saved by plan -out; empty plans afresh.
	PlanFile string
}

func (a *Apply) define(fs *flag.FlagSet) {
	a.Spec.define(fs)
	fs.Var((*repeated)(&a.Targets), "target", "apply only this `target` (repeatable)")
	fs.IntVar(&a.Parallelism, "parallelism", 10, "how many targets to apply at once")
	fs.BoolVar(&a.AutoApprove, "auto-approve", false, "apply without asking for confirmation")
	fs.BoolVar(&a.AllowRestart, "allow-restart", false, "restart servers for changes that need it")
	fs.BoolVar(&a.AllowPolicyErrors, "allow-policy-errors", false, "apply even though unsuppressed error-level policy findings exist")
	fs.BoolVar(&a.JSON, "json", false, "stream the plan, each step and the outcome as JSON lines (needs -auto-approve or a saved plan)")
}

// ParseApply parses apply's arguments.
func ParseApply(args []string) (*Apply, error) {
	a := &Apply{}
	p := newParser("apply", a.define)
	if err := p.parse(args); err != nil {
		return nil, err
	}
	a.PlanFile = p.arg(0)
	if a.Parallelism < 1 {
		p.errorf("-parallelism must be at least 1")
	}
	if a.JSON && !a.AutoApprove && a.PlanFile == "" {
		p.errorf("-json needs -auto-approve or a saved plan (apply -json PLANFILE): a JSON stream has nobody to answer the prompt")
	}
	return a, p.result()
}

// LintFormats are lint's output formats.
var LintFormats = []string{"text", "json", "github", "gitlab", "sarif", "markdown"}

// FailOnLevels are the severities lint's -fail-on takes.
var FailOnLevels = []string{"warning", "error"}

// Lint is lint's command line.
type Lint struct {
	Spec    Spec
	Targets []string
	Format  string
	// FailOn is "warning" or "error".
	FailOn string
}

func (l *Lint) define(fs *flag.FlagSet) {
	l.Spec.define(fs)
	fs.Var((*repeated)(&l.Targets), "target", "report only on this `target` (repeatable)")
	fs.StringVar(&l.Format, "format", "text", "output `format`: "+choices(LintFormats))
	fs.StringVar(&l.FailOn, "fail-on", "error", "exit 1 when an unsuppressed finding is at or above this `severity`: warning or error")
}

// ParseLint parses lint's arguments.
func ParseLint(args []string) (*Lint, error) {
	l := &Lint{}
	p := newParser("lint", l.define)
	if err := p.parse(args); err != nil {
		return nil, err
	}
	if !oneOf(l.Format, LintFormats) {
		p.errorf("unknown format %q; choose %s", l.Format, strings.Join(LintFormats, ", "))
	}
	if !oneOf(l.FailOn, FailOnLevels) {
		p.errorf("-fail-on takes %s; got %q", choices(FailOnLevels), l.FailOn)
	}
	return l, p.result()
}

// BackupRun is backup run's command line.
type BackupRun struct {
	Spec    Spec
	Targets []string
	NoPrune bool
}

func (b *BackupRun) define(fs *flag.FlagSet) {
	b.Spec.define(fs)
	fs.Var((*repeated)(&b.Targets), "target", "back up only this `target` (repeatable)")
	fs.BoolVar(&b.NoPrune, "no-prune", false, "keep every backup: skip the retention run after a successful backup")
}

// ParseBackupRun parses backup run's arguments.
func ParseBackupRun(args []string) (*BackupRun, error) {
	b := &BackupRun{}
	p := newParser("backup run", b.define)
	if err := p.parse(args); err != nil {
		return nil, err
	}
	return b, p.result()
}

// BackupList is backup list's command line.
type BackupList struct {
	Spec    Spec
	Targets []string
	// Destination replaces the spec's destination (one of copy_to, say).
	Destination string
	JSON        bool
}

func (b *BackupList) define(fs *flag.FlagSet) {
	b.Spec.define(fs)
	fs.StringVar(&b.Destination, "destination", "", "list the backups in this `destination` (one of copy_to, say) instead of the spec's destination")
	fs.Var((*repeated)(&b.Targets), "target", "list only this `target`'s backups (repeatable)")
	fs.BoolVar(&b.JSON, "json", false, "print the list as JSON")
}

// ParseBackupList parses backup list's arguments.
func ParseBackupList(args []string) (*BackupList, error) {
	b := &BackupList{}
	p := newParser("backup list", b.define)
	if err := p.parse(args); err != nil {
		return nil, err
	}
	return b, p.result()
}

// BackupVerify is backup verify's command line.
type BackupVerify struct {
	Spec        Spec
	Targets     []string
	Destination string
	Identity    string
	Drill       bool
	// Backup is a backup ID, "latest", or empty for the latest.
	Backup string
}

func (b *BackupVerify) define(fs *flag.FlagSet) {
	b.Spec.define(fs)
	fs.StringVar(&b.Destination, "destination", "", "verify the backup in this `destination` (one of copy_to, say) instead of the spec's destination")
	fs.Var((*repeated)(&b.Targets), "target", "verify this `target`'s backup (repeatable)")
	fs.StringVar(&b.Identity, "identity", "", "age identity `file` for encrypted backups")
	fs.BoolVar(&b.Drill, "drill", false, "also restore the backup into a scratch redis-server and compare its keys")
}

// ParseBackupVerify parses backup verify's arguments.
func ParseBackupVerify(args []string) (*BackupVerify, error) {
	b := &BackupVerify{}
	p := newParser("backup verify", b.define)
	if err := p.parse(args); err != nil {
		return nil, err
	}
	b.Backup = p.arg(0)
	return b, p.result()
}

// BackupPrune is backup prune's command line.
type BackupPrune struct {
	Spec    Spec
	Targets []string
	// Destination limits pruning to one destination; empty prunes the
	// destination and every copy_to.
	Destination string
	DryRun      bool
}

func (b *BackupPrune) define(fs *flag.FlagSet) {
	b.Spec.define(fs)
	fs.StringVar(&b.Destination, "destination", "", "prune only this `destination` (default: the destination and every copy_to)")
	fs.Var((*repeated)(&b.Targets), "target", "prune only this `target`'s backups (repeatable)")
	fs.BoolVar(&b.DryRun, "dry-run", false, "say what would be deleted, delete nothing")
}

// ParseBackupPrune parses backup prune's arguments.
func ParseBackupPrune(args []string) (*BackupPrune, error) {
	b := &BackupPrune{}
	p := newParser("backup prune", b.define)
	if err := p.parse(args); err != nil {
		return nil, err
	}
	return b, p.result()
}

// BackupImport is backup import's command line.
type BackupImport struct {
	Spec    Spec
	Targets []string
	// MetadataDir holds the seed script's rdb_*.meta files; empty looks
	// beside each file's directory.
	MetadataDir string
	NoLoad      bool
	// Files are the gzipped RDB files to import, in the order given.
	Files []string
}

func (b *BackupImport) define(fs *flag.FlagSet) {
	b.Spec.define(fs)
	fs.Var((*repeated)(&b.Targets), "target", "the `target` whose catalog receives the backups (exactly one)")
	fs.StringVar(&b.MetadataDir, "metadata-dir", "", "the `directory` of the seed script's rdb_*.meta files (default: the metadata directory beside the files' rdb directory)")
	fs.BoolVar(&b.NoLoad, "no-load", false, "do not load each file into a scratch redis-server (which takes as much memory as the dataset): its keys are then not counted, and restore cannot compare them")
}

// ParseBackupImport parses backup import's arguments. Every argument is a
// file to import, so a flag after any of them is refused: "-target main
// a.rdb.gz -no-load" would otherwise load a.rdb.gz into a scratch server.
func ParseBackupImport(args []string) (*BackupImport, error) {
	b := &BackupImport{}
	p := newParser("backup import", b.define)
	if err := p.parse(args); err != nil {
		return nil, err
	}
	b.Files = p.args
	if p.stopped {
		// The flags and files after the bad flag were not read.
		return b, p.result()
	}
	if len(b.Targets) != 1 {
		p.errorf("name exactly one -target, the target whose catalog receives the backups")
	}
	if len(b.Files) == 0 {
		p.errorf("name at least one file to import after the flags, such as /srv/redis-backups/rdb/dump_*.rdb.gz")
	}
	return b, p.result()
}

// Restore is restore's command line.
type Restore struct {
	Spec    Spec
	Targets []string
	// FromOtherSpec allows Backup to name a backup that another spec's
	// target took (backup.Claim): another server's data.
	FromOtherSpec bool
	// Exactly one of Latest, Backup, File and ToTime says what is
	// restored.
	Latest bool
	Backup string
	File   string
	// ToTime is -to-time as typed: an RFC 3339 time or "latest". At is
	// the time it names (zero for "latest").
	ToTime string
	At     time.Time
	// Plan says what would be restored and touches nothing.
	Plan bool

	Identity       string
	AutoApprove    bool
	KeepSafetyCopy bool
	// StageFirst writes the whole backup beside the data before the
	// server is stopped, instead of streaming it into the loading server.
	StageFirst  bool
	Destination string
}

func (r *Restore) define(fs *flag.FlagSet) {
	r.Spec.define(fs)
	fs.Var((*repeated)(&r.Targets), "target", "the `target` to restore (exactly one)")
	fs.BoolVar(&r.Latest, "latest", false, "restore the newest backup")
	fs.StringVar(&r.File, "file", "", "restore a plain RDB `file` instead of a backup from the catalog")
	fs.StringVar(&r.ToTime, "to-time", "", "restore the data as it was at this `time` (RFC 3339, such as 2026-12-04T14:04:59Z), or latest: a base backup and the archived writes after it")
	fs.BoolVar(&r.Plan, "plan", false, "say what would be restored (the backup; with -to-time the base, the time covered and the writes replayed) and change nothing")
	fs.StringVar(&r.Identity, "identity", "", "age identity `file` for encrypted backups")
	fs.BoolVar(&r.AutoApprove, "auto-approve", false, "restore without asking for confirmation")
	fs.BoolVar(&r.KeepSafetyCopy, "keep-safety-copy", true, "keep the moved-aside data files after a successful restore")
	fs.BoolVar(&r.StageFirst, "stage-first", false, "write the whole backup beside the data before stopping the server, instead of streaming it into the server as it loads: the server is down a little less, the restore takes longer")
	fs.StringVar(&r.Destination, "destination", "", "restore from the backups in this `destination` (one of copy_to, say) instead of the spec's destination")
	fs.BoolVar(&r.FromOtherSpec, "from-other-spec", false, "allow the backup ID to be another spec's (another server's data, in a destination both specs share)")
}

// ParseRestore parses restore's arguments.
func ParseRestore(args []string) (*Restore, error) {
	r := &Restore{}
	p := newParser("restore", r.define)
	if err := p.parse(args); err != nil {
		return nil, err
	}
	r.Backup = p.arg(0)
	if b := r.Backup; b != "" && b != "latest" && (b[0] < '0' || b[0] > '9') && !isSpecPath(b) {
		// A backup ID is a timestamp; a word here is most often the
		// target's name, which -target takes.
		p.errorf("%q is not a backup ID (IDs are times such as 20261129T030000.000Z; backup list shows them): a target is chosen with -target, the newest backup with -latest", b)
	}
	chosen := 0
	for _, b := range []bool{r.Latest, r.File != "", r.Backup != "", r.ToTime != ""} {
		if b {
			chosen++
		}
	}
	switch {
	case r.ToTime != "" && chosen > 1:
		var with []string
		if r.Latest {
			with = append(with, "-latest")
		}
		if r.Backup != "" {
			with = append(with, "a backup ID")
		}
		if r.File != "" {
			with = append(with, "-file")
		}
		p.errorf("-to-time chooses the base backup itself, so it cannot be combined with %s: for everything archived write -to-time latest", strings.Join(with, " or "))
	case chosen != 1 && !p.stopped:
		// (After a bad flag the rest was not read: what it chose is
		// unknown.)
		p.errorf("name exactly one of -latest, a backup ID, -file PATH or -to-time TIME")
	}
	if r.ToTime != "" && r.ToTime != "latest" {
		at, err := time.Parse(time.RFC3339Nano, r.ToTime)
		if err != nil {
			p.errorf("-to-time %q is not a time: write it in RFC 3339, such as 2026-12-04T14:04:59Z or 2026-12-04T15:04:59.250+01:00, or write latest", r.ToTime)
		} else {
			r.At = at.UTC()
		}
	}
	if len(r.Targets) != 1 {
		p.errorf("restore needs exactly one -target")
	}
	return r, p.result()
}

// CheckFormats are check's output formats.
var CheckFormats = []string{"text", "json", "nagios", "prometheus"}

// Check is check's command line.
type Check struct {
	Spec    Spec
	Targets []string
	// Format is one of CheckFormats; -json sets it to json.
	Format string
	// Out is a file the output is written to atomically; empty prints it.
	Out      string
	Notify   bool
	StateDir string
	// Quiet prints nothing when every check is OK (what schedules run).
	Quiet bool
	json  bool
}

func (c *Check) define(fs *flag.FlagSet) {
	c.Spec.define(fs)
	fs.Var((*repeated)(&c.Targets), "target", "check only this `target` (repeatable)")
	fs.BoolVar(&c.json, "json", false, "print the results as JSON (same as -format json)")
	fs.StringVar(&c.Format, "format", "text", "output `format`: "+choices(CheckFormats))
	fs.StringVar(&c.Out, "o", "", "write the output to `FILE` atomically (for the Prometheus textfile collector)")
	fs.BoolVar(&c.Notify, "notify", false, "send firing and resolved alerts to the spec's webhooks")
	fs.StringVar(&c.StateDir, "state-dir", "", "where to keep counters and alert state between runs (default: beside the backup catalog, else the user's state directory)")
	fs.BoolVar(&c.Quiet, "quiet", false, "print nothing when every check is OK and every alert was delivered (for schedules: cron mails any output)")
}

// ParseCheck parses check's arguments.
func ParseCheck(args []string) (*Check, error) {
	c := &Check{}
	p := newParser("check", c.define)
	if err := p.parse(args); err != nil {
		return nil, err
	}
	if c.json {
		c.Format = "json"
	}
	if !oneOf(c.Format, CheckFormats) {
		p.errorf("unknown format %q; choose %s", c.Format, choices(CheckFormats))
	}
	if c.Quiet && c.Format == "nagios" {
		p.errorf("-quiet does not go with -format nagios: a Nagios plugin prints its status line every run")
	}
	return c, p.result()
}

// WantsNagios reports whether check's command line asks for -format
// nagios, read from the raw arguments: also when they do not parse, so
// that a bad flag still gets a Nagios status line.
func WantsNagios(args []string) bool {
	for i, a := range args {
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "format" {
			continue
		}
		if !hasValue && i+1 < len(args) {
			value = args[i+1]
		}
		if value == "nagios" {
			return true
		}
	}
	return false
}

// Archive is archive's command line.
type Archive struct {
	Spec    Spec
	Targets []string
}

func (a *Archive) define(fs *flag.FlagSet) {
	a.Spec.define(fs)
	fs.Var((*repeated)(&a.Targets), "target", "the `target` whose write stream is archived (exactly one)")
}

// ParseArchive parses archive's arguments.
func ParseArchive(args []string) (*Archive, error) {
	a := &Archive{}
	p := newParser("archive", a.define)
	if err := p.parse(args); err != nil {
		return nil, err
	}
	if len(a.Targets) != 1 {
		p.errorf("archive follows exactly one -target")
	}
	return a, p.result()
}

// DrillRPO is drill rpo's command line.
type DrillRPO struct {
	Spec     Spec
	Targets  []string
	Runs     int
	Duration time.Duration
	Seed     int64
	JSON     bool
}

func (d *DrillRPO) define(fs *flag.FlagSet) { d.defineRuns(fs, drill.DefaultRuns) }

// defineRuns is define with the default of -runs, which drill pitr sets
// lower.
func (d *DrillRPO) defineRuns(fs *flag.FlagSet, runs int) {
	d.Spec.define(fs)
	fs.Var((*repeated)(&d.Targets), "target", "the `target` whose persistence is drilled (exactly one)")
	fs.IntVar(&d.Runs, "runs", runs, "how many times the scratch server is crashed (drill pitr: loses its host)")
	fs.DurationVar(&d.Duration, "duration", drill.DefaultDuration, "how long each run writes at most: the crash comes at a random moment in [D/2, D]")
	fs.Int64Var(&d.Seed, "seed", 0, "seed of the random crash moments, to repeat a drill (0 takes one from the clock)")
	fs.BoolVar(&d.JSON, "json", false, "print the figures as JSON")
}

// ParseDrillRPO parses drill rpo's arguments.
func ParseDrillRPO(args []string) (*DrillRPO, error) {
	return parseCrashDrill("drill rpo", drill.DefaultRuns, args)
}

// parseCrashDrill parses the arguments of drill rpo and drill pitr.
func parseCrashDrill(name string, runs int, args []string) (*DrillRPO, error) {
	d := &DrillRPO{}
	p := newParser(name, func(fs *flag.FlagSet) { d.defineRuns(fs, runs) })
	if err := p.parse(args); err != nil {
		return nil, err
	}
	if d.Runs < 1 {
		p.errorf("-runs must be at least 1")
	}
	if d.Duration <= 0 {
		p.errorf("-duration must be positive")
	}
	if len(d.Targets) != 1 {
		p.errorf("a drill needs exactly one -target")
	}
	return d, p.result()
}

// DrillPITR is drill pitr's command line: drill rpo's flags, each run a
// lost host instead of a crash, fewer runs by default.
type DrillPITR = DrillRPO

// ParseDrillPITR parses drill pitr's arguments.
func ParseDrillPITR(args []string) (*DrillPITR, error) {
	return parseCrashDrill("drill pitr", drill.DefaultPITRRuns, args)
}

// DrillRTO is drill rto's command line.
type DrillRTO struct {
	Spec    Spec
	Targets []string
	// Backup is a backup ID or "latest".
	Backup   string
	Identity string
	JSON     bool
}

func (d *DrillRTO) define(fs *flag.FlagSet) {
	d.Spec.define(fs)
	fs.Var((*repeated)(&d.Targets), "target", "the `target` whose backup is restored into a scratch server (exactly one)")
	fs.StringVar(&d.Backup, "backup", "latest", "the backup to restore: an `ID` from backup list, or latest")
	fs.StringVar(&d.Identity, "identity", "", "age identity `file` for encrypted backups")
	fs.BoolVar(&d.JSON, "json", false, "print the figures as JSON")
}

// ParseDrillRTO parses drill rto's arguments.
func ParseDrillRTO(args []string) (*DrillRTO, error) {
	d := &DrillRTO{}
	p := newParser("drill rto", d.define)
	if err := p.parse(args); err != nil {
		return nil, err
	}
	if len(d.Targets) != 1 {
		p.errorf("a drill needs exactly one -target")
	}
	return d, p.result()
}

func oneOf(s string, list []string) bool {
	for _, v := range list {
		if s == v {
			return true
		}
	}
	return false
}

// choices is "a, b or c".
func choices(list []string) string {
	if len(list) < 2 {
		return strings.Join(list, "")
	}
	return strings.Join(list[:len(list)-1], ", ") + " or " + list[len(list)-1]
}

// Version is version's command line.
type Version struct {
	JSON bool
}

func (v *Version) define(fs *flag.FlagSet) {
	fs.BoolVar(&v.JSON, "json", false, "print the version, Go version and platform as JSON")
}

// ParseVersion parses version's arguments.
func ParseVersion(args []string) (*Version, error) {
	v := &Version{}
	p := newParser("version", v.define)
	if err := p.parse(args); err != nil {
		return nil, err
	}
	return v, p.result()
}

// Completion is completion's command line.
type Completion struct {
	Shell string
}

// Shells are the shells completion writes a script for.
var Shells = []string{"bash", "zsh", "fish"}

// ParseCompletion parses completion's arguments: one shell.
func ParseCompletion(args []string) (*Completion, error) {
	c := &Completion{}
	p := newParser("completion", func(*flag.FlagSet) {})
	if err := p.parse(args); err != nil {
		return nil, err
	}
	switch {
	case len(p.args) == 0:
		p.errorf("name a shell: %s", choices(Shells))
	case !slices.Contains(Shells, p.args[0]):
		p.errorf("%s is not a shell completion is written for: %s", p.quote(p.args[0]), choices(Shells))
	default:
		c.Shell = p.args[0]
	}
	return c, p.result()
}

// ParseMan parses man's arguments: none.
func ParseMan(args []string) error {
	p := newParser("man", func(*flag.FlagSet) {})
	if err := p.parse(args); err != nil {
		return err
	}
	return p.result()
}
