package whatsapp

import (
	"strings"
	"testing"
)

func TestValidSenderAndID(t *testing.T) {
	for _, tt := range []struct {
		s      string
		sender bool
		id     bool
	}{
		{"6281234567890", true, true},
		{"US.13491208655302741918", true, true},
		{"ID.1348912086553027", true, true},
		{"US.abcXYZ019", true, true},
		{"wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBBMUMyRDNFNEY1QTZCN0M4RDkA", false, true},
		{"", false, false},
		{"62812\x00", false, false},
		{"+6281234567890", false, true},
		{"62 812", false, false},
		{strings.Repeat("1", 21), false, true},
		{"us.1234", false, true},
		{"US.", false, true},
		{"US.12-34", false, true},
		{"US.12\u00e934", false, false},
		{strings.Repeat("a", maxIDBytes+1), false, false},
	} {
		if got := validSender(tt.s); got != tt.sender {
			t.Errorf("validSender(%q) = %v, want %v", tt.s, got, tt.sender)
		}
		if got := validID(tt.s); got != tt.id {
			t.Errorf("validID(%q) = %v, want %v", tt.s, got, tt.id)
		}
	}
}
