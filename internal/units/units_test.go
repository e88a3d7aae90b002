package units

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseMemory(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
	}{
		{"0", 0},
		{"1", 1},
		{"01", 1},
		{"1048576", 1048576},
		{"1b", 1},
		{"1B", 1},
		{"1k", 1000},
		{"1K", 1000},
		{"1kb", 1024},
		{"1kB", 1024},
		{"1KB", 1024},
		{"1m", 1000000},
		{"1mb", 1048576},
		{"64mb", 64 << 20},
		{"64MB", 64 << 20},
		{"1g", 1000000000},
		{"1gb", 1 << 30},
		{"1GB", 1 << 30},
		{"2gb", 2 << 30},
		{"2Gb", 2 << 30},
		{"0gb", 0},
		{"18446744073709551615", math.MaxUint64},
		{"17179869183gb", 17179869183 << 30},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseMemory(tt.in)
			if err != nil {
				t.Fatalf("ParseMemory(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseMemory(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseMemoryErrors(t *testing.T) {
	tests := []struct {
		in     string
		reason string
	}{
		{"", "it is empty"},
		{"-1", "negative sizes are not allowed"},
		{"-1gb", "negative sizes are not allowed"},
		{"+5", "a sign is not allowed"},
		{"1 gb", "spaces are not allowed"},
		{" 1gb", "spaces are not allowed"},
		{"1gb ", "spaces are not allowed"},
		{"2 gigs", "spaces are not allowed"},
		{"gb", "it does not start with a number"},
		{"kb", "it does not start with a number"},
		{"1.5gb", "fractions are not allowed"},
		{"1,5gb", "fractions are not allowed"},
		{"0.5", "fractions are not allowed"},
		{"1t", `"t" is not a known unit`},
		{"1tb", `"tb" is not a known unit`},
		{"1gib", `"gib" is not a known unit`},
		{"1gbb", `"gbb" is not a known unit`},
		{"0x10", `"x10" is not a known unit`},
		{"1e3", `"e3" is not a known unit`},
		{"18446744073709551616", "it is larger than 18446744073709551615 bytes"},
		{"20000000000gb", "it is larger than 18446744073709551615 bytes"},
		{"17179869184gb", "it is larger than 18446744073709551615 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseMemory(tt.in)
			if err == nil {
				t.Fatalf("ParseMemory(%q) succeeded, want error", tt.in)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParseMemory(%q) error %T, want *SyntaxError", tt.in, err)
			}
			if se.Reason != tt.reason {
				t.Errorf("ParseMemory(%q) reason %q, want %q", tt.in, se.Reason, tt.reason)
			}
			msg := err.Error()
			for _, unit := range []string{"kb", "mb", "gb", "k=1000", "kb=1024"} {
				if !strings.Contains(msg, unit) {
					t.Errorf("error %q does not list unit %q", msg, unit)
				}
			}
		})
	}
}

func TestFormatMemory(t *testing.T) {
	tests := []struct {
		in   uint64
		want string
	}{
		{0, "0"},
		{1, "1"},
		{1000, "1000"},
		{1023, "1023"},
		{1024, "1kb"},
		{1536, "1536"},
		{3072, "3kb"},
		{1 << 20, "1mb"},
		{64 << 20, "64mb"},
		{200 << 20, "200mb"},
		{1000000, "1000000"},
		{1 << 30, "1gb"},
		{2 << 30, "2gb"},
		{1024 << 30, "1024gb"},
		{(1 << 30) + (1 << 20), "1025mb"},
		{(1 << 30) + 1024, "1048577kb"},
		{math.MaxUint64, "18446744073709551615"},
	}
	for _, tt := range tests {
		got := FormatMemory(tt.in)
		if got != tt.want {
			t.Errorf("FormatMemory(%d) = %q, want %q", tt.in, got, tt.want)
		}
		back, err := ParseMemory(got)
		if err != nil || back != tt.in {
			t.Errorf("ParseMemory(FormatMemory(%d)) = %d, %v", tt.in, back, err)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"0", 0},
		{"0s", 0},
		{"30s", 30 * time.Second},
		{"15m", 15 * time.Minute},
		{"1h30m", 90 * time.Minute},
		{"25h", 25 * time.Hour},
		{"1.5h", 90 * time.Minute},
		{"250ms", 250 * time.Millisecond},
		{"1us", time.Microsecond},
		{"1µs", time.Microsecond},
		{"10ns", 10},
		{"1d", 24 * time.Hour},
		{"30d", 30 * 24 * time.Hour},
		{"1w", 7 * 24 * time.Hour},
		{"2w", 14 * 24 * time.Hour},
		{"1w2d", 9 * 24 * time.Hour},
		{"2d1w", 9 * 24 * time.Hour},
		{"1d12h", 36 * time.Hour},
		{"1w1d1h1m1s", 8*24*time.Hour + time.Hour + time.Minute + time.Second},
		{"1h1d", 25 * time.Hour},
		{"1d500ms", 24*time.Hour + 500*time.Millisecond},
		{"15250w", 15250 * 7 * 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if err != nil {
				t.Fatalf("ParseDuration(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseDuration(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseDurationErrors(t *testing.T) {
	tests := []struct {
		in     string
		reason string
	}{
		{"", "it is empty"},
		{"-1s", "negative durations are not allowed"},
		{"-1d", "negative durations are not allowed"},
		{"+1s", "a sign is not allowed"},
		{"1 d", "spaces are not allowed"},
		{"1d ", "spaces are not allowed"},
		{"d", "it does not start with a number"},
		{"s", "it does not start with a number"},
		{"30", `"30" has no unit`},
		{"1h30", `"30" has no unit`},
		{"1.5d", "days and weeks must be whole numbers, got 1.5d"},
		{"0.5w", "days and weeks must be whole numbers, got 0.5w"},
		{"1y", `"y" is not a known unit`},
		{"1mo", `"mo" is not a known unit`},
		{"1D", `"D" is not a known unit`},
		{"1H", `"H" is not a known unit`},
		{"1d-5h", `"d-" is not a known unit`},
		{"1..5s", "it is not a valid duration"},
		{"15251w", "it is too long"},
		{"106752d", "it is too long"},
		{"106751d24h", "it is too long"},
		{"99999999999999999999d", "it is too long"},
		{"9999999999999h", "it is not a valid duration"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseDuration(tt.in)
			if err == nil {
				t.Fatalf("ParseDuration(%q) succeeded, want error", tt.in)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParseDuration(%q) error %T, want *SyntaxError", tt.in, err)
			}
			if se.Reason != tt.reason {
				t.Errorf("ParseDuration(%q) reason %q, want %q", tt.in, se.Reason, tt.reason)
			}
			msg := err.Error()
			for _, unit := range []string{"ms", " s,", " h,", "d (24h)", "w (7d)"} {
				if !strings.Contains(msg, unit) {
					t.Errorf("error %q does not list unit %q", msg, unit)
				}
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{time.Second, "1s"},
		{30 * time.Second, "30s"},
		{3600 * time.Second, "1h"},
		{90 * time.Minute, "1h30m"},
		{25 * time.Hour, "1d1h"},
		{24 * time.Hour, "1d"},
		{30 * 24 * time.Hour, "30d"},
		{7 * 24 * time.Hour, "1w"},
		{14 * 24 * time.Hour, "2w"},
		{15 * 24 * time.Hour, "15d"},
		{70 * 24 * time.Hour, "10w"},
		{14*24*time.Hour + time.Hour, "2w1h"},
		{8*24*time.Hour + 2*time.Hour + 3*time.Minute + 4*time.Second, "8d2h3m4s"},
		{time.Hour + time.Second, "1h1s"},
		{1500 * time.Millisecond, "1.5s"},
		{250 * time.Millisecond, "250ms"},
		{time.Hour + 250*time.Millisecond, "1h250ms"},
		{time.Minute + 1500*time.Millisecond, "1m1.5s"},
		{time.Microsecond, "1µs"},
		{1, "1ns"},
		{-90 * time.Minute, "-1h30m"},
	}
	for _, tt := range tests {
		got := FormatDuration(tt.in)
		if got != tt.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFormatDurationRoundTrip(t *testing.T) {
	values := []time.Duration{
		0, 1, 999, time.Microsecond, time.Millisecond, 1500 * time.Millisecond,
		time.Second, 59 * time.Second, time.Minute, time.Hour, 23 * time.Hour,
		24 * time.Hour, 6 * 24 * time.Hour, 7 * 24 * time.Hour, 29 * 24 * time.Hour,
		365 * 24 * time.Hour, 400*24*time.Hour + 5*time.Hour + 7*time.Minute + 11*time.Second + 13,
		math.MaxInt64,
	}
	for _, d := range values {
		s := FormatDuration(d)
		back, err := ParseDuration(s)
		if err != nil {
			t.Errorf("ParseDuration(FormatDuration(%d) = %q): %v", d, s, err)
			continue
		}
		if back != d {
			t.Errorf("ParseDuration(FormatDuration(%d) = %q) = %d", d, s, back)
		}
	}
	if got := FormatDuration(math.MinInt64); got != "-106751d23h47m16.854775808s" {
		t.Errorf("FormatDuration(MinInt64) = %q", got)
	}
}

func TestFormatBytes(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KiB"}, {1536, "1.5 KiB"},
		{48 << 20, "48.0 MiB"}, {3 << 30, "3.0 GiB"}, {2 << 40, "2.0 TiB"},
	} {
		if got := FormatBytes(c.n); got != c.want {
			t.Errorf("FormatBytes(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}
