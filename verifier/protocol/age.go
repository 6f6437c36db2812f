package protocol

import (
	"fmt"
	"time"
)

// AgeCutoff returns the latest birth date of a person who is at least years
// old on the calendar date today (only its year, month and day are used).
// Birthdays follow calendar rules: a person born on 29 February has their
// birthday on 1 March in non-leap years, so on 28 February of a non-leap
// year they are not yet a year older.
//
// "Age ≥ years" is then "birthDate ≤ AgeCutoff(today, years)".
func AgeCutoff(today time.Time, years int) (time.Time, error) {
	if years < 0 || years > 200 {
		return time.Time{}, fmt.Errorf("%w: age %d out of range", ErrInvalidRequest, years)
	}
	y, m, d := today.Date()
	cy := y - years
	if m == time.February && d == 29 && !isLeap(cy) {
		// Born on 28 Feb: birthday reached. Born on 1 Mar: not yet.
		d = 28
	}
	return time.Date(cy, m, d, 0, 0, 0, 0, time.UTC), nil
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }
