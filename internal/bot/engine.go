// Package bot is SIGAP's conversation: given what the bot remembers about a
// sender and one message from them, it decides the replies and what to
// remember next. Its only I/O is through the domain's storage interfaces
// (applications, tickets, limits, subscriptions); every word it sends comes
// from package content, and what it understands comes from lexicon.yaml and
// the content's keywords.
package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/content"
)

// Intents: the services an applicant can ask for. The content's keywords
// and lexicon.yaml name them; TestIntentsKnown checks that both name only
// these.
const (
	intentMenu         = "menu"
	intentStatusHelp   = "status_help"
	intentPayment      = "payment"
	intentRequirements = "requirements"
	intentApply        = "apply"
	intentPickup       = "pickup"
	intentLocation     = "location"
	intentHours        = "hours"
	intentFeedback     = "feedback" // the four kinds to choose from
	intentTicket       = "ticket"
	intentHandover     = "handover"
	intentNotify       = "notify"
	intentLangEN       = "lang.en"
	intentLangID       = "lang.id"
	intentThanks       = "thanks"
	intentPrivacy      = "privacy" // the privacy notice: privacy.go
	// intentStatus is a message holding an application number, and
	// intentUnknown one the bot does not understand; neither is a keyword.
	intentStatus  = "status"
	intentUnknown = "unknown"

	requirementPrefix = "requirement." // requirement.child, ...
	feedbackPrefix    = "feedback."    // feedback.complaint, ...
)

// requirementCases are the cases of #syarat, in the order of its list.
var requirementCases = []string{"adult", "child", "replacement", "name_change", "lost", "damaged", "hajj", "migrant"}

// feedbackKinds maps the feedback intents to ticket kinds.
var feedbackKinds = map[string]sigap.TicketKind{
	"feedback.suggestion":   sigap.TicketSuggestion,
	"feedback.aspiration":   sigap.TicketAspiration,
	"feedback.appreciation": sigap.TicketAppreciation,
	"feedback.complaint":    sigap.TicketComplaint,
}

// knownIntents are every intent the engine answers.
func knownIntents() []string {
	out := []string{intentMenu, intentStatusHelp, intentPayment, intentRequirements, intentApply, intentPickup,
		intentLocation, intentHours, intentFeedback, intentTicket, intentHandover, intentNotify, intentLangEN,
		intentLangID, intentThanks, intentPhone, intentHandoverOffer, intentPrivacy}
	for _, c := range requirementCases {
		out = append(out, requirementPrefix+c)
	}
	for _, c := range outsideCases {
		out = append(out, outsidePrefix+c)
	}
	for intent := range feedbackKinds {
		out = append(out, intent)
	}
	slices.Sort(out)
	return out
}

// What the bot may be waiting for (Conversation.Awaiting), and for how long.
const (
	awaitBirthDate  = "birth_date" // the applicant's birth date, for AwaitingNumber
	awaitFeedback   = "feedback"   // the text of feedback of AwaitingKind
	awaitTimeout    = 10 * time.Minute
	feedbackTimeout = 30 * time.Minute

	// choicePrefix starts the ids of list rows; the rest of the id is a
	// keyword ("menu:bayar") or an intent ("menu:requirement.child"), so a
	// tap and a typed message meet. "menu:lang" switches to the other
	// language.
	choicePrefix = "menu:"
	choiceLang   = "lang"

	defaultTimeZone = "Asia/Jakarta"
)

// Deps are what the engine looks up and keeps. Applications is required,
// and Guard wherever an office checks birth dates (a status look-up there
// fails without it); without Tickets feedback cannot be taken, without
// Subscriptions #notif remembers only the choice, and without Directory
// and Offices no office names another.
type Deps struct {
	Applications  sigap.Applications
	Directory     sigap.ApplicationDirectory
	Tickets       sigap.Tickets
	Subscriptions sigap.Subscriptions
	// Guard counts wrong birth dates per application number, across
	// senders, and locks a number that had too many.
	Guard sigap.LookupGuard
	// Offices finds an office by code, to name the one handling a number.
	Offices func(code string) (sigap.Office, bool)
	// Retention is how long the store keeps each kind of data, as the
	// privacy notice tells it; zero periods are the defaults.
	Retention sigap.RetentionPolicy
	// Queue has each office's pickup queue number (integration API);
	// without it #antrian shows none.
	Queue sigap.QueueNumbers
	// Observe, when set, is told each service a turn answers, and the text
	// of a message it could not place (console.go). It must not block.
	Observe func(office sigap.Office, intent, text string)
}

// Engine answers applicants. It is safe for concurrent use.
type Engine struct {
	cat     *content.Catalog
	deps    Deps
	now     func() time.Time
	lex     *lexicon
	jakarta *time.Location // for offices without a time zone

	mu      sync.Mutex
	offices map[string]setupEntry // by office code: the setup of its latest settings
}

// setupEntry is an office's setup and the settings it was made from (key):
// one per office, made again when staff change its settings, so that
// every edit does not leave one behind.
type setupEntry struct {
	key   string
	setup *officeSetup
}

// officeSetup is what an office's own settings make of the national
// content: its texts and its keywords.
type officeSetup struct {
	cat *content.Catalog
	kw  *keywords
	syn synonyms // console.go
}

// New returns an engine that words its replies with cat, keeps what it
// must in deps and reads the time from now (time.Now when nil).
func New(cat *content.Catalog, deps Deps, now func() time.Time) *Engine {
	if now == nil {
		now = time.Now
	}
	jakarta, err := time.LoadLocation(defaultTimeZone)
	if err != nil { // no time zone database: WIB has no daylight saving
		jakarta = time.FixedZone("WIB", 7*60*60)
	}
	return &Engine{cat: cat, deps: deps, now: now, lex: defaultLexicon, jakarta: jakarta, offices: map[string]setupEntry{}}
}

// setup returns the office's texts and keywords, built once per office
// and again when its settings change.
func (e *Engine) setup(office sigap.Office) (*officeSetup, error) {
	key := fmt.Sprint(office.Keywords, office.Texts, office.Synonyms) // fmt sorts map keys
	e.mu.Lock()
	defer e.mu.Unlock()
	if got, ok := e.offices[office.Code]; ok && got.key == key {
		return got.setup, nil
	}
	cat, err := e.cat.WithTexts(office.Texts)
	if err != nil {
		return nil, fmt.Errorf("office %s: %w", office.Code, err)
	}
	sets := make([]map[string][]string, 0, 3)
	for _, lang := range e.cat.Langs() {
		sets = append(sets, e.cat.Keywords(lang))
	}
	s := &officeSetup{cat: cat, kw: newKeywords(append(sets, office.Keywords)...), syn: newSynonyms(office.Synonyms)}
	e.offices[office.Code] = setupEntry{key: key, setup: s}
	return s, nil
}

// Handle answers one inbound message. It returns the replies (usually one;
// two when a location follows its text; none for a reaction or while staff
// have the chat) and the conversation to store afterwards. An error means
// the message could not be answered now (a store failed) and may be
// retried; the conversation returned with it is the one passed in.
func (e *Engine) Handle(ctx context.Context, office sigap.Office, conv sigap.Conversation, msg sigap.InboundMessage) ([]sigap.Reply, sigap.Conversation, error) {
	setup, err := e.setup(office)
	if err != nil {
		return nil, conv, err
	}
	t := &turn{e: e, ctx: ctx, office: office, setup: setup, now: e.now(), loc: office.TimeZone, msg: msg,
		user: msg.From, firstContact: conv.LastInboundAt.IsZero()}
	if t.user == "" {
		t.user = conv.User
	}
	if t.loc == nil {
		t.loc = e.jakarta
	}
	next := conv
	next.Numbers = slices.Clone(conv.Numbers)
	next.LastInboundAt = msg.At
	expire(&next, t.now)
	t.lang = next.Lang
	replies, err := t.answer(&next)
	if err != nil {
		return nil, conv, fmt.Errorf("answer %s at %s: %w", msg.ID, office.Code, err)
	}
	return replies, next, nil
}

// expire forgets questions nobody answered in time and hands a chat back
// to the bot once the applicant's 24-hour window has closed.
func expire(c *sigap.Conversation, now time.Time) {
	switch {
	case c.Awaiting == awaitBirthDate && now.Sub(c.AwaitingSince) > awaitTimeout,
		c.Awaiting == awaitFeedback && now.Sub(c.AwaitingSince) > feedbackTimeout,
		c.Awaiting != "" && c.Awaiting != awaitBirthDate && c.Awaiting != awaitFeedback:
		stopAwaiting(c)
	}
	if !c.HandoverSince.IsZero() && !now.Before(c.HandoverUntil) {
		c.HandoverSince, c.HandoverUntil = time.Time{}, time.Time{}
	}
}

func stopAwaiting(c *sigap.Conversation) {
	c.Awaiting, c.AwaitingNumber, c.AwaitingSince, c.AwaitingKind = "", "", time.Time{}, ""
}

// turn is one message being answered.
type turn struct {
	e      *Engine
	ctx    context.Context
	office sigap.Office
	setup  *officeSetup
	now    time.Time
	lang   string
	loc    *time.Location
	msg    sigap.InboundMessage
	user   string
	// firstContact: the sender never wrote to this office before.
	firstContact bool
}

func (t *turn) answer(conv *sigap.Conversation) ([]sigap.Reply, error) {
	if t.msg.Kind == sigap.KindReaction {
		return nil, nil
	}
	if !conv.HandoverSince.IsZero() {
		return t.handedOver(conv)
	}
	switch t.msg.Kind {
	case sigap.KindText, sigap.KindInteractive, sigap.KindButton, "":
	default: // voice notes, photos, stickers, documents, locations, ...
		if !t.captionReadable(conv) {
			return t.one(t.text(nonTextKey(t.msg.Kind), t.data()))
		}
	}
	if intent, ok := t.choice(conv); ok {
		stopAwaiting(conv)
		return t.service(conv, intent, reading{})
	}
	r := read(t.e.lex, t.setup.kw, t.msg.Text)
	if r.lang != "" && !conv.LangChosen && r.lang != t.lang && !(r.lang == content.DefaultLang && t.lang == "") {
		conv.Lang, t.lang = r.lang, r.lang
	}
	switch intent := t.route(conv, r); intent {
	case awaitFeedback:
		return t.feedbackText(conv, conv.AwaitingKind, t.msg.Text)
	case intentStatus:
		stopAwaiting(conv)
		t.observe(intentStatus)
		return t.startStatus(conv, r.number)
	case awaitBirthDate:
		date, _ := parseBirthDate(t.msg.Text, t.now)
		number := conv.AwaitingNumber
		stopAwaiting(conv)
		return t.lookup(conv, number, &date)
	case "bad_birth_date":
		return t.one(t.text("birth_date.bad_format", t.data()))
	default:
		stopAwaiting(conv)
		return t.services(conv, intent, r)
	}
}

// route decides what a text message asks for, given what the bot waits
// for: one of the intents, intentStatus, intentUnknown, or awaitFeedback,
// awaitBirthDate and "bad_birth_date" for answers to the bot's questions.
// Typed commands always win, so "menu" escapes any question; but while
// the bot waits for feedback, only a clear way out does (wayOut).
func (t *turn) route(conv *sigap.Conversation, r reading) string {
	if conv.Awaiting == awaitFeedback && !r.wayOut() {
		return awaitFeedback
	}
	if r.command && commandFirst(r.intent) {
		return r.intent
	}
	if r.number != "" {
		return intentStatus
	}
	if conv.Awaiting == awaitBirthDate {
		if _, ok := parseBirthDate(t.msg.Text, t.now); ok {
			return awaitBirthDate
		}
	}
	if r.intent != "" {
		return r.intent
	}
	if conv.Awaiting == awaitBirthDate {
		return "bad_birth_date"
	}
	if intent := t.setup.syn.find(t.msg.Text); intent != "" {
		return intent
	}
	return intentUnknown
}

// commandFirst intents, named by a keyword, are answered even when the
// message also holds an application number ("#pengaduan nomor 3100…").
func commandFirst(intent string) bool {
	_, feedback := feedbackKinds[intent]
	return feedback || intent == intentTicket || intent == intentNotify || intent == intentHandover ||
		intent == intentLangEN || intent == intentLangID || intent == intentMenu
}

// classify returns where a text message goes in a fresh conversation: an
// intent, intentStatus or intentUnknown; "a+b" when both are answered and
// "a|b" when the bot asks which. TestIntentAccuracy measures it.
func (e *Engine) classify(office sigap.Office, text string) (string, error) {
	setup, err := e.setup(office)
	if err != nil {
		return "", err
	}
	t := &turn{e: e, office: office, setup: setup, msg: sigap.InboundMessage{Kind: sigap.KindText, Text: text}}
	r := read(e.lex, setup.kw, text)
	return t.label(t.route(&sigap.Conversation{}, r), r), nil
}

// choice returns the intent of a tapped list row or button ("menu:bayar").
func (t *turn) choice(conv *sigap.Conversation) (string, bool) {
	rest, ok := cutPrefixFold(t.msg.ChoiceID, choicePrefix)
	if !ok {
		return "", false
	}
	if rest == choiceLang {
		if t.lang == "en" {
			return intentLangID, true
		}
		return intentLangEN, true
	}
	if slices.Contains(knownIntents(), rest) {
		return rest, true
	}
	if ws := normalize(rest); len(ws) > 0 {
		if intent, n := t.setup.kw.at(ws, 0, false); n == len(ws) {
			return intent, true
		}
	}
	return "", false
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	return s[len(prefix):], true
}

// nonTextKey names the answer to a message the bot cannot read.
func nonTextKey(k sigap.MessageKind) string {
	switch k {
	case sigap.KindAudio:
		return "non_text.audio"
	case sigap.KindImage, sigap.KindVideo, sigap.KindDocument:
		return "non_text.image"
	case sigap.KindSticker:
		return "non_text.sticker"
	case sigap.KindLocation:
		return "non_text.location"
	}
	return "non_text.other"
}

// Apology is the reply for a message that could not be answered after
// several tries; it needs nothing but the catalog, so it cannot fail too.
func (e *Engine) Apology(lang string) sigap.Reply {
	text, err := e.cat.Text(lang, "apology", content.Data{})
	if err != nil {
		text = "Maaf, terjadi kendala. Silakan coba lagi nanti."
	}
	return sigap.Reply{Text: text}
}

// Services lists every service (intent) the engine reports to
// Deps.Observe, so that readers of those reports can name each one.
func Services() []string {
	return append(knownIntents(), intentStatus, intentUnknown)
}
