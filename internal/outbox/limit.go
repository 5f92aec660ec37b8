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

// SlotTaker spends messages of a shared per-second budget: up to n at a
// time, reporting how many it took.
type SlotTaker interface {
	TakeSendSlots(ctx context.Context, phoneNumberID string, perSecond int, now time.Time, n int) (int, error)
}

// SharedLimiter spends each phone number's budget in the database, so that
// several replicas together stay within it instead of each using all of it.
// It takes a twentieth of a second's budget at a time and hands those out
// locally within that second: one round trip per block instead of per send,
// at the cost of at most a block per replica left unused in a second.
type SharedLimiter struct {
	Slots SlotTaker
	Now   func() time.Time

	mu   sync.Mutex
	held map[string]slotBlock // by phone number
}

type slotBlock struct {
	second int64
	left   int
}

// take spends a slot this replica already holds for now's second.
func (l *SharedLimiter) take(phoneNumberID string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.held[phoneNumberID]
	if !ok || b.second != now.Unix() || b.left == 0 {
		return false
	}
	b.left--
	l.held[phoneNumberID] = b
	return true
}

// Wait implements Limiter: it takes a slot in the current second, or waits
// for the next second and tries again.
func (l *SharedLimiter) Wait(ctx context.Context, phoneNumberID string, perSecond int) error {
	if perSecond <= 0 {
		perSecond = 80
	}
	for {
		now := l.Now()
		if l.take(phoneNumberID, now) {
			return nil
		}
		n, err := l.Slots.TakeSendSlots(ctx, phoneNumberID, perSecond, now, max(perSecond/20, 1))
		if err != nil {
			return err
		}
		if n > 0 {
			l.mu.Lock()
			if l.held == nil {
				l.held = map[string]slotBlock{}
			}
			// Others may have taken a block for this second meanwhile:
			// what is left of theirs is kept too, not thrown away.
			b := l.held[phoneNumberID]
			if b.second != now.Unix() {
				b = slotBlock{second: now.Unix()}
			}
			b.left += n - 1
			l.held[phoneNumberID] = b
			l.mu.Unlock()
			return nil
		}
		if l.take(phoneNumberID, now) {
			return nil // a block another sender took meanwhile
		}
		next := now.Truncate(time.Second).Add(time.Second)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(next.Sub(now) + time.Duration(rand.N(20))*time.Millisecond):
		}
	}
}
