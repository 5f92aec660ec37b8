package sigap

import (
	"context"
	"time"
)

// The fast paths: what a store may offer beyond Inbox and Outbox so that the
// process that stores work goes straight on with it, saving a transaction
// and a wait for a claim. Each is an optional interface: the gateway and the
// outbox ask for it once, when they are made, and take the plain path
// (SaveDelivery and ClaimInbound, CompleteInbound, ClaimOutbound and
// MarkSent) when the store does not offer it. A store offers what its
// engine can do safely; the shared store suite tests what it offers.

// AnswerOnArrival stores a delivery's messages already answered: the
// webhook works out the answers before it stores the delivery, and a
// message's answer costs no write of its own.
type AnswerOnArrival interface {
	// ConversationIfIdle returns the sender's conversation, to answer a
	// new message from, if the sender has no message stored and not yet
	// answered; otherwise idle is false and c is empty.
	ConversationIfIdle(ctx context.Context, office, sender string) (c Conversation, idle bool, err error)
	// SaveDeliveryClaiming is Inbox.SaveDelivery that also, in the same
	// transaction, stores the answers worked out ahead for its messages
	// (answers[i], if not nil, is d.Messages[i]'s), and claims for the
	// caller the new messages it may answer at once.
	//
	// A new message with an answer is stored answered, with the answer's
	// conversation and replies (claimed for c.OutboxLease when nothing
	// earlier to the recipient waits, or, with Answer.Behind, when all
	// that waits is being sent: those go in Saved.Behind), if its sender
	// has no earlier message waiting and the conversation is still at the
	// answer's Version; otherwise it is stored unanswered. If ClaimsUnanswered, an unanswered new message
	// whose sender has no earlier message waiting is claimed for
	// c.InboxLease; the rest wait for ClaimInbound.
	SaveDeliveryClaiming(ctx context.Context, d Delivery, answers []*Answer, c Claim) (Saved, error)
	// ClaimsUnanswered reports whether SaveDeliveryClaiming claims the
	// unanswered messages it may: only a store that can check that the
	// sender has nothing waiting and store the message without another
	// replica storing in between (the database's one writer) does.
	ClaimsUnanswered() bool
}

// ClaimNextInbound completes a message and claims, in the same transaction,
// what the caller goes on with: its replies, to send, and the sender's next
// message, to answer.
type ClaimNextInbound interface {
	// CompleteInboundClaiming is Inbox.CompleteInbound that also claims
	// the replies (for c.OutboxLease, when nothing earlier to their
	// recipient is waiting, so they may be sent at once) and the sender's
	// next waiting message (for c.InboxLease), and returns what it claimed.
	CompleteInboundClaiming(ctx context.Context, id string, conv Conversation, replies []OutboundMessage, c Claim) (Completed, error)
}

// ClaimNextOutbound marks a reply sent and claims, in the same step, the
// recipient's next one, so that the sender sends it next without a claim
// of its own.
type ClaimNextOutbound interface {
	// MarkSentClaimNext is Outbox.MarkSent that also claims for lease the
	// next due reply to the same recipient, if any, and returns it.
	MarkSentClaimNext(ctx context.Context, m OutboundMessage, sentID string, at time.Time, lease time.Duration) (*OutboundMessage, error)
}

// ReleaseOutbound gives back a claimed reply that was not sent without
// counting it in doubt (OutboundMessage.Doubtful) when it is claimed again.
type ReleaseOutbound interface {
	// Release gives m back, due at once, if the claim it was handed out
	// under (m.LeaseEnds) still holds; otherwise it does nothing.
	Release(ctx context.Context, m OutboundMessage) error
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
	// Behind are replies claimed for the caller behind the recipient's
	// earlier replies being sent (Answer.Behind): they may be sent only
	// after those were, and are given back otherwise.
	Behind []OutboundMessage
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
