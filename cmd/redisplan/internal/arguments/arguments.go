// Package arguments turns redisplan's command lines into typed values, one
// Parse function per command, before anything runs.
//
// Go's flag package stops at the first argument that is not a flag, so
// "backup prune -config F main -dry-run" would read -dry-run as a second
// argument and prune for real. Here a flag after an argument, an argument
// a command does not take and an unknown flag are all errors: the command
// is not run, and the error says what to write instead.
package arguments

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/redisplan/redisplan/executors/crontab"
)

// ErrHelp is returned by a Parse function when the command line asks for
// the command's help (-h, -help or --help).
var ErrHelp = errors.New("help requested")

// Error is a command line that cannot be run. It lists every problem
// found, so that one attempt shows them all.
type Error struct {
	// Command is the command as typed after "redisplan", such as
	// "backup prune".
	Command  string
	Problems []string
}

func (e *Error) Error() string {
	return "redisplan " + e.Command + ": " + strings.Join(e.Problems, "; ")
}

// Spec holds the flags every command that reads the spec takes.
type Spec struct {
	// Config is a spec file, or a directory whose *.hcl files are read
	// together.
	Config   string
	Vars     []string
	VarFiles []string
	NoColor  bool
}

func (s *Spec) define(fs *flag.FlagSet) {
	fs.StringVar(&s.Config, "config", ".", "spec `path`: a file, or a directory whose *.hcl files are read together")
	fs.Var((*repeated)(&s.Vars), "var", "set a variable: -var 'name=value' (repeatable)")
	fs.Var((*repeated)(&s.VarFiles), "var-file", "read variables from an HCL `file` (repeatable)")
	fs.BoolVar(&s.NoColor, "no-color", false, "never use colour in output")
}

// repeated collects a flag given several times.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

// parser reads one command's line: its flags, then its arguments.
type parser struct {
	cmd      *command
	fs       *flag.FlagSet
	args     []string // the arguments, once parsed
	hidden   []string // arguments never repeated: they may be secrets
	problems []string
	// stopped is true when a bad flag stopped the reading: what came
	// after it was not read.
	stopped bool
	// given counts how often each flag was written, in the order first
	// written (order).
	given map[string]int
	order []string
}

func newParser(name string, define func(fs *flag.FlagSet)) *parser {
	c := lookup(name)
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// The flag package would print its own error and usage; every message
	// comes from here instead, once.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	define(fs)
	return &parser{cmd: c, fs: fs}
}

// parse reads args. Go's flag package stops at the first argument; parse
// goes on reading past each argument, only to find the flags a user put
// after one, which are reported and never used. It returns ErrHelp when
// the line asks for help.
func (p *parser) parse(args []string) error {
	var late []string // flags written after an argument
	rest := args
	for {
		err := p.fs.Parse(rest)
		if errors.Is(err, flag.ErrHelp) {
			return ErrHelp
		}
		if err != nil {
			p.problems = append(p.problems, p.flagError(err))
			p.stopped = true
			break
		}
		consumed := rest[:len(rest)-p.fs.NArg()]
		p.count(consumed)
		if len(p.args) > 0 {
			late = append(late, flagNames(consumed)...)
		}
		if p.fs.NArg() == 0 {
			break
		}
		if n := len(consumed); n > 0 && consumed[n-1] == "--" {
			// After "--" everything is an argument, as in Go's flag.
			p.args = append(p.args, p.fs.Args()...)
			break
		}
		p.boolValue(args, len(args)-p.fs.NArg())
		if afterVar(args, len(args)-p.fs.NArg()) {
			p.hidden = append(p.hidden, p.fs.Arg(0))
			p.errorf("an argument follows -var and its value (not shown: it may be a secret): " +
				"a space cut it off from -var; write -var 'name=value' as one word")
		}
		p.args = append(p.args, p.fs.Arg(0))
		rest = p.fs.Args()[1:]
	}

	p.repeatedOnce()

	c := p.cmd
	var stray []string
	if c.maxArgs >= 0 && len(p.args) > c.maxArgs {
		stray = p.args[c.maxArgs:]
		p.args = p.args[:c.maxArgs]
	}
	lateNote := ""
	if len(late) > 0 {
		lateNote = fmt.Sprintf("flags go before arguments (%s came after an argument and would not be read)", strings.Join(late, ", "))
		if len(late) > 1 {
			lateNote = fmt.Sprintf("flags go before arguments (%s came after an argument and would not be read)", strings.Join(late, ", "))
		}
	}
	for i, a := range stray {
		parts := []string{}
		if i == 0 && lateNote != "" {
			parts = append(parts, lateNote)
		}
		if isSpecPath(a) {
			parts = append(parts, "a spec is named with -config "+a)
		} else {
			parts = append(parts, c.name+" takes "+c.takes, c.hint)
		}
		p.problems = append(p.problems, fmt.Sprintf("unexpected argument %s: %s", p.quote(a), strings.Join(parts, "; ")))
	}
	if len(stray) == 0 && len(late) > 0 {
		last := p.args[len(p.args)-1]
		p.problems = append(p.problems, fmt.Sprintf("%s after the argument %s would not be read: flags go before arguments; write %s before %s",
			strings.Join(late, ", "), p.quote(last), strings.Join(late, " "), p.quote(p.args[0])))
	}
	if !c.pathArgs {
		for _, a := range p.args {
			if isSpecPath(a) {
				p.problems = append(p.problems, fmt.Sprintf("%q is a spec file, not %s: a spec is named with -config %s", a, c.argName, a))
			}
		}
	}
	return nil
}

// count counts the flags among tokens, which the flag package consumed:
// flags, each followed by its value unless it is on or off or written
// with =.
func (p *parser) count(tokens []string) {
	if p.given == nil {
		p.given = map[string]int{}
	}
	for i := 0; i < len(tokens); i++ {
		t := tokens[i]
		if t == "--" {
			return
		}
		if len(t) < 2 || t[0] != '-' {
			continue
		}
		name, _, withValue := strings.Cut(strings.TrimLeft(t, "-"), "=")
		f := p.fs.Lookup(name)
		if f == nil {
			continue
		}
		if p.given[name] == 0 {
			p.order = append(p.order, name)
		}
		p.given[name]++
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !withValue && !(ok && b.IsBoolFlag()) {
			i++ // its value
		}
	}
}

// repeatedOnce reports every flag that takes one value and was given more
// than once: the flag package would silently keep the last, so that
// "-to-time A -to-time latest" would restore to the latest. Flags that
// collect their values (-target, -var, -var-file) may repeat.
func (p *parser) repeatedOnce() {
	for _, name := range p.order {
		if _, many := p.fs.Lookup(name).Value.(*repeated); many || p.given[name] < 2 {
			continue
		}
		p.errorf("-%s is given %d times: it takes one value, and only the last would be used; give it once", name, p.given[name])
	}
}

// boolValue reports args[i] when it is "true" or "false" right after a
// boolean flag: Go's flag package reads "-dry-run false" as -dry-run and
// an argument "false", which is the opposite of what was meant.
func (p *parser) boolValue(args []string, i int) {
	if i < 1 || (args[i] != "true" && args[i] != "false") {
		return
	}
	names := flagNames(args[i-1 : i])
	if len(names) == 0 || strings.Contains(args[i-1], "=") {
		return
	}
	f := p.fs.Lookup(strings.TrimPrefix(names[0], "-"))
	if f == nil {
		return
	}
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		p.errorf("%s %s: a flag that is on or off takes a value only after =: write %s=%s", names[0], args[i], names[0], args[i])
	}
}

// afterVar reports whether args[i] comes right after a -var flag whose
// value has no value of its own ("-var password= hunter2", "-var password
// hunter2"): it is then likely a secret cut off from its flag by a space.
func afterVar(args []string, i int) bool {
	// incomplete is a -var value without one: "name=" or "name".
	incomplete := func(v string) bool { return strings.HasSuffix(v, "=") || !strings.Contains(v, "=") }
	if i >= 1 {
		for _, prefix := range []string{"-var=", "--var="} {
			if v, ok := strings.CutPrefix(args[i-1], prefix); ok {
				return incomplete(v)
			}
		}
	}
	return i >= 2 && (args[i-2] == "-var" || args[i-2] == "--var") && incomplete(args[i-1])
}

// quote is an argument as messages show it: quoted, or hidden when it may
// be a secret.
func (p *parser) quote(a string) string {
	for _, h := range p.hidden {
		if h == a {
			return "(the one after -var, not shown: it may be a secret)"
		}
	}
	return fmt.Sprintf("%q", a)
}

// arg is the i-th argument, or "" when there is none.
func (p *parser) arg(i int) string {
	if i < len(p.args) {
		return p.args[i]
	}
	return ""
}

func (p *parser) errorf(format string, a ...any) {
	p.problems = append(p.problems, fmt.Sprintf(format, a...))
}

// result is err for the problems found, or nil.
func (p *parser) result() error {
	if len(p.problems) == 0 {
		return nil
	}
	return &Error{Command: p.cmd.name, Problems: p.problems}
}

// flagError words an error of the flag package, naming the closest flag
// the command has when the one given is unknown.
func (p *parser) flagError(err error) string {
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -")
	if !ok {
		return err.Error()
	}
	msg := fmt.Sprintf("unknown flag -%s", name)
	best, bestDist := "", 3
	p.fs.VisitAll(func(f *flag.Flag) {
		if d := levenshtein.Distance(name, f.Name, nil); d < bestDist {
			best, bestDist = f.Name, d
		}
	})
	if best != "" {
		msg += fmt.Sprintf(" (did you mean -%s?)", best)
	}
	return msg
}

// flagNames are the flags among tokens, without their values: a value
// may be a secret (-var password=...) and is never repeated.
func flagNames(tokens []string) []string {
	var out []string
	for _, t := range tokens {
		if len(t) < 2 || t[0] != '-' || t == "--" {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(t, "-"), "=")
		out = append(out, "-"+name)
	}
	return out
}

func isSpecPath(a string) bool {
	return strings.HasSuffix(a, ".hcl")
}

// ApplyCommand is the apply command for a plan saved to out, with the
// spec flags plan was given: -config and -var-file as given, -var by name
// only (its value may be a secret; the user gives it again).
func ApplyCommand(spec Spec, out string) string {
	args := []string{"redisplan", "apply"}
	if spec.Config != "" {
		args = append(args, "-config", crontab.ShellQuote(spec.Config))
	}
	for _, f := range spec.VarFiles {
		args = append(args, "-var-file", crontab.ShellQuote(f))
	}
	for _, v := range spec.Vars {
		name, _, _ := strings.Cut(v, "=")
		args = append(args, "-var", "'"+name+"=...'")
	}
	return strings.Join(append(args, crontab.ShellQuote(out)), " ")
}
