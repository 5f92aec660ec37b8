// Package outbox sends the replies waiting in the durable outbox through a
// channel, retrying what may succeed later and recording what never will.
package outbox

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/sigap-id/sigap"
)

// Channel delivers one message, returning the channel's id for it.
type Channel interface {
	Send(ctx context.Context, office sigap.Office, m sigap.OutboundMessage) (string, error)
}

// permanent is implemented by channel errors that no retry can fix.
type permanent interface{ Permanent() bool }

// operatorAlert is implemented by channel errors a person must fix.
type operatorAlert interface{ NeedsOperator() bool }

// Sender works through the outbox.
type Sender struct {
	Outbox  sigap.Outbox
	Channel Channel
	Offices func(code string) (sigap.Office, bool)
	Log     *slog.Logger
	Now     func() time.Time

	Lease       time.Duration
	MaxAttempts int
	Poll        time.Duration
	// Backoff is the wait before retry number attempt (1-based).
	Backoff func(attempt int) time.Duration

	wake chan struct{}
}

// NewSender returns a sender with the usual settings.
func NewSender(ob sigap.Outbox, ch Channel, offices func(string) (sigap.Office, bool), log *slog.Logger) *Sender {
	return &Sender{
		Outbox: ob, Channel: ch, Offices: offices, Log: log, Now: time.Now,
		Lease: time.Minute, MaxAttempts: 8, Poll: time.Second, Backoff: Backoff,
		wake: make(chan struct{}, 1),
	}
}

// Backoff doubles from one second up to five minutes, with jitter so that
// many failed sends do not return at the same instant.
func Backoff(attempt int) time.Duration {
	d := time.Second << min(attempt-1, 9)
	d = min(d, 5*time.Minute)
	return d/2 + rand.N(d)
}

// Wake tells the sender that replies are waiting.
func (s *Sender) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run sends until ctx ends; a send that has begun is finished and recorded.
func (s *Sender) Run(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-timer.C:
		}
		for ctx.Err() == nil {
			n, err := s.SendBatch(context.WithoutCancel(ctx), 32)
			if err != nil {
				s.Log.Error("outbox", "err", err)
				break
			}
			if n == 0 {
				break
			}
		}
		timer.Reset(s.Poll)
	}
}

// SendBatch claims and sends up to limit due messages.
func (s *Sender) SendBatch(ctx context.Context, limit int) (int, error) {
	msgs, err := s.Outbox.ClaimOutbound(ctx, s.Now(), s.Lease, limit)
	if err != nil {
		return 0, err
	}
	for _, m := range msgs {
		if err := s.send(ctx, m); err != nil {
			return len(msgs), err
		}
	}
	return len(msgs), nil
}

func (s *Sender) send(ctx context.Context, m sigap.OutboundMessage) error {
	log := s.Log.With("office", m.Office, "outbox_id", m.ID, "attempt", m.Attempts)
	office, ok := s.Offices(m.Office)
	if !ok {
		log.Warn("reply for an unknown office not sent")
		return s.Outbox.MarkFailed(ctx, m.ID, "office "+m.Office+" is not in the offices file")
	}
	id, err := s.Channel.Send(ctx, office, m)
	if err == nil {
		log.Debug("reply sent", "wamid", id)
		return s.Outbox.MarkSent(ctx, m.ID, id, s.Now())
	}
	var perm permanent
	if errors.As(err, &perm) && perm.Permanent() {
		var alert operatorAlert
		if errors.As(err, &alert) && alert.NeedsOperator() {
			log.Error("ALERT: sending needs an operator (token, policy or account)", "err", err)
		} else {
			log.Warn("reply cannot be sent", "err", err)
		}
		return s.Outbox.MarkFailed(ctx, m.ID, err.Error())
	}
	if m.Attempts >= s.MaxAttempts {
		log.Error("reply not sent after every attempt", "err", err)
		return s.Outbox.MarkFailed(ctx, m.ID, err.Error())
	}
	retry := s.Now().Add(s.Backoff(m.Attempts))
	log.Warn("reply not sent; will retry", "err", err, "retry_at", retry)
	return s.Outbox.MarkRetry(ctx, m.ID, err.Error(), retry)
}
