package http

import (
	"strconv"
	"time"
)

// Dates on the page: x/text has no date formatting, so the month names and the order of day, month and year
// are messages of their own, translated in the catalogs like every other word.

// monthKeys are the month names as message keys, as they read in a date ("2 March 2026").
var monthKeys = [...]string{"January", "February", "March", "April", "May", "June", "July", "August",
	"September", "October", "November", "December"}

// Date writes a moment as the reader's language writes a date and time: "March 2, 2026, 18:00" in English,
// "2 марта 2026, 18:00" in Russian, "2026 жылғы 2 наурыз, 18:00" in Kazakh. t is shown in its own location
// (the cycle's time zone).
func (l *locale) Date(t time.Time) string {
	return l.T("%[1]s %[2]s %[3]s, %[4]s", strconv.Itoa(t.Day()), l.T(monthKeys[t.Month()-1]), strconv.Itoa(t.Year()), t.Format("15:04"))
}

// Left says how long is left until a moment, from now: whole days, or hours on the last day, or minutes in
// the last hour. The numbers follow a label ("days left: 3") so no language needs plural forms.
func (l *locale) Left(until, now time.Time) string {
	d := until.Sub(now)
	switch {
	case d <= 0:
		return ""
	case d >= 24*time.Hour:
		return l.T("days left: %d", int(d/(24*time.Hour)))
	case d >= time.Hour:
		return l.T("hours left: %d", int(d/time.Hour))
	}
	return l.T("minutes left: %d", int(d/time.Minute)+1)
}
