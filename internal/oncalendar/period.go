package oncalendar

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// periodReference is where Period starts counting, fixed so that a
// rule gives the same answer whenever it runs.
var periodReference = time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)

// Period returns the longest time between two consecutive runs of a
// cron schedule. For a regular schedule that is the time from one run to
// the next; for one such as "0 3 * * 1-5" it is the longest gap (the
// weekend).
//
// It walks the runs from a fixed reference, over one week and a day when
// the schedule does not depend on the day of the month or the month (its
// pattern then repeats every week), and over five years otherwise (monthly,
// yearly and leap-day patterns), stopping after 20,000 runs.
func Period(spec string) (time.Duration, error) {
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return 0, fmt.Errorf("parse schedule %q: %w", spec, err)
	}
	if every, ok := s.(cron.ConstantDelaySchedule); ok {
		return every.Delay, nil
	}
	end := periodReference.AddDate(5, 0, 0)
	if weekly(spec) {
		end = periodReference.AddDate(0, 0, 8)
	}
	prev := s.Next(periodReference)
	var longest time.Duration
	for i := 0; i < 20000 && !prev.IsZero(); i++ {
		next := s.Next(prev)
		if next.IsZero() {
			break
		}
		longest = max(longest, next.Sub(prev))
		if next.After(end) {
			break
		}
		prev = next
	}
	if longest == 0 {
		return 0, fmt.Errorf("the schedule %q runs at most once", spec)
	}
	return longest, nil
}

// weekly reports whether a schedule's runs repeat every week: its day of
// the month and month fields are both "*" (or "?"), or it is a macro for
// hourly, daily or weekly runs.
func weekly(spec string) bool {
	f := strings.Fields(spec)
	if len(f) > 0 && (strings.HasPrefix(f[0], "CRON_TZ=") || strings.HasPrefix(f[0], "TZ=")) {
		f = f[1:]
	}
	if len(f) == 1 {
		switch f[0] {
		case "@hourly", "@daily", "@midnight", "@weekly":
			return true
		}
		return false
	}
	star := func(s string) bool { return s == "*" || s == "?" }
	return len(f) == 5 && star(f[2]) && star(f[3])
}
