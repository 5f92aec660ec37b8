package gateway

import (
	"context"
	"log/slog"
	"time"

	"github.com/sigap-id/sigap"
)

// HousekeepingStore is what the Housekeeper works on.
type HousekeepingStore interface {
	sigap.Maintenance
	sigap.Retention
}

// Housekeeper removes what is past its period (Policy: personal data,
// recorded by the store as a retention run) and prunes the queues'
// bookkeeping, on one replica at a time: the one holding the lease.
type Housekeeper struct {
	Store HousekeepingStore
	// Policy is how long each kind of personal data is kept; zero periods
	// are the defaults.
	Policy sigap.RetentionPolicy
	Holder string // this replica's name in the lease and the run records
	Every  time.Duration
	Log    *slog.Logger
	Now    func() time.Time
}

// housekeepingLease names the lease that elects the replica doing the work.
const housekeepingLease = "prune"

// Run does the work every Every until ctx ends.
func (h *Housekeeper) Run(ctx context.Context) {
	t := time.NewTicker(h.Every)
	defer t.Stop()
	for {
		h.Once(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Once does the work if this replica holds the lease, and reports whether
// it did all of it.
func (h *Housekeeper) Once(ctx context.Context) bool {
	now := h.Now()
	// The lease ends just before the next run, so that the holder renews
	// it then and another replica takes over if the holder is gone.
	ok, err := h.Store.TryLease(ctx, housekeepingLease, h.Holder, now, now.Add(h.Every-time.Second))
	if err != nil {
		h.Log.Warn("housekeeping lease", "err", err)
		return false
	}
	if !ok {
		return false
	}
	policy := h.Policy.OrDefaults()
	removed, err := h.Store.ApplyRetention(ctx, policy, h.Holder, now)
	// Counts only: never an id or a text.
	attrs := []any{"rows", removed.Total()}
	for _, k := range removed.Kinds() {
		attrs = append(attrs, k.Kind, k.Rows)
	}
	if err != nil {
		h.Log.Warn("retention stopped; the rest is left for the next run", append(attrs, "err", err)...)
		return false
	}
	h.Log.Info("retention applied", attrs...)
	// What retention left to the queues' own bookkeeping (send budget,
	// channel errors, look-up locks), on the same periods.
	n, err := h.Store.Prune(ctx, now.Add(-policy.Messages), now.Add(-policy.Replies))
	if err != nil {
		h.Log.Warn("prune", "err", err)
		return false
	}
	if n > 0 {
		h.Log.Info("pruned old rows", "rows", n)
	}
	return true
}
