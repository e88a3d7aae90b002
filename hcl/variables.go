package hcl

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// sensitive marks values that came from a sensitive variable. Marks travel
// through expressions and functions, so a secret stays marked wherever it
// is interpolated, and decoding refuses it in a place that is shown.
type markSensitive struct{}

var sensitive = markSensitive{}

// EnvPrefix is the prefix of environment variables that set spec
// variables: REDISPLAN_VAR_redis_password.
const EnvPrefix = "REDISPLAN_VAR_"

type declaredVar struct {
	name      string
	ty        cty.Type
	sensitive bool
	def       *cty.Value
	block     *hclv2.Block
	body      *variableBlock
}

func (l *loader) decodeBlock(body hclv2.Body, into any) bool {
	d := gohcl.DecodeBody(body, nil, into)
	l.diags = append(l.diags, d...)
	return !d.HasErrors()
}

func (l *loader) loadVariables(blocks []*hclv2.Block) {
	l.vars = map[string]cty.Value{}
	declared := map[string]*declaredVar{}
	var order []string
	for _, b := range blocks {
		name := b.Labels[0]
		if prev, ok := declared[name]; ok {
			l.errorf(b.LabelRanges[0].Ptr(), "Duplicate variable declaration",
				"A variable named %q was already declared at %s.", name, prev.block.DefRange)
			continue
		}
		if !hclsyntax.ValidIdentifier(name) {
			l.errorf(b.LabelRanges[0].Ptr(), "Invalid variable name",
				"A variable name must be a valid identifier (letters, digits, underscores, dashes); %q is not.", name)
			continue
		}
		var vb variableBlock
		if !l.decodeBlock(b.Body, &vb) {
			l.vars[name] = cty.DynamicVal
			continue
		}
		valid := true
		for _, v := range vb.Validations {
			valid = l.require(v.DefRange, "validation", map[string]*hclv2.Attribute{"condition": v.Condition, "error_message": v.ErrorMessage}) && valid
		}
		if !valid {
			l.vars[name] = cty.DynamicVal
			continue
		}
		dv := &declaredVar{name: name, ty: cty.DynamicPseudoType, block: b, body: &vb}
		if vb.Type != nil {
			ty, d := typeexpr.TypeConstraint(vb.Type.Expr)
			l.diags = append(l.diags, d...)
			if d.HasErrors() {
				continue
			}
			dv.ty = ty
		}
		if vb.Sensitive != nil {
			v, d := vb.Sensitive.Expr.Value(nil)
			l.diags = append(l.diags, d...)
			if !d.HasErrors() {
				if v.Type() != cty.Bool || v.IsNull() {
					l.errorf(vb.Sensitive.Expr.Range().Ptr(), "Invalid sensitive value", "The sensitive argument takes true or false.")
				} else {
					dv.sensitive = v.True()
				}
			}
		}
		if vb.Default != nil {
			v, d := vb.Default.Expr.Value(nil)
			l.diags = append(l.diags, d...)
			if !d.HasErrors() && !l.checkNumbers(v, vb.Default.Expr.Range().Ptr()) {
				l.vars[name] = cty.DynamicVal
				continue
			}
			if !d.HasErrors() {
				cv, err := convert.Convert(v, dv.ty)
				if err != nil {
					l.errorf(vb.Default.Expr.Range().Ptr(), "Invalid default value for variable",
						"This default value does not fit the variable's type: %s.", err)
					// Known to be broken: later references to it must not
					// add errors of their own.
					l.vars[name] = cty.DynamicVal
					continue
				} else {
					dv.def = &cv
				}
			}
		}
		declared[name] = dv
		order = append(order, name)
	}

	given := map[string]cty.Value{}
	// here are the variables whose value comes from this process (its
	// environment, then -var) rather than a -var-file; fileValue is the
	// last -var-file's value of each variable a -var-file sets.
	here := map[string]bool{}
	for _, name := range l.varsFromEnv(declared, given) {
		here[name] = true
	}
	fromFiles := map[string][]string{}
	fileValue := map[string]cty.Value{}
	for _, f := range l.opts.VarFiles {
		for _, name := range l.varsFromFile(f, declared, given) {
			fromFiles[name] = append(fromFiles[name], f)
			fileValue[name] = given[name]
			delete(here, name)
		}
	}
	for _, raw := range l.opts.Vars {
		name, value, ok := strings.Cut(raw, "=")
		if !ok || name == "" {
			l.errorf(nil, "Invalid -var option",
				"The -var option %q is not of the form name=value.", raw)
			continue
		}
		dv, ok := declared[name]
		if !ok {
			l.errorf(nil, "Value for undeclared variable",
				"A -var option sets %q, but no variable block declares it. Declare it with variable %q { ... }.", name, name)
			continue
		}
		if v, ok := l.parseRawValue(dv, value, "-var "+name); ok {
			given[name] = v
			here[name] = true
		}
	}

	sort.Strings(order)
	for _, name := range order {
		if dv := declared[name]; dv.sensitive || dv.def == nil {
			l.podVariables = append(l.podVariables, name)
		}
	}
	for _, name := range order {
		dv := declared[name]
		v, ok := given[name]
		if !ok {
			if dv.def == nil {
				l.errorf(dv.block.DefRange.Ptr(), "No value for required variable",
					"The variable %q has no default, so it needs a value: pass -var %s=..., a -var-file, or set %s%s.",
					name, name, EnvPrefix, name)
				l.vars[name] = cty.DynamicVal
				continue
			}
			v = *dv.def
		}
		if dv.sensitive {
			v = v.Mark(sensitive)
		}
		l.vars[name] = v
		onlyHere := false
		if here[name] {
			base, ok := fileValue[name]
			if !ok && dv.def != nil {
				base, ok = *dv.def, true
			}
			onlyHere = ok && !unmarked(v).RawEquals(unmarked(base))
		}
		l.res.Variables[name] = Variable{Value: unmarked(v), Sensitive: dv.sensitive, HasDefault: dv.def != nil, VarFiles: fromFiles[name], OnlyHere: onlyHere,
			NotDefault: dv.def != nil && !unmarked(v).RawEquals(unmarked(*dv.def))}
	}
	for _, name := range order {
		if v := l.vars[name]; v.IsWhollyKnown() {
			l.validateVariable(declared[name])
		}
	}
}

// varsFromEnv sets the variables given by REDISPLAN_VAR_<name> in the
// process environment, and returns their names.
func (l *loader) varsFromEnv(declared map[string]*declaredVar, given map[string]cty.Value) []string {
	var set []string
	for _, kv := range l.opts.Environ {
		key, value, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(key, EnvPrefix) {
			continue
		}
		name := strings.TrimPrefix(key, EnvPrefix)
		dv, ok := declared[name]
		if !ok {
			// Like Terraform, an environment variable for a variable the
			// spec does not declare is not an error: the environment is
			// shared by many specs.
			continue
		}
		if v, ok := l.parseRawValue(dv, value, key); ok {
			given[name] = v
			set = append(set, name)
		}
	}
	return set
}

// varsFromFile reads a -var-file into given and returns the names of the
// variables it set.
func (l *loader) varsFromFile(path string, declared map[string]*declaredVar, given map[string]cty.Value) []string {
	src, err := os.ReadFile(path)
	if err != nil {
		l.errorf(nil, "Cannot read variables file", "%v.", err)
		return nil
	}
	f, d := l.parser.ParseHCL(src, path)
	l.diags = append(l.diags, d...)
	if d.HasErrors() {
		return nil
	}
	var set []string
	attrs, d := f.Body.JustAttributes()
	l.diags = append(l.diags, d...)
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		attr := attrs[name]
		dv, ok := declared[name]
		if !ok {
			l.errorf(attr.NameRange.Ptr(), "Value for undeclared variable",
				"The variables file sets %q, but no variable block declares it.", name)
			continue
		}
		v, d := attr.Expr.Value(nil)
		l.diags = append(l.diags, d...)
		if d.HasErrors() || !l.checkNumbers(v, attr.Expr.Range().Ptr()) {
			continue
		}
		cv, err := convert.Convert(v, dv.ty)
		if err != nil {
			l.errorf(attr.Expr.Range().Ptr(), "Invalid value for variable",
				"The value for %q does not fit its type: %s.", name, err)
			continue
		}
		given[name] = cv
		set = append(set, name)
	}
	return set
}

// parseRawValue reads a value given on the command line or in the
// environment: taken literally for string variables, parsed as an HCL
// expression otherwise (as Terraform does), so -var 'ports=[1,2]' works.
func (l *loader) parseRawValue(dv *declaredVar, raw, from string) (cty.Value, bool) {
	var v cty.Value
	if dv.ty == cty.String || dv.ty == cty.DynamicPseudoType {
		v = cty.StringVal(raw)
	} else {
		expr, d := hclsyntax.ParseExpression([]byte(raw), from, hclv2.InitialPos)
		if d.HasErrors() {
			l.errorf(nil, "Invalid value for variable",
				"The value given by %s for %q is not a valid expression for type %s.", from, dv.name, dv.ty.FriendlyName())
			return cty.NilVal, false
		}
		var dd hclv2.Diagnostics
		v, dd = expr.Value(nil)
		if dd.HasErrors() {
			l.errorf(nil, "Invalid value for variable",
				"The value given by %s for %q cannot be evaluated: only literal values are allowed there.", from, dv.name)
			return cty.NilVal, false
		}
		if !numbersInRange(v) {
			l.errorf(nil, "Number out of range", "The value given by %s for %q holds a number out of range. %s", from, dv.name, numberRangeDetail)
			return cty.NilVal, false
		}
	}
	cv, err := convert.Convert(v, dv.ty)
	if err != nil {
		// The value itself is not repeated: it may be a secret.
		l.errorf(nil, "Invalid value for variable",
			"The value given by %s for %q does not fit its type %s.", from, dv.name, dv.ty.FriendlyName())
		return cty.NilVal, false
	}
	return cv, true
}

func (l *loader) validateVariable(dv *declaredVar) {
	for _, vb := range dv.body.Validations {
		ctx := &hclv2.EvalContext{
			Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{dv.name: l.vars[dv.name]})},
			Functions: functions(l.baseDir()),
		}
		for _, tr := range vb.Condition.Expr.Variables() {
			if tr.RootName() != "var" {
				l.errorf(tr.SourceRange().Ptr(), "Invalid reference in variable validation",
					"A validation condition can only refer to the variable itself, var.%s.", dv.name)
				return
			}
		}
		cond, d := vb.Condition.Expr.Value(ctx)
		l.diags = append(l.diags, d...)
		if d.HasErrors() {
			continue
		}
		cond = unmarked(cond)
		if cond.IsNull() || cond.Type() != cty.Bool {
			l.errorf(vb.Condition.Expr.Range().Ptr(), "Invalid validation condition", "A validation condition must be true or false.")
			continue
		}
		if cond.True() {
			continue
		}
		msg := "The value is not valid."
		if mv, d := vb.ErrorMessage.Expr.Value(nil); !d.HasErrors() && mv.Type() == cty.String && !mv.IsNull() {
			msg = mv.AsString()
		}
		l.errorf(vb.Condition.Expr.Range().Ptr(), "Invalid value for variable",
			"%s\n\nThis was checked by the validation rule of variable %q.", msg, dv.name)
	}
}

func (l *loader) baseDir() string {
	if len(l.res.Filenames) == 0 {
		return "."
	}
	info, err := os.Stat(l.opts.Path)
	if err == nil && info.IsDir() {
		return l.opts.Path
	}
	return dirOf(l.res.Filenames[0])
}

func (l *loader) loadLocals(blocks []*hclv2.Block) {
	l.locals = map[string]cty.Value{}
	pending := map[string]*hclv2.Attribute{}
	for _, b := range blocks {
		attrs, d := b.Body.JustAttributes()
		l.diags = append(l.diags, d...)
		for name, attr := range attrs {
			if _, dup := pending[name]; dup {
				l.errorf(attr.NameRange.Ptr(), "Duplicate local value", "A local value named %q is declared twice.", name)
				continue
			}
			pending[name] = attr
		}
	}
	// Evaluate in dependency order: each round evaluates the locals whose
	// references are all known; what is left at the end refers to itself.
	for len(pending) > 0 {
		progress := false
		names := slices.Sorted(maps.Keys(pending))
		for _, name := range names {
			attr := pending[name]
			ready := true
			for _, tr := range attr.Expr.Variables() {
				if tr.RootName() != "local" || len(tr) < 2 {
					continue
				}
				ref, ok := tr[1].(hclv2.TraverseAttr)
				if !ok {
					continue
				}
				if _, known := pending[ref.Name]; known {
					ready = false
				} else if _, done := l.locals[ref.Name]; !done {
					l.errorf(tr.SourceRange().Ptr(), "Reference to undeclared local value",
						"No local value named %q is declared in a locals block.", ref.Name)
					ready = false
					delete(pending, name)
				}
			}
			if _, still := pending[name]; !still || !ready {
				continue
			}
			v, d := attr.Expr.Value(l.evalContext(nil))
			l.diags = append(l.diags, d...)
			if d.HasErrors() || !l.checkNumbers(v, attr.Expr.Range().Ptr()) {
				v = cty.DynamicVal
			}
			l.locals[name] = v
			delete(pending, name)
			progress = true
		}
		if !progress {
			for _, name := range names {
				if attr, ok := pending[name]; ok {
					l.errorf(attr.NameRange.Ptr(), "Cycle in local values",
						"The local value %q depends on itself, through other local values.", name)
				}
			}
			return
		}
	}
}

// evalContext is the context for expressions: var.*, local.*, each.* (for
// a for_each instance) and the curated functions.
func (l *loader) evalContext(each map[string]cty.Value) *hclv2.EvalContext {
	vars := map[string]cty.Value{
		"var":   cty.ObjectVal(l.vars),
		"local": cty.ObjectVal(l.locals),
	}
	if each != nil {
		vars["each"] = cty.ObjectVal(each)
	}
	return &hclv2.EvalContext{Variables: vars, Functions: functions(l.baseDir())}
}

func dirOf(path string) string {
	i := strings.LastIndexByte(path, '/')
	if i < 0 {
		return "."
	}
	return path[:i]
}

var _ = fmt.Sprintf
