package hcl

import (
	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/redisplan/redisplan/internal/model"
)

// discoverKeyword is the value of replicas that asks the primary.
const discoverKeyword = "discover"

// replicas decodes the replicas attribute: a list of host:port addresses,
// or "discover". It also expands the {host} and {port} placeholders of
// config_file, data_dir and the service commands for the target itself,
// keeping their raw forms for its replicas.
func (d *targetDecoder) replicas(rb *redisBlock) {
	t := d.t
	raw := &model.Replication{ConfigFile: t.ConfigFile, DataDir: t.DataDir}
	if t.Service != nil {
		s := *t.Service
		raw.Service = &s
	}
	self := t.Connection.Address
	t.ConfigFile = model.ExpandMember(t.ConfigFile, self)
	t.DataDir = model.ExpandMember(t.DataDir, self)
	if s := t.Service; s != nil {
		t.Service = s.Expand(self)
	}

	a := rb.Replicas
	if a == nil {
		if b := t.Backup; b != nil && b.From == model.FromReplica && rb.Backup.From != nil {
			d.l.errorf(rb.Backup.From.Expr.Range().Ptr(), "Backup from a replica without replicas",
				`from = "replica" reads backups from a replica, but this target declares none: add replicas = [...] or replicas = "discover" to the target, or use from = "any".`)
		}
		return
	}
	v, _, ok := d.value(a, cty.DynamicPseudoType, false)
	if !ok {
		return
	}
	rng := a.Expr.Range().Ptr()
	if v.Type() == cty.String {
		if v.AsString() != discoverKeyword {
			d.l.errorf(rng, "Invalid replicas",
				"replicas takes a list of addresses, such as [\"10.0.0.2:6379\", \"10.0.0.3:6379\"], or \"discover\" to ask the primary (INFO replication); got %q.", v.AsString())
			return
		}
		raw.Discover = true
		d.setReplication(raw, rng)
		return
	}
	list, ok := d.strList(a)
	if !ok {
		return
	}
	seen := map[string]bool{}
	bad := false
	for _, addr := range list {
		switch problem := tcpAddressProblem(addr); {
		case problem != "":
			d.l.errorf(rng, "Invalid replica address",
				"A replica is written host:port, such as \"10.0.0.2:6379\"; %q %s. Unix sockets cannot be replicas of a group here: give the address the replica listens on.", addr, problem)
			bad = true
		case addr == self:
			d.l.errorf(rng, "Invalid replica address", "%q is the target's own address: a primary cannot be its own replica.", addr)
			bad = true
		case seen[addr]:
			d.l.errorf(rng, "Duplicate replica", "The replica %q is listed twice.", addr)
			bad = true
		}
		seen[addr] = true
	}
	if bad {
		return
	}
	if len(list) == 0 {
		d.l.errorf(rng, "Invalid replicas", "replicas is empty: list the replicas' addresses, write \"discover\", or leave the attribute out.")
		return
	}
	raw.Replicas = list
	d.setReplication(raw, rng)
}

// setReplication makes the target a primary, unless it also says it is a
// replica itself.
func (d *targetDecoder) setReplication(raw *model.Replication, rng *hclv2.Range) {
	if dir := d.t.Directive("replicaof"); dir != nil {
		d.l.errorf(rng, "Conflicting replication settings",
			"This target declares replicas, so it is their primary, but it also sets replicaof (%s). A group is described on its primary; leave replicaof to the replicas' own files.", dir.Origin)
		return
	}
	d.t.Replication = raw
}
