package hcl

import (
	"github.com/zclconf/go-cty/cty"
)

// Secrets returns every secret value the spec holds: the string values of
// its sensitive variables (inside lists, maps and objects too) and each
// target's secrets (model.Target.Secrets). The CLI hides them in all it
// prints. It works on the partial result of a spec with errors.
func (r *Result) Secrets() []string {
	if r == nil {
		return nil
	}
	var out []string
	for _, v := range r.Variables {
		if v.Sensitive {
			out = appendStrings(out, v.Value)
		}
	}
	if r.Spec != nil {
		for _, t := range r.Spec.Targets {
			out = append(out, t.Secrets()...)
		}
	}
	return out
}

// appendStrings appends the strings in v.
func appendStrings(out []string, v cty.Value) []string {
	if v.IsNull() || !v.IsWhollyKnown() {
		return out
	}
	v, _ = v.UnmarkDeep()
	ty := v.Type()
	switch {
	case ty == cty.String:
		return append(out, v.AsString())
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType() || ty.IsMapType() || ty.IsObjectType():
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = appendStrings(out, e)
		}
	}
	return out
}
