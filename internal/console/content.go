package console

// Content: each office's texts and keywords per language, edited with a
// preview of the reply as WhatsApp shows it. Office admins change their
// office, national admins any office; staff read. National defaults are
// the embedded content files (internal/content), changed with the code:
// "back to the national default" removes the office's own text. Every
// change is audited and live at once on this replica, within a second on
// the others (internal/live).

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/editing"
)

func (p *extraPages) contentRoutes() {
	c := p.c
	c.HandleFunc("GET /admin/content", p.contentIndex)
	c.HandleFunc("GET /admin/content/{office}", p.contentOffice)
	c.HandleFunc("GET /admin/content/{office}/text", p.textPage)
	c.HandleFunc("POST /admin/content/{office}/preview", p.textPreview)
	c.HandleFunc("POST /admin/content/{office}/text", p.textSave)
	c.HandleFunc("POST /admin/content/{office}/text/reset", p.textReset)
	c.HandleFunc("POST /admin/content/{office}/words", p.wordAdd)
	c.HandleFunc("POST /admin/content/{office}/words/delete", p.wordDelete)
	c.AddNav(NavContent, "/admin/content")
	addWords(contentWords)
}

// Text origins, for the list of texts.
const (
	fromConsole  = "console"
	fromFile     = "file"
	fromNational = "national"
)

type contentIndexData struct{ Offices []sigap.Office }

func (p *extraPages) contentIndex(w http.ResponseWriter, r *http.Request) {
	a, _ := AccountFrom(r.Context())
	offices := p.c.Offices(a)
	if code := p.scope(r); code != "" {
		http.Redirect(w, r, "/admin/content/"+url.PathEscape(code), http.StatusSeeOther)
		return
	}
	if len(offices) == 1 {
		http.Redirect(w, r, "/admin/content/"+url.PathEscape(offices[0].Code), http.StatusSeeOther)
		return
	}
	p.c.Render(w, r, http.StatusOK, "content_index", contentIndexData{Offices: offices})
}

type textRow struct {
	Key, Origin, Excerpt string
}

type wordRow struct {
	Kind, Value string
}

type serviceRow struct {
	Intent   string
	National []string // the content's keywords, every language
	File     []string // the offices file's
	Added    []wordRow
}

type contentOfficeData struct {
	Office   sigap.Office
	Lang     string
	Langs    []string
	Texts    []textRow
	Services []serviceRow
	Intents  []string
	MayEdit  bool
	Flash    string
	Problems []string
}

// lang returns the content language a request asks for.
func (p *extraPages) lang(r *http.Request) string {
	l := r.FormValue("lang")
	if slices.Contains(p.x.Catalog.Langs(), l) {
		return l
	}
	return p.x.Catalog.Langs()[0]
}

func (p *extraPages) contentOffice(w http.ResponseWriter, r *http.Request) {
	o, ok := p.office(w, r)
	if !ok {
		return
	}
	p.renderOffice(w, r, o, http.StatusOK, r.FormValue("done"), nil)
}

func (p *extraPages) renderOffice(w http.ResponseWriter, r *http.Request, o sigap.Office, status int, flash string, problems []string) {
	a, _ := AccountFrom(r.Context())
	lang := p.lang(r)
	base, _ := p.c.Office(o.Code)
	changes := p.x.Live.Overrides(o.Code)
	d := contentOfficeData{Office: o, Lang: lang, Langs: p.x.Catalog.Langs(), MayEdit: a.MayAdmin(o.Code), Intents: p.x.Catalog.Intents(),
		Problems: problems}
	if flash != "" {
		d.Flash = "content.done." + flash
	}
	for _, key := range p.x.Catalog.TextKeys() {
		row := textRow{Key: key, Origin: fromNational}
		if _, ok := base.Texts[lang][key]; ok {
			row.Origin = fromFile
		}
		if slices.ContainsFunc(changes, func(c sigap.ContentOverride) bool {
			return c.Kind == sigap.OverrideText && c.Lang == lang && c.Item == key
		}) {
			row.Origin = fromConsole
		}
		if pv, err := editing.Render(p.x.Catalog, o, lang, key, ""); err == nil {
			row.Excerpt = excerpt(pv.Text, 90)
		}
		d.Texts = append(d.Texts, row)
	}
	for _, intent := range p.x.Catalog.Intents() {
		s := serviceRow{Intent: intent, File: base.Keywords[intent]}
		for _, l := range p.x.Catalog.Langs() {
			for _, w := range p.x.Catalog.Keywords(l)[intent] {
				if !slices.Contains(s.National, w) {
					s.National = append(s.National, w)
				}
			}
		}
		for _, c := range changes {
			if (c.Kind == sigap.OverrideKeyword || c.Kind == sigap.OverrideSynonym) && c.Item == intent {
				s.Added = append(s.Added, wordRow{Kind: c.Kind, Value: c.Value})
			}
		}
		d.Services = append(d.Services, s)
	}
	p.c.Render(w, r, status, "content_office", d)
}

func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

type textPageData struct {
	Office       sigap.Office
	Lang, Key    string
	Src          string
	National     string
	Origin       string
	Preview      editing.Preview
	Problems     []string
	Runes        int
	Placeholders []string
	MaxRunes     int
	MayEdit      bool
	Flash        string
}

// textKey returns the text key a request names, when it exists.
func (p *extraPages) textKey(r *http.Request) (string, bool) {
	key := r.FormValue("key")
	return key, slices.Contains(p.x.Catalog.TextKeys(), key)
}

// textForm reads a text form: its key (one of the catalog's) and its text,
// within maxSource, with the browser's line ends made WhatsApp's.
func (p *extraPages) textForm(r *http.Request) (key, src string, ok bool) {
	key, known := p.textKey(r)
	src, fits := formValue(r, "text", maxSource)
	return key, strings.ReplaceAll(src, "\r\n", "\n"), known && fits
}

// textPageURL is the page of an office's text, saying what was just done.
func textPageURL(office, lang, key, done string) string {
	return fmt.Sprintf("/admin/content/%s/text?lang=%s&key=%s&done=%s", url.PathEscape(office), url.QueryEscape(lang), url.QueryEscape(key), done)
}

func (p *extraPages) textPage(w http.ResponseWriter, r *http.Request) {
	o, ok := p.office(w, r)
	if !ok {
		return
	}
	key, ok := p.textKey(r)
	if !ok {
		p.c.NotFound(w, r)
		return
	}
	lang := p.lang(r)
	src := o.Texts[lang][key]
	if src == "" {
		src, _ = p.x.Catalog.TextSource(lang, key)
	}
	p.renderText(w, r, o, lang, key, src, http.StatusOK, r.FormValue("done"))
}

func (p *extraPages) renderText(w http.ResponseWriter, r *http.Request, o sigap.Office, lang, key, src string, status int, flash string) {
	a, _ := AccountFrom(r.Context())
	national, _ := p.x.Catalog.TextSource(lang, key)
	base, _ := p.c.Office(o.Code)
	d := textPageData{Office: o, Lang: lang, Key: key, Src: src, National: national, Origin: fromNational,
		Placeholders: editing.Placeholders(), MaxRunes: editing.MaxTextRunes, MayEdit: a.MayAdmin(o.Code)}
	if _, ok := base.Texts[lang][key]; ok {
		d.Origin = fromFile
	}
	if slices.ContainsFunc(p.x.Live.Overrides(o.Code), func(c sigap.ContentOverride) bool {
		return c.Kind == sigap.OverrideText && c.Lang == lang && c.Item == key
	}) {
		d.Origin = fromConsole
	}
	if flash != "" {
		d.Flash = "content.done." + flash
	}
	var probs []editing.Problem
	d.Preview, probs = editing.CheckText(p.x.Catalog, o, lang, key, src)
	d.Problems = p.problemWords(r, probs)
	d.Runes = len([]rune(d.Preview.Text))
	p.c.Render(w, r, status, "content_text", d)
}

// problemWords puts problems in the view's language.
func (p *extraPages) problemWords(r *http.Request, probs []editing.Problem) []string {
	v := p.c.View(r, "", nil)
	var out []string
	for _, pr := range probs {
		out = append(out, v.T("content.problem."+pr.Code, pr.Args...))
	}
	return out
}

// maxSource bounds a text posted, in bytes (editing checks runes).
const maxSource = 4 * editing.MaxSourceRunes

type previewData struct {
	Preview  editing.Preview
	Problems []string
	Runes    int
}

// textPreview answers the edit page's script with the preview of what is
// being written: a part of the page, not a whole one.
func (p *extraPages) textPreview(w http.ResponseWriter, r *http.Request) {
	o, ok := p.office(w, r)
	if !ok {
		return
	}
	key, src, ok := p.textForm(r)
	if !ok {
		p.c.BadRequest(w, r, "error.bad_request")
		return
	}
	if r.Header.Get("X-Preview") == "" { // the form's button, without script: the whole page
		p.renderText(w, r, o, p.lang(r), key, src, http.StatusOK, "")
		return
	}
	pv, probs := editing.CheckText(p.x.Catalog, o, p.lang(r), key, src)
	v := p.c.View(r, "content_text", previewData{Preview: pv, Problems: p.problemWords(r, probs), Runes: len([]rune(pv.Text))})
	p.c.Partial(w, v, "preview")
}

func (p *extraPages) textSave(w http.ResponseWriter, r *http.Request) {
	o, ok := p.adminOffice(w, r)
	if !ok {
		return
	}
	key, src, ok := p.textForm(r)
	if !ok {
		p.c.BadRequest(w, r, "error.bad_request")
		return
	}
	lang := p.lang(r)
	if _, probs := editing.CheckText(p.x.Catalog, o, lang, key, src); len(probs) > 0 {
		p.renderText(w, r, o, lang, key, src, http.StatusUnprocessableEntity, "")
		return
	}
	a, _ := AccountFrom(r.Context())
	prev, err := p.c.Store().SetContentOverride(r.Context(), sigap.ContentOverride{Office: o.Code, Kind: sigap.OverrideText, Lang: lang,
		Item: key, Value: src, By: a.Email, At: p.c.Now()})
	if err != nil {
		p.c.Unavailable(w, r, err)
		return
	}
	p.refresh(r.Context())
	_ = p.c.Audit(r, "content.text.set", o.Code, lang+" "+key, textAudit(prev), textAudit(src))
	http.Redirect(w, r, textPageURL(o.Code, lang, key, "saved"), http.StatusSeeOther)
}

func textAudit(s string) any {
	if s == "" {
		return nil
	}
	return map[string]string{"text": s}
}

func (p *extraPages) textReset(w http.ResponseWriter, r *http.Request) {
	o, ok := p.adminOffice(w, r)
	if !ok {
		return
	}
	key, ok := p.textKey(r)
	if !ok {
		p.c.BadRequest(w, r, "error.bad_request")
		return
	}
	lang := p.lang(r)
	prev, err := p.c.Store().DeleteContentOverride(r.Context(), o.Code, sigap.OverrideText, lang, key, "")
	switch {
	case errorsIsNotFound(err):
		// Nothing of its own: it already is the default.
	case err != nil:
		p.c.Unavailable(w, r, err)
		return
	default:
		p.refresh(r.Context())
		_ = p.c.Audit(r, "content.text.reset", o.Code, lang+" "+key, textAudit(prev), nil)
	}
	http.Redirect(w, r, textPageURL(o.Code, lang, key, "reset"), http.StatusSeeOther)
}

// wordKind reads the kind of word a form adds: a keyword or a synonym.
func wordKind(r *http.Request) (string, bool) {
	switch k := r.PostFormValue("kind"); k {
	case sigap.OverrideKeyword, sigap.OverrideSynonym:
		return k, true
	case "":
		return sigap.OverrideKeyword, true
	}
	return "", false
}

// wordForm reads a keyword or synonym form: its kind, the service (intent)
// and the word, each within its size.
func wordForm(r *http.Request) (kind, intent, word string, ok bool) {
	kind, kok := wordKind(r)
	intent, iok := formValue(r, "intent", 64)
	word, wok := formValue(r, "word", 4*editing.MaxKeywordRunes)
	return kind, intent, word, kok && iok && wok
}

func (p *extraPages) wordAdd(w http.ResponseWriter, r *http.Request) {
	o, ok := p.adminOffice(w, r)
	if !ok {
		return
	}
	kind, intent, word, ok := wordForm(r)
	if !ok {
		p.c.BadRequest(w, r, "error.bad_request")
		return
	}
	if probs := editing.CheckWord(p.x.Catalog, o, kind, intent, word); len(probs) > 0 {
		p.renderOffice(w, r, o, http.StatusUnprocessableEntity, "", p.problemWords(r, probs))
		return
	}
	if _, err := p.addWord(r, o, kind, intent, word); err != nil {
		p.c.Unavailable(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/content/%s?lang=%s&done=word_added#svc-%s", url.PathEscape(o.Code), url.QueryEscape(p.lang(r)), url.QueryEscape(intent)), http.StatusSeeOther)
}

// addWord stores a checked keyword or synonym, makes it live and audits it.
func (p *extraPages) addWord(r *http.Request, o sigap.Office, kind, intent, word string) (sigap.ContentOverride, error) {
	a, _ := AccountFrom(r.Context())
	ov := sigap.ContentOverride{Office: o.Code, Kind: kind, Item: intent, Value: word, By: a.Email, At: p.c.Now()}
	if _, err := p.c.Store().SetContentOverride(r.Context(), ov); err != nil {
		return ov, err
	}
	p.refresh(r.Context())
	_ = p.c.Audit(r, "content."+kind+".add", o.Code, intent, nil, map[string]string{kind: word})
	return ov, nil
}

func (p *extraPages) wordDelete(w http.ResponseWriter, r *http.Request) {
	o, ok := p.adminOffice(w, r)
	if !ok {
		return
	}
	kind, intent, word, ok := wordForm(r)
	if !ok {
		p.c.BadRequest(w, r, "error.bad_request")
		return
	}
	prev, err := p.c.Store().DeleteContentOverride(r.Context(), o.Code, kind, "", intent, word)
	switch {
	case errorsIsNotFound(err):
		p.c.NotFound(w, r)
		return
	case err != nil:
		p.c.Unavailable(w, r, err)
		return
	}
	p.refresh(r.Context())
	_ = p.c.Audit(r, "content."+kind+".delete", o.Code, intent, map[string]string{kind: prev}, nil)
	http.Redirect(w, r, fmt.Sprintf("/admin/content/%s?lang=%s&done=word_deleted#svc-%s", url.PathEscape(o.Code), url.QueryEscape(p.lang(r)), url.QueryEscape(intent)), http.StatusSeeOther)
}

var contentWords = map[string][2]string{
	"content.title":             {"Konten", "Content"},
	"content.intro":             {"Teks yang dibaca pemohon dan kata kunci tiap layanan, per kantor dan bahasa. Perubahan langsung berlaku, tanpa restart.", "The texts applicants read and each service's keywords, per office and language. Changes apply at once, without a restart."},
	"content.readonly":          {"Anda hanya dapat membaca. Admin kantor dapat mengubah.", "You can read only. Office admins can change them."},
	"content.texts":             {"Teks", "Texts"},
	"content.keywords":          {"Kata kunci dan sinonim", "Keywords and synonyms"},
	"content.keywords.help":     {"Kata kunci: pesan yang persis kata itu (atau #kata di mana saja) menuju layanan. Sinonim: kata atau frasa di mana saja dalam pesan yang tidak dipahami bot.", "Keyword: a message that is exactly the word (or #word anywhere) goes to the service. Synonym: a word or phrase anywhere in a message the bot did not understand."},
	"content.origin.console":    {"diubah di konsol", "changed here"},
	"content.origin.file":       {"dari berkas kantor", "from the offices file"},
	"content.origin.national":   {"bawaan nasional", "national default"},
	"content.edit":              {"Ubah", "Edit"},
	"content.view":              {"Lihat", "View"},
	"content.national":          {"Nasional", "National"},
	"content.file":              {"Berkas kantor", "Offices file"},
	"content.added":             {"Ditambahkan", "Added"},
	"content.kind.keyword":      {"kata kunci", "keyword"},
	"content.kind.synonym":      {"sinonim", "synonym"},
	"content.add":               {"Tambah", "Add"},
	"content.delete":            {"Hapus", "Remove"},
	"content.word":              {"Kata atau frasa", "Word or phrase"},
	"content.service":           {"Layanan", "Service"},
	"content.kind":              {"Jenis", "Kind"},
	"content.text":              {"Teks", "Text"},
	"content.save":              {"Simpan", "Save"},
	"content.preview":           {"Pratinjau", "Preview"},
	"content.preview.help":      {"Seperti di WhatsApp, dengan data contoh untuk bagian yang berubah-ubah.", "As WhatsApp shows it, with sample data for the parts that vary."},
	"content.reset":             {"Kembali ke bawaan nasional", "Back to the national default"},
	"content.reset.help":        {"Menghapus teks kantor ini; bot memakai teks bawaan lagi.", "Removes this office's text; the bot uses the default again."},
	"content.national_text":     {"Teks bawaan nasional", "National default text"},
	"content.placeholders":      {"Isian yang tersedia", "Placeholders you may use"},
	"content.format.help":       {"*tebal*, _miring_, ~coret~, baris baru = baris baru. Batas %d karakter.", "*bold*, _italic_, ~strike~, a new line is a new line. At most %d characters."},
	"content.runes":             {"%d karakter", "%d characters"},
	"content.list_button":       {"Tombol daftar", "List button"},
	"content.language":          {"Bahasa", "Language"},
	"content.choose_office":     {"Pilih kantor", "Choose an office"},
	"content.done.saved":        {"Tersimpan dan langsung berlaku.", "Saved, and in use now."},
	"content.done.reset":        {"Kembali ke teks bawaan.", "Back to the default text."},
	"content.done.word_added":   {"Ditambahkan dan langsung berlaku.", "Added, and in use now."},
	"content.done.word_deleted": {"Dihapus.", "Removed."},

	"content.problem.too_long":            {"Terlalu panjang: %d karakter (paling banyak %d).", "Too long: %d characters (at most %d)."},
	"content.problem.unknown_placeholder": {"Isian %s tidak dikenal. Yang tersedia: %s", "Unknown placeholder %s. Available: %s"},
	"content.problem.syntax":              {"Penulisan isian salah: %s", "A placeholder is written wrongly: %s"},
	"content.problem.empty":               {"Teks kosong.", "The text is empty."},
	"content.problem.unknown_text":        {"Teks %s %s tidak ada.", "No text %s %s."},
	"content.problem.unknown_service":     {"Layanan %s tidak ada.", "No service %s."},
	"content.problem.no_letter":           {"%q tidak berisi huruf.", "%q has no letter."},
	"content.problem.clash":               {"%q sudah dipakai layanan %s.", "%q already asks for %s."},
	"content.problem.exists":              {"%q sudah menjadi kata untuk %s.", "%q is already a word for %s."},
}
