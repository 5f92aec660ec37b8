package bot

import (
	"strings"

	"github.com/sigap-id/sigap"
)

// Intents answered from free writing only (or a keyword of the office's
// own): the office's telephone, an offer of staff to someone looking for a
// person ("admin nya ada?"), and honest answers to questions outside the
// bot's job, saying where to go instead.
const (
	intentPhone         = "phone"
	intentHandoverOffer = "handover_offer"
	outsidePrefix       = "outside." // outside.visa, ...
)

// outsideCases are the questions outside SIGAP's job that it answers
// with where to go: visas to other countries (the destination's embassy),
// stay permits for foreigners (the immigration office's stay-permit
// service), identity cards and civil records (Dukcapil).
var outsideCases = []string{"visa", "stay_permit", "id_card"}

// services answers what a message asks: one service, both of two asked
// together, or a choice of two when the message may mean either.
func (t *turn) services(conv *sigap.Conversation, intent string, r reading) ([]sigap.Reply, error) {
	if intent == r.intent && r.alt != "" {
		if a, b, ok := t.choiceRows(r.intent, r.alt); ok {
			return t.askWhich(a, b)
		}
	}
	replies, err := t.service(conv, intent, r)
	if err != nil || intent != r.intent || r.also == "" {
		return replies, err
	}
	more, err := t.service(conv, r.also, reading{})
	if err != nil {
		return nil, err
	}
	return append(replies, more...), nil
}

// label is what classify reports for a message routed to intent.
func (t *turn) label(intent string, r reading) string {
	if intent != r.intent {
		return intent
	}
	if r.alt != "" {
		if _, _, ok := t.choiceRows(r.intent, r.alt); ok {
			return intent + "|" + r.alt
		}
	}
	if r.also != "" {
		return intent + "+" + r.also
	}
	return intent
}

// choiceRows finds the list rows of two intents in the menu and the
// requirements list, in the conversation's language: what the applicant
// taps to choose. ok is false when either has none.
func (t *turn) choiceRows(a, b string) (sigap.ListRow, sigap.ListRow, bool) {
	var ra, rb sigap.ListRow
	for _, name := range []string{"menu", "requirements"} {
		l, err := t.setup.cat.List(t.lang, name, t.data())
		if err != nil {
			continue
		}
		for _, s := range l.Sections {
			for _, row := range s.Rows {
				switch intent, _ := t.rowIntent(row.ID); intent {
				case a:
					ra = row
				case b:
					rb = row
				}
			}
		}
	}
	return ra, rb, ra.ID != "" && rb.ID != ""
}

// rowIntent is the intent a list row's id leads to.
func (t *turn) rowIntent(id string) (string, bool) {
	tt := *t
	tt.msg.ChoiceID = id
	return tt.choice(nil)
}

// askWhich asks which of two services the applicant means: a list of the
// two rows, and as plain text their titles, which read back as the
// services when typed.
func (t *turn) askWhich(a, b sigap.ListRow) ([]sigap.Reply, error) {
	d := t.data()
	d.Choice1, d.Choice2 = a.Title, b.Title
	r, err := t.text("choice.text", d)
	if err != nil {
		return nil, err
	}
	l := &sigap.List{Sections: []sigap.ListSection{{Rows: []sigap.ListRow{a, b}}}}
	for _, f := range []struct {
		key string
		dst *string
	}{{"choice.body", &l.Body}, {"choice.button", &l.Button}, {"choice.footer", &l.Footer}} {
		if *f.dst, err = t.setup.cat.Text(t.lang, f.key, d); err != nil {
			return nil, err
		}
	}
	r.List = l
	return []sigap.Reply{*r}, nil
}

// captionReadable reports whether a photo, video or document says in its
// caption what a text would: an application number (a photo of the
// Bukti Pengantar with the number typed under it), or the birth date the
// bot waits for. Anything else in a caption gets the answer to a photo.
func (t *turn) captionReadable(conv *sigap.Conversation) bool {
	switch t.msg.Kind {
	case sigap.KindImage, sigap.KindVideo, sigap.KindDocument:
	default:
		return false
	}
	if strings.TrimSpace(t.msg.Text) == "" {
		return false
	}
	if _, ok := ExtractApplicationNumber(t.msg.Text); ok {
		return true
	}
	_, ok := parseBirthDate(t.msg.Text, t.now)
	return ok && conv.Awaiting == awaitBirthDate
}
