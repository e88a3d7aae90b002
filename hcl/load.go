// Package hcl reads redisplan's spec language: HCL files describing Redis
// targets, their persistence, memory, security, backups and alerts. It turns
// them into a typed, normalized model.Spec and reports every problem it
// finds as an HCL diagnostic with a source range.
//
// The upstream HCL package is imported as hclv2 everywhere in this project,
// so that it never collides with this package's name.
package hcl

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"

	"github.com/redisplan/redisplan/internal/model"
)

// Options says where the spec is and where variable values come from.
type Options struct {
	// Path is a spec file, or a directory whose *.hcl files are read
	// together. Empty means the current directory.
	Path string
	// Vars are -var arguments, "name=value", in command-line order.
	Vars []string
	// VarFiles are -var-file paths, in command-line order.
	VarFiles []string
	// Environ is the process environment ("KEY=value"); values of
	// REDISPLAN_VAR_<name> set variables.
	Environ []string
}

// Result is what a load produced. It is never nil, so that diagnostics can
// always be printed with their source snippets.
type Result struct {
	// Spec is nil when the spec had errors.
	Spec     *model.Spec
	Policies []*Policy
	// Variables holds every variable's final value, for fingerprints.
	Variables map[string]Variable
	// Files are the parsed files by name, for the diagnostic writer.
	Files map[string]*hclv2.File
	// Filenames are the spec files that were read, in order.
	Filenames []string
}

// Variable is a variable's resolved value, and where a command run later
// with only the -var-files (a scheduled job) would find one.
type Variable struct {
	Value     cty.Value
	Sensitive bool
	// HasDefault is true when the variable block has a default.
	HasDefault bool
	// VarFiles are the -var-file paths (as given) that set the variable.
	VarFiles []string
	// OnlyHere is true when the value came from -var or from
	// REDISPLAN_VAR_<name> in this process's environment and differs from
	// what the -var-files (the last one that sets it) or the default give:
	// a scheduled job, which gets neither, would run with another value.
	OnlyHere bool
	// NotDefault is true when the variable has a default and its value
	// differs from it.
	NotDefault bool
}

// Policy is a user policy. Its condition is evaluated per target by the
// policy engine; here it is only kept with its range.
type Policy struct {
	Name      string
	Severity  string
	Message   string
	Targets   []string
	Condition hclv2.Expression
	Range     hclv2.Range
}

// Load reads, evaluates and normalizes a spec. All problems are returned
// together; the Spec is nil when any of them is an error.
func Load(opts Options) (*Result, hclv2.Diagnostics) {
	res := &Result{Files: map[string]*hclv2.File{}, Variables: map[string]Variable{}}
	parser := hclparse.NewParser()
	// The parser owns the file map so that var files show snippets too.
	defer func() { res.Files = parser.Files() }()

	filenames, diags := specFiles(opts.Path)
	if diags.HasErrors() {
		return res, diags
	}
	res.Filenames = filenames

	var bodies []hclv2.Body
	for _, name := range filenames {
		f, d := parser.ParseHCLFile(name)
		diags = append(diags, d...)
		if f != nil {
			diags = append(diags, checkNumberLiterals(f.Body)...)
			bodies = append(bodies, f.Body)
		}
	}
	if diags.HasErrors() {
		return res, diags
	}

	l := &loader{parser: parser, opts: opts, res: res}
	l.load(hclv2.MergeBodies(bodies))
	diags = append(diags, dedupe(l.diags)...)
	if diags.HasErrors() {
		res.Spec = nil
	}
	return res, diags
}

// specFiles resolves Path into the list of files to read.
func specFiles(path string) ([]string, hclv2.Diagnostics) {
	if path == "" {
		path = "."
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, hclv2.Diagnostics{{
			Severity: hclv2.DiagError,
			Summary:  "Cannot read the spec",
			Detail:   fmt.Sprintf("%v. Pass -config with a spec file or a directory holding *.hcl files.", err),
		}}
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	matches, err := filepath.Glob(filepath.Join(path, "*.hcl"))
	if err != nil || len(matches) == 0 {
		return nil, hclv2.Diagnostics{{
			Severity: hclv2.DiagError,
			Summary:  "No spec files",
			Detail:   fmt.Sprintf("The directory %s holds no *.hcl files. Pass -config with a spec file or a directory holding one.", path),
		}}
	}
	sort.Strings(matches)
	return matches, nil
}

type loader struct {
	parser *hclparse.Parser
	opts   Options
	res    *Result
	diags  hclv2.Diagnostics

	vars   map[string]cty.Value
	locals map[string]cty.Value
	// podVariables are the variables a scheduled job away from this
	// machine must be given: the sensitive ones and those without a
	// default. Sorted.
	podVariables []string
	// cronIDs are the cron block ids of the spec, by kind and id, with
	// where each was set first: one id names one block's lines or files.
	cronIDs map[[2]string]hclv2.Range
}

func (l *loader) errorf(rng *hclv2.Range, summary, format string, args ...any) {
	l.diags = append(l.diags, &hclv2.Diagnostic{
		Severity: hclv2.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  rng,
	})
}

func (l *loader) load(body hclv2.Body) {
	content, diags := body.Content(rootSchema)
	l.diags = append(l.diags, diags...)

	var variables, locals, targets, policies, ignores []*hclv2.Block
	for _, b := range content.Blocks {
		switch b.Type {
		case "variable":
			variables = append(variables, b)
		case "locals":
			locals = append(locals, b)
		case "redis":
			targets = append(targets, b)
		case "policy":
			policies = append(policies, b)
		case "ignore":
			ignores = append(ignores, b)
		}
	}

	l.loadVariables(variables)
	l.loadLocals(locals)
	spec := &model.Spec{}
	seen := map[string]*hclv2.Block{}
	for _, b := range targets {
		name := b.Labels[0]
		if prev, ok := seen[name]; ok {
			l.errorf(b.LabelRanges[0].Ptr(), "Duplicate redis block",
				"A redis block named %q was already declared at %s. Each target needs its own name.",
				name, prev.DefRange)
			continue
		}
		seen[name] = b
		if !hclsyntaxValidName(name) {
			l.errorf(b.LabelRanges[0].Ptr(), "Invalid target name",
				"A target name must start with an ASCII letter (a-z, A-Z) and hold only ASCII letters, digits, underscores and dashes; %q does not.", name)
			continue
		}
		spec.Targets = append(spec.Targets, l.loadTargets(b)...)
	}
	if len(targets) == 0 && !l.diags.HasErrors() {
		l.diags = append(l.diags, &hclv2.Diagnostic{
			Severity: hclv2.DiagWarning,
			Summary:  "No targets",
			Detail:   "The spec declares no redis block, so there is nothing to manage.",
		})
	}
	sort.Slice(spec.Targets, func(i, j int) bool { return spec.Targets[i].Name < spec.Targets[j].Name })
	l.res.Spec = spec
	l.loadPolicies(policies)
	l.loadIgnores(ignores)
}

// require reports each missing required argument of a block; gohcl
// leaves that to us for arguments decoded as *hclv2.Attribute.
func (l *loader) require(block hclv2.Range, blockType string, attrs map[string]*hclv2.Attribute) bool {
	names := make([]string, 0, len(attrs))
	for n, a := range attrs {
		if a == nil {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		l.errorf(block.Ptr(), "Missing required argument",
			"The argument %q is required in a %s block, but no definition was found.", n, blockType)
	}
	return len(names) == 0
}

func hclsyntaxValidName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '_' || r == '-'):
		default:
			return false
		}
	}
	return true
}

func (l *loader) loadPolicies(blocks []*hclv2.Block) {
	seen := map[string]bool{}
	for _, b := range blocks {
		var pb policyBlock
		if !l.decodeBlock(b.Body, &pb) || !l.require(b.DefRange, "policy", map[string]*hclv2.Attribute{"condition": pb.Condition, "message": pb.Message}) {
			continue
		}
		name := b.Labels[0]
		if seen[name] {
			l.errorf(b.LabelRanges[0].Ptr(), "Duplicate policy block", "A policy named %q is declared twice.", name)
			continue
		}
		seen[name] = true
		e := l.evaluator(nil)
		p := &Policy{Name: name, Severity: "error", Condition: pb.Condition.Expr, Range: b.DefRange}
		if s, ok := e.enum(pb.Severity, "error", "warning", "notice"); ok && s != "" {
			p.Severity = s
		}
		p.Message, _ = e.str(pb.Message)
		p.Targets, _ = e.strList(pb.Targets)
		l.res.Policies = append(l.res.Policies, p)
	}
}

// dedupe drops diagnostics that are identical in summary, detail and
// range: a mistake inside a for_each block is reported once, not once per
// instance.
func dedupe(diags hclv2.Diagnostics) hclv2.Diagnostics {
	seen := map[string]bool{}
	var out hclv2.Diagnostics
	for _, d := range diags {
		key := d.Summary + "\x00" + d.Detail
		if d.Subject != nil {
			key += "\x00" + d.Subject.String()
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, d)
	}
	return out
}

// addressKey formats a for_each instance name the way people write it in
// -target: main["eu"].
func addressKey(name, key string) string {
	return fmt.Sprintf("%s[%q]", name, key)
}

var _ = strings.TrimSpace

// loadIgnores reads ignore blocks. A missing reason is not an error here:
// the policy engine reports it as a finding of its own.
func (l *loader) loadIgnores(blocks []*hclv2.Block) {
	for _, b := range blocks {
		var ib ignoreBlock
		if !l.decodeBlock(b.Body, &ib) || !l.require(b.DefRange, "ignore", map[string]*hclv2.Attribute{"rule": ib.Rule}) {
			continue
		}
		e := l.evaluator(nil)
		ig := model.Ignore{Pos: posOf(b.DefRange)}
		ig.Rule, _ = e.str(ib.Rule)
		ig.Targets, _ = e.strList(ib.Targets)
		ig.Reason, _ = e.str(ib.Reason)
		if s, ok := e.str(ib.Until); ok {
			t, err := time.Parse("2006-01-02", s)
			if err != nil {
				l.errorf(ib.Until.Expr.Range().Ptr(), "Invalid date", "until takes a date such as \"2027-03-31\"; got %q.", s)
				continue
			}
			ig.Until = t
		}
		if l.res.Spec != nil {
			l.res.Spec.Ignores = append(l.res.Spec.Ignores, ig)
		}
	}
}
