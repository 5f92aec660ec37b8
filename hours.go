package sigap

import (
	"strconv"
	"strings"
	"time"
)

// ServiceHours are an office's opening hours read from its hours text
// (the offices file's hours:, written for people): "Senin-Jumat
// 08.00-16.00 WIB", "Senin-Kamis 08.00-16.00, Jumat 08.00-16.30". Days are
// Indonesian or English names (or their first three letters), alone or as
// a range; times HH.MM or HH:MM; a zone name at the end is ignored (the
// office's time zone applies).
type ServiceHours struct {
	// open[weekday] are the day's opening spans, in minutes after
	// midnight.
	open [7][][2]int
}

var dayNames = map[string]time.Weekday{
	"minggu": time.Sunday, "senin": time.Monday, "selasa": time.Tuesday, "rabu": time.Wednesday,
	"kamis": time.Thursday, "jumat": time.Friday, "sabtu": time.Saturday,
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
	"min": time.Sunday, "sen": time.Monday, "sel": time.Tuesday, "rab": time.Wednesday, "kam": time.Thursday,
	"jum": time.Friday, "sab": time.Saturday, "sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday,
	"wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// ParseServiceHours reads an hours text; ok is false when it is not in a
// form it knows (then nothing is said about opening times).
func ParseServiceHours(s string) (h ServiceHours, ok bool) {
	s = strings.ToLower(strings.NewReplacer("'", "", "’", "", "–", "-", "—", "-", " s.d. ", "-", " s/d ", "-", " sampai ", "-").Replace(s))
	any := false
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '\n' }) {
		fields := strings.Fields(strings.ReplaceAll(part, " - ", "-"))
		if len(fields) == 0 {
			continue
		}
		var days []time.Weekday
		var spans [][2]int
		for _, f := range fields {
			if d, ok := parseDays(f); ok {
				days = append(days, d...)
				continue
			}
			if sp, ok := parseSpan(f); ok {
				spans = append(spans, sp)
				continue
			}
			switch f {
			case "wib", "wita", "wit", "dan", "and", "pukul", "jam":
				continue
			}
			return ServiceHours{}, false
		}
		if len(days) == 0 || len(spans) == 0 {
			return ServiceHours{}, false
		}
		for _, d := range days {
			h.open[d] = append(h.open[d], spans...)
		}
		any = true
	}
	return h, any
}

func parseDays(f string) ([]time.Weekday, bool) {
	a, b, isRange := strings.Cut(f, "-")
	from, ok := dayNames[a]
	if !ok {
		return nil, false
	}
	if !isRange {
		return []time.Weekday{from}, true
	}
	to, ok := dayNames[b]
	if !ok {
		return nil, false
	}
	var out []time.Weekday
	for d := from; ; d = (d + 1) % 7 {
		out = append(out, d)
		if d == to {
			return out, true
		}
	}
}

func parseSpan(f string) ([2]int, bool) {
	a, b, ok := strings.Cut(f, "-")
	if !ok {
		return [2]int{}, false
	}
	from, ok1 := parseHoursClock(a)
	to, ok2 := parseHoursClock(b)
	if !ok1 || !ok2 || to <= from {
		return [2]int{}, false
	}
	return [2]int{from, to}, true
}

func parseHoursClock(s string) (int, bool) {
	hh, mm, ok := strings.Cut(strings.ReplaceAll(s, ":", "."), ".")
	if !ok || len(hh) == 0 || len(hh) > 2 || len(mm) != 2 {
		return 0, false
	}
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if err1 != nil || err2 != nil || h > 24 || m > 59 || h*60+m > 24*60 {
		return 0, false
	}
	return h*60 + m, true
}

// NextOpen says whether the office is open at now (in its time zone loc),
// and if not, when it next opens (zero if never: no opening hours).
func (h ServiceHours) NextOpen(now time.Time, loc *time.Location) (open bool, next time.Time) {
	if loc == nil {
		loc = time.UTC
	}
	now = now.In(loc)
	for day := 0; day < 8; day++ {
		date := time.Date(now.Year(), now.Month(), now.Day()+day, 0, 0, 0, 0, loc)
		var best time.Time
		for _, sp := range h.open[date.Weekday()] {
			from := date.Add(time.Duration(sp[0]) * time.Minute)
			to := date.Add(time.Duration(sp[1]) * time.Minute)
			if day == 0 && !now.Before(from) && now.Before(to) {
				return true, time.Time{}
			}
			if from.After(now) && (best.IsZero() || from.Before(best)) {
				best = from
			}
		}
		if !best.IsZero() {
			return false, best
		}
	}
	return false, time.Time{}
}
