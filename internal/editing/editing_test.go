package editing

import (
	"strings"
	"testing"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/content"
)

func TestCheckText(t *testing.T) {
	cat, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	office := sigap.Office{Code: "jakpus", Name: "Kanim <Jakarta> Pusat", Hours: "Senin-Jumat"}
	cases := []struct {
		name, lang, key, src, code string
	}{
		{"fine", "id", "thanks", "Sama-sama dari *{{.Office}}*!\nJam: _{{.Hours}}_", ""},
		{"unknown placeholder", "id", "thanks", "Halo {{.Kantor}}", "unknown_placeholder"},
		{"syntax", "id", "thanks", "Halo {{.Office", "syntax"},
		{"empty", "id", "thanks", "  \n ", "empty"},
		{"too long rendered", "id", "thanks", strings.Repeat("{{.Office}} ", 300), "too_long"},
		{"unknown key", "id", "no.such.text", "x", "unknown_text"},
		{"unknown language", "fr", "thanks", "x", "unknown_text"},
	}
	for _, c := range cases {
		p, probs := CheckText(cat, office, c.lang, c.key, c.src)
		switch {
		case c.code == "" && len(probs) > 0:
			t.Errorf("%s: problems %v", c.name, probs)
		case c.code != "" && (len(probs) != 1 || probs[0].Code != c.code):
			t.Errorf("%s: problems %v, want %s", c.name, probs, c.code)
		}
		if c.name == "fine" {
			want := "Sama-sama dari <b>Kanim &lt;Jakarta&gt; Pusat</b>!<br>Jam: <i>Senin-Jumat</i>"
			if string(p.HTML) != want {
				t.Errorf("preview HTML %q, want %q", p.HTML, want)
			}
		}
	}
	if p, probs := CheckText(cat, office, "id", "menu", "Menu {{.Office}}"); len(probs) > 0 || p.Button == "" || len(p.Rows) < 5 {
		t.Errorf("menu preview: %+v %v; want its list button and rows", p, probs)
	}
}

func TestCheckWord(t *testing.T) {
	cat, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	office := sigap.Office{Code: "jakpus", Keywords: map[string][]string{"payment": {"#ongkos"}}, Synonyms: map[string][]string{"pickup": {"kapan jadi"}}}
	for _, c := range []struct{ intent, word, code string }{
		{"payment", "#tarif", ""},
		{"payment", "#BAYAR", "exists"},
		{"pickup", "bayar", "clash"},
		{"pickup", "Ongkos", "clash"},
		{"payment", "kapan  jadi", "clash"},
		{"payment", "12345", "no_letter"},
		{"payment", strings.Repeat("a", 41), "too_long"},
		{"no_such", "x", "unknown_service"},
	} {
		probs := CheckWord(cat, office, sigap.OverrideKeyword, c.intent, c.word)
		if (c.code == "" && len(probs) > 0) || (c.code != "" && (len(probs) != 1 || probs[0].Code != c.code)) {
			t.Errorf("%s %q: %v, want %q", c.intent, c.word, probs, c.code)
		}
	}
}
