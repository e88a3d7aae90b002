package operations

import (
	"strings"
	"testing"

	"github.com/redisplan/redisplan/internal/model"
)

func TestSelectTargets(t *testing.T) {
	spec := &model.Spec{Targets: []*model.Target{{Name: `cache["eu"]`}, {Name: `cache["us"]`}, {Name: "main"}, {Name: "mainframe"}}}
	names := func(ts []*model.Target) string {
		var out []string
		for _, t := range ts {
			out = append(out, t.Name)
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct {
		names []string
		want  string
	}{
		{nil, `cache["eu"] cache["us"] main mainframe`},
		{[]string{"cache"}, `cache["eu"] cache["us"]`},
		{[]string{`cache["us"]`, "main"}, `cache["us"] main`},
	} {
		got, err := SelectTargets(spec, tc.names)
		if err != nil || names(got) != tc.want {
			t.Errorf("SelectTargets(%q) = %s, %v; want %s", tc.names, names(got), err, tc.want)
		}
	}
	_, err := SelectTargets(spec, []string{"main", "mian"})
	if err == nil || !strings.Contains(err.Error(), `no target named mian; the spec has: cache["eu"], cache["us"], main, mainframe`) {
		t.Errorf("an unknown name: err = %v, want it named with the spec's targets", err)
	}
}
