package policy

import (
	"strconv"
	"strings"
)

// legacyDateOK reports whether AWS's older policy parser accepts val as the
// value of a Date condition: an ISO 8601 date-time (any prefix of
// YYYY-MM-DDThh:mm:ss.fffffffff with a Z or ±hh[:mm] zone) or a count of
// epoch seconds. The year range is that of a Java Date, which is where AWS's
// limits come from.
func legacyDateOK(val string) bool {
	v := strings.ToLower(val)
	if !strings.ContainsAny(v, "t-") {
		n, ok := legacyInt(v)
		return ok && n >= 0
	}
	date, clock, _ := strings.Cut(v, "t")
	return legacyDatePartOK(date) && legacyClockOK(clock)
}

func legacyDatePartOK(date string) bool {
	neg := strings.HasPrefix(date, "-")
	if neg {
		date = date[1:]
	}
	parts := strings.Split(date, "-")
	if len(parts) > 3 {
		return false
	}
	year := parts[0]
	if neg {
		year = "-" + year
	}
	if !legacyIntIn(year, -292275054, 292278993) {
		return false
	}
	if len(parts) > 1 && !legacyIntIn(parts[1], 1, 12) {
		return false
	}
	return len(parts) < 3 || legacyIntIn(parts[2], 1, 31)
}

func legacyClockOK(clock string) bool {
	parts := strings.SplitN(clock, ":", 3)
	if parts[0] != "" && !legacyIntIn(parts[0], 0, 23) {
		return false
	}
	if len(parts) > 1 && !legacyIntIn(parts[1], 0, 59) {
		return false
	}
	if len(parts) < 3 {
		return true
	}
	secs, ok := legacyStripZone(parts[2])
	if !ok {
		return false
	}
	whole, frac, hasFrac := strings.Cut(secs, ".")
	if !legacyIntIn(whole, 0, 59) {
		return false
	}
	return !hasFrac || legacyIntIn(frac, 0, 999999999)
}

// legacyStripZone removes a trailing "z" or "+hh[:mm]"/"-hh[:mm]" zone from
// the seconds field and checks it.
func legacyStripZone(s string) (string, bool) {
	if secs, rest, ok := strings.Cut(s, "z"); ok {
		return secs, rest == ""
	}
	i := strings.IndexAny(s, "+-")
	if i < 0 {
		return s, true
	}
	hh, mm, hasMM := strings.Cut(s[i+1:], ":")
	if len(hh) != 2 || !legacyIntIn(hh, 0, 23) {
		return "", false
	}
	if hasMM && (len(mm) != 2 || !legacyIntIn(mm, 0, 59)) {
		return "", false
	}
	return s[:i], true
}

func legacyIntIn(s string, lo, hi int64) bool {
	n, ok := legacyInt(s)
	return ok && n >= lo && n <= hi
}

// legacyInt parses a decimal integer, allowing a sign and surrounding
// spaces as the older parser did.
func legacyInt(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	digits := strings.TrimLeft(s, "+-")
	if len(s)-len(digits) > 1 || digits == "" {
		return 0, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
