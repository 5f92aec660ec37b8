package sigap

import (
	"context"
	"time"
)

// DefaultChannel is the channel of an office whose offices file entry names
// none: WhatsApp's Cloud API.
const DefaultChannel = "cloud_api"

// Channel is a transport applicants reach an office by. Each office names
// its own (Office.Channel); the binary holds the channels by name, and the
// gateway and the outbox ask the office's channel for everything that
// depends on the transport: how long a reply may be, what may still be sent
// when, how fast, what a failure means.
type Channel interface {
	// Split cuts a reply longer than the channel carries into several, to
	// be sent in order; most replies come back alone.
	Split(r Reply) []Reply
	// Prepare says what to send for m now: m itself, or what the channel
	// sends in its place (a template outside WhatsApp's 24-hour window).
	// An error says it can never be sent: it is recorded as failed, with
	// Classify's code and alert.
	Prepare(office Office, m OutboundMessage, now time.Time) (OutboundMessage, error)
	// Budget names the send budget a reply from office spends (shared by
	// everything sent from the same number) and its rate per second.
	Budget(office Office) (key string, perSecond int)
	// Send delivers one prepared reply and returns the channel's id for it.
	Send(ctx context.Context, office Office, m OutboundMessage) (id string, err error)
	// Classify says what a failed Prepare or Send means for the reply.
	Classify(err error, attempt int) SendFailure
	// Ready says why the channel cannot send office's replies (no
	// credentials for it), or nil if it can.
	Ready(office Office) error
	// MarkRead tells the applicant their message arrived and an answer is
	// coming, where the channel and the office do that; best effort.
	MarkRead(ctx context.Context, office Office, m InboundMessage) error
}

// SendFailure is what a failed send means.
type SendFailure struct {
	// Permanent: no retry can make it succeed.
	Permanent bool
	// NeedsOperator: a person must act (a token, a policy, an account).
	NeedsOperator bool
	// RetryAfter is the channel's advice on when to try again; zero leaves
	// it to the sender's backoff.
	RetryAfter time.Duration
	// Code is the channel's code for it, for metrics; 0 if none.
	Code int
}

// ChannelSettings is offered by a channel whose offices carry settings of
// their own in the offices file, in one field of the office (the Cloud
// API's: whatsapp:). The config package decodes that field into
// NewSettings' value, refusing unknown fields and values of the wrong kind
// at their lines; the channel says what else is wrong and what it means.
type ChannelSettings interface {
	// SettingsField is the office's field that holds the settings.
	SettingsField() string
	// NewSettings returns a pointer to a zero struct to decode the field
	// into; its yaml tags name the fields the channel takes.
	NewSettings() any
	// CheckSettings checks settings as decoded (NewSettings' value, zero
	// where the file leaves fields out, or the whole field) and returns
	// what the office carries as its ChannelConfig, with every problem
	// found; it returns a config even then, as far as it could read one.
	CheckSettings(settings any, getenv func(string) string) (ChannelConfig, []FieldProblem)
}

// ChannelConfig is an office's settings for its channel, as the channel
// read them (ChannelSettings). Only the channel looks inside; the rest of
// SIGAP asks it these.
type ChannelConfig interface {
	// Address is what the channel's deliveries name the office by (the
	// Cloud API's phone number id), and Field the offices file's field
	// that holds it ("whatsapp.phone_number_id"): no two offices on a
	// channel may share an address. Empty: none (yet).
	Address() (field, address string)
	// DisplayNumber is the office's number as applicants dial it; "" if
	// the settings name none.
	DisplayNumber() string
}

// FieldProblem is a mistake in an office's channel settings: Field is the
// field's dotted path from the office ("whatsapp.messages_per_second"),
// which finds its line, and Problem says what is wrong in the file's words.
type FieldProblem struct {
	Field   string
	Problem string
}
