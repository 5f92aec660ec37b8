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
}

// Reply is one message from the bot to an applicant. A channel that cannot
// show a list sends Text, which always stands on its own.
type Reply struct {
	Text     string    `json:"text"`
	List     *List     `json:"list,omitempty"`
	Location *Location `json:"location,omitempty"`
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

	LastInboundAt time.Time `json:"last_inbound_at,omitzero"`
}

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
	LastError     string
	SentID        string // the channel's id for the sent message (a wamid)
}
