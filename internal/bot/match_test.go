package bot

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/content"
)

func TestNormalize(t *testing.T) {
	type w struct {
		Text string
		Hash bool
	}
	tests := []struct {
		text string
		want []w
	}{
		{"", nil},
		{"  Halo   Min  ", []w{{"halo", false}, {"min", false}}},
		{"#BAYAR!!", []w{{"bayar", true}}},
		{"😀#bayar😀", []w{{"bayar", true}}},
		{"(#syarat)", []w{{"syarat", true}}},
		{"e-paspor?", []w{{"e-paspor", false}}},
		{"halo,\u00a0min 🙏", []w{{"halo", false}, {"min", false}}},
		{"👍", nil},
		{"# bayar", []w{{"bayar", false}}},
		{"min#bayar", []w{{"min", false}, {"bayar", true}}},
		{"syarat,biaya/jam", []w{{"syarat", false}, {"biaya", false}, {"jam", false}}},
		{"Haloooo kakkk", []w{{"halo", false}, {"kak", false}}},
		{"maaf", []w{{"maaf", false}}}, // a double letter stays
		{"assalamu'alaikum", []w{{"assalamu'alaikum", false}}},
		{"paspor-", []w{{"paspor", false}}},
		{"bi\u200baya", []w{{"biaya", false}}},
		{"İSTANBUL", []w{{"istanbul", false}}},
		{"1000000", []w{{"1000000", false}}},
	}
	for _, tt := range tests {
		var got []w
		for _, x := range normalize(tt.text) {
			got = append(got, w{x.text, x.hash})
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("normalize(%q) mismatch (-want +got):\n%s", tt.text, diff)
		}
	}
}

// fuzzKeywords are the national keywords, for FuzzNormalize.
var fuzzKeywords = func() *keywords {
	cat, err := content.Load()
	if err != nil {
		panic(err)
	}
	var sets []map[string][]string
	for _, lang := range cat.Langs() {
		sets = append(sets, cat.Keywords(lang))
	}
	return newKeywords(sets...)
}()

// FuzzNormalize checks that normalize never fails and that its words are
// what it promises: non-empty, lowercase, valid UTF-8, free of spaces, with
// offsets inside the text; and that normalising its own output again gives
// the same words. Rewriting into canonical words and reading the message
// must not fail either.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"", "halo", "#BAYAR!!", "brp biaya bikin paspor", "paspor sy udh jadi blm 🙏",
		"e-paspor", "syarat2nya", "anak-anak", "İ", "\u200b#\u200bbayar", "a-'-b", "haloooo", "ﬁ", "#tiket k7m-3qx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ws := normalize(s)
		prev := 0
		for _, w := range ws {
			if w.text == "" || !utf8.ValidString(w.text) || strings.ContainsFunc(w.text, func(r rune) bool { return r == ' ' || r == '#' }) {
				t.Fatalf("normalize(%q): bad word %q", s, w.text)
			}
			if w.end <= prev && prev != 0 || w.end > len(s) {
				t.Fatalf("normalize(%q): word %q ends at %d (previous %d)", s, w.text, w.end, prev)
			}
			prev = w.end
		}
		again := normalize(phrase(ws))
		if phrase(again) != phrase(ws) {
			t.Fatalf("normalize is not stable: %q -> %q -> %q", s, phrase(ws), phrase(again))
		}
		for _, c := range defaultLexicon.canonical(ws) {
			if c == "" {
				t.Fatalf("canonical(%q) has an empty word", s)
			}
		}
		r := read(defaultLexicon, fuzzKeywords, s)
		if !utf8.ValidString(r.args) && utf8.ValidString(s) {
			t.Fatalf("read(%q): args %q are not valid UTF-8", s, r.args)
		}
		if len(r.args) > len(s) {
			t.Fatalf("read(%q): args %q longer than the text", s, r.args)
		}
	})
}

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"bayar", "bayar", 0}, {"byar", "bayar", 1}, {"bayra", "bayar", 1}, {"syrat", "syarat", 1},
		{"persyaratn", "persyaratan", 1}, {"pengambiln", "pengambilan", 1}, {"abc", "xyz", 3},
		{"", "abc", 3}, {"ca", "abc", 3}, {"pasport", "paspor", 1},
	} {
		if got := distance([]rune(tt.a), []rune(tt.b), 5); got != tt.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
	if got := distance([]rune("abcdef"), []rune("uvwxyz"), 2); got != 3 {
		t.Errorf("distance beyond max = %d, want max+1", got)
	}
}

func TestCanonical(t *testing.T) {
	lx := defaultLexicon
	for _, tt := range []struct{ text, want string }{
		{"brp biaya bikin paspor", "berapa biaya buat paspor"},
		{"paspor sy udh jadi blm", "paspor saya sudah jadi belum"},
		{"syarat2nya apa aja", "syarat apa saja"},
		{"anak-anak", "anak"},
		{"makasih min", "terima kasih admin"},
		{"byar", "bayar"},
		{"persyaratn", "syarat"},
		{"biayanya", "biaya"},
		{"mobile banking", "mbanking"},
		{"jam", "jam"},               // short words are never corrected
		{"qwertyuiop", "qwertyuiop"}, // nothing near: left alone
	} {
		if got := strings.Join(lx.canonical(normalize(tt.text)), " "); got != tt.want {
			t.Errorf("canonical(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestLexicon(t *testing.T) {
	if _, err := parseLexicon(lexiconYAML); err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string]string{
		"unknown field":   "min_score: 2\ncolour: red\n",
		"no min score":    "words: {a: b}\n",
		"unknown refine":  "min_score: 2\nintents:\n  - intent: a\n    cues: {x: 1}\n    refine: [b]\n",
		"duplicate":       "min_score: 2\nintents:\n  - intent: a\n    cues: {x: 1}\n  - intent: a\n    cues: {y: 1}\n",
		"rewritten cue":   "min_score: 2\nwords: {byr: bayar}\nintents:\n  - intent: a\n    cues: {byr: 3}\n",
		"zero weight cue": "min_score: 2\nintents:\n  - intent: a\n    cues: {x: 0}\n",
		"lone plus cue":   "min_score: 2\nintents:\n  - intent: a\n    cues: {x+: 2}\n",
		"unknown covers":  "min_score: 2\nintents:\n  - intent: a\n    cues: {x: 1}\n    covers: [b]\n",
	} {
		if _, err := parseLexicon([]byte(src)); err == nil {
			t.Errorf("%s: parsed without error", name)
		}
	}
}

// TestIntentsKnown checks that the content's keywords, the lexicon and the
// list rows name only intents the engine answers, and that every intent
// the engine answers can be reached.
func TestIntentsKnown(t *testing.T) {
	cat, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	known := knownIntents()
	for _, intent := range cat.Intents() {
		if !slices.Contains(known, intent) {
			t.Errorf("content keywords name intent %q, which the bot does not answer", intent)
		}
	}
	for _, in := range defaultLexicon.intents {
		if !slices.Contains(known, in.name) {
			t.Errorf("lexicon.yaml names intent %q, which the bot does not answer", in.name)
		}
	}
	e := New(cat, fixtures().deps(), nil)
	office := sigap.Office{Code: testOffice, Name: "Kanim"}
	reached := map[string]bool{}
	for _, lang := range cat.Langs() {
		for _, name := range cat.ListNames() {
			l, err := cat.List(lang, name, content.Data{Office: "X"})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range l.Sections {
				for _, r := range s.Rows {
					replies, _, err := e.Handle(t.Context(), office, sigap.Conversation{Lang: lang},
						sigap.InboundMessage{Kind: sigap.KindInteractive, ChoiceID: r.ID, Text: r.Title})
					if err != nil {
						t.Fatal(err)
					}
					tr := &turn{e: e, setup: mustSetup(t, e, office), lang: lang, msg: sigap.InboundMessage{ChoiceID: r.ID}}
					intent, ok := tr.choice(&sigap.Conversation{})
					if !ok || intent == intentMenu || len(replies) == 0 {
						t.Errorf("%s list %s: row %s leads to %q", lang, name, r.ID, intent)
					}
					reached[intent] = true
				}
			}
		}
	}
	for _, intent := range cat.Intents() {
		reached[intent] = true
	}
	for _, intent := range known {
		// Some answers are for free writing only: the requirement cases
		// also have list rows, and a question outside the bot's job or a
		// look for a person needs no command.
		freeOnly := strings.HasPrefix(intent, requirementPrefix) || strings.HasPrefix(intent, outsidePrefix) ||
			intent == intentHandoverOffer
		switch {
		case freeOnly && defaultLexicon.index(intent) < 0:
			t.Errorf("intent %q has no cues in lexicon.yaml, so nothing leads to it", intent)
		case !reached[intent] && !freeOnly:
			t.Errorf("intent %q has neither a keyword nor a list row", intent)
		}
	}
}

func mustSetup(t *testing.T, e *Engine, office sigap.Office) *officeSetup {
	t.Helper()
	s, err := e.setup(office)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRead(t *testing.T) {
	cat, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	e := New(cat, fixtures().deps(), nil)
	office := sigap.Office{Code: testOffice, Keywords: map[string][]string{"payment": {"#tarif2026"}}}
	kw := mustSetup(t, e, office).kw
	tests := []struct {
		text    string
		intent  string
		command bool
		args    string
		lang    string
	}{
		{"#bayar", "payment", true, "", ""},
		{"bayar", "payment", true, "", ""},
		{"#Bayar 🙏", "payment", true, "", ""},
		{"min #bayar dong", "payment", true, "dong", "id"},
		{"#byar", "payment", true, "", ""},
		{"syrat", "requirements", true, "", ""},
		{"#syarat anak", "requirement.child", true, "anak", "id"},
		{"#tarif2026", "payment", true, "", ""},
		{"#pengaduan: petugas loket 3 tidak ramah", "feedback.complaint", true, "petugas loket 3 tidak ramah", "id"},
		{"saran tolong tambah kursi", "feedback.suggestion", true, "tolong tambah kursi", "id"},
		{"#tiket k7m-3qx", "ticket", true, "k7m-3qx", ""},
		{"#notif on", "notify", true, "on", ""},
		{"halo min mau tanya syarat paspor", "requirements", false, "", "id"},
		{"brp biaya bikin paspor", "payment", false, "", "id"},
		{"how do I pay", "payment", false, "", "en"},
		{"hello", "menu", true, "", "en"},
		{"terima kasih", "thanks", true, "", ""},
		{"makasih ya min", "thanks", false, "", "id"},
		{"asdfgh", "", false, "", ""},
	}
	for _, tt := range tests {
		r := read(defaultLexicon, kw, tt.text)
		got := []any{r.intent, r.command, r.args, r.lang}
		want := []any{tt.intent, tt.command, tt.args, tt.lang}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("read(%q) (-want +got):\n%s", tt.text, diff)
		}
	}
}
