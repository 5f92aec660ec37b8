package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/sigap-id/sigap/internal/config"
)

func TestLogsCarryNoSecretOrPhoneNumber(t *testing.T) {
	// A real wamid: base64 of a header, the sender's number and a message id.
	const wamid = "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBBMUMyRDNFNEY1QTZCN0M4RDkA"
	for _, format := range []string{"text", "json"} {
		var out bytes.Buffer
		log, err := newLogger(config.Env{LogLevel: "debug", LogFormat: format}, &out)
		if err != nil {
			t.Fatal(err)
		}
		log.Info("message answered", "wamid", wamid)
		log.With("wamid", wamid).Warn("again")
		log.Error("connect", "err", errors.New(`cannot parse "postgres://sigap:s3cret-pw@db/sigap": bad port`))
		log.Warn("open", "dsn", "host=db user=sigap password=s3cret-pw sslmode=disable")
		log.Info("simulator", "wamid", "sim.0123456789abcdef")
		got := out.String()
		for _, leak := range []string{"s3cret-pw", "HBgNNjI4MTIzNDU2Nzg5", "6281234567890"} {
			if strings.Contains(got, leak) {
				t.Errorf("%s log shows %q:\n%s", format, leak, got)
			}
		}
		if n := strings.Count(got, wamidFingerprint(wamid)); n != 2 {
			t.Errorf("%s log: the wamid's fingerprint appears %d times, want 2 (one message followed through the log):\n%s", format, n, got)
		}
		for _, want := range []string{"postgres://sigap:REDACTED@db/sigap", "password=REDACTED", "sim.0123456789abcdef"} {
			if !strings.Contains(got, want) {
				t.Errorf("%s log lacks %q:\n%s", format, want, got)
			}
		}
	}
}
