package config

import (
	"net/url"
	"strings"
)

// RedactDatabase returns SIGAP_DATABASE fit for a log line or an error
// message: a URL's password (in its user part or a password= parameter) is
// removed, and the scheme, user, host, database and other parameters are
// kept. A sqlite: path is returned as it is.
func RedactDatabase(s string) string {
	if strings.HasPrefix(s, "sqlite:") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Opaque != "" || strings.Contains(u.Path+u.RawQuery+u.Fragment, "@") {
		// "postgres://u:1234/x@host/db" parses, as host "u:1234".
		return redactUnparsed(s)
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "REDACTED")
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			if isSecretParam(k) {
				q.Set(k, "REDACTED")
			}
		}
		u.RawQuery = q.Encode()
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}

// isSecretParam names libpq's parameters that hold a secret.
func isSecretParam(name string) bool {
	return strings.Contains(strings.ToLower(name), "password")
}

// redactUnparsed handles what url.Parse refuses (a password with an
// unescaped '#' or '/', say): everything between "://" and the last '@' is
// dropped, and so are the parameters.
func redactUnparsed(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		if strings.ContainsAny(s, "@?") || isSecretParam(s) {
			return "REDACTED"
		}
		return s
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		rest = "REDACTED@" + rest[at+1:]
	}
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		rest = rest[:q] + "?REDACTED"
	}
	return scheme + "://" + rest
}
