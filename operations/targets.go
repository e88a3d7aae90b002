package operations

import (
	"fmt"
	"sort"
	"strings"

	"github.com/redisplan/redisplan/internal/model"
)

// SelectTargets returns the targets named by -target flags: a name
// selects the target of that name, and a block name selects all its
// for_each instances. No name selects every target. A name that selects
// nothing is an error listing the spec's targets.
func SelectTargets(spec *model.Spec, names []string) ([]*model.Target, error) {
	if len(names) == 0 {
		return spec.Targets, nil
	}
	selects := func(t *model.Target, n string) bool { return t.Name == n || strings.HasPrefix(t.Name, n+"[") }
	var out []*model.Target
	for _, t := range spec.Targets {
		for _, n := range names {
			if selects(t, n) {
				out = append(out, t)
				break
			}
		}
	}
	for _, n := range names {
		found := false
		for _, t := range out {
			found = found || selects(t, n)
		}
		if !found {
			var all []string
			for _, t := range spec.Targets {
				all = append(all, t.Name)
			}
			sort.Strings(all)
			return nil, fmt.Errorf("no target named %s; the spec has: %s", n, strings.Join(all, ", "))
		}
	}
	return out, nil
}
