package repository

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/owner"
)

// Owner is the owner of what redisplan keeps for t (its backups, its
// check state): the backup block's id when it has one, else the absolute
// path of the spec file that declares t, and its name. It does not depend
// on how -config names the spec (a file or its directory), so that cron's
// runs and a person's restore agree.
func Owner(t *model.Target) *owner.Owner {
	spec := t.Pos.Filename
	if abs, err := filepath.Abs(spec); err == nil && spec != "" {
		spec = abs
	}
	o := &owner.Owner{Spec: spec, Target: t.Name}
	if t.Backup != nil {
		o.ID = t.Backup.ID
	}
	return o
}

// Claim is what counts as t's backups in a catalog (backup.Claim).
func Claim(t *model.Target) backup.Claim {
	c := backup.Claim{Owner: *Owner(t)}
	if t.Backup != nil {
		c.PreviousSpecs = t.Backup.PreviousSpecs
	}
	return c
}

// DescribeOwner names the owner of a backup for a person.
func DescribeOwner(o owner.Owner) string {
	s := fmt.Sprintf("spec %s, target %q", o.Spec, o.Target)
	if o.ID != "" {
		return fmt.Sprintf("backup id %q, %s", o.ID, s)
	}
	return s
}

// DescribeOwners names the distinct owners of ms.
func DescribeOwners(ms []*backup.Manifest) string {
	var names []string
	for _, m := range ms {
		if d := DescribeOwner(*m.Owner); !slices.Contains(names, d) {
			names = append(names, d)
		}
	}
	return strings.Join(names, "; ")
}

// resolveShared is what a person does about a folder that two specs'
// targets share.
func resolveShared(t *model.Target) string {
	return fmt.Sprintf("If those are another server's backups, give redis.%s a destination of its own; "+
		"if they are this target's from before its spec file moved, list that file in the backup block's previous_specs "+
		"(and set backup { id = \"...\" }, which keeps the backups this target's through later moves)", t.Name)
}

// RefuseShared refuses to add backups to the target's folder when it holds
// another spec's backups: the two servers' backups would mix, and only the
// owner recorded in each would keep one spec's retention and restore off
// the other's.
func (r *Repository) RefuseShared(ctx context.Context) error {
	_, others, err := r.Catalog(ctx)
	if err != nil || len(others) == 0 {
		return err
	}
	t := r.Target
	return fmt.Errorf("%s holds %d backup(s) of another spec's target (%s), the newest %s; this spec (%s) will not add its backups to theirs, "+
		"and nothing was written. %s",
		r.Path(), len(others), DescribeOwners(others), others[len(others)-1].ID, DescribeOwner(*Owner(t)), resolveShared(t))
}
