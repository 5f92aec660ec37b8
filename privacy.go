package sigap

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// Personal data (UU 27/2022 on personal data protection): every kind SIGAP
// keeps has a period (RetentionPolicy), after which a scheduled job deletes
// or anonymises it (Retention), and one person's data can be read out and
// erased on request (Privacy). docs/privacy.md says what is kept and why.

// RetentionPolicy says how long each kind of personal data is kept. A zero
// field means its default (see DefaultRetention).
type RetentionPolicy struct {
	// MessageText is how long an answered inbound message keeps its text and
	// its sender: birth dates and NIKs are written in messages.
	MessageText time.Duration
	// Messages is how long an inbound message's id is kept, with its office
	// and time only: the record that makes a redelivery a duplicate. At
	// least MinKeepMessages, as Meta redelivers for up to 7 days.
	Messages time.Duration
	// Replies is how long a reply that was sent or given up on is kept,
	// with the delivery statuses of the replies.
	Replies time.Duration
	// Conversations is how long a conversation is kept after the sender's
	// last message. One with a subscription is kept while it lasts.
	Conversations time.Duration
	// Tickets is how long a ticket is kept after staff answered or closed
	// it (its last change). Open tickets are kept until they are handled.
	Tickets time.Duration
	// Subscriptions is how long a notification subscription lasts. One
	// whose application reached a final stage ends FinishedSubscription
	// after it, and one whose application is gone ends at once.
	Subscriptions time.Duration
	// Applications is how long an application in a final stage (see
	// FinalStages) is kept, with its stage history, after entering it.
	Applications time.Duration
	// TestSenders is how long the simulator's test senders (TestSenderPrefix)
	// are kept after their last message, with everything stored for them.
	TestSenders time.Duration
	// Runs is how long the record of a retention run or an erasure is kept.
	Runs time.Duration
	// APIWrites is how long the record of a write through the integration
	// API (which token wrote what, when) is kept.
	APIWrites time.Duration
	// Audit is how long the console's audit log (which staff member
	// changed what, with the text before and after, which may quote what
	// an applicant was told) is kept.
	Audit time.Duration
}

const day = 24 * time.Hour

// The default periods; docs/privacy.md gives the reasons.
const (
	DefaultKeepMessageText   = 24 * time.Hour
	DefaultKeepMessages      = 8 * day
	DefaultKeepReplies       = 30 * day
	DefaultKeepConversations = 90 * day
	DefaultKeepTickets       = 365 * day
	DefaultKeepSubscriptions = 365 * day
	DefaultKeepApplications  = 365 * day
	DefaultKeepTestSenders   = 24 * time.Hour
	DefaultKeepRuns          = 365 * day
	DefaultKeepAPIWrites     = 365 * day
	DefaultKeepAudit         = 365 * day

	// MinKeepMessages is Meta's redelivery horizon: a message id kept for
	// less could be answered twice.
	MinKeepMessages = 7 * day
	// MinKeep is the shortest period of any other kind: anything shorter
	// is more likely a typo (1m for 1 month) than a wish.
	MinKeep = time.Hour
	// FinishedSubscription is how long a subscription outlives its
	// application's arrival in a final stage: long enough for the
	// notification of that stage to go out and be asked about.
	FinishedSubscription = 7 * day
)

// DefaultRetention returns the default periods.
func DefaultRetention() RetentionPolicy {
	return RetentionPolicy{}.OrDefaults()
}

// OrDefaults fills in the default of every zero period.
func (p RetentionPolicy) OrDefaults() RetentionPolicy {
	for _, f := range p.fields() {
		if *f.d == 0 {
			*f.d = f.def
		}
	}
	return p
}

// Check reports a period that no store should apply: negative, shorter
// than MinKeep, or Messages shorter than MinKeepMessages. Zero periods are
// defaults and pass.
func (p RetentionPolicy) Check() error {
	for _, f := range p.fields() {
		least := MinKeep
		if f.name == "messages" {
			least = MinKeepMessages
		}
		if *f.d != 0 && *f.d < least {
			return fmt.Errorf("%w: retention of %s %v: want at least %v", ErrInvalid, f.name, *f.d, least)
		}
	}
	return nil
}

type retentionField struct {
	name string
	d    *time.Duration
	def  time.Duration
}

func (p *RetentionPolicy) fields() []retentionField {
	return []retentionField{
		{"message text", &p.MessageText, DefaultKeepMessageText},
		{"messages", &p.Messages, DefaultKeepMessages},
		{"replies", &p.Replies, DefaultKeepReplies},
		{"conversations", &p.Conversations, DefaultKeepConversations},
		{"tickets", &p.Tickets, DefaultKeepTickets},
		{"subscriptions", &p.Subscriptions, DefaultKeepSubscriptions},
		{"applications", &p.Applications, DefaultKeepApplications},
		{"test senders", &p.TestSenders, DefaultKeepTestSenders},
		{"runs", &p.Runs, DefaultKeepRuns},
		{"api writes", &p.APIWrites, DefaultKeepAPIWrites},
		{"audit", &p.Audit, DefaultKeepAudit},
	}
}

// FinalStages are the stages after which nothing more happens to an
// application: its retention period starts when it enters one.
var FinalStages = []Stage{StageCollected, StageShipped, StageRejected, StageCancelled}

// TestSenderPrefix starts the sender id of the simulator's test senders.
const TestSenderPrefix = "sim:"

// Removed counts what a retention run or an erasure deleted or
// anonymised, by kind of data.
type Removed struct {
	// MessageTexts are inbound messages whose text and sender were blanked;
	// their id stays, for dedupe, until Messages ends.
	MessageTexts int64 `json:"message_texts,omitempty"`
	// Messages are inbound message records deleted.
	Messages      int64 `json:"messages,omitempty"`
	Conversations int64 `json:"conversations,omitempty"`
	// Tickets are deleted by retention; an erasure anonymises them instead
	// (kind, state and dates stay, for the office's counts).
	Tickets       int64 `json:"tickets,omitempty"`
	Subscriptions int64 `json:"subscriptions,omitempty"`
	Replies       int64 `json:"replies,omitempty"`
	// Statuses are the delivery statuses of replies.
	Statuses     int64 `json:"statuses,omitempty"`
	Applications int64 `json:"applications,omitempty"`
	// Stages are the stage history rows of the applications deleted.
	Stages int64 `json:"stages,omitempty"`
	// Runs are records of earlier runs past their period.
	Runs int64 `json:"runs,omitempty"`
	// APIWrites are records of integration API writes past their period.
	APIWrites int64 `json:"api_writes,omitempty"`
	// Audit are console audit log entries past their period.
	Audit int64 `json:"audit,omitempty"`
}

// RemovedKind is one line of Removed.
type RemovedKind struct {
	Kind string // as in Removed's JSON
	Rows int64
}

// Kinds lists every kind, in a fixed order, with its count.
func (r Removed) Kinds() []RemovedKind {
	return []RemovedKind{
		{"message_texts", r.MessageTexts}, {"messages", r.Messages}, {"conversations", r.Conversations},
		{"tickets", r.Tickets}, {"subscriptions", r.Subscriptions}, {"replies", r.Replies},
		{"statuses", r.Statuses}, {"applications", r.Applications}, {"stages", r.Stages}, {"runs", r.Runs},
		{"api_writes", r.APIWrites}, {"audit", r.Audit},
	}
}

// Total is the number of rows removed or anonymised.
func (r Removed) Total() int64 {
	var n int64
	for _, k := range r.Kinds() {
		n += k.Rows
	}
	return n
}

// Add adds o's counts to r.
func (r *Removed) Add(o Removed) {
	r.MessageTexts += o.MessageTexts
	r.Messages += o.Messages
	r.Conversations += o.Conversations
	r.Tickets += o.Tickets
	r.Subscriptions += o.Subscriptions
	r.Replies += o.Replies
	r.Statuses += o.Statuses
	r.Applications += o.Applications
	r.Stages += o.Stages
	r.Runs += o.Runs
	r.APIWrites += o.APIWrites
	r.Audit += o.Audit
}

// What a recorded run was.
const (
	RunRetention = "retention" // the scheduled job
	RunErasure   = "erasure"   // sigap privacy erase
)

// RetentionRun is the record of one retention run or erasure, for the
// operator and the console: when, by whom, what went. It never holds a
// WhatsApp id.
type RetentionRun struct {
	ID     int64
	At     time.Time
	Holder string // the replica that ran it, or who erased
	What   string // RunRetention or RunErasure
	// Subject is, for an erasure, SubjectHash of the WhatsApp id erased.
	Subject string
	Removed Removed
}

// SubjectHash names an erased WhatsApp id in the record of its erasure
// without writing it: "sha256:" and the hex SHA-256 of the id, so that an
// operator asked whether a number was erased can check it. It is a
// pseudonym, not anonymous: phone numbers are few enough to try them all.
func SubjectHash(waID string) string {
	sum := sha256.Sum256([]byte(waID))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Retention deletes or anonymises, on schedule, what is past its period.
type Retention interface {
	// ApplyRetention removes, at now, what policy (its zero periods the
	// defaults) no longer lets be kept, records the run under holder,
	// and reports what went. It works in small transactions, so that it
	// never holds up the conversations for long; a run cut short leaves
	// the rest for the next.
	ApplyRetention(ctx context.Context, policy RetentionPolicy, holder string, now time.Time) (Removed, error)
	// RetentionRuns lists the recorded runs and erasures, newest first,
	// at most limit.
	RetentionRuns(ctx context.Context, limit int) ([]RetentionRun, error)
}

// Privacy answers one person's requests about their data (UU 27/2022
// Arts. 32 and 43): everything stored about a WhatsApp id, at every office,
// and its erasure. The id is as ParseWAID returns it.
type Privacy interface {
	// ExportSender returns everything stored about waID.
	ExportSender(ctx context.Context, waID string) (SenderData, error)
	// EraseSender deletes or anonymises everything stored about waID, in
	// one transaction, records the erasure under by (with SubjectHash,
	// never the id), and reports what went. Messages keep their id, blank,
	// so that a redelivery is still known; replies waiting to be sent are
	// deleted; messages waiting to be answered are marked answered.
	EraseSender(ctx context.Context, waID, by string, now time.Time) (Removed, error)
}

// SenderData is everything stored about one WhatsApp id.
type SenderData struct {
	WAID string
	// Messages are the inbound messages that still name the sender
	// (older ones keep only their id, which names nobody).
	Messages      []StoredMessage
	Conversations []StoredConversation
	Tickets       []Ticket
	Subscriptions []Subscription
	Replies       []OutboundMessage
	Statuses      []StatusUpdate
	// TicketNotes are staff's internal notes on the sender's tickets.
	TicketNotes []TicketNotes
	// Audit are the console's audit log entries about the sender's chat
	// and tickets.
	Audit []AuditEntry
}

// TicketNotes are staff's internal notes on one ticket.
type TicketNotes struct {
	Office, Number, Notes string
}

// Empty reports whether nothing is stored.
func (d SenderData) Empty() bool {
	return len(d.Messages) == 0 && len(d.Conversations) == 0 && len(d.Tickets) == 0 &&
		len(d.Subscriptions) == 0 && len(d.Replies) == 0 && len(d.Statuses) == 0 &&
		len(d.TicketNotes) == 0 && len(d.Audit) == 0
}

// StoredMessage is an inbound message as the inbox keeps it.
type StoredMessage struct {
	Message    InboundMessage // as received
	ReceivedAt time.Time
	Answered   bool
}

// StoredConversation is a conversation with when it was last stored.
type StoredConversation struct {
	Conversation
	UpdatedAt time.Time
}

// Subscription is one application a sender asked (#notif on) to hear about.
type Subscription struct {
	Office    string
	User      string
	Number    string
	CreatedAt time.Time
}

// MaxWAIDLen bounds a WhatsApp id given to ParseWAID.
const MaxWAIDLen = 128

// ParseWAID reads a WhatsApp id as an operator may type it: a phone number
// in international form, with or without "+", spaces, dashes, dots or
// parentheses ("+62 812-3456-7890" is "6281234567890"), or another id
// (a test sender "sim:…", a business-scoped user id) as it is.
func ParseWAID(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("%w: empty WhatsApp id", ErrInvalid)
	}
	if len(s) > MaxWAIDLen {
		return "", fmt.Errorf("%w: WhatsApp id longer than %d bytes", ErrInvalid, MaxWAIDLen)
	}
	if phoneLike(s) {
		var b strings.Builder
		for _, r := range s {
			if r >= '0' && r <= '9' {
				b.WriteRune(r)
			}
		}
		id := b.String()
		switch {
		case len(id) < 5:
			return "", fmt.Errorf("%w: WhatsApp id %q: too short for a phone number", ErrInvalid, s)
		case id[0] == '0':
			return "", fmt.Errorf("%w: WhatsApp id %q: write the number with its country code (62 for Indonesia), without the leading 0", ErrInvalid, s)
		}
		return id, nil
	}
	for _, r := range s {
		if unicode.IsSpace(r) || IsControl(r) {
			return "", fmt.Errorf("%w: WhatsApp id %q: want a phone number or an id without spaces", ErrInvalid, s)
		}
	}
	return s, nil
}

// phoneLike: only digits and the marks people write phone numbers with.
func phoneLike(s string) bool {
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0, r == ' ', r == '-', r == '.', r == '(', r == ')':
		default:
			return false
		}
	}
	return digits > 0
}
