package backup

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redisplan/redisplan/internal/model"
)

// at parses "2026-11-29 03:00" as UTC.
func at(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

// cands builds a catalog from times; an ID is its time in the manifest
// form, and a "*" after the time marks a verified backup.
func cands(times ...string) []Candidate {
	var out []Candidate
	for _, s := range times {
		verified := strings.HasSuffix(s, "*")
		t := at(strings.TrimSuffix(s, "*"))
		out = append(out, Candidate{ID: t.Format("20060102T150405Z"), Time: t, Verified: verified})
	}
	return out
}

// render writes decisions one a line: "20261129T030000Z keep: reason; reason"
// or "20261129T030000Z delete".
func render(ds []Decision) []string {
	var out []string
	for _, d := range ds {
		if !d.Keep {
			if len(d.Reasons) > 0 {
				out = append(out, d.ID+" delete?? "+strings.Join(d.Reasons, "; "))
				continue
			}
			out = append(out, d.ID+" delete")
			continue
		}
		out = append(out, d.ID+" keep: "+strings.Join(d.Reasons, "; "))
	}
	return out
}

func TestSelect(t *testing.T) {
	now := at("2026-11-30 12:00")
	for _, tc := range []struct {
		name  string
		cands []Candidate
		r     model.Retention
		want  []string
	}{
		{
			name: "empty catalog",
			r:    model.Retention{KeepLast: 3, KeepMin: 2},
		},
		{
			name:  "no rules keeps everything",
			cands: cands("2026-11-29 03:00", "2020-01-01 00:00"),
			want: []string{
				"20261129T030000Z keep: no retention rules",
				"20200101T000000Z keep: no retention rules",
			},
		},
		{
			name:  "keep_min alone is not a rule",
			cands: cands("2026-11-29 03:00", "2026-11-28 03:00", "2026-11-27 03:00"),
			r:     model.Retention{KeepMin: 1},
			want: []string{
				"20261129T030000Z keep: no retention rules",
				"20261128T030000Z keep: no retention rules",
				"20261127T030000Z keep: no retention rules",
			},
		},
		{
			name:  "keep_last",
			cands: cands("2026-11-27 03:00", "2026-11-29 03:00", "2026-11-28 03:00", "2026-11-26 03:00"),
			r:     model.Retention{KeepLast: 2},
			want: []string{
				"20261129T030000Z keep: keep_last 2",
				"20261128T030000Z keep: keep_last 2",
				"20261127T030000Z delete",
				"20261126T030000Z delete",
			},
		},
		{
			name:  "keep_last larger than the catalog",
			cands: cands("2026-11-29 03:00"),
			r:     model.Retention{KeepLast: 5},
			want:  []string{"20261129T030000Z keep: keep_last 5"},
		},
		{
			name: "keep_daily counts only the newest of a day",
			cands: cands("2026-11-30 03:00", "2026-11-29 23:59", "2026-11-29 15:00", "2026-11-29 00:00",
				"2026-11-27 03:00", "2026-11-26 03:00"),
			r: model.Retention{KeepDaily: 3},
			want: []string{
				"20261130T030000Z keep: keep_daily 3 (2026-11-30)",
				"20261129T235900Z keep: keep_daily 3 (2026-11-29)",
				"20261129T150000Z delete",
				"20261129T000000Z delete",
				// A day without a backup (11-28) does not use up a slot.
				"20261127T030000Z keep: keep_daily 3 (2026-11-27)",
				"20261126T030000Z delete",
			},
		},
		{
			name: "keep_weekly uses ISO weeks",
			cands: cands("2026-11-30 03:00", // Monday, W49
				"2026-11-29 03:00", "2026-11-23 03:00", // Sunday and Monday of W48
				"2026-11-22 03:00", "2026-11-16 03:00"), // W47
			r: model.Retention{KeepWeekly: 3},
			want: []string{
				"20261130T030000Z keep: keep_weekly 3 (2026-W49)",
				"20261129T030000Z keep: keep_weekly 3 (2026-W48)",
				"20261123T030000Z delete",
				"20261122T030000Z keep: keep_weekly 3 (2026-W47)",
				"20261116T030000Z delete",
			},
		},
		{
			name:  "keep_weekly across the new year",
			cands: cands("2027-01-04 03:00", "2027-01-03 03:00", "2026-12-28 03:00", "2026-12-27 03:00"),
			r:     model.Retention{KeepWeekly: 2},
			want: []string{
				"20270104T030000Z keep: keep_weekly 2 (2027-W01)",
				"20270103T030000Z keep: keep_weekly 2 (2026-W53)",
				"20261228T030000Z delete",
				"20261227T030000Z delete",
			},
		},
		{
			name:  "keep_monthly",
			cands: cands("2026-11-30 03:00", "2026-11-01 03:00", "2026-10-31 23:00", "2026-10-01 03:00", "2026-08-15 03:00", "2026-07-01 03:00"),
			r:     model.Retention{KeepMonthly: 3},
			want: []string{
				"20261130T030000Z keep: keep_monthly 3 (2026-11)",
				"20261101T030000Z delete",
				"20261031T230000Z keep: keep_monthly 3 (2026-10)",
				"20261001T030000Z delete",
				"20260815T030000Z keep: keep_monthly 3 (2026-08)",
				"20260701T030000Z delete",
			},
		},
		{
			name: "buckets are UTC days",
			cands: []Candidate{
				// 23:30 in New York on the 29th is the 30th in UTC.
				{ID: "b", Time: time.Date(2026, 11, 29, 23, 30, 0, 0, time.FixedZone("EST", -5*3600))},
				{ID: "a", Time: at("2026-11-30 01:00")},
			},
			r: model.Retention{KeepDaily: 1},
			want: []string{
				"b keep: keep_daily 1 (2026-11-30)",
				"a delete",
			},
		},
		{
			name:  "max_age alone",
			cands: cands("2026-11-30 11:00", "2026-11-23 12:01", "2026-11-23 12:00", "2026-11-01 00:00"),
			r:     model.Retention{MaxAge: 7 * 24 * time.Hour},
			want: []string{
				"20261130T110000Z keep: max_age 7d",
				"20261123T120100Z keep: max_age 7d",
				// Exactly max_age old is not younger than max_age.
				"20261123T120000Z delete",
				"20261101T000000Z delete",
			},
		},
		{
			name:  "max_age in hours",
			cands: cands("2026-11-30 00:00", "2026-11-28 00:00"),
			r:     model.Retention{MaxAge: 36 * time.Hour},
			want: []string{
				"20261130T000000Z keep: max_age 36h",
				"20261128T000000Z delete",
			},
		},
		{
			name: "rules are ORed",
			cands: cands("2026-11-30 03:00", "2026-11-29 03:00", "2026-11-28 03:00", "2026-11-20 03:00",
				"2026-10-15 03:00", "2026-10-01 03:00", "2026-09-01 03:00"),
			r: model.Retention{KeepLast: 1, KeepDaily: 2, KeepMonthly: 2, MaxAge: 3 * 24 * time.Hour},
			want: []string{
				"20261130T030000Z keep: keep_last 1; keep_daily 2 (2026-11-30); keep_monthly 2 (2026-11); max_age 3d",
				"20261129T030000Z keep: keep_daily 2 (2026-11-29); max_age 3d",
				"20261128T030000Z keep: max_age 3d",
				"20261120T030000Z delete",
				"20261015T030000Z keep: keep_monthly 2 (2026-10)",
				"20261001T030000Z delete",
				"20260901T030000Z delete",
			},
		},
		{
			name:  "keep_min tops up with the newest of the rest",
			cands: cands("2026-11-30 03:00", "2026-11-29 03:00", "2026-11-28 03:00", "2026-11-27 03:00", "2026-11-26 03:00"),
			r:     model.Retention{KeepLast: 1, KeepMin: 3},
			want: []string{
				"20261130T030000Z keep: keep_last 1",
				"20261129T030000Z keep: keep_min 3",
				"20261128T030000Z keep: keep_min 3",
				"20261127T030000Z delete",
				"20261126T030000Z delete",
			},
		},
		{
			name:  "keep_min when every backup is too old",
			cands: cands("2026-10-03 03:00", "2026-10-02 03:00", "2026-10-01 03:00"),
			r:     model.Retention{MaxAge: 30 * 24 * time.Hour, KeepMin: 2},
			want: []string{
				"20261003T030000Z keep: keep_min 2",
				"20261002T030000Z keep: keep_min 2",
				"20261001T030000Z delete",
			},
		},
		{
			name:  "keep_min met by the rules adds nothing",
			cands: cands("2026-11-30 03:00", "2026-11-29 03:00", "2026-11-28 03:00"),
			r:     model.Retention{KeepLast: 2, KeepMin: 2},
			want: []string{
				"20261130T030000Z keep: keep_last 2",
				"20261129T030000Z keep: keep_last 2",
				"20261128T030000Z delete",
			},
		},
		{
			name:  "keep_min larger than the catalog",
			cands: cands("2026-01-02 03:00", "2026-01-01 03:00"),
			r:     model.Retention{MaxAge: 24 * time.Hour, KeepMin: 5},
			want: []string{
				"20260102T030000Z keep: keep_min 5",
				"20260101T030000Z keep: keep_min 5",
			},
		},
		{
			name:  "one backup is always kept",
			cands: cands("2026-10-02 03:00", "2026-10-01 03:00"),
			r:     model.Retention{MaxAge: 24 * time.Hour},
			want: []string{
				"20261002T030000Z keep: newest backup (one is always kept)",
				"20261001T030000Z delete",
			},
		},
		{
			name:  "the newest verified backup is kept when every rule drops it",
			cands: cands("2026-11-30 03:00", "2026-11-29 03:00", "2026-11-28 03:00*", "2026-11-27 03:00*"),
			r:     model.Retention{KeepLast: 1},
			want: []string{
				"20261130T030000Z keep: keep_last 1",
				"20261129T030000Z delete",
				"20261128T030000Z keep: newest verified backup",
				// Only the newest verified one is protected.
				"20261127T030000Z delete",
			},
		},
		{
			name:  "the newest verified backup is kept besides the floor",
			cands: cands("2026-10-03 03:00", "2026-10-02 03:00", "2026-10-01 03:00*"),
			r:     model.Retention{MaxAge: 24 * time.Hour},
			want: []string{
				"20261003T030000Z keep: newest backup (one is always kept)",
				"20261002T030000Z delete",
				"20261001T030000Z keep: newest verified backup",
			},
		},
		{
			name:  "a verified backup kept by a rule says so too",
			cands: cands("2026-11-30 03:00*", "2026-11-29 03:00*"),
			r:     model.Retention{KeepLast: 1},
			want: []string{
				"20261130T030000Z keep: keep_last 1; newest verified backup",
				"20261129T030000Z delete",
			},
		},
		{
			name: "same time sorts by id",
			cands: []Candidate{
				{ID: "a", Time: at("2026-11-30 03:00")},
				{ID: "b", Time: at("2026-11-30 03:00")},
			},
			r: model.Retention{KeepLast: 1},
			want: []string{
				"b keep: keep_last 1",
				"a delete",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Select(tc.cands, tc.r, now)
			if len(got) != len(tc.cands) {
				t.Fatalf("Select returned %d decisions for %d candidates", len(got), len(tc.cands))
			}
			if diff := cmp.Diff(tc.want, render(got)); diff != "" {
				t.Errorf("Select (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSelectDoesNotModifyInput(t *testing.T) {
	in := cands("2026-11-28 03:00", "2026-11-30 03:00", "2026-11-29 03:00")
	before := fmt.Sprint(in)
	Select(in, model.Retention{KeepLast: 1}, at("2026-11-30 12:00"))
	if after := fmt.Sprint(in); after != before {
		t.Errorf("Select reordered its input: %s, was %s", after, before)
	}
}

func TestSelectAlwaysKeepsOne(t *testing.T) {
	// Whatever the policy, a non-empty catalog keeps a backup.
	now := at("2026-11-30 12:00")
	catalog := cands("2020-01-01 00:00", "2019-06-01 00:00")
	for _, r := range []model.Retention{
		{MaxAge: time.Hour},
		{KeepLast: 1},
		{KeepDaily: 1},
		{KeepWeekly: 1},
		{KeepMonthly: 1},
		{MaxAge: time.Hour, KeepMin: 0},
	} {
		kept := 0
		for _, d := range Select(catalog, r, now) {
			if d.Keep {
				kept++
			}
		}
		if kept == 0 {
			t.Errorf("%+v kept nothing", r)
		}
	}
}

// TestSelectKeepsNewestWithKeys: a server that came back empty goes on
// being backed up; however many empty backups follow, the newest verified
// one that holds keys stays, and says why.
func TestSelectKeepsNewestWithKeys(t *testing.T) {
	now := at("2026-11-30 12:00")
	cs := cands("2026-11-26 03:00*", "2026-11-27 03:00*", "2026-11-28 03:00*", "2026-11-29 03:00*", "2026-11-30 03:00*")
	cs[0].HoldsData = true // an older one with keys
	cs[1].HoldsData = true // the last one before the server came back empty
	got := render(Select(cs, model.Retention{KeepLast: 2}, now))
	want := []string{
		"20261130T030000Z keep: keep_last 2; newest verified backup",
		"20261129T030000Z keep: keep_last 2",
		"20261128T030000Z delete",
		"20261127T030000Z keep: newest verified backup holding keys",
		"20261126T030000Z delete",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decisions (-want +got):\n%s", diff)
	}
	// When the newest backup holds keys, it is the one both floors keep.
	for i := range cs {
		cs[i].HoldsData = true
	}
	got = render(Select(cs, model.Retention{KeepLast: 1}, now))
	if got[0] != "20261130T030000Z keep: keep_last 1; newest verified backup" || strings.Contains(strings.Join(got, "\n"), "holding keys") {
		t.Errorf("decisions:\n%s", strings.Join(got, "\n"))
	}
}
