package catalog

import (
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/redisplan/redisplan/internal/redisconf"
	"github.com/redisplan/redisplan/internal/units"
)

// Normalize checks value against the directive's rules and returns it in the
// form CONFIG GET returns, so that a desired value and a live value are equal
// exactly when their normalized strings are equal.
//
// The error, when there is one, is a sentence a person can act on, starting
// with the quoted directive name: `"maxmemory-policy" must be one of
// volatile-lru, ..., got "lru"`.
//
// What each type accepts:
//   - bool: yes, no, true or false, in any case; gives yes or no.
//   - enum: one of Allowed, in any case; gives the server's canonical name
//     (oom-score-adj relative gives yes, as Redis reports it).
//   - enum-multi: space-separated flags from Allowed, without save and nosave
//     together; gives them de-duplicated in the server's table order.
//   - integer: a decimal integer without sign or leading zeros (a leading -
//     for negative numbers) inside [Min, Max]. hz is then clamped to 1..500
//     as the server does.
//   - octal: octal digits inside [Min, Max]; gives octal without leading zeros.
//   - memory: a size read by units.ParseMemory inside [Min, Max]; gives bytes.
//   - memory-or-percent: "N%" with N in 0..100 (given back, except that 0%
//     is 0), or a memory value.
//   - string, sds: the value unchanged.
//   - file-only: the value unchanged (it must be valid redis.conf argument
//     text); deprecated-ignored: always an error.
//
// The special directives:
//   - save: "" disables snapshots; otherwise pairs of <seconds> (at least 1)
//     and <changes>, kept in the given order: "3600 1 300 100".
//   - notify-keyspace-events: letters from KEg$lshzxetmdnA, given in the
//     server's order ("Ex" gives "xE", "KEA" gives "AKE"). n together with
//     A is refused, because the server then reports and rewrites A alone.
//   - client-output-buffer-limit: groups of <class> <hard> <soft> <seconds>;
//     gives all three classes (normal, slave, pubsub) in bytes, with the
//     defaults for classes the value does not mention; replica is slave.
//   - oom-score-adj-values: exactly 3 integers in -2000..2000.
//   - bind: at most 16 addresses, in the given order; "" is allowed.
//   - replicaof: "<host> <port>"; "no one" and "" give "".
//   - latency-tracking-info-percentiles: numbers in 0..100, printed as the
//     server does ("50 99 99.9"); "" is allowed.
//   - dir: any non-empty path, unchanged; comparing it with the absolute
//     path CONFIG GET returns is the caller's job.
//
// Multi-argument values may separate their words with any run of spaces or
// tabs; the result always uses single spaces, which is what CONFIG SET
// expects.
func (p *Param) Normalize(value string) (string, error) {
	switch p.Type {
	case TypeBool:
		switch strings.ToLower(value) {
		case "yes", "true":
			return "yes", nil
		case "no", "false":
			return "no", nil
		}
		return "", p.errorf("expects yes or no, got %q", value)
	case TypeEnum:
		return p.normalizeEnum(value)
	case TypeEnumMulti:
		return p.normalizeEnumMulti(value)
	case TypeInteger:
		return p.normalizeInteger(value)
	case TypeOctal:
		return p.normalizeOctal(value)
	case TypeMemory:
		n, err := p.parseMemory(value)
		if err != nil {
			return "", err
		}
		return n.String(), nil
	case TypeMemoryOrPercent:
		if pct, ok := strings.CutSuffix(value, "%"); ok {
			if !decimalRE.MatchString(pct) {
				return "", p.errorf("expects a size such as 64mb or a percentage of maxmemory such as 5%%, got %q", value)
			}
			n, _ := strconv.Atoi(pct)
			if len(pct) > 3 || n > 100 {
				return "", p.errorf("takes a percentage between 0%% and 100%%, got %q", value)
			}
			if n == 0 {
				return "0", nil
			}
			return value, nil
		}
		n, err := p.parseMemory(value)
		if err != nil {
			return "", err
		}
		return n.String(), nil
	case TypeString, TypeSDS:
		return value, nil
	case TypeSpecial:
		return specials[p.Name].normalize(p, value)
	case TypeFileOnly:
		if _, err := redisconf.SplitArgs(value); err != nil {
			return "", p.errorf("value %q cannot be written to redis.conf: %v", value, err)
		}
		return value, nil
	case TypeDeprecatedIgnored:
		return "", p.errorf("was removed from Redis and is ignored; delete it from the configuration")
	}
	return "", p.errorf("has an unknown type %q", p.Type)
}

// FileArgs returns the argument tokens to write after the directive name in
// redis.conf for a value returned by Normalize. Each token is one argument:
// the caller quotes it (redisconf.Quote) and may write it as one line.
//
//   - memory values use the largest exact 1024-based unit, like CONFIG
//     REWRITE: 2147483648 gives ["2gb"];
//   - save gives all its numbers as tokens (["3600", "1", "300", "100"]), or
//     [""] when disabled; Redis accepts them on one line, but CONFIG REWRITE
//     writes one "save S C" line per pair: use SavePairs for that;
//   - client-output-buffer-limit gives its 12 tokens with replica for slave and
//     sizes with units, as CONFIG REWRITE writes them;
//   - replicaof "" gives ["no", "one"];
//   - the other multi-argument directives (bind, oom-score-adj-values,
//     latency-tracking-info-percentiles, shutdown-on-sig*) are split on
//     spaces, with [""] for an empty value;
//   - file-only values are split like a redis.conf line;
//   - everything else is a single token, possibly empty or with spaces.
func (p *Param) FileArgs(normalized string) []string {
	switch p.Type {
	case TypeMemory:
		if n, err := strconv.ParseUint(normalized, 10, 64); err == nil {
			return []string{units.FormatMemory(n)}
		}
	case TypeMemoryOrPercent:
		if n, err := strconv.ParseUint(normalized, 10, 64); err == nil {
			return []string{units.FormatMemory(n)}
		}
	case TypeEnumMulti:
		return splitOrEmpty(normalized)
	case TypeSpecial:
		return specials[p.Name].fileArgs(normalized)
	case TypeFileOnly:
		if args, err := redisconf.SplitArgs(normalized); err == nil {
			return args
		}
	case TypeDeprecatedIgnored:
		return nil
	}
	return []string{normalized}
}

// SavePairs splits a normalized save value into its <seconds> <changes>
// pairs, one per "save S C" line. It returns nil for "" (saving disabled),
// which is written as `save ""`.
func SavePairs(normalized string) [][2]string {
	f := strings.Fields(normalized)
	var pairs [][2]string
	for i := 0; i+1 < len(f); i += 2 {
		pairs = append(pairs, [2]string{f[i], f[i+1]})
	}
	return pairs
}

// FileLines returns the arguments of the redis.conf lines that set a
// directive to a normalized value, one list per line: one line for most
// directives (FileArgs; the value itself for a directive the catalog does
// not know), one "save S C" line per pair for save, as CONFIG REWRITE
// writes them, and `save ""` when saving is disabled.
func (c *Catalog) FileLines(name, normalized string) [][]string {
	if name == "save" {
		pairs := SavePairs(normalized)
		if len(pairs) == 0 {
			return [][]string{{""}}
		}
		lines := make([][]string, len(pairs))
		for i, p := range pairs {
			lines[i] = []string{p[0], p[1]}
		}
		return lines
	}
	if p, ok := c.Lookup(name); ok {
		return [][]string{p.FileArgs(normalized)}
	}
	return [][]string{{normalized}}
}

// ValueName returns the canonical name of the directive a redis.conf line
// sets (an alias gives its primary: slaveof gives replicaof), and false
// when the line sets no value the catalog tracks: a directive it does not
// know (module directives included), one Redis ignores
// (deprecated-ignored), or a file-only one, whose lines accumulate
// definitions (user, loadmodule, sentinel).
func (c *Catalog) ValueName(directive string) (string, bool) {
	p, ok := c.Lookup(directive)
	if !ok || p.Type == TypeFileOnly || p.Type == TypeDeprecatedIgnored {
		return "", false
	}
	return p.Name, true
}

func splitOrEmpty(s string) []string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return []string{""}
	}
	return f
}

// errorf returns an error whose message starts with the quoted directive
// name.
func (p *Param) errorf(format string, args ...any) error {
	return fmt.Errorf("%q %s", p.Name, fmt.Sprintf(format, args...))
}

// enumValueAliases maps values that the server accepts as another name of an
// enum value to the name CONFIG GET reports.
var enumValueAliases = map[string]map[string]string{
	"oom-score-adj": {"relative": "yes"},
}

func (p *Param) normalizeEnum(value string) (string, error) {
	v := strings.ToLower(value)
	if !slices.Contains(p.Allowed, v) {
		return "", p.errorf("must be one of %s, got %q", strings.Join(p.Allowed, ", "), value)
	}
	if canonical, ok := enumValueAliases[p.Name][v]; ok {
		return canonical, nil
	}
	return v, nil
}

// normalizeEnumMulti handles shutdown-on-sigint and shutdown-on-sigterm,
// whose first value, default, stands for "no flags".
func (p *Param) normalizeEnumMulti(value string) (string, error) {
	words := strings.Fields(value)
	if len(words) == 0 {
		return "", p.errorf("takes one or more of %s separated by spaces, got %q", strings.Join(p.Allowed, ", "), value)
	}
	set := map[string]bool{}
	for _, w := range words {
		w = strings.ToLower(w)
		if !slices.Contains(p.Allowed, w) {
			return "", p.errorf("takes one or more of %s separated by spaces, got %q", strings.Join(p.Allowed, ", "), value)
		}
		set[w] = true
	}
	if set["save"] && set["nosave"] {
		return "", p.errorf("cannot combine save and nosave, got %q", value)
	}
	var out []string
	for _, a := range p.Allowed {
		if set[a] && a != "default" {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return "default", nil
	}
	return strings.Join(out, " "), nil
}

// decimalRE matches what Redis's string2ll accepts: no sign, no leading
// zeros, no spaces; negative numbers start with '-'.
var (
	decimalRE       = regexp.MustCompile(`^(0|[1-9][0-9]*)$`)
	signedDecimalRE = regexp.MustCompile(`^(0|-?[1-9][0-9]*)$`)
)

func (p *Param) normalizeInteger(value string) (string, error) {
	if !signedDecimalRE.MatchString(value) {
		return "", p.errorf("expects a whole number such as %s, got %q", p.example(), value)
	}
	n, _ := new(big.Int).SetString(value, 10)
	if err := p.checkRange(n, value, ""); err != nil {
		return "", err
	}
	if p.Name == "hz" {
		// The server accepts 0..INT_MAX and keeps 1..500.
		n.SetInt64(min(max(n.Int64(), 1), 500))
	}
	return n.String(), nil
}

// NormalizeDesired is Normalize for a value someone asks for (a spec), not
// one read back from a server or file: a value the server accepts but then
// silently replaces (hz outside 1..500) is refused, because a plan could
// never converge on it and the file would keep saying something the server
// does not do.
func (p *Param) NormalizeDesired(value string) (string, error) {
	norm, err := p.Normalize(value)
	if err != nil {
		return "", err
	}
	if p.Name == "hz" && norm != value {
		return "", p.errorf("must be between 1 and 500: Redis accepts %q but silently keeps %s instead, so the server could never match the spec", value, norm)
	}
	return norm, nil
}

var octalRE = regexp.MustCompile(`^[0-7]+$`)

func (p *Param) normalizeOctal(value string) (string, error) {
	if !octalRE.MatchString(value) {
		return "", p.errorf("expects octal permission digits such as 700 or 0770, got %q", value)
	}
	n, _ := new(big.Int).SetString(value, 8)
	if p.Min != nil && p.Max != nil && (n.Cmp(p.Min) < 0 || n.Cmp(p.Max) > 0) {
		return "", p.errorf("must be between %s and %s (octal), got %q", p.Min.Text(8), p.Max.Text(8), value)
	}
	return n.Text(8), nil
}

func (p *Param) parseMemory(value string) (*big.Int, error) {
	b, err := units.ParseMemory(value)
	if err != nil {
		reason := err.Error()
		var se *units.SyntaxError
		if errors.As(err, &se) {
			reason = se.Reason
		}
		return nil, p.errorf("expects a size such as 2gb or 1048576, got %q: %s (units: b, k, kb, m, mb, g, gb; k=1000, kb=1024)",
			value, reason)
	}
	n := new(big.Int).SetUint64(b)
	if err := p.checkRange(n, value, " bytes"); err != nil {
		return nil, err
	}
	return n, nil
}

func (p *Param) checkRange(n *big.Int, value, unit string) error {
	if p.Min == nil || p.Max == nil || (n.Cmp(p.Min) >= 0 && n.Cmp(p.Max) <= 0) {
		return nil
	}
	got := strconv.Quote(value)
	if n.String() != value {
		got += " (" + n.String() + unit + ")"
	}
	return p.errorf("must be between %s and %s%s, got %s", p.Min, p.Max, unit, got)
}

// example gives a sample value for error messages: the default when it is
// a number, else the minimum.
func (p *Param) example() string {
	if signedDecimalRE.MatchString(p.Default) {
		return p.Default
	}
	if p.Min != nil {
		return p.Min.String()
	}
	return "10"
}
