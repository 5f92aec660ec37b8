// Package outbox sends the replies waiting in the durable outbox through a
// channel: within each phone number's send budget, in order per recipient,
// retrying what may succeed later and recording what never will.
package outbox

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/metrics"
	"github.com/sigap-id/sigap/internal/worker"
)

// Channel delivers one message, returning the channel's id for it.
type Channel interface {
	Send(ctx context.Context, office sigap.Office, m sigap.OutboundMessage) (string, error)
}

// Limiter spends a phone number's send budget; Wait returns when one more
// message may go.
type Limiter interface {
	Wait(ctx context.Context, phoneNumberID string, perSecond int) error
}

// Errors from a channel may say more about themselves:
type (
	permanent     interface{ Permanent() bool }     // no retry can fix it
	operatorAlert interface{ NeedsOperator() bool } // a person must
	retryAfter    interface {
		RetryAfter(attempt int) time.Duration
	} // the channel's advice
	errorCode interface{ ErrorCode() int } // for metrics
)

// Sender works through the outbox.
type Sender struct {
	Outbox  sigap.Outbox
	Channel Channel
	Offices func(code string) (sigap.Office, bool)
	Limiter Limiter
	Metrics *metrics.Metrics
	Log     *slog.Logger
	Now     func() time.Time

	// Lease must outlast the slowest send (the client's timeout), or a slow
	// send is taken over while still in flight.
	Lease       time.Duration
	MaxAttempts int
	Poll        time.Duration
	// Workers is how many recipients are sent to at once; one recipient's
	// replies always go one after the other, in order.
	Workers int
	// Backoff is the wait before retry number attempt (1-based) when the
	// channel gives no advice.
	Backoff func(attempt int) time.Duration

	wake    chan struct{} // replies may wait unclaimed in the outbox
	offers  chan struct{} // replies were handed over
	mu      sync.Mutex    // guards the rest, and Run's queues
	offered []sigap.OutboundMessage
	held    int // claimed and not yet begun: offered, or in Run's queues
	running int // workers at work
	// waiting holds the recipients (office/to) being sent to, each with
	// the replies claimed to go after the one on its way.
	waiting map[string][]sigap.OutboundMessage
	// behind holds recipients with a reply stored, or about to be, perhaps
	// behind one being sent: marking that one sent then claims the next.
	// For others, marking sent is one statement.
	behind map[string]bool
	// ended holds, for recipients no longer being sent to, whether their
	// last replies were all sent (or given up for good): a reply claimed
	// behind them (Behind) may go then, and only then.
	ended map[string]bool
}

// NewSender returns a sender with the usual settings. Its 128 workers are
// below the idle connections the WhatsApp client keeps (160): a send
// beyond those dials a connection of its own and closes it after.
func NewSender(ob sigap.Outbox, ch Channel, offices func(string) (sigap.Office, bool), log *slog.Logger) *Sender {
	return &Sender{
		Outbox: ob, Channel: ch, Offices: offices, Limiter: NewLocalLimiter(), Log: log, Now: time.Now,
		Lease: 30 * time.Second, MaxAttempts: 8, Poll: time.Second, Workers: 128, Backoff: Backoff,
		wake: make(chan struct{}, 1), offers: make(chan struct{}, 1),
	}
}

// Backoff doubles from one second up to five minutes, with jitter so that
// many failed sends do not return at the same instant.
func Backoff(attempt int) time.Duration {
	d := time.Second << min(max(attempt-1, 0), 9)
	d = min(d, 5*time.Minute)
	return d/2 + rand.N(d)
}

// Wake tells the sender that replies are waiting.
func (s *Sender) Wake() { worker.Wake(s.wake) }

// Offer hands the sender replies that were claimed for it when they were
// stored (see gateway.Processor.OutboxLease), to send as soon as a worker
// is free, without claiming them again. It does not block.
func (s *Sender) Offer(msgs []sigap.OutboundMessage) {
	s.mu.Lock()
	s.offered = append(s.offered, msgs...)
	s.mu.Unlock()
	worker.Wake(s.offers)
}

// Queued tells the sender that replies were stored without a claim, to
// be claimed when it can: by marking sent an earlier reply to the same
// recipient that is on its way, or when a worker is free.
func (s *Sender) Queued(msgs []sigap.OutboundMessage) {
	s.mu.Lock()
	claim := false
	for _, m := range msgs {
		key := m.Office + "/" + m.To
		s.markBehind(key)
		_, sending := s.waiting[key]
		claim = claim || !sending
	}
	s.mu.Unlock()
	if claim {
		s.Wake()
	}
}

// Sending reports whether replies to the recipient are being sent: a new
// one may then be claimed behind them (sigap.Answer.Behind) and offered, to
// be sent after them. (One stored unclaimed instead is claimed when Queued
// says so.)
func (s *Sender) Sending(office, to string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, sending := s.waiting[office+"/"+to]
	return sending
}

// setEnded records how the sends to key ended. s.mu is held.
func (s *Sender) setEnded(key string, allSent bool) {
	if s.ended == nil || len(s.ended) > 4096 {
		s.ended = map[string]bool{} // forgotten: a reply behind is given back
	}
	s.ended[key] = allSent
}

// markBehind notes that a reply to key may wait in the outbox. s.mu is
// held.
func (s *Sender) markBehind(key string) {
	if s.behind == nil || len(s.behind) > 4096 {
		s.behind = map[string]bool{} // only a hint; the poll catches the rest
	}
	s.behind[key] = true
}

// HasRoom reports whether replies handed over now would be started at
// once. When every worker is busy (the send budget or a slow Graph API
// holds them up), replies are better left in the outbox unclaimed, as
// before hand-overs: a claimed reply that waits out its lease here may be
// sent by another replica too.
func (s *Sender) HasRoom() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running+s.held+len(s.offered) < max(s.Workers, 1)
}

// Run sends until ctx ends; a send that has begun is finished and recorded.
//
// Up to Workers recipients are sent to at once, each recipient's replies
// one after the other, in order; so at most Workers replies are on their
// way at any time. Replies come from three places: handed over by the step
// that stored them (Offer), claimed by marking the recipient's previous
// reply sent (when Queued said one waits behind it), and claimed from the
// outbox as soon as a worker is free and there may be work (after Wake,
// after the poll interval, after a claim that took all it could, after a
// send), for the free workers only: a reply claimed ahead would wait for a
// worker, and under a tight send budget long enough for its lease to run
// out and another replica to send it too. One slow send holds up nobody
// else's. A reply that stays pending (a retry) sends the recipient's later
// replies back to the outbox, so none overtakes it.
func (s *Sender) Run(ctx context.Context) {
	workers := max(s.Workers, 1)
	var (
		pool  = worker.NewPool(workers)
		mu    = &s.mu
		ready []sigap.OutboundMessage  // claimed, for the next free worker
		done  = make(chan struct{}, 1) // a worker finished
	)
	defer pool.Wait()
	mu.Lock()
	s.waiting = map[string][]sigap.OutboundMessage{}
	waiting := s.waiting
	mu.Unlock()
	// next takes the reply to send after one to key, or ends key's turn.
	next := func(key string) (sigap.OutboundMessage, bool) {
		mu.Lock()
		defer mu.Unlock()
		q := waiting[key]
		if len(q) == 0 {
			delete(waiting, key)
			s.setEnded(key, true)
			if s.behind[key] {
				// A reply to them was stored too late for marking the
				// last one sent to claim it: it can be claimed now.
				delete(s.behind, key)
				worker.Wake(s.wake)
			}
			return sigap.OutboundMessage{}, false
		}
		waiting[key] = q[1:]
		s.held--
		return q[0], true
	}
	// drop ends key's turn and returns the replies queued behind it.
	drop := func(key string) []sigap.OutboundMessage {
		mu.Lock()
		defer mu.Unlock()
		rest := waiting[key]
		s.held -= len(rest)
		delete(waiting, key)
		s.setEnded(key, false)
		return rest
	}
	work := context.WithoutCancel(ctx)
	start := func(m sigap.OutboundMessage, key string) {
		s.running++
		pool.Go(func() {
			defer func() {
				mu.Lock()
				s.running--
				mu.Unlock()
				worker.Wake(done)
			}()
			for ok := true; ok; m, ok = next(key) {
				pending := false // m stays in the outbox, to be sent later
				var (
					chained *sigap.OutboundMessage
					err     error
				)
				if !m.LeaseEnds.IsZero() && s.Now().After(m.LeaseEnds.Add(-s.Lease/2)) {
					// It waited here too long: another replica may take
					// it over mid-send. Given back, unsent, unless its
					// claim already ran out and someone took it.
					s.Log.Warn("reply waited too long to be sent under its claim; given back to the outbox", "office", m.Office, "outbox_id", m.ID)
					pending, err = true, s.Outbox.Release(work, m)
				} else {
					// Asked once m is sent, so that a reply stored during
					// the send is claimed by marking m sent.
					chain := func() time.Duration {
						mu.Lock()
						defer mu.Unlock()
						if s.behind[key] && len(waiting[key]) == 0 {
							// The last reply this worker holds for them:
							// the next one is in the outbox, to claim.
							delete(s.behind, key)
							return s.Lease
						}
						return 0
					}
					chained, pending, err = s.send(work, m, chain)
				}
				if err == nil && pending {
					// The recipient's later replies must not overtake it:
					// give them back too; they are claimed after it.
					if err := s.releaseAll(work, drop(key)); err != nil {
						s.Log.Error("outbox", "err", err)
					}
					return
				}
				if err != nil {
					s.Log.Error("outbox", "err", err)
					// The rest stay claimed, to be taken up when their
					// lease runs out, after this one.
					drop(key)
					return
				}
				if chained != nil {
					// Marking m sent claimed the recipient's next reply;
					// more may wait behind it.
					mu.Lock()
					s.markBehind(key)
					q := append(waiting[key], *chained)
					slices.SortFunc(q, func(a, b sigap.OutboundMessage) int { return cmp.Compare(a.ID, b.ID) })
					waiting[key] = q
					s.held++
					mu.Unlock()
				}
			}
		})
	}
	// dispatch hands ready replies to free workers, or queues each behind
	// the send to its recipient that is on its way. A reply claimed behind
	// sends that have ended is returned, to be given back, unless they all
	// went. mu is held.
	dispatch := func() (giveBack []sigap.OutboundMessage) {
		for len(ready) > 0 {
			m := ready[0]
			key := m.Office + "/" + m.To
			if q, sending := waiting[key]; sending {
				waiting[key] = append(q, m)
				ready = ready[1:]
				continue
			}
			if m.Behind && !s.ended[key] {
				// One before it may be waiting for a retry: it must
				// not be overtaken.
				giveBack = append(giveBack, m)
				ready = ready[1:]
				s.held--
				continue
			}
			if s.running >= workers {
				return giveBack
			}
			waiting[key] = nil
			delete(s.ended, key)
			ready = ready[1:]
			s.held--
			start(m, key)
		}
		return giveBack
	}
	tick := time.NewTicker(s.Poll)
	defer tick.Stop()
	more := true // the last claim took all it could: more may be due
	for {
		select {
		case <-ctx.Done():
			// What waits in reserve was never sent: give it back, so the
			// next run sends it without counting it in doubt.
			mu.Lock()
			left := append(ready, s.offered...)
			ready, s.held, s.offered = nil, s.held-len(ready), nil
			mu.Unlock()
			for _, m := range left {
				if err := s.Outbox.MarkRetry(work, m.ID, "not sent before shutdown", s.Now()); err != nil {
					s.Log.Error("outbox", "err", err)
				}
			}
			return
		case <-s.wake:
			more = true
		case <-done:
		case <-s.offers:
		case <-tick.C:
			more = true
		}
		for ctx.Err() == nil {
			mu.Lock()
			ready = append(ready, s.offered...)
			s.held += len(s.offered)
			s.offered = s.offered[:0]
			giveBack := dispatch()
			// Handed-over replies cannot starve those left in the outbox:
			// they are only handed over while workers are free (HasRoom).
			want := workers - s.running - s.held
			mu.Unlock()
			if len(giveBack) > 0 {
				// Claimed again, oldest first per recipient.
				if err := s.releaseAll(work, giveBack); err != nil {
					s.Log.Error("outbox", "err", err)
				}
				more = true
			}
			if !more || want <= 0 {
				break
			}
			msgs, err := s.Outbox.ClaimOutbound(work, s.Now(), s.Lease, want)
			if err != nil {
				s.Log.Error("outbox", "err", err)
				break
			}
			more = len(msgs) == want
			mu.Lock()
			ready = append(ready, msgs...)
			s.held += len(msgs)
			mu.Unlock()
			if len(msgs) == 0 {
				break
			}
		}
	}
}

// SendBatch claims up to limit due messages and sends them: recipients in
// parallel, each recipient's messages in order.
func (s *Sender) SendBatch(ctx context.Context, limit int) (int, error) {
	msgs, err := s.Outbox.ClaimOutbound(ctx, s.Now(), s.Lease, limit)
	if err != nil {
		return 0, err
	}
	var (
		order   []string
		byTo    = map[string][]sigap.OutboundMessage{}
		wg      sync.WaitGroup
		sem     = make(chan struct{}, max(s.Workers, 1))
		errOnce sync.Once
		first   error
	)
	for _, m := range msgs {
		key := m.Office + "/" + m.To
		if _, seen := byTo[key]; !seen {
			order = append(order, key)
		}
		byTo[key] = append(byTo[key], m)
	}
	for _, key := range order {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			for i, m := range byTo[key] {
				_, pending, err := s.send(ctx, m, nil)
				if err != nil {
					errOnce.Do(func() { first = err })
					return
				}
				if pending {
					// The rest must not overtake it.
					if err := s.releaseAll(ctx, byTo[key][i+1:]); err != nil {
						errOnce.Do(func() { first = err })
					}
					return
				}
			}
		})
	}
	wg.Wait()
	return len(msgs), first
}

// releaseAll gives replies back to the outbox unsent, all of them even if
// some fail, and returns the first failure.
func (s *Sender) releaseAll(ctx context.Context, msgs []sigap.OutboundMessage) error {
	var first error
	for _, m := range msgs {
		if err := s.Outbox.Release(ctx, m); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// send sends m and records the outcome. If chain, asked once m is sent,
// gives a lease, recording that it was sent also claims the recipient's
// next reply, returned to be sent next. pending reports that m is still to
// be sent (a retry, or the send budget's wait given up).
func (s *Sender) send(ctx context.Context, m sigap.OutboundMessage, chain func() time.Duration) (next *sigap.OutboundMessage, pending bool, err error) {
	// Built only when something is logged: most sends log nothing.
	log := func() *slog.Logger { return s.Log.With("office", m.Office, "outbox_id", m.ID, "attempt", m.Attempts) }
	office, ok := s.Offices(m.Office)
	if !ok {
		log().Warn("reply for an unknown office not sent")
		return nil, false, s.Outbox.MarkFailed(ctx, m.ID, "office "+m.Office+" is not in the offices file")
	}
	if m.Doubtful > 1 {
		// A sender died while holding it, twice: it may well have reached
		// the applicant already, and a third try risks a second duplicate.
		log().Warn("reply in doubt after senders died twice holding it; not sent again")
		s.Metrics.Send(m.Office, "failed", 0, 0)
		return nil, false, s.Outbox.MarkFailed(ctx, m.ID, "in doubt: a sender died while sending it, twice")
	}
	now := s.Now()
	if !m.WindowEndsAt.IsZero() && now.After(m.WindowEndsAt) {
		// A free-form message now would fail with 131047.
		if office.ReplyTemplate.Name == "" {
			log().Warn("reply outside the 24-hour window and no reply_template configured; not sent")
			s.Metrics.Send(m.Office, "failed", 131047, 0)
			return nil, false, s.Outbox.MarkFailed(ctx, m.ID, "outside the 24-hour customer service window; no reply_template configured")
		}
		t := office.ReplyTemplate
		m.Reply = sigap.Reply{Text: m.Reply.Text, Template: &t}
	}
	budgetCtx := ctx
	if !m.LeaseEnds.IsZero() {
		// The claim must not run out while the reply waits for the send
		// budget: another replica would take it over, counting it in doubt
		// or sending it too. Past this, it is given back, due at once.
		var cancel context.CancelFunc
		budgetCtx, cancel = context.WithDeadline(ctx, m.LeaseEnds.Add(-s.Lease/4))
		defer cancel()
	}
	if err := s.Limiter.Wait(budgetCtx, office.PhoneNumberID, office.MessagesPerSecond); err != nil {
		return nil, true, s.Outbox.MarkRetry(ctx, m.ID, "send budget: "+err.Error(), now)
	}
	start := time.Now()
	id, err := s.Channel.Send(ctx, office, m)
	took := time.Since(start)
	if err == nil {
		if s.Log.Enabled(ctx, slog.LevelDebug) {
			log().Debug("reply sent", "wamid", id)
		}
		s.Metrics.Send(m.Office, "sent", 0, took)
		if chain != nil {
			if lease := chain(); lease > 0 {
				next, err := s.Outbox.MarkSentClaimNext(ctx, m, id, s.Now(), lease)
				return next, false, err
			}
		}
		return nil, false, s.Outbox.MarkSent(ctx, m.ID, id, s.Now())
	}
	code := 0
	var ec errorCode
	if errors.As(err, &ec) {
		code = ec.ErrorCode()
	}
	var perm permanent
	if errors.As(err, &perm) && perm.Permanent() {
		var alert operatorAlert
		if errors.As(err, &alert) && alert.NeedsOperator() {
			log().Error("ALERT: sending needs an operator (token, policy or account)", "err", err)
		} else {
			log().Warn("reply cannot be sent", "err", err)
		}
		s.Metrics.Send(m.Office, "failed", code, took)
		return nil, false, s.Outbox.MarkFailed(ctx, m.ID, err.Error())
	}
	if m.Attempts >= s.MaxAttempts {
		log().Error("reply not sent after every attempt", "err", err)
		s.Metrics.Send(m.Office, "failed", code, took)
		return nil, false, s.Outbox.MarkFailed(ctx, m.ID, err.Error())
	}
	wait := time.Duration(0)
	var advice retryAfter
	if errors.As(err, &advice) {
		wait = advice.RetryAfter(m.Attempts)
	}
	if wait == 0 {
		wait = s.Backoff(m.Attempts)
	}
	retry := s.Now().Add(wait)
	log().Warn("reply not sent; will retry", "err", err, "retry_at", retry)
	s.Metrics.Send(m.Office, "retry", code, took)
	return nil, true, s.Outbox.MarkRetry(ctx, m.ID, err.Error(), retry)
}
