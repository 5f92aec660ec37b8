package content

// TextSource returns the template of text key in lang as the catalog
// holds it (the national text, or an office's once laid over it), for the
// console to show and edit. It is the template's parse tree written back,
// which reads as the file's text.
func (c *Catalog) TextSource(lang, key string) (string, bool) {
	l, ok := c.byLang[lang]
	if !ok {
		return "", false
	}
	t, ok := l.texts[key]
	if !ok || t.Tree == nil || t.Tree.Root == nil {
		return "", false
	}
	return t.Tree.Root.String(), true
}
