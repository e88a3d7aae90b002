package arguments

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// complete runs the bash completion script for a command line typed up to
// the cursor and returns what bash offers.
func complete(t *testing.T, script string, line ...string) []string {
	t.Helper()
	words := append([]string{"redisplan"}, line...)
	var quoted []string
	for _, w := range words {
		quoted = append(quoted, "'"+w+"'")
	}
	prog := script + "\nCOMP_WORDS=(" + strings.Join(quoted, " ") + ")\nCOMP_CWORD=" +
		strconv.Itoa(len(words)-1) + "\n_redisplan\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
	out, err := exec.Command("bash", "-c", prog).CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	return strings.Fields(string(out))
}

func TestBashCompletion(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatalf("bash is needed to test its completion: %v", err)
	}
	var b bytes.Buffer
	if err := WriteCompletion(&b, "bash"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		line []string
		want []string
	}{
		{[]string{"ba"}, []string{"backup"}},
		{[]string{"backup", "pr"}, []string{"prune"}},
		{[]string{"backup", "prune", "-dr"}, []string{"-dry-run"}},
		// A flag's value between the command and the cursor is passed over.
		{[]string{"plan", "-config", "redis.hcl", "-ta"}, []string{"-target"}},
		{[]string{"render", "-target", "main", "pro"}, []string{"prometheus-rules"}},
		{[]string{"drill", "r"}, []string{"rpo", "rto"}},
		{[]string{"completion", "f"}, []string{"fish"}},
		// After a flag with a fixed list of values: the values.
		{[]string{"lint", "-format", ""}, LintFormats},
		{[]string{"lint", "-format", "sa"}, []string{"sarif"}},
		{[]string{"lint", "-fail-on", ""}, FailOnLevels},
		{[]string{"check", "--format", "n"}, []string{"nagios"}},
		{[]string{"plan", "-format", ""}, PlanFormats},
		// After any other flag that takes a value: nothing, so that
		// bash's file completion (-o default) applies.
		{[]string{"plan", "-config", ""}, nil},
		{[]string{"plan", "-out", "-"}, nil},
		{[]string{"restore", "-file", ""}, nil},
		{[]string{"restore", "-target", ""}, nil},
		{[]string{"check", "-o", ""}, nil},
		{[]string{"backup", "verify", "-identity", ""}, nil},
		// A bool flag takes no value: the flags again.
		{[]string{"backup", "prune", "-dry-run", "-dr"}, []string{"-dry-run"}},
		{[]string{"drill", "rto", "-json", "-ta"}, []string{"-target"}},
		// render's kinds after its flags' values.
		{[]string{"render", "-o", "out", "k"}, []string{"kubernetes"}},
	}
	for _, c := range cases {
		got := complete(t, b.String(), c.line...)
		if strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("redisplan %s<TAB> offers %q, want %q", strings.Join(c.line, " "), got, c.want)
		}
	}
}

func TestFishAndZshCompletion(t *testing.T) {
	var fish, zsh bytes.Buffer
	if err := WriteCompletion(&fish, "fish"); err != nil {
		t.Fatal(err)
	}
	if err := WriteCompletion(&zsh, "zsh"); err != nil {
		t.Fatal(err)
	}
	for _, c := range commandList {
		word := lastWord(c.name)
		if !strings.Contains(fish.String(), " -a "+word+" ") {
			t.Errorf("the fish script does not offer %q", c.name)
		}
	}
	if !strings.Contains(fish.String(), "-n '__fish_seen_subcommand_from backup; and __fish_seen_subcommand_from prune' -o dry-run") {
		t.Errorf("the fish script does not offer backup prune's -dry-run:\n%s", fish.String())
	}
	// fish: a flag with choices offers them and no files (-x), another
	// flag that takes a value requires one, which may be a file (-r -F,
	// past the script's -f), a bool flag neither.
	for _, want := range []string{
		"-n '__fish_seen_subcommand_from lint' -o format -x -a 'text json github gitlab sarif markdown' -d",
		"-n '__fish_seen_subcommand_from lint' -o fail-on -x -a 'warning error' -d",
		"-n '__fish_seen_subcommand_from restore' -o file -r -F -d",
		"-n '__fish_seen_subcommand_from plan' -o config -r -F -d",
		"-n '__fish_seen_subcommand_from backup; and __fish_seen_subcommand_from prune' -o dry-run -d",
	} {
		if !strings.Contains(fish.String(), want) {
			t.Errorf("the fish script lacks %q", want)
		}
	}
	if !strings.HasPrefix(zsh.String(), "#compdef redisplan\n") || !strings.Contains(zsh.String(), "complete -o default -F _redisplan redisplan") {
		t.Errorf("the zsh script is not a compdef loading the completion function:\n%s", zsh.String())
	}
	if err := WriteCompletion(&zsh, "tcsh"); err == nil || !strings.Contains(err.Error(), "bash, zsh or fish") {
		t.Errorf("completion for tcsh: %v, want an error naming the shells", err)
	}
}

func TestManPage(t *testing.T) {
	var b bytes.Buffer
	WriteMan(&b, "v1.2.3")
	page := b.String()
	if !strings.HasPrefix(page, `.TH REDISPLAN 1 "" "redisplan v1.2.3"`) {
		t.Errorf("the page does not start with its title line naming the version:\n%.200s", page)
	}
	for _, c := range commandList {
		if !strings.Contains(page, `.SS "`+roff(c.name)+`"`) {
			t.Errorf("the page has no section for %q", c.name)
		}
		for _, f := range flagsOf(c) {
			if !strings.Contains(page, `.B \-`+roff(f.Name)) {
				t.Errorf("the page does not describe %s's -%s", c.name, f.Name)
			}
		}
	}
	groff, err := exec.LookPath("groff")
	if err != nil {
		t.Fatalf("groff is needed to check the manual page (Debian package groff-base): %v", err)
	}
	path := filepath.Join(t.TempDir(), "redisplan.1")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(groff, "-man", "-Tutf8", "-ww", "-z", path)
	out, err := cmd.CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("groff warns about the page: %v\n%s", err, out)
	}
}

// TestFlagChoicesNameRealFlags: each list of flag values completion
// offers belongs to a command's flag that takes a value, and the flag's
// help names every value.
func TestFlagChoicesNameRealFlags(t *testing.T) {
	for key, list := range flagChoices {
		name, flagName, _ := strings.Cut(key, " -")
		c := lookup(name)
		if c == nil {
			t.Errorf("flagChoices[%q]: no command %q", key, name)
			continue
		}
		var found *flag.Flag
		for _, f := range flagsOf(c) {
			if f.Name == flagName {
				found = f
			}
		}
		if found == nil || !takesValue(found) {
			t.Errorf("flagChoices[%q]: %s has no flag -%s that takes a value", key, name, flagName)
			continue
		}
		for _, v := range list {
			if !strings.Contains(found.Usage, v) {
				t.Errorf("flagChoices[%q]: the help of -%s does not name %q: %s", key, flagName, v, found.Usage)
			}
		}
	}
}
