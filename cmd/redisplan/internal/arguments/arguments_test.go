package arguments

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var defaultSpec = Spec{Config: "."}

func TestParseValid(t *testing.T) {
	for _, tt := range []struct {
		name  string
		parse func() (any, error)
		want  any
	}{
		{"validate", func() (any, error) {
			return ParseValidate([]string{"-json", "-config", "x.hcl", "-var", "a=1", "-var", "b=2"})
		},
			&Validate{Spec: Spec{Config: "x.hcl", Vars: []string{"a=1", "b=2"}}, JSON: true}},
		{"fmt default", func() (any, error) { return ParseFmt(nil) },
			&Fmt{Write: true, Config: ".", Paths: []string{"."}}},
		{"fmt paths", func() (any, error) { return ParseFmt([]string{"-check", "a.hcl", "dir"}) },
			&Fmt{Check: true, Write: true, Config: ".", Paths: []string{"a.hcl", "dir"}}},
		{"fmt after --", func() (any, error) { return ParseFmt([]string{"--", "-odd.hcl"}) },
			&Fmt{Write: true, Config: ".", Paths: []string{"-odd.hcl"}}},
		{"render default", func() (any, error) { return ParseRender(nil) },
			&Render{Spec: defaultSpec, What: "redis.conf"}},
		{"render crontab", func() (any, error) { return ParseRender([]string{"-target", "a", "-o", "out", "crontab"}) },
			&Render{Spec: defaultSpec, Targets: []string{"a"}, Out: "out", What: "crontab"}},
		{"plan -json", func() (any, error) { return ParsePlan([]string{"-json", "-target", "a", "-target", "b"}) },
			&Plan{Spec: defaultSpec, Targets: []string{"a", "b"}, Parallelism: 10, Format: "json"}},
		{"apply -var and planfile", func() (any, error) { return ParseApply([]string{"-var", "a=1", "main.plan"}) },
			&Apply{Spec: Spec{Config: ".", Vars: []string{"a=1"}}, Parallelism: 10, PlanFile: "main.plan"}},
		{"apply planfile", func() (any, error) { return ParseApply([]string{"--auto-approve", "main.plan"}) },
			&Apply{Spec: defaultSpec, Parallelism: 10, AutoApprove: true, PlanFile: "main.plan"}},
		{"lint", func() (any, error) { return ParseLint([]string{"-format", "sarif", "-fail-on", "warning"}) },
			&Lint{Spec: defaultSpec, Format: "sarif", FailOn: "warning"}},
		{"backup run", func() (any, error) { return ParseBackupRun([]string{"-no-prune"}) },
			&BackupRun{Spec: defaultSpec, NoPrune: true}},
		{"backup list", func() (any, error) { return ParseBackupList([]string{"-destination", "/nas", "-json"}) },
			&BackupList{Spec: defaultSpec, Destination: "/nas", JSON: true}},
		{"backup verify", func() (any, error) { return ParseBackupVerify([]string{"-drill", "-target", "main", "latest"}) },
			&BackupVerify{Spec: defaultSpec, Targets: []string{"main"}, Drill: true, Backup: "latest"}},
		{"backup prune", func() (any, error) { return ParseBackupPrune([]string{"-dry-run"}) },
			&BackupPrune{Spec: defaultSpec, DryRun: true}},
		{"backup import", func() (any, error) {
			return ParseBackupImport([]string{"-target", "main", "-no-load", "-metadata-dir", "meta", "a.rdb.gz", "b.rdb.gz"})
		},
			&BackupImport{Spec: defaultSpec, Targets: []string{"main"}, MetadataDir: "meta", NoLoad: true, Files: []string{"a.rdb.gz", "b.rdb.gz"}}},
		{"backup import after --", func() (any, error) { return ParseBackupImport([]string{"-target", "main", "--", "-odd.rdb.gz"}) },
			&BackupImport{Spec: defaultSpec, Targets: []string{"main"}, Files: []string{"-odd.rdb.gz"}}},
		{"restore id", func() (any, error) { return ParseRestore([]string{"-target", "main", "20261129T030000.000Z"}) },
			&Restore{Spec: defaultSpec, Targets: []string{"main"}, Backup: "20261129T030000.000Z", KeepSafetyCopy: true}},
		{"restore to a time", func() (any, error) {
			return ParseRestore([]string{"-target", "main", "-plan", "-to-time", "2026-12-04T15:04:59.25+01:00"})
		},
			&Restore{Spec: defaultSpec, Targets: []string{"main"}, ToTime: "2026-12-04T15:04:59.25+01:00", At: time.Date(2026, 12, 4, 14, 4, 59, 250e6, time.UTC), Plan: true, KeepSafetyCopy: true}},
		{"drill pitr", func() (any, error) { return ParseDrillPITR([]string{"-target", "main"}) },
			&DrillPITR{Spec: defaultSpec, Targets: []string{"main"}, Runs: 3, Duration: 3 * time.Second}},
		{"restore to the latest archived", func() (any, error) { return ParseRestore([]string{"-target", "main", "-to-time", "latest"}) },
			&Restore{Spec: defaultSpec, Targets: []string{"main"}, ToTime: "latest", KeepSafetyCopy: true}},
		{"check", func() (any, error) { return ParseCheck([]string{"-json", "-notify", "-state-dir", "s"}) },
			&Check{Spec: defaultSpec, Format: "json", Notify: true, StateDir: "s"}},
		{"check quiet", func() (any, error) { return ParseCheck([]string{"-notify", "-quiet"}) },
			&Check{Spec: defaultSpec, Format: "text", Notify: true, Quiet: true}},
		{"drill rpo", func() (any, error) {
			return ParseDrillRPO([]string{"-target", "main", "-runs", "2", "-duration", "1s"})
		},
			&DrillRPO{Spec: defaultSpec, Targets: []string{"main"}, Runs: 2, Duration: time.Second}},
		{"drill rto", func() (any, error) { return ParseDrillRTO([]string{"-target", "main"}) },
			&DrillRTO{Spec: defaultSpec, Targets: []string{"main"}, Backup: "latest"}},
		{"archive", func() (any, error) { return ParseArchive([]string{"-config", "redis.hcl", "-target", "main"}) },
			&Archive{Spec: Spec{Config: "redis.hcl"}, Targets: []string{"main"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.parse()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreUnexported(Plan{}, Check{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// parsers are every Parse function by command name.
var parsers = map[string]func([]string) error{
	"validate":      func(a []string) error { _, err := ParseValidate(a); return err },
	"fmt":           func(a []string) error { _, err := ParseFmt(a); return err },
	"render":        func(a []string) error { _, err := ParseRender(a); return err },
	"plan":          func(a []string) error { _, err := ParsePlan(a); return err },
	"apply":         func(a []string) error { _, err := ParseApply(a); return err },
	"lint":          func(a []string) error { _, err := ParseLint(a); return err },
	"backup run":    func(a []string) error { _, err := ParseBackupRun(a); return err },
	"backup list":   func(a []string) error { _, err := ParseBackupList(a); return err },
	"backup verify": func(a []string) error { _, err := ParseBackupVerify(a); return err },
	"backup prune":  func(a []string) error { _, err := ParseBackupPrune(a); return err },
	"backup import": func(a []string) error { _, err := ParseBackupImport(a); return err },
	"restore":       func(a []string) error { _, err := ParseRestore(a); return err },
	"check":         func(a []string) error { _, err := ParseCheck(a); return err },
	"drill rpo":     func(a []string) error { _, err := ParseDrillRPO(a); return err },
	"drill rto":     func(a []string) error { _, err := ParseDrillRTO(a); return err },
	"archive":       func(a []string) error { _, err := ParseArchive(a); return err },
}

func TestParseErrors(t *testing.T) {
	for _, tt := range []struct {
		cmd  string
		args []string
		want []string // one substring per problem, in order
	}{
		{"backup prune", []string{"-config", "redis.hcl", "main", "-dry-run"},
			[]string{`unexpected argument "main": flags go before arguments (-dry-run came after an argument and would not be read); backup prune takes no arguments; a target is chosen with -target`}},
		{"backup verify", []string{"-config", "F", "latest", "-drill"},
			[]string{`-drill after the argument "latest" would not be read: flags go before arguments; write -drill before "latest"`}},
		{"plan", []string{"prod.hcl"}, []string{`unexpected argument "prod.hcl": a spec is named with -config prod.hcl`}},
		{"apply", []string{"prod.hcl"}, []string{`"prod.hcl" is a spec file, not a plan file: a spec is named with -config prod.hcl`}},
		{"backup prune", []string{"-dryrun"}, []string{"unknown flag -dryrun (did you mean -dry-run?)"}},
		{"plan", []string{"-bogus"}, []string{"unknown flag -bogus"}},
		{"render", []string{"crontab", "systemd"}, []string{`unexpected argument "systemd": render takes one argument`}},
		{"render", []string{"nginx.conf"}, []string{`cannot render "nginx.conf"`}},
		{"restore", []string{"latest", "-target", "main"},
			[]string{`-target after the argument "latest" would not be read`}},
		{"restore", []string{"-latest"}, []string{"exactly one -target"}},
		// The flags after a bad one are not read: what they chose is not
		// reported missing.
		{"restore", []string{"-target", "main", "-stage-firs", "-latest"}, []string{"unknown flag -stage-firs (did you mean -stage-first?)"}},
		{"restore", []string{"-config", "F", "main", "-latest"},
			[]string{`-latest after the argument "main" would not be read`, `"main" is not a backup ID`, "exactly one of -latest", "exactly one -target"}},
		{"restore", []string{"-target", "main", "-latest", "20261129T030000.000Z"}, []string{"exactly one of -latest, a backup ID, -file PATH or -to-time TIME"}},
		{"restore", []string{"-to-time", "yesterday", "-latest", "-file", "x.rdb"},
			[]string{"-to-time chooses the base backup itself, so it cannot be combined with -latest or -file", `-to-time "yesterday" is not a time`, "exactly one -target"}},
		{"restore", []string{"-target", "main", "-to-time", "2026-12-04 14:04:59"}, []string{`is not a time: write it in RFC 3339`}},
		// A flag that takes one value, given twice, would silently use
		// the last: "-to-time A -to-time latest" restores to the latest.
		{"restore", []string{"-target", "main", "-to-time", "2026-12-04T14:04:59Z", "-to-time", "latest"},
			[]string{"-to-time is given 2 times: it takes one value, and only the last would be used; give it once"}},
		{"restore", []string{"-target", "main", "-latest", "-auto-approve", "-keep-safety-copy=false", "-keep-safety-copy"},
			[]string{"-keep-safety-copy is given 2 times"}},
		{"backup prune", []string{"-config", "a.hcl", "-config=b.hcl", "-dry-run"}, []string{"-config is given 2 times"}},
		{"check", []string{"-format", "json", "-format", "nagios"}, []string{"-format is given 2 times"}},
		{"plan", []string{"-format", "xml", "-parallelism", "0"}, []string{`unknown format "xml"; choose text, json or markdown`, "-parallelism must be at least 1"}},
		{"drill rpo", []string{"-target", "main", "-runs", "0", "x"},
			[]string{`unexpected argument "x"`, "-runs must be at least 1"}},
		{"drill rto", []string{"-target", "main", "latest"}, []string{`unexpected argument "latest": drill rto takes no arguments; the backup is chosen with -backup ID`}},
		{"check", []string{"-format", "xml"}, []string{`unknown format "xml"`}},
		{"check", []string{"-quiet", "-format", "nagios"}, []string{"-quiet does not go with -format nagios"}},
		{"archive", []string{"-config", "F", "main"},
			[]string{`unexpected argument "main": archive takes no arguments; a target is chosen with -target`, "exactly one -target"}},
		{"archive", []string{"-target", "a", "-target", "b"}, []string{"archive follows exactly one -target"}},
		{"lint", []string{"-fail-on", "notice"}, []string{"-fail-on takes warning or error"}},
		// A secret given as a late flag's value is never repeated, nor
		// one cut off from -var by a space.
		{"backup run", []string{"main", "-var", "password=hunter2"}, []string{`-var came after an argument`}},
		{"backup verify", []string{"-var", "password=", "hunter2"}, []string{"a space cut it off from -var"}},
		{"backup prune", []string{"-var=password=", "hunter2"}, []string{"a space cut it off from -var", "unexpected argument (the one after -var, not shown"}},
		{"render", []string{"-var", "password", "hunter2"}, []string{"a space cut it off from -var", "cannot render (the one after -var"}},
		{"fmt", []string{"a.hcl", "-check"}, []string{`-check after the argument "a.hcl" would not be read`}},
		// "-write false" is -write and an argument "false".
		{"fmt", []string{"-write", "false", "a.hcl"}, []string{"-write false: a flag that is on or off takes a value only after =: write -write=false"}},
		{"backup prune", []string{"-dry-run", "false"}, []string{"write -dry-run=false", `unexpected argument "false"`}},
		{"apply", []string{"-auto-approve", "true"}, []string{"write -auto-approve=true"}},
		// Every argument of backup import is a file: a flag after any of
		// them is late, and it says so once.
		{"backup import", []string{"-target", "main", "a.rdb.gz", "-no-load"},
			[]string{`-no-load after the argument "a.rdb.gz" would not be read: flags go before arguments; write -no-load before "a.rdb.gz"`}},
		{"backup import", []string{"-target", "main", "a.rdb.gz", "b.rdb.gz", "-no-load", "-metadata-dir", "m"},
			[]string{`-no-load, -metadata-dir after the argument "b.rdb.gz" would not be read`}},
		{"backup import", []string{"-target", "main", "prod.hcl"},
			[]string{`"prod.hcl" is a spec file, not a file to import: a spec is named with -config prod.hcl`}},
		{"backup import", []string{"-target", "main", "-no-load", "false", "a.rdb.gz"}, []string{"write -no-load=false"}},
		{"backup import", []string{"-target", "main", "-noload", "a.rdb.gz"}, []string{"unknown flag -noload (did you mean -no-load?)"}},
		{"backup import", []string{"a.rdb.gz"}, []string{"exactly one -target"}},
		{"backup import", []string{"-target", "main", "-target", "other", "a.rdb.gz"}, []string{"exactly one -target"}},
		{"backup import", []string{"-target", "main"}, []string{"at least one file to import"}},
	} {
		t.Run(tt.cmd+" "+strings.Join(tt.args, " "), func(t *testing.T) {
			err := parsers[tt.cmd](tt.args)
			var ae *Error
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if ae.Command != tt.cmd || len(ae.Problems) != len(tt.want) {
				t.Fatalf("problems of %s = %q, want %d", ae.Command, ae.Problems, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(ae.Problems[i], w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, ae.Problems[i], w)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error repeats a flag's value: %v", err)
			}
		})
	}
}

// Every command × the three mistakes; and -h, -help and --help anywhere
// ask for help.
func TestEveryCommand(t *testing.T) {
	for name, parse := range parsers {
		for _, args := range [][]string{{"one", "two", "three"}, {"x", "-no-color"}, {"-bogus"}} {
			if (name == "fmt" || name == "backup import") && args[0] == "one" {
				continue // they take any number of files
			}
			var ae *Error
			if err := parse(args); !errors.As(err, &ae) {
				t.Errorf("%s %q: err = %v, want a usage error", name, args, err)
			}
		}
		for _, h := range []string{"-h", "-help", "--help"} {
			if err := parse([]string{h}); err != ErrHelp {
				t.Errorf("%s %s: err = %v, want ErrHelp", name, h, err)
			}
		}
		var b bytes.Buffer
		if !Help(&b, name) || !strings.Contains(b.String(), "Usage: redisplan "+name) || !strings.Contains(b.String(), "Example:\n  redisplan "+name) {
			t.Errorf("help of %s:\n%s", name, b.String())
		}
	}
	for _, group := range []string{"backup", "drill"} {
		var b bytes.Buffer
		if !Help(&b, group) || !strings.Contains(b.String(), "Subcommands:") {
			t.Errorf("help of %s:\n%s", group, b.String())
		}
	}
}
