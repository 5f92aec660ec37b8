// Package bot is SIGAP's conversation: given what the bot remembers about a
// sender and one message from them, it decides the replies and what to
// remember next. It does no I/O of its own beyond looking applications up
// through sigap.Applications; every word it sends comes from package content.
package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/content"
)

const (
	// awaitBirthDate is Conversation.Awaiting while the bot waits for the
	// applicant's birth date before answering about AwaitingNumber.
	awaitBirthDate = "birth_date"
	// awaitTimeout is how long that question stays open.
	awaitTimeout = 10 * time.Minute

	intentMenu = "menu"
	// choicePrefix starts the ids of the menu list's rows; the rest of the
	// id is a keyword ("menu:bayar"), so a tap and a typed keyword meet.
	choicePrefix = "menu:"

	defaultTimeZone = "Asia/Jakarta"
)

// Engine answers applicants. It is safe for concurrent use.
type Engine struct {
	cat     *content.Catalog
	apps    sigap.Applications
	now     func() time.Time
	match   matcher
	jakarta *time.Location // for offices without a time zone
}

// New returns an engine that words its replies with cat, looks applications
// up in apps and reads the time from now (time.Now when nil).
func New(cat *content.Catalog, apps sigap.Applications, now func() time.Time) *Engine {
	if now == nil {
		now = time.Now
	}
	// Keywords of every language work whatever the conversation's language.
	keywords := map[string][]string{}
	for _, lang := range cat.Langs() {
		for intent, words := range cat.Keywords(lang) {
			keywords[intent] = append(keywords[intent], words...)
		}
	}
	jakarta, err := time.LoadLocation(defaultTimeZone)
	if err != nil { // no time zone database: WIB has no daylight saving
		jakarta = time.FixedZone("WIB", 7*60*60)
	}
	return &Engine{cat: cat, apps: apps, now: now, match: newMatcher(keywords), jakarta: jakarta}
}

// Handle answers one inbound message. It returns the replies (one, or none
// for a reaction) and the conversation to store afterwards. An error means
// the message could not be answered now (the application store failed) and
// may be retried; the conversation returned with it is the one passed in.
func (e *Engine) Handle(ctx context.Context, office sigap.Office, conv sigap.Conversation, msg sigap.InboundMessage) ([]sigap.Reply, sigap.Conversation, error) {
	t := &turn{e: e, ctx: ctx, office: office, now: e.now(), lang: conv.Lang, loc: office.TimeZone}
	if t.loc == nil {
		t.loc = e.jakarta
	}
	next := conv
	next.LastInboundAt = msg.At
	if next.Awaiting != "" && t.now.Sub(next.AwaitingSince) > awaitTimeout {
		stopAwaiting(&next)
	}
	reply, err := t.answer(&next, msg)
	if err != nil {
		return nil, conv, fmt.Errorf("answer %s at %s: %w", msg.ID, office.Code, err)
	}
	if reply == nil {
		return nil, next, nil
	}
	return []sigap.Reply{*reply}, next, nil
}

// turn is one message being answered.
type turn struct {
	e      *Engine
	ctx    context.Context
	office sigap.Office
	now    time.Time
	lang   string
	loc    *time.Location
}

func (t *turn) answer(conv *sigap.Conversation, msg sigap.InboundMessage) (*sigap.Reply, error) {
	switch msg.Kind {
	case sigap.KindReaction:
		return nil, nil
	case sigap.KindText, sigap.KindInteractive, sigap.KindButton, "":
	default: // voice notes, photos, stickers, documents, locations, ...
		return t.text("non_text", t.officeData())
	}
	if intent, ok := t.choice(msg.ChoiceID); ok {
		stopAwaiting(conv)
		return t.service(intent)
	}
	if number, ok := ExtractApplicationNumber(msg.Text); ok {
		stopAwaiting(conv)
		if !t.office.VerifyBirthDate {
			return t.status(number, nil)
		}
		// Ask first, whether or not the number exists: the reply must not
		// tell a stranger that it does.
		conv.Awaiting, conv.AwaitingNumber, conv.AwaitingSince = awaitBirthDate, number, t.now
		return t.text("birth_date.prompt", numberData{t.officeData(), number, true})
	}
	if conv.Awaiting == awaitBirthDate {
		if date, ok := ParseBirthDate(msg.Text); ok {
			number := conv.AwaitingNumber
			stopAwaiting(conv)
			return t.status(number, &date)
		}
	}
	if intent, ok := t.e.match.match(msg.Text); ok {
		stopAwaiting(conv)
		return t.service(intent)
	}
	if conv.Awaiting == awaitBirthDate {
		return t.text("birth_date.bad_format", t.officeData())
	}
	return t.service(intentMenu)
}

func stopAwaiting(c *sigap.Conversation) {
	c.Awaiting, c.AwaitingNumber, c.AwaitingSince = "", "", time.Time{}
}

// choice returns the intent of a tapped list row ("menu:bayar").
func (t *turn) choice(id string) (string, bool) {
	kw, ok := strings.CutPrefix(id, choicePrefix)
	if !ok {
		return "", false
	}
	intent, ok := t.e.match[phrase(normalize(kw))]
	return intent, ok
}

// service answers an intent: the menu, or the text named after the intent.
func (t *turn) service(intent string) (*sigap.Reply, error) {
	if intent != intentMenu {
		return t.text(intent, t.officeData())
	}
	r, err := t.text("menu", t.officeData())
	if err != nil {
		return nil, err
	}
	if r.List, err = t.e.cat.List(t.lang, "menu", t.officeData()); err != nil {
		return nil, err
	}
	return r, nil
}

func (t *turn) text(key string, data any) (*sigap.Reply, error) {
	s, err := t.e.cat.Text(t.lang, key, data)
	if err != nil {
		return nil, err
	}
	return &sigap.Reply{Text: s}, nil
}

// officeData is what every text may show about the office.
type officeData struct {
	Office  string
	Hours   string
	Address string
}

func (t *turn) officeData() officeData {
	name := t.office.Name
	if name == "" {
		name = t.office.Code
	}
	return officeData{Office: name, Hours: t.office.Hours, Address: t.office.Address}
}

// numberData is for the texts about one application number.
type numberData struct {
	officeData
	Number         string
	AskedBirthDate bool
}

// statusData is for the status reply and the stage texts.
type statusData struct {
	officeData
	Number string
	Name   string // masked
	Stage  string
	Since  string
	Note   string
	Next   string
	Todo   string

	BillingCode     string
	BillingDeadline string
	BillingExpired  bool
	CollectBy       string // the date the stage was entered + 30 days
	CollectOverdue  bool
}

// status answers about application number. birth is the birth date the
// applicant gave, or nil when the office does not ask for it. An unknown
// number and a wrong birth date get the same reply.
func (t *turn) status(number string, birth *time.Time) (*sigap.Reply, error) {
	notFound := numberData{t.officeData(), number, birth != nil}
	app, err := t.e.apps.FindApplication(t.ctx, t.office.Code, number)
	if errors.Is(err, sigap.ErrNotFound) {
		return t.text("not_found", notFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find application: %w", err)
	}
	if birth != nil && !app.SameBirthDate(birth.Date()) {
		return t.text("not_found", notFound)
	}

	stageAt := app.StageAt.In(t.loc)
	y, m, d := stageAt.Date()
	collectBy := time.Date(y, m, d+30, 0, 0, 0, 0, t.loc)
	data := statusData{
		officeData:     t.officeData(),
		Number:         app.Number,
		Name:           sigap.MaskedName(app.ApplicantName),
		Since:          t.e.cat.Date(t.lang, stageAt),
		Note:           strings.TrimSpace(app.Note),
		BillingCode:    app.BillingCode,
		CollectBy:      t.e.cat.Date(t.lang, collectBy),
		CollectOverdue: !t.now.Before(collectBy.AddDate(0, 0, 1)),
	}
	if !app.BillingExpiresAt.IsZero() {
		data.BillingExpired = !t.now.Before(app.BillingExpiresAt)
		if data.BillingDeadline, err = t.dateTime(app.BillingExpiresAt); err != nil {
			return nil, err
		}
	}
	prefix := "stage." + string(app.Stage) + "."
	for _, f := range []struct {
		part string
		dst  *string
	}{{"name", &data.Stage}, {"next", &data.Next}, {"todo", &data.Todo}} {
		if *f.dst, err = t.e.cat.Text(t.lang, prefix+f.part, data); err != nil {
			return nil, fmt.Errorf("application %s: %w", app.Number, err)
		}
	}
	return t.text("status", data)
}

// dateTime writes a moment in the office's time zone: "20 Januari 2026
// pukul 11.30 WIB".
func (t *turn) dateTime(at time.Time) (string, error) {
	at = at.In(t.loc)
	return t.e.cat.Text(t.lang, "datetime", struct{ Date, Hour, Minute, Zone string }{
		Date:   t.e.cat.Date(t.lang, at),
		Hour:   fmt.Sprintf("%02d", at.Hour()),
		Minute: fmt.Sprintf("%02d", at.Minute()),
		Zone:   at.Format("MST"),
	})
}

// Apology is the reply for a message that could not be answered after
// several tries; it needs nothing but the catalog, so it cannot fail too.
func (e *Engine) Apology(lang string) sigap.Reply {
	text, err := e.cat.Text(lang, "apology", nil)
	if err != nil {
		text = "Maaf, terjadi kendala. Silakan coba lagi nanti."
	}
	return sigap.Reply{Text: text}
}
