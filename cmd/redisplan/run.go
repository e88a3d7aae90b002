package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/redis/go-redis/v9"
	"golang.org/x/term"

	"github.com/redisplan/redisplan/cmd/redisplan/internal/arguments"
	"github.com/redisplan/redisplan/executors/notify"
	spechcl "github.com/redisplan/redisplan/hcl"
	"github.com/redisplan/redisplan/internal/interrupt"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/secret"
	"github.com/redisplan/redisplan/operations"
)

// Exit codes shared by every command. Commands with more outcomes (fmt's
// 3, plan's 2) define their own beside these.
const (
	exitOK    = 0
	exitError = 1
)

type command struct {
	name string
	run  func(ctx context.Context, env *cmdEnv, args []string) int
}

// commands run in this order in the list of commands; each one's synopsis,
// help and flags are in package arguments.
var commands = []command{
	{"validate", parsedBy("validate", arguments.ParseValidate, runValidate)},
	{"fmt", parsedBy("fmt", arguments.ParseFmt, runFmt)},
	{"render", parsedBy("render", arguments.ParseRender, runRender)},
	{"plan", parsedBy("plan", arguments.ParsePlan, runPlan)},
	{"apply", parsedBy("apply", arguments.ParseApply, runApply)},
	{"lint", parsedBy("lint", arguments.ParseLint, runLint)},
	{"backup", runBackup},
	{"restore", parsedBy("restore", arguments.ParseRestore, runRestore)},
	{"check", runCheck},
	{"archive", parsedBy("archive", arguments.ParseArchive, runArchive)},
	{"drill", runDrill},
	{"version", parsedBy("version", arguments.ParseVersion, runVersion)},
	{"completion", parsedBy("completion", arguments.ParseCompletion, runCompletion)},
	{"man", runMan},
}

// cmdEnv is what a command may touch: its streams and environment. Nothing
// reads os.Stdout or os.Args directly, so that tests can run commands
// in-process.
type cmdEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	environ        []string
	// sender delivers alerts; nil uses notify's defaults.
	sender *notify.Sender
	// secrets are the loaded spec's secrets, hidden in stdout and stderr.
	secrets secret.Set
}

// surroundings are what a command takes from outside its arguments and
// streams: the process's environment and notify's defaults, or, for
// commands tests run in-process, their own.
type surroundings struct {
	environ []string       // "KEY=value"
	sender  *notify.Sender // nil: notify's defaults
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runIn(ctx, surroundings{environ: os.Environ()}, args, stdin, stdout, stderr)
}

// runIn is run with the surroundings given: tests run commands in
// parallel, each with variables of its own, and deliver alerts without
// waiting seconds between attempts.
func runIn(ctx context.Context, s surroundings, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// go-redis logs failed dials to stderr on its own; redisplan reports
	// every error itself, in words, so the library stays quiet.
	redis.SetLogger(quietLogger{})
	env := &cmdEnv{stdin: stdin, environ: s.environ, sender: s.sender}
	// The last guard of what the CLI prints: files and alerts do not pass
	// through here.
	env.stdout, env.stderr = secret.Writer{W: stdout, Secrets: &env.secrets}, secret.Writer{W: stderr, Secrets: &env.secrets}
	if len(args) == 0 {
		usage(stderr)
		return exitError
	}
	name := args[0]
	switch name {
	case "help":
		if len(args) > 1 {
			return runHelp(env, args[1:])
		}
		usage(stdout)
		return exitOK
	case "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	case "-version", "--version":
		return parsedBy("version", arguments.ParseVersion, runVersion)(ctx, env, args[1:])
	}
	for _, c := range commands {
		if c.name == name {
			code := c.run(ctx, env, args[1:])
			if code != exitOK && ctx.Err() != nil {
				// Ctrl-C or SIGTERM: the command's own messages say
				// what was done and what was put back.
				fmt.Fprintf(stderr, "redisplan %s: stopped because %s; the messages above say what was done and what was left or put back as it was.\n",
					name, interrupt.When(context.Cause(ctx)))
			}
			return code
		}
	}
	if strings.HasPrefix(name, "-") {
		// Only the flag's name: its value may be a secret (-var=...).
		flagName, _, _ := strings.Cut(name, "=")
		fmt.Fprintf(stderr, "redisplan: %s is not a command: the command comes first, then its flags (redisplan plan %s ...)\n\n", flagName, flagName)
		usage(stderr)
		return exitError
	}
	fmt.Fprintf(stderr, "redisplan: unknown command %q\n\n", name)
	usage(stderr)
	return exitError
}

func usage(w io.Writer) {
	fmt.Fprint(w, "Usage: redisplan <command> [flags]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, arguments.Synopsis(c.name))
	}
	fmt.Fprint(w, "\nFlags go before arguments. Run 'redisplan help <command>' or 'redisplan <command> -help' for a command's flags.\n")
}

// runHelp is "redisplan help COMMAND [SUBCOMMAND]".
func runHelp(env *cmdEnv, args []string) int {
	name := strings.Join(args, " ")
	if !arguments.Help(env.stdout, name) {
		fmt.Fprintf(env.stderr, "redisplan help: no command %q\n\n", name)
		usage(env.stderr)
		return exitError
	}
	return exitOK
}

// fail reports err as command's (redisplan COMMAND: ERR) and is the exit
// status of a command that failed.
func fail(env *cmdEnv, command string, err error) int {
	fmt.Fprintf(env.stderr, "redisplan %s: %v\n", command, err)
	return exitError
}

// parsedBy is the command name that runs with the typed command line
// parse makes of its arguments; help and a line that cannot run are
// answered by parsed, exit 1, before run is called.
func parsedBy[A any](name string, parse func([]string) (*A, error), run func(context.Context, *cmdEnv, *A) int) func(context.Context, *cmdEnv, []string) int {
	return func(ctx context.Context, env *cmdEnv, args []string) int {
		a, err := parse(args)
		if code, done := parsed(env, name, err, exitError); done {
			return code
		}
		return run(ctx, env, a)
	}
}

// parsed reports what a command's Parse function returned: help, printed
// to stdout with exit 0, or the problems of a command line that cannot be
// run, printed to stderr with exit code bad. done is false when the
// command may run.
func parsed(env *cmdEnv, name string, err error, bad int) (code int, done bool) {
	if err == nil {
		return exitOK, false
	}
	if errors.Is(err, arguments.ErrHelp) {
		arguments.Help(env.stdout, name)
		return exitOK, true
	}
	var ae *arguments.Error
	if errors.As(err, &ae) {
		for _, p := range ae.Problems {
			fmt.Fprintf(env.stderr, "redisplan %s: %s\n", name, p)
		}
	} else {
		fmt.Fprintf(env.stderr, "redisplan %s: %v\n", name, err)
	}
	fmt.Fprintf(env.stderr, "Nothing was done. Run 'redisplan help %s' for its usage.\n", name)
	return bad, true
}

// loadSpec loads the spec and prints its diagnostics to stderr.
func loadSpec(env *cmdEnv, s arguments.Spec) (*spechcl.Result, bool) {
	res, diags := loadQuiet(env, s)
	if len(diags) > 0 {
		writeDiagnostics(env.stderr, res.Files, diags, env.color(env.stderr, s.NoColor))
	}
	return res, !diags.HasErrors()
}

// loadQuiet loads the spec without printing diagnostics, for commands that
// report them in their own format.
func loadQuiet(env *cmdEnv, s arguments.Spec) (*spechcl.Result, hclv2.Diagnostics) {
	res, diags := spechcl.Load(spechcl.Options{Path: s.Config, Vars: s.Vars, VarFiles: s.VarFiles, Environ: env.environ})
	env.secrets = env.secrets.With(res.Secrets()...)
	return res, diags
}

func writeDiagnostics(w io.Writer, files map[string]*hclv2.File, diags hclv2.Diagnostics, color bool) {
	dw := hclv2.NewDiagnosticTextWriter(w, files, 78, color)
	_ = dw.WriteDiagnostics(diags)
}

func isTerminal(w io.Writer) bool {
	if sw, ok := w.(secret.Writer); ok {
		w = sw.W
	}
	// A character device is not always a terminal: /dev/null is one too,
	// and apply </dev/null must refuse rather than prompt.
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// color reports whether output to w gets colour: w is a terminal, and
// neither -no-color, NO_COLOR (set to anything) nor TERM=dumb says no.
func (env *cmdEnv) color(w io.Writer, noColor bool) bool {
	if noColor || env.getenv("NO_COLOR") != "" || env.getenv("TERM") == "dumb" {
		return false
	}
	return isTerminal(w)
}

// getenv is the command's environment variable name ("" when unset).
func (env *cmdEnv) getenv(name string) string {
	for _, kv := range env.environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

// loadTargets loads the spec and selects the targets -target names (all
// without it), printing what stops the command to stderr.
func loadTargets(env *cmdEnv, s arguments.Spec, names []string, cmd string) (*spechcl.Result, []*model.Target, bool) {
	res, ok := loadSpec(env, s)
	if !ok {
		return nil, nil, false
	}
	selected, err := operations.SelectTargets(res.Spec, names)
	if err != nil {
		fmt.Fprintf(env.stderr, "redisplan %s: %v\n", cmd, err)
		return nil, nil, false
	}
	return res, selected, true
}

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}
