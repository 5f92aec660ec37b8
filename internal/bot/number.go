package bot

import (
	"strings"
	"unicode"

	"github.com/sigap-id/sigap"
)

// ExtractApplicationNumber finds a 16-digit application number anywhere in
// text. The digits may be written in groups separated by one space, dot or
// dash ("1234 5678 9012 3456", "1234.5678.9012.3456"). A run of such groups
// is a number only if it holds exactly 16 digits, so a 15-digit billing code,
// a phone number or a 17-digit typo is not taken for one. A run whose groups
// split into whole 16-digit numbers ("1234567890123456 6543210987654321") is
// several numbers written one after the other; the first is returned, as it
// is when numbers are apart. Invisible formatting characters (zero-width
// spaces, direction marks) are ignored. The result is 16 ASCII digits.
func ExtractApplicationNumber(text string) (string, bool) {
	var (
		run    []byte // the digits of the current run
		groups []int  // the length of each group in the run
		group  int    // digits in the current group
		sep    bool   // the last rune was a separator inside the run
	)
	end := func() (string, bool) {
		if group > 0 {
			groups = append(groups, group)
		}
		n, ok := firstNumber(run, groups)
		run, groups, group, sep = run[:0], groups[:0], 0, false
		return n, ok
	}
	for _, r := range text {
		switch {
		case r >= '0' && r <= '9':
			run = append(run, byte(r))
			group++
			sep = false
		case unicode.Is(unicode.Cf, r):
			// Zero-width and direction marks copied along with a number.
		case isSeparator(r) && group > 0 && !sep:
			groups = append(groups, group)
			group = 0
			sep = true
		default:
			if n, ok := end(); ok {
				return n, true
			}
		}
	}
	return end()
}

// firstNumber splits a run of digit groups into application numbers: every
// group must fall in one number and every number must have 16 digits.
func firstNumber(run []byte, groups []int) (string, bool) {
	if len(run) == 0 || len(run)%sigap.ApplicationNumberLen != 0 {
		return "", false
	}
	sum := 0
	for _, g := range groups {
		sum += g
		if sum > sigap.ApplicationNumberLen {
			return "", false
		}
		if sum == sigap.ApplicationNumberLen {
			sum = 0
		}
	}
	return string(run[:sigap.ApplicationNumberLen]), true
}

// isSeparator reports whether r may stand between two groups of digits:
// any space (a no-break space too), a dot, or a dash of any kind.
func isSeparator(r rune) bool {
	return unicode.IsSpace(r) || r == '.' || strings.ContainsRune("-‐‑‒–—−", r)
}
