package model

import (
	"net"
	"strings"
)

// Replication describes the replicas of a primary.
type Replication struct {
	// Replicas are the replicas' addresses (host:port) in the order they
	// are changed. Empty when Discover is set.
	Replicas []string
	// Discover asks the primary for its replicas (INFO replication) each
	// time instead.
	Discover bool
	// ConfigFile, DataDir and Service are the target's own, with the
	// {host} and {port} placeholders left in; a replica gets them with its
	// own host and port put in. One without a placeholder names the
	// primary's file or process only, so a replica gets none.
	ConfigFile string
	DataDir    string
	Service    *Service
}

// Placeholders are the words config_file, data_dir and the service
// commands may hold, replaced by each member's own host and port.
const (
	PlaceholderHost = "{host}"
	PlaceholderPort = "{port}"
)

// HasPlaceholder reports whether s holds {host} or {port}.
func HasPlaceholder(s string) bool {
	return strings.Contains(s, PlaceholderHost) || strings.Contains(s, PlaceholderPort)
}

// ExpandMember replaces {host} and {port} in s with those of address.
func ExpandMember(s, address string) string {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		host, port = address, ""
	}
	return strings.NewReplacer(PlaceholderHost, host, PlaceholderPort, port).Replace(s)
}

// MemberSpecific reports whether a directive names one server of a group
// (its port, its files, whom it replicates): such a directive is never
// applied to a replica, and replicaof is what makes it one.
func MemberSpecific(directive string) bool {
	switch directive {
	case "replicaof", "port", "tls-port", "bind", "unixsocket", "pidfile", "logfile", "dir",
		"replica-announce-ip", "replica-announce-port",
		"cluster-announce-ip", "cluster-announce-port", "cluster-announce-bus-port", "cluster-config-file":
		return true
	}
	return false
}

// MemberName is how a replica of a target is named in plans and events:
// main/10.0.0.2:6379.
func MemberName(target, address string) string {
	return target + "/" + address
}

// Member returns the target that stands for one replica of t: the same
// credentials, TLS and managed directives (except MemberSpecific ones),
// at the replica's address, with its own config file, data dir and
// service commands when the spec's hold placeholders. It has no backup,
// alerts, cron blocks (of any kind) or replicas of its own: those belong
// to the group.
func (t *Target) Member(address string) *Target {
	m := *t
	m.Name = MemberName(t.Name, address)
	m.Connection.Address = address
	m.Backup, m.Alerts, m.Cron, m.Replication = nil, nil, nil, nil
	m.Timers, m.CronJobs = nil, nil
	m.ConfigFile, m.DataDir, m.Service = "", "", nil
	if r := t.Replication; r != nil {
		if HasPlaceholder(r.ConfigFile) {
			m.ConfigFile = ExpandMember(r.ConfigFile, address)
		}
		if HasPlaceholder(r.DataDir) {
			m.DataDir = ExpandMember(r.DataDir, address)
		}
		if s := r.Service; s != nil && serviceHasPlaceholder(s) {
			m.Service = s.Expand(address)
		}
	}
	m.Directives = nil
	for _, d := range t.Directives {
		if !MemberSpecific(d.Name) {
			m.Directives = append(m.Directives, d)
		}
	}
	return &m
}

func serviceHasPlaceholder(s *Service) bool {
	for _, argv := range [][]string{s.Start, s.Stop, s.Status} {
		for _, a := range argv {
			if HasPlaceholder(a) {
				return true
			}
		}
	}
	return false
}

// Expand returns the service with the placeholders of every command
// replaced by the member's host and port.
func (s *Service) Expand(address string) *Service {
	return &Service{Start: expandArgv(s.Start, address), Stop: expandArgv(s.Stop, address), Status: expandArgv(s.Status, address)}
}

func expandArgv(argv []string, address string) []string {
	if argv == nil {
		return nil
	}
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = ExpandMember(a, address)
	}
	return out
}
