package hcl

import (
	"fmt"
	"github.com/agext/levenshtein"
	"sort"
	"strings"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/model"
)

// saveObject is the type of one snapshot point in a policy condition.
var saveObject = cty.Object(map[string]cty.Type{"after": cty.Number, "changes": cty.Number})

// TargetObject is the normalized target as a cty object, the namespace of
// policy conditions:
//
//	name, address (strings); ephemeral, durable (bool); rpo, rto (seconds)
//	persistence = { aof = { enabled, fsync }, rdb = { save = [{ after, changes }], enabled } }
//	memory      = { max (bytes, 0 = none), policy }
//	security    = { protected_mode, bind, requirepass_set, disabled_commands, renamed_commands }
//	backup      = { enabled, schedule, destination, compression, max_age (seconds),
//	                archive = { enabled, flush (seconds) } }
//	alerts      = { enabled }
//	settings    = { directive = normalized value } for every managed directive that is not sensitive
//
// A directive the spec leaves unset takes Redis's default from the catalog
// of the target's version (appendonly no, save "3600 1 300 100 60 10000").
// No secret is reachable from it: requirepass is only a bool saying whether
// it is set, renamed_commands lists the commands and never their new names,
// and sensitive directives are left out of settings.
func TargetObject(t *model.Target) cty.Value {
	cat, err := catalog.For(t.RedisVersion)
	if err != nil {
		cat, _ = catalog.For(DefaultRedisVersion)
	}
	// value is the directive's normalized value, or Redis's default.
	value := func(name string) string {
		if d := t.Directive(name); d != nil {
			return d.Value
		}
		if p, ok := cat.Lookup(name); ok {
			return p.Default
		}
		return ""
	}

	var save []cty.Value
	for _, pair := range catalog.SavePairs(value("save")) {
		save = append(save, cty.ObjectVal(map[string]cty.Value{
			"after":   numberVal(pair[0]),
			"changes": numberVal(pair[1]),
		}))
	}

	var disabled, renamed []string
	for _, r := range t.Renames {
		if r.NewName == "" {
			disabled = append(disabled, r.Command)
		} else {
			renamed = append(renamed, r.Command)
		}
	}
	requirepass := false
	if d := t.Directive("requirepass"); d != nil {
		requirepass = d.Value != ""
	}

	settings := map[string]cty.Value{}
	for _, d := range t.Directives {
		if d.Sensitive {
			continue
		}
		if p, ok := cat.Lookup(d.Name); ok && p.Sensitive() {
			continue
		}
		settings[d.Name] = cty.StringVal(d.Value)
	}

	backup := map[string]cty.Value{
		"enabled":     cty.False,
		"schedule":    cty.StringVal(""),
		"destination": cty.StringVal(""),
		"compression": cty.StringVal(""),
		"max_age":     cty.NumberIntVal(0),
	}
	archive := map[string]cty.Value{"enabled": cty.False, "flush": cty.NumberIntVal(0)}
	if b := t.Backup; b != nil {
		backup["enabled"] = cty.True
		backup["schedule"] = cty.StringVal(b.Schedule)
		backup["destination"] = cty.StringVal(b.Destination)
		backup["compression"] = cty.StringVal(b.Compression)
		backup["max_age"] = cty.NumberFloatVal(b.Retention.MaxAge.Seconds())
		if a := b.Archive; a != nil {
			archive["enabled"] = cty.True
			archive["flush"] = cty.NumberFloatVal(a.Flush.Seconds())
		}
	}
	backup["archive"] = cty.ObjectVal(archive)

	return cty.ObjectVal(map[string]cty.Value{
		"name":      cty.StringVal(t.Name),
		"address":   cty.StringVal(t.Connection.Address),
		"ephemeral": cty.BoolVal(t.Ephemeral),
		"durable":   cty.BoolVal(t.Durable),
		"rpo":       cty.NumberFloatVal(t.RPO.Seconds()),
		"rto":       cty.NumberFloatVal(t.RTO.Seconds()),
		"persistence": cty.ObjectVal(map[string]cty.Value{
			"aof": cty.ObjectVal(map[string]cty.Value{
				"enabled": cty.BoolVal(value("appendonly") == "yes"),
				"fsync":   cty.StringVal(value("appendfsync")),
			}),
			"rdb": cty.ObjectVal(map[string]cty.Value{
				"save":    listOf(saveObject, save),
				"enabled": cty.BoolVal(len(save) > 0),
			}),
		}),
		"memory": cty.ObjectVal(map[string]cty.Value{
			"max":    numberVal(value("maxmemory")),
			"policy": cty.StringVal(value("maxmemory-policy")),
		}),
		"security": cty.ObjectVal(map[string]cty.Value{
			"protected_mode":    cty.BoolVal(value("protected-mode") == "yes"),
			"bind":              stringList(strings.Fields(value("bind"))),
			"requirepass_set":   cty.BoolVal(requirepass),
			"disabled_commands": stringList(disabled),
			"renamed_commands":  stringList(renamed),
		}),
		"backup": cty.ObjectVal(backup),
		"alerts": cty.ObjectVal(map[string]cty.Value{
			"enabled": cty.BoolVal(t.Alerts != nil),
		}),
		"settings": mapOf(settings),
	})
}

// numberVal reads a normalized integer; anything else (which the catalog
// never produces for these directives) is 0.
func numberVal(s string) cty.Value {
	v, err := cty.ParseNumberVal(s)
	if err != nil {
		return cty.NumberIntVal(0)
	}
	return v
}

func listOf(ty cty.Type, vals []cty.Value) cty.Value {
	if len(vals) == 0 {
		return cty.ListValEmpty(ty)
	}
	return cty.ListVal(vals)
}

func stringList(ss []string) cty.Value {
	vals := make([]cty.Value, len(ss))
	for i, s := range ss {
		vals[i] = cty.StringVal(s)
	}
	return listOf(cty.String, vals)
}

func mapOf(m map[string]cty.Value) cty.Value {
	if len(m) == 0 {
		return cty.MapValEmpty(cty.String)
	}
	return cty.MapVal(m)
}

// EvalPolicies evaluates each policy's condition once per target it
// applies to: every target, or those named by its targets list (a target
// name, or a block name for all its for_each instances). The condition's
// variables are the attributes of TargetObject (persistence.aof.enabled,
// memory.max, ...), and it may call the spec's functions. A condition that
// is false gives a finding with the policy's name as its code; a condition
// that cannot be evaluated or is not a bool is an error diagnostic on the
// condition, reported once, and that policy gives no finding.
func EvalPolicies(res *Result) ([]model.Finding, hclv2.Diagnostics) {
	if res == nil || res.Spec == nil {
		return nil, nil
	}
	funcs := functions(policyBaseDir(res))
	objects := make(map[*model.Target]cty.Value, len(res.Spec.Targets))
	for _, t := range res.Spec.Targets {
		objects[t] = TargetObject(t)
	}

	// Every target's object has the same shape: references are checked
	// once, against an empty target, so that a typo is named with a
	// suggestion before anything is evaluated.
	shape := TargetObject(&model.Target{})

	var findings []model.Finding
	var diags hclv2.Diagnostics
	for _, p := range res.Policies {
		if d := checkReferences(p, shape); d.HasErrors() {
			diags = append(diags, d...)
			continue
		}
		sev, err := model.ParseSeverity(p.Severity)
		if err != nil {
			sev = model.SeverityError
		}
		targets, d := policyTargets(res.Spec, p)
		diags = append(diags, d...)
		rng := p.Condition.Range()
		// A condition that fails fails the same way for every target: it
		// is reported once, and the policy then gives no findings at all.
		var found []model.Finding
		var bad hclv2.Diagnostics
		for _, t := range targets {
			ctx := &hclv2.EvalContext{Variables: objects[t].AsValueMap(), Functions: funcs}
			v, d := p.Condition.Value(ctx)
			if d.HasErrors() {
				bad = d
				break
			}
			v, _ = v.UnmarkDeep()
			if v.IsNull() || v.Type() != cty.Bool || !v.IsKnown() {
				bad = hclv2.Diagnostics{{
					Severity: hclv2.DiagError,
					Summary:  "Invalid policy condition",
					Detail: fmt.Sprintf("The condition of policy %q must be true or false, but it is %s. Compare values to get a bool, such as memory.max > 0.",
						p.Name, describe(v)),
					Subject:     rng.Ptr(),
					Expression:  p.Condition,
					EvalContext: ctx,
				}}
				break
			}
			if v.True() {
				continue
			}
			found = append(found, model.Finding{
				Code:     p.Name,
				Severity: sev,
				Target:   t.Name,
				Message:  p.Message,
				Pos:      posOf(rng),
			})
		}
		if bad.HasErrors() {
			diags = append(diags, bad...)
			continue
		}
		findings = append(findings, found...)
	}
	return findings, dedupe(diags)
}

func describe(v cty.Value) string {
	switch {
	case v.IsNull():
		return "null"
	case !v.IsKnown():
		return "unknown"
	}
	return "a " + v.Type().FriendlyName()
}

// policyTargets are the targets a policy applies to, in spec order. A
// name in its targets list that matches no target is a warning: the policy
// silently checking nothing is worse than saying so.
func policyTargets(spec *model.Spec, p *Policy) ([]*model.Target, hclv2.Diagnostics) {
	if len(p.Targets) == 0 {
		return spec.Targets, nil
	}
	matches := func(t *model.Target, n string) bool {
		return t.Name == n || strings.HasPrefix(t.Name, n+"[")
	}
	var out []*model.Target
	for _, t := range spec.Targets {
		for _, n := range p.Targets {
			if matches(t, n) {
				out = append(out, t)
				break
			}
		}
	}
	var diags hclv2.Diagnostics
	for _, n := range p.Targets {
		found := false
		for _, t := range spec.Targets {
			found = found || matches(t, n)
		}
		if !found {
			diags = append(diags, &hclv2.Diagnostic{
				Severity: hclv2.DiagWarning,
				Summary:  "Unknown policy target",
				Detail:   fmt.Sprintf("The policy %q lists the target %q, but no redis block has that name, so the policy checks nothing there. Fix the name or remove it from targets.", p.Name, n),
				Subject:  p.Range.Ptr(),
			})
		}
	}
	return out, diags
}

// policyBaseDir is the directory file() resolves against, as when the
// spec was loaded.
func policyBaseDir(res *Result) string {
	if len(res.Filenames) == 0 {
		return "."
	}
	return dirOf(res.Filenames[0])
}

// checkReferences reports each reference of a condition to an attribute
// the policy namespace does not have, naming the closest one that exists.
// settings is a map: its keys depend on the target and are not checked.
func checkReferences(p *Policy, shape cty.Value) hclv2.Diagnostics {
	var diags hclv2.Diagnostics
	for _, tr := range p.Condition.Variables() {
		v := shape
		var path []string
		for _, step := range tr {
			var name string
			switch s := step.(type) {
			case hclv2.TraverseRoot:
				name = s.Name
			case hclv2.TraverseAttr:
				name = s.Name
			}
			if name == "" || !v.Type().IsObjectType() {
				break
			}
			if !v.Type().HasAttribute(name) {
				var names []string
				for n := range v.Type().AttributeTypes() {
					names = append(names, n)
				}
				sort.Strings(names)
				where := "A policy condition"
				if len(path) > 0 {
					where = strings.Join(path, ".")
				}
				detail := fmt.Sprintf("%s has no attribute %q.", where, name)
				if s := closest(name, names); s != "" {
					detail += fmt.Sprintf(" Did you mean %q?", s)
				} else {
					detail += fmt.Sprintf(" It has: %s.", strings.Join(names, ", "))
				}
				diags = append(diags, &hclv2.Diagnostic{
					Severity: hclv2.DiagError,
					Summary:  "Unknown policy attribute",
					Detail:   detail,
					Subject:  hclv2.RangeBetween(tr[0].SourceRange(), step.SourceRange()).Ptr(),
				})
				break
			}
			path = append(path, name)
			v = v.GetAttr(name)
		}
	}
	return diags
}

// closest is the name nearest to s by edit distance, when it is close
// enough to be a likely typo.
func closest(s string, names []string) string {
	best, bestDist := "", 3
	for _, n := range names {
		if d := levenshtein.Distance(s, n, nil); d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}
