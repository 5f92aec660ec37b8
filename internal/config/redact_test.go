package config

import (
	"strings"
	"testing"
)

func TestRedactDatabase(t *testing.T) {
	tests := []struct {
		in, want string
		secret   string // must not appear in the output
	}{
		{"sqlite:data/sigap.db", "sqlite:data/sigap.db", ""},
		{"postgres://sigap@db.internal:5432/sigap?sslmode=require", "postgres://sigap@db.internal:5432/sigap?sslmode=require", ""},
		{"postgres://sigap:s3cret-pw@db.internal:5432/sigap?sslmode=require",
			"postgres://sigap:REDACTED@db.internal:5432/sigap?sslmode=require", "s3cret-pw"},
		{"postgresql://sigap@db/sigap?password=s3cret-pw&sslmode=disable",
			"postgresql://sigap@db/sigap?password=REDACTED&sslmode=disable", "s3cret-pw"},
		{"postgres://db/sigap?sslpassword=s3cret-pw", "postgres://db/sigap?sslpassword=REDACTED", "s3cret-pw"},
		{"postgres://sigap:p%40ss%2Fw0rd@db/sigap", "postgres://sigap:REDACTED@db/sigap", "w0rd"},
		// Passwords url.Parse trips over, or reads as something else.
		{"postgres://sigap:pa#ss-w0rd@db:5432/sigap", "postgres://REDACTED@db:5432/sigap", "w0rd"},
		{"postgres://sigap:pa?ss-w0rd@db/sigap", "postgres://REDACTED@db/sigap", "w0rd"},
		{"postgres://sigap:1234/5678@db/sigap", "postgres://REDACTED@db/sigap", "5678"},
		{"postgres://sigap:p@ss@db/sigap", "postgres://sigap:REDACTED@db/sigap", "p@ss"},
		{"host=db user=sigap password=s3cret-pw", "REDACTED", "s3cret-pw"},
		{"mysql://root:s3cret-pw@db/sigap", "mysql://root:REDACTED@db/sigap", "s3cret-pw"},
	}
	for _, tt := range tests {
		got := RedactDatabase(tt.in)
		if got != tt.want {
			t.Errorf("RedactDatabase(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if tt.secret != "" && strings.Contains(got, tt.secret) {
			t.Errorf("RedactDatabase(%q) = %q shows the password", tt.in, got)
		}
	}
}

func TestParseDatabaseErrorHidesPassword(t *testing.T) {
	_, err := ParseDatabase("postgress://sigap:s3cret-pw@db/sigap")
	if err == nil || strings.Contains(err.Error(), "s3cret-pw") {
		t.Errorf("error = %v; want an error without the password", err)
	}
}
