package bot

import (
	"slices"
	"testing"
)

// A ticket number written in free text ("nomornya K7M-3QX") reads as the
// lexicon's ticket word; amounts, dates and application numbers do not.
func TestTicketNumberInText(t *testing.T) {
	for _, c := range []struct {
		word string
		want bool
	}{
		{"k7m-3qx", true},
		{"q2m-8kd", true},
		{"7qk-m2x", true},
		{"rp650k", false},   // an amount: no dash
		{"k7m3qx", false},   // without the dash, as "rp650k" would be
		{"123-456", false},  // no letter
		{"k7m-3qxx", false}, // too long
		{"k7u-3qx", false},  // U is not in the alphabet
		{"2026-01", false},
		{"1060202611000007", false},
	} {
		if got := ticketShaped(c.word); got != c.want {
			t.Errorf("ticketShaped(%q) = %v, want %v", c.word, got, c.want)
		}
	}
	lx := defaultLexicon
	words := lx.canonical(normalize("saya sudah kirim pengaduan, nomornya K7M-3QX"))
	if !slices.Contains(words, ticketWord[0]) {
		t.Errorf("words %q hold no %q", words, ticketWord[0])
	}
	if i := lx.best(lx.scores(words)); i < 0 || lx.intents[i].name != intentTicket {
		t.Errorf("a complaint's ticket number asked after reads as %v, want %s", i, intentTicket)
	}
}
