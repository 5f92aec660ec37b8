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
// in between loses nothing. A store may also answer messages as they arrive
// (AnswerOnArrival) and claim a sender's next message as it completes one
// (ClaimNextInbound).
type Inbox interface {
	// SaveDelivery stores, in one transaction, a delivery's messages whose
	// IDs were not seen before, its statuses and its errors, and reports how
	// many messages were new; a redelivered message is ignored. The
	// transaction is the dedupe claim: concurrent redeliveries add it once.
	SaveDelivery(ctx context.Context, d Delivery) (added int, err error)
	// ClaimInbound leases up to limit unprocessed messages, oldest first and
	// at most one per sender, for lease; a message whose lease ran out is
	// offered again.
	ClaimInbound(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]InboundMessage, error)
	// RetryInbound shortens the claim on m, a message its worker could not
	// answer, so that it is offered again at retryAt. The claim is m's
	// (m.ID, m.Attempts): if the message was claimed again since, or
	// answered, it does nothing, so a release written late never cuts
	// short another worker's claim.
	RetryInbound(ctx context.Context, m InboundMessage, retryAt time.Time) error
	// CompleteInbound records, in one transaction, that a message was
	// handled: the conversation after it and the replies it produced. It
	// fails with ErrNotPending when the message was already completed (by
	// another worker that took it over after its lease ran out), and with
	// ErrStale when conv.Version is set and the stored conversation is no
	// longer at it.
	CompleteInbound(ctx context.Context, id string, conv Conversation, replies []OutboundMessage) error
}

// Outbox is the durable queue of replies. A store may also claim a
// recipient's next reply as it marks one sent (ClaimNextOutbound) and take
// back a claim without counting it in doubt (ReleaseOutbound).
type Outbox interface {
	// ClaimOutbound leases up to limit pending messages that are due, each
	// the oldest pending one to its recipient, and sets their LeaseEnds. A
	// message whose earlier claim ran out without an outcome comes back
	// with Doubtful counted up: a sender died holding it, perhaps mid-send.
	ClaimOutbound(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]OutboundMessage, error)
	// MarkSent records that the message went, with the channel's id for it.
	MarkSent(ctx context.Context, id int64, sentID string, at time.Time) error
	// MarkRetry leaves the message pending, unclaimed, until retryAt.
	MarkRetry(ctx context.Context, id int64, reason string, retryAt time.Time) error
	// MarkFailed gives up on the message for good.
	MarkFailed(ctx context.Context, id int64, reason string) error
	// Enqueue stores messages that answer no inbound message (a staff
	// reply, a notification) as pending, each after whatever waits for its
	// recipient, and returns their ids in order. The sender takes them up
	// at its next poll.
	Enqueue(ctx context.Context, msgs []OutboundMessage) ([]int64, error)
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
	Notifications
	LookupGuard
	Retention
	Privacy
	Accounts
	Sessions
	LoginThrottle
	Audit
	StaffDesk
	Integration
	ContentAndStats
	// Ready reports whether the database answers and its schema is current.
	Ready(ctx context.Context) error
	Close() error
}
