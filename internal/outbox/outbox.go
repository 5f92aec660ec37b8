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
	"sync"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/lease"
	"github.com/sigap-id/sigap/internal/metrics"
	"github.com/sigap-id/sigap/internal/worker"
)

// Limiter spends a phone number's send budget; Wait returns when one more
// message may go.
type Limiter interface {
	Wait(ctx context.Context, phoneNumberID string, perSecond int) error
}

// Options are what a Sender is made of; NewSender fills in the zero ones
// with the usual settings. Everything is given here, before Run starts any
// goroutine, and nothing changes after.
type Options struct {
	// Outbox is where the replies wait. Where it also offers
	// sigap.ClaimNextOutbound and sigap.ReleaseOutbound, the sender takes
	// those fast paths; without them it claims every reply with
	// ClaimOutbound and gives one back with MarkRetry.
	Outbox sigap.Outbox
	// Channels finds a channel by name: each office's replies go through
	// the one it names (sigap.Office.Channel).
	Channels func(name string) (sigap.Channel, bool)
	Offices  func(code string) (sigap.Office, bool)
	// Limiter spends each number's send budget (default: this process's
	// own, NewLocalLimiter).
	Limiter Limiter
	Metrics *metrics.Metrics // nil counts nothing
	Log     *slog.Logger
	Now     func() time.Time // default time.Now

	// Lease is how long a claimed reply is reserved for this sender
	// (default 5 seconds). Where the outbox renews claims
	// (sigap.LeaseRenewer), the sender renews those it holds every Renew
	// (default a fifth of Lease), through slow sends and waits for the send
	// budget alike, and starts a send only while its claim runs on for at
	// least Renew. Without renewal, Lease must outlast the slowest send
	// (the client's timeout), or a slow send is taken over while in flight.
	Lease time.Duration
	Renew time.Duration
	// MaxAttempts bounds the tries of a reply that fails for a reason that
	// may pass (default 8).
	MaxAttempts int
	// Poll is how often the outbox is looked at when nothing else says to
	// (default a second).
	Poll time.Duration
	// Workers is how many recipients are sent to at once; one recipient's
	// replies always go one after the other, in order (default 128, below
	// the idle connections the WhatsApp client keeps, 160: a send beyond
	// those dials a connection of its own and closes it after).
	Workers int
	// Backoff is the wait before retry number attempt (1-based) when the
	// channel gives no advice (default Backoff).
	Backoff func(attempt int) time.Duration
}

// Sender works through the outbox.
type Sender struct {
	o Options
	// The outbox's fast paths, nil where it does not offer them: asked for
	// once, in NewSender.
	next    sigap.ClaimNextOutbound
	release sigap.ReleaseOutbound
	renewer sigap.LeaseRenewer

	// held are the replies this sender has claimed and not yet sent or
	// given back, renewed together (Run) where the outbox renews claims.
	held *lease.Held[int64]

	wake   chan struct{} // replies may wait unclaimed in the outbox
	offers chan struct{} // replies were handed over
	mu     sync.Mutex    // guards q
	q      *queues
}

// NewSender returns a sender made of o, with the usual settings where o
// leaves them zero.
func NewSender(o Options) *Sender {
	if o.Limiter == nil {
		o.Limiter = NewLocalLimiter()
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Backoff == nil {
		o.Backoff = Backoff
	}
	o.Lease = cmp.Or(o.Lease, lease.Default)
	o.Renew = cmp.Or(o.Renew, o.Lease/5)
	o.MaxAttempts = cmp.Or(o.MaxAttempts, 8)
	o.Poll = cmp.Or(o.Poll, time.Second)
	o.Workers = max(cmp.Or(o.Workers, 128), 1)
	s := &Sender{o: o, q: newQueues(o.Workers), wake: make(chan struct{}, 1), offers: make(chan struct{}, 1), held: lease.New[int64]()}
	s.next, _ = o.Outbox.(sigap.ClaimNextOutbound)
	s.release, _ = o.Outbox.(sigap.ReleaseOutbound)
	s.renewer, _ = o.Outbox.(sigap.LeaseRenewer)
	return s
}

// Options returns the settings the sender runs with.
func (s *Sender) Options() Options { return s.o }

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
// stored (see gateway.Options.Outbox), to send as soon as a worker is free,
// without claiming them again. It does not block.
func (s *Sender) Offer(msgs []sigap.OutboundMessage) { s.offer(msgs, false) }

// OfferBehind is Offer for replies claimed behind the recipient's earlier
// replies being sent (sigap.Saved.Behind): each is sent after them, and
// given back unsent unless they all went.
func (s *Sender) OfferBehind(msgs []sigap.OutboundMessage) { s.offer(msgs, true) }

func (s *Sender) offer(msgs []sigap.OutboundMessage, behind bool) {
	msgs = s.hold(msgs)
	s.mu.Lock()
	s.q.add(msgs, behind)
	s.mu.Unlock()
	worker.Wake(s.offers)
}

// hold records the claims on msgs and returns those to send: not those
// this sender holds already (it claimed one again after its own claim ran
// out; the send under its first claim goes on). It may reuse msgs.
func (s *Sender) hold(msgs []sigap.OutboundMessage) []sigap.OutboundMessage {
	out := msgs[:0]
	for _, m := range msgs {
		if s.held.Hold(m.ID, m.LeaseEnds) {
			out = append(out, m)
		}
	}
	return out
}

// Queued tells the sender that replies were stored without a claim, to
// be claimed when it can: by marking sent an earlier reply to the same
// recipient that is on its way, or when a worker is free.
func (s *Sender) Queued(msgs []sigap.OutboundMessage) {
	s.mu.Lock()
	claim := false
	for _, m := range msgs {
		claim = s.q.queued(recipient(m)) || claim
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
	return s.q.sending(office + "/" + to)
}

// HasRoom reports whether replies handed over now would be started at
// once. When every worker is busy (the send budget or a slow Graph API
// holds them up), replies are better left in the outbox unclaimed, as
// before hand-overs: a claimed reply that waits out its lease here may be
// sent by another replica too.
func (s *Sender) HasRoom() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.q.hasRoom()
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
// send), for the free workers only (queues.want). One slow send holds up
// nobody else's. A reply that stays pending (a retry) sends the
// recipient's later replies back to the outbox, so none overtakes it.
// Which reply goes when is queues' to say; Run does the I/O.
func (s *Sender) Run(ctx context.Context) {
	// Read here, at once, so that under -race a part wired in after Run
	// started is caught whenever it happens.
	s.o.Log.Debug("sender started", "workers", s.o.Workers, "lease", s.o.Lease, "renew", s.renewer != nil, "channels", s.o.Channels != nil)
	if s.renewer != nil {
		// Renewed until the last send begun has been recorded (the
		// deferred pool.Wait below runs before this stops it).
		rctx, stop := context.WithCancel(context.WithoutCancel(ctx))
		renewing := make(chan struct{})
		defer func() { stop(); <-renewing }()
		go func() {
			defer close(renewing)
			s.held.Keep(rctx, s.o.Renew, s.o.Lease, s.o.Now, s.renewer.RenewOutbound, s.o.Log, "replies")
		}()
	}
	pool := worker.NewPool(s.o.Workers)
	defer pool.Wait()
	done := make(chan struct{}, 1) // a worker finished
	work := context.WithoutCancel(ctx)
	tick := time.NewTicker(s.o.Poll)
	defer tick.Stop()
	more := true // the last claim took all it could: more may be due
	for {
		select {
		case <-ctx.Done():
			// What waits in reserve was never sent: give it back, so the
			// next run sends it without counting it in doubt.
			s.mu.Lock()
			left := s.q.takeReady()
			s.mu.Unlock()
			for _, m := range left {
				s.held.Drop(m.ID)
				if err := s.o.Outbox.MarkRetry(work, m.ID, "not sent before shutdown", s.o.Now()); err != nil {
					s.o.Log.Error("outbox", "err", err)
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
			s.mu.Lock()
			start, giveBack := s.q.dispatch()
			// Handed-over replies cannot starve those left in the outbox:
			// they are only handed over while workers are free (HasRoom).
			want := s.q.want()
			s.mu.Unlock()
			for _, m := range start {
				pool.Go(func() {
					defer worker.Wake(done)
					s.sendAll(work, m)
				})
			}
			if len(giveBack) > 0 {
				// Claimed again, oldest first per recipient.
				if err := s.releaseAll(work, giveBack); err != nil {
					s.o.Log.Error("outbox", "err", err)
				}
				more = true
			}
			if !more || want <= 0 {
				break
			}
			msgs, err := s.o.Outbox.ClaimOutbound(work, s.o.Now(), s.o.Lease, want)
			if err != nil {
				s.o.Log.Error("outbox", "err", err)
				break
			}
			s.tookOver(work, msgs...)
			more = len(msgs) == want
			if len(msgs) == 0 {
				break
			}
			msgs = s.hold(msgs)
			s.mu.Lock()
			s.q.add(msgs, false)
			s.mu.Unlock()
		}
	}
}

// sendAll sends m, then each reply to its recipient that queues hands
// after it, until the recipient's turn ends; it is one worker's turn.
func (s *Sender) sendAll(ctx context.Context, m sigap.OutboundMessage) {
	key := recipient(m)
	defer func() {
		s.mu.Lock()
		s.q.finished()
		s.mu.Unlock()
	}()
	for {
		chained, pending, err := s.sendHeld(ctx, m, key)
		if err == nil && pending {
			// The recipient's later replies must not overtake it: give
			// them back too; they are claimed after it.
			s.mu.Lock()
			rest := s.q.drop(key)
			s.mu.Unlock()
			if err := s.releaseAll(ctx, rest); err != nil {
				s.o.Log.Error("outbox", "err", err)
			}
			return
		}
		if err != nil {
			s.o.Log.Error("outbox", "err", err)
			// The rest stay claimed, to be taken up when their lease
			// runs out, after this one.
			s.mu.Lock()
			s.q.drop(key)
			s.mu.Unlock()
			return
		}
		if chained != nil && !s.held.Hold(chained.ID, chained.LeaseEnds) {
			chained = nil // this sender has it already
		}
		s.mu.Lock()
		if chained != nil {
			s.tookOver(ctx, *chained)
			s.q.chained(key, *chained)
		}
		next, ok, wake := s.q.next(key)
		s.mu.Unlock()
		if wake || !ok && s.next == nil {
			// Without ClaimNextOutbound, the recipient's next reply, if
			// one waits, is claimed from the outbox once this one is sent.
			s.Wake()
		}
		if !ok {
			return
		}
		m = next
	}
}

// sendHeld sends m, a reply held for the sender under its claim, unless it
// waited too long for it: then it is given back unsent.
func (s *Sender) sendHeld(ctx context.Context, m sigap.OutboundMessage, key string) (chained *sigap.OutboundMessage, pending bool, err error) {
	if !s.claimHolds(m) {
		// Its claim is lost, or runs out before a send could be
		// recorded: another replica may take it over mid-send. Given
		// back, unsent, unless someone took it.
		s.o.Log.Warn("reply's claim lost or running out before it could be sent; given back to the outbox", "office", m.Office, "outbox_id", m.ID)
		return nil, true, s.giveBack(ctx, m)
	}
	if s.next == nil {
		// Replies stored behind m are claimed from the outbox once its
		// turn ends (queues.next).
		return s.send(ctx, m, nil)
	}
	// Asked once m is sent, so that a reply stored during the send is
	// claimed by marking m sent.
	chain := func() time.Duration {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.q.chain(key) {
			return s.o.Lease
		}
		return 0
	}
	return s.send(ctx, m, chain)
}

// tookOver logs, in one line, and counts the replies of a claim that were
// taken over from a claim that ran out: a replica died or stalled holding
// them, perhaps mid-send, and they are in doubt.
func (s *Sender) tookOver(ctx context.Context, msgs ...sigap.OutboundMessage) {
	var from []string // whose claims ran out, one per message taken over
	for _, m := range msgs {
		if m.TakenOver {
			from = append(from, m.TakenFrom)
		}
	}
	if len(from) == 0 {
		return
	}
	s.o.Metrics.TakenOver(metrics.TakeoverReply, len(from))
	s.o.Log.InfoContext(ctx, "took over replies whose claim ran out (a replica died or stalled holding them); they are in doubt",
		"replies", len(from), "lease", lease.Holders(from))
}

// SendBatch claims up to limit due messages and sends them: recipients in
// parallel, each recipient's messages in order.
func (s *Sender) SendBatch(ctx context.Context, limit int) (int, error) {
	msgs, err := s.o.Outbox.ClaimOutbound(ctx, s.o.Now(), s.o.Lease, limit)
	if err != nil {
		return 0, err
	}
	s.tookOver(ctx, msgs...)
	n := len(msgs)
	msgs = s.hold(msgs)
	var (
		order   []string
		byTo    = map[string][]sigap.OutboundMessage{}
		wg      sync.WaitGroup
		sem     = make(chan struct{}, max(s.o.Workers, 1))
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
	return n, first
}

// releaseAll gives replies back to the outbox unsent, all of them even if
// some fail, and returns the first failure.
func (s *Sender) releaseAll(ctx context.Context, msgs []sigap.OutboundMessage) error {
	var first error
	for _, m := range msgs {
		if err := s.giveBack(ctx, m); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// giveBack gives m, claimed and not sent, back to the outbox, due at once,
// if its claim still holds: with Release where the outbox offers it, so
// that it is not counted in doubt when claimed again; otherwise by
// marking it for a retry now, which only the holder of a live claim may
// do. A claim that ran out is left to whoever took it over.
func (s *Sender) giveBack(ctx context.Context, m sigap.OutboundMessage) error {
	// Named by its claim's end, which a renewal moves: none runs meanwhile.
	resume := s.held.Pause()
	defer resume()
	if s.held.Lost(m.ID) {
		s.held.Drop(m.ID)
		return nil // another replica's now
	}
	if until, ok := s.held.Until(m.ID); ok {
		m.LeaseEnds = until
	}
	s.held.Drop(m.ID)
	if s.release != nil {
		return s.release.Release(ctx, m)
	}
	if now := s.o.Now(); m.LeaseEnds.IsZero() || now.Before(m.LeaseEnds) {
		return s.o.Outbox.MarkRetry(ctx, m.ID, "given back unsent", now)
	}
	return nil
}

// send sends m and records the outcome. If chain (given only where the
// outbox offers sigap.ClaimNextOutbound), asked once m is sent, gives a
// lease, recording that it was sent also claims the recipient's
// next reply, returned to be sent next. pending reports that m is still to
// be sent (a retry, or the send budget's wait given up).
func (s *Sender) send(ctx context.Context, m sigap.OutboundMessage, chain func() time.Duration) (next *sigap.OutboundMessage, pending bool, err error) {
	// Built only when something is logged: most sends log nothing.
	log := func() *slog.Logger { return s.o.Log.With("office", m.Office, "outbox_id", m.ID, "attempt", m.Attempts) }
	office, ok := s.o.Offices(m.Office)
	if !ok {
		s.held.Drop(m.ID)
		log().Warn("reply for an unknown office not sent")
		return nil, false, s.o.Outbox.MarkFailed(ctx, m.ID, "office "+m.Office+" is not in the offices file")
	}
	if m.Doubtful > 1 {
		// A sender died while holding it, twice: it may well have reached
		// the applicant already, and a third try risks a second duplicate.
		s.held.Drop(m.ID)
		log().Warn("reply in doubt after senders died twice holding it; not sent again")
		s.o.Metrics.Send(m.Office, "failed", 0, 0)
		return nil, false, s.o.Outbox.MarkFailed(ctx, m.ID, "in doubt: a sender died while sending it, twice")
	}
	ch, ok := s.o.Channels(office.ChannelName())
	if !ok {
		s.held.Drop(m.ID)
		log().Error("reply for an office whose channel is not known; not sent", "channel", office.ChannelName())
		return nil, false, s.o.Outbox.MarkFailed(ctx, m.ID, "channel "+office.ChannelName()+" is not known")
	}
	now := s.o.Now()
	m, err = ch.Prepare(office, m, now)
	if err != nil {
		// Nothing was sent: what can never be sent, such as free text
		// outside WhatsApp's 24-hour window, is failed without trying.
		s.held.Drop(m.ID)
		return nil, false, s.failed(ctx, m, ch.Classify(err, m.Attempts), err, 0, log)
	}
	key, perSecond := ch.Budget(office)
	if err := s.waitBudget(ctx, m, key, perSecond); err != nil {
		s.held.Drop(m.ID)
		if errors.Is(err, errClaimLost) {
			log().Warn("reply taken over by another replica while it waited for the send budget; not sent here")
			return nil, true, nil
		}
		return nil, true, s.o.Outbox.MarkRetry(ctx, m.ID, "send budget: "+err.Error(), now)
	}
	if !s.claimHolds(m) {
		// Lost, or running out, while it waited for the budget.
		log().Warn("reply's claim lost or running out before it could be sent; given back to the outbox")
		return nil, true, s.giveBack(ctx, m)
	}
	start := time.Now()
	id, err := ch.Send(ctx, office, m)
	took := time.Since(start)
	// The outcome is being recorded: the claim is no longer needed (and
	// a renewal would find it gone).
	s.held.Drop(m.ID)
	if err == nil {
		if s.o.Log.Enabled(ctx, slog.LevelDebug) {
			log().Debug("reply sent", "wamid", id)
		}
		s.o.Metrics.Send(m.Office, "sent", 0, took)
		if chain != nil {
			if lease := chain(); lease > 0 {
				next, err := s.next.MarkSentClaimNext(ctx, m, id, s.o.Now(), lease)
				return next, false, err
			}
		}
		return nil, false, s.o.Outbox.MarkSent(ctx, m.ID, id, s.o.Now())
	}
	f := ch.Classify(err, m.Attempts)
	if f.Permanent {
		return nil, false, s.failed(ctx, m, f, err, took, log)
	}
	if m.Attempts >= s.o.MaxAttempts {
		log().Error("reply not sent after every attempt", "err", err)
		s.o.Metrics.Send(m.Office, "failed", f.Code, took)
		return nil, false, s.o.Outbox.MarkFailed(ctx, m.ID, err.Error())
	}
	wait := f.RetryAfter
	if wait == 0 {
		wait = s.o.Backoff(m.Attempts)
	}
	retry := s.o.Now().Add(wait)
	log().Warn("reply not sent; will retry", "err", err, "retry_at", retry)
	s.o.Metrics.Send(m.Office, "retry", f.Code, took)
	return nil, true, s.o.Outbox.MarkRetry(ctx, m.ID, err.Error(), retry)
}

// claimHolds reports whether the claim m is held under is this sender's
// and runs on long enough for a send to start under it (Renew, the time
// to the next renewal). A reply this sender does not hold (handed to send
// without a claim it recorded) has only the claim it came with.
func (s *Sender) claimHolds(m sigap.OutboundMessage) bool {
	now := s.o.Now()
	if until, ok := s.held.Until(m.ID); ok {
		return now.Add(s.o.Renew).Before(until)
	}
	if s.held.Lost(m.ID) {
		return false
	}
	return m.LeaseEnds.IsZero() || now.Add(s.o.Renew).Before(m.LeaseEnds)
}

// waitBudget waits for the send budget to let m go, for as long as its
// claim holds: the claim must not run out while the reply waits, or
// another replica would take it over, counting it in doubt or sending it
// too. Where claims are renewed, the wait goes on through renewals.
func (s *Sender) waitBudget(ctx context.Context, m sigap.OutboundMessage, key string, perSecond int) error {
	for {
		until, ok := s.held.Until(m.ID)
		if !ok {
			if s.held.Lost(m.ID) {
				return errClaimLost
			}
			until = m.LeaseEnds
		}
		if until.IsZero() {
			return s.o.Limiter.Wait(ctx, key, perSecond)
		}
		// On the sender's clock (a test's may stand still).
		wctx, cancel := context.WithTimeout(ctx, until.Sub(s.o.Now())-s.o.Renew)
		err := s.o.Limiter.Wait(wctx, key, perSecond)
		cancel()
		if err == nil || ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		if s.held.Lost(m.ID) {
			return errClaimLost
		}
		if later, ok := s.held.Until(m.ID); !ok || !later.After(until) {
			return err // not renewed meanwhile: give it back
		}
	}
}

// errClaimLost says that a renewal found the claim on a reply taken over
// by another replica: the reply is theirs to send.
var errClaimLost = errors.New("claim taken over by another replica")

// failed records m as failed for good, for the reason f says, raising an
// alert when a person must act.
func (s *Sender) failed(ctx context.Context, m sigap.OutboundMessage, f sigap.SendFailure, err error, took time.Duration, log func() *slog.Logger) error {
	if f.NeedsOperator {
		log().Error("ALERT: sending needs an operator (token, policy or account)", "err", err)
	} else {
		log().Warn("reply cannot be sent", "err", err)
	}
	s.o.Metrics.Send(m.Office, "failed", f.Code, took)
	return s.o.Outbox.MarkFailed(ctx, m.ID, err.Error())
}
