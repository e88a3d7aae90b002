package oncalendar

import (
	"testing"
	"time"
)

func TestPeriod(t *testing.T) {
	day := 24 * time.Hour
	for _, tt := range []struct {
		schedule string
		want     time.Duration
	}{
		{"0 3 * * *", day},
		{"@daily", day},
		{"*/15 * * * *", 15 * time.Minute},
		{"@every 6h", 6 * time.Hour},
		{"0 3 * * 1-5", 3 * day},                             // the weekend
		{"*/15 9-17 * * 1-5", 63*time.Hour + 15*time.Minute}, // Friday 17:45 to Monday 9:00
		{"0 3 * * 0", 7 * day},
		{"0 3 1 * *", 31 * day},
		{"@yearly", 366 * day}, // 2028 is a leap year
		{"0 0 29 2 *", 4*365*day + day},
	} {
		got, err := Period(tt.schedule)
		if err != nil || got != tt.want {
			t.Errorf("Period(%q) = %v, %v; want %v", tt.schedule, got, err, tt.want)
		}
	}
	if _, err := Period("not cron"); err == nil {
		t.Error("no error for an invalid schedule")
	}
}

func BenchmarkPeriod(b *testing.B) {
	for _, s := range []string{"* * * * *", "0 3 * * *"} {
		b.Run(s, func(b *testing.B) {
			for b.Loop() {
				if _, err := Period(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
