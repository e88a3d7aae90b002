// Package oncalendar converts standard five-field cron schedules into
// systemd OnCalendar= expressions (systemd.time(7)).
//
// It imports only the standard library. The conversion is exact: a timer
// with the returned expressions elapses at the same minutes as cron runs
// the schedule, in the same time zone (local time, or the zone of a
// TZ=/CRON_TZ= prefix). What cannot be expressed exactly is refused with
// an error that says why.
package oncalendar

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// macros are the cron shorthands that stand for a fixed schedule.
var macros = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

type bounds struct {
	name     string
	min, max int
	names    []string // names[i] stands for min+i
}

var (
	minuteField = bounds{name: "minute", min: 0, max: 59}
	hourField   = bounds{name: "hour", min: 0, max: 23}
	domField    = bounds{name: "day-of-month", min: 1, max: 31}
	monthField  = bounds{name: "month", min: 1, max: 12,
		names: []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}}
	dowField = bounds{name: "day-of-week", min: 0, max: 6,
		names: []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}}
)

// ErrEvery is returned for "@every DURATION": a timer counts calendar
// times, and an interval that does not divide an hour or a day has no
// calendar form.
var ErrEvery = errors.New("OnCalendar cannot express @every: it repeats from whenever the scheduler started, not at calendar times; write five fields such as \"*/30 * * * *\" instead")

// field is one parsed cron field: the set of values it matches and
// whether it counts as "*" for the day-of-month/day-of-week rule.
type field struct {
	set [64]bool
	// star is true when the field is unrestricted in the sense cron uses
	// to choose between AND and OR of the two day fields. Implementations
	// disagree on "*/2": Vixie cron (Debian's) looks at the first
	// character, robfig/cron at whether any element is a bare "*" or "?".
	starVixie, starRobfig bool
}

// Convert returns the OnCalendar= expressions that together elapse when
// the cron schedule spec runs. Usually there is one; there are two when
// both day-of-month and day-of-week are restricted, because cron then runs
// on the days that match either, while one OnCalendar expression matches
// only days that match both, and a timer with several OnCalendar= lines
// elapses when any of them does.
func Convert(spec string) ([]string, error) {
	spec = strings.TrimSpace(spec)
	zone := ""
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		i := strings.IndexAny(spec, " \t")
		if i < 0 {
			return nil, fmt.Errorf("%q has a time zone but no schedule", spec)
		}
		_, zone, _ = strings.Cut(spec[:i], "=")
		spec = strings.TrimSpace(spec[i:])
		if zone == "" || strings.ContainsAny(zone, " \t") {
			return nil, fmt.Errorf("invalid time zone in %q", spec)
		}
	}
	if strings.HasPrefix(spec, "@") {
		if strings.HasPrefix(spec, "@every") {
			return nil, ErrEvery
		}
		m, ok := macros[strings.ToLower(spec)]
		if !ok {
			return nil, fmt.Errorf("unknown macro %q; use @yearly, @monthly, @weekly, @daily or @hourly", spec)
		}
		spec = m
	}
	parts := strings.Fields(spec)
	if len(parts) != 5 {
		return nil, fmt.Errorf("%q has %d fields; a cron schedule has five: minute hour day-of-month month day-of-week", spec, len(parts))
	}
	var fs [5]field
	for i, b := range []bounds{minuteField, hourField, domField, monthField, dowField} {
		f, err := parseField(parts[i], b)
		if err != nil {
			return nil, err
		}
		fs[i] = f
	}
	minute, hour, dom, month, dow := fs[0], fs[1], fs[2], fs[3], fs[4]
	// Day 7 is Sunday, as in Vixie cron.
	if dow.set[7] {
		dow.set[0], dow.set[7] = true, false
	}

	and := dom.starRobfig || dow.starRobfig
	if and != (dom.starVixie || dow.starVixie) {
		return nil, fmt.Errorf("in %q, whether a run needs both day-of-month and day-of-week to match or only one depends on the cron implementation (Vixie cron reads a leading \"*\" as unrestricted, others do not); write the day field without a step, or as an explicit list", spec)
	}
	clock := component(hour, hourField) + ":" + component(minute, minuteField) + ":00"
	months := component(month, monthField)
	suffix := ""
	if zone != "" {
		suffix = " " + zone
	}
	if and {
		// Cron's AND: a starred day field matches every day, so joining
		// both in one expression is exact.
		return []string{weekdays(dow) + "*-" + months + "-" + component(dom, domField) + " " + clock + suffix}, nil
	}
	return []string{
		"*-" + months + "-" + component(dom, domField) + " " + clock + suffix,
		weekdays(dow) + "*-" + months + "-* " + clock + suffix,
	}, nil
}

// parseField reads one cron field the way robfig/cron's standard parser
// does: a comma-separated list of "*", "?", N, N-M, each optionally with
// "/STEP"; N/STEP runs from N to the field's maximum.
func parseField(s string, b bounds) (field, error) {
	var f field
	f.starVixie = strings.HasPrefix(s, "*") || strings.HasPrefix(s, "?")
	for _, elem := range strings.Split(s, ",") {
		rng, stepText, hasStep := strings.Cut(elem, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 {
				return f, fmt.Errorf("invalid step %q in the %s field %q", stepText, b.name, s)
			}
			step = n
		}
		var lo, hi int
		switch {
		case rng == "*" || rng == "?":
			lo, hi = b.min, b.max
			if step == 1 {
				f.starRobfig = true
			}
		default:
			loText, hiText, isRange := strings.Cut(rng, "-")
			var err error
			if lo, err = value(loText, b); err != nil {
				return f, fmt.Errorf("%w in the %s field %q", err, b.name, s)
			}
			hi = lo
			switch {
			case isRange:
				if hi, err = value(hiText, b); err != nil {
					return f, fmt.Errorf("%w in the %s field %q", err, b.name, s)
				}
			case hasStep:
				hi = b.max
			}
			if hi < lo {
				return f, fmt.Errorf("range %q runs backwards in the %s field", rng, b.name)
			}
		}
		for v := lo; v <= hi; v += step {
			f.set[v] = true
		}
	}
	return f, nil
}

func value(s string, b bounds) (int, error) {
	for i, n := range b.names {
		if strings.EqualFold(s, n) {
			return b.min + i, nil
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if b.name == dowField.name && v == 7 {
		// Vixie cron (Debian's) reads 7 as Sunday too; the caller folds
		// it into 0.
		return v, nil
	}
	if b.name == dowField.name && (v < 0 || v > 7) {
		return 0, fmt.Errorf("%d is outside 0-7 (0 and 7 are Sunday)", v)
	}
	if v < b.min || v > b.max {
		return 0, fmt.Errorf("%d is outside %d-%d", v, b.min, b.max)
	}
	return v, nil
}

// component writes the set of a numeric field in OnCalendar syntax: "*"
// for every value, "S/K" for every K-th value from S to the end of the
// range, else a list in which runs of three or more are "A..B".
func component(f field, b bounds) string {
	var vals []int
	for v := b.min; v <= b.max; v++ {
		if f.set[v] {
			vals = append(vals, v)
		}
	}
	if len(vals) == b.max-b.min+1 {
		return "*"
	}
	// Two values read better as a list: "05,35", not "05/30".
	if len(vals) >= 3 {
		k := vals[1] - vals[0]
		regular := k > 1 && vals[len(vals)-1]+k > b.max
		for i := 2; regular && i < len(vals); i++ {
			regular = vals[i]-vals[i-1] == k
		}
		// Days of the month repeat to the end of each month, which is
		// what the cron set means too (cron's day 31 does not exist in
		// April either).
		if regular {
			return fmt.Sprintf("%02d/%d", vals[0], k)
		}
	}
	return runs(vals, func(v int) string { return fmt.Sprintf("%02d", v) })
}

// weekdayNames are systemd's day names, Monday first: systemd ranges
// do not wrap around Sunday.
var weekdayNames = []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

// weekdays writes the day-of-week prefix ("Mon..Fri "), or nothing when
// every day matches.
func weekdays(f field) string {
	var days []int // 0 = Monday
	for i := range 7 {
		if f.set[(i+1)%7] {
			days = append(days, i)
		}
	}
	if len(days) == 7 {
		return ""
	}
	return runs(days, func(d int) string { return weekdayNames[d] }) + " "
}

// runs joins sorted values with ",", writing runs of three or more
// consecutive values as "A..B".
func runs(vals []int, show func(int) string) string {
	var out []string
	for i := 0; i < len(vals); {
		j := i
		for j+1 < len(vals) && vals[j+1] == vals[j]+1 {
			j++
		}
		if j-i >= 2 {
			out = append(out, show(vals[i])+".."+show(vals[j]))
		} else {
			for k := i; k <= j; k++ {
				out = append(out, show(vals[k]))
			}
		}
		i = j + 1
	}
	return strings.Join(out, ",")
}

// SundayAsZero returns spec with a day-of-week 7 (Sunday, as Vixie cron
// and crontab(5) allow) written as 0, which robfig/cron and Kubernetes
// require: "0 0 * * 7" is "0 0 * * 0", and a field that names 7 in a
// range or list is written as the list of its days ("5-7" is "0,5,6").
// Any other schedule, and one that does not parse, is returned as it is.
func SundayAsZero(spec string) string {
	trimmed := strings.TrimSpace(spec)
	prefix := ""
	if strings.HasPrefix(trimmed, "TZ=") || strings.HasPrefix(trimmed, "CRON_TZ=") {
		i := strings.IndexAny(trimmed, " \t")
		if i < 0 {
			return spec
		}
		prefix, trimmed = trimmed[:i]+" ", strings.TrimSpace(trimmed[i:])
	}
	parts := strings.Fields(trimmed)
	if len(parts) != 5 || !namesSeven(parts[4]) {
		return spec
	}
	f, err := parseField(parts[4], dowField)
	if err != nil {
		return spec
	}
	f.set[0] = f.set[0] || f.set[7]
	var days []string
	for d := 0; d <= 6; d++ {
		if f.set[d] {
			days = append(days, strconv.Itoa(d))
		}
	}
	if len(days) == 7 {
		parts[4] = "*"
	} else {
		parts[4] = strings.Join(days, ",")
	}
	return prefix + strings.Join(parts, " ")
}

// namesSeven reports whether a day-of-week field has 7 as a value or a
// range end (not as a step).
func namesSeven(field string) bool {
	for _, elem := range strings.Split(field, ",") {
		rng, _, _ := strings.Cut(elem, "/")
		lo, hi, _ := strings.Cut(rng, "-")
		if lo == "7" || hi == "7" {
			return true
		}
	}
	return false
}
