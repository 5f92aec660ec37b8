// Package editing checks and previews what staff change in the console's
// content pages: a text (a Go template of package content) must parse,
// name only placeholders that exist, render within WhatsApp's length
// limits; a keyword or synonym must have a letter, be short, and not ask
// for another service already. Problems come as codes with arguments, for
// the console to put in its words.
package editing

import (
	"fmt"
	"html"
	"html/template"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/bot"
	"github.com/sigap-id/sigap/internal/content"
)

// Limits of what staff write.
const (
	MaxTextRunes    = content.MaxText // WhatsApp's limit for a text message
	MaxSourceRunes  = 8000            // of a template as written
	MaxKeywordRunes = 40
)

// Problem is one reason a change cannot be saved.
type Problem struct {
	Code string // "too_long", "unknown_placeholder", "syntax", "empty", "no_letter", "clash", "unknown_text", "unknown_service", "exists"
	Args []any
}

func (p Problem) String() string { return fmt.Sprint(p.Code, p.Args) }

// Placeholders lists the fields a text may use ({{.Office}}, …).
func Placeholders() []string {
	var out []string
	t := reflect.TypeFor[content.Data]()
	for i := range t.NumField() {
		out = append(out, "."+t.Field(i).Name)
	}
	sort.Strings(out)
	return out
}

var (
	unknownField = regexp.MustCompile(`can't evaluate field (\w+)`)
	lineCol      = regexp.MustCompile(`^template: [^:]*:(\d+)(?::\d+)?: `)
)

// CheckText says what is wrong with src as office's text key in lang:
// its preview is the rendered text when nothing is.
func CheckText(cat *content.Catalog, office sigap.Office, lang, key, src string) (Preview, []Problem) {
	var probs []Problem
	if !contains(cat.Langs(), lang) || !contains(cat.TextKeys(), key) {
		return Preview{}, []Problem{{Code: "unknown_text", Args: []any{lang, key}}}
	}
	if n := utf8.RuneCountInString(src); n > MaxSourceRunes {
		return Preview{}, []Problem{{Code: "too_long", Args: []any{n, MaxSourceRunes}}}
	}
	if strings.TrimSpace(src) == "" {
		return Preview{}, []Problem{{Code: "empty"}}
	}
	if err := cat.CheckText(lang, key, src); err != nil {
		msg := err.Error()
		if m := unknownField.FindStringSubmatch(msg); m != nil {
			return Preview{}, []Problem{{Code: "unknown_placeholder", Args: []any{"{{." + m[1] + "}}", strings.Join(Placeholders(), " ")}}}
		}
		return Preview{}, []Problem{{Code: "syntax", Args: []any{lineCol.ReplaceAllString(msg, "line $1: ")}}}
	}
	p, err := render(cat, office, lang, key, src)
	if err != nil {
		return Preview{}, []Problem{{Code: "syntax", Args: []any{err.Error()}}}
	}
	if n := utf8.RuneCountInString(p.Text); n > MaxTextRunes {
		probs = append(probs, Problem{Code: "too_long", Args: []any{n, MaxTextRunes}})
	}
	return p, probs
}

// Preview is a text as the applicant would see it.
type Preview struct {
	Text string
	HTML template.HTML // WhatsApp's formatting, escaped
	// Button and Rows are the interactive list sent with the text, if any.
	Button string
	Rows   []string
}

// Data is what a preview is rendered with: the office's own details, and
// a sample for the rest (an application, a ticket), so that the parts a
// text shows only sometimes show too.
func Data(office sigap.Office) content.Data {
	d := content.Sample()
	d.Office = office.Name
	if d.Office == "" {
		d.Office = office.Code
	}
	d.Hours, d.Address, d.Phone = office.Hours, office.Address, office.Phone
	d.Unknown, d.Switched = false, false
	return d
}

// Render renders the office's text key in lang as it stands (src "" for
// the one in use).
func Render(cat *content.Catalog, office sigap.Office, lang, key, src string) (Preview, error) {
	return render(cat, office, lang, key, src)
}

func render(cat *content.Catalog, office sigap.Office, lang, key, src string) (Preview, error) {
	texts := office.Texts
	if src != "" {
		texts = map[string]map[string]string{lang: {key: src}}
	}
	c, err := cat.WithTexts(texts)
	if err != nil {
		return Preview{}, err
	}
	d := Data(office)
	// A pointer: the content's cache of rendered texts keeps values only,
	// and a preview is not worth keeping.
	text, err := c.Text(lang, key, &d)
	if err != nil {
		return Preview{}, err
	}
	p := Preview{Text: text, HTML: FormatHTML(text)}
	if name := ListOf(key); name != "" {
		if l, err := c.List(lang, name, &d); err == nil {
			p.Button = l.Button
			for _, s := range l.Sections {
				for _, r := range s.Rows {
					p.Rows = append(p.Rows, r.Title)
				}
			}
		}
	}
	return p, nil
}

// ListOf names the interactive list sent with a text, "" for none.
func ListOf(key string) string {
	switch key {
	case "menu", "requirements", "handover_offer":
		return key
	case "feedback.help":
		return "feedback"
	}
	return ""
}

var (
	bold   = regexp.MustCompile(`(^|[\s(])\*([^*\s](?:[^*\n]*[^*\s])?)\*`)
	italic = regexp.MustCompile(`(^|[\s(])_([^_\s](?:[^_\n]*[^_\s])?)_`)
	strike = regexp.MustCompile(`(^|[\s(])~([^~\s](?:[^~\n]*[^~\s])?)~`)
	mono   = regexp.MustCompile("```([^`]+)```")
)

// FormatHTML shows text as WhatsApp does: *bold*, _italic_, ~strike~,
// ```monospace``` and line breaks; everything else escaped.
func FormatHTML(text string) template.HTML {
	s := html.EscapeString(text)
	s = mono.ReplaceAllString(s, "<code>$1</code>")
	s = bold.ReplaceAllString(s, "$1<b>$2</b>")
	s = italic.ReplaceAllString(s, "$1<i>$2</i>")
	s = strike.ReplaceAllString(s, "$1<s>$2</s>")
	s = strings.ReplaceAll(s, "\n", "<br>")
	return template.HTML(s)
}

// CheckWord says what is wrong with word as a keyword (or synonym, kind)
// of intent at office (the office as the bot sees it, with its changes):
// it must have a letter, be short, and ask for nothing else already, in
// the national keywords of any language or the office's own keywords and
// synonyms.
func CheckWord(cat *content.Catalog, office sigap.Office, kind, intent, word string) []Problem {
	if !contains(cat.Intents(), intent) {
		return []Problem{{Code: "unknown_service", Args: []any{intent}}}
	}
	norm := strings.TrimPrefix(bot.NormalizeText(word), "#")
	if n := utf8.RuneCountInString(word); n > MaxKeywordRunes {
		return []Problem{{Code: "too_long", Args: []any{n, MaxKeywordRunes}}}
	}
	if !strings.ContainsFunc(norm, unicode.IsLetter) {
		return []Problem{{Code: "no_letter", Args: []any{word}}}
	}
	owners := map[string]string{}
	for _, lang := range cat.Langs() {
		for in, ws := range cat.Keywords(lang) {
			for _, w := range ws {
				owners[bot.NormalizeText(w)] = in
			}
		}
	}
	for _, set := range []map[string][]string{office.Keywords, office.Synonyms} {
		for in, ws := range set {
			for _, w := range ws {
				owners[bot.NormalizeText(w)] = in
			}
		}
	}
	if other, ok := owners[norm]; ok {
		if other == intent {
			return []Problem{{Code: "exists", Args: []any{word, intent}}}
		}
		return []Problem{{Code: "clash", Args: []any{word, other}}}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
