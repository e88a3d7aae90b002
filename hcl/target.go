package hcl

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/robfig/cron/v3"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/oncalendar"
	"github.com/redisplan/redisplan/internal/s3url"
	"github.com/redisplan/redisplan/internal/units"
)

// DefaultRedisVersion is the catalog used when a target declares none.
const DefaultRedisVersion = "7.0"

// loadTargets decodes one redis block into one target, or one per
// for_each key.
func (l *loader) loadTargets(b *hclv2.Block) []*model.Target {
	var rb redisBlock
	if !l.decodeBlock(b.Body, &rb) || !l.require(b.DefRange, "redis", map[string]*hclv2.Attribute{"address": rb.Address}) {
		return nil
	}
	name := b.Labels[0]
	if rb.ForEach == nil {
		t := l.decodeTarget(name, b, &rb, nil)
		if t == nil {
			return nil
		}
		return []*model.Target{t}
	}

	v, d := rb.ForEach.Expr.Value(l.evalContext(nil))
	l.diags = append(l.diags, d...)
	if d.HasErrors() {
		return nil
	}
	if v.HasMarkDeep(sensitive) {
		l.errorf(rb.ForEach.Expr.Range().Ptr(), "Sensitive value in for_each",
			"for_each keys become target names, which are shown everywhere, so they cannot come from a sensitive variable.")
		return nil
	}
	ty := v.Type()
	isStringSet := ty.IsSetType() && ty.ElementType() == cty.String
	if v.IsNull() || !(ty.IsMapType() || ty.IsObjectType() || isStringSet) {
		l.errorf(rb.ForEach.Expr.Range().Ptr(), "Invalid for_each argument",
			"The for_each value must be a map, an object or a set of strings; got %s. Use toset([...]) to turn a list of names into a set.",
			friendly(v))
		return nil
	}
	var out []*model.Target
	for it := v.ElementIterator(); it.Next(); {
		k, val := it.Element()
		key := k.AsString()
		if isStringSet {
			key = val.AsString()
		}
		each := map[string]cty.Value{"key": cty.StringVal(key), "value": val}
		if t := l.decodeTarget(addressKey(name, key), b, &rb, each); t != nil {
			out = append(out, t)
		}
	}
	return out
}

func friendly(v cty.Value) string {
	if v.IsNull() {
		return "null"
	}
	return v.Type().FriendlyName()
}

// targetDecoder collects the directives of one target and checks that no
// directive is set twice.
type targetDecoder struct {
	*evaluator
	cat *catalog.Catalog
	// declared says whether the spec sets redis_version: without it, cat
	// is only the default, and a directive it lacks but another release
	// has is left for plan to check against the server's catalog.
	declared bool
	t        *model.Target
	origin   map[string]string
	// literal says whether the value being set was written as a literal.
	literal bool
}

func posOf(r hclv2.Range) model.Pos {
	return model.Pos{Filename: r.Filename, Line: r.Start.Line, Column: r.Start.Column}
}

func (l *loader) decodeTarget(name string, b *hclv2.Block, rb *redisBlock, each map[string]cty.Value) *model.Target {
	before := len(l.diags.Errs())
	e := l.evaluator(each)
	t := &model.Target{Name: name, Pos: posOf(b.DefRange)}

	t.RedisVersion = DefaultRedisVersion
	if v, ok := e.str(rb.RedisVersion); ok {
		t.RedisVersion, t.VersionDeclared = v, true
	}
	cat, err := catalog.For(t.RedisVersion)
	if err != nil {
		l.errorf(rb.RedisVersion.Expr.Range().Ptr(), "Unsupported Redis version", "%s.", strings.TrimSuffix(err.Error(), "."))
		cat, _ = catalog.For(DefaultRedisVersion)
	}
	d := &targetDecoder{evaluator: e, cat: cat, declared: rb.RedisVersion != nil, t: t, origin: map[string]string{}}

	d.connection(rb)
	if v, ok := e.str(rb.ConfigFile); ok {
		t.ConfigFile = v
	}
	if v, ok := e.str(rb.DataDir); ok {
		t.DataDir = v
	}
	t.Ephemeral, _ = e.boolean(rb.Ephemeral)
	t.Durable, _ = e.boolean(rb.Durable)
	if rb.HostMemory != nil {
		if s, _, ok := e.directiveValue(rb.HostMemory, rb.HostMemory.Expr, "host_memory", false); ok {
			n, err := units.ParseMemory(s)
			if err != nil {
				l.errorf(rb.HostMemory.Expr.Range().Ptr(), "Invalid size", "host_memory takes a size such as \"16gb\": %s.", err)
			} else {
				t.HostMemory = n
			}
		}
	}
	t.RPO, _ = e.duration(rb.RPO)
	t.RTO, _ = e.duration(rb.RTO)
	d.service(rb.Service)
	d.persistence(rb.Persistence)
	d.memory(rb.Memory)
	d.security(rb.Security)
	d.monitoring(rb.Monitoring)
	d.settings(rb.Settings)
	d.backup(rb.Backup)
	d.alerts(rb.Alerts)
	d.cronBlocks(rb)
	d.replicas(rb)

	sort.Slice(t.Directives, func(i, j int) bool { return t.Directives[i].Name < t.Directives[j].Name })
	sort.Slice(t.Renames, func(i, j int) bool { return t.Renames[i].Command < t.Renames[j].Command })
	if len(l.diags.Errs()) > before {
		return nil
	}
	return t
}

func (d *targetDecoder) connection(rb *redisBlock) {
	c := &d.t.Connection
	var ok bool
	c.Address, ok = d.str(rb.Address)
	if !ok {
		// Reported by str, or by require.
	} else if c.Address == "" {
		d.l.errorf(rb.Address.Expr.Range().Ptr(), "Invalid address", "The address must be host:port or the path of a unix socket; it is empty.")
	} else if !strings.HasPrefix(c.Address, "/") {
		if problem := tcpAddressProblem(c.Address); problem != "" {
			d.l.errorf(rb.Address.Expr.Range().Ptr(), "Invalid address",
				"The address %q %s. Write host:port (127.0.0.1:6379), or an absolute unix socket path.", c.Address, problem)
		}
	}
	c.Username, _ = d.str(rb.Username)
	c.Password, _, _ = d.secretStr(rb.Password)
	c.PasswordLiteral = rb.Password != nil && isLiteral(rb.Password.Expr)
	if v, ok := d.integer(rb.DB, 0, 1<<31-1); ok {
		c.DB = int(v)
	}
	if v, _, ok := d.secretStr(rb.ConfigCommand); ok {
		if v == "" {
			d.l.errorf(rb.ConfigCommand.Expr.Range().Ptr(), "Invalid config_command",
				"config_command names the command CONFIG was renamed to; it cannot be empty, since a server whose CONFIG is renamed to \"\" cannot be managed live.")
		}
		c.ConfigCommand = v
	}
	c.Timeout = 5 * time.Second
	if v, ok := d.duration(rb.Timeout); ok {
		c.Timeout = v
	}
	if tb := rb.TLS; tb != nil {
		tls := &model.TLS{}
		tls.CAFile, _ = d.str(tb.CAFile)
		tls.CertFile, _ = d.str(tb.CertFile)
		tls.KeyFile, _ = d.str(tb.KeyFile)
		tls.ServerName, _ = d.str(tb.ServerName)
		tls.InsecureSkipVerify, _ = d.boolean(tb.InsecureSkipVerify)
		if (tls.CertFile == "") != (tls.KeyFile == "") {
			d.l.errorf(firstRange(tb.CertFile, tb.KeyFile), "Incomplete TLS client certificate",
				"cert_file and key_file go together: set both for a client certificate, or neither.")
		}
		c.TLS = tls
	}
}

// tcpAddressProblem says what is wrong with a host:port address, or ""
// when nothing is: a port must be a number from 1 to 65535, since a dial
// to anything else fails only at the first plan or backup.
func tcpAddressProblem(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		if !strings.Contains(addr, ":") {
			return "has no port"
		}
		return "is not host:port (an IPv6 host goes in brackets: [::1]:6379)"
	}
	if host == "" {
		return "has no host"
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return fmt.Sprintf("has the port %q, which is not a number", port)
	}
	if n < 1 || n > 65535 {
		return fmt.Sprintf("has the port %d, outside 1-65535", n)
	}
	return ""
}

func firstRange(attrs ...*hclv2.Attribute) *hclv2.Range {
	for _, a := range attrs {
		if a != nil {
			return a.Range.Ptr()
		}
	}
	return nil
}

func (d *targetDecoder) service(sb *serviceBlock) {
	if sb == nil {
		return
	}
	s := &model.Service{}
	unit, hasUnit := d.str(sb.SystemdUnit)
	container, hasContainer := d.str(sb.DockerContainer)
	switch {
	case hasUnit && hasContainer:
		d.l.errorf(sb.DockerContainer.Range.Ptr(), "Conflicting service presets",
			"A service is either a systemd unit or a docker container, not both.")
	case hasUnit:
		s.Start = []string{"systemctl", "start", unit}
		s.Stop = []string{"systemctl", "stop", unit}
		s.Status = []string{"systemctl", "is-active", "--quiet", unit}
	case hasContainer:
		s.Start = []string{"docker", "start", container}
		s.Stop = []string{"docker", "stop", container}
		s.Status = []string{"docker", "inspect", "--format", "{{.State.Running}}", container}
	}
	for _, f := range []struct {
		attr *hclv2.Attribute
		dst  *[]string
	}{{sb.Start, &s.Start}, {sb.Stop, &s.Stop}, {sb.Status, &s.Status}} {
		if argv, ok := d.strList(f.attr); ok {
			if len(argv) == 0 || argv[0] == "" {
				d.l.errorf(f.attr.Expr.Range().Ptr(), "Empty command",
					"%s takes an argv list such as [\"systemctl\", \"start\", \"redis-server\"]; it is empty.", f.attr.Name)
				continue
			}
			*f.dst = argv
		}
	}
	d.t.Service = s
}

// set records a directive after normalizing it through the catalog.
// isLiteral reports whether an expression is written out in the spec: no
// variable, local or function call feeds it.
func isLiteral(expr hclv2.Expression) bool {
	if len(expr.Variables()) > 0 {
		return false
	}
	_, isCall := expr.(*hclsyntax.FunctionCallExpr)
	return !isCall
}

// lookup finds a directive in the target's catalog. When the spec sets no
// redis_version and the default catalog lacks the directive, it looks in
// the oldest catalog that has it, and other says so: the value is typed by
// that release, and plan checks the directive against the server's own.
func (d *targetDecoder) lookup(name string) (p *catalog.Param, other *catalog.Catalog, ok bool) {
	if p, ok := d.cat.Lookup(name); ok {
		return p, nil, true
	}
	if d.declared {
		return nil, nil, false
	}
	if c := catalog.Knowing(name); c != nil {
		p, ok := c.Lookup(name)
		return p, c, ok
	}
	return nil, nil, false
}

// suggestElsewhere names a close directive of another release when the
// spec sets no redis_version and the default catalog has none to suggest:
// such a directive is one plan may accept on the server.
func (d *targetDecoder) suggestElsewhere(name string) string {
	if d.declared || d.cat.Suggest(name) != "" {
		return ""
	}
	for _, v := range catalog.Versions() {
		c, err := catalog.For(v)
		if err != nil {
			continue
		}
		if s := c.Suggest(name); s != "" {
			return fmt.Sprintf(" Did you mean %q (%s)?", s, catalog.Have(s))
		}
	}
	return ""
}

func (d *targetDecoder) set(name, origin string, rng hclv2.Range, raw string, secret bool) {
	p, other, ok := d.lookup(name)
	if !ok {
		d.l.errorf(&rng, "Unknown directive", "%s%s", catalog.Absent(d.cat, name), d.suggestElsewhere(name))
		return
	}
	if other != nil {
		d.l.diags = append(d.l.diags, &hclv2.Diagnostic{
			Severity: hclv2.DiagWarning,
			Summary:  "Directive not in the default catalog",
			Detail: fmt.Sprintf("%s, the catalog used when the spec sets no redis_version, has no configuration directive named %q; %s. "+
				"plan and apply check it against the catalog of the release the server reports, and stop this target if that release does not have it. Set redis_version to check it here.",
				d.cat.Label(), name, catalog.Have(name)),
			Subject: &rng,
		})
	}
	switch p.Mode() {
	case model.FileOnly:
		d.l.errorf(&rng, "Unsupported directive",
			"%q is a file-only directive that redisplan does not manage through settings. Use security.renamed_commands and security.disabled_commands for rename-command.", p.Name)
		return
	}
	if prev, dup := d.origin[p.Name]; dup {
		d.l.errorf(&rng, "Conflicting settings",
			"The directive %q is set both by %s and by %s. Set it in one place only.", p.Name, prev, origin)
		return
	}
	norm, err := p.NormalizeDesired(raw)
	if err != nil {
		msg := err.Error()
		if secret || p.Sensitive() {
			msg = "the value is not valid (not shown: it is sensitive)"
		}
		d.l.errorf(&rng, "Invalid value", "Invalid value for %q (set by %s): %s.", p.Name, origin, strings.TrimSuffix(msg, "."))
		return
	}
	d.origin[p.Name] = fmt.Sprintf("%s (%s)", origin, posOf(rng))
	d.t.Directives = append(d.t.Directives, model.Directive{
		Name: p.Name, Value: norm, Sensitive: secret || p.Sensitive(), Origin: origin, Pos: posOf(rng),
		Literal: d.literal,
	})
}

// attr sets a directive from a modelled attribute, which may be a bool, a
// number or a string.
func (d *targetDecoder) attr(directive, origin string, a *hclv2.Attribute) {
	if a == nil {
		return
	}
	s, secret, ok := d.directiveValue(a, a.Expr, directive, false)
	if !ok {
		return
	}
	d.literal = isLiteral(a.Expr)
	d.set(directive, origin, a.Expr.Range(), s, secret)
}

// directives sets the directive of every attribute of block (a pointer
// to one of the schema's structs) whose field has a `directive` tag, in
// field order. Each attribute's origin is the block's place in the spec,
// such as "persistence.aof", and the attribute's name.
func (d *targetDecoder) directives(origin string, block any) {
	v := reflect.ValueOf(block).Elem()
	for i := range v.NumField() {
		f := v.Type().Field(i)
		directive := f.Tag.Get("directive")
		if directive == "" {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("hcl"), ",")
		d.attr(directive, origin+"."+name, v.Field(i).Interface().(*hclv2.Attribute))
	}
}

func (d *targetDecoder) persistence(pb *persistenceBlock) {
	if pb == nil {
		return
	}
	if pb.AOF != nil {
		d.directives("persistence.aof", pb.AOF)
	}
	if r := pb.RDB; r != nil {
		d.snapshots(r)
		d.directives("persistence.rdb", r)
	}
}

// snapshots turns snapshot blocks into the save directive; an rdb block
// without snapshots means save "" (no automatic snapshots).
func (d *targetDecoder) snapshots(r *rdbBlock) {
	var pairs []string
	rng := hclv2.Range{}
	ok := true
	for i, s := range r.Snapshots {
		if !d.l.require(s.DefRange, "snapshot", map[string]*hclv2.Attribute{"after": s.After, "changes": s.Changes}) {
			ok = false
			continue
		}
		after, okA := d.duration(s.After)
		changes, okC := d.integer(s.Changes, 0, 1<<31-1)
		if i == 0 {
			rng = s.After.Range
		}
		if !okA || !okC {
			ok = false
			continue
		}
		if after < time.Second || after%time.Second != 0 {
			d.l.errorf(s.After.Expr.Range().Ptr(), "Invalid snapshot interval",
				"Redis counts snapshot intervals in whole seconds, at least 1s; got %s.", after)
			ok = false
			continue
		}
		pairs = append(pairs, fmt.Sprintf("%d %d", int64(after/time.Second), changes))
	}
	if !ok {
		return
	}
	if len(r.Snapshots) == 0 {
		if r.Compression != nil {
			rng = r.Compression.Range
		}
	}
	d.set("save", "persistence.rdb.snapshot", rng, strings.Join(pairs, " "), false)
}

func (d *targetDecoder) memory(mb *memoryBlock) {
	if mb == nil {
		return
	}
	d.directives("memory", mb)
	if mb.Lazyfree != nil {
		d.directives("memory.lazyfree", mb.Lazyfree)
	}
}

func (d *targetDecoder) security(sb *securityBlock) {
	if sb == nil {
		return
	}
	d.directives("security", sb)
	if sb.Requirepass != nil {
		if s, secret, ok := d.directiveValue(sb.Requirepass, sb.Requirepass.Expr, "requirepass", true); ok {
			d.literal = isLiteral(sb.Requirepass.Expr)
			d.set("requirepass", "security.requirepass", sb.Requirepass.Expr.Range(), s, secret)
		}
	}

	seen := map[string]string{}
	addRename := func(cmd, newName string, secret bool, origin string, rng hclv2.Range) {
		cmd = strings.ToUpper(strings.TrimSpace(cmd))
		if cmd == "" || strings.ContainsAny(cmd, " \t\"'") {
			d.l.errorf(&rng, "Invalid command name", "%q is not a Redis command name.", cmd)
			return
		}
		if prev, dup := seen[cmd]; dup {
			d.l.errorf(&rng, "Conflicting settings",
				"The command %s is renamed or disabled both by %s and by %s. Name it in one place only.", cmd, prev, origin)
			return
		}
		if strings.ContainsAny(newName, " \t\r\n\"'\\") {
			d.l.errorf(&rng, "Invalid command name", "The new name of %s must be a single word without quotes or spaces.", cmd)
			return
		}
		seen[cmd] = origin
		// The name CONFIG is given is a secret even when written
		// literally: hiding CONFIG is what renaming it is for.
		if cmd == "CONFIG" && newName != "" {
			secret = true
		}
		d.t.Renames = append(d.t.Renames, model.Rename{Command: cmd, NewName: newName, Sensitive: secret, Origin: origin, Pos: posOf(rng)})
	}
	if cmds, ok := d.strList(sb.DisabledCommands); ok {
		for _, c := range cmds {
			addRename(c, "", false, "security.disabled_commands", sb.DisabledCommands.Expr.Range())
		}
	}
	if a := sb.RenamedCommands; a != nil {
		// Entry by entry, so that only the renames that come from a
		// sensitive variable are hidden.
		pairs, diags := hclv2.ExprMap(a.Expr)
		if diags.HasErrors() {
			d.l.errorf(a.Expr.Range().Ptr(), "Invalid renamed_commands",
				"renamed_commands takes a map literal of command names to new names, such as { SHUTDOWN = \"SHUTDOWN_X\" }.")
			return
		}
		for _, kv := range pairs {
			k, kd := kv.Key.Value(d.ctx)
			v, vd := kv.Value.Value(d.ctx)
			d.l.diags = append(d.l.diags, kd...)
			d.l.diags = append(d.l.diags, vd...)
			if kd.HasErrors() || vd.HasErrors() || !k.IsWhollyKnown() || !v.IsWhollyKnown() {
				continue
			}
			if k.HasMarkDeep(sensitive) {
				d.l.errorf(kv.Key.Range().Ptr(), "Sensitive value in a non-sensitive place", "The command being renamed is shown in plans; only its new name may be secret.")
				continue
			}
			secret := v.HasMarkDeep(sensitive)
			k, v = unmarked(k), unmarked(v)
			if k.Type() != cty.String || v.Type() != cty.String || k.IsNull() || v.IsNull() {
				d.l.errorf(hclv2.RangeBetween(kv.Key.Range(), kv.Value.Range()).Ptr(), "Incorrect attribute value type",
					"renamed_commands maps a command name to its new name, both strings.")
				continue
			}
			cmd := strings.ToUpper(k.AsString())
			addRename(cmd, v.AsString(), secret, fmt.Sprintf("security.renamed_commands[%q]", cmd), hclv2.RangeBetween(kv.Key.Range(), kv.Value.Range()))
		}
	}
}

func (d *targetDecoder) monitoring(mb *monitoringBlock) {
	if mb == nil {
		return
	}
	d.thresholdDirective("slowlog-log-slower-than", "monitoring.slowlog_threshold", mb.SlowlogThreshold, time.Microsecond)
	d.attr("slowlog-max-len", "monitoring.slowlog_max_len", mb.SlowlogMaxLen)
	d.thresholdDirective("latency-monitor-threshold", "monitoring.latency_threshold", mb.LatencyThreshold, time.Millisecond)
	d.attr("notify-keyspace-events", "monitoring.keyspace_events", mb.KeyspaceEvents)
}

// thresholdDirective accepts a number in Redis's own unit, or a duration
// string ("10ms") converted to it.
func (d *targetDecoder) thresholdDirective(directive, origin string, a *hclv2.Attribute, unit time.Duration) {
	if a == nil {
		return
	}
	v, _, ok := d.value(a, cty.DynamicPseudoType, false)
	if !ok {
		return
	}
	if v.Type() == cty.String {
		dur, err := units.ParseDuration(v.AsString())
		if err != nil {
			d.l.errorf(a.Expr.Range().Ptr(), "Invalid duration", "The argument %q takes a duration or a number of %s: %s.", a.Name, unitName(unit), err)
			return
		}
		if dur%unit != 0 {
			d.l.errorf(a.Expr.Range().Ptr(), "Invalid duration", "Redis counts %s in whole %s; %s is not.", directive, unitName(unit), dur)
			return
		}
		d.set(directive, origin, a.Expr.Range(), fmt.Sprint(int64(dur/unit)), false)
		return
	}
	d.attr(directive, origin, a)
}

func unitName(u time.Duration) string {
	if u == time.Microsecond {
		return "microseconds"
	}
	return "milliseconds"
}

func (d *targetDecoder) settings(a *hclv2.Attribute) {
	if a == nil {
		return
	}
	pairs, diags := hclv2.ExprMap(a.Expr)
	if diags.HasErrors() {
		d.l.errorf(a.Expr.Range().Ptr(), "Invalid settings", "settings takes a map of directive names to values, such as { \"hz\" = 50 }.")
		return
	}
	for _, kv := range pairs {
		kval, kd := kv.Key.Value(d.ctx)
		d.l.diags = append(d.l.diags, kd...)
		if kd.HasErrors() {
			continue
		}
		kval = unmarked(kval)
		if kval.Type() != cty.String || kval.IsNull() {
			d.l.errorf(kv.Key.Range().Ptr(), "Invalid directive name", "Directive names in settings are strings.")
			continue
		}
		name := strings.ToLower(kval.AsString())
		origin := fmt.Sprintf("settings[%q]", name)
		p, _, known := d.lookup(name)
		secretOK := known && p.Sensitive()
		s, secret, ok := d.directiveValue(a, kv.Value, name, secretOK)
		if !ok {
			continue
		}
		rng := hclv2.RangeBetween(kv.Key.Range(), kv.Value.Range())
		d.literal = isLiteral(kv.Value)
		if !known {
			d.set(name, origin, kv.Key.Range(), s, secret)
			continue
		}
		d.set(name, origin, rng, s, secret)
	}
}

func (d *targetDecoder) validSchedule(a *hclv2.Attribute) (string, bool) {
	s, ok := d.str(a)
	if !ok {
		return "", false
	}
	// robfig/cron (which check and Kubernetes use) reads days of the
	// week 0-6 only; Vixie cron and crontab(5) take 7 for Sunday too.
	s = oncalendar.SundayAsZero(s)
	if _, err := cron.ParseStandard(s); err != nil {
		d.l.errorf(a.Expr.Range().Ptr(), "Invalid schedule",
			"%q is not a cron schedule: %s. Use five fields (minute hour day-of-month month day-of-week), such as \"0 3 * * *\", or a macro such as \"@daily\".", s, err)
		return "", false
	}
	return s, true
}

func (d *targetDecoder) backup(bb *backupBlock) {
	if bb == nil {
		return
	}
	d.l.require(bb.DefRange, "backup", map[string]*hclv2.Attribute{"destination": bb.Destination})
	b := &model.Backup{Method: "bgsave", Include: []string{"rdb"}, Compression: "zstd", Pos: posOf(bb.DefRange)}
	b.Schedule, _ = d.validSchedule(bb.Schedule)
	b.Destination, _ = d.str(bb.Destination)
	if bb.Destination != nil && b.Destination == "" {
		d.l.errorf(bb.Destination.Expr.Range().Ptr(), "Invalid destination", "The backup destination is empty; give a directory path or an s3://bucket/prefix URL.")
	} else if b.Destination != "" {
		d.checkDestination(bb.Destination, b.Destination)
	}
	if dests, ok := d.strList(bb.CopyTo); ok {
		seen := map[string]bool{strings.TrimRight(b.Destination, "/"): true}
		for _, dest := range dests {
			switch key := strings.TrimRight(dest, "/"); {
			case dest == "":
				d.l.errorf(bb.CopyTo.Expr.Range().Ptr(), "Invalid destination", "A copy_to destination is empty; give a directory path or an s3://bucket/prefix URL.")
				continue
			case seen[key]:
				d.l.errorf(bb.CopyTo.Expr.Range().Ptr(), "Duplicate destination", "%q appears twice among destination and copy_to: a copy must go somewhere else.", dest)
				continue
			default:
				seen[key] = true
			}
			if d.checkDestination(bb.CopyTo, dest) {
				b.CopyTo = append(b.CopyTo, dest)
			}
		}
	}
	d.s3(bb, b)
	b.Archive = d.archive(bb.Archive)
	b.ID = d.backupID(bb)
	if paths, ok := d.strList(bb.PreviousSpecs); ok {
		for _, p := range paths {
			if !filepath.IsAbs(p) {
				d.l.errorf(bb.PreviousSpecs.Expr.Range().Ptr(), "Invalid previous spec",
					"previous_specs lists the absolute paths of the spec files this target was declared in before, as backup list shows them; got %q.", p)
				continue
			}
			b.PreviousSpecs = append(b.PreviousSpecs, filepath.Clean(p))
		}
	}
	if v, ok := d.boolean(bb.RequireDest); ok {
		b.RequireDestination = v
	}
	if v, ok := d.enum(bb.Method, "bgsave", "replication"); ok {
		b.Method = v
	}
	// A replica in sync when the target has one, else the primary: a
	// target without replicas backs up as it always did, and a group
	// spares its primary the fork.
	b.From = model.FromAny
	if v, ok := d.enum(bb.From, model.FromPrimary, model.FromReplica, model.FromAny); ok {
		b.From = v
	}
	if v, ok := d.enum(bb.Compression, "zstd", "gzip", "none"); ok {
		b.Compression = v
	}
	if inc, ok := d.strList(bb.Include); ok {
		b.Include = nil
		for _, s := range inc {
			if s != "rdb" && s != "aof" {
				d.l.errorf(bb.Include.Expr.Range().Ptr(), "Invalid value", "include lists what to back up: \"rdb\" and/or \"aof\"; got %q.", s)
				continue
			}
			b.Include = append(b.Include, s)
		}
		if len(b.Include) == 0 && len(inc) == 0 {
			d.l.errorf(bb.Include.Expr.Range().Ptr(), "Invalid value", "include is empty: a backup must hold \"rdb\", \"aof\" or both.")
		}
	}
	if rs, ok := d.strList(bb.Recipients); ok {
		for _, r := range rs {
			if !strings.HasPrefix(r, "age1") {
				d.l.errorf(bb.Recipients.Expr.Range().Ptr(), "Invalid recipient", "Backup recipients are age public keys (age1...); %q is not one.", r)
			}
		}
		b.Recipients = rs
		if len(rs) > 0 && bb.Archive != nil {
			// Segments are compressed and checksummed, not encrypted:
			// the archiver refuses to start, so say it at load.
			d.l.errorf(bb.Archive.DefRange.Ptr(), "Archive with encrypted backups",
				"The archive does not encrypt its segments, and this target encrypts its backups (recipients, line %d): every archived write would be stored in the clear beside them. "+
					"Remove the archive block, or remove recipients and protect the destination otherwise (an S3 bucket with sse, an encrypted disk).",
				bb.Recipients.Range.Start.Line)
		}
	}
	if rb := bb.Retention; rb != nil {
		r := &b.Retention
		r.MaxAge, _ = d.duration(rb.MaxAge)
		for _, f := range []struct {
			a   *hclv2.Attribute
			dst *int
		}{{rb.KeepLast, &r.KeepLast}, {rb.KeepDaily, &r.KeepDaily}, {rb.KeepWeekly, &r.KeepWeekly}, {rb.KeepMonthly, &r.KeepMonthly}, {rb.KeepMin, &r.KeepMin}} {
			if v, ok := d.integer(f.a, 0, 1<<20); ok {
				*f.dst = int(v)
			}
		}
	}
	d.t.Backup = b
}

// archive decodes backup { archive { flush = "1s" } }.
func (d *targetDecoder) archive(ab *archiveBlock) *model.Archive {
	if ab == nil {
		return nil
	}
	a := &model.Archive{Flush: model.DefaultArchiveFlush, Pos: posOf(ab.DefRange)}
	if v, ok := d.duration(ab.Flush); ok {
		switch {
		case v < model.MinArchiveFlush:
			d.l.errorf(ab.Flush.Expr.Range().Ptr(), "Flush too short",
				"flush is %s; it must be at least %s: each flush commits one object to the destination, so a shorter one makes more objects than a store lists and prunes in reasonable time, for no gain an S3 write could deliver.",
				units.FormatDuration(v), units.FormatDuration(model.MinArchiveFlush))
		case v > model.MaxArchiveFlush:
			d.l.errorf(ab.Flush.Expr.Range().Ptr(), "Flush too long",
				"flush is %s; it must be at most %s: flush is how much acknowledged writing a lost host can take with it, and beyond a minute a frequent backup does as well.",
				units.FormatDuration(v), units.FormatDuration(model.MaxArchiveFlush))
		default:
			a.Flush = v
		}
	}
	return a
}

// checkDestination reports whether dest is a directory path or a valid
// s3:// URL, and says what is wrong otherwise.
func (d *targetDecoder) checkDestination(a *hclv2.Attribute, dest string) bool {
	switch {
	case s3url.Is(dest):
		if _, _, err := s3url.Parse(dest); err != nil {
			d.l.errorf(a.Expr.Range().Ptr(), "Invalid destination", "%q is not a valid S3 destination: %s. Write s3://bucket/prefix.", dest, err)
			return false
		}
	case strings.Contains(dest, "://"):
		d.l.errorf(a.Expr.Range().Ptr(), "Unsupported destination", "%q: backups go to a directory path or to s3://bucket/prefix (any S3-compatible store, with an s3 block for its endpoint).", dest)
		return false
	}
	return true
}

// s3 reads the s3 block: how to reach the s3:// destinations.
func (d *targetDecoder) s3(bb *backupBlock, b *model.Backup) {
	sb := bb.S3
	if sb == nil {
		return
	}
	usesS3 := s3url.Is(b.Destination)
	for _, c := range b.CopyTo {
		usesS3 = usesS3 || s3url.Is(c)
	}
	if !usesS3 && b.Destination != "" {
		d.l.errorf(sb.DefRange.Ptr(), "Unused s3 block", "The s3 block says how to reach s3:// destinations, and neither destination nor copy_to names one.")
	}
	s := &model.S3{}
	s.Endpoint, _ = d.str(sb.Endpoint)
	if _, _, err := s3url.ParseEndpoint(s.Endpoint); err != nil {
		d.l.errorf(sb.Endpoint.Expr.Range().Ptr(), "Invalid endpoint", "The endpoint is host[:port] (HTTPS) or a URL with http:// or https://, a host and a port only: %v.", err)
	}
	s.Region, _ = d.str(sb.Region)
	s.AccessKey, _, _ = d.secretStr(sb.AccessKey)
	s.SecretKey, _, _ = d.secretStr(sb.SecretKey)
	if sb.SecretKey != nil {
		s.SecretKeyLiteral = isLiteral(sb.SecretKey.Expr)
		s.SecretKeyPos = posOf(sb.SecretKey.Expr.Range())
	}
	if (sb.AccessKey == nil) != (sb.SecretKey == nil) {
		rng := sb.DefRange
		if sb.AccessKey != nil {
			rng = sb.AccessKey.Range
		} else if sb.SecretKey != nil {
			rng = sb.SecretKey.Range
		}
		d.l.errorf(rng.Ptr(), "Incomplete S3 credentials", "Set both access_key and secret_key, or neither to take them from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or ~/.aws/credentials.")
	}
	if v, ok := d.boolean(sb.PathStyle); ok {
		s.PathStyle = v
	}
	if v, ok := d.enum(sb.SSE, "AES256", "aws:kms"); ok {
		s.SSE = v
	}
	b.S3 = s
}

// thresholdKind says how a threshold's levels are read.
type thresholdKind int

const (
	levelNumber   thresholdKind = iota // a plain number
	levelPercent                       // a number from 0 to 100
	levelDuration                      // a duration string, stored in seconds
)

func (d *targetDecoder) alerts(ab *alertsBlock) {
	if ab == nil {
		return
	}
	a := &model.Alerts{Pos: posOf(ab.DefRange), RepeatInterval: 4 * time.Hour}
	a.Schedule, _ = d.validSchedule(ab.Schedule)
	if v, ok := d.duration(ab.Repeat); ok {
		a.RepeatInterval = v
	}
	if ab.Webhook != nil {
		if u, _, ok := d.secretStr(ab.Webhook); ok {
			d.checkURL(ab.Webhook, u)
			a.Notify = append(a.Notify, model.Notify{Webhook: u, Format: "json"})
		}
	}
	for _, nb := range ab.Notify {
		a.Notify = append(a.Notify, d.notify(nb)...)
	}
	for _, th := range []struct {
		name string
		b    *thresholdBlock
		kind thresholdKind
	}{
		{"memory_used_percent", ab.MemoryUsedPercent, levelPercent},
		{"fragmentation_ratio", ab.FragmentationRatio, levelNumber},
		{"backup_age", ab.BackupAge, levelDuration},
		{"last_save_age", ab.LastSaveAge, levelDuration},
		{"bgsave_duration", ab.BgsaveDuration, levelDuration},
		{"evicted_keys", ab.EvictedKeys, levelNumber},
		{"rejected_connections", ab.RejectedConnections, levelNumber},
		{"connected_clients", ab.ConnectedClients, levelNumber},
		{"connected_clients_percent", ab.ConnectedClientsPercent, levelPercent},
		{"blocked_clients", ab.BlockedClients, levelNumber},
		{"replication_lag", ab.ReplicationLag, levelDuration},
		{"archive_lag", ab.ArchiveLag, levelDuration},
	} {
		if th.b == nil {
			continue
		}
		t := model.Threshold{Check: th.name, Pos: posOf(th.b.DefRange)}
		t.Warning = d.level(th.b.Warning, th.kind)
		t.Critical = d.level(th.b.Critical, th.kind)
		if th.b.Warning == nil && th.b.Critical == nil {
			d.l.errorf(th.b.DefRange.Ptr(), "Empty threshold", "The %s block sets neither warning nor critical.", th.name)
		}
		if t.Warning != nil && t.Critical != nil && *t.Warning > *t.Critical && th.name != "fragmentation_ratio" {
			d.l.errorf(th.b.Warning.Expr.Range().Ptr(), "Warning above critical",
				"The %s warning level (%g) is above its critical level (%g), so the warning could never fire first.", th.name, *t.Warning, *t.Critical)
		}
		a.Thresholds = append(a.Thresholds, t)
	}
	for _, st := range []struct {
		name string
		b    *statusBlock
	}{
		{"rdb_save_failed", ab.RDBSaveFailed},
		{"aof_rewrite_failed", ab.AOFRewriteFailed},
		{"aof_write_failed", ab.AOFWriteFailed},
		{"backup_unloadable", ab.BackupUnloadable},
		{"archive_gap", ab.ArchiveGap},
	} {
		if st.b == nil {
			continue
		}
		if !d.l.require(st.b.DefRange, st.name, map[string]*hclv2.Attribute{"severity": st.b.Severity}) {
			continue
		}
		sev, ok := d.enum(st.b.Severity, "warning", "critical")
		if !ok {
			continue
		}
		a.Thresholds = append(a.Thresholds, model.Threshold{Check: st.name, Severity: sev, Pos: posOf(st.b.DefRange)})
	}
	d.t.Alerts = a
}

// notify decodes one notify block: a webhook, or one destination per
// Alertmanager URL.
func (d *targetDecoder) notify(nb *notifyBlock) []model.Notify {
	var headers map[string]string
	if nb.Headers != nil {
		if v, _, ok := d.value(nb.Headers, cty.Map(cty.String), true); ok {
			headers = map[string]string{}
			for k, hv := range v.AsValueMap() {
				headers[k] = hv.AsString()
			}
		}
	}
	switch {
	case nb.Webhook != nil && nb.Alertmanager != nil:
		d.l.errorf(nb.Alertmanager.Range.Ptr(), "Conflicting notify destinations",
			"A notify block posts to a webhook or to Alertmanager, not both: move alertmanager to a notify block of its own.")
		return nil
	case nb.Alertmanager != nil:
		if nb.Format != nil {
			d.l.errorf(nb.Format.Range.Ptr(), "Format with alertmanager",
				"Alertmanager's API takes one body, so a notify block with alertmanager has no format. To post Alertmanager's webhook body to a receiver, use webhook with format = \"alertmanager-webhook\".")
		}
		var gen string
		if g, ok := d.str(nb.GeneratorURL); ok {
			if u, err := url.Parse(g); err != nil || !u.IsAbs() {
				d.l.errorf(nb.GeneratorURL.Expr.Range().Ptr(), "Invalid generator URL",
					"generator_url is an absolute URL (a runbook or a dashboard), such as \"https://grafana.example.com/d/redis\".")
			}
			gen = g
		}
		var out []model.Notify
		for _, u := range d.alertmanagerURLs(nb.Alertmanager) {
			out = append(out, model.Notify{Webhook: u, Format: model.FormatAlertmanagerAPI, Headers: headers, GeneratorURL: gen})
		}
		return out
	case nb.Webhook == nil:
		d.l.errorf(nb.DefRange.Ptr(), "Missing notify destination",
			"A notify block needs webhook = \"https://...\" or alertmanager = [\"http://alertmanager:9093\"].")
		return nil
	}
	if nb.GeneratorURL != nil {
		d.l.errorf(nb.GeneratorURL.Range.Ptr(), "generator_url without alertmanager",
			"generator_url sets the source link of alerts posted to Alertmanager's API: it goes in a notify block with alertmanager.")
	}
	n := model.Notify{Format: model.FormatJSON, Headers: headers}
	if u, _, ok := d.secretStr(nb.Webhook); ok {
		d.checkURL(nb.Webhook, u)
		n.Webhook = u
	}
	if f, ok := d.enum(nb.Format, model.FormatJSON, model.FormatAlertmanagerWebhook, model.FormatSlack, "alertmanager"); ok {
		n.Format = f
		if f == "alertmanager" {
			n.Format = model.FormatAlertmanagerWebhook
			d.l.diags = append(d.l.diags, &hclv2.Diagnostic{
				Severity: hclv2.DiagWarning,
				Summary:  "Deprecated notify format",
				Detail: "format = \"alertmanager\" posts the body Alertmanager sends to its webhook receivers, and is now called \"alertmanager-webhook\". " +
					"To send alerts to Alertmanager itself, use alertmanager = [\"http://alertmanager:9093\"] instead of webhook.",
				Subject: nb.Format.Expr.Range().Ptr(),
			})
		}
	}
	return []model.Notify{n}
}

// alertmanagerURLs reads alertmanager = "URL" or a list of URLs, each
// Alertmanager's base URL (with its route prefix, if any), and returns
// the alerts endpoint of each: <base>/api/v2/alerts.
func (d *targetDecoder) alertmanagerURLs(a *hclv2.Attribute) []string {
	v, _, ok := d.value(a, cty.DynamicPseudoType, true)
	if !ok {
		return nil
	}
	var raw []string
	switch {
	case v.Type() == cty.String:
		raw = []string{v.AsString()}
	case v.Type().IsTupleType() || v.Type().IsListType():
		lv, err := convert.Convert(v, cty.List(cty.String))
		if err != nil || lv.IsNull() {
			d.l.errorf(a.Expr.Range().Ptr(), "Invalid alertmanager URLs", "alertmanager takes a URL or a list of URLs, such as [\"http://am-0:9093\", \"http://am-1:9093\"].")
			return nil
		}
		for _, el := range lv.AsValueSlice() {
			if el.IsNull() {
				d.l.errorf(a.Expr.Range().Ptr(), "Invalid list element", "The list %q must not hold null values.", a.Name)
				return nil
			}
			raw = append(raw, el.AsString())
		}
	default:
		d.l.errorf(a.Expr.Range().Ptr(), "Invalid alertmanager URLs", "alertmanager takes a URL or a list of URLs, such as [\"http://am-0:9093\", \"http://am-1:9093\"].")
		return nil
	}
	if len(raw) == 0 {
		d.l.errorf(a.Expr.Range().Ptr(), "No alertmanager URL", "alertmanager lists no URL: give one, or remove the notify block.")
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, r := range raw {
		u, err := url.Parse(r)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			// The URL may hold a password: never quote it.
			d.l.errorf(a.Expr.Range().Ptr(), "Invalid alertmanager URL",
				"An alertmanager URL is Alertmanager's http:// or https:// base URL, such as \"http://alertmanager:9093\" (with its route prefix if it has one), without a query or fragment.")
			continue
		}
		if !strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), "/api/v2/alerts") {
			u = u.JoinPath("api", "v2", "alerts")
		}
		if seen[u.String()] {
			d.l.errorf(a.Expr.Range().Ptr(), "Duplicate alertmanager URL", "An Alertmanager is listed twice; each would receive every alert twice.")
			continue
		}
		seen[u.String()] = true
		out = append(out, u.String())
	}
	return out
}

func (d *targetDecoder) checkURL(a *hclv2.Attribute, u string) {
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		d.l.errorf(a.Expr.Range().Ptr(), "Invalid webhook URL", "A webhook is an http:// or https:// URL.")
	}
}

func (d *targetDecoder) level(a *hclv2.Attribute, kind thresholdKind) *float64 {
	if a == nil {
		return nil
	}
	var f float64
	switch kind {
	case levelDuration:
		dur, ok := d.duration(a)
		if !ok {
			return nil
		}
		f = dur.Seconds()
	default:
		v, _, ok := d.value(a, cty.Number, false)
		if !ok {
			return nil
		}
		f, _ = v.AsBigFloat().Float64()
		if f < 0 || (kind == levelPercent && f > 100) {
			max := "any positive number"
			if kind == levelPercent {
				max = "100"
			}
			d.l.errorf(a.Expr.Range().Ptr(), "Value out of range", "The %s level must be between 0 and %s; got %g.", a.Name, max, f)
			return nil
		}
	}
	return &f
}

// cronBlocks decodes every cron block of a target: at most one crontab
// (the default kind) and any number of systemd and kubernetes directories,
// each directory used by one block only.
func (d *targetDecoder) cronBlocks(rb *redisBlock) {
	var crontab *cronBlock
	dirs := map[string]hclv2.Range{}
	for _, cb := range rb.Cron {
		kind := "crontab"
		if cb.Kind != nil {
			k, ok := d.enum(cb.Kind, "crontab", "systemd", "kubernetes")
			if !ok {
				continue
			}
			kind = k
		}
		d.onlyFor(cb, kind)
		id := d.cronID(cb, kind)
		if kind == "crontab" {
			if crontab != nil {
				d.l.errorf(cb.DefRange.Ptr(), "Duplicate crontab block",
					"A target has one crontab block; the other is at %s. Put both schedules' lines in one place, or use kind = \"systemd\" or \"kubernetes\" for the second.", crontab.DefRange)
				continue
			}
			crontab = cb
			d.crontab(cb, id)
			continue
		}
		if !d.l.require(cb.DefRange, "cron", map[string]*hclv2.Attribute{"dir": cb.Dir}) {
			continue
		}
		dir, ok := d.str(cb.Dir)
		if !ok {
			continue
		}
		if !strings.HasPrefix(dir, "/") {
			d.l.errorf(cb.Dir.Expr.Range().Ptr(), "Relative path", "dir must be an absolute path, so that plan and apply find the same files from anywhere; got %q.", dir)
			continue
		}
		dir = filepath.Clean(dir)
		if prev, dup := dirs[dir]; dup {
			d.l.errorf(cb.Dir.Expr.Range().Ptr(), "Duplicate schedule directory",
				"The cron block at %s writes to %s already; one directory holds the files of one block.", prev, dir)
			continue
		}
		dirs[dir] = cb.DefRange
		switch kind {
		case "systemd":
			d.systemdTimers(rb, cb, dir, id)
		case "kubernetes":
			d.kubeCronJobs(cb, dir, id)
		}
	}
}

// cronArgs says which cron block arguments each kind takes.
var cronArgs = map[string][]string{
	"crontab": {"id", "file", "user", "run_as", "binary", "log", "mail_to"},
	"systemd": {"id", "dir", "run_as", "binary", "randomized_delay"},
	"kubernetes": {"id", "dir", "namespace", "image", "config_map", "secret", "time_zone", "starting_deadline",
		"image_pull_policy", "service_account", "volume_claim", "env_from_secrets", "resources", "security_context"},
}

// cronIDPattern is what a cron block id may be: it names crontab markers,
// file names and Kubernetes objects, so lower-case letters, digits and
// '-', starting and ending with a letter or digit, at most 30 characters
// (the part of a CronJob name that stands for the target).
var cronIDPattern = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,28}[a-z0-9])?$`)

// cronID decodes the id of a cron block, "" when it has none. An id is
// used by one block of each kind in the spec: two blocks with one id
// would own each other's lines or files.
func (d *targetDecoder) cronID(cb *cronBlock, kind string) string {
	return d.uniqueID(cb.ID, kind, "cron",
		"names this block's crontab lines or files in place of the target",
		"The "+kind+" cron block at %s has id %q already; each block needs an id of its own")
}

// backupID decodes the id of a backup block, "" when it has none. It
// takes the form of a cron block's id, and one id is used by one target
// of the spec: two targets with one id would own each other's backups.
func (d *targetDecoder) backupID(bb *backupBlock) string {
	return d.uniqueID(bb.ID, "backup", "backup",
		"records who this target's backups belong to in place of the spec's path and the target",
		"The backup block at %s has id %q already; each target's backups need an id of their own")
}

// uniqueID decodes an id attribute, "" when it is absent or wrong: it has
// the form cronIDPattern says, and no other block of the spec uses it
// under key. what names the block in the summaries ("Invalid cron id"),
// use says what the id does, and duplicate is the detail for an id in
// use, taking where the other block is and the id.
func (d *targetDecoder) uniqueID(attr *hclv2.Attribute, key, what, use, duplicate string) string {
	id, ok := d.str(attr)
	if !ok {
		return ""
	}
	if !cronIDPattern.MatchString(id) {
		d.l.errorf(attr.Expr.Range().Ptr(), "Invalid "+what+" id",
			"id "+use+": use lower-case letters, digits and '-', starting and ending with a letter or digit, at most 30 characters, such as \"orders-main\"; got %q.", id)
		return ""
	}
	k := [2]string{key, id}
	if prev, dup := d.l.cronIDs[k]; dup {
		d.l.errorf(attr.Expr.Range().Ptr(), "Duplicate "+what+" id",
			duplicate+" (in a for_each target, build it from each.key, such as \"orders-${each.key}\").", prev, id)
		return ""
	}
	if d.l.cronIDs == nil {
		d.l.cronIDs = map[[2]string]hclv2.Range{}
	}
	d.l.cronIDs[k] = attr.Expr.Range()
	return id
}

// onlyFor reports the arguments of cb that its kind does not take.
func (d *targetDecoder) onlyFor(cb *cronBlock, kind string) {
	for _, a := range []*hclv2.Attribute{
		cb.ID, cb.File, cb.User, cb.RunAs, cb.Binary, cb.Log, cb.Dir, cb.RandomizedDelay, cb.Namespace,
		cb.Image, cb.ConfigMap, cb.Secret, cb.TimeZone, cb.StartingDeadline, cb.ImagePullPolicy,
		cb.ServiceAccount, cb.VolumeClaim, cb.EnvFromSecrets, cb.Resources, cb.SecurityContext, cb.MailTo,
	} {
		if a == nil {
			continue
		}
		name := a.Name
		if slices.Contains(cronArgs[kind], name) {
			continue
		}
		var takers []string
		for _, k := range []string{"crontab", "systemd", "kubernetes"} {
			if slices.Contains(cronArgs[k], name) {
				takers = append(takers, k)
			}
		}
		d.l.errorf(a.Range.Ptr(), "Argument not for this kind",
			"A cron block of kind %q takes %s; %s belongs to kind %s.", kind, quoteList(cronArgs[kind]), name, strings.Join(takers, " and "))
	}
}

// systemdTimers decodes a kind = "systemd" block. Each schedule must have
// an OnCalendar form: a schedule that has none is reported where it is
// written.
func (d *targetDecoder) systemdTimers(rb *redisBlock, cb *cronBlock, dir, id string) {
	st := &model.SystemdTimers{ID: id, Dir: dir, Pos: posOf(cb.DefRange)}
	st.RunAs, _ = d.str(cb.RunAs)
	st.Binary, _ = d.str(cb.Binary)
	if st.Binary != "" && !strings.HasPrefix(st.Binary, "/") {
		d.l.errorf(cb.Binary.Expr.Range().Ptr(), "Relative path", "binary must be an absolute path, so that the units run the redisplan it names whatever systemd's search path is; got %q.", st.Binary)
	}
	if strings.ContainsFunc(st.RunAs, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		d.l.errorf(cb.RunAs.Expr.Range().Ptr(), "Invalid cron setting", "run_as is a user name; %q holds a space or a control character.", st.RunAs)
	}
	if strings.ContainsFunc(st.Binary, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		d.l.errorf(cb.Binary.Expr.Range().Ptr(), "Invalid cron setting", "binary %q holds a line break or another control character.", st.Binary)
	}
	if v, ok := d.duration(cb.RandomizedDelay); ok {
		st.RandomizedDelay = v
	}
	// The schedules were decoded (and checked as cron schedules) with
	// their blocks; an empty one was absent or invalid.
	type sched struct {
		value string
		attr  *hclv2.Attribute
	}
	var schedules []sched
	if rb.Backup != nil && d.t.Backup != nil {
		schedules = append(schedules, sched{d.t.Backup.Schedule, rb.Backup.Schedule})
	}
	if rb.Alerts != nil && d.t.Alerts != nil {
		schedules = append(schedules, sched{d.t.Alerts.Schedule, rb.Alerts.Schedule})
	}
	for _, s := range schedules {
		if s.value == "" || s.attr == nil {
			continue
		}
		if _, err := oncalendar.Convert(s.value); err != nil {
			d.l.errorf(s.attr.Expr.Range().Ptr(), "Schedule not expressible as a systemd timer",
				"The cron block at %s runs this schedule as a systemd timer, but %s. Change the schedule, or run it from a crontab block.", cb.DefRange, err)
		}
	}
	d.t.Timers = append(d.t.Timers, st)
}

// dnsLabel is what Kubernetes accepts as a namespace, ConfigMap or Secret
// name (RFC 1123 subdomain, kept to the common label form).
var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`)

// kubeCronJobs decodes a kind = "kubernetes" block.
func (d *targetDecoder) kubeCronJobs(cb *cronBlock, dir, id string) {
	if !d.l.require(cb.DefRange, "cron", map[string]*hclv2.Attribute{"image": cb.Image, "config_map": cb.ConfigMap}) {
		return
	}
	kc := &model.KubeCronJobs{ID: id, Dir: dir, StartingDeadline: 5 * time.Minute, Pos: posOf(cb.DefRange)}
	kc.Image, _ = d.str(cb.Image)
	if kc.Image == "" || strings.ContainsFunc(kc.Image, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		d.l.errorf(cb.Image.Expr.Range().Ptr(), "Invalid image", "image names the container image that runs redisplan, such as \"registry.example/redisplan:1.4\"; got %q.", kc.Image)
	}
	for _, f := range []struct {
		a   *hclv2.Attribute
		dst *string
	}{{cb.Namespace, &kc.Namespace}, {cb.ConfigMap, &kc.ConfigMap}, {cb.Secret, &kc.Secret}} {
		if f.a == nil {
			continue
		}
		v, ok := d.str(f.a)
		if !ok {
			continue
		}
		if len(v) > 253 || !dnsLabel.MatchString(v) {
			d.l.errorf(f.a.Expr.Range().Ptr(), "Invalid Kubernetes name",
				"%s must be a Kubernetes object name: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit; got %q.", f.a.Name, v)
			continue
		}
		*f.dst = v
	}
	if v, ok := d.str(cb.TimeZone); ok {
		if _, err := time.LoadLocation(v); err != nil || v == "" || v == "Local" {
			d.l.errorf(cb.TimeZone.Expr.Range().Ptr(), "Invalid time zone", "time_zone takes an IANA time zone name such as \"Europe/Paris\" or \"UTC\"; %q is not one.", v)
		} else {
			kc.TimeZone = v
		}
	}
	if v, ok := d.duration(cb.StartingDeadline); ok {
		if v < 10*time.Second {
			// The CronJob controller checks schedules every 10 seconds: a
			// shorter deadline can make it skip runs.
			d.l.errorf(cb.StartingDeadline.Expr.Range().Ptr(), "Value out of range", "starting_deadline must be at least 10s, or Kubernetes may skip runs; got %s.", v)
		} else {
			kc.StartingDeadline = v
		}
	}
	d.kubePod(cb, kc)
	kc.Variables = d.l.podVariables
	if len(kc.Variables) > 0 && kc.Secret == "" {
		d.l.errorf(cb.DefRange.Ptr(), "Missing required argument",
			"The spec has variables that are sensitive or have no default (%s); the jobs take them from a Secret, so this cron block needs secret = \"NAME\", with one key per variable.", strings.Join(kc.Variables, ", "))
	}
	d.t.CronJobs = append(d.t.CronJobs, kc)
}

func (d *targetDecoder) crontab(cb *cronBlock, id string) {
	c := &model.Cron{ID: id}
	c.File, _ = d.str(cb.File)
	c.User, _ = d.str(cb.User)
	c.RunAs, _ = d.str(cb.RunAs)
	c.Binary, _ = d.str(cb.Binary)
	c.Log, _ = d.str(cb.Log)
	if v, ok := d.str(cb.MailTo); ok {
		if strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '"' || r == '\'' }) {
			d.l.errorf(cb.MailTo.Expr.Range().Ptr(), "Invalid cron setting",
				"mail_to is one or more mail addresses separated by commas, without spaces or quotes (cron reads the rest of the line as the value); got %q.", v)
		} else {
			c.MailTo = &v
		}
	}
	switch {
	case c.File != "" && c.User != "":
		d.l.errorf(cb.User.Range.Ptr(), "Conflicting cron destinations",
			"The managed crontab goes either into a cron.d file (file) or into a user's crontab (user), not both.")
	case c.File == "" && c.User == "":
		d.l.errorf(firstRange(cb.RunAs, cb.Binary, cb.Log), "Missing cron destination",
			"Set file = \"/etc/cron.d/redisplan\" for a cron.d file, or user = \"redis\" for a user's crontab.")
	case c.File != "" && c.RunAs == "":
		c.RunAs = "root"
	}
	if name := filepath.Base(c.File); c.File != "" && !model.ValidCronDName(name) {
		// Debian's cron reads /etc/cron.d with the run-parts rule and
		// skips any other name without a word: the jobs would never run.
		d.l.errorf(cb.File.Expr.Range().Ptr(), "Invalid cron.d file name",
			"cron ignores cron.d files whose names hold characters other than letters, digits, '_' and '-' (%q does), so these jobs would never run; use a name such as \"redisplan-main\".", name)
	}
	if c.Binary != "" && !strings.HasPrefix(c.Binary, "/") {
		d.l.errorf(cb.Binary.Expr.Range().Ptr(), "Relative path", "cron runs with a minimal PATH, so binary must be an absolute path; got %q.", c.Binary)
	}
	// Each value goes into a crontab line: a line break in it would start
	// a job of its own, outside the managed block, and a space in a user
	// name would move the rest of it into the command.
	for _, f := range []struct {
		attr  *hclv2.Attribute
		value string
		word  bool
	}{{cb.File, c.File, false}, {cb.User, c.User, true}, {cb.RunAs, c.RunAs, true}, {cb.Binary, c.Binary, false}, {cb.Log, c.Log, false}} {
		if f.attr == nil || !strings.ContainsFunc(f.value, func(r rune) bool { return r < 0x20 || r == 0x7f || f.word && r == ' ' }) {
			continue
		}
		what := "a line break or another control character"
		if f.word {
			what = "a space or a control character; it is a user name"
		}
		d.l.errorf(f.attr.Expr.Range().Ptr(), "Invalid cron setting",
			"The %s %q would not stay in its place on a crontab line: it holds %s.", f.attr.Name, f.value, what)
	}
	d.t.Cron = c
}
