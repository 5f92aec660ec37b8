package main

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"regexp"
	"strings"
)

// safeAttr is the loggers' last guard against secrets and phone numbers
// in a log line (slog.HandlerOptions.ReplaceAttr), whatever part of the
// gateway logs them:
//
//   - a "wamid" is shown as a fingerprint: a WhatsApp message id carries the
//     applicant's phone number in plain base64 ("wamid.HBgNNjI4MTIz…" is
//     6281 23…). The same wamid always gets the same fingerprint, so one
//     message can still be followed through the log.
//   - a password in a URL ("postgres://user:pw@host") or a "password="
//     parameter, in any text or error, is replaced by REDACTED.
//
// Callers still log only what is needed (database URLs go through
// config.RedactDatabase at the source); this catches what slips through,
// such as a driver's error that quotes its connection string.
func safeAttr(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		s := a.Value.String()
		if a.Key == "wamid" {
			return slog.String(a.Key, wamidFingerprint(s))
		}
		if r := redactSecrets(s); r != s {
			return slog.String(a.Key, r)
		}
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok {
			s := err.Error()
			if r := redactSecrets(s); r != s {
				return slog.String(a.Key, r)
			}
		}
	}
	return a
}

// wamidFingerprint replaces a WhatsApp message id by "wamid#" and the first
// 12 hex digits of its SHA-256. The id's random part makes the hash
// impossible to reverse into the phone number it contains.
func wamidFingerprint(id string) string {
	if !strings.HasPrefix(id, "wamid.") {
		return id // the simulator's and the tests' own ids carry no number
	}
	sum := sha256.Sum256([]byte(id))
	return "wamid#" + hex.EncodeToString(sum[:6])
}

var (
	urlPassword   = regexp.MustCompile(`(://[^\s:/@"'<>]*):[^\s@/"'<>]*@`)
	paramPassword = regexp.MustCompile(`(?i)(password=)[^\s&"']*`)
)

func redactSecrets(s string) string {
	if strings.Contains(s, "://") {
		s = urlPassword.ReplaceAllString(s, "$1:REDACTED@")
	}
	if strings.Contains(strings.ToLower(s), "password=") {
		s = paramPassword.ReplaceAllString(s, "${1}REDACTED")
	}
	return s
}
