package whatsapp

import (
	"strings"

	"github.com/sigap-id/sigap"
)

// A delivery is signed by Meta, but what it carries was typed by anyone:
// ToDelivery keeps only ids of the shapes Meta uses and cleans free text
// with sigap.CleanText, so that one odd message (a NUL in its text, a
// control character in its sender) is cleaned or dropped alone instead of
// failing the whole delivery on PostgreSQL and being stored on SQLite.

// maxIDBytes bounds a message or status id; a wamid is about 60 bytes.
const maxIDBytes = 256

// validID reports whether s can be a Cloud API id (a wamid): 1 to
// maxIDBytes bytes of printable ASCII.
func validID(s string) bool {
	if s == "" || len(s) > maxIDBytes {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// validSender reports whether s can be who wrote a message: a wa_id (the
// phone number in digits, as Meta writes it, at most 20) or a
// business-scoped user id ("US.13491208655302741918": a two-letter country
// code, a dot, then letters and digits, at most 128).
func validSender(s string) bool {
	if s != "" && len(s) <= 20 && strings.Trim(s, "0123456789") == "" {
		return true
	}
	if len(s) < 4 || len(s) > 3+128 || s[2] != '.' || !isUpper(s[0]) || !isUpper(s[1]) {
		return false
	}
	for i := 3; i < len(s); i++ {
		if c := s[i]; !isUpper(c) && !(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

// cleanSender returns s if it is a valid sender, else "".
func cleanSender(s string) string {
	if validSender(s) {
		return s
	}
	return ""
}

// clean is sigap.CleanText.
func clean(s string) string { return sigap.CleanText(s) }
