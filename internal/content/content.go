// Package content holds every word an applicant reads, per language, as Go
// text/template strings embedded from YAML files (id.yaml, en.yaml).
//
// A language file has four parts:
//
//	months:   the twelve month names, January first, for dates
//	keywords: intent -> the words that ask for it; each is matched with or
//	          without a leading '#' and in any case
//	texts:    nested maps of templates, addressed by dotted keys
//	          ("stage.ready.name")
//	lists:    interactive list messages, each field a template
//
// Every file must have the same keys as the default language's file, so that
// a text added in one language cannot be forgotten in another.
package content

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/template"
	"time"
	"unicode/utf8"

	"github.com/sigap-id/sigap"
	"go.yaml.in/yaml/v3"
)

//go:embed *.yaml
var embedded embed.FS

// DefaultLang is the language used when none, or an unknown one, is asked for.
const DefaultLang = "id"

// Catalog is the parsed content of every language. It is read-only after
// Load and safe for concurrent use.
type Catalog struct {
	langs  []string // DefaultLang first, then the rest sorted
	byLang map[string]*language
}

type language struct {
	months   []string
	keywords map[string][]string
	texts    map[string]*template.Template
	lists    map[string]*listTemplate
}

type listTemplate struct {
	header, body, footer, button *template.Template
	sections                     []sectionTemplate
}

type sectionTemplate struct {
	title *template.Template
	rows  []rowTemplate
}

type rowTemplate struct {
	id                 string
	title, description *template.Template
}

// file is the shape of one language file.
type file struct {
	Months   []string              `yaml:"months"`
	Keywords map[string][]string   `yaml:"keywords"`
	Texts    map[string]any        `yaml:"texts"`
	Lists    map[string]listSource `yaml:"lists"`
}

type listSource struct {
	Header   string          `yaml:"header"`
	Body     string          `yaml:"body"`
	Footer   string          `yaml:"footer"`
	Button   string          `yaml:"button"`
	Sections []sectionSource `yaml:"sections"`
}

type sectionSource struct {
	Title string      `yaml:"title"`
	Rows  []rowSource `yaml:"rows"`
}

type rowSource struct {
	ID          string `yaml:"id"`
	Title       string `yaml:"title"`
	Description string `yaml:"description"`
}

// Load parses the embedded language files. It fails when a file does not
// parse, a template does not parse, or the files do not have the same keys.
func Load() (*Catalog, error) {
	return loadFS(embedded)
}

func loadFS(fsys fs.FS) (*Catalog, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, fmt.Errorf("content: list files: %w", err)
	}
	c := &Catalog{byLang: map[string]*language{}}
	shapes := map[string][]string{}
	for _, name := range names {
		lang := strings.TrimSuffix(name, path.Ext(name))
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("content: read %s: %w", name, err)
		}
		l, shape, err := parseLanguage(raw)
		if err != nil {
			return nil, fmt.Errorf("content: %s: %w", name, err)
		}
		c.byLang[lang] = l
		shapes[lang] = shape
		c.langs = append(c.langs, lang)
	}
	def, ok := shapes[DefaultLang]
	if !ok {
		return nil, fmt.Errorf("content: no %s.yaml for the default language", DefaultLang)
	}
	sort.Slice(c.langs, func(i, j int) bool {
		if (c.langs[i] == DefaultLang) != (c.langs[j] == DefaultLang) {
			return c.langs[i] == DefaultLang
		}
		return c.langs[i] < c.langs[j]
	})
	for _, lang := range c.langs[1:] {
		if missing := difference(def, shapes[lang]); len(missing) > 0 {
			return nil, fmt.Errorf("content: %s.yaml lacks %s (present in %s.yaml)", lang, strings.Join(missing, ", "), DefaultLang)
		}
		if extra := difference(shapes[lang], def); len(extra) > 0 {
			return nil, fmt.Errorf("content: %s.yaml has %s, missing from %s.yaml", lang, strings.Join(extra, ", "), DefaultLang)
		}
	}
	if err := c.checkKeywords(); err != nil {
		return nil, err
	}
	return c, nil
}

// parseLanguage parses one file and returns it with its shape: the sorted
// list of keys it defines, to compare with the other languages.
func parseLanguage(raw []byte) (*language, []string, error) {
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, nil, err
	}
	l := &language{
		months:   f.Months,
		keywords: f.Keywords,
		texts:    map[string]*template.Template{},
		lists:    map[string]*listTemplate{},
	}
	if len(f.Months) != 12 {
		return nil, nil, fmt.Errorf("months: want 12 names, have %d", len(f.Months))
	}
	var shape []string
	flat := map[string]string{}
	if err := flatten("", f.Texts, flat); err != nil {
		return nil, nil, err
	}
	for key, src := range flat {
		t, err := parse("texts."+key, src)
		if err != nil {
			return nil, nil, err
		}
		l.texts[key] = t
		shape = append(shape, "texts."+key)
	}
	for intent, words := range f.Keywords {
		if len(words) == 0 {
			return nil, nil, fmt.Errorf("keywords.%s: no keywords", intent)
		}
		shape = append(shape, "keywords."+intent)
	}
	for name, src := range f.Lists {
		lt, ids, err := parseList("lists."+name, src)
		if err != nil {
			return nil, nil, err
		}
		l.lists[name] = lt
		shape = append(shape, "lists."+name)
		for _, id := range ids {
			shape = append(shape, "lists."+name+".rows."+id)
		}
	}
	for _, st := range sigap.Stages {
		for _, part := range []string{"name", "next", "todo"} {
			if key := "stage." + string(st) + "." + part; l.texts[key] == nil {
				return nil, nil, fmt.Errorf("texts.%s: missing", key)
			}
		}
	}
	sort.Strings(shape)
	return l, shape, nil
}

// flatten turns nested maps into dotted keys.
func flatten(prefix string, m map[string]any, out map[string]string) error {
	for k, v := range m {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		switch v := v.(type) {
		case string:
			out[key] = v
		case map[string]any:
			if err := flatten(key, v, out); err != nil {
				return err
			}
		default:
			return fmt.Errorf("texts.%s: want a string or a map, have %T", key, v)
		}
	}
	return nil
}

func parse(name, src string) (*template.Template, error) {
	t, err := template.New(name).Option("missingkey=error").Parse(src)
	if err != nil {
		return nil, err
	}
	return t, nil
}

func parseList(name string, src listSource) (*listTemplate, []string, error) {
	var err error
	lt := &listTemplate{}
	for _, f := range []struct {
		field string
		src   string
		dst   **template.Template
	}{
		{"header", src.Header, &lt.header},
		{"body", src.Body, &lt.body},
		{"footer", src.Footer, &lt.footer},
		{"button", src.Button, &lt.button},
	} {
		if *f.dst, err = parse(name+"."+f.field, f.src); err != nil {
			return nil, nil, err
		}
	}
	if strings.TrimSpace(src.Body) == "" || strings.TrimSpace(src.Button) == "" {
		return nil, nil, fmt.Errorf("%s: body and button are required", name)
	}
	var ids []string
	for i, s := range src.Sections {
		st := sectionTemplate{}
		if st.title, err = parse(fmt.Sprintf("%s.sections[%d].title", name, i), s.Title); err != nil {
			return nil, nil, err
		}
		for j, r := range s.Rows {
			where := fmt.Sprintf("%s.sections[%d].rows[%d]", name, i, j)
			if r.ID == "" {
				return nil, nil, fmt.Errorf("%s: id is required", where)
			}
			if slices.Contains(ids, r.ID) {
				return nil, nil, fmt.Errorf("%s: id %q used twice", where, r.ID)
			}
			ids = append(ids, r.ID)
			rt := rowTemplate{id: r.ID}
			if rt.title, err = parse(where+".title", r.Title); err != nil {
				return nil, nil, err
			}
			if rt.description, err = parse(where+".description", r.Description); err != nil {
				return nil, nil, err
			}
			st.rows = append(st.rows, rt)
		}
		lt.sections = append(lt.sections, st)
	}
	if len(ids) == 0 {
		return nil, nil, fmt.Errorf("%s: no rows", name)
	}
	return lt, ids, nil
}

// checkKeywords refuses a keyword that two intents claim, in any language:
// the bot matches the keywords of every language at once.
func (c *Catalog) checkKeywords() error {
	owner := map[string]string{}
	for _, lang := range c.langs {
		for intent, words := range c.byLang[lang].keywords {
			for _, w := range words {
				k := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(w)), "#")
				if k == "" {
					return fmt.Errorf("content: %s.yaml: keywords.%s: empty keyword", lang, intent)
				}
				if other, ok := owner[k]; ok && other != intent {
					return fmt.Errorf("content: %s.yaml: keyword %q belongs to both %s and %s", lang, w, other, intent)
				}
				owner[k] = intent
			}
		}
	}
	return nil
}

func difference(a, b []string) []string {
	var out []string
	for _, k := range a {
		if _, found := slices.BinarySearch(b, k); !found {
			out = append(out, k)
		}
	}
	return out
}

// Langs lists the languages, the default first.
func (c *Catalog) Langs() []string { return slices.Clone(c.langs) }

func (c *Catalog) lang(lang string) *language {
	if l, ok := c.byLang[lang]; ok {
		return l
	}
	return c.byLang[DefaultLang]
}

// Text renders the text named key in lang (an unknown lang means the
// default) with data. Trailing spaces are cut from each line, runs of blank
// lines become one, and the result is trimmed, so templates may leave blank
// lines where an optional part is absent.
func (c *Catalog) Text(lang, key string, data any) (string, error) {
	t, ok := c.lang(lang).texts[key]
	if !ok {
		return "", fmt.Errorf("content: no text %q", key)
	}
	d, cacheable := data.(Data)
	if cacheable {
		if v, ok := renders.get(renderKey{t, d}); ok {
			return v.(string), nil
		}
	}
	out, err := execute(t, data)
	if err == nil && cacheable {
		renders.put(renderKey{t, d}, out)
	}
	return out, err
}

func execute(t *template.Template, data any) (string, error) {
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("content: %w", err)
	}
	return tidy(b.String()), nil
}

// renders keeps texts as rendered. Most replies are the same few texts
// with the same office's data (the menu, #bayar, #antrian), and rendering
// one costs more than the rest of working out the answer. A template is
// never changed once parsed and uses no functions of its own, so the same
// template and data always render the same.
var renders = renderCache{m: map[renderKey]any{}}

// maxRenders bounds the cache. Texts that show an application or a ticket
// are rendered once each; when they have filled it, it starts again.
const maxRenders = 4096

// renderKey is a text's or a list's template (*template.Template,
// *listTemplate) and its data.
type renderKey struct {
	t any
	d Data
}

type renderCache struct {
	mu sync.RWMutex
	m  map[renderKey]any // a text, or a *sigap.List not to be changed
}

func (c *renderCache) get(k renderKey) (any, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *renderCache) put(k renderKey, v any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxRenders {
		clear(c.m)
	}
	c.m[k] = v
}

func tidy(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := false
	for _, line := range lines {
		line = strings.TrimRight(line, " \t\r")
		if line == "" {
			if blank {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		out = append(out, line)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// Keywords returns lang's keywords by intent, as written in the file.
func (c *Catalog) Keywords(lang string) map[string][]string {
	out := map[string][]string{}
	for intent, words := range c.lang(lang).keywords {
		out[intent] = slices.Clone(words)
	}
	return out
}

// List renders the interactive list named name in lang with data. A body
// longer than WhatsApp allows is cut, so that a long office name cannot make
// the message undeliverable.
func (c *Catalog) List(lang, name string, data any) (*sigap.List, error) {
	lt, ok := c.lang(lang).lists[name]
	if !ok {
		return nil, fmt.Errorf("content: no list %q", name)
	}
	d, cacheable := data.(Data)
	if cacheable {
		if v, ok := renders.get(renderKey{lt, d}); ok {
			return cloneList(v.(*sigap.List)), nil
		}
	}
	l, err := renderList(lt, data)
	if err == nil && cacheable {
		renders.put(renderKey{lt, d}, cloneList(l))
	}
	return l, err
}

// cloneList copies l, so that a list kept and one handed out share nothing
// that either could change.
func cloneList(l *sigap.List) *sigap.List {
	out := *l
	out.Sections = slices.Clone(l.Sections)
	for i := range out.Sections {
		out.Sections[i].Rows = slices.Clone(out.Sections[i].Rows)
	}
	return &out
}

func renderList(lt *listTemplate, data any) (*sigap.List, error) {
	var err error
	l := &sigap.List{}
	for _, f := range []struct {
		t   *template.Template
		dst *string
	}{{lt.header, &l.Header}, {lt.body, &l.Body}, {lt.footer, &l.Footer}, {lt.button, &l.Button}} {
		if *f.dst, err = execute(f.t, data); err != nil {
			return nil, err
		}
	}
	l.Header = clip(l.Header, MaxListHeader)
	l.Body = clip(l.Body, MaxListBody)
	l.Footer = clip(l.Footer, MaxListFooter)
	for _, st := range lt.sections {
		s := sigap.ListSection{}
		if s.Title, err = execute(st.title, data); err != nil {
			return nil, err
		}
		for _, rt := range st.rows {
			r := sigap.ListRow{ID: rt.id}
			if r.Title, err = execute(rt.title, data); err != nil {
				return nil, err
			}
			if r.Description, err = execute(rt.description, data); err != nil {
				return nil, err
			}
			s.Rows = append(s.Rows, r)
		}
		l.Sections = append(l.Sections, s)
	}
	return l, nil
}

// ListNames lists the names of the interactive lists.
func (c *Catalog) ListNames() []string {
	var names []string
	for name := range c.byLang[DefaultLang].lists {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// WhatsApp's limits on an interactive list, in characters (runes).
const (
	MaxListRows         = 10
	MaxListSections     = 10
	MaxListRowTitle     = 24
	MaxListRowDesc      = 72
	MaxListRowID        = 200
	MaxListButton       = 20
	MaxListBody         = 1024
	MaxListHeader       = 60
	MaxListFooter       = 60
	MaxListSectionTitle = 24
	MaxText             = 4096
)

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// Date writes a calendar date as applicants read it: "12 Januari 2026".
func (c *Catalog) Date(lang string, t time.Time) string {
	y, m, d := t.Date()
	return fmt.Sprintf("%d %s %d", d, c.lang(lang).months[m-1], y)
}
