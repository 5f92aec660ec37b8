// Package lease keeps the claims a process holds on messages or replies,
// and renews them together while the process lives (sigap.LeaseRenewer):
// leases can then be short, so that a replica that dies loses its work to
// another within seconds, while one that lives, however slow, keeps it. A
// renewal that finds a claim gone (another holder took it over after it ran
// out, while this process could not renew it) marks it lost, and its
// holder drops the work without finishing it.
package lease

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// Default is how long a message or reply is claimed, and renewed for while
// its holder lives: a replica that dies loses its work within it, and a
// reply it held waits the doubt wait more (SIGAP_OUTBOX_DOUBT_WAIT).
const Default = 5 * time.Second

// Holders names, for a takeover's log line, the holders whose leases ran
// out: each once, in order ("a lease that ran out" where the store did not
// record one).
func Holders(from []string) string {
	slices.Sort(from)
	from = slices.Compact(from)
	for i, h := range from {
		if h == "" {
			from[i] = "a lease that ran out"
		}
	}
	return strings.Join(from, ", ")
}

// RenewFunc renews the claims on ids to now+lease and returns those still
// held and when their claims now end (sigap.LeaseRenewer's methods).
type RenewFunc[K comparable] func(ctx context.Context, ids []K, now time.Time, lease time.Duration) ([]K, time.Time, error)

// Held is the set of claims a process holds on one kind of work.
type Held[K comparable] struct {
	mu sync.Mutex
	m  map[K]*claim
	// renewing is held while a renewal runs (see Pause).
	renewing sync.Mutex
}

type claim struct {
	until time.Time
	lost  bool
}

// New returns an empty set.
func New[K comparable]() *Held[K] { return &Held[K]{m: map[K]*claim{}} }

// Hold records a claim on k that ends at until. It reports false if k was
// held already: this process claimed it again after its own claim ran out
// (it could not renew it in time), and the work under the first claim goes
// on, under the new claim's end.
func (h *Held[K]) Hold(k K, until time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c, ok := h.m[k]; ok {
		c.until, c.lost = until, false
		return false
	}
	h.m[k] = &claim{until: until}
	return true
}

// Drop forgets the claim on k: its work is finished, given back, or lost.
func (h *Held[K]) Drop(k K) {
	h.mu.Lock()
	delete(h.m, k)
	h.mu.Unlock()
}

// Until returns when the claim on k ends, and whether it is held and not
// lost.
func (h *Held[K]) Until(k K) (time.Time, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, ok := h.m[k]
	if !ok || c.lost {
		return time.Time{}, false
	}
	return c.until, true
}

// Lost reports whether a renewal found the claim on k taken over.
func (h *Held[K]) Lost(k K) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, ok := h.m[k]
	return ok && c.lost
}

// Alive reports whether the claim on k is held, not lost, and runs on for
// at least margin after now: work that must not be done twice (a send)
// starts only then.
func (h *Held[K]) Alive(k K, now time.Time, margin time.Duration) bool {
	until, ok := h.Until(k)
	return ok && now.Add(margin).Before(until)
}

// Len returns how many claims are held.
func (h *Held[K]) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.m)
}

// Pause holds renewals off until the function it returns is called: for a
// release that names a claim by its end, which a renewal would move.
func (h *Held[K]) Pause() (resume func()) {
	h.renewing.Lock()
	return h.renewing.Unlock
}

// Renew renews every claim held and not lost, in one call of renew, and
// returns how many it renewed and how many it found lost (taken over by
// another holder, or finished by a step that has not dropped it yet).
func (h *Held[K]) Renew(ctx context.Context, now time.Time, lease time.Duration, renew RenewFunc[K]) (renewed, lost int, err error) {
	h.renewing.Lock()
	defer h.renewing.Unlock()
	h.mu.Lock()
	ids := make([]K, 0, len(h.m))
	claims := make([]*claim, 0, len(h.m))
	for k, c := range h.m {
		if !c.lost {
			ids = append(ids, k)
			claims = append(claims, c)
		}
	}
	h.mu.Unlock()
	if len(ids) == 0 {
		return 0, 0, nil
	}
	held, until, err := renew(ctx, ids, now, lease)
	if err != nil {
		return 0, 0, err
	}
	kept := make(map[K]struct{}, len(held))
	for _, k := range held {
		kept[k] = struct{}{}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, k := range ids {
		c := claims[i]
		if h.m[k] != c {
			continue // dropped, or claimed again, meanwhile
		}
		if _, ok := kept[k]; ok {
			c.until = until
			renewed++
		} else {
			c.lost = true
			lost++
		}
	}
	return renewed, lost, nil
}

// Keep renews h's claims every `every`, on the clock now, for lease, until
// ctx ends, and logs a renewal that failed or found claims lost; kind
// names the work (messages, replies) in the log.
func (h *Held[K]) Keep(ctx context.Context, every, lease time.Duration, now func() time.Time, renew RenewFunc[K], log *slog.Logger, kind string) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		// Bounded by the lease: a renewal that takes longer is too late.
		rctx, cancel := context.WithTimeout(ctx, lease)
		_, lost, err := h.Renew(rctx, now(), lease, renew)
		cancel()
		switch {
		case err != nil:
			log.Warn("cannot renew claims; work is given up when they run out", "kind", kind, "held", h.Len(), "err", err)
		case lost > 0:
			log.Warn("claims found taken over by another replica after they ran out; their work is dropped", "kind", kind, kind, lost)
		}
	}
}
