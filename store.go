package sigap

import (
	"context"
	"time"
)

// UpsertResult says what storing an application did.
type UpsertResult int

const (
	Unchanged UpsertResult = iota // same row already stored, or an older stage_at
	Inserted                      // a new application
	Updated                       // an application moved on or its details changed
)

// Applications stores passport applications and their stage history.
type Applications interface {
	// FindApplication returns the application with that number at that
	// office, or an error wrapping ErrNotFound.
	FindApplication(ctx context.Context, office, number string) (Application, error)
	// UpsertApplication stores a, keeping every stage it has been in. A row
	// whose StageAt is older than the stored one changes nothing. It
	// refuses an a that fails Validate, and one that names another office
	// than the stored application's (CheckOfficeMove) unless opts hold
	// MoveOffice; both errors are ErrInvalid.
	UpsertApplication(ctx context.Context, a Application, opts ...UpsertOption) (UpsertResult, error)
	// ApplicationHistory lists an application's stages, oldest first.
	ApplicationHistory(ctx context.Context, number string) ([]StageChange, error)
	CountApplications(ctx context.Context, office string) (int, error)
}

// Conversations stores what the bot remembers about each sender.
type Conversations interface {
	// Conversation returns the stored conversation, or a new one.
	Conversation(ctx context.Context, office, user string) (Conversation, error)
	SaveConversation(ctx context.Context, c Conversation) error
}

// Inbox is the durable queue of inbound messages: a message is stored before
// its delivery is acknowledged and processed from here afterwards, so a crash
// in between loses nothing.
type Inbox interface {
	// SaveDelivery stores, in one transaction, a delivery's messages whose
	// IDs were not seen before, its statuses and its errors, and reports how
	// many messages were new; a redelivered message is ignored. The
	// transaction is the dedupe claim: concurrent redeliveries add it once.
	SaveDelivery(ctx context.Context, d Delivery) (added int, err error)
	// SaveDeliveryClaiming is SaveDelivery that also, in the same
	// transaction, stores the answers worked out ahead for its messages
	// (answers[i], if not nil, is d.Messages[i]'s), and claims for the
	// caller the new messages it may answer at once, so that the process
	// that stored them goes straight on with them.
	//
	// A new message with an answer is stored answered, with the answer's
	// conversation and replies (claimed for c.OutboxLease when nothing
	// earlier to the recipient waits, or with Answer.Behind when all that
	// waits is being sent), if its sender has no earlier message
	// waiting and the conversation is still at the answer's Version;
	// otherwise it is stored unanswered. An unanswered new message whose
	// sender has no earlier message waiting is claimed for c.InboxLease,
	// where the store can do so safely; the rest wait for ClaimInbound.
	SaveDeliveryClaiming(ctx context.Context, d Delivery, answers []*Answer, c Claim) (Saved, error)
	// ConversationIfIdle returns the sender's conversation, to answer a
	// new message from, if the sender has no message stored and not yet
	// answered; otherwise idle is false and c is empty.
	ConversationIfIdle(ctx context.Context, office, sender string) (c Conversation, idle bool, err error)
	// ClaimInbound leases up to limit unprocessed messages, oldest first, for
	// lease; a message whose lease ran out is offered again.
	ClaimInbound(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]InboundMessage, error)
	// RetryInbound shortens the claim on a message its worker could not
	// answer, so that it is offered again at retryAt.
	RetryInbound(ctx context.Context, id string, retryAt time.Time) error
	// CompleteInbound records, in one transaction, that a message was
	// handled: the conversation after it and the replies it produced. It
	// fails with ErrNotPending when the message was already completed (by
	// another worker that took it over after its lease ran out), and with
	// ErrStale when conv.Version is set and the stored conversation is no
	// longer at it.
	CompleteInbound(ctx context.Context, id string, conv Conversation, replies []OutboundMessage) error
	// CompleteInboundClaiming is CompleteInbound that also claims, in the
	// same transaction, the replies (when nothing earlier to their recipient
	// is waiting, so they may be sent at once) and the sender's next waiting
	// message, and returns what it claimed.
	CompleteInboundClaiming(ctx context.Context, id string, conv Conversation, replies []OutboundMessage, c Claim) (Completed, error)
}

// Answer is a message's answer worked out before the message is stored: the
// conversation after it, whose Version is the one the turn read, and the
// replies it produced.
type Answer struct {
	Conv    Conversation
	Replies []OutboundMessage
	// Behind says that the caller is sending the recipient's earlier
	// replies, one after the other, and will send these after them: they
	// are claimed if every earlier one pending is claimed, instead of only
	// if none is pending.
	Behind bool
}

// Saved is what SaveDeliveryClaiming stored and claimed.
type Saved struct {
	Added int // new messages
	// Answered are the new messages stored with their answer.
	Answered []InboundMessage
	// Claimed are new messages stored unanswered and claimed for the caller.
	Claimed []InboundMessage
	// Replies are the answered messages' replies claimed for the caller to
	// send; Queued those stored but left for the sender to claim.
	Replies, Queued []OutboundMessage
}

// Claim says for how long work stored or finished in a transaction is
// claimed by the caller in that same transaction. A zero lease claims
// nothing.
type Claim struct {
	Now                     time.Time
	InboxLease, OutboxLease time.Duration
}

// Completed is what CompleteInboundClaiming claimed.
type Completed struct {
	// Replies are the message's replies, claimed, in order; empty when they
	// were left for the sender to claim (OutboxLease zero, or an earlier
	// reply to the recipient waiting).
	Replies []OutboundMessage
	// Queued reports replies stored but not claimed.
	Queued bool
	// Next is the sender's next waiting message, claimed, if any.
	Next *InboundMessage
}

// Outbox is the durable queue of replies.
type Outbox interface {
	// ClaimOutbound leases up to limit pending messages that are due, each
	// the oldest pending one to its recipient.
	ClaimOutbound(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]OutboundMessage, error)
	MarkSent(ctx context.Context, id int64, sentID string, at time.Time) error
	// MarkSentClaimNext is MarkSent that also claims, in the same
	// transaction, the next due reply to the same recipient, if any, so the
	// caller sends it next.
	MarkSentClaimNext(ctx context.Context, m OutboundMessage, sentID string, at time.Time, lease time.Duration) (*OutboundMessage, error)
	// Release gives back a claimed message that was not sent, if the claim
	// it was handed out under still holds, so that the next claim does
	// not count it in doubt.
	Release(ctx context.Context, m OutboundMessage) error
	// MarkRetry leaves the message pending until retryAt.
	MarkRetry(ctx context.Context, id int64, reason string, retryAt time.Time) error
	// MarkFailed gives up on the message for good.
	MarkFailed(ctx context.Context, id int64, reason string) error
}

// Maintenance is the store's housekeeping, shared by replicas.
type Maintenance interface {
	// Prune deletes processed inbound messages received before
	// inboundBefore (they are the dedupe record, kept past Meta's 7-day
	// redelivery horizon), finished outbox rows created before
	// outboxBefore, and number failures and locks (LookupGuard) that ended
	// by inboundBefore, and reports how many rows went.
	Prune(ctx context.Context, inboundBefore, outboxBefore time.Time) (int64, error)
	// TryLease takes or renews the named lease for holder until until, and
	// reports whether holder has it; replicas use it so that one of them at
	// a time does scheduled work.
	TryLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error)
}

// Store is everything SIGAP keeps.
type Store interface {
	Applications
	Conversations
	Inbox
	Outbox
	Maintenance
	ApplicationDirectory
	Tickets
	Subscriptions
	LookupGuard
	Retention
	Privacy
	// Ready reports whether the database answers and its schema is current.
	Ready(ctx context.Context) error
	Close() error
}
