package bot

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestParseBirthDateWords: birth dates written with the month's name, as
// applicants write them, and what must not be read as one.
func TestParseBirthDateWords(t *testing.T) {
	now := time.Date(2026, 1, 20, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		text string
		want string // YYYY-MM-DD, or "" for no date
	}{
		{"5 April 1992", "1992-04-05"},
		{"05 apr 92", "1992-04-05"},
		{"April 5, 1992", "1992-04-05"},
		{"april 5 1992", "1992-04-05"},
		{"5th April 1992", "1992-04-05"},
		{"April 5th, 1992", "1992-04-05"},
		{"17 Agustus 1945", "1945-08-17"},
		{"17-agu-1990", "1990-08-17"},
		{"17 agt 1990", "1990-08-17"},
		{"17 Aug. 1990", "1990-08-17"},
		{"1 Mei 2000", "2000-05-01"},
		{"1 may 2000", "2000-05-01"},
		{"4 Nopember 1995", "1995-11-04"},
		{"4 nop 95", "1995-11-04"},
		{"25 Desember 1978", "1978-12-25"},
		{"25 des 78", "1978-12-25"},
		{"December 25th, 1978", "1978-12-25"},
		{"29 Februari 1988", "1988-02-29"}, // 1988 is a leap year
		{"29 pebruari 1988", "1988-02-29"},
		{"9 febuari 2001", "2001-02-09"}, // a common misspelling
		{"30 juni 1969", "1969-06-30"},
		{"12 oktober 2005", "2005-10-12"},
		{"12 okt 05", "2005-10-12"}, // two digits: the latest year not after now's
		{"12 okt 26", "2026-10-12"},
		{"12 okt 27", "1927-10-12"},
		{"tgl lahir saya 7 Juli 1977 min", "1977-07-07"},
		{"lahir: 3 Januari 1980.", "1980-01-03"},
		{"3/jan/1980", "1980-01-03"},
		{"3.januari.1980", "1980-01-03"},
		{"17081990", "1990-08-17"}, // digits still first

		{"29 Februari 1990", ""}, // not a leap year
		{"31 April 1990", ""},    // April has 30 days
		{"29 Februari", ""},      // no year
		{"April 1992", ""},       // no day
		{"5 April", ""},          // no year
		{"123 April 1992", ""},   // no 123rd
		{"5 Apel 1992", ""},      // apel is no month (distance 2 from april)
		{"5 juna 1992", ""},      // juni or juli? neither
		{"5 jam 1992", ""},
		{"5 April 1899", ""}, // before 1900
		{"may I ask 5 1992", ""},
		{"5 (April) 1992", ""}, // only spaces and - / . , between the parts
	}
	for _, tt := range tests {
		got, ok := parseBirthDate(tt.text, now)
		var s string
		if ok {
			s = got.Format("2006-01-02")
		}
		if diff := cmp.Diff(tt.want, s); diff != "" {
			t.Errorf("parseBirthDate(%q) mismatch (-want +got):\n%s", tt.text, diff)
		}
	}
	// Without today's date a two-digit year is not read.
	if d, ok := ParseBirthDate("05 apr 92"); ok {
		t.Errorf("ParseBirthDate(05 apr 92) = %v; want no date without a clock", d)
	}
	if d, ok := ParseBirthDate("5 April 1992"); !ok || d.Format("2006-01-02") != "1992-04-05" {
		t.Errorf("ParseBirthDate(5 April 1992) = %v, %v", d, ok)
	}
}

// FuzzParseBirthDate: any text either holds no date or a real one between
// 1900 and 2100, and reading it never fails.
func FuzzParseBirthDate(f *testing.F) {
	for _, s := range []string{"5 April 1992", "05 apr 92", "April 5th, 1992", "29 februari 1988", "17081990", "5th", "may 5"} {
		f.Add(s)
	}
	now := time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := parseBirthDate(s, now)
		if ok && (d.Year() < 1900 || d.Year() > 2100) {
			t.Fatalf("parseBirthDate(%q) = %v", s, d)
		}
	})
}
