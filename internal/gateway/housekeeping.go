package gateway

import (
	"context"
	"log/slog"
	"time"

	"github.com/sigap-id/sigap"
)

// Retention of what the store keeps.
const (
	// KeepInbound outlasts Meta's 7-day redelivery horizon: an inbound
	// message is the record that makes a redelivery a duplicate.
	KeepInbound = 8 * 24 * time.Hour
	// KeepOutbox keeps sent replies and statuses for a month of support questions.
	KeepOutbox = 30 * 24 * time.Hour
)

// Housekeeper prunes old rows, on one replica at a time.
type Housekeeper struct {
	Store  sigap.Maintenance
	Holder string // this replica's name in the lease
	Every  time.Duration
	Log    *slog.Logger
	Now    func() time.Time
}

// Run prunes every Every until ctx ends.
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

// Once prunes if this replica holds the lease, and reports whether it did.
func (h *Housekeeper) Once(ctx context.Context) bool {
	now := h.Now()
	ok, err := h.Store.TryLease(ctx, "prune", h.Holder, now, now.Add(h.Every-time.Second))
	if err != nil {
		h.Log.Warn("housekeeping lease", "err", err)
		return false
	}
	if !ok {
		return false
	}
	n, err := h.Store.Prune(ctx, now.Add(-KeepInbound), now.Add(-KeepOutbox))
	if err != nil {
		h.Log.Warn("prune", "err", err)
		return false
	}
	if n > 0 {
		h.Log.Info("pruned old rows", "rows", n)
	}
	return true
}
