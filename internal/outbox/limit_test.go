package outbox_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sigap-id/sigap/internal/outbox"
)

// budget is a second's shared send budget, as the database keeps it, slow
// enough to answer that callers overlap.
type budget struct {
	mu   sync.Mutex
	used int
}

func (b *budget) TakeSendSlots(ctx context.Context, phoneNumberID string, perSecond int, now time.Time, n int) (int, error) {
	time.Sleep(time.Millisecond)
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, k := range []int{n, 1} {
		if b.used+k <= perSecond {
			b.used += k
			return k, nil
		}
	}
	return 0, nil
}

// TestSharedLimiterKeepsEveryBlock: senders that take blocks of the budget
// at the same moment keep every slot taken, so the whole second's budget
// is spent, none of it lost.
func TestSharedLimiterKeepsEveryBlock(t *testing.T) {
	const perSecond = 100
	second := time.Date(2026, 11, 2, 3, 4, 5, 0, time.UTC)
	l := &outbox.SharedLimiter{Slots: &budget{}, Now: func() time.Time { return second }}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, perSecond)
	for range perSecond {
		wg.Go(func() {
			if err := l.Wait(ctx, "100000000000001", perSecond); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	if n := len(errs); n > 0 {
		t.Errorf("%d of %d sends found no slot in a second whose budget is %d: slots were lost", n, perSecond, perSecond)
	}
}
