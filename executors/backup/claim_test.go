package backup

import (
	"testing"

	"github.com/redisplan/redisplan/internal/owner"
)

func TestClaimOwns(t *testing.T) {
	a := owner.Owner{Spec: "/srv/a/redis.hcl", Target: "main"}
	b := owner.Owner{Spec: "/srv/b/redis.hcl", Target: "main"}
	withID := owner.Owner{ID: "orders", Spec: "/srv/moved/redis.hcl", Target: "main"}
	rec := func(o owner.Owner) *Manifest { return &Manifest{Owner: &o} }
	for _, tc := range []struct {
		name  string
		claim Claim
		m     *Manifest
		want  bool
	}{
		{"no owner recorded", Claim{Owner: a}, &Manifest{}, true},
		{"same spec and target", Claim{Owner: a}, rec(a), true},
		{"another spec, same target name", Claim{Owner: a}, rec(b), false},
		{"same id after the spec moved", Claim{Owner: withID}, rec(owner.Owner{ID: "orders", Spec: "/srv/a/redis.hcl", Target: "main"}), true},
		{"another id", Claim{Owner: withID}, rec(owner.Owner{ID: "billing", Spec: "/srv/moved/redis.hcl", Target: "main"}), false},
		{"the spec set an id since", Claim{Owner: owner.Owner{ID: "orders", Spec: a.Spec, Target: "main"}}, rec(a), true},
		{"a previous spec", Claim{Owner: withID, PreviousSpecs: []string{a.Spec}}, rec(a), true},
		{"a previous spec, another target", Claim{Owner: withID, PreviousSpecs: []string{a.Spec}}, rec(owner.Owner{Spec: a.Spec, Target: "cache"}), false},
	} {
		if got := tc.claim.Owns(tc.m); got != tc.want {
			t.Errorf("%s: Owns = %v, want %v", tc.name, got, tc.want)
		}
	}
}
