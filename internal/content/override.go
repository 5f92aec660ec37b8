package content

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// Intents lists the services that have keywords, sorted: the intents an
// office may add keywords to.
func (c *Catalog) Intents() []string {
	var out []string
	for intent := range c.byLang[DefaultLang].keywords {
		out = append(out, intent)
	}
	sort.Strings(out)
	return out
}

// TextKeys lists the keys of every text, sorted.
func (c *Catalog) TextKeys() []string {
	return slices.Sorted(maps.Keys(c.byLang[DefaultLang].texts))
}

// CheckText reports why src cannot replace the text key in lang: an
// unknown language or key, a template that does not parse, or one that
// fails to render (a field that does not exist, say).
func (c *Catalog) CheckText(lang, key, src string) error {
	l, ok := c.byLang[lang]
	if !ok {
		return fmt.Errorf("unknown language %q (want one of %s)", lang, strings.Join(c.langs, ", "))
	}
	if _, ok := l.texts[key]; !ok {
		return fmt.Errorf("unknown text %q", key)
	}
	t, err := parse(key, src)
	if err != nil {
		return err
	}
	for _, d := range []Data{Sample(), {}} {
		if _, err := execute(t, d); err != nil {
			return err
		}
	}
	if strings.TrimSpace(src) == "" {
		return fmt.Errorf("text %q is empty", key)
	}
	return nil
}

// WithTexts returns a catalog whose texts are c's but for those in
// overrides (language, then text key, then template). Each must pass
// CheckText.
func (c *Catalog) WithTexts(overrides map[string]map[string]string) (*Catalog, error) {
	if len(overrides) == 0 {
		return c, nil
	}
	out := &Catalog{langs: c.langs, byLang: map[string]*language{}}
	for lang, l := range c.byLang {
		cp := *l
		if texts := overrides[lang]; len(texts) > 0 {
			cp.texts = maps.Clone(l.texts)
			for key, src := range texts {
				if err := c.CheckText(lang, key, src); err != nil {
					return nil, fmt.Errorf("content: %s text %s: %w", lang, key, err)
				}
				t, _ := parse(key, src)
				cp.texts[key] = t
			}
		}
		out.byLang[lang] = &cp
	}
	for lang := range overrides {
		if _, ok := c.byLang[lang]; !ok {
			return nil, fmt.Errorf("content: unknown language %q", lang)
		}
	}
	return out, nil
}
