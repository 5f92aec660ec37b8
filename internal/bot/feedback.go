package bot

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/sigap-id/sigap"
)

// minFeedbackWords is how many words of substance a message found to be
// feedback by its wording alone needs to be taken as the feedback itself
// ("petugasnya jutek banget"); one with fewer ("mau komplain") gets asked
// for it.
const minFeedbackWords = 2

// feedback answers #saran, #apresiasi, #aspirasi and #pengaduan: the
// feedback written after the keyword becomes a ticket at once; without it
// the bot asks for it and waits.
func (t *turn) feedback(conv *sigap.Conversation, kind sigap.TicketKind, r reading) ([]sigap.Reply, error) {
	switch {
	case r.command && hasWords(r.args):
		return t.feedbackText(conv, kind, r.args)
	case !r.command && t.substance(r.words) >= minFeedbackWords:
		return t.feedbackText(conv, kind, t.msg.Text)
	}
	conv.Awaiting, conv.AwaitingKind, conv.AwaitingSince = awaitFeedback, kind, t.now
	return t.one(t.text("feedback.prompt."+string(kind), t.data()))
}

// substance counts the words that are neither filler nor a feedback
// keyword ("komplain", "saran", "kecewa").
func (t *turn) substance(words []string) int {
	n := 0
	for _, w := range words {
		intent, _ := t.setup.kw.at([]word{{text: w}}, 0, false)
		if _, feedback := feedbackKinds[intent]; !feedback && !t.e.lex.filler[w] && !t.e.lex.feedbackWord(w) {
			n++
		}
	}
	return n
}

// hasWords reports whether s holds a word of two letters or more.
func hasWords(s string) bool {
	for _, w := range normalize(s) {
		letters := 0
		for _, r := range w.text {
			if isLetter(r) {
				letters++
			}
		}
		if letters >= 2 {
			return true
		}
	}
	return false
}

// feedbackText files text as a ticket and answers with its number.
func (t *turn) feedbackText(conv *sigap.Conversation, kind sigap.TicketKind, text string) ([]sigap.Reply, error) {
	text = strings.TrimSpace(text)
	if !hasWords(text) {
		// An emoji or a bare "?" is not feedback yet: ask again.
		conv.Awaiting, conv.AwaitingKind, conv.AwaitingSince = awaitFeedback, kind, t.now
		return t.one(t.text("feedback.prompt."+string(kind), t.data()))
	}
	if utf8.RuneCountInString(text) > sigap.MaxTicketRunes {
		// Too long for staff to read as one ticket: ask for a shorter one
		// and wait for it, rather than file a part of it.
		conv.Awaiting, conv.AwaitingKind, conv.AwaitingSince = awaitFeedback, kind, t.now
		d := t.data()
		d.Max = sigap.MaxTicketRunes
		return t.one(t.text("feedback.too_long", d))
	}
	if t.e.deps.Tickets == nil {
		return nil, errors.New("no ticket store")
	}
	lang := t.lang
	if lang == "" {
		lang = "id"
	}
	tk, err := t.e.deps.Tickets.CreateTicket(t.ctx, sigap.Ticket{
		Office: t.office.Code, Kind: kind, User: t.user, Lang: lang, Text: text, MessageID: t.msg.ID,
		State: sigap.TicketOpen, CreatedAt: t.now, UpdatedAt: t.now,
	})
	if err != nil {
		return nil, fmt.Errorf("create ticket: %w", err)
	}
	stopAwaiting(conv)
	conv.LastTicket = tk.Number
	d := t.data()
	d.Ticket = tk.Number
	return t.one(t.text("feedback.received."+string(kind), d))
}

// ticket answers #tiket: the state and staff's reply of a ticket this
// sender made. Another sender's ticket reads exactly like an unknown one.
// "#tiket" alone shows the sender's latest ticket.
func (t *turn) ticket(conv *sigap.Conversation, r reading) ([]sigap.Reply, error) {
	number, ok := ticketNumber(r.args)
	if !ok && !r.command {
		number, ok = ticketNumber(t.msg.Text)
	}
	if !ok && strings.TrimSpace(r.args) == "" && conv.LastTicket != "" {
		number, ok = conv.LastTicket, true
	}
	d := t.data()
	if !ok {
		return t.one(t.text("ticket.help", d))
	}
	d.Ticket = number
	if t.e.deps.Tickets == nil {
		return nil, errors.New("no ticket store")
	}
	tk, err := t.e.deps.Tickets.FindTicket(t.ctx, t.office.Code, number)
	if errors.Is(err, sigap.ErrNotFound) || err == nil && tk.User != t.user {
		return t.one(t.text("ticket.not_found", d))
	}
	if err != nil {
		return nil, fmt.Errorf("find ticket: %w", err)
	}
	for _, f := range []struct{ key, dst string }{
		{"ticket.kind." + string(tk.Kind), "kind"}, {"ticket.state." + string(tk.State), "state"},
	} {
		s, err := t.setup.cat.Text(t.lang, f.key, d)
		if err != nil {
			return nil, fmt.Errorf("ticket %s: %w", tk.Number, err)
		}
		if f.dst == "kind" {
			d.Kind = s
		} else {
			d.State = s
		}
	}
	d.Date = t.setup.cat.Date(t.lang, tk.CreatedAt.In(t.loc))
	d.Open = tk.State == sigap.TicketOpen || tk.State == sigap.TicketInProgress
	d.Reply = strings.TrimSpace(tk.Reply)
	return t.one(t.text("ticket.show", d))
}

// ticketNumber finds a ticket number in s: the whole of it ("k7m 3qx"), or
// one of its words.
func ticketNumber(s string) (string, bool) {
	if n, ok := sigap.ParseTicketNumber(strings.Trim(strings.TrimSpace(s), "#:.,!?")); ok {
		return n, true
	}
	for _, w := range normalize(s) {
		if n, ok := sigap.ParseTicketNumber(w.text); ok {
			return n, true
		}
	}
	return "", false
}

// notify answers #notif on, #notif off and #notif.
func (t *turn) notify(conv *sigap.Conversation, r reading) ([]sigap.Reply, error) {
	d := t.data()
	switch t.onOff(t.msg.Text) {
	case "on":
		conv.Notify, conv.NotifyOff = true, false
		if s := t.e.deps.Subscriptions; s != nil {
			for _, n := range conv.Numbers {
				if err := s.Subscribe(t.ctx, t.office.Code, t.user, n, t.now); err != nil {
					return nil, fmt.Errorf("subscribe: %w", err)
				}
			}
		}
		d.Notify, d.Numbers = true, strings.Join(conv.Numbers, ", ")
		return t.one(t.text("notify.on", d))
	case "off":
		conv.Notify, conv.NotifyOff = false, true
		if s := t.e.deps.Subscriptions; s != nil {
			if err := s.Unsubscribe(t.ctx, t.office.Code, t.user); err != nil {
				return nil, fmt.Errorf("unsubscribe: %w", err)
			}
		}
		return t.one(t.text("notify.off", d))
	}
	d.Notify = t.subscribes(conv)
	return t.one(t.text("notify.help", d))
}

// onOff reads "on" or "off" from a message: "#notif on", "matikan
// notifikasi", "tidak mau notif lagi".
func (t *turn) onOff(text string) string {
	negated := false
	for _, w := range normalize(text) {
		for _, c := range append([]string{w.text}, t.e.lex.word(w.text, 0)...) {
			switch c {
			case "on", "aktifkan", "ya", "yes", "start", "nyala", "hidup", "mau", "ingin":
				if negated {
					return "off"
				}
				return "on"
			case "off", "matikan", "mati", "no", "jangan":
				return "off"
			case "tidak", "not", "dont", "don't":
				negated = true
			}
		}
	}
	return ""
}
