// Command benchreport runs redisplan's benchmarks beside their
// alternatives, in one run on one machine, and writes docs/performance.md:
// the machine, the datasets, the median and spread of every figure, the
// ratios against the goals, and how plan time grows with the fleet and
// backup time with the data. `make bench` runs it; the flags make a
// quicker run possible (-keys 100000 -backup-rounds 1), or a run of the
// plan benchmarks alone (-only plan).
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redisplan/redisplan/internal/fsutil"
)

func main() {
	out := flag.String("out", "docs/performance.md", "report to write")
	rounds := flag.Int("rounds", 5, "rounds of each plan benchmark (go test -count)")
	runs := flag.Int("runs", 20, "runs of the command in each plan round (go test -benchtime=Nx)")
	keyList := flag.String("keys", "400000,1000000,2000000", "dataset sizes of the backup benchmark, in keys")
	backupRounds := flag.Int("backup-rounds", 3, "rounds of each backup and restore step per dataset")
	micro := flag.Bool("micro", true, "also run the streaming micro-benchmarks")
	s3MB := flag.Int("s3-mb", 1024, "size in MB of the backup uploaded to a local S3 server for the memory figure (0: skip)")
	archiveRequests := flag.Int("archive-requests", 3_000_000, "SETs sent while the continuous archive follows the server (0: skip)")
	pitrWrites := flag.Int("pitr-writes", 1_080_000, "writes in the hour after the base that a restore to a point in time replays (0: skip)")
	ansibleRuns := flag.Int("ansible-runs", 5, "runs of ansible-playbook in each round of the Ansible benchmark (it takes seconds a run)")
	only := flag.String("only", "", `"plan": run only the plan benchmarks and Ansible beside them, not the backups, S3 and micro-benchmarks`)
	flag.Parse()
	switch *only {
	case "":
	case "plan":
		*keyList, *s3MB, *micro, *archiveRequests, *pitrWrites = "", 0, false, 0, 0
	default:
		fail(fmt.Errorf("-only: %q is not a part this program can run alone (known: plan)", *only))
	}
	// Ansible is the alternative plan is measured beside; a report
	// without it would silently drop the comparison.
	if _, err := exec.LookPath("ansible-playbook"); err != nil {
		fail(fmt.Errorf("ansible-playbook is not installed: run scripts/install-deps.sh --bench (make bench does)"))
	}

	var sizes []int
	for _, f := range strings.Split(*keyList, ",") {
		if *keyList == "" {
			break
		}
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			fail(fmt.Errorf("-keys: %q is not a positive number", f))
		}
		sizes = append(sizes, n)
	}
	r := &report{Started: time.Now().UTC(), Rounds: *rounds, Runs: *runs, BackupRounds: *backupRounds}
	r.Machine = readMachine()

	step("plan benchmarks")
	bench, err := goBench("./cmd/redisplan", "PlanOneTarget|RedisCLIOneTarget|PlanFleet", fmt.Sprintf("%dx", *runs), *rounds)
	if err != nil {
		fail(err)
	}
	r.Plan = bench
	step("the Ansible alternative (ansible-playbook --check --diff)")
	r.AnsibleLoad = loadAverage()
	ans, err := goBench("./cmd/redisplan", "^BenchmarkAnsibleOneTarget$", fmt.Sprintf("%dx", *ansibleRuns), *rounds)
	if err != nil {
		fail(err)
	}
	for k, v := range ans {
		r.Plan[k] = v
	}
	r.AnsibleRuns = *ansibleRuns
	for _, n := range sizes {
		step(fmt.Sprintf("backup and restore of %d keys", n))
		load := loadAverage()
		res, err := backupBench(n, *backupRounds)
		if err != nil {
			fail(err)
		}
		res.Load = load
		r.Backups = append(r.Backups, res)
	}
	if *s3MB > 0 {
		step(fmt.Sprintf("a %d MB backup to S3", *s3MB))
		res, err := s3Bench(*s3MB)
		if err != nil {
			fail(err)
		}
		r.S3 = res
	}
	if *archiveRequests > 0 {
		step(fmt.Sprintf("the continuous archive under %d pipelined SETs", *archiveRequests))
		res, err := archiveBench(*archiveRequests)
		if err != nil {
			fail(err)
		}
		r.Archive = res
	}
	if *pitrWrites > 0 {
		step(fmt.Sprintf("a restore to a point in time %d writes after its base", *pitrWrites))
		res, err := pitrBench(*pitrWrites)
		if err != nil {
			fail(err)
		}
		r.PITR = res
	}
	if *micro {
		step("streaming micro-benchmarks")
		m, err := goBench("./internal/rdb", "CRC64|Verify", "1s", 3)
		if err != nil {
			fail(err)
		}
		m2, err := goBench("./executors/backup", "StoreStream|OpenStream", "3x", 3)
		if err != nil {
			fail(err)
		}
		m3, err := goBench("./executors/restore", "^BenchmarkStage$", "3x", 3)
		if err != nil {
			fail(err)
		}
		for _, mm := range []map[string]*samples{m2, m3} {
			for k, v := range mm {
				m[k] = v
			}
		}
		r.Micro = m
	}
	r.Finished = time.Now().UTC()
	r.Machine.LoadAtEnd = loadAverage()
	var buf bytes.Buffer
	r.write(&buf)
	if err := fsutil.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		fail(err)
	}
	fmt.Fprintf(os.Stderr, "benchreport: wrote %s (%s)\n", *out, r.Finished.Sub(r.Started).Round(time.Second))
}

func step(what string) { fmt.Fprintf(os.Stderr, "benchreport: %s...\n", what) }

func fail(err error) {
	fmt.Fprintln(os.Stderr, "benchreport:", err)
	os.Exit(1)
}

type report struct {
	Started, Finished time.Time
	Rounds, Runs      int
	BackupRounds      int
	AnsibleRuns       int
	AnsibleLoad       string // the load average when the Ansible runs began
	Machine           machine
	Plan              map[string]*samples
	Backups           []backupResult
	Micro             map[string]*samples
	S3                *s3Result
	Archive           *archiveResult
	PITR              *pitrResult
}

// pitrResult is what scripts/benchpitr -json prints.
type pitrResult struct {
	Keys, Writes       int
	RDBBytes, AOFBytes int64
	Segments           int
	SegmentBytes       int64
	Steps              []struct {
		What    string
		Seconds float64
		RSSMB   float64
	}
	ReplaySeconds float64
	Load          string
}

func pitrBench(writes int) (*pitrResult, error) {
	load := loadAverage()
	cmd := exec.Command("go", "run", "./scripts/benchpitr", "-json", "-writes", strconv.Itoa(writes))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("benchpitr -writes %d: %v", writes, err)
	}
	var res pitrResult
	if err := json.Unmarshal(out, &res); err != nil || len(res.Steps) != 3 {
		return nil, fmt.Errorf("benchpitr printed no figures (%v):\n%s", err, out)
	}
	res.Load = load
	return &res, nil
}

// archiveResult is what scripts/archivebench -json prints.
type archiveResult struct {
	Requests, Pipeline int
	Runs               []struct {
		Follower                              string
		WritesPerSec, LagP50, LagMax, CatchUp float64
		RSSMB                                 float64
	}
	Segments                 int
	StoredBytes, StreamBytes int64
	Load                     string
}

func archiveBench(requests int) (*archiveResult, error) {
	load := loadAverage()
	cmd := exec.Command("go", "run", "./scripts/archivebench", "-json", "-requests", strconv.Itoa(requests))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("archivebench -requests %d: %v", requests, err)
	}
	var res archiveResult
	if err := json.Unmarshal(out, &res); err != nil || len(res.Runs) == 0 {
		return nil, fmt.Errorf("archivebench printed no figures (%v):\n%s", err, out)
	}
	res.Load = load
	return &res, nil
}

// s3Result is what scripts/s3mem printed.
type s3Result struct {
	MB              int
	Dataset, Stored string
	Commands        []s3Command
}

type s3Command struct {
	Args        string
	RSSMB, Secs float64
}

var (
	s3CommandLine = regexp.MustCompile(`^redisplan (.+?)\s+peak RSS\s+([\d.]+) MB\s+([\d.]+)s$`)
	s3Dataset     = regexp.MustCompile(`^dataset: (.*)$`)
	s3Stored      = regexp.MustCompile(`^stored in the bucket: (.*)$`)
)

func s3Bench(mb int) (*s3Result, error) {
	cmd := exec.Command("go", "run", "./scripts/s3mem", "-mb", strconv.Itoa(mb))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("s3mem -mb %d: %v\n%s", mb, err, out)
	}
	res := &s3Result{MB: mb}
	for _, l := range strings.Split(string(out), "\n") {
		l = strings.TrimSpace(l)
		if m := s3CommandLine.FindStringSubmatch(l); m != nil {
			rss, _ := strconv.ParseFloat(m[2], 64)
			secs, _ := strconv.ParseFloat(m[3], 64)
			res.Commands = append(res.Commands, s3Command{Args: strings.TrimSpace(m[1]), RSSMB: rss, Secs: secs})
		} else if m := s3Dataset.FindStringSubmatch(l); m != nil {
			res.Dataset = m[1]
		} else if m := s3Stored.FindStringSubmatch(l); m != nil {
			res.Stored = m[1]
		}
	}
	if len(res.Commands) == 0 {
		return nil, fmt.Errorf("s3mem -mb %d printed no figures:\n%s", mb, out)
	}
	return res, nil
}

// samples are the values of one benchmark metric, one per round.
type samples struct {
	Values map[string][]float64 // unit -> values
}

func (s *samples) get(unit string) []float64 {
	if s == nil {
		return nil
	}
	return s.Values[unit]
}

type machine struct {
	CPU, Memory, OS, Kernel, Redis, Go string
	Ansible                            string
	Cores                              int
	LoadAtStart, LoadAtEnd             string
}

func readMachine() machine {
	m := machine{Cores: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "MemTotal:" {
				kb, _ := strconv.ParseFloat(f[1], 64)
				m.Memory = fmt.Sprintf("%.1f GiB", kb/1024/1024)
			}
		}
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
				m.OS = strings.Trim(v, `"`)
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := exec.Command("redis-server", "--version").Output(); err == nil {
		m.Redis = strings.TrimSpace(string(b))
	}
	if b, err := exec.Command("ansible-playbook", "--version").Output(); err == nil {
		m.Ansible, _, _ = strings.Cut(strings.TrimSpace(string(b)), "\n")
	}
	m.LoadAtStart = loadAverage()
	return m
}

// loadAverage is the 1, 5 and 15 minute load averages, or "".
func loadAverage() string {
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			return strings.Join(f[:3], " ")
		}
	}
	return ""
}

// benchLine is one result line of go test -bench: the name (without the
// GOMAXPROCS suffix), the iteration count, then value-unit pairs.
var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

// goBench runs the benchmarks matching pattern in pkg, count times, and
// gathers every metric of every round.
func goBench(pkg, pattern, benchtime string, count int) (map[string]*samples, error) {
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", pattern, "-benchtime", benchtime, "-count", strconv.Itoa(count), pkg)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go test -bench %s %s: %v\n%s", pattern, pkg, err, out)
	}
	res := map[string]*samples{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		s := res[m[1]]
		if s == nil {
			s = &samples{Values: map[string][]float64{}}
			res[m[1]] = s
		}
		f := strings.Fields(m[2])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			s.Values[f[i+1]] = append(s.Values[f[i+1]], v)
		}
	}
	if len(res) == 0 {
		return nil, fmt.Errorf("go test -bench %s %s printed no results:\n%s", pattern, pkg, out)
	}
	return res, nil
}

// backupResult is what scripts/benchbackup -json prints.
type backupResult struct {
	Load             string // the load average when this size began (not from benchbackup)
	Keys             int
	RDBBytes         int64
	KeysAfterRestore int64
	Steps            []benchStep
}

// benchStep is one step of benchbackup, with every round's samples.
type benchStep struct {
	ID          string
	What        string
	Seconds     []float64
	RSSMB       []float64
	Unavailable []float64
	Phases      map[string][]float64
}

// find returns step id (a .. f), or an empty one when the run has none.
func (b *backupResult) find(id string) benchStep {
	for _, s := range b.Steps {
		if s.ID == id {
			return s
		}
	}
	return benchStep{}
}

func (b *backupResult) step(id string) []float64        { return b.find(id).Seconds }
func (b *backupResult) rss(id string) []float64         { return b.find(id).RSSMB }
func (b *backupResult) unavailable(id string) []float64 { return b.find(id).Unavailable }

// phase is the samples of one phase of redisplan's restore (step f), as
// restore.Timings reports them.
func (b *backupResult) phase(name string) []float64 { return b.find("f").Phases[name] }

// restorePhases are the phases benchbackup reads from the restore's
// timings line, in order, with what each covers.
var restorePhases = []struct{ name, covers string }{
	{"checks", "the checks before anything is touched"},
	{"staging", "the stored file's size and SHA-256 against the manifest (for a staged restore instead: one pass over the backup, decompressed, checked and written); the server still serves"},
	{"stop", "writes paused, the save when one is needed, the server stopped until nothing answers"},
	{"swap", "the config file's hold of writes, the atomic exchange of the files, the records"},
	{"load", "the restored server started until it has loaded"},
	{"stream (beside the load)", "not a phase of its own: from the check of the stored bytes until the file beside the data is written, checked (SHA-256 of the raw bytes, RDB structure and CRC-64) and fsynced, through the stop and the load, the server's pipe fed from it; the restored server takes no write before it passed"},
	{"staged check (beside)", "not a phase of its own, for a staged restore: the SHA-256 of the raw bytes and the RDB structure and CRC-64, read back from the staged file beside the stop, the swap and the load"},
	{"key check and settings", "keys per database against the manifest, the user's settings back, writes let in"},
	{"total", "the whole restore as redisplan times it (the step's figure also holds the process start and the spec)"},
}

// figures are the medians the ratios are made of, and the highest RSS.
type figures struct {
	bgsave, seed, backup, bareLoad, restore, peakRSS float64
	// restoreDown and bareDown are the unavailability windows of the
	// restore and of the bare load.
	restoreDown, bareDown float64
}

func (b *backupResult) figures() figures {
	f := figures{
		bgsave: median(b.step("a")), seed: median(b.step("b")), backup: median(b.step("c")),
		bareLoad: median(b.step("d")), restore: median(b.step("f")),
		restoreDown: median(b.unavailable("f")), bareDown: median(b.unavailable("d")),
	}
	for _, id := range []string{"c", "f"} {
		if v := b.rss(id); len(v) > 0 {
			f.peakRSS = max(f.peakRSS, slices.Max(v))
		}
	}
	return f
}

func backupBench(keys, rounds int) (backupResult, error) {
	var res backupResult
	cmd := exec.Command("go", "run", "./scripts/benchbackup", "-json", "-keys", strconv.Itoa(keys), "-rounds", strconv.Itoa(rounds))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return res, fmt.Errorf("benchbackup -keys %d: %v", keys, err)
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return res, fmt.Errorf("benchbackup -keys %d: %v", keys, err)
	}
	return res, nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// spread is "min–max" of the samples with the given precision.
func spread(xs []float64, prec int) string {
	if len(xs) == 0 {
		return "—"
	}
	return fmt.Sprintf("%.*f–%.*f", prec, slices.Min(xs), prec, slices.Max(xs))
}

func num(x float64, prec int) string { return fmt.Sprintf("%.*f", prec, x) }

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (r *report) write(w *bytes.Buffer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	m := r.Machine
	p("# Performance\n\n")
	p("This file is written by `make bench` (Go program `scripts/benchreport`), which runs every\n")
	p("benchmark below beside its alternative in one run on one machine; do not edit the figures by\n")
	p("hand, run it again. Each figure is the median over the rounds of the run, with the spread\n")
	p("(lowest–highest round) beside it.\n\n")
	p("## Machine and run\n\n")
	p("| | |\n|---|---|\n")
	p("| date (UTC) | %s, %s of running |\n", r.Started.Format("2006-01-02 15:04"), r.Finished.Sub(r.Started).Round(time.Second))
	p("| CPU | %s, %d cores |\n", m.CPU, m.Cores)
	p("| memory | %s |\n", m.Memory)
	p("| system | %s, Linux %s |\n", m.OS, m.Kernel)
	p("| Redis | %s |\n", m.Redis)
	p("| Go | %s |\n", m.Go)
	p("| Ansible | %s |\n", m.Ansible)
	p("| load average when the run began | %s |\n", m.LoadAtStart)
	p("| load average when the run ended | %s |\n\n", m.LoadAtEnd)

	p("## plan\n\n")
	p("Each plan benchmark times the whole process, the way a person or a CI job runs it: exec of the\n")
	p("built binary, spec load, inspection of the live server over loopback (CONFIG GET, INFO) and of\n")
	p("its redis.conf, the diff, the output. A round runs the command %d times and reports its\n", r.Runs)
	p("median; the table gives the median of %d rounds and their spread, in milliseconds. The Ansible\n", r.Rounds)
	p("run is timed the same way, %d runs a round (each takes seconds).\n\n", r.AnsibleRuns)
	one := r.Plan["BenchmarkPlanOneTarget"].get("ms-median")
	cli := r.Plan["BenchmarkRedisCLIOneTarget"].get("ms-median")
	ans := r.Plan["BenchmarkAnsibleOneTarget"].get("ms-median")
	fleet := func(n int) []float64 {
		return r.Plan[fmt.Sprintf("BenchmarkPlanFleet/targets=%d", n)].get("ms-median")
	}
	p("| what | median (ms) | spread (ms) | goal |\n|---|---:|---:|---|\n")
	p("| `redisplan plan` of one target, 10 managed directives, with its redis.conf (`BenchmarkPlanOneTarget`) | %s | %s | ≤ 50 ms: %s |\n",
		num(median(one), 1), spread(one, 1), yesNo(len(one) > 0 && median(one) <= 50))
	p("| the hand-made alternative: a shell loop of 10 `redis-cli CONFIG GET` calls and a `diff` (`BenchmarkRedisCLIOneTarget`) | %s | %s | |\n",
		num(median(cli), 1), spread(cli, 1))
	p("| the Ansible alternative: `ansible-playbook --check --diff`, local connection, templating redis.conf and checking the 10 directives on the live server (`BenchmarkAnsibleOneTarget`) | %s | %s | |\n",
		num(median(ans), 1), spread(ans, 1))
	f100 := fleet(100)
	p("| `redisplan plan` of a 100-target fleet over 4 servers, 10 inspected at a time (`BenchmarkPlanFleet/targets=100`) | %s | %s | ≤ 1000 ms: %s |\n\n",
		num(median(f100), 1), spread(f100, 1), yesNo(len(f100) > 0 && median(f100) <= 1000))
	if median(one) > 0 {
		p("Ratio: the redis-cli loop takes %.1f × the time of redisplan's plan of the same target, although\n", median(cli)/median(one))
		p("redisplan also reads and parses the config file, normalizes every value through the catalog\n")
		p("and classifies each change; each redis-cli call pays a process start and a connection.\n\n")
	}
	if median(one) > 0 && median(ans) > 0 {
		p("Ratio: the Ansible run takes %.0f × the time of redisplan's plan of the same target (load average\n", median(ans)/median(one))
		p("%s when its runs began). The playbook is `testdata/bench/ansible/check.yml`, what an operator would\n", r.AnsibleLoad)
		p("write with Ansible alone: a `template` task renders redis.conf with the 10 directives and shows\n")
		p("its diff, and `community.general.redis` (`command: config`, one loop item a directive) compares\n")
		p("each with the server's CONFIG GET; check mode writes and sets nothing. Ansible is Debian's\n")
		p("package with its bundled collections, installed by `scripts/install-deps.sh --bench`; nothing\n")
		p("comes from the network at run time. Ansible runs one Python module process for the template and\n")
		p("one for each of the 10 loop items. (The plan/apply issue had quoted about 3.7 s for such a run.)\n\n")
	}
	p("### How plan grows with the fleet\n\n")
	p("`BenchmarkPlanFleet`: the same 10 directives for every target, targets spread over 4 servers.\n\n")
	p("| targets | median (ms) | spread (ms) | per target (ms) |\n|---:|---:|---:|---:|\n")
	for _, n := range []int{1, 10, 100} {
		v := fleet(n)
		p("| %d | %s | %s | %s |\n", n, num(median(v), 1), spread(v, 1), num(median(v)/float64(n), 2))
	}
	p("\nA plan's fixed cost (process start, spec load, catalog) dominates small fleets; beyond that the\n")
	p("cost per target falls as inspections overlap.\n\n")

	if len(r.Backups) > 0 {
		r.writeBackups(w)
	}
	r.writeRest(w)
}

func (r *report) writeBackups(w *bytes.Buffer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("## Backups and restores\n\n")
	p("`scripts/benchbackup` loads JSON-like order records (field names repeat, ids and numbers do not)\n")
	p("into a scratch redis-server, then runs each step below %d time(s) on that dataset, in turn, on\n", r.BackupRounds)
	p("the same disk. Peak RSS is redisplan's own (`getrusage` of the child process). Steps:\n\n")
	p("- (a) BGSAVE alone, until `rdb_bgsave_in_progress` is 0;\n")
	p("- (b) the seed scripts' pipeline: BGSAVE, cp, gzip, sha256sum;\n")
	p("- (c) `redisplan backup run`: BGSAVE, the save's file read while the server writes it, zstd, SHA-256 of raw\n")
	p("  and stored bytes, RDB CRC check, fsync, commit;\n")
	p("- (d) bare load: stop the server, start it on the RDB, until it has loaded;\n")
	p("- (e) the seed's restore: stop, sha256sum -c, gunzip, copy, start, until loaded;\n")
	p("- (f) `redisplan restore -latest` (with its defaults: the safety copy is kept; the bench removes it\n")
	p("  after the step): the stored file's size and SHA-256 checked against the manifest, writes paused, a\n")
	p("  BGSAVE unless the RDB on disk is already current, stop, the original linked into the safety copy,\n")
	p("  the server started on a pipe fed from the file the backup is decompressed into beside the data since\n")
	p("  the check (raw checksum and RDB structure checked on the way, the file fsynced), the file put\n")
	p("  in place, writes refused until the key-count check, the user's settings put back (docs/backup.md: a\n")
	p("  streamed load, as for every RDB restore from a backup directory). The server has no unsaved writes\n")
	p("  when (f) starts (it was just started by (e)), so the save is skipped; a server with unsaved writes\n")
	p("  adds one BGSAVE, about the time of (a).\n\n")
	p("\"Unavailable\" is measured from outside, beside steps (d) to (f): a client asks the server for INFO\n")
	p("every 2 ms, and the figure is the longest time between two answers that said the data is loaded, so\n")
	p("the time no client was served at all. For the bare load and the seed restore that is nearly the\n")
	p("whole step; redisplan's restore checks the backup while the server still serves and decompresses it\n")
	p("while the server loads, so its window is the stop and the load. (Writes wait a little longer: they are paused before the stop and\n")
	p("let in after the key check; the restore's own timings give that as \"writes held\".)\n\n")
	for _, b := range r.Backups {
		p("### %s keys (RDB %.0f MB)\n\n", thousands(b.Keys), float64(b.RDBBytes)/1e6)
		if b.Load != "" {
			p("Load average when this dataset's steps began: %s.\n\n", b.Load)
		}
		p("| step | median (s) | spread (s) | unavailable (s) | redisplan peak RSS (MB) |\n|---|---:|---:|---:|---:|\n")
		for _, s := range b.Steps {
			rss, down := "", ""
			if len(s.RSSMB) > 0 {
				rss = num(slices.Max(s.RSSMB), 0)
			}
			if len(s.Unavailable) > 0 {
				down = num(median(s.Unavailable), 2)
			}
			p("| (%s) %s | %s | %s | %s | %s |\n", s.ID, s.What, num(median(s.Seconds), 2), spread(s.Seconds, 2), down, rss)
		}
		g := b.figures()
		a, bb, c, d, f, peak := g.bgsave, g.seed, g.backup, g.bareLoad, g.restore, g.peakRSS
		p("\n| goal (from the backup and restructuring issues) | measured | met? |\n|---|---|---|\n")
		p("| backup ≤ 1.25 × BGSAVE alone | %.2f / %.2f = %.2f × | %s |\n", c, a, c/a, yesNo(c <= 1.25*a))
		p("| backup ≥ 3 × faster than the seed pipeline | %.2f / %.2f = %.2f × | %s |\n", bb, c, bb/c, yesNo(bb >= 3*c))
		p("| restore ≤ 1.3 × the bare load | %.2f / %.2f = %.2f × | %s |\n", f, d, f/d, yesNo(f <= 1.3*d))
		p("| redisplan's peak RSS ≤ 100 MB | %.0f MB | %s |\n\n", peak, yesNo(peak <= 100))
		if g.restoreDown > 0 {
			p("The server answered no one for %.2f s during redisplan's restore (stop → answering on the restored\n", g.restoreDown)
			p("data), %.2f s during the bare load and %.2f s during the seed restore.\n\n", g.bareDown, median(b.unavailable("e")))
		}
		if len(b.phase("total")) > 0 {
			p("Where redisplan's restore spends its time (`restore.Timings`, median of the rounds):\n\n")
			p("| phase | median (s) | spread (s) | what it covers |\n|---|---:|---:|---|\n")
			for _, ph := range restorePhases {
				v := b.phase(ph.name)
				if len(v) == 0 {
					continue // a staged check in a streamed restore, or the other way round
				}
				p("| %s | %s | %s | %s |\n", ph.name, num(median(v), 2), spread(v, 2), ph.covers)
			}
			p("\n")
		}
	}
	if len(r.Backups) > 1 {
		p("### How backups and restores grow with the dataset\n\n")
		p("| keys | RDB (MB) | BGSAVE (s) | seed pipeline (s) | backup run (s) | ÷ BGSAVE | bare load (s) | restore (s) | ÷ bare load | unavailable (s) | peak RSS (MB) |\n")
		p("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, b := range r.Backups {
			g := b.figures()
			a, bb, c, d, f, peak := g.bgsave, g.seed, g.backup, g.bareLoad, g.restore, g.peakRSS
			p("| %s | %.0f | %.2f | %.2f | %.2f | %.2f × | %.2f | %.2f | %.2f × | %.2f | %.0f |\n",
				thousands(b.Keys), float64(b.RDBBytes)/1e6, a, bb, c, c/a, d, f, f/d, g.restoreDown, peak)
		}
		p("\n")
	}
	p("Where the time goes: the backup reads the save's temp file while the server's child writes it,\n")
	p("so compression and checksums overlap the save and only the tail of the stream follows its end\n")
	p("(when the child cannot be found, as for a server in another PID namespace, the backup waits for\n")
	p("the save and streams the file after it). The restore reads the backup once, checking the stored\n")
	p("bytes while it stages the files beside the data with the server still running: decompression (zstd\n")
	p("on two goroutines), the SHA-256 of the stored bytes and the file writes each on a goroutine of their\n")
	p("own, a few 64 KiB chunks apart, and the kernel is asked to write the staged file back as it grows, so\n")
	p("the fsync before the swap is short. The SHA-256 of the raw bytes and the RDB check (CRC-64 with\n")
	p("carry-less multiplication) read the staged file back on another goroutine, beside the stop and the\n")
	p("load, which keeps one core busy; the restored server takes no write before they passed. Beyond the\n")
	p("bare load the restore spends that staging pass, the stop and the key check (the phase tables above);\n")
	p("the server itself is unavailable only for the stop, the swap and the load. On two cores the staging\n")
	p("pass is CPU-bound (zstd, about 0.5 s of one core for 355 MB, and a SHA-256 over the stored bytes).\n")
	p("It cannot overlap the load: Redis reads the RDB with fread and stops at a short read, so the file\n")
	p("must be complete before the server starts (docs/backup.md).\n\n")
}

func (r *report) writeRest(w *bytes.Buffer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	if r.S3 != nil {
		p("## Backups to S3: memory of a large upload\n\n")
		p("`scripts/s3mem` (also `make bench-s3`) fills a scratch redis-server with values of 1,000 bytes\n")
		p("(`DEBUG POPULATE`, `rdbcompression no`), starts versitygw on a loopback port, and runs\n")
		p("`redisplan backup run` with `compression = \"none\"` (so the whole RDB goes over the wire, in\n")
		p("multipart parts) and then `backup verify`, against `s3://`. Peak RSS is redisplan's own. One run.\n\n")
		p("Dataset: %s; stored in the bucket: %s.\n\n", r.S3.Dataset, r.S3.Stored)
		p("| command | seconds | redisplan peak RSS (MB) |\n|---|---:|---:|\n")
		peak := 0.0
		for _, c := range r.S3.Commands {
			p("| `redisplan %s` | %.1f | %.1f |\n", c.Args, c.Secs, c.RSSMB)
			peak = max(peak, c.RSSMB)
		}
		p("\nGoal (from the S3 issue): peak RSS under 150 MB for a 1 GB backup: %s (%.0f MB). The upload\n", yesNo(peak < 150), peak)
		p("holds one multipart part (16 MiB, more only when 10,000 parts would not hold three times the\n")
		p("expected size) on top of the streaming pipeline, whatever the backup's size.\n\n")
	}
	if a := r.Archive; a != nil {
		p("## Continuous archive under load\n\n")
		p("`scripts/archivebench` starts a scratch redis-server and `redisplan archive` on it (flush 1s, segments\n")
		p("in a local directory), sends %s SETs with `redis-benchmark -t set -P %d -r 1000000 -d 32 -c 50`,\n", thousands(a.Requests), a.Pipeline)
		p("and every 100 ms reads how far the server's stream is ahead of the offset the follower acknowledged\n")
		p("(the archiver acknowledges only what it committed): the lag is how long ago the server had reached\n")
		p("that offset. Beside it, the same load on a second server followed by a plain redis-server replica\n")
		p("(in memory, no persistence; its RSS holds the dataset), the nearest alternative. One run; load average %s.\n\n", a.Load)
		p("| follower | writes/s | lag p50 (s) | lag max (s) | caught up after the load (s) | peak RSS (MB) |\n|---|---:|---:|---:|---:|---:|\n")
		for _, run := range a.Runs {
			p("| %s | %s | %.2f | %.2f | %.2f | %.1f |\n", run.Follower, thousands(int(run.WritesPerSec)), run.LagP50, run.LagMax, run.CatchUp, run.RSSMB)
		}
		arch := a.Runs[0]
		p("\nGoal (issue 14): keep up with at least 50,000 writes/s with RSS at most 100 MB: %s (%s writes/s,\n", yesNo(arch.WritesPerSec >= 50000 && arch.RSSMB <= 100 && arch.CatchUp < 5), thousands(int(arch.WritesPerSec)))
		p("%.0f MB, caught up %.2f s after the load). The archive wrote %d segments, %.1f MB stored for %.1f MB of stream.\n\n",
			arch.RSSMB, arch.CatchUp, a.Segments, float64(a.StoredBytes)/1e6, float64(a.StreamBytes)/1e6)
	}
	if x := r.PITR; x != nil {
		p("## Restore to a point in time\n\n")
		p("`scripts/benchpitr` (also `make bench-pitr`) takes a base backup of %s keys (RDB %.0f MB) and synthesizes\n", thousands(x.Keys), float64(x.RDBBytes)/1e6)
		p("the hour after it: %s writes (300 a second: 70%% SET of a 150-byte JSON value, 15%% HINCRBY, 10%% INCR,\n", thousands(x.Writes))
		p("5%% DEL) in %s one-second segments (%.0f MB stored, %.0f MB as AOF), written by the archive's own segment\n", thousands(x.Segments), float64(x.SegmentBytes)/1e6, float64(x.AOFBytes)/1e6)
		p("writer. It then restores to the end of the hour, beside a plain restore of the base (which loses the\n")
		p("hour) and `redis-check-aof --truncate-to-timestamp` + a bare load of the same base and AOF (which puts\n")
		p("nothing into a target and checks nothing). One run; load average %s.\n\n", x.Load)
		p("| step | seconds | redisplan peak RSS (MB) |\n|---|---:|---:|\n")
		for _, st := range x.Steps {
			rss := ""
			if st.RSSMB > 0 {
				rss = fmt.Sprintf("%.0f", st.RSSMB)
			}
			p("| %s | %.2f | %s |\n", st.What, st.Seconds, rss)
		}
		p("\nOf the restore to the point in time, the scratch server's load of the base and the hour and its SAVE\n")
		p("took %.2f s; the rest is reading and checking the segments and the restore of the result.\n\n", x.ReplaySeconds)
	}
	if len(r.Micro) > 0 {
		p("## Streaming micro-benchmarks\n\n")
		p("`go test -bench` of `internal/rdb`, `executors/backup` and `executors/restore` (64 MB of the same\n")
		p("JSON-like data for the backup streams; `BenchmarkStage` is a restore's staging pass over a 64 MB\n")
		p("RDB stored with zstd, with its fsync), 3 rounds each.\n\n")
		p("| benchmark | median (MB/s) | spread (MB/s) | stored ÷ raw |\n|---|---:|---:|---:|\n")
		names := make([]string, 0, len(r.Micro))
		for k := range r.Micro {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, n := range names {
			s := r.Micro[n]
			ratio := ""
			if v := s.get("ratio"); len(v) > 0 {
				ratio = fmt.Sprintf("1 / %.1f", median(v))
			}
			p("| `%s` | %s | %s | %s |\n", n, num(median(s.get("MB/s")), 0), spread(s.get("MB/s"), 0), ratio)
		}
		p("\n")
	}
	p("## Rerunning\n\n")
	p("`make bench` runs all of the above (%.0f minutes for this run). A quicker look: `go run ./scripts/benchreport\n", r.Finished.Sub(r.Started).Minutes())
	p("-keys 200000 -backup-rounds 1 -out /tmp/perf.md`; the plan benchmarks and Ansible alone: `go run\n")
	p("./scripts/benchreport -only plan -out /tmp/perf.md`; one dataset size alone: `make bench-backup KEYS=N`;\n")
	p("the bare load beside the restore alone: `go run ./scripts/benchbackup -keys N -rounds 5 -steps df`, with\n")
	p("`-baseline BIN` to run another build's restore beside them as step (g).\n")
	p("Figures from a machine that is doing other work are high and spread wide: the load averages\n")
	p("above tell (with %d cores, a load above %d means other processes were waiting for a core).\n", r.Machine.Cores, r.Machine.Cores)
}
