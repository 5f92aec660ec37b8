package bot

import (
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// birthDateRe finds a date written day first: DDMMYYYY, or day, month and
// year separated by the same '-', '/', '.' or space (D-M-YYYY, DD/MM/YYYY,
// DD.MM.YYYY, ...), at the start of the text it is given. It must not be
// followed by another digit; parseBirthDate checks the digit before.
var birthDateRe = regexp.MustCompile(`^(?:([0-9]{2})([0-9]{2})([0-9]{4})|([0-9]{1,2})([-/. ])([0-9]{1,2})([-/. ])([0-9]{4}))(?:[^0-9]|$)`)

// ParseBirthDate reads the first birth date in text: 17081990, 17-08-1990,
// 17/08/1990, 17.08.1990, 7-8-1990, or with the month's name in
// Indonesian or English, in full or short (17 Agustus 1990, 17-agu-1990,
// August 17, 1990, 17th Aug 1990). It returns the date at midnight UTC,
// and false when text holds no real calendar date between the years 1900
// and 2100. A two-digit year is not read: parseBirthDate reads it, given
// today's date.
func ParseBirthDate(text string) (time.Time, bool) {
	return parseBirthDate(text, time.Time{})
}

// parseBirthDate is ParseBirthDate that also reads a two-digit year after
// a month's name ("05 apr 92") as the latest such year not after now's
// (92 is 1992 and 05 is 2005 in 2026). A zero now reads none.
func parseBirthDate(text string, now time.Time) (time.Time, bool) {
	if t, ok := numericDate(text); ok {
		return t, true
	}
	return namedDate(text, now)
}

// numericDate reads the first day-first date written with digits only.
func numericDate(text string) (time.Time, bool) {
	for i := 0; i < len(text); i++ {
		if !isDigit(text[i]) || i > 0 && isDigit(text[i-1]) {
			continue
		}
		m := birthDateRe.FindStringSubmatch(text[i:])
		if m == nil {
			continue
		}
		d, mo, y := m[1], m[2], m[3]
		if d == "" {
			if m[5] != m[7] {
				continue
			}
			d, mo, y = m[4], m[6], m[8]
		}
		day, _ := strconv.Atoi(d)
		month, _ := strconv.Atoi(mo)
		year, _ := strconv.Atoi(y)
		if t, ok := calendarDate(year, month, day); ok {
			return t, true
		}
	}
	return time.Time{}, false
}

// calendarDate returns the date if it is a real one between 1900 and 2100.
func calendarDate(year, month, day int) (time.Time, bool) {
	if year < 1900 || year > 2100 || month < 1 || month > 12 || day < 1 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if t.Day() != day { // 31 February rolls over into March
		return time.Time{}, false
	}
	return t, true
}

// monthNames are the names and short forms of the months applicants
// write, Indonesian and English, with common misspellings.
var monthNames = func() map[string]int {
	m := map[string]int{}
	for i, names := range [12]string{
		"januari jan january",
		"februari feb pebruari peb febuari february",
		"maret mar march",
		"april apr",
		"mei may",
		"juni jun june",
		"juli jul july",
		"agustus agu agt ags agus aug august",
		"september sep sept",
		"oktober okt oct october",
		"november nov nop nopember",
		"desember des dec december",
	} {
		for _, n := range strings.Fields(names) {
			m[n] = i + 1
		}
	}
	return m
}()

// fullMonthNames are the names long enough to be read through a typo
// ("agustud"): the same candidates as the lexicon's typo correction.
var fullMonthNames = func() (names [][]rune) {
	for n := range monthNames {
		if len(n) >= 5 {
			names = append(names, []rune(n))
		}
	}
	return names
}()

// month reads a month's name, possibly misspelt by one letter (two from
// eight letters) when no other month is as near.
func month(w string) (int, bool) {
	if m, ok := monthNames[w]; ok {
		return m, true
	}
	if len(w) < 5 {
		return 0, false
	}
	best, found := maxTypos(len(w))+1, 0
	for _, n := range fullMonthNames {
		d := distance([]rune(w), n, maxTypos(len(w)))
		switch m := monthNames[string(n)]; {
		case d < best:
			best, found = d, m
		case d == best && d <= maxTypos(len(w)) && m != found:
			found = -1 // two months as near: neither
		}
	}
	return found, found > 0
}

// dateToken is a run of letters or digits in a message, and whether only
// spaces, '-', '/', '.' or ',' stand between it and the token before.
type dateToken struct {
	text  string
	digit bool
	near  bool
}

// dateTokens cuts text into runs of digits and runs of letters; an
// ordinal suffix (5th, 1st) is dropped from its number.
func dateTokens(text string) []dateToken {
	var (
		out  []dateToken
		cur  []rune
		near = true
	)
	flush := func() {
		if len(cur) > 0 {
			tk := dateToken{text: string(cur), digit: unicode.IsDigit(cur[0]), near: near}
			if n := len(out); !tk.digit && n > 0 && out[n-1].digit && tk.near &&
				(tk.text == "st" || tk.text == "nd" || tk.text == "rd" || tk.text == "th") {
				cur = cur[:0]
				return // "5th": the number stays, the suffix goes
			}
			out = append(out, tk)
			near = true
		}
		cur = cur[:0]
	}
	for _, r := range strings.ToLower(text) {
		switch {
		case unicode.IsDigit(r) || unicode.IsLetter(r):
			if len(cur) > 0 && unicode.IsDigit(cur[0]) != unicode.IsDigit(r) {
				flush()
			}
			cur = append(cur, r)
		case strings.ContainsRune(" -/.,\u00a0", r):
			flush()
		default:
			flush()
			near = false
		}
	}
	flush()
	return out
}

// namedDate reads the first date written with the month's name: day
// month year ("5 April 1992", "05-apr-92") or month day year ("April 5,
// 1992").
func namedDate(text string, now time.Time) (time.Time, bool) {
	tk := dateTokens(text)
	for i := 0; i+2 < len(tk); i++ {
		a, b, c := tk[i], tk[i+1], tk[i+2]
		if !b.near || !c.near {
			continue
		}
		var dayTok, yearTok dateToken
		var m int
		var ok bool
		switch {
		case a.digit && !b.digit && c.digit:
			m, ok = month(b.text)
			dayTok, yearTok = a, c
		case !a.digit && b.digit && c.digit:
			m, ok = month(a.text)
			dayTok, yearTok = b, c
		}
		if !ok || len(dayTok.text) > 2 {
			continue
		}
		day, _ := strconv.Atoi(dayTok.text)
		year, ok := fullYear(yearTok.text, now)
		if !ok {
			continue
		}
		if t, ok := calendarDate(year, m, day); ok {
			return t, true
		}
	}
	return time.Time{}, false
}

// fullYear reads a year of four digits, or of two given now.
func fullYear(s string, now time.Time) (int, bool) {
	y, err := strconv.Atoi(s)
	switch {
	case err != nil:
		return 0, false
	case len(s) == 4:
		return y, true
	case len(s) == 2 && !now.IsZero():
		century := now.Year() / 100 * 100
		if y > now.Year()%100 {
			century -= 100
		}
		return century + y, true
	}
	return 0, false
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }
