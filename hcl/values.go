package hcl

import (
	"fmt"
	"math/big"
	"strings"
	"time"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/redisplan/redisplan/internal/units"
)

// evaluator evaluates attributes in one context and converts them to Go
// values, recording a diagnostic for every problem. Each helper returns
// ok=false when the attribute was absent, null or wrong; the zero value
// is returned then.
type evaluator struct {
	l   *loader
	ctx *hclv2.EvalContext
}

func (l *loader) evaluator(each map[string]cty.Value) *evaluator {
	return &evaluator{l: l, ctx: l.evalContext(each)}
}

func unmarked(v cty.Value) cty.Value {
	u, _ := v.UnmarkDeep()
	return u
}

// value evaluates attr and converts it to ty. A value derived from a
// sensitive variable is refused unless secretOK: it would otherwise end up
// in plans, logs or output.
func (e *evaluator) value(attr *hclv2.Attribute, ty cty.Type, secretOK bool) (v cty.Value, secret, ok bool) {
	if attr == nil {
		return cty.NilVal, false, false
	}
	v, d := attr.Expr.Value(e.ctx)
	e.l.diags = append(e.l.diags, d...)
	if d.HasErrors() {
		return cty.NilVal, false, false
	}
	secret = v.HasMarkDeep(sensitive)
	v = unmarked(v)
	if secret && !secretOK {
		e.l.errorf(attr.Expr.Range().Ptr(), "Sensitive value in a non-sensitive place",
			"The argument %q would show this value in plans and output, but it comes from a sensitive variable. Use a non-sensitive value here, or set the secret only where secrets belong (password, requirepass, renamed_commands).", attr.Name)
		return cty.NilVal, true, false
	}
	if v.IsNull() {
		return cty.NilVal, secret, false
	}
	if !v.IsWhollyKnown() {
		// Only a variable or local that already failed is unknown: its
		// error was reported where it failed.
		return cty.NilVal, secret, false
	}
	if !e.l.checkNumbers(v, attr.Expr.Range().Ptr()) {
		return cty.NilVal, secret, false
	}
	cv, err := convert.Convert(v, ty)
	if err != nil {
		e.l.errorf(attr.Expr.Range().Ptr(), "Incorrect attribute value type",
			"Inappropriate value for attribute %q: %s.", attr.Name, err)
		return cty.NilVal, secret, false
	}
	return cv, secret, true
}

func (e *evaluator) str(attr *hclv2.Attribute) (string, bool) {
	v, _, ok := e.value(attr, cty.String, false)
	if !ok {
		return "", false
	}
	return v.AsString(), true
}

// secretStr is str for attributes that may hold secrets.
func (e *evaluator) secretStr(attr *hclv2.Attribute) (s string, secret, ok bool) {
	v, secret, ok := e.value(attr, cty.String, true)
	if !ok {
		return "", secret, false
	}
	return v.AsString(), secret, true
}

func (e *evaluator) boolean(attr *hclv2.Attribute) (bool, bool) {
	v, _, ok := e.value(attr, cty.Bool, false)
	if !ok {
		return false, false
	}
	return v.True(), true
}

// integer reads a whole number within [min, max].
func (e *evaluator) integer(attr *hclv2.Attribute, min, max int64) (int64, bool) {
	v, _, ok := e.value(attr, cty.Number, false)
	if !ok {
		return 0, false
	}
	bf := v.AsBigFloat()
	i, acc := bf.Int64()
	if !bf.IsInt() || acc != big.Exact {
		e.l.errorf(attr.Expr.Range().Ptr(), "Invalid number", "The argument %q takes a whole number.", attr.Name)
		return 0, false
	}
	if i < min || i > max {
		e.l.errorf(attr.Expr.Range().Ptr(), "Value out of range", "The argument %q must be between %d and %d; got %d.", attr.Name, min, max, i)
		return 0, false
	}
	return i, true
}

func (e *evaluator) strList(attr *hclv2.Attribute) ([]string, bool) {
	v, _, ok := e.value(attr, cty.List(cty.String), false)
	if !ok {
		return nil, false
	}
	var out []string
	for _, el := range v.AsValueSlice() {
		if el.IsNull() {
			e.l.errorf(attr.Expr.Range().Ptr(), "Invalid list element", "The list %q must not hold null values.", attr.Name)
			return nil, false
		}
		out = append(out, el.AsString())
	}
	return out, true
}

// enum reads a string that must be one of allowed (case-insensitive, and
// returned lowercased).
func (e *evaluator) enum(attr *hclv2.Attribute, allowed ...string) (string, bool) {
	s, ok := e.str(attr)
	if !ok {
		return "", false
	}
	for _, a := range allowed {
		if strings.EqualFold(s, a) {
			return a, true
		}
	}
	e.l.errorf(attr.Expr.Range().Ptr(), "Invalid value",
		"The argument %q must be one of %s; got %q.", attr.Name, quoteList(allowed), s)
	return "", false
}

// duration reads "30s", "15m", "25h", "30d", "4w".
func (e *evaluator) duration(attr *hclv2.Attribute) (time.Duration, bool) {
	s, ok := e.str(attr)
	if !ok {
		return 0, false
	}
	d, err := units.ParseDuration(s)
	if err != nil {
		e.l.errorf(attr.Expr.Range().Ptr(), "Invalid duration", "The argument %q takes a duration: %s.", attr.Name, err)
		return 0, false
	}
	return d, true
}

// directiveValue turns any primitive or list of primitives into the text
// form a directive takes: bools as yes/no, whole numbers without
// exponent, lists joined by spaces (bind, save, ...).
func (e *evaluator) directiveValue(attr *hclv2.Attribute, expr hclv2.Expression, name string, secretOK bool) (string, bool, bool) {
	v, d := expr.Value(e.ctx)
	e.l.diags = append(e.l.diags, d...)
	if d.HasErrors() {
		return "", false, false
	}
	if !v.IsWhollyKnown() {
		return "", false, false
	}
	secret := v.HasMarkDeep(sensitive)
	v = unmarked(v)
	if secret && !secretOK {
		e.l.errorf(expr.Range().Ptr(), "Sensitive value in a non-sensitive place",
			"The directive %q is not secret, so its value would be shown in plans and output, but it comes from a sensitive variable.", name)
		return "", true, false
	}
	if v.IsNull() {
		e.l.errorf(expr.Range().Ptr(), "Missing value", "The directive %q is null; leave it out of the spec to leave it unmanaged.", name)
		return "", secret, false
	}
	if !e.l.checkNumbers(v, expr.Range().Ptr()) {
		return "", secret, false
	}
	s, err := primitiveText(v)
	if err != nil {
		e.l.errorf(expr.Range().Ptr(), "Incorrect attribute value type",
			"The directive %q takes a string, number, bool or a list of them: %s.", name, err)
		return "", secret, false
	}
	return s, secret, true
}

func primitiveText(v cty.Value) (string, error) {
	switch {
	case v.Type() == cty.String:
		return v.AsString(), nil
	case v.Type() == cty.Bool:
		if v.True() {
			return "yes", nil
		}
		return "no", nil
	case v.Type() == cty.Number:
		return v.AsBigFloat().Text('f', -1), nil
	case v.Type().IsListType() || v.Type().IsTupleType() || v.Type().IsSetType():
		var parts []string
		for _, el := range v.AsValueSlice() {
			if el.IsNull() {
				return "", fmt.Errorf("a list element is null")
			}
			if !el.Type().IsPrimitiveType() {
				return "", fmt.Errorf("a list element is a %s", el.Type().FriendlyName())
			}
			s, err := primitiveText(el)
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, " "), nil
	}
	return "", fmt.Errorf("got a %s", v.Type().FriendlyName())
}

func quoteList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
