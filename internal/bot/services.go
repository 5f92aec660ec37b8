package bot

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/content"
)

// service answers an intent. r is the message that asked, if it was typed.
func (t *turn) service(conv *sigap.Conversation, intent string, r reading) ([]sigap.Reply, error) {
	t.observe(intent)
	if kind, ok := feedbackKinds[intent]; ok {
		return t.feedback(conv, kind, r)
	}
	switch intent {
	case intentMenu, intentUnknown:
		d := t.data()
		d.Unknown = intent == intentUnknown && !t.firstContact
		return t.menu(d)
	case intentLangEN, intentLangID:
		conv.Lang, conv.LangChosen = "en", true
		if intent == intentLangID {
			conv.Lang = content.DefaultLang
		}
		t.lang = conv.Lang
		d := t.data()
		d.Switched = true
		return t.menu(d)
	case intentRequirements:
		return t.withList("requirements", "requirements")
	case intentFeedback:
		return t.withList("feedback.help", "feedback")
	case intentLocation:
		return t.location()
	case intentTicket:
		return t.ticket(conv, r)
	case intentHandover:
		conv.HandoverSince, conv.HandoverUntil = t.now, t.windowEnd()
		return t.one(t.handover())
	case intentPrivacy:
		return t.privacy()
	case intentNotify:
		return t.notify(conv, r)
	case intentPickup:
		return t.pickup()
	case intentStatusHelp, intentPayment, intentApply, intentHours, intentThanks, intentPhone:
		return t.one(t.text(intent, t.data()))
	case intentHandoverOffer:
		return t.withList(intentHandoverOffer, intentHandoverOffer)
	}
	if strings.HasPrefix(intent, requirementPrefix) || strings.HasPrefix(intent, outsidePrefix) {
		return t.one(t.text(intent, t.data()))
	}
	return nil, fmt.Errorf("no answer for intent %q", intent)
}

// menu is the menu: an interactive list with its plain-text form.
func (t *turn) menu(d content.Data) ([]sigap.Reply, error) {
	r, err := t.text("menu", d)
	if err != nil {
		return nil, err
	}
	if r.List, err = t.setup.cat.List(t.lang, "menu", d); err != nil {
		return nil, err
	}
	return []sigap.Reply{*r}, nil
}

// withList answers with a text and, for channels that show lists, the
// list to choose from.
func (t *turn) withList(textKey, list string) ([]sigap.Reply, error) {
	r, err := t.text(textKey, t.data())
	if err != nil {
		return nil, err
	}
	if r.List, err = t.setup.cat.List(t.lang, list, t.data()); err != nil {
		return nil, err
	}
	return []sigap.Reply{*r}, nil
}

// location answers #lokasi: the address and hours, then the office's
// place on the map as a location message when the offices file has it.
// It is the one answer of two messages.
func (t *turn) location() ([]sigap.Reply, error) {
	d := t.data()
	l := t.office.Location
	if l == nil {
		return t.one(t.text(intentLocation, d))
	}
	d.HasMap = true
	d.Latitude = strconv.FormatFloat(l.Latitude, 'f', -1, 64)
	d.Longitude = strconv.FormatFloat(l.Longitude, 'f', -1, 64)
	first, err := t.text(intentLocation, d)
	if err != nil {
		return nil, err
	}
	pin, err := t.text("location_pin", d)
	if err != nil {
		return nil, err
	}
	name, address := l.Name, l.Address
	if name == "" {
		name = d.Office
	}
	if address == "" {
		address = t.office.Address
	}
	pin.Location = &sigap.Location{Latitude: l.Latitude, Longitude: l.Longitude, Name: name, Address: address}
	return []sigap.Reply{*first, *pin}, nil
}

// handedOver answers while staff have the chat: nothing, except that
// "menu" takes the chat back to the bot. Each message keeps the handover
// open for the applicant's 24-hour window.
func (t *turn) handedOver(conv *sigap.Conversation) ([]sigap.Reply, error) {
	if t.msg.Kind == sigap.KindText || t.msg.Kind == "" {
		if phrase(normalize(t.msg.Text)) == "menu" {
			conv.HandoverSince, conv.HandoverUntil = time.Time{}, time.Time{}
			stopAwaiting(conv)
			return t.menu(t.data())
		}
	}
	conv.HandoverUntil = t.windowEnd()
	return nil, nil
}

// windowEnd is when the applicant's 24-hour customer service window, opened
// by this message, closes.
func (t *turn) windowEnd() time.Time {
	at := t.msg.At
	if at.IsZero() {
		at = t.now
	}
	return at.Add(sigap.CustomerServiceWindow)
}

func (t *turn) one(r *sigap.Reply, err error) ([]sigap.Reply, error) {
	if err != nil {
		return nil, err
	}
	return []sigap.Reply{*r}, nil
}

func (t *turn) text(key string, d content.Data) (*sigap.Reply, error) {
	s, err := t.setup.cat.Text(t.lang, key, d)
	if err != nil {
		return nil, err
	}
	return &sigap.Reply{Text: s}, nil
}

// data is what every text may show about the office.
func (t *turn) data() content.Data {
	name := t.office.Name
	if name == "" {
		name = t.office.Code
	}
	return content.Data{Office: name, Hours: t.office.Hours, Address: t.office.Address, Phone: t.office.Phone}
}

// dateTime writes a moment in the office's time zone: "20 Januari 2026
// pukul 11.30 WIB".
func (t *turn) dateTime(at time.Time) (string, error) {
	at = at.In(t.loc)
	d := t.data()
	d.Date = t.setup.cat.Date(t.lang, at)
	d.Hour, d.Minute, d.Zone = fmt.Sprintf("%02d", at.Hour()), fmt.Sprintf("%02d", at.Minute()), at.Format("MST")
	return t.setup.cat.Text(t.lang, "datetime", d)
}

// handover is the answer to #petugas; outside the office's hours (when its
// hours text can be read) it says when staff will answer.
func (t *turn) handover() (*sigap.Reply, error) {
	r, err := t.text("handover", t.data())
	if err != nil {
		return nil, err
	}
	h, ok := sigap.ParseServiceHours(t.office.Hours)
	if !ok {
		return r, nil
	}
	open, next := h.NextOpen(t.now, t.loc)
	if open || next.IsZero() {
		return r, nil
	}
	d := t.data()
	if d.Next, err = t.dateTime(next); err != nil {
		return nil, err
	}
	closed, err := t.setup.cat.Text(t.lang, "handover_closed", d)
	if err != nil {
		return nil, err
	}
	r.Text += "\n\n" + closed
	return r, nil
}
