package sigap

import (
	"context"
	"fmt"
	"time"
)

// OutboxReport lists replies for an operator (sigap outbox): the filters
// are applied where the replies are stored, so that a failed reply is
// found however many were sent after it.
type OutboxReport interface {
	// ListOutbound returns the replies q selects, newest first.
	ListOutbound(ctx context.Context, q OutboxQuery) ([]OutboundMessage, error)
}

// OutboxQuery selects replies; an empty field selects every value.
type OutboxQuery struct {
	Office string        // only this office's replies
	State  OutboundState // only replies in this state
	To     string        // only replies to this WhatsApp id
	Limit  int           // at most this many, 1 to MaxOutboxQueryLimit
	// InDoubt selects only pending replies in doubt at Now: claimed by a
	// sender whose claim ran out without an outcome (it died or stalled,
	// perhaps mid-send), not yet claimed again.
	InDoubt bool
	Now     time.Time // required with InDoubt
}

// MaxOutboxQueryLimit bounds OutboxQuery.Limit: a report is read by a
// person, and its replies are held in memory.
const MaxOutboxQueryLimit = 10000

// Check reports a query that no store should run.
func (q OutboxQuery) Check() error {
	switch q.State {
	case "", OutboundPending, OutboundSent, OutboundFailed:
	default:
		return fmt.Errorf("outbox state %q: want %s, %s or %s", q.State, OutboundPending, OutboundSent, OutboundFailed)
	}
	if q.InDoubt && (q.State != "" && q.State != OutboundPending || q.Now.IsZero()) {
		return fmt.Errorf("outbox query in doubt: want state %s or none, and the time now", OutboundPending)
	}
	if q.Limit < 1 || q.Limit > MaxOutboxQueryLimit {
		return fmt.Errorf("outbox limit %d: want 1 to %d", q.Limit, MaxOutboxQueryLimit)
	}
	return nil
}
