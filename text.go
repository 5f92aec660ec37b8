package sigap

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Text from outside (a WhatsApp message, the simulator, an imported row)
// may hold bytes that the two database engines store differently:
// PostgreSQL refuses NUL and invalid UTF-8 while SQLite takes anything, so
// the same message would be kept on one and retried until lost on the
// other. Every entry point therefore cleans free text with CleanText, or
// refuses it with CheckText, before it reaches a store.

// MaxTextRunes is the most characters a text from outside keeps: WhatsApp's
// own limit on a text message's body.
const MaxTextRunes = 4096

// MaxTicketRunes is the longest feedback a ticket takes, in characters:
// enough for a detailed complaint, short enough for staff to read.
const MaxTicketRunes = 2000

// IsControl reports whether r is a control character that text from
// outside must not carry: C0 (U+0000-U+001F) but tab and newline, DEL
// (U+007F) and C1 (U+0080-U+009F).
func IsControl(r rune) bool {
	return r < 0x20 && r != '\t' && r != '\n' || r >= 0x7f && r <= 0x9f
}

// CleanText makes text from outside safe to store and to show: it removes
// control characters (see IsControl), turns a carriage return into a
// newline (CRLF into one newline), replaces each byte of invalid UTF-8 with
// U+FFFD (as encoding/json does), and keeps the first MaxTextRunes
// characters. Clean text comes back as it is, without copying.
func CleanText(s string) string {
	if isCleanASCII(s) {
		return s
	}
	var b strings.Builder
	b.Grow(min(len(s), MaxTextRunes*utf8.UTFMax))
	n := 0
	for i := 0; i < len(s) && n < MaxTextRunes; {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\r':
			if i < len(s) && s[i] == '\n' {
				continue // the newline follows
			}
			b.WriteByte('\n')
		case IsControl(r):
			continue
		default:
			b.WriteString(s[i-size : i])
		}
		n++
	}
	return b.String()
}

// isCleanASCII reports, quickly, whether s is printable ASCII, tabs and
// newlines, and short enough to be kept whole.
func isCleanASCII(s string) bool {
	if len(s) > MaxTextRunes {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t' && c != '\n') || c >= 0x7f {
			return false
		}
	}
	return true
}

// CheckText says what makes s unacceptable as a field of at most maxRunes
// characters, or returns nil: invalid UTF-8, a control character (see
// IsControl; tab and newline too unless multiline), or more characters
// than maxRunes. Its message reads after the field's name ("note has 612
// characters; at most 500").
func CheckText(s string, maxRunes int, multiline bool) error {
	if !utf8.ValidString(s) {
		return errors.New("is not valid UTF-8")
	}
	n := 0
	for _, r := range s {
		n++
		if IsControl(r) || !multiline && (r == '\t' || r == '\n') {
			return fmt.Errorf("holds a control character (%U) at character %d", r, n)
		}
	}
	if n > maxRunes {
		return fmt.Errorf("has %d characters; at most %d", n, maxRunes)
	}
	return nil
}
