package sigap

import "time"

// MessageKind says what an applicant sent. Only text and interactive replies
// carry words the bot can read; the rest get a friendly request for text.
type MessageKind string

const (
	KindText        MessageKind = "text"
	KindInteractive MessageKind = "interactive" // list or button reply
	KindButton      MessageKind = "button"      // template quick-reply button
	KindAudio       MessageKind = "audio"
	KindImage       MessageKind = "image"
	KindVideo       MessageKind = "video"
	KindDocument    MessageKind = "document"
	KindSticker     MessageKind = "sticker"
	KindLocation    MessageKind = "location"
	KindContacts    MessageKind = "contacts"
	KindReaction    MessageKind = "reaction"
	KindUnsupported MessageKind = "unsupported"
)

// InboundMessage is one message from an applicant, whatever the channel.
type InboundMessage struct {
	// ID is the channel's message id (a wamid on WhatsApp). It is unique:
	// a redelivered message has the same ID and is answered once.
	ID     string      `json:"id"`
	Office string      `json:"office"`
	From   string      `json:"from"` // wa_id, or the business-scoped user id when no phone number came
	At     time.Time   `json:"at"`
	Kind   MessageKind `json:"kind"`
	// Text is what the applicant wrote: the text body, a caption, or the
	// title of the list row or button they tapped.
	Text string `json:"text,omitempty"`
	// ChoiceID is the id of the tapped list row or button, if any.
	ChoiceID string `json:"choice_id,omitempty"`

	// Attempts counts how often processing was started, this time included.
	Attempts int `json:"-"`
	// TakenOver: this claim took the message over from a claim that ran
	// out (its holder died or stalled), held by TakenFrom (a process's
	// name, host/pid; empty if not recorded). Not stored.
	TakenOver bool   `json:"-"`
	TakenFrom string `json:"-"`
}

// Reply is one message from the bot to an applicant. A channel that cannot
// show a list sends Text, which always stands on its own.
type Reply struct {
	Text     string    `json:"text"`
	List     *List     `json:"list,omitempty"`
	Location *Location `json:"location,omitempty"`
	// Template, when set, is sent instead of everything else: the only kind
	// of message WhatsApp delivers outside the 24-hour window.
	Template *Template `json:"template,omitempty"`
}

// List is an interactive list message: a body, a button that opens the
// list, and rows grouped in sections.
type List struct {
	Header   string        `json:"header,omitempty"`
	Body     string        `json:"body"`
	Footer   string        `json:"footer,omitempty"`
	Button   string        `json:"button"`
	Sections []ListSection `json:"sections"`
}

// ListSection is a titled group of rows in a List.
type ListSection struct {
	Title string    `json:"title,omitempty"`
	Rows  []ListRow `json:"rows"`
}

// ListRow is one choice; its ID comes back as InboundMessage.ChoiceID.
type ListRow struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// Conversation is what the bot remembers about one sender at one office
// between messages. It is stored whole, so new fields need no migration.
type Conversation struct {
	Office string `json:"-"`
	User   string `json:"-"`

	Lang string `json:"lang,omitempty"` // "id" or "en"; empty means the default
	// Awaiting names the answer the bot asked for ("birth_date"), and
	// AwaitingNumber the application it is about.
	Awaiting       string    `json:"awaiting,omitempty"`
	AwaitingNumber string    `json:"awaiting_number,omitempty"`
	AwaitingSince  time.Time `json:"awaiting_since,omitzero"`
	// AwaitingKind is the TicketKind while Awaiting is "feedback".
	AwaitingKind TicketKind `json:"awaiting_kind,omitempty"`
	// LangChosen: the applicant picked Lang with #en or #id, so writing in
	// the other language does not switch it.
	LangChosen bool `json:"lang_chosen,omitempty"`
	// HandoverSince is when the applicant asked for staff (#petugas). Until
	// HandoverUntil (24 hours after their latest message) the bot stays
	// quiet for them; staff hand the chat back by clearing both.
	HandoverSince time.Time `json:"handover_since,omitzero"`
	HandoverUntil time.Time `json:"handover_until,omitzero"`
	// Notify: the applicant opted in (#notif on) to hear when the
	// applications in Numbers change stage.
	Notify bool `json:"notify,omitempty"`
	// NotifyOff: the applicant opted out (#notif off), so an office that
	// subscribes after each look-up (notify_after_lookup) does not.
	NotifyOff bool `json:"notify_off,omitempty"`
	// Numbers are the applications this sender looked up successfully,
	// newest first, at most MaxConversationNumbers.
	Numbers []string `json:"numbers,omitempty"`
	// LastTicket is the number of the sender's latest feedback ticket.
	LastTicket string `json:"last_ticket,omitempty"`

	LastInboundAt time.Time `json:"last_inbound_at,omitzero"`

	// Lookups counts the sender's status look-ups this hour, Failures
	// those that found nothing today (see OfficeLimits).
	Lookups  Tally `json:"lookups,omitzero"`
	Failures Tally `json:"failures,omitzero"`

	// Version is the stored version this state was worked out from: the
	// number of times the conversation was stored, 0 if never. A store
	// that keeps it refuses to store a state over a newer one (ErrStale).
	Version int64 `json:"-"`
}

// MaxConversationNumbers bounds Conversation.Numbers.
const MaxConversationNumbers = 5

// OutboundState is where a reply is on its way out.
type OutboundState string

const (
	OutboundPending OutboundState = "pending"
	OutboundSent    OutboundState = "sent"
	OutboundFailed  OutboundState = "failed" // final: will not be retried
)

// OutboundMessage is a reply waiting in, or gone from, the outbox.
type OutboundMessage struct {
	ID        int64
	Office    string
	To        string
	InReplyTo string // the inbound message id answered, if any
	Reply     Reply
	State     OutboundState
	Attempts  int
	CreatedAt time.Time
	// NextAttemptAt is when a pending message may be tried again.
	NextAttemptAt time.Time
	// WindowEndsAt is when the applicant's 24-hour customer service window
	// closes; after it only an approved template may be sent. Zero: unknown.
	WindowEndsAt time.Time
	LastError    string
	SentID       string // the channel's id for the sent message (a wamid)
	// DeliveryStatus is the furthest status the channel reported: sent,
	// delivered, read or failed.
	DeliveryStatus string
	// Doubtful counts the claims of this message that ran out without an
	// outcome: a sender died holding it, perhaps mid-send. The sender gives
	// up on a message in doubt twice rather than risk a second duplicate.
	Doubtful int
	// TakenOver: this claim took the reply over from a claim that ran out
	// (its holder died or stalled), so it is in doubt; TakenFrom names
	// that holder (host/pid; empty if not recorded).
	TakenOver bool
	TakenFrom string
	// LeaseEnds is when the claim it was handed out under runs out (zero
	// when not claimed); after it, another sender may take it.
	LeaseEnds time.Time
}

// CustomerServiceWindow is how long after an applicant's last message a
// business may send free-form messages on WhatsApp.
const CustomerServiceWindow = 24 * time.Hour

// StatusUpdate is the channel's word on a sent message.
type StatusUpdate struct {
	MessageID  string // the wamid of the sent message
	Status     string // sent, delivered, read, failed
	At         time.Time
	Recipient  string
	ErrorCode  int
	ErrorTitle string
	// Reply is the reply the send's callback data names (ReplyRef), if it
	// named one of the office's: a status for it means the send went out.
	Reply ReplyRef
}

// StatusRank orders statuses so that one arriving late never moves a message
// back: sent < delivered < read, and failed, which Meta reports only for a
// message that did not arrive, above them all.
func StatusRank(status string) int {
	switch status {
	case "sent":
		return 1
	case "delivered":
		return 2
	case "read":
		return 3
	case "failed":
		return 4
	}
	return 0
}

// ChannelError is an account- or system-level error the channel reported.
type ChannelError struct {
	Office  string
	At      time.Time
	Code    int
	Title   string
	Details string
}

// Delivery is everything one webhook call brought, stored in one step before
// it is acknowledged.
type Delivery struct {
	Messages []InboundMessage
	Statuses []StatusUpdate
	Errors   []ChannelError
}
