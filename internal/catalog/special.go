package catalog

import (
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/redisplan/redisplan/internal/units"
)

// special holds the rules of a directive of type special.
type special struct {
	normalize func(p *Param, value string) (string, error)
	fileArgs  func(normalized string) []string
}

// specials lists every special directive the catalogs contain; loading a
// catalog fails if it has a special directive missing here.
var specials = map[string]special{
	"save":                              {normalizeSave, splitOrEmpty},
	"client-output-buffer-limit":        {normalizeClientOutputBufferLimit, clientOutputBufferLimitFileArgs},
	"oom-score-adj-values":              {normalizeOOMScoreAdjValues, splitOrEmpty},
	"notify-keyspace-events":            {normalizeNotifyKeyspaceEvents, single},
	"bind":                              {normalizeBind, splitOrEmpty},
	"rdma-bind":                         {normalizeBind, splitOrEmpty}, // Valkey 8.1: the same grammar as bind
	"replicaof":                         {normalizeReplicaOf, replicaOfFileArgs},
	"latency-tracking-info-percentiles": {normalizePercentiles, splitOrEmpty},
	"dir":                               {normalizeDir, single},
}

func single(s string) []string { return []string{s} }

var digitsRE = regexp.MustCompile(`^[0-9]+$`)

// normalizeSave: "" disables snapshots; otherwise pairs of <seconds> (at
// least 1) and <changes> (at least 0), kept in the given order and joined by
// single spaces. Leading zeros are accepted, as Redis's strtoll does.
func normalizeSave(p *Param, value string) (string, error) {
	if value == `""` || value == `''` {
		return "", p.errorf(`takes an empty string to disable snapshots, not two quote characters`)
	}
	f := strings.Fields(value)
	if len(f) == 0 {
		return "", nil
	}
	bad := func() (string, error) {
		return "", p.errorf(`expects pairs of <seconds> <changes> such as "3600 1 300 100", or "" to disable snapshots, got %q`, value)
	}
	if len(f)%2 != 0 {
		return bad()
	}
	out := make([]string, len(f))
	for i, tok := range f {
		if !digitsRE.MatchString(tok) {
			return bad()
		}
		n, err := strconv.ParseUint(tok, 10, 64)
		seconds := i%2 == 0
		switch {
		case err != nil || (seconds && n > math.MaxInt64) || (!seconds && n > math.MaxInt32):
			return "", p.errorf("has a number that is too large: %s", tok)
		case seconds && n == 0:
			return "", p.errorf("needs at least 1 second in each pair, got %q", value)
		}
		out[i] = strconv.FormatUint(n, 10)
	}
	return strings.Join(out, " "), nil
}

// bufferLimit is one class of client-output-buffer-limit.
type bufferLimit struct {
	hard, soft, seconds uint64
	set                 bool
}

// bufferClasses are the classes in the order CONFIG GET prints them.
var bufferClasses = [...]string{"normal", "slave", "pubsub"}

func bufferClassIndex(name string) int {
	switch strings.ToLower(name) {
	case "normal":
		return 0
	case "slave", "replica":
		return 1
	case "pubsub":
		return 2
	}
	return -1
}

// parseBufferLimits reads groups of <class> <hard> <soft> <seconds>.
func parseBufferLimits(p *Param, value string) ([3]bufferLimit, error) {
	var limits [3]bufferLimit
	f := strings.Fields(value)
	if len(f) == 0 || len(f)%4 != 0 {
		return limits, p.errorf(`expects groups of <class> <hard limit> <soft limit> <soft seconds> such as "replica 256mb 64mb 60", got %q`, value)
	}
	for i := 0; i < len(f); i += 4 {
		class := bufferClassIndex(f[i])
		if class < 0 {
			return limits, p.errorf("class must be normal, replica, slave or pubsub, got %q", f[i])
		}
		var l bufferLimit
		for j, dst := range []*uint64{&l.hard, &l.soft} {
			n, err := units.ParseMemory(f[i+1+j])
			if err != nil {
				return limits, p.errorf("expects sizes such as 256mb or 0 for the %s limits, got %q", f[i], f[i+1+j])
			}
			*dst = n
		}
		if !digitsRE.MatchString(f[i+3]) {
			return limits, p.errorf("expects a whole number of seconds for the %s soft limit, got %q", f[i], f[i+3])
		}
		secs, err := strconv.ParseUint(f[i+3], 10, 64)
		if err != nil || secs > math.MaxInt64 {
			return limits, p.errorf("has a number of seconds that is too large: %s", f[i+3])
		}
		l.seconds, l.set = secs, true
		limits[class] = l
	}
	return limits, nil
}

// normalizeClientOutputBufferLimit gives all three classes in bytes, named
// normal, slave and pubsub as CONFIG GET prints them; classes the value does
// not mention keep their defaults.
func normalizeClientOutputBufferLimit(p *Param, value string) (string, error) {
	limits, err := parseBufferLimits(p, value)
	if err != nil {
		return "", err
	}
	defaults, err := parseBufferLimits(p, p.Default)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for i, name := range bufferClasses {
		l := limits[i]
		if !l.set {
			l = defaults[i]
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(name + " " + strconv.FormatUint(l.hard, 10) + " " +
			strconv.FormatUint(l.soft, 10) + " " + strconv.FormatUint(l.seconds, 10))
	}
	return b.String(), nil
}

// clientOutputBufferLimitFileArgs writes the class slave as replica and
// sizes with units, as CONFIG REWRITE does.
func clientOutputBufferLimitFileArgs(normalized string) []string {
	f := strings.Fields(normalized)
	for i := range f {
		switch i % 4 {
		case 0:
			if strings.EqualFold(f[i], "slave") {
				f[i] = "replica"
			}
		case 1, 2:
			if n, err := strconv.ParseUint(f[i], 10, 64); err == nil {
				f[i] = units.FormatMemory(n)
			}
		}
	}
	return splitOrEmpty(strings.Join(f, " "))
}

var signedRE = regexp.MustCompile(`^[-+]?[0-9]+$`)

// normalizeOOMScoreAdjValues: exactly three integers in -2000..2000.
func normalizeOOMScoreAdjValues(p *Param, value string) (string, error) {
	f := strings.Fields(value)
	bad := func() (string, error) {
		return "", p.errorf(`expects exactly 3 integers between -2000 and 2000 (for master, replica and background child) such as "0 200 800", got %q`, value)
	}
	if len(f) != 3 {
		return bad()
	}
	out := make([]string, 3)
	for i, tok := range f {
		if !signedRE.MatchString(tok) {
			return bad()
		}
		n, err := strconv.ParseInt(tok, 10, 64)
		if err != nil || n < -2000 || n > 2000 {
			return bad()
		}
		out[i] = strconv.FormatInt(n, 10)
	}
	return strings.Join(out, " "), nil
}

// Keyspace event classes, as in Redis's src/notify.c.
const (
	evKeyspace = 1 << iota // K
	evKeyevent             // E
	evGeneric              // g
	evString               // $
	evList                 // l
	evSet                  // s
	evHash                 // h
	evZset                 // z
	evExpired              // x
	evEvicted              // e
	evStream               // t
	evKeyMiss              // m
	evModule               // d
	evNew                  // n

	// evAll is what A stands for: it leaves out m and n.
	evAll = evGeneric | evString | evList | evSet | evHash | evZset | evExpired | evEvicted | evStream | evModule
)

var eventLetters = map[byte]int{
	'A': evAll, 'g': evGeneric, '$': evString, 'l': evList, 's': evSet, 'h': evHash,
	'z': evZset, 'x': evExpired, 'e': evEvicted, 'K': evKeyspace, 'E': evKeyevent,
	't': evStream, 'm': evKeyMiss, 'd': evModule, 'n': evNew,
}

// eventOrder is keyspaceEventsFlagsToString's order after A (or the classes
// A stands for).
var eventOrder = []struct {
	flag   int
	letter byte
}{
	{evGeneric, 'g'}, {evString, '$'}, {evList, 'l'}, {evSet, 's'}, {evHash, 'h'},
	{evZset, 'z'}, {evExpired, 'x'}, {evEvicted, 'e'}, {evStream, 't'}, {evModule, 'd'},
	{evNew, 'n'},
}

// normalizeNotifyKeyspaceEvents gives the flags in the order Redis prints
// them: A when all of g$lshzxetd are on, else each of g$lshzxetdn that is on,
// then K, E and m. "Ex" gives "xE", "KEA" gives "AKE".
//
// Redis prints nothing for n when A applies, so both CONFIG GET and CONFIG
// REWRITE lose it; such a value is refused here instead of silently
// producing a setting that can never be verified or persisted.
func normalizeNotifyKeyspaceEvents(p *Param, value string) (string, error) {
	flags := 0
	for i := 0; i < len(value); i++ {
		f, ok := eventLetters[value[i]]
		if !ok {
			return "", p.errorf("contains %q, which is not an event class; use letters from KEg$lshzxetmdnA (for example \"Ex\" for expired-key events)", value[i:i+1])
		}
		flags |= f
	}
	var b strings.Builder
	if flags&evAll == evAll {
		if flags&evNew != 0 {
			return "", p.errorf("cannot combine n with A (or with all of g$lshzxetd): Redis then reports and rewrites the setting without n, so it could not be checked or kept; got %q", value)
		}
		b.WriteByte('A')
	} else {
		for _, e := range eventOrder {
			if flags&e.flag != 0 {
				b.WriteByte(e.letter)
			}
		}
	}
	for _, e := range []struct {
		flag   int
		letter byte
	}{{evKeyspace, 'K'}, {evKeyevent, 'E'}, {evKeyMiss, 'm'}} {
		if flags&e.flag != 0 {
			b.WriteByte(e.letter)
		}
	}
	return b.String(), nil
}

// normalizeBind: up to 16 addresses, kept in order; "" means no TCP
// listener.
func normalizeBind(p *Param, value string) (string, error) {
	f := strings.Fields(value)
	if len(f) > 16 {
		return "", p.errorf("accepts at most 16 addresses, got %d", len(f))
	}
	return strings.Join(f, " "), nil
}

// normalizeReplicaOf: "<host> <port>", or "no one" (or "") for a server that
// is not a replica, which CONFIG GET reports as "".
func normalizeReplicaOf(p *Param, value string) (string, error) {
	f := strings.Fields(value)
	switch {
	case len(f) == 0:
		return "", nil
	case len(f) == 2 && strings.EqualFold(f[0], "no") && strings.EqualFold(f[1], "one"):
		return "", nil
	case len(f) != 2:
		return "", p.errorf(`expects "<host> <port>" or "no one", got %q`, value)
	}
	if !digitsRE.MatchString(f[1]) {
		return "", p.errorf(`expects "<host> <port>" with a port number between 0 and 65535, got %q`, value)
	}
	port, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil || port > 65535 {
		return "", p.errorf(`expects "<host> <port>" with a port number between 0 and 65535, got %q`, value)
	}
	return f[0] + " " + strconv.FormatUint(port, 10), nil
}

func replicaOfFileArgs(normalized string) []string {
	if normalized == "" {
		return []string{"no", "one"}
	}
	return strings.Fields(normalized)
}

var floatRE = regexp.MustCompile(`^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$`)

// normalizePercentiles: numbers in 0..100, written as Redis's "%f" with
// trailing zeros trimmed ("50 99 99.9"); "" means none.
func normalizePercentiles(p *Param, value string) (string, error) {
	f := strings.Fields(value)
	out := make([]string, len(f))
	for i, tok := range f {
		if !floatRE.MatchString(tok) {
			return "", p.errorf(`expects percentiles between 0 and 100 separated by spaces such as "50 99 99.9", got %q`, value)
		}
		x, err := strconv.ParseFloat(tok, 64)
		if err != nil || x < 0 || x > 100 {
			return "", p.errorf("takes percentiles between 0 and 100, got %s", tok)
		}
		s := strconv.FormatFloat(x, 'f', 6, 64)
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
		out[i] = s
	}
	return strings.Join(out, " "), nil
}

// normalizeDir keeps the path as given; turning it into the absolute path
// CONFIG GET reports is the caller's job, since it depends on the server's
// working directory.
func normalizeDir(p *Param, value string) (string, error) {
	if value == "" {
		return "", p.errorf("must not be empty; give the directory where the server keeps its data files")
	}
	return value, nil
}
