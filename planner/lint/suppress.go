package lint

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/words"
)

// commentMarker starts a suppression comment:
//
//	# redisplan:ignore RP005 reason="cache only" until=2027-03-31
const commentMarker = "redisplan:ignore"

// ParseComments reads the "# redisplan:ignore" comments of one spec file
// ("//" and "/* */" comments work too). filename must be the name the spec
// was loaded under, since a comment only silences findings whose Pos names
// that file, on the comment's own line (a trailing comment) or on the line
// after it (a comment above the offending line).
//
// An ignore written as a comment covers whole lines, so its Pos has a line
// and no column (Column 0): that is how Apply tells it from an ignore
// block. A comment without a reason is returned all the same, for Apply to
// report; a malformed one is not, and comes back as an RP000 warning.
func ParseComments(filename string, src []byte) ([]model.Ignore, []model.Finding) {
	tokens, _ := hclsyntax.LexConfig(src, filename, hclv2.InitialPos)
	var ignores []model.Ignore
	var findings []model.Finding
	for _, tok := range tokens {
		if tok.Type != hclsyntax.TokenComment {
			continue
		}
		text := commentText(tok.Bytes)
		if !isDirective(text) {
			continue
		}
		pos := model.Pos{Filename: filename, Line: tok.Range.Start.Line, Column: tok.Range.Start.Column}
		ig, err := parseIgnore(text)
		if err != nil {
			findings = append(findings, model.Finding{
				Code:     SuppressionCode,
				Severity: model.SeverityWarning,
				Message:  "malformed suppression comment: " + err.Error(),
				Pos:      pos,
				Doc:      DocPath(SuppressionCode),
				Fix:      `write it as # redisplan:ignore RP005 reason="why the rule does not apply" until=2027-03-31`,
			})
			continue
		}
		ig.Pos = model.Pos{Filename: filename, Line: pos.Line}
		ignores = append(ignores, ig)
	}
	return ignores, findings
}

// isDirective reports whether a comment is meant for redisplan:
// "redisplan:" directly followed by a word, as in redisplan:ignore (and in
// a misspelling of it, which is then reported). Prose such as
// "redisplan: the CLI" is not.
func isDirective(text string) bool {
	rest, ok := strings.CutPrefix(text, "redisplan:")
	return ok && rest != "" && unicode.IsLetter(rune(rest[0]))
}

// commentText strips the comment delimiters and surrounding space.
func commentText(b []byte) string {
	s := string(b)
	switch {
	case strings.HasPrefix(s, "#"):
		s = s[1:]
	case strings.HasPrefix(s, "//"):
		s = s[2:]
	case strings.HasPrefix(s, "/*"):
		s = strings.TrimSuffix(s[2:], "*/")
	}
	return strings.TrimSpace(s)
}

var (
	builtinCodeRE = regexp.MustCompile(`^RP[0-9]+$`)
	policyNameRE  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)
)

// parseIgnore reads "redisplan:ignore CODE key=value ...", where CODE is a
// built-in rule or a user policy's name, and the keys are reason (a quoted
// string, or one word) and until (a date).
func parseIgnore(text string) (model.Ignore, error) {
	var ig model.Ignore
	directive, rest, _ := strings.Cut(text, " ")
	if directive != commentMarker {
		return ig, fmt.Errorf("unknown directive %q; the only one is %s", directive, commentMarker)
	}
	args, err := splitArgs(rest)
	if err != nil {
		return ig, err
	}
	if len(args) == 0 || strings.Contains(args[0], "=") {
		return ig, fmt.Errorf("it names no rule; put the code first, as in %s RP005", commentMarker)
	}
	ig.Rule = args[0]
	if err := checkRuleName(ig.Rule); err != nil {
		return ig, err
	}
	seen := map[string]bool{}
	for _, a := range args[1:] {
		key, value, ok := strings.Cut(a, "=")
		if !ok {
			return ig, fmt.Errorf("%q is not a key=value setting; an ignore takes one rule, reason=\"...\" and until=YYYY-MM-DD", a)
		}
		if seen[key] {
			return ig, fmt.Errorf("%s is given twice", key)
		}
		seen[key] = true
		if strings.HasPrefix(value, `"`) {
			if value, err = strconv.Unquote(value); err != nil {
				return ig, fmt.Errorf("the %s value %s is not a valid quoted string", key, a[len(key)+1:])
			}
		}
		switch key {
		case "reason":
			ig.Reason = value
		case "until":
			t, err := time.Parse(time.DateOnly, value)
			if err != nil {
				return ig, fmt.Errorf("until takes a date such as 2027-03-31, got %q", value)
			}
			ig.Until = t
		default:
			return ig, fmt.Errorf("unknown setting %q; an ignore takes reason=\"...\" and until=YYYY-MM-DD", key)
		}
	}
	return ig, nil
}

// checkRuleName accepts a built-in code other than RP000, or anything that
// can be a user policy's name.
func checkRuleName(name string) error {
	if builtinCodeRE.MatchString(strings.ToUpper(name)) {
		code := strings.ToUpper(name)
		if code == SuppressionCode {
			return fmt.Errorf("%s findings report problems with ignores and cannot be ignored", SuppressionCode)
		}
		if !slices.ContainsFunc(Rules(), func(r Rule) bool { return r.Code == code }) {
			return fmt.Errorf("there is no built-in rule %s", name)
		}
		return nil
	}
	if !policyNameRE.MatchString(name) {
		return fmt.Errorf("%q is neither a rule code such as RP005 nor a policy name", name)
	}
	return nil
}

// splitArgs splits on spaces, keeping a double-quoted part (with Go
// escapes) inside the argument it belongs to: reason="cache only".
func splitArgs(s string) ([]string, error) {
	return words.Split(s, func(s string, i int) (string, int, bool, error) {
		if s[i] != '"' {
			return "", i, false, nil
		}
		j := i + 1
		for ; j < len(s) && s[j] != '"'; j++ {
			if s[j] == '\\' {
				j++
			}
		}
		if j >= len(s) {
			return "", i, false, fmt.Errorf("a quoted value is not closed: %s", s[i:])
		}
		return s[i : j+1], j, true, nil
	})
}

// isComment reports whether an ignore was written as a comment, which
// covers lines, rather than as an ignore block, which covers every
// finding of its rule (and targets). See ParseComments.
func isComment(ig model.Ignore) bool {
	return ig.Pos.Filename != "" && ig.Pos.Line > 0 && ig.Pos.Column == 0
}

// Apply marks the findings that ignores silence and adds findings about
// the ignores themselves. It returns a new, sorted slice; the input is not
// modified.
//
// An ignore matches a finding when its rule is the finding's code and,
// when it lists targets, one of them is the finding's target (a for_each
// block's name covers all its instances). An ignore written as a comment
// also needs the finding on the comment's line or the next one. A
// matching ignore with a reason, and an until date that is today or later
// (or none), sets Suppressed to its reason: the finding stays in the list.
//
// An ignore without a reason suppresses nothing and is an RP000 error; an
// expired one (until before now's date) suppresses nothing and is an RP000
// notice. RP000 findings are never suppressed.
func Apply(findings []model.Finding, ignores []model.Ignore, now time.Time) []model.Finding {
	out := slices.Clone(findings)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	var active []model.Ignore
	for _, ig := range ignores {
		switch {
		case strings.TrimSpace(ig.Reason) == "":
			fix := `reason = "why the rule does not apply here"`
			if isComment(ig) {
				fix = `reason="why the rule does not apply here"`
			}
			out = append(out, ignoreFinding(ig, model.SeverityError,
				fmt.Sprintf("an ignore needs a reason: this ignore of %s suppresses nothing until it says why the rule does not apply", ig.Rule), fix))
		case !ig.Until.IsZero() && ig.Until.Before(today):
			out = append(out, ignoreFinding(ig, model.SeverityNotice,
				fmt.Sprintf("the ignore of %s expired on %s", ig.Rule, ig.Until.Format(time.DateOnly)),
				"fix what the rule reports, or give the ignore a later until date if its reason still holds"))
		default:
			active = append(active, ig)
		}
	}
	for i := range out {
		f := &out[i]
		if f.Code == SuppressionCode || f.Suppressed != "" {
			continue
		}
		for _, ig := range active {
			if matches(ig, *f) {
				f.Suppressed = ig.Reason
				break
			}
		}
	}
	Sort(out)
	return out
}

func ignoreFinding(ig model.Ignore, sev model.Severity, msg, fix string) model.Finding {
	pos := ig.Pos
	if isComment(ig) {
		pos.Column = 1
	}
	return model.Finding{
		Code:     SuppressionCode,
		Severity: sev,
		Target:   strings.Join(ig.Targets, ", "),
		Message:  msg,
		Pos:      pos,
		Doc:      DocPath(SuppressionCode),
		Fix:      fix,
	}
}

func matches(ig model.Ignore, f model.Finding) bool {
	if !strings.EqualFold(ig.Rule, f.Code) {
		return false
	}
	if len(ig.Targets) > 0 {
		base, _, _ := strings.Cut(f.Target, "[")
		if !slices.Contains(ig.Targets, f.Target) && !slices.Contains(ig.Targets, base) {
			return false
		}
	}
	if isComment(ig) {
		if f.Pos.Filename == "" || filepath.Clean(f.Pos.Filename) != filepath.Clean(ig.Pos.Filename) {
			return false
		}
		return f.Pos.Line == ig.Pos.Line || f.Pos.Line == ig.Pos.Line+1
	}
	return true
}
