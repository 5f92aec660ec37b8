package outbox

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// LocalLimiter is a token bucket per phone number, for one process. Its
// burst is one second's budget, as Meta counts messages per second.
type LocalLimiter struct {
	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

// NewLocalLimiter returns an empty limiter.
func NewLocalLimiter() *LocalLimiter {
	return &LocalLimiter{buckets: map[string]*rate.Limiter{}}
}

// Wait implements Limiter.
func (l *LocalLimiter) Wait(ctx context.Context, phoneNumberID string, perSecond int) error {
	if perSecond <= 0 {
		perSecond = 80
	}
	l.mu.Lock()
	b, ok := l.buckets[phoneNumberID]
	if !ok || b.Limit() != rate.Limit(perSecond) {
		b = rate.NewLimiter(rate.Limit(perSecond), perSecond)
		l.buckets[phoneNumberID] = b
	}
	l.mu.Unlock()
	return b.Wait(ctx)
}

// SlotTaker spends one message of a shared per-second budget.
type SlotTaker interface {
	TakeSendSlot(ctx context.Context, phoneNumberID string, perSecond int, now time.Time) (bool, error)
}

// SharedLimiter spends each phone number's budget in the database, so that
// several replicas together stay within it instead of each using all of it.
type SharedLimiter struct {
	Slots SlotTaker
	Now   func() time.Time
}

// Wait implements Limiter: it takes a slot in the current second, or waits
// for the next second and tries again.
func (l *SharedLimiter) Wait(ctx context.Context, phoneNumberID string, perSecond int) error {
	if perSecond <= 0 {
		perSecond = 80
	}
	for {
		now := l.Now()
		ok, err := l.Slots.TakeSendSlot(ctx, phoneNumberID, perSecond, now)
		if err != nil || ok {
			return err
		}
		next := now.Truncate(time.Second).Add(time.Second)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(next.Sub(now) + time.Duration(rand.N(20))*time.Millisecond):
		}
	}
}
