package hcl

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"k8s.io/apimachinery/pkg/api/resource"
	k8svalidation "k8s.io/apimachinery/pkg/util/validation"

	"github.com/redisplan/redisplan/internal/model"
)

// kubeResourceNames are the container resources a job may request or be
// limited to.
var kubeResourceNames = []string{"cpu", "ephemeral-storage", "memory"}

// kubeSecurityKeys are the keys security_context takes.
var kubeSecurityKeys = []string{"fs_group", "read_only_root_filesystem", "run_as_group", "run_as_non_root", "run_as_user"}

// kubePod decodes what a kubernetes cron block says about its pods:
// image pull policy, service account, state volume, extra environment,
// resources and security context. Every problem is reported, each at its
// own key.
func (d *targetDecoder) kubePod(cb *cronBlock, kc *model.KubeCronJobs) {
	if v, ok := d.enum(cb.ImagePullPolicy, "Always", "IfNotPresent", "Never"); ok {
		kc.ImagePullPolicy = v
	}
	for _, f := range []struct {
		a   *hclv2.Attribute
		dst *string
	}{{cb.ServiceAccount, &kc.ServiceAccount}, {cb.VolumeClaim, &kc.VolumeClaim}} {
		if v, ok := d.str(f.a); ok && d.kubeName(f.a.Name, v, f.a.Expr.Range()) {
			*f.dst = v
		}
	}
	if names, ok := d.strList(cb.EnvFromSecrets); ok {
		seen := map[string]bool{}
		for _, n := range names {
			if !d.kubeName(cb.EnvFromSecrets.Name, n, cb.EnvFromSecrets.Expr.Range()) {
				continue
			}
			if seen[n] {
				d.l.errorf(cb.EnvFromSecrets.Expr.Range().Ptr(), "Duplicate Secret",
					"env_from_secrets names the Secret %q twice; name each Secret once.", n)
				continue
			}
			seen[n] = true
			kc.EnvFromSecrets = append(kc.EnvFromSecrets, n)
		}
	}
	d.kubeResources(cb.Resources, kc)
	d.kubeSecurity(cb.SecurityContext, kc)
}

// kubeName checks a Kubernetes object name (a DNS subdomain, as the API
// server checks it) and reports it at rng when it is not one.
func (d *targetDecoder) kubeName(arg, v string, rng hclv2.Range) bool {
	if errs := k8svalidation.IsDNS1123Subdomain(v); len(errs) > 0 {
		d.l.errorf(rng.Ptr(), "Invalid Kubernetes name",
			"%s must hold Kubernetes object names (lower-case letters, digits, '-' and '.', starting and ending with a letter or digit); %q is not one: %s.", arg, v, strings.Join(errs, "; "))
		return false
	}
	return true
}

// objItem is one key of an object value, with where it was written.
type objItem struct {
	value cty.Value
	expr  hclv2.Expression // the value's expression; nil when not written as a literal object
	rng   hclv2.Range
}

// objectItems splits v, the value of expr, into its keys. When expr is an
// object literal, each key keeps the range of its own item; otherwise
// every key points at whole (a variable's value has no finer place).
func (e *evaluator) objectItems(what string, expr hclv2.Expression, v cty.Value, whole hclv2.Range) (map[string]objItem, bool) {
	if v.IsNull() || !(v.Type().IsObjectType() || v.Type().IsMapType()) {
		e.l.errorf(whole.Ptr(), "Incorrect attribute value type",
			"%s takes an object such as { key = value }; got %s.", what, friendly(v))
		return nil, false
	}
	ranges := map[string]hclv2.Range{}
	exprs := map[string]hclv2.Expression{}
	if oc, ok := expr.(*hclsyntax.ObjectConsExpr); ok {
		for _, it := range oc.Items {
			kv, diags := it.KeyExpr.Value(e.ctx)
			if diags.HasErrors() {
				continue
			}
			if ks, err := convert.Convert(unmarked(kv), cty.String); err == nil && ks.IsKnown() && !ks.IsNull() {
				ranges[ks.AsString()] = hclv2.RangeBetween(it.KeyExpr.Range(), it.ValueExpr.Range())
				exprs[ks.AsString()] = it.ValueExpr
			}
		}
	}
	out := map[string]objItem{}
	for k, ev := range v.AsValueMap() {
		r, ok := ranges[k]
		if !ok {
			r = whole
		}
		out[k] = objItem{value: ev, expr: exprs[k], rng: r}
	}
	return out, true
}

// unknownKey reports key, which is not one of allowed.
func (d *targetDecoder) unknownKey(what, key string, allowed []string, rng hclv2.Range) {
	hint := ""
	if c := closest(key, allowed); c != "" {
		hint = fmt.Sprintf(" Did you mean %q?", c)
	}
	d.l.errorf(rng.Ptr(), "Unsupported key",
		"%s takes %s; %q is not one of them.%s", what, quoteList(allowed), key, hint)
}

// kubeResources decodes resources = { requests = {...}, limits = {...} }.
func (d *targetDecoder) kubeResources(a *hclv2.Attribute, kc *model.KubeCronJobs) {
	if a == nil {
		return
	}
	v, _, ok := d.value(a, cty.DynamicPseudoType, false)
	if !ok {
		return
	}
	top, ok := d.objectItems("resources", a.Expr, v, a.Expr.Range())
	if !ok {
		return
	}
	parsed := map[string]map[string]resource.Quantity{}
	where := map[string]map[string]hclv2.Range{}
	for _, k := range slices.Sorted(maps.Keys(top)) {
		it := top[k]
		if k != "requests" && k != "limits" {
			d.unknownKey("resources", k, []string{"limits", "requests"}, it.rng)
			continue
		}
		items, ok := d.objectItems("resources."+k, it.expr, it.value, it.rng)
		if !ok {
			continue
		}
		out := map[string]string{}
		parsed[k] = map[string]resource.Quantity{}
		where[k] = map[string]hclv2.Range{}
		for _, name := range slices.Sorted(maps.Keys(items)) {
			q := items[name]
			if !slices.Contains(kubeResourceNames, name) {
				d.unknownKey("resources."+k, name, kubeResourceNames, q.rng)
				continue
			}
			s, err := convert.Convert(q.value, cty.String)
			if err != nil || s.IsNull() {
				d.l.errorf(q.rng.Ptr(), "Invalid quantity",
					"resources.%s.%s takes a Kubernetes quantity such as \"250m\" or \"512Mi\"; got %s.", k, name, friendly(q.value))
				continue
			}
			qty, err := resource.ParseQuantity(s.AsString())
			if err != nil || qty.Sign() < 0 {
				d.l.errorf(q.rng.Ptr(), "Invalid quantity",
					"resources.%s.%s takes a Kubernetes quantity such as \"250m\" (CPU) or \"512Mi\" (memory); %q is not one.", k, name, s.AsString())
				continue
			}
			out[name] = qty.String()
			parsed[k][name] = qty
			where[k][name] = q.rng
		}
		if k == "requests" {
			kc.Requests = out
		} else {
			kc.Limits = out
		}
	}
	// The API server refuses a request above its limit.
	for name, req := range parsed["requests"] {
		if lim, ok := parsed["limits"][name]; ok && req.Cmp(lim) > 0 {
			d.l.errorf(where["requests"][name].Ptr(), "Request above limit",
				"resources.requests.%s (%s) is more than resources.limits.%s (%s); Kubernetes refuses such a pod. Lower the request or raise the limit.",
				name, req.String(), name, lim.String())
		}
	}
}

// kubeSecurity decodes security_context; run_as_non_root and
// read_only_root_filesystem default to true.
func (d *targetDecoder) kubeSecurity(a *hclv2.Attribute, kc *model.KubeCronJobs) {
	if a == nil {
		return
	}
	v, _, ok := d.value(a, cty.DynamicPseudoType, false)
	if !ok {
		return
	}
	items, ok := d.objectItems("security_context", a.Expr, v, a.Expr.Range())
	if !ok {
		return
	}
	sc := &kc.Security
	for _, k := range slices.Sorted(maps.Keys(items)) {
		it := items[k]
		switch k {
		case "run_as_non_root", "read_only_root_filesystem":
			b, err := convert.Convert(it.value, cty.Bool)
			if err != nil || b.IsNull() {
				d.l.errorf(it.rng.Ptr(), "Incorrect attribute value type", "security_context.%s takes true or false; got %s.", k, friendly(it.value))
				continue
			}
			if k == "run_as_non_root" {
				sc.AllowRoot = b.False()
			} else {
				sc.WritableRoot = b.False()
			}
		case "run_as_user", "run_as_group", "fs_group":
			n, err := convert.Convert(it.value, cty.Number)
			if err != nil || n.IsNull() {
				d.l.errorf(it.rng.Ptr(), "Incorrect attribute value type", "security_context.%s takes a numeric id such as 65532; got %s.", k, friendly(it.value))
				continue
			}
			i, acc := n.AsBigFloat().Int64()
			if !n.AsBigFloat().IsInt() || acc != 0 || i < 0 || i > math.MaxInt32 {
				d.l.errorf(it.rng.Ptr(), "Value out of range", "security_context.%s takes a whole number between 0 and %d; got %s.", k, math.MaxInt32, friendly(it.value))
				continue
			}
			switch k {
			case "run_as_user":
				sc.RunAsUser = &i
			case "run_as_group":
				sc.RunAsGroup = &i
			default:
				sc.FSGroup = &i
			}
		default:
			d.unknownKey("security_context", k, kubeSecurityKeys, it.rng)
		}
	}
	if !sc.AllowRoot && sc.RunAsUser != nil && *sc.RunAsUser == 0 {
		d.l.errorf(items["run_as_user"].rng.Ptr(), "Conflicting security context",
			"run_as_user = 0 is root, and run_as_non_root is true (the default), so the kubelet would refuse to start the pod. Use a non-root id such as 65532 (the image's user).")
	}
}
