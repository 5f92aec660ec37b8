package lease_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sigap-id/sigap/internal/lease"
)

func TestHeld(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	h := lease.New[int]()
	for _, k := range []int{1, 2, 3} {
		if !h.Hold(k, t0.Add(5*time.Second)) {
			t.Fatalf("Hold(%d) reported it held already", k)
		}
	}
	// Claimed again by this process after its own claim ran out: the first
	// claim's work goes on, under the new end.
	if h.Hold(2, t0.Add(9*time.Second)) {
		t.Error("a second Hold of 2 reported a new claim")
	}
	if until, ok := h.Until(2); !ok || !until.Equal(t0.Add(9*time.Second)) {
		t.Errorf("Until(2) = %v, %v; want the new claim's end", until, ok)
	}
	if !h.Alive(1, t0.Add(3*time.Second), time.Second) || h.Alive(1, t0.Add(4*time.Second), time.Second) {
		t.Error("Alive(1) not true with 2 s left and false with 1 s left, for a margin of 1 s")
	}

	// The store keeps 1 and 2; 3 was taken over. Meanwhile 2 is dropped.
	var asked []int
	renewed, lost, err := h.Renew(ctx, t0.Add(time.Second), 5*time.Second, func(_ context.Context, ids []int, now time.Time, l time.Duration) ([]int, time.Time, error) {
		asked = slices.Sorted(slices.Values(ids))
		h.Drop(2) // its step ended while the renewal ran
		return []int{1, 2}, now.Add(l), nil
	})
	if err != nil || renewed != 1 || lost != 1 || !slices.Equal(asked, []int{1, 2, 3}) {
		t.Fatalf("Renew = %d renewed, %d lost, %v, asked %v; want 1, 1, nil, [1 2 3]", renewed, lost, err, asked)
	}
	if until, ok := h.Until(1); !ok || !until.Equal(t0.Add(6*time.Second)) {
		t.Errorf("Until(1) = %v, %v; want renewed to t0+6s", until, ok)
	}
	if _, ok := h.Until(3); ok || !h.Lost(3) || h.Alive(3, t0, 0) {
		t.Error("3, not renewed, is not lost")
	}
	if h.Lost(2) || h.Len() != 2 {
		t.Errorf("2 dropped during the renewal: lost %v, %d held; want not lost, 2 held (1 and the lost 3)", h.Lost(2), h.Len())
	}

	// A lost claim is not renewed again; a failed renewal changes nothing.
	_, _, err = h.Renew(ctx, t0.Add(2*time.Second), 5*time.Second, func(_ context.Context, ids []int, _ time.Time, _ time.Duration) ([]int, time.Time, error) {
		if slices.Contains(ids, 3) {
			t.Error("the lost claim was renewed again")
		}
		return nil, time.Time{}, errors.New("database away")
	})
	if err == nil {
		t.Error("a failed renewal reported no error")
	}
	if until, ok := h.Until(1); !ok || !until.Equal(t0.Add(6*time.Second)) {
		t.Errorf("after a failed renewal Until(1) = %v, %v; want unchanged", until, ok)
	}

	// Pause holds renewals off.
	resume := h.Pause()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _, _ = h.Renew(ctx, t0, time.Second, func(context.Context, []int, time.Time, time.Duration) ([]int, time.Time, error) {
			return nil, time.Time{}, nil
		})
	}()
	select {
	case <-done:
		t.Fatal("a renewal ran while paused")
	case <-time.After(50 * time.Millisecond):
	}
	resume()
	<-done
}

func TestHolders(t *testing.T) {
	if got := lease.Holders([]string{"b/2", "a/1", "b/2", ""}); got != "a lease that ran out, a/1, b/2" {
		t.Errorf("Holders = %q", got)
	}
}
