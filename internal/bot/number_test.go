package bot

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExtractApplicationNumber(t *testing.T) {
	const n = "1234567890123456"
	tests := []struct {
		name, text, want string
	}{
		{"bare", "1234567890123456", n},
		{"spaces", "1234 5678 9012 3456", n},
		{"dots", "1234.5678.9012.3456", n},
		{"dashes", "1234-5678-9012-3456", n},
		{"en dashes", "1234–5678–9012–3456", n},
		{"mixed separators", "1234 5678.9012-3456", n},
		{"uneven groups", "123 4567 890 123456", n},
		{"in a sentence", "no permohonan 1234567890123456 min", n},
		{"grouped in a sentence", "min, cek 1234 5678 9012 3456 ya. makasih", n},
		{"no-break spaces", "1234\u00a05678\u00a09012\u00a03456", n},
		{"narrow no-break spaces", "1234\u202f5678\u202f9012\u202f3456", n},
		{"zero-width space inside", "12345678\u200b90123456", n},
		{"line break between groups", "1234 5678\n9012 3456", n},
		{"glued to words", "nomor1234567890123456ya", n},
		{"after a colon", "No.Permohonan:1234567890123456", n},
		{"trailing full stop", "Nomor saya 1234567890123456.", n},
		{"emoji around", "🙏1234567890123456🙏", n},
		{"two numbers, first wins", "1234567890123456 dan 6543210987654321", n},
		{"two numbers one space apart", "1234567890123456 6543210987654321", n},
		{"first too short, second fine", "812345 lalu 1234567890123456", n},
		{"billing code then number", "kode 820260120000001 nomor 1234567890123456", n},

		{"empty", "", ""},
		{"no digits", "halo min", ""},
		{"15 digits (billing code)", "820260120000001", ""},
		{"17 digits", "12345678901234567", ""},
		{"16 digits then one more group", "1234 5678 9012 3456 7", ""},
		{"15 digits grouped", "1234 5678 9012 345", ""},
		{"phone number", "+62 812-3456-7890", ""},
		{"phone glued", "081234567890", ""},
		{"double space splits groups", "1234  5678  9012  3456", ""},
		{"space and dash between groups", "1234 - 5678 - 9012 - 3456", ""},
		{"slashes do not join", "1234/5678/9012/3456", ""},
		{"commas do not join", "1234,5678,9012,3456", ""},
		{"money", "Rp1.000.000", ""},
		{"date", "17-08-1990", ""},
		{"32 digits in uneven halves", "12345678901234567 890123456789012", ""},
		{"fullwidth digits", "１２３４５６７８９０１２３４５６", ""},
		{"separator first", ".1234567890123456", n},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ExtractApplicationNumber(tt.text)
			if ok != (tt.want != "") || got != tt.want {
				t.Errorf("ExtractApplicationNumber(%q) = %q, %v; want %q", tt.text, got, ok, tt.want)
			}
		})
	}
}

func FuzzExtractApplicationNumber(f *testing.F) {
	for _, s := range []string{
		"1234567890123456", "1234 5678 9012 3456", "1234.5678.9012.3456", "1234-5678-9012-3456",
		"no permohonan 1234567890123456 min", "820260120000001", "12345678901234567",
		"1234\u00a05678\u00a09012\u00a03456", "1234567890123456 6543210987654321", "1-2-3-4-5-6-7-8-9-0-1-2-3-4-5-6",
		"", "#bayar", "\xff\xfe1234",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got, ok := ExtractApplicationNumber(text)
		if !ok {
			if got != "" {
				t.Fatalf("not found but returned %q", got)
			}
			return
		}
		if len(got) != 16 {
			t.Fatalf("found %q: not 16 bytes", got)
		}
		for i := 0; i < len(got); i++ {
			if got[i] < '0' || got[i] > '9' {
				t.Fatalf("found %q: not ASCII digits", got)
			}
		}
		var digits strings.Builder
		for i := 0; i < len(text); i++ {
			if text[i] >= '0' && text[i] <= '9' {
				digits.WriteByte(text[i])
			}
		}
		if !strings.Contains(digits.String(), got) {
			t.Fatalf("found %q, which is not among the digits of %q", got, text)
		}
	})
}

func TestParseBirthDate(t *testing.T) {
	tests := []struct {
		text string
		want string // YYYY-MM-DD, or "" for no date
	}{
		{"17081990", "1990-08-17"},
		{"17-08-1990", "1990-08-17"},
		{"17/08/1990", "1990-08-17"},
		{"17.08.1990", "1990-08-17"},
		{"17 08 1990", "1990-08-17"},
		{"7-8-1990", "1990-08-07"},
		{"7/8/1990", "1990-08-07"},
		{"07.8.1990", "1990-08-07"},
		{"  17-08-1990  ", "1990-08-17"},
		{"tgl lahir 17-08-1990 min", "1990-08-17"},
		{"lahir:17081990.", "1990-08-17"},
		{"29022000", "2000-02-29"},
		{"01011900", "1900-01-01"},
		{"31021990 atau 17081990", "1990-08-17"},
		{"17 agustus 1990", "1990-08-17"},

		{"", ""},
		{"halo", ""},
		{"1708199", ""},             // 7 digits
		{"170819901", ""},           // 9 digits
		{"1990-08-17", ""},          // year first
		{"17-08/1990", ""},          // mixed separators
		{"17-08-90", ""},            // two-digit year
		{"32081990", ""},            // no 32nd
		{"17131990", ""},            // no 13th month
		{"00081990", ""},            // no day 0
		{"29021990", ""},            // not a leap year
		{"31041990", ""},            // April has 30 days
		{"17081899", ""},            // before 1900
		{"1234567890123456", ""},    // an application number
		{"1234 5678 9012 3456", ""}, // an application number, grouped
		{"820260120000001", ""},     // a billing code
	}
	for _, tt := range tests {
		got, ok := ParseBirthDate(tt.text)
		var s string
		if ok {
			s = got.Format("2006-01-02")
		}
		if diff := cmp.Diff(tt.want, s); diff != "" {
			t.Errorf("ParseBirthDate(%q) mismatch (-want +got):\n%s", tt.text, diff)
		}
	}
}
