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
