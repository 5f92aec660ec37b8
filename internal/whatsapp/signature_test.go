package whatsapp_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/sigap-id/sigap/internal/whatsapp"
)

const testSecret = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"

func TestSignMatchesHMAC(t *testing.T) {
	body := readDelivery(t, "text.json")
	mac := hmac.New(sha256.New, []byte(testSecret))
	mac.Write(body)
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	if got := whatsapp.Sign(testSecret, body); got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
	// Meta sends lowercase hex.
	if got := whatsapp.Sign(testSecret, body); got != strings.ToLower(got) {
		t.Errorf("Sign = %q, want lowercase hex", got)
	}
}

func TestVerifySignature(t *testing.T) {
	body := readDelivery(t, "text.json")
	good := whatsapp.Sign(testSecret, body)
	hexSig := strings.TrimPrefix(good, "sha256=")

	// Meta escapes non-ASCII characters; the signature is over those raw
	// bytes. Decoding and re-encoding the JSON gives other bytes (é and 🙏
	// as UTF-8, other spacing), which must not verify.
	escaped := readDelivery(t, "text_escaped.json")
	if !bytes.Contains(escaped, []byte(`\u00e9`)) {
		t.Fatal(`text_escaped.json lost its \u00e9 escape`)
	}
	var v any
	if err := json.Unmarshal(escaped, &v); err != nil {
		t.Fatal(err)
	}
	remarshalled, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(remarshalled, []byte(`\u00e9`)) {
		t.Fatal("re-marshalled JSON still holds the escape; the test proves nothing")
	}

	tests := []struct {
		name   string
		secret string
		body   []byte
		header string
		want   error
	}{
		{"good signature", testSecret, body, good, nil},
		// hex.DecodeString accepts either case; HMAC equality is on the
		// decoded bytes, so an uppercase signature of the right MAC passes.
		{"uppercase hex of the right MAC", testSecret, body, "sha256=" + strings.ToUpper(hexSig), nil},
		{"empty body signed", testSecret, []byte{}, whatsapp.Sign(testSecret, nil), nil},
		{"raw escaped body", testSecret, escaped, whatsapp.Sign(testSecret, escaped), nil},
		{"re-marshalled escaped body", testSecret, remarshalled, whatsapp.Sign(testSecret, escaped), whatsapp.ErrBadSignature},
		{"wrong secret", "another-secret", body, good, whatsapp.ErrBadSignature},
		{"empty secret", "", body, good, whatsapp.ErrBadSignature},
		{"body changed by one byte", testSecret, append(bytes.Clone(body), ' '), good, whatsapp.ErrBadSignature},
		{"missing header", testSecret, body, "", whatsapp.ErrNoSignature},
		{"no sha256= prefix", testSecret, body, hexSig, whatsapp.ErrBadSignature},
		{"sha1= prefix", testSecret, body, "sha1=" + hexSig, whatsapp.ErrBadSignature},
		{"uppercase prefix", testSecret, body, "SHA256=" + hexSig, whatsapp.ErrBadSignature},
		{"prefix only", testSecret, body, "sha256=", whatsapp.ErrBadSignature},
		{"truncated hex, odd length", testSecret, body, good[:len(good)-1], whatsapp.ErrBadSignature},
		{"truncated hex, even length", testSecret, body, good[:len(good)-2], whatsapp.ErrBadSignature},
		{"hex with a trailing byte", testSecret, body, good + "00", whatsapp.ErrBadSignature},
		{"not hex", testSecret, body, "sha256=" + strings.Repeat("zz", 32), whatsapp.ErrBadSignature},
		{"space after prefix", testSecret, body, "sha256= " + hexSig, whatsapp.ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := whatsapp.VerifySignature(tt.secret, tt.body, tt.header)
			if tt.want == nil {
				if err != nil {
					t.Errorf("VerifySignature = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("VerifySignature = %v, want %v", err, tt.want)
			}
		})
	}
}
