package content

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func mustLoad(t *testing.T) *Catalog {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func TestLoad(t *testing.T) {
	c := mustLoad(t)
	if diff := cmp.Diff([]string{"id", "en"}, c.Langs()); diff != "" {
		t.Errorf("Langs() mismatch (-want +got):\n%s", diff)
	}
}

// sample has every field set, with an office name longer than any we know
// of, so that a text or list that fits with it fits with every real office.
func sample(c *Catalog, lang string) Data {
	d := Sample()
	d.Since = c.Date(lang, time.Date(2026, 1, 12, 0, 0, 0, 0, time.UTC))
	return d
}

// TestEveryTextRenders renders every text with every field set and with
// only the office set, so that the optional parts work both ways.
func TestEveryTextRenders(t *testing.T) {
	c := mustLoad(t)
	for _, lang := range c.Langs() {
		for key := range c.byLang[lang].texts {
			for _, data := range []Data{sample(c, lang), {Office: "Kanim Contoh"}} {
				got, err := c.Text(lang, key, data)
				if err != nil {
					t.Errorf("%s %s: %v", lang, key, err)
					continue
				}
				if got == "" {
					t.Errorf("%s %s: empty", lang, key)
				}
				if n := utf8.RuneCountInString(got); n > MaxText {
					t.Errorf("%s %s: %d characters, WhatsApp allows %d", lang, key, n, MaxText)
				}
				if strings.Contains(got, "\n\n\n") || strings.Contains(got, "<no value>") {
					t.Errorf("%s %s: badly rendered:\n%s", lang, key, got)
				}
			}
		}
	}
}

func TestListsFitWhatsAppLimits(t *testing.T) {
	c := mustLoad(t)
	check := func(t *testing.T, what, s string, max int) {
		t.Helper()
		if n := utf8.RuneCountInString(s); n > max {
			t.Errorf("%s %q: %d characters, limit %d", what, s, n, max)
		}
	}
	for _, lang := range c.Langs() {
		for _, name := range c.ListNames() {
			t.Run(lang+"/"+name, func(t *testing.T) {
				// Render without clipping: the content itself must fit.
				lt := c.byLang[lang].lists[name]
				data := sample(c, lang)
				header, _ := execute(lt.header, data)
				body, _ := execute(lt.body, data)
				footer, _ := execute(lt.footer, data)
				check(t, "header", header, MaxListHeader)
				check(t, "body", body, MaxListBody)
				check(t, "footer", footer, MaxListFooter)

				l, err := c.List(lang, name, data)
				if err != nil {
					t.Fatal(err)
				}
				if l.Body == "" || l.Button == "" {
					t.Errorf("body and button are required")
				}
				check(t, "button", l.Button, MaxListButton)
				if len(l.Sections) == 0 || len(l.Sections) > MaxListSections {
					t.Errorf("%d sections, want 1 to %d", len(l.Sections), MaxListSections)
				}
				rows := 0
				ids := map[string]bool{}
				for _, s := range l.Sections {
					if len(l.Sections) > 1 && s.Title == "" {
						t.Errorf("a list with several sections needs section titles")
					}
					check(t, "section title", s.Title, MaxListSectionTitle)
					for _, r := range s.Rows {
						rows++
						if r.Title == "" {
							t.Errorf("row %s has no title", r.ID)
						}
						if ids[r.ID] {
							t.Errorf("row id %s used twice", r.ID)
						}
						ids[r.ID] = true
						check(t, "row id", r.ID, MaxListRowID)
						check(t, "row title", r.Title, MaxListRowTitle)
						check(t, "row description", r.Description, MaxListRowDesc)
					}
				}
				if rows == 0 || rows > MaxListRows {
					t.Errorf("%d rows, want 1 to %d", rows, MaxListRows)
				}
			})
		}
	}
}

func TestListClipsLongBody(t *testing.T) {
	c := mustLoad(t)
	data := sample(c, "id")
	data.Office = strings.Repeat("Kantor ", 300)
	l, err := c.List("id", "menu", data)
	if err != nil {
		t.Fatal(err)
	}
	if n := utf8.RuneCountInString(l.Body); n > MaxListBody {
		t.Errorf("body has %d characters, limit %d", n, MaxListBody)
	}
}

func TestText(t *testing.T) {
	c := mustLoad(t)
	data := Data{Office: "Kanim Contoh"}
	id, err := c.Text("id", "non_text.other", data)
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"", "xx", "ID"} {
		got, err := c.Text(lang, "non_text.other", data)
		if err != nil {
			t.Fatal(err)
		}
		if got != id {
			t.Errorf("Text(%q) = %q, want the default language's %q", lang, got, id)
		}
	}
	en, _ := c.Text("en", "non_text.other", data)
	if en == id {
		t.Errorf("English text equals the Indonesian one: %q", en)
	}
	if _, err := c.Text("id", "no.such.key", data); err == nil {
		t.Error("Text of an unknown key: no error")
	}
	if _, err := c.Text("id", "menu", map[string]any{}); err == nil {
		t.Error("Text with missing data: no error")
	}
}

func TestDate(t *testing.T) {
	c := mustLoad(t)
	d := time.Date(2026, 1, 12, 23, 0, 0, 0, time.UTC)
	for lang, want := range map[string]string{"id": "12 Januari 2026", "en": "12 January 2026", "": "12 Januari 2026"} {
		if got := c.Date(lang, d); got != want {
			t.Errorf("Date(%q) = %q, want %q", lang, got, want)
		}
	}
	if got := c.Date("id", time.Date(2025, 8, 17, 0, 0, 0, 0, time.UTC)); got != "17 Agustus 2025" {
		t.Errorf("Date = %q", got)
	}
}

func TestKeywords(t *testing.T) {
	c := mustLoad(t)
	kw := c.Keywords("id")
	for intent, want := range map[string]string{"payment": "#bayar", "requirements": "#syarat", "pickup": "#ambil", "menu": "halo"} {
		found := false
		for _, w := range kw[intent] {
			found = found || w == want
		}
		if !found {
			t.Errorf("keywords.%s lacks %q: %q", intent, want, kw[intent])
		}
	}
}

// minimal is a language file that loads; the cases below break it.
func minimal(extra string) string {
	var b strings.Builder
	b.WriteString("months: [a, b, c, d, e, f, g, h, i, j, k, l]\n")
	b.WriteString("keywords:\n  menu: [\"#menu\"]\n")
	b.WriteString("texts:\n  menu: hi {{.Office}}\n  stage:\n")
	for _, st := range []string{"registered", "awaiting_payment", "paid", "interviewed", "approved", "printing", "ready", "collected", "shipped", "on_hold", "rejected", "cancelled"} {
		b.WriteString("    " + st + ": {name: n, next: x, todo: t}\n")
	}
	b.WriteString(extra)
	b.WriteString("lists:\n  menu:\n    body: b\n    button: go\n    sections:\n      - rows:\n          - {id: menu:x, title: X}\n")
	return b.String()
}

func TestLoadRejects(t *testing.T) {
	ok := minimal("")
	for name, files := range map[string]map[string]string{
		"key missing from en": {"id.yaml": minimal("  extra: e\n"), "en.yaml": ok},
		"key missing from id": {"id.yaml": ok, "en.yaml": minimal("  extra: e\n")},
		"bad template":        {"id.yaml": minimal("  bad: \"{{.Office\"\n"), "en.yaml": minimal("  bad: x\n")},
		"no default language": {"en.yaml": ok},
		"missing stage":       {"id.yaml": strings.Replace(ok, "    ready: {name: n, next: x, todo: t}\n", "", 1)},
		"unknown field":       {"id.yaml": ok + "colours: [red]\n"},
		"keyword conflict":    {"id.yaml": strings.Replace(ok, "texts:\n", "  pay: [\"#menu\"]\ntexts:\n  pay: p\n", 1)},
		"list row in one language only": {
			"id.yaml": ok,
			"en.yaml": strings.Replace(ok, "menu:x", "menu:y", 1),
		},
	} {
		t.Run(name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for n, s := range files {
				fsys[n] = &fstest.MapFile{Data: []byte(s)}
			}
			if _, err := loadFS(fsys); err == nil {
				t.Error("loaded without error")
			} else {
				t.Log(err)
			}
		})
	}
	if _, err := loadFS(fstest.MapFS{"id.yaml": {Data: []byte(ok)}, "en.yaml": {Data: []byte(ok)}}); err != nil {
		t.Errorf("minimal files: %v", err)
	}
}

func TestIntentsAndTextKeys(t *testing.T) {
	c := mustLoad(t)
	intents := c.Intents()
	for _, want := range []string{"menu", "payment", "requirements", "pickup", "location", "hours", "ticket", "handover", "notify", "feedback.complaint"} {
		if !slices.Contains(intents, want) {
			t.Errorf("Intents() lacks %q: %q", want, intents)
		}
	}
	keys := c.TextKeys()
	for _, want := range []string{"menu", "stage.ready.todo", "requirement.child", "non_text.audio"} {
		if !slices.Contains(keys, want) {
			t.Errorf("TextKeys() lacks %q", want)
		}
	}
}

func TestCheckText(t *testing.T) {
	c := mustLoad(t)
	for _, tt := range []struct {
		lang, key, src string
		ok             bool
	}{
		{"id", "menu", "Selamat datang di {{.Office}}", true},
		{"en", "stage.ready.todo", "Bring your receipt.{{if .Hours}} {{.Hours}}{{end}}", true},
		{"id", "menu", "{{.Office", false},            // does not parse
		{"id", "menu", "{{.Kantor}}", false},          // no such field
		{"id", "no.such.text", "x", false},            // unknown key
		{"fr", "menu", "Bonjour", false},              // unknown language
		{"id", "menu", "   ", false},                  // empty
		{"id", "stage.ready", "a whole stage", false}, // a group, not a text
	} {
		err := c.CheckText(tt.lang, tt.key, tt.src)
		if (err == nil) != tt.ok {
			t.Errorf("CheckText(%s, %s, %q) = %v, want ok %v", tt.lang, tt.key, tt.src, err, tt.ok)
		}
	}
}

func TestWithTexts(t *testing.T) {
	c := mustLoad(t)
	o, err := c.WithTexts(map[string]map[string]string{"id": {"thanks": "Sama-sama dari {{.Office}}."}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := o.Text("id", "thanks", Data{Office: "Kanim X"})
	if err != nil || got != "Sama-sama dari Kanim X." {
		t.Errorf("overridden text = %q, %v", got, err)
	}
	// Other texts and languages, and the catalog it came from, are untouched.
	for _, tt := range []struct {
		cat       *Catalog
		lang, key string
	}{{o, "en", "thanks"}, {o, "id", "payment"}, {c, "id", "thanks"}} {
		want, _ := c.Text(tt.lang, tt.key, Data{Office: "Kanim X"})
		if got, _ := tt.cat.Text(tt.lang, tt.key, Data{Office: "Kanim X"}); got != want {
			t.Errorf("%s %s changed: %q", tt.lang, tt.key, got)
		}
	}
	if _, err := c.WithTexts(map[string]map[string]string{"id": {"thanks": "{{.Nope}}"}}); err == nil {
		t.Error("WithTexts accepted a bad template")
	}
	if _, err := c.WithTexts(map[string]map[string]string{"xx": {"thanks": "hi"}}); err == nil {
		t.Error("WithTexts accepted an unknown language")
	}
}
