package arguments

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// This file writes the shell completions and the manual page from the
// command list, so that they say what the help says.

// flagsOf lists a command's flags, sorted by name, with their usage text.
func flagsOf(c *command) []*flag.Flag {
	if c.flags == nil {
		return nil
	}
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	c.flags(fs)
	var out []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) { out = append(out, f) })
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// subcommands lists the words that may follow a command ("" for the top
// level): its subcommands, with their synopses.
func subcommands(parent string) []*command {
	var out []*command
	for _, c := range commandList {
		rest, ok := c.name, parent == ""
		if parent != "" {
			rest, ok = strings.CutPrefix(c.name, parent+" ")
		}
		if ok && !strings.Contains(rest, " ") {
			out = append(out, c)
		}
	}
	return out
}

// lastWord is the word a command adds to its parent's: "prune" of "backup prune".
func lastWord(name string) string { return name[strings.LastIndex(name, " ")+1:] }

// argumentWords are the fixed words a command takes as arguments.
func argumentWords(c *command) []string {
	switch c.name {
	case "render":
		return RenderKinds
	case "completion":
		return Shells
	case "backup verify":
		return []string{"latest"}
	}
	return nil
}

// flagChoices are the values of the flags that take one of a fixed list,
// by command and flag: what completion offers after them.
var flagChoices = map[string][]string{
	"plan -format":  PlanFormats,
	"lint -format":  LintFormats,
	"lint -fail-on": FailOnLevels,
	"check -format": CheckFormats,
}

// takesValue says whether a flag is followed by a value (every flag but a
// bool one).
func takesValue(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return !ok || !b.IsBoolFlag()
}

// WriteCompletion writes the completion script for shell (one of Shells).
func WriteCompletion(w io.Writer, shell string) error {
	switch shell {
	case "bash":
		writeBash(w, false)
	case "zsh":
		// zsh runs bash completion functions through bashcompinit.
		fmt.Fprint(w, "#compdef redisplan\nautoload -U +X bashcompinit && bashcompinit\n")
		writeBash(w, true)
	case "fish":
		writeFish(w)
	default:
		return fmt.Errorf("no completion for shell %q: %s", shell, choices(Shells))
	}
	return nil
}

func writeBash(w io.Writer, zsh bool) {
	if !zsh {
		fmt.Fprint(w, "# bash completion for redisplan: source <(redisplan completion bash)\n")
	}
	var names []string
	for _, c := range commandList {
		names = append(names, c.name)
	}
	fmt.Fprint(w, "_redisplan() {\n")
	fmt.Fprint(w, "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\" path=\"\" i w words=\"\"\n")
	// The command path is the words typed so far that extend a known
	// command name; flag values and arguments are passed over.
	fmt.Fprintf(w, "  local known=\"|%s|\"\n", strings.Join(names, "|"))
	fmt.Fprint(w, "  for ((i=1; i<COMP_CWORD; i++)); do\n")
	fmt.Fprint(w, "    w=\"${path:+$path }${COMP_WORDS[i]}\"\n")
	fmt.Fprint(w, "    case \"$known\" in *\"|$w|\"*) path=\"$w\" ;; esac\n")
	fmt.Fprint(w, "  done\n")
	fmt.Fprint(w, "  case \"$path\" in\n")
	fmt.Fprintf(w, "    \"\") words=%q ;;\n", strings.Join(words(""), " "))
	for _, c := range commandList {
		fmt.Fprintf(w, "    %q) words=%q\n", c.name, strings.Join(words(c.name), " "))
		writeBashValues(w, c)
		fmt.Fprint(w, "      ;;\n")
	}
	fmt.Fprint(w, "  esac\n")
	fmt.Fprint(w, "  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n")
	fmt.Fprint(w, "}\n")
	fmt.Fprint(w, "complete -o default -F _redisplan redisplan\n")
}

// writeBashValues writes what bash offers after one of c's flags that
// takes a value: its choices when it has a fixed list, else nothing, so
// that bash's own file completion (-o default) applies.
func writeBashValues(w io.Writer, c *command) {
	var free []string
	var cases []string
	for _, f := range flagsOf(c) {
		if !takesValue(f) {
			continue
		}
		pattern := "-" + f.Name + "|--" + f.Name
		if list, ok := flagChoices[c.name+" -"+f.Name]; ok {
			cases = append(cases, fmt.Sprintf("        %s) COMPREPLY=($(compgen -W %q -- \"$cur\")); return ;;\n", pattern, strings.Join(list, " ")))
			continue
		}
		free = append(free, pattern)
	}
	if len(free) > 0 {
		cases = append(cases, fmt.Sprintf("        %s) COMPREPLY=(); return ;;\n", strings.Join(free, "|")))
	}
	if len(cases) == 0 {
		return
	}
	fmt.Fprint(w, "      case \"$prev\" in\n")
	for _, l := range cases {
		fmt.Fprint(w, l)
	}
	fmt.Fprint(w, "      esac\n")
}

// words are what may follow a command path: subcommands, flags and fixed
// arguments.
func words(path string) []string {
	var out []string
	for _, s := range subcommands(path) {
		out = append(out, lastWord(s.name))
	}
	if path == "" {
		return append(out, "help")
	}
	c := lookup(path)
	for _, f := range flagsOf(c) {
		out = append(out, "-"+f.Name)
	}
	return append(out, argumentWords(c)...)
}

func writeFish(w io.Writer) {
	fmt.Fprint(w, "# fish completion for redisplan: redisplan completion fish > ~/.config/fish/completions/redisplan.fish\n")
	fmt.Fprint(w, "complete -c redisplan -f\n")
	for _, c := range subcommands("") {
		fmt.Fprintf(w, "complete -c redisplan -n __fish_use_subcommand -a %s -d %s\n", c.name, fishQuote(c.synopsis))
	}
	for _, c := range commandList {
		cond := fishSeen(c.name)
		for _, s := range subcommands(c.name) {
			fmt.Fprintf(w, "complete -c redisplan -n %s -a %s -d %s\n", fishQuote(cond), lastWord(s.name), fishQuote(s.synopsis))
		}
		for _, f := range flagsOf(c) {
			_, usage := flag.UnquoteUsage(f)
			value := ""
			if list, ok := flagChoices[c.name+" -"+f.Name]; ok {
				value = " -x -a " + fishQuote(strings.Join(list, " "))
			} else if takesValue(f) {
				value = " -r -F" // the script starts with -f (no files): -F lets the value be a file
			}
			fmt.Fprintf(w, "complete -c redisplan -n %s -o %s%s -d %s\n", fishQuote(cond), f.Name, value, fishQuote(firstLine(usage)))
		}
		if a := argumentWords(c); len(a) > 0 {
			fmt.Fprintf(w, "complete -c redisplan -n %s -a %s\n", fishQuote(cond), fishQuote(strings.Join(a, " ")))
		}
	}
}

// fishSeen is the fish condition "every word of name has been typed".
func fishSeen(name string) string {
	var conds []string
	for _, word := range strings.Fields(name) {
		conds = append(conds, "__fish_seen_subcommand_from "+word)
	}
	return strings.Join(conds, "; and ")
}

func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// WriteMan writes redisplan(1) in roff, from the help of every command.
func WriteMan(w io.Writer, version string) {
	fmt.Fprintf(w, ".TH REDISPLAN 1 \"\" \"redisplan %s\" \"User Commands\"\n", roff(version))
	fmt.Fprint(w, ".SH NAME\nredisplan \\- manage the durability of Redis from an HCL spec\n")
	fmt.Fprint(w, ".SH SYNOPSIS\n.B redisplan\n.I command\n[\\fIflags\\fR] [\\fIarguments\\fR]\n")
	fmt.Fprint(w, ".SH DESCRIPTION\n")
	fmt.Fprint(w, "redisplan reads a spec of persistence, memory, security, backups, retention and alert thresholds\n"+
		"written in HCL, shows what differs between it and the live server and its files (plan), makes\n"+
		"them agree (apply), and takes, verifies and restores backups, checks health and measures\n"+
		"recovery objectives from the same spec.\n"+
		"Flags go before arguments; \\-flag and \\-\\-flag are the same.\n")
	fmt.Fprint(w, ".SH COMMANDS\n")
	for _, c := range commandList {
		fmt.Fprintf(w, ".SS \"%s\"\n", roff(c.name))
		fmt.Fprintf(w, ".B redisplan %s\n.PP\n", roff(c.usage))
		for _, line := range strings.Split(c.about, "\n") {
			fmt.Fprintln(w, roffLine(line))
		}
		for _, f := range flagsOf(c) {
			name, usage := flag.UnquoteUsage(f)
			fmt.Fprintf(w, ".TP\n.B \\-%s", roff(f.Name))
			if name != "" {
				fmt.Fprintf(w, " \\fI%s\\fR", roff(name))
			}
			fmt.Fprintln(w)
			fmt.Fprintln(w, roffLine(usage))
		}
		if subs := subcommands(c.name); c.flags == nil && len(subs) > 0 {
			var names []string
			for _, s := range subs {
				names = append(names, lastWord(s.name))
			}
			fmt.Fprintf(w, ".PP\nSubcommands: %s.\n", roff(strings.Join(names, ", ")))
		}
		for _, e := range c.examples {
			fmt.Fprintf(w, ".PP\n.RS\n.nf\n%s\n.fi\n.RE\n", roffLine(e))
		}
	}
	fmt.Fprint(w, ".SH EXIT STATUS\n0 success; 1 error; plan \\-detailed\\-exitcode gives 2 when something would change;\n"+
		"fmt \\-check gives 3 when a file needs formatting; check follows Nagios: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n")
}

// roff escapes text for a roff line: backslashes and hyphens.
func roff(s string) string {
	return strings.NewReplacer(`\`, `\e`, "-", `\-`).Replace(s)
}

// roffLine escapes a whole line: one starting with a dot or quote would
// be read as a request.
func roffLine(s string) string {
	s = roff(s)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}
