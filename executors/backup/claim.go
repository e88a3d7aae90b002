package backup

import (
	"slices"

	"github.com/redisplan/redisplan/internal/owner"
)

// Claim is who the backups of one target of one spec belong to: the
// owner its new backups record (Manifest.Owner), and the spec files it
// was declared in before it moved.
type Claim struct {
	Owner owner.Owner
	// PreviousSpecs are absolute paths of spec files this target was
	// declared in before: backups they recorded (without an id) for a
	// target of the same name are this target's too.
	PreviousSpecs []string
}

// Owns reports whether m belongs to c: a backup that records no owner
// (made before owners were recorded), one whose owner c claims as
// schedules do (owner.Owner.Claims: the same id, or the same spec and
// target), or one recorded without an id by a previous spec of c.
func (c Claim) Owns(m *Manifest) bool {
	p := m.Owner
	if p == nil || p.IsZero() {
		return true
	}
	if c.Owner.Claims(*p) {
		return true
	}
	return p.ID == "" && p.Target == c.Owner.Target && slices.Contains(c.PreviousSpecs, p.Spec)
}

// Partition splits a catalog into the backups c owns and the others,
// keeping the order of ms.
func (c Claim) Partition(ms []*Manifest) (own, others []*Manifest) {
	for _, m := range ms {
		if c.Owns(m) {
			own = append(own, m)
		} else {
			others = append(others, m)
		}
	}
	return own, others
}
