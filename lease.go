package sigap

import (
	"context"
	"time"
)

// LeaseRenewer renews the claims a process holds on messages and replies
// while it works on them, so that leases can be short: a replica that
// dies loses its work to another within a lease, and one that lives, however
// slow, keeps it. A store offers it where claims record their holder; the
// gateway and the outbox sender renew what they hold every few seconds,
// in one call a kind.
type LeaseRenewer interface {
	// RenewInbound extends to now+lease the claims on the pending
	// messages with the given ids that the caller still holds, and returns
	// those ids and when their claims now end (as stored, to the
	// millisecond); a message missing from them was taken over by another
	// holder, or finished, since.
	RenewInbound(ctx context.Context, ids []string, now time.Time, lease time.Duration) (held []string, until time.Time, err error)
	// RenewOutbound is RenewInbound for replies.
	RenewOutbound(ctx context.Context, ids []int64, now time.Time, lease time.Duration) (held []int64, until time.Time, err error)
}
