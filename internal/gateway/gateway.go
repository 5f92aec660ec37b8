// Package gateway runs conversations: it takes stored inbound messages, asks
// the bot for the answer, and stores the conversation and the replies in one
// step. The simulator and the terminal chat go through the same Turn.
package gateway

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/lease"
	"github.com/sigap-id/sigap/internal/metrics"
	"github.com/sigap-id/sigap/internal/worker"
)

// Bot answers one message; internal/bot implements it.
type Bot interface {
	Handle(ctx context.Context, office sigap.Office, conv sigap.Conversation, msg sigap.InboundMessage) ([]sigap.Reply, sigap.Conversation, error)
	// Apology is said when a message cannot be answered after several tries.
	Apology(lang string) sigap.Reply
}

// Store is what the gateway keeps. Where it also offers
// sigap.AnswerOnArrival and sigap.ClaimNextInbound, the processor takes
// those fast paths; without them it stores messages unanswered, for its
// workers, and claims each with ClaimInbound.
type Store interface {
	sigap.Inbox
	sigap.Conversations
}

// Outbox is the sender the processor hands the replies it stores to
// (outbox.Sender): replies claimed for it in the step that stored them, and
// news of replies stored unclaimed. None of its methods may block.
type Outbox interface {
	// Offer takes replies claimed for the sender when they were stored.
	Offer(claimed []sigap.OutboundMessage)
	// OfferBehind takes replies claimed behind the recipient's earlier
	// replies being sent (sigap.Saved.Behind), to send after them.
	OfferBehind(claimed []sigap.OutboundMessage)
	// Queued says that replies were stored unclaimed, for the sender to
	// claim when it can.
	Queued(queued []sigap.OutboundMessage)
	// HasRoom reports whether replies claimed now would be started at
	// once; if not, they are left in the outbox for the sender to claim.
	HasRoom() bool
	// Sending reports whether the recipient's earlier replies are being
	// sent, for a reply answered on arrival to be claimed behind them
	// (sigap.Answer.Behind).
	Sending(office, to string) bool
}

// Options are what a Processor is made of; NewProcessor fills in the
// zero ones with the usual settings. Everything is given here, before Run
// starts any goroutine, and nothing changes after.
type Options struct {
	Store   Store
	Bot     Bot
	Offices func(code string) (sigap.Office, bool)
	Log     *slog.Logger
	Now     func() time.Time // default time.Now
	Metrics *metrics.Metrics // nil counts nothing

	// Outbox, when set, is handed the replies each step stores: claimed
	// for it for OutboxLease in the step's own transaction (if OutboxLease
	// is set and it has room), queued for it to claim otherwise. Without
	// it, replies wait in the outbox for a sender to claim them.
	Outbox      Outbox
	OutboxLease time.Duration

	// Channels finds a channel by name: each office's replies are split
	// by the rule of the channel it names (sigap.Office.Channel), and its
	// messages marked read through it. Default: none, and replies are
	// stored as they are.
	Channels func(name string) (sigap.Channel, bool)
	// MarkRead has each message marked read (and the typing indicator
	// shown) through its office's channel before it is answered, where
	// the channel and the office do that; best effort, in the background.
	MarkRead bool

	// Lease is how long a claimed message is reserved for this processor; a
	// message whose processor died is taken up again after it (default 5
	// seconds). Where the store renews claims (sigap.LeaseRenewer), the
	// processor renews those it holds every Renew (default a fifth of
	// Lease), so a slow answer keeps its message however long it takes.
	Lease time.Duration
	Renew time.Duration
	// MaxAttempts bounds how often a message is tried before the applicant
	// gets an apology instead of an answer (default 3).
	MaxAttempts int
	// Poll is how often the inbox is looked at when nobody called Wake
	// (default a second).
	Poll time.Duration
	// Workers is how many senders' messages are answered at once (default
	// 16).
	Workers int
}

// Processor works through the inbox.
type Processor struct {
	o Options
	// The store's fast paths, nil where it does not offer them: asked for
	// once, in NewProcessor.
	arrival sigap.AnswerOnArrival
	next    sigap.ClaimNextInbound
	renewer sigap.LeaseRenewer

	// held are the messages this process has claimed and not finished,
	// renewed together (Run) where the store renews claims.
	held *lease.Held[string]

	wake    chan struct{} // messages may wait unclaimed in the store
	offers  chan struct{} // messages were handed over
	mu      sync.Mutex
	offered []offer                // claimed by SaveDelivery, for the next free worker
	ahead   map[senderKey]struct{} // senders with a message answered on arrival now
	owed    []owedRelease          // claims to give back that could not be written yet
}

// owedRelease is the claim on a message whose step failed, to be given back
// (RetryInbound) once the database can take it.
type owedRelease struct {
	m        sigap.InboundMessage
	retryAt  time.Time
	failedAt time.Time
}

// offer is a message this process claimed when it stored it.
type offer struct {
	m sigap.InboundMessage
}

// errLost is a step's error when the claim on its message was taken over
// by another replica while it ran (this one could not renew it in time).
var errLost = errors.New("claim taken over by another replica")

// NewProcessor returns a processor made of o, with the usual settings where
// o leaves them zero.
func NewProcessor(o Options) *Processor {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Channels == nil {
		o.Channels = func(string) (sigap.Channel, bool) { return nil, false }
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	o.Lease = cmp.Or(o.Lease, lease.Default)
	o.Renew = cmp.Or(o.Renew, o.Lease/5)
	o.MaxAttempts = cmp.Or(o.MaxAttempts, 3)
	o.Poll = cmp.Or(o.Poll, time.Second)
	o.Workers = cmp.Or(o.Workers, 16)
	p := &Processor{o: o, wake: make(chan struct{}, 1), offers: make(chan struct{}, 1), held: lease.New[string]()}
	p.arrival, _ = o.Store.(sigap.AnswerOnArrival)
	p.next, _ = o.Store.(sigap.ClaimNextInbound)
	p.renewer, _ = o.Store.(sigap.LeaseRenewer)
	return p
}

// Options returns the settings the processor runs with.
func (p *Processor) Options() Options { return p.o }

// Wake tells the processor that new messages are waiting.
func (p *Processor) Wake() { worker.Wake(p.wake) }

// SaveDelivery stores a delivery as the webhook's inbox does. Where the
// store answers on arrival (sigap.AnswerOnArrival), the answers to its
// messages are worked out ahead: a message is answered, and its replies
// claimed for sending, in the transaction that stores it, so that its
// answer costs no further write and no wait for a worker. A message that
// cannot be answered so (its sender has an earlier one waiting, or its
// conversation changed in the meantime, or the turn failed) is stored to be
// answered by Run's workers: claimed in the same transaction and handed
// straight to them where the store claims it, left for Run to claim
// otherwise. Without the fast path, every message is left for Run.
func (p *Processor) SaveDelivery(ctx context.Context, d sigap.Delivery) (int, error) {
	if p.arrival == nil {
		added, err := p.o.Store.SaveDelivery(ctx, d)
		if added > 0 {
			p.Wake()
		}
		return added, err
	}
	answers, release := p.answerAhead(ctx, d.Messages)
	defer release()
	claim := p.claim()
	saved, err := p.arrival.SaveDeliveryClaiming(ctx, d, answers, claim)
	if err != nil {
		return 0, err
	}
	for _, m := range saved.Answered {
		if office, ok := p.o.Offices(m.Office); ok {
			p.markRead(office, m)
		}
	}
	p.handOver(saved.Replies, saved.Queued)
	if len(saved.Behind) > 0 && p.o.Outbox != nil {
		p.o.Outbox.OfferBehind(saved.Behind)
	}
	if len(saved.Claimed) > 0 {
		p.mu.Lock()
		for _, m := range saved.Claimed {
			if p.held.Hold(m.ID, claim.Now.Add(p.o.Lease)) {
				p.offered = append(p.offered, offer{m: m})
			}
		}
		p.mu.Unlock()
		worker.Wake(p.offers)
	}
	if saved.Added > len(saved.Answered)+len(saved.Claimed) {
		p.Wake()
	}
	for _, m := range saved.Answered {
		p.o.Log.Debug("message answered on arrival", "office", m.Office, "wamid", m.ID, "kind", m.Kind)
	}
	return saved.Added, nil
}

// answerAhead works out the answers to msgs before they are stored, and
// returns them (nil where it cannot) and what to call once they are. While
// one of a sender's messages is answered ahead, the sender's others are
// not: they would be worked out from the state before it.
func (p *Processor) answerAhead(ctx context.Context, msgs []sigap.InboundMessage) ([]*sigap.Answer, func()) {
	var (
		answers []*sigap.Answer
		mine    []senderKey
	)
	for i, m := range msgs {
		office, ok := p.o.Offices(m.Office)
		if !ok {
			continue
		}
		k := senderKey{m.Office, m.From}
		p.mu.Lock()
		_, busy := p.ahead[k]
		if !busy {
			if p.ahead == nil {
				p.ahead = map[senderKey]struct{}{}
			}
			p.ahead[k] = struct{}{}
			mine = append(mine, k)
		}
		p.mu.Unlock()
		if busy {
			continue
		}
		// A sender with a message waiting (or who cannot be asked about)
		// is answered in order by the workers. A turn worked out now
		// would start from the state before that message, and what it
		// files (a ticket) would stay though its answer is thrown away.
		conv, idle, err := p.arrival.ConversationIfIdle(ctx, m.Office, m.From)
		if err != nil || !idle {
			continue
		}
		m.Attempts = 1
		replies, conv, err := p.turn(ctx, office, conv, m)
		if err != nil {
			p.o.Log.Warn("cannot answer message on arrival; it waits for a worker", "office", m.Office, "wamid", m.ID, "err", err)
			continue
		}
		if answers == nil {
			answers = make([]*sigap.Answer, len(msgs))
		}
		a := &sigap.Answer{Conv: conv, Replies: p.outbound(office, m, replies)}
		if len(a.Replies) > 0 && p.o.Outbox != nil {
			a.Behind = p.o.Outbox.Sending(m.Office, m.From)
		}
		answers[i] = a
	}
	return answers, func() {
		if len(mine) == 0 {
			return
		}
		p.mu.Lock()
		for _, k := range mine {
			delete(p.ahead, k)
		}
		p.mu.Unlock()
	}
}

type senderKey struct{ office, sender string }

// claim says what a step stores claimed for this process: its sender's
// next message for Lease, and its replies for OutboxLease if the sender
// can take them now.
func (p *Processor) claim() sigap.Claim {
	c := sigap.Claim{Now: p.o.Now(), InboxLease: p.o.Lease}
	if p.o.Outbox != nil && p.o.OutboxLease > 0 && p.o.Outbox.HasRoom() {
		c.OutboxLease = p.o.OutboxLease
	}
	return c
}

// handOver gives the replies a step stored to the sender: those claimed
// for it, and those left queued for it to claim.
func (p *Processor) handOver(claimed, queued []sigap.OutboundMessage) {
	if p.o.Outbox == nil {
		return
	}
	if len(claimed) > 0 {
		p.o.Outbox.Offer(claimed)
	}
	if len(queued) > 0 {
		p.o.Outbox.Queued(queued)
	}
}

// outbound makes the replies to m into outbox messages, split to fit the
// office's channel.
func (p *Processor) outbound(office sigap.Office, m sigap.InboundMessage, replies []sigap.Reply) []sigap.OutboundMessage {
	split := func(r sigap.Reply) []sigap.Reply { return []sigap.Reply{r} }
	if ch, ok := p.o.Channels(office.ChannelName()); ok {
		split = ch.Split
	}
	var out []sigap.OutboundMessage
	for _, r := range replies {
		for _, part := range split(r) {
			out = append(out, sigap.OutboundMessage{Office: m.Office, To: m.From, InReplyTo: m.ID, Reply: part,
				WindowEndsAt: m.At.Add(sigap.CustomerServiceWindow)})
		}
	}
	return out
}

// markRead has m marked read through its office's channel, if asked to,
// in the background: a lost read receipt harms nobody, and the answer
// does not wait for it.
func (p *Processor) markRead(office sigap.Office, m sigap.InboundMessage) {
	if !p.o.MarkRead {
		return
	}
	ch, ok := p.o.Channels(office.ChannelName())
	if !ok {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := ch.MarkRead(ctx, office, m); err != nil {
			p.o.Log.Debug("mark read", "office", office.Code, "err", err)
		}
	}()
}

// takeOffered returns the oldest message handed over whose claim has not
// run out. One whose claim ran out while it waited (it was not renewed) is
// left to whoever claims it next.
func (p *Processor) takeOffered() (sigap.InboundMessage, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.o.Now()
	for len(p.offered) > 0 {
		o := p.offered[0]
		p.offered[0] = offer{}
		p.offered = p.offered[1:]
		if until, ok := p.held.Until(o.m.ID); ok && now.Before(until) {
			return o.m, true
		}
		p.held.Drop(o.m.ID)
	}
	return sigap.InboundMessage{}, false
}

// hold records the claims on msgs, made at now, and returns those to
// answer: not those this process holds already (it claimed one again
// after its own claim ran out, and its first claim's step goes on).
func (p *Processor) hold(now time.Time, msgs []sigap.InboundMessage) []sigap.InboundMessage {
	out := msgs[:0]
	for _, m := range msgs {
		if p.held.Hold(m.ID, now.Add(p.o.Lease)) {
			out = append(out, m)
		}
	}
	return out
}

// Run processes messages until ctx ends. A step that has begun is finished
// even then, so the inbox and outbox stay consistent.
//
// Up to Workers messages are answered at once: those SaveDelivery handed
// over first, then those claimed from the inbox, which is looked at after
// Wake and every Poll. A worker that answered a message goes on with the
// sender's next one, which completing the first claimed for it; so one
// sender's messages are answered one at a time, in order, and one slow
// answer holds up nobody else's.
func (p *Processor) Run(ctx context.Context) {
	// Read here, at once, so that under -race a part wired in after Run
	// started is caught whenever it happens, not only when a message
	// finds it.
	p.o.Log.Debug("processor started", "workers", p.o.Workers, "lease", p.o.Lease, "renew", p.renewer != nil,
		"hand_over", p.o.Outbox != nil, "mark_read", p.o.MarkRead)
	if p.renewer != nil {
		// Renewed until the last step begun has ended (the deferred
		// pool.Wait below runs before this stops it).
		rctx, stop := context.WithCancel(context.WithoutCancel(ctx))
		renewing := make(chan struct{})
		defer func() { stop(); <-renewing }()
		go func() {
			defer close(renewing)
			p.held.Keep(rctx, p.o.Renew, p.o.Lease, p.o.Now, p.renewer.RenewInbound, p.o.Log, "messages")
		}()
	}
	workers := max(p.o.Workers, 1)
	var (
		pool = worker.NewPool(workers)
		idle = make(chan struct{}, workers) // one token per free worker
		done = make(chan struct{}, 1)       // a worker finished
	)
	defer pool.Wait()
	for range workers {
		idle <- struct{}{}
	}
	work := context.WithoutCancel(ctx)
	start := func(m sigap.InboundMessage) {
		<-idle
		pool.Go(func() {
			defer func() {
				idle <- struct{}{}
				worker.Wake(done)
			}()
			p.answerAll(work, m)
		})
	}
	tick := time.NewTicker(p.o.Poll)
	defer tick.Stop()
	claim := true    // the inbox may hold unclaimed messages
	overdue := false // they have waited a whole poll for a free worker
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
			claim = true
		case <-tick.C:
			overdue = claim
			claim = true
		case <-p.offers:
		case <-done:
		}
		for ctx.Err() == nil {
			// Messages handed over go first, unless the inbox's have
			// waited a whole poll behind them.
			for len(idle) > 0 && !overdue {
				m, ok := p.takeOffered()
				if !ok {
					break
				}
				start(m)
			}
			free := len(idle)
			if free == 0 || !claim {
				break // a finishing worker says so on done
			}
			overdue = false
			p.payOwed(work)
			now := p.o.Now()
			msgs, err := p.o.Store.ClaimInbound(work, now, p.o.Lease, free)
			if err != nil {
				p.o.Log.Error("inbox", "err", err)
				break
			}
			p.tookOver(work, msgs...)
			n := len(msgs)
			for _, m := range p.hold(now, msgs) {
				start(m)
			}
			if n < free {
				claim = false // nothing more to claim now
				break
			}
		}
	}
}

// ProcessBatch claims and answers up to limit messages, in arrival order, and
// after each the sender's next one that completing it claimed; it reports
// how many it claimed.
func (p *Processor) ProcessBatch(ctx context.Context, limit int) (int, error) {
	p.payOwed(ctx)
	now := p.o.Now()
	msgs, err := p.o.Store.ClaimInbound(ctx, now, p.o.Lease, limit)
	if err != nil {
		return 0, err
	}
	p.tookOver(ctx, msgs...)
	n := len(msgs)
	msgs = p.hold(now, msgs)
	// A claim holds at most one message per sender, so they can be
	// answered side by side without reordering anyone's conversation.
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(p.o.Workers, 1))
	for _, m := range msgs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			p.answerAll(ctx, m)
		})
	}
	wg.Wait()
	return n, nil
}

// payOwed gives back the claims that failed steps could not give back
// when they failed (the database was away), oldest first, and stops at the
// first that still cannot be written. A claim that has run out by now
// needs no release; a late one is harmless anyway (RetryInbound leaves a
// later claim alone).
func (p *Processor) payOwed(ctx context.Context) {
	p.mu.Lock()
	owed := p.owed
	p.owed = nil
	p.mu.Unlock()
	now := p.o.Now()
	for i, o := range owed {
		if !now.Before(o.failedAt.Add(p.o.Lease)) {
			continue
		}
		if err := p.o.Store.RetryInbound(ctx, o.m, o.retryAt); err != nil {
			p.mu.Lock()
			p.owed = append(owed[i:len(owed):len(owed)], p.owed...)
			p.mu.Unlock()
			return
		}
		p.o.Log.Info("gave back the claim of a message whose step failed while the database was away",
			"office", o.m.Office, "wamid", o.m.ID, "attempt", o.m.Attempts)
	}
}

// answerAll answers m and then each next message of its sender that
// completing the one before claimed.
func (p *Processor) answerAll(ctx context.Context, m sigap.InboundMessage) {
	for next := &m; next != nil; {
		if next = p.answer(ctx, *next); next != nil {
			p.tookOver(ctx, *next)
		}
	}
}

// tookOver logs, in one line, and counts the messages of a claim that were
// taken over from a claim that ran out: a replica died or stalled holding
// them.
func (p *Processor) tookOver(ctx context.Context, msgs ...sigap.InboundMessage) {
	var from []string // whose claims ran out, one per message taken over
	for _, m := range msgs {
		if m.TakenOver {
			from = append(from, m.TakenFrom)
		}
	}
	if len(from) == 0 {
		return
	}
	p.o.Metrics.TakenOver(metrics.TakeoverMessage, len(from))
	p.o.Log.InfoContext(ctx, "took over messages whose claim ran out (a replica died or stalled holding them)",
		"messages", len(from), "lease", lease.Holders(from))
}

// answer processes a claimed message, logs a failure, and returns the
// sender's next message if completing this one claimed it.
func (p *Processor) answer(ctx context.Context, m sigap.InboundMessage) *sigap.InboundMessage {
	next, err := p.process(ctx, m)
	switch {
	case errors.Is(err, errLost):
		p.o.Log.Warn("message taken over by another replica while this one answered it; its answer is dropped",
			"office", m.Office, "wamid", m.ID)
	case errors.Is(err, sigap.ErrNotPending):
		p.o.Log.Warn("message answered by another worker after its claim ran out", "office", m.Office, "wamid", m.ID)
	case err != nil:
		// Tried again after a short wait rather than the whole lease: the
		// sender's later messages wait behind it. If even that cannot be
		// recorded (the database is away), it is owed, and written as soon
		// as the database takes writes again (payOwed), not after the lease.
		now := p.o.Now()
		retry := now.Add(min(time.Second<<min(max(m.Attempts-1, 0), 6), p.o.Lease))
		owed := false
		if rerr := p.o.Store.RetryInbound(ctx, m, retry); rerr != nil {
			owed = true
			p.mu.Lock()
			p.owed = append(p.owed, owedRelease{m: m, retryAt: retry, failedAt: now})
			p.mu.Unlock()
			p.Wake()
		}
		p.o.Log.Error("cannot answer message; will retry", "office", m.Office, "wamid", m.ID, "attempt", m.Attempts,
			"retry_at", retry, "release_owed", owed, "err", err)
	}
	return next
}

func (p *Processor) process(ctx context.Context, m sigap.InboundMessage) (*sigap.InboundMessage, error) {
	// The claim is renewed until the step's outcome is being stored: then
	// it is no longer needed (and the renewal would find it gone).
	defer p.held.Drop(m.ID)
	if p.held.Lost(m.ID) {
		return nil, errLost
	}
	office, ok := p.o.Offices(m.Office)
	if !ok {
		// The office left the offices file after the message was stored.
		p.o.Log.Warn("message for an unknown office dropped", "office", m.Office, "wamid", m.ID)
		return nil, p.o.Store.CompleteInbound(ctx, m.ID, sigap.Conversation{Office: m.Office, User: m.From}, nil)
	}
	if m.Attempts == 1 {
		p.markRead(office, m)
	}
	replies, conv, err := p.Turn(ctx, office, m)
	if err != nil {
		if m.Attempts < p.o.MaxAttempts {
			return nil, err
		}
		p.o.Log.Error("giving up on message; apologising", "office", m.Office, "wamid", m.ID, "err", err)
		conv, cerr := p.o.Store.Conversation(ctx, m.Office, m.From)
		if cerr != nil {
			conv = sigap.Conversation{Office: m.Office, User: m.From}
		}
		replies = []sigap.Reply{p.o.Bot.Apology(conv.Lang)}
	}
	out := p.outbound(office, m, replies)
	if p.held.Lost(m.ID) {
		// Another replica answers it: storing this answer would fail
		// (sigap.ErrNotPending) or beat that one's, which is as good but
		// wasted.
		return nil, errLost
	}
	p.held.Drop(m.ID)
	if p.next == nil {
		if err := p.o.Store.CompleteInbound(ctx, m.ID, conv, out); err != nil {
			return nil, err
		}
		p.handOver(nil, out)
		// The sender's next message, if any, may be claimed now.
		p.Wake()
		p.o.Log.Debug("message answered", "office", m.Office, "wamid", m.ID, "kind", m.Kind, "replies", len(out))
		return nil, nil
	}
	c := p.claim()
	done, err := p.next.CompleteInboundClaiming(ctx, m.ID, conv, out, c)
	if err != nil {
		return nil, err
	}
	if done.Next != nil && !p.held.Hold(done.Next.ID, c.Now.Add(p.o.Lease)) {
		done.Next = nil // this process answers it already
	}
	var queued []sigap.OutboundMessage
	if done.Queued {
		queued = out
	}
	p.handOver(done.Replies, queued)
	p.o.Log.Debug("message answered", "office", m.Office, "wamid", m.ID, "kind", m.Kind, "replies", len(out))
	return done.Next, nil
}

// Turn runs the bot on one message with the sender's stored conversation
// and returns the replies and the conversation to store. It stores nothing.
func (p *Processor) Turn(ctx context.Context, office sigap.Office, m sigap.InboundMessage) (replies []sigap.Reply, conv sigap.Conversation, err error) {
	conv, err = p.o.Store.Conversation(ctx, office.Code, m.From)
	if err != nil {
		return nil, conv, err
	}
	return p.turn(ctx, office, conv, m)
}

// turn is Turn from conv, the conversation as stored.
func (p *Processor) turn(ctx context.Context, office sigap.Office, conv sigap.Conversation, m sigap.InboundMessage) (replies []sigap.Reply, next sigap.Conversation, err error) {
	defer func() {
		// A bug in the bot must not take the gateway down, nor answer the
		// applicant with a stack trace.
		if r := recover(); r != nil {
			p.o.Log.Error("bot panicked", "office", office.Code, "wamid", m.ID, "panic", r, "stack", string(debug.Stack()))
			replies, next, err = nil, conv, fmt.Errorf("bot panicked: %v", r)
		}
	}()
	replies, next, err = p.o.Bot.Handle(ctx, office, conv, m)
	if err != nil {
		return nil, conv, fmt.Errorf("bot: %w", err)
	}
	next.Office, next.User = office.Code, m.From
	return replies, next, nil
}

// Chat answers one message at once and stores the conversation, without the
// inbox and outbox: for the simulator and the terminal chat.
func (p *Processor) Chat(ctx context.Context, office sigap.Office, m sigap.InboundMessage) ([]sigap.Reply, error) {
	replies, conv, err := p.Turn(ctx, office, m)
	if err != nil {
		p.o.Log.Error("chat turn failed", "office", office.Code, "err", err)
		return []sigap.Reply{p.o.Bot.Apology(conv.Lang)}, nil
	}
	if err := p.o.Store.SaveConversation(ctx, conv); err != nil {
		return nil, err
	}
	return replies, nil
}
