package sigap_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sigap-id/sigap"
)

func TestCleanText(t *testing.T) {
	long := strings.Repeat("é", sigap.MaxTextRunes+10)
	tests := []struct {
		name, in, want string
	}{
		{"plain", "cek 1060000000000001", "cek 1060000000000001"},
		{"tab and newline kept", "baris 1\n\tbaris 2", "baris 1\n\tbaris 2"},
		{"NUL removed", "ab\x00c", "abc"},
		{"C0 removed", "a\x01\x07\x1b[31mb\x1f", "a[31mb"},
		{"DEL removed", "a\x7fb", "ab"},
		{"C1 removed", "a\u0080b\u0085c\u009fd", "abcd"},
		{"CRLF is one newline", "a\r\nb", "a\nb"},
		{"lone CR is a newline", "a\rb\r", "a\nb\n"},
		{"invalid UTF-8 replaced byte by byte", "a\xffb\xc3", "a\uFFFDb\uFFFD"},
		{"other scripts and emoji kept", "Sàya 🙏 paspor", "Sàya 🙏 paspor"},
		{"U+00A0 is not C1", "a\u00a0b", "a\u00a0b"},
		{"cut at MaxTextRunes", long, strings.Repeat("é", sigap.MaxTextRunes)},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sigap.CleanText(tt.in); got != tt.want {
				t.Errorf("CleanText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCheckText(t *testing.T) {
	tests := []struct {
		in        string
		max       int
		multiline bool
		want      string // "" for no error
	}{
		{"Budi Santoso", 100, false, ""},
		{"Siti Rahayu-Putri", 5, false, "has 17 characters; at most 5"},
		{"ééééé", 5, false, ""},
		{"Bawa akta\nkelahiran", 500, true, ""},
		{"Bawa akta\nkelahiran", 500, false, "holds a control character (U+000A) at character 10"},
		{"a\tb", 10, false, "holds a control character (U+0009) at character 2"},
		{"ab\x00", 10, true, "holds a control character (U+0000) at character 3"},
		{"a\u0085", 10, true, "holds a control character (U+0085) at character 2"},
		{"a\xff", 10, true, "is not valid UTF-8"},
	}
	for _, tt := range tests {
		err := sigap.CheckText(tt.in, tt.max, tt.multiline)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("CheckText(%q, %d, %v) = %q, want %q", tt.in, tt.max, tt.multiline, got, tt.want)
		}
	}
}

// FuzzCleanText checks what every store relies on: clean text is valid
// UTF-8 without control characters other than tab and newline, no longer
// than MaxTextRunes, passes CheckText, and is its own cleaning.
func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"", "halo", "a\x00b", "\r\n\r", "\xff\xfe", "\u0085\u009f\u007f", "Sàya 🙏", strings.Repeat("x", sigap.MaxTextRunes+1)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := sigap.CleanText(s)
		if !utf8.ValidString(c) {
			t.Fatalf("CleanText(%q) = %q: invalid UTF-8", s, c)
		}
		if n := utf8.RuneCountInString(c); n > sigap.MaxTextRunes {
			t.Fatalf("CleanText(%q) has %d characters", s, n)
		}
		for _, r := range c {
			if sigap.IsControl(r) || r == '\r' {
				t.Fatalf("CleanText(%q) = %q holds %U", s, c, r)
			}
		}
		if err := sigap.CheckText(c, sigap.MaxTextRunes, true); err != nil {
			t.Fatalf("CheckText(CleanText(%q)): %v", s, err)
		}
		if again := sigap.CleanText(c); again != c {
			t.Fatalf("CleanText is not stable: %q then %q", c, again)
		}
		if utf8.ValidString(s) && sigap.CheckText(s, sigap.MaxTextRunes, true) == nil && !strings.Contains(s, "\r") && c != s {
			t.Fatalf("CleanText changed clean text %q to %q", s, c)
		}
	})
}
