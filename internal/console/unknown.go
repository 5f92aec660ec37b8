package console

// "Not understood": the messages the bot could not place (package tally
// records them: the office, the text normalised, how often, first and
// last seen; never the sender; kept 30 days after last seen), most
// frequent first. An admin adds a synonym or keyword to a service from
// one in one step, after trying which stored messages it would catch (the
// bot's matcher run again over them); the ones it catches leave the list.

import (
	"net/http"
	"slices"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/editing"
)

func (p *extraPages) unknownRoutes() {
	c := p.c
	c.HandleFunc("GET /admin/unknown", p.unknownPage)
	c.HandleFunc("POST /admin/unknown/try", p.unknownTry)
	c.HandleFunc("POST /admin/unknown/add", p.unknownAdd)
	c.AddNav(NavNotUnderstood, "/admin/unknown")
	addWords(unknownWords)
}

// maxUnknown is how many texts the page lists and re-matches.
const maxUnknown = 300

type unknownItem struct {
	sigap.UnplacedMessage
	OfficeName string
	Now        string // the service the bot would answer with now, "" for none
	MayEdit    bool
}

type caught struct {
	Text  string
	Count int64
	As    string
}

type catchResult struct {
	Office, Intent, Kind, Word string
	Saved                      bool
	Caught                     []caught
	Messages                   int64
}

type unknownData struct {
	Items    []unknownItem
	Intents  []string
	Result   *catchResult
	Problems []string
}

func (p *extraPages) unknownPage(w http.ResponseWriter, r *http.Request) {
	p.renderUnknown(w, r, http.StatusOK, nil, nil)
}

func (p *extraPages) renderUnknown(w http.ResponseWriter, r *http.Request, status int, res *catchResult, problems []string) {
	a, _ := AccountFrom(r.Context())
	list, err := p.c.Store().Unplaced(r.Context(), p.scope(r), maxUnknown)
	if err != nil {
		p.c.Unavailable(w, r, err)
		return
	}
	d := unknownData{Intents: p.x.Catalog.Intents(), Result: res, Problems: problems}
	offices := map[string]sigap.Office{}
	for _, u := range list {
		if !a.MaySee(u.Office) {
			continue
		}
		o, ok := offices[u.Office]
		if !ok {
			if o, ok = p.x.Live.ByCode(u.Office); !ok {
				continue // an office gone from the offices file
			}
			offices[u.Office] = o
		}
		it := unknownItem{UnplacedMessage: u, OfficeName: o.Name, MayEdit: a.MayAdmin(u.Office)}
		it.Now, _ = p.x.Engine.Place(o, u.Text)
		d.Items = append(d.Items, it)
	}
	p.c.Render(w, r, status, "unknown", d)
}

// catchForm reads and checks the form of a text: the office (which the
// account may see), the service, keyword or synonym, and the word.
func (p *extraPages) catchForm(w http.ResponseWriter, r *http.Request) (sigap.Office, *catchResult, []string, bool) {
	o, ok := p.office(w, r)
	if !ok {
		return o, nil, nil, false
	}
	kind, kok := wordKind(r)
	intent, iok := formValue(r, "intent", 64)
	word, wok := formValue(r, "word", 4*editing.MaxKeywordRunes)
	if !kok || !iok || !wok {
		p.c.BadRequest(w, r, "error.bad_request")
		return o, nil, nil, false
	}
	res := &catchResult{Office: o.Code, Intent: intent, Kind: kind, Word: word}
	return o, res, p.problemWords(r, editing.CheckWord(p.x.Catalog, o, kind, intent, word)), true
}

// catches re-runs the bot's matcher over the office's stored texts with
// the office as given (a word added) and returns those it now places.
func (p *extraPages) catches(r *http.Request, o sigap.Office, res *catchResult) error {
	list, err := p.c.Store().Unplaced(r.Context(), o.Code, maxUnknown)
	if err != nil {
		return err
	}
	res.Caught, res.Messages = nil, 0
	for _, u := range list {
		if as, _ := p.x.Engine.Place(o, u.Text); as != "" {
			res.Caught = append(res.Caught, caught{Text: u.Text, Count: u.Count, As: as})
			res.Messages += u.Count
		}
	}
	return nil
}

// withWord is the office with one more keyword or synonym.
func withWord(o sigap.Office, kind, intent, word string) sigap.Office {
	add := func(m map[string][]string) map[string][]string {
		out := map[string][]string{}
		for k, v := range m {
			out[k] = slices.Clone(v)
		}
		out[intent] = append(out[intent], word)
		return out
	}
	if kind == sigap.OverrideSynonym {
		o.Synonyms = add(o.Synonyms)
	} else {
		o.Keywords = add(o.Keywords)
	}
	return o
}

// unknownTry shows which stored messages a word would catch, changing
// nothing: anyone who may see the office may try.
func (p *extraPages) unknownTry(w http.ResponseWriter, r *http.Request) {
	o, res, probs, ok := p.catchForm(w, r)
	if !ok {
		return
	}
	if len(probs) > 0 {
		p.renderUnknown(w, r, http.StatusUnprocessableEntity, res, probs)
		return
	}
	if err := p.catches(r, withWord(o, res.Kind, res.Intent, res.Word), res); err != nil {
		p.c.Unavailable(w, r, err)
		return
	}
	p.renderUnknown(w, r, http.StatusOK, res, nil)
}

// unknownAdd adds the word (admins of the office), makes it live, and
// takes the messages it now catches off the list.
func (p *extraPages) unknownAdd(w http.ResponseWriter, r *http.Request) {
	o, res, probs, ok := p.catchForm(w, r)
	if !ok {
		return
	}
	if a, _ := AccountFrom(r.Context()); !a.MayAdmin(o.Code) {
		p.c.Forbidden(w, r)
		return
	}
	if len(probs) > 0 {
		p.renderUnknown(w, r, http.StatusUnprocessableEntity, res, probs)
		return
	}
	if _, err := p.addWord(r, o, res.Kind, res.Intent, res.Word); err != nil {
		p.c.Unavailable(w, r, err)
		return
	}
	now, _ := p.x.Live.ByCode(o.Code)
	if err := p.catches(r, now, res); err != nil {
		p.c.Unavailable(w, r, err)
		return
	}
	var texts []string
	for _, c := range res.Caught {
		texts = append(texts, c.Text)
	}
	if err := p.c.Store().DeleteUnplaced(r.Context(), o.Code, texts); err != nil {
		p.c.Unavailable(w, r, err)
		return
	}
	res.Saved = true
	p.renderUnknown(w, r, http.StatusOK, res, nil)
}

var unknownWords = map[string][2]string{
	"unknown.title":     {"Tidak dipahami", "Not understood"},
	"unknown.intro":     {"Pesan yang tidak bisa ditempatkan bot ke layanan mana pun, dikelompokkan menurut teksnya (huruf kecil, tanpa tanda baca, angka panjang disamarkan #). Pengirim tidak disimpan; teks dihapus 30 hari setelah terakhir terlihat.", "Messages the bot could not place in any service, grouped by their text (lower case, no punctuation, long numbers masked #). Senders are not kept; a text is deleted 30 days after it was last seen."},
	"unknown.none":      {"Tidak ada pesan yang tidak dipahami. Bagus!", "No message left not understood. Good!"},
	"unknown.count":     {"%d×", "%d×"},
	"unknown.seen":      {"pertama %s · terakhir %s", "first %s · last %s"},
	"unknown.now":       {"sekarang dipahami: %s", "now understood: %s"},
	"unknown.word":      {"Kata atau frasa", "Word or phrase"},
	"unknown.try":       {"Coba", "Try"},
	"unknown.add":       {"Tambahkan", "Add"},
	"unknown.would":     {"%q sebagai %s untuk %s akan menangkap %d pesan tersimpan (%d kali dikirim):", "%q as a %s of %s would catch %d stored messages (sent %d times):"},
	"unknown.added":     {"%q ditambahkan sebagai %s untuk %s dan langsung berlaku. Pesan tersimpan yang kini dipahami (%d, dikirim %d kali) dihapus dari daftar:", "%q was added as a %s of %s and is in use now. The stored messages it now catches (%d, sent %d times) left the list:"},
	"unknown.caught_as": {"→ %s", "→ %s"},
	"unknown.readonly":  {"Hanya admin kantor yang dapat menambahkan; Anda dapat mencoba.", "Only office admins can add; you can try."},
}
