package protocol

import (
	"testing"
	"time"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// isAtLeast reports age ≥ years the way a proof checks it: birth ≤ cutoff.
func isAtLeast(t *testing.T, birth, today time.Time, years int) bool {
	t.Helper()
	c, err := AgeCutoff(today, years)
	if err != nil {
		t.Fatal(err)
	}
	return !birth.After(c)
}

func TestAgeCutoff(t *testing.T) {
	for _, tc := range []struct {
		birth, today time.Time
		years        int
		want         bool
	}{
		// Ordinary birthdays: old enough on the day, not the day before.
		{date(2008, 6, 15), date(2026, 6, 15), 18, true},
		{date(2008, 6, 15), date(2026, 6, 14), 18, false},
		{date(2008, 12, 31), date(2027, 1, 1), 18, true},
		{date(2009, 1, 1), date(2026, 12, 31), 18, false},
		// Born 29 Feb (2008, leap): in 2026 (not leap) the birthday is 1 March.
		{date(2008, 2, 29), date(2026, 2, 28), 18, false},
		{date(2008, 2, 29), date(2026, 3, 1), 18, true},
		// ... and in a leap year it is 29 February itself.
		{date(2008, 2, 29), date(2032, 2, 28), 24, false},
		{date(2008, 2, 29), date(2032, 2, 29), 24, true},
		// Today is 29 Feb and the birth year is not leap: born 28 Feb is
		// old enough, born 1 Mar is not.
		{date(2010, 2, 28), date(2028, 2, 29), 18, true},
		{date(2010, 3, 1), date(2028, 2, 29), 18, false},
		// Births before 1970 work (Go dates, no Unix epoch involved).
		{date(1950, 2, 28), date(2026, 2, 28), 76, true},
		{date(1950, 3, 1), date(2026, 2, 28), 76, false},
		// Age 0: everyone born up to today.
		{date(2026, 2, 28), date(2026, 2, 28), 0, true},
	} {
		if got := isAtLeast(t, tc.birth, tc.today, tc.years); got != tc.want {
			t.Errorf("born %s, on %s, at least %d: got %v, want %v",
				tc.birth.Format(time.DateOnly), tc.today.Format(time.DateOnly), tc.years, got, tc.want)
		}
	}
	if c, _ := AgeCutoff(date(2028, 2, 29), 18); !c.Equal(date(2010, 2, 28)) {
		t.Errorf("cutoff on 2028-02-29 = %s", c.Format(time.DateOnly))
	}
	for _, bad := range []int{-1, 201} {
		if _, err := AgeCutoff(date(2026, 1, 1), bad); err == nil {
			t.Errorf("AgeCutoff(%d) accepted", bad)
		}
	}
}

// TestAgeCutoffExhaustive checks the cutoff against a direct birthday count
// for every birth day of four years and several "today"s around February.
func TestAgeCutoffExhaustive(t *testing.T) {
	birthday := func(birth time.Time, year int) time.Time {
		if birth.Month() == time.February && birth.Day() == 29 && !isLeap(year) {
			return date(year, 3, 1)
		}
		return date(year, birth.Month(), birth.Day())
	}
	for _, today := range []time.Time{date(2026, 2, 28), date(2026, 3, 1), date(2028, 2, 28), date(2028, 2, 29), date(2028, 3, 1), date(2100, 2, 28), date(2100, 3, 1)} {
		for b := date(today.Year()-19, 1, 1); b.Before(date(today.Year()-15, 1, 1)); b = b.AddDate(0, 0, 1) {
			want := !birthday(b, b.Year()+18).After(today)
			if got := isAtLeast(t, b, today, 18); got != want {
				t.Fatalf("born %s on %s: got %v want %v", b.Format(time.DateOnly), today.Format(time.DateOnly), got, want)
			}
		}
	}
}
