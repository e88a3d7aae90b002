package hcl

import (
	"bytes"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// Format returns the canonical formatting of an HCL source. The source is
// parsed first, so that a syntax error is reported instead of formatting
// a broken file into a differently broken one.
func Format(src []byte, filename string) ([]byte, hclv2.Diagnostics) {
	_, diags := hclsyntax.ParseConfig(src, filename, hclv2.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	return hclwrite.Format(src), nil
}

// NeedsFormat reports whether Format would change src.
func NeedsFormat(src, formatted []byte) bool {
	return !bytes.Equal(src, formatted)
}
