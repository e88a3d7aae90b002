package hcl

import (
	"math/big"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// Numbers in HCL are arbitrary-precision, and turning one into text (a
// template, a conversion to string, a directive value) writes out every
// decimal digit, in time that grows faster than the digits: 1e100000000,
// 25 bytes of spec, would take hours and hundreds of megabytes. A spec has
// no use for numbers beyond a 64-bit float, so every number that enters an
// evaluation (literals, variable and local values, what the functions
// that parse text return) must fit in one; the product of in-range
// numbers computed inside a single expression is the one way left, and it
// needs a spec as long as the number's exponent.
const (
	// maxNumberExp and minNumberExp bound the binary exponent of a
	// number, as big.Float.MantExp reports it: the range of a float64,
	// about 1.8e308 down to 4.9e-324.
	maxNumberExp = 1024
	minNumberExp = -1073
)

const numberRangeDetail = "Numbers in a spec must fit in a 64-bit float: at most about 1.8e308 in size, and zero or at least about 4.9e-324."

func numberInRange(f *big.Float) bool {
	if f.IsInf() || f.Sign() == 0 {
		return true
	}
	e := f.MantExp(nil)
	return e >= minNumberExp && e <= maxNumberExp
}

// numbersInRange reports whether every known number in v, however deep,
// is in range.
func numbersInRange(v cty.Value) bool {
	v, _ = v.UnmarkDeep()
	ok := true
	_ = cty.Walk(v, func(_ cty.Path, el cty.Value) (bool, error) {
		if el.IsKnown() && !el.IsNull() && el.Type() == cty.Number && !numberInRange(el.AsBigFloat()) {
			ok = false
		}
		return ok, nil
	})
	return ok
}

// checkNumberLiterals reports every number literal of a parsed file that
// is out of range, before anything is evaluated.
func checkNumberLiterals(body hclv2.Body) hclv2.Diagnostics {
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		return nil
	}
	return hclsyntax.VisitAll(sb, func(n hclsyntax.Node) hclv2.Diagnostics {
		lit, ok := n.(*hclsyntax.LiteralValueExpr)
		if !ok || numbersInRange(lit.Val) {
			return nil
		}
		return hclv2.Diagnostics{{
			Severity: hclv2.DiagError,
			Summary:  "Number out of range",
			Detail:   numberRangeDetail,
			Subject:  lit.SrcRange.Ptr(),
		}}
	})
}

// checkNumbers reports v when a number in it is out of range.
func (l *loader) checkNumbers(v cty.Value, rng *hclv2.Range) bool {
	if numbersInRange(v) {
		return true
	}
	l.errorf(rng, "Number out of range", "%s", numberRangeDetail)
	return false
}

// boundedNumbers wraps a function that makes numbers out of text
// (jsondecode, tonumber, parseint) so that it refuses to return one out
// of range.
func boundedNumbers(f function.Function) function.Function {
	return function.New(&function.Spec{
		Description: f.Description(),
		Params:      f.Params(),
		VarParam:    f.VarParam(),
		Type:        f.ReturnTypeForValues,
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			v, err := f.Call(args)
			if err != nil {
				return v, err
			}
			if !numbersInRange(v) {
				return cty.NilVal, function.NewArgErrorf(0, "%s", numberRangeDetail)
			}
			return v, nil
		},
	})
}
