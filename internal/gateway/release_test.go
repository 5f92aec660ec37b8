package gateway_test

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/gateway"
)

// downStore is a store whose database can be made unreachable for the
// writes that end a step: completing a message and giving back its claim.
type downStore struct {
	gateway.Store
	down atomic.Bool
}

var errDown = errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")

func (s *downStore) RetryInbound(ctx context.Context, m sigap.InboundMessage, retryAt time.Time) error {
	if s.down.Load() {
		return errDown
	}
	return s.Store.RetryInbound(ctx, m, retryAt)
}

func (s *downStore) CompleteInbound(ctx context.Context, id string, conv sigap.Conversation, replies []sigap.OutboundMessage) error {
	if s.down.Load() {
		return errDown
	}
	return s.Store.CompleteInbound(ctx, id, conv, replies)
}

// A step cut off by a database outage gives back its claim as soon as the
// database is back, not when its lease runs out: the sender's next message
// is answered at once.
func TestAFailedStepReleasesItsClaimWhenTheDatabaseIsBack(t *testing.T) {
	s, _, _ := setup(t, nil)
	store := &downStore{Store: s}
	now := time.Now()
	p := gateway.NewProcessor(gateway.Options{Store: store, Bot: &flakyBot{}, Lease: time.Minute,
		Offices: func(code string) (sigap.Office, bool) { return sigap.Office{Code: code}, code == "jakpus" },
		Log:     slog.New(slog.DiscardHandler), Now: func() time.Time { return now }})
	receive(t, s, "jakpus", "satu", "dua")
	ctx := context.Background()
	store.down.Store(true)
	if n, _ := p.ProcessBatch(ctx, 10); n != 1 {
		t.Fatalf("claimed %d, want the first message", n)
	}
	if got := replies(t, s); len(got) != 0 {
		t.Fatalf("replies %q while the database is down", got)
	}
	// Back after two seconds: well within the minute's lease.
	store.down.Store(false)
	now = now.Add(2 * time.Second)
	for range 2 {
		if n, err := p.ProcessBatch(ctx, 10); n != 1 || err != nil {
			t.Fatalf("claimed %d, %v once the database is back; want 1 (the lease is %v)", n, err, p.Options().Lease)
		}
	}
	if got := replies(t, s); len(got) != 2 || got[0] != "ok: satu" || got[1] != "ok: dua" {
		t.Errorf("replies %q, want both messages answered, in order, as soon as the database is back", got)
	}
}
