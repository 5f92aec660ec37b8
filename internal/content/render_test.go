package content

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRenderedAsKept: a text or list given again with the same data is
// what rendering it gives, for every text and list, with different data,
// and for an office's own version of a text; a list handed out can be
// changed without changing the next one.
func TestRenderedAsKept(t *testing.T) {
	c := mustLoad(t)
	own, err := c.WithTexts(map[string]map[string]string{"id": {"payment": "Bayar di {{.Office}} saja."}})
	if err != nil {
		t.Fatal(err)
	}
	datas := []Data{{Office: "Kanim A"}, {Office: "Kanim B", Hours: "08.00–15.00"}, sample(c, "id")}
	for _, lang := range c.Langs() {
		for _, d := range datas {
			for key, tmpl := range c.lang(lang).texts {
				want, err := execute(tmpl, d)
				if err != nil {
					continue // a text that needs fields this data lacks
				}
				for range 3 {
					if got, err := c.Text(lang, key, d); err != nil || got != want {
						t.Fatalf("%s %s with %q: %q, %v; want %q", lang, key, d.Office, got, err, want)
					}
				}
			}
			for name, lt := range c.lang(lang).lists {
				want, err := renderList(lt, d)
				if err != nil {
					t.Fatal(err)
				}
				for range 3 {
					got, err := c.List(lang, name, d)
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Fatalf("%s list %s with %q (-rendered +given):\n%s", lang, name, d.Office, diff)
					}
					got.Body = "changed"
					got.Sections[0].Rows[0].Title = "changed"
				}
			}
		}
	}
	d := Data{Office: "Kanim A"}
	general, _ := c.Text("id", "payment", d)
	mine, _ := own.Text("id", "payment", d)
	if mine != "Bayar di Kanim A saja." || general == mine {
		t.Errorf("payment: general %q, the office's own %q", general, mine)
	}
}

// TestRenderCacheBounded: the cache never holds more than maxRenders.
func TestRenderCacheBounded(t *testing.T) {
	c := mustLoad(t)
	for i := range maxRenders + 10 {
		if _, err := c.Text("id", "payment", Data{Office: fmt.Sprint("Kanim ", i)}); err != nil {
			t.Fatal(err)
		}
	}
	renders.mu.RLock()
	defer renders.mu.RUnlock()
	if n := len(renders.m); n > maxRenders {
		t.Errorf("%d kept; at most %d", n, maxRenders)
	}
}

// TestTextSource: a text's source, written back from its parse tree,
// parses and renders exactly as the original.
func TestTextSource(t *testing.T) {
	cat, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range cat.Langs() {
		for _, key := range cat.TextKeys() {
			src, ok := cat.TextSource(lang, key)
			if !ok {
				t.Fatalf("%s %s: no source", lang, key)
			}
			again, err := cat.WithTexts(map[string]map[string]string{lang: {key: src}})
			if err != nil {
				t.Fatalf("%s %s: %v", lang, key, err)
			}
			d := Sample()
			want, _ := cat.Text(lang, key, &d)
			got, _ := again.Text(lang, key, &d)
			if got != want {
				t.Errorf("%s %s: the source renders %q, the original %q", lang, key, got, want)
			}
		}
	}
	if _, ok := cat.TextSource("fr", "menu"); ok {
		t.Error("a source in an unknown language")
	}
}
