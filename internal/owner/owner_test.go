package owner

import "testing"

func TestLineRoundTrip(t *testing.T) {
	for _, o := range []Owner{
		{Spec: "/srv/a/redis.hcl", Target: "main"},
		{Spec: "/srv/with space/\"q\"", Target: `cache["eu"]`},
		{ID: "orders-a", Spec: "/srv/a", Target: "main"},
	} {
		got, ok := Parse(o.Line())
		if !ok || got != o {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", o.Line(), got, ok, o)
		}
	}
	for _, line := range []string{
		"# BEGIN redisplan main",
		"# redisplan owner: spec /srv/a, target main",
		`# redisplan owner: id "" (spec "/a", target "m")`,
		`# redisplan owner: spec "/a", target "m" trailing`,
	} {
		if o, ok := Parse(line); ok {
			t.Errorf("Parse(%q) = %+v, want no owner", line, o)
		}
	}
}

func TestSame(t *testing.T) {
	a := Owner{Spec: "/srv/a/redis.hcl", Target: "main"}
	b := Owner{Spec: "/srv/b/redis.hcl", Target: "main"}
	if a.Same(b) {
		t.Error("two specs with a target of the same name are the same owner")
	}
	if !(Owner{ID: "x", Spec: "/old"}).Same(Owner{ID: "x", Spec: "/new"}) {
		t.Error("the same id under a moved spec is another owner")
	}
	if (Owner{ID: "x", Spec: a.Spec, Target: a.Target}).Same(a) {
		t.Error("an id owner is the same as a spec owner")
	}
}

func TestClaims(t *testing.T) {
	a := Owner{Spec: "/srv/a", Target: "main"}
	withID := Owner{ID: "orders", Spec: "/srv/a", Target: "main"}
	if !withID.Claims(a) || !a.Claims(withID) {
		t.Error("a spec that added or dropped an id does not claim what it wrote before")
	}
	if withID.Claims(Owner{ID: "other", Spec: "/srv/a", Target: "main"}) {
		t.Error("another id is claimed")
	}
	if a.Claims(Owner{Spec: "/srv/b", Target: "main"}) || a.Claims(Owner{Spec: "/srv/a", Target: "cache"}) {
		t.Error("another spec's or target's block is claimed")
	}
	file := Owner{Spec: "/srv/a/redis.hcl", Target: "main"}
	if !file.Claims(a) {
		t.Error("a spec named by its file does not claim what it wrote when named by its directory")
	}
	if a.Claims(file) || file.Claims(Owner{Spec: "/srv", Target: "main"}) || file.Claims(Owner{Spec: "/srv/a", Target: "cache"}) {
		t.Error("a directory claims a file's block, or a file claims another directory's or target's")
	}
}
