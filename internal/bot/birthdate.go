package bot

import (
	"regexp"
	"strconv"
	"time"
)

// birthDateRe finds a date written day first: DDMMYYYY, or day, month and
// year separated by the same '-', '/', '.' or space (D-M-YYYY, DD/MM/YYYY,
// DD.MM.YYYY, ...), at the start of the text it is given. It must not be
// followed by another digit; ParseBirthDate checks the digit before.
var birthDateRe = regexp.MustCompile(`^(?:([0-9]{2})([0-9]{2})([0-9]{4})|([0-9]{1,2})([-/. ])([0-9]{1,2})([-/. ])([0-9]{4}))(?:[^0-9]|$)`)

// ParseBirthDate reads the first day-first date in text, such as 17081990,
// 17-08-1990, 17/08/1990, 17.08.1990 or 7-8-1990. It returns the date at
// midnight UTC, and false when text holds no real calendar date between the
// years 1900 and 2100.
func ParseBirthDate(text string) (time.Time, bool) {
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
		if year < 1900 || year > 2100 || month < 1 || month > 12 || day < 1 {
			continue
		}
		t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
		if t.Day() != day { // 31 February rolls over into March
			continue
		}
		return t, true
	}
	return time.Time{}, false
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }
