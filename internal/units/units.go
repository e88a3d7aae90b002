// Package units reads and writes the size and duration values that appear in
// redisplan specs and in redis.conf.
//
// Sizes follow Redis's memtoull rules: a whole number of bytes, optionally
// followed by a case-insensitive unit where k, m and g are powers of 1000 and
// kb, mb and gb are powers of 1024. Durations are Go durations extended with
// days (d) and weeks (w).
package units

import (
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// A SyntaxError reports a value that ParseMemory or ParseDuration cannot read.
// Reason says what is wrong with it in a few words; Error adds the accepted
// forms so the message alone tells a person how to fix the value.
type SyntaxError struct {
	Kind   string // "size" or "duration"
	Value  string // the input, as given
	Reason string // e.g. "fractions are not allowed"
}

func (e *SyntaxError) Error() string {
	var accepted string
	switch e.Kind {
	case "size":
		accepted = MemoryUnitsHelp
	case "duration":
		accepted = DurationUnitsHelp
	}
	return fmt.Sprintf("invalid %s %q: %s; %s", e.Kind, e.Value, e.Reason, accepted)
}

// MemoryUnitsHelp describes the sizes ParseMemory accepts.
const MemoryUnitsHelp = "write a whole number of bytes, or a whole number followed by one of the units " +
	"b, k, kb, m, mb, g, gb (k=1000, kb=1024, m=1000^2, mb=1024^2, g=1000^3, gb=1024^3), such as 64mb or 2gb"

// DurationUnitsHelp describes the durations ParseDuration accepts.
const DurationUnitsHelp = "write a number followed by one of the units " +
	"ns, us, ms, s, m, h, d (24h) or w (7d), or several of them combined, such as 30s, 1h30m or 1w2d"

const (
	kb = 1 << 10
	mb = 1 << 20
	gb = 1 << 30
)

// memoryUnit returns the multiplier for a lower-case unit suffix.
func memoryUnit(unit string) (uint64, bool) {
	switch unit {
	case "", "b":
		return 1, true
	case "k":
		return 1000, true
	case "kb":
		return kb, true
	case "m":
		return 1000 * 1000, true
	case "mb":
		return mb, true
	case "g":
		return 1000 * 1000 * 1000, true
	case "gb":
		return gb, true
	}
	return 0, false
}

// ParseMemory reads a size such as 1048576, 64mb, 1GB or 500k and returns it
// in bytes.
//
// It is stricter than Redis on purpose: Redis reads "" and a bare unit as 0
// and silently wraps values above 2^64-1, both of which are almost certainly
// mistakes in a spec, so ParseMemory rejects them. Leading zeros are accepted
// as Redis does ("01" is 1).
func ParseMemory(s string) (uint64, error) {
	fail := func(reason string) (uint64, error) {
		return 0, &SyntaxError{Kind: "size", Value: s, Reason: reason}
	}
	if s == "" {
		return fail("it is empty")
	}
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	digits, unit := s[:i], s[i:]
	switch {
	case s[0] == '-':
		return fail("negative sizes are not allowed")
	case s[0] == '+':
		return fail("a sign is not allowed")
	case strings.ContainsAny(s, " \t\r\n"):
		return fail("spaces are not allowed")
	case digits == "":
		return fail("it does not start with a number")
	case unit != "" && (unit[0] == '.' || unit[0] == ','):
		return fail("fractions are not allowed")
	}
	mul, ok := memoryUnit(strings.ToLower(unit))
	if !ok {
		return fail(fmt.Sprintf("%q is not a known unit", unit))
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		return fail("it is larger than 18446744073709551615 bytes")
	}
	hi, lo := bits.Mul64(n, mul)
	if hi != 0 {
		return fail("it is larger than 18446744073709551615 bytes")
	}
	return lo, nil
}

// FormatMemory writes a byte count the way CONFIG REWRITE does: with the
// largest 1024-based unit that divides it exactly (2gb, 64mb, 1kb), and as
// plain bytes otherwise. 0 is "0".
func FormatMemory(bytes uint64) string {
	switch {
	case bytes == 0:
		return "0"
	case bytes%gb == 0:
		return strconv.FormatUint(bytes/gb, 10) + "gb"
	case bytes%mb == 0:
		return strconv.FormatUint(bytes/mb, 10) + "mb"
	case bytes%kb == 0:
		return strconv.FormatUint(bytes/kb, 10) + "kb"
	}
	return strconv.FormatUint(bytes, 10)
}

// FormatBytes writes a size the way people read it: "512 B", "1.5 MiB",
// with the largest 1024-based unit under which it stays at least 1.
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

const (
	day  = 24 * time.Hour
	week = 7 * day
)

// ParseDuration reads a duration. It accepts everything time.ParseDuration
// accepts without a sign (30s, 15m, 1h30m, 25h, 1.5h, 250ms) plus the units d
// (24 hours) and w (7 days), which take whole numbers only and can be combined
// with the others in any order (1w2d, 1d12h). Negative, signed and empty
// values are rejected.
func ParseDuration(s string) (time.Duration, error) {
	fail := func(reason string) (time.Duration, error) {
		return 0, &SyntaxError{Kind: "duration", Value: s, Reason: reason}
	}
	switch {
	case s == "":
		return fail("it is empty")
	case s[0] == '-':
		return fail("negative durations are not allowed")
	case s[0] == '+':
		return fail("a sign is not allowed")
	case strings.ContainsAny(s, " \t\r\n"):
		return fail("spaces are not allowed")
	case s == "0":
		return 0, nil
	}

	// Split into number+unit segments. Days and weeks are summed here; the
	// remaining segments are handed to time.ParseDuration unchanged.
	var (
		total int64
		rest  strings.Builder
	)
	for i := 0; i < len(s); {
		start := i
		for i < len(s) && (isDigit(s[i]) || s[i] == '.') {
			i++
		}
		number := s[start:i]
		if number == "" {
			return fail("it does not start with a number")
		}
		unitStart := i
		for i < len(s) && !isDigit(s[i]) && s[i] != '.' {
			i++
		}
		unit := s[unitStart:i]
		if unit == "" {
			return fail(fmt.Sprintf("%q has no unit", number))
		}
		var mul time.Duration
		switch unit {
		case "d":
			mul = day
		case "w":
			mul = week
		case "ns", "us", "µs", "μs", "ms", "s", "m", "h":
			rest.WriteString(number)
			rest.WriteString(unit)
			continue
		default:
			return fail(fmt.Sprintf("%q is not a known unit", unit))
		}
		n, err := strconv.ParseInt(number, 10, 64)
		if err != nil {
			if strings.Contains(number, ".") {
				return fail(fmt.Sprintf("days and weeks must be whole numbers, got %s%s", number, unit))
			}
			return fail("it is too long")
		}
		if n > math.MaxInt64/int64(mul) {
			return fail("it is too long")
		}
		sum, ok := addDuration(total, n*int64(mul))
		if !ok {
			return fail("it is too long")
		}
		total = sum
	}
	if rest.Len() > 0 {
		d, err := time.ParseDuration(rest.String())
		if err != nil {
			if strings.Contains(err.Error(), "overflow") {
				return fail("it is too long")
			}
			return fail("it is not a valid duration")
		}
		sum, ok := addDuration(total, int64(d))
		if !ok {
			return fail("it is too long")
		}
		total = sum
	}
	return time.Duration(total), nil
}

func addDuration(a, b int64) (int64, bool) {
	if b > 0 && a > math.MaxInt64-b {
		return 0, false
	}
	return a + b, true
}

// FormatDuration writes d with the units w, d, h, m and s, largest first:
// 90m is "1h30m", 3600s is "1h", 25h is "1d1h". Whole days are written as
// weeks only when they are a whole number of weeks (14d is "2w", 30d stays
// "30d"), which keeps the form short. A sub-second remainder is written in Go
// style ("1.5s", "1h500ms"). Zero is "0s". ParseDuration reads every result
// back to the same value.
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	u := uint64(d)
	if d < 0 {
		b.WriteByte('-')
		u = -u // two's complement magnitude, correct for math.MinInt64 too
	}
	days := u / uint64(day)
	u %= uint64(day)
	if days > 0 {
		if days%7 == 0 {
			b.WriteString(strconv.FormatUint(days/7, 10) + "w")
		} else {
			b.WriteString(strconv.FormatUint(days, 10) + "d")
		}
	}
	if h := u / uint64(time.Hour); h > 0 {
		b.WriteString(strconv.FormatUint(h, 10) + "h")
	}
	u %= uint64(time.Hour)
	if m := u / uint64(time.Minute); m > 0 {
		b.WriteString(strconv.FormatUint(m, 10) + "m")
	}
	u %= uint64(time.Minute)
	if u > 0 {
		// Less than a minute is left; time.Duration prints it as "45s",
		// "1.5s" or "250ms".
		b.WriteString(time.Duration(u).String())
	}
	return b.String()
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// Plural is a count with its noun: "1 key", "2 keys".
func Plural[N ~int | ~int64](n N, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
