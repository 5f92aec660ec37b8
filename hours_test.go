package sigap

import (
	"testing"
	"time"
)

func TestServiceHours(t *testing.T) {
	wib := time.FixedZone("WIB", 7*3600)
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, wib)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// 2026-01-20 is a Tuesday.
	tests := []struct {
		hours, now string
		open       bool
		next       string // "" when open or unknown
	}{
		{"Senin-Jumat 08.00-16.00 WIB", "2026-01-20 10:00", true, ""},
		{"Senin-Jumat 08.00-16.00 WIB", "2026-01-20 07:59", false, "2026-01-20 08:00"},
		{"Senin-Jumat 08.00-16.00 WIB", "2026-01-20 16:00", false, "2026-01-21 08:00"},
		{"Senin-Jumat 08.00-16.00 WIB", "2026-01-23 20:00", false, "2026-01-26 08:00"}, // Friday evening: Monday
		{"Senin-Jumat 08.00-16.00 WIB", "2026-01-24 10:00", false, "2026-01-26 08:00"}, // Saturday
		{"Senin-Kamis 08.00-16.00, Jum'at 08.00-11.30 dan 13.30-16.30", "2026-01-23 12:00", false, "2026-01-23 13:30"},
		{"Monday-Friday 8:00-15:00", "2026-01-20 14:59", true, ""},
		{"Sabtu-Senin 09.00-12.00", "2026-01-20 09:30", false, "2026-01-24 09:00"},
	}
	for _, tt := range tests {
		h, ok := ParseServiceHours(tt.hours)
		if !ok {
			t.Errorf("ParseServiceHours(%q): not understood", tt.hours)
			continue
		}
		open, next := h.NextOpen(at(tt.now), wib)
		want := time.Time{}
		if tt.next != "" {
			want = at(tt.next)
		}
		if open != tt.open || !next.Equal(want) {
			t.Errorf("%q at %s: open %v, next %v; want %v, %v", tt.hours, tt.now, open, next, tt.open, want)
		}
	}
	for _, bad := range []string{"", "24 jam", "Senin-Jumat", "08.00-16.00", "Senin-Jumat pagi", "Senin 16.00-08.00"} {
		if _, ok := ParseServiceHours(bad); ok {
			t.Errorf("ParseServiceHours(%q) understood, want not", bad)
		}
	}
}
