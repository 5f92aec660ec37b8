// Package gateway runs conversations: it takes stored inbound messages, asks
// the bot for the answer, and stores the conversation and the replies in one
// step. The simulator and the terminal chat go through the same Turn.
package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/worker"
)

// Bot answers one message; internal/bot implements it.
type Bot interface {
	Handle(ctx context.Context, office sigap.Office, conv sigap.Conversation, msg sigap.InboundMessage) ([]sigap.Reply, sigap.Conversation, error)
	// Apology is said when a message cannot be answered after several tries.
	Apology(lang string) sigap.Reply
}

// Store is what the gateway keeps.
type Store interface {
	sigap.Inbox
	sigap.Conversations
}

// Processor works through the inbox.
type Processor struct {
	Store   Store
	Bot     Bot
	Offices func(code string) (sigap.Office, bool)
	// Split cuts a reply that is too long for the channel into several.
	Split func(sigap.Reply) []sigap.Reply
	Log   *slog.Logger
	Now   func() time.Time

	// Lease is how long a claimed message is reserved for this processor; a
	// message whose processor died is taken up again after it.
	Lease time.Duration
	// MaxAttempts bounds how often a message is tried before the applicant
	// gets an apology instead of an answer.
	MaxAttempts int
	// Poll is how often the inbox is looked at when nobody called Wake.
	Poll time.Duration
	// Workers is how many senders' messages are answered at once.
	Workers int
	// Answered, if set, is called after a message's replies are stored.
	Answered func()
	// Received, if set, is called before a message is answered (to mark it
	// read and show the typing indicator); it must not block.
	Received func(office sigap.Office, m sigap.InboundMessage)

	wake chan struct{}
}

// NewProcessor returns a processor with the usual settings.
func NewProcessor(store Store, bot Bot, offices func(string) (sigap.Office, bool), log *slog.Logger) *Processor {
	return &Processor{
		Store: store, Bot: bot, Offices: offices, Log: log, Now: time.Now,
		Split:       func(r sigap.Reply) []sigap.Reply { return []sigap.Reply{r} },
		Lease:       time.Minute,
		MaxAttempts: 3,
		Poll:        time.Second,
		Workers:     16,
		wake:        make(chan struct{}, 1),
	}
}

// Wake tells the processor that new messages are waiting.
func (p *Processor) Wake() { worker.Wake(p.wake) }

// Run processes messages until ctx ends. A step that has begun is finished
// even then, so the inbox and outbox stay consistent.
//
// Up to Workers messages are answered at once. The inbox is claimed again
// whenever a worker is free and there may be work: after Wake, after the
// poll interval, and after each answer (which may have freed its sender's
// next message), so one slow answer holds up nobody else's.
func (p *Processor) Run(ctx context.Context) {
	workers := max(p.Workers, 1)
	var (
		wg   sync.WaitGroup
		idle = make(chan struct{}, workers) // one token per free worker
		done = make(chan struct{}, 1)       // a worker finished
	)
	defer wg.Wait()
	for range workers {
		idle <- struct{}{}
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	work := context.WithoutCancel(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
		case <-done:
		case <-timer.C:
		}
		for ctx.Err() == nil {
			free := len(idle)
			if free == 0 {
				break // a finishing worker says so on done
			}
			msgs, err := p.Store.ClaimInbound(work, p.Now(), p.Lease, free)
			if err != nil {
				p.Log.Error("inbox", "err", err)
				break
			}
			for _, m := range msgs {
				<-idle
				wg.Go(func() {
					defer func() {
						idle <- struct{}{}
						worker.Wake(done)
					}()
					p.answer(work, m)
				})
			}
			if len(msgs) < free {
				break // nothing more to claim now
			}
		}
		timer.Reset(p.Poll)
	}
}

// ProcessBatch claims and answers up to limit messages, in arrival order.
func (p *Processor) ProcessBatch(ctx context.Context, limit int) (int, error) {
	msgs, err := p.Store.ClaimInbound(ctx, p.Now(), p.Lease, limit)
	if err != nil {
		return 0, err
	}
	// A claim holds at most one message per sender, so they can be
	// answered side by side without reordering anyone's conversation.
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(p.Workers, 1))
	for _, m := range msgs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			p.answer(ctx, m)
		})
	}
	wg.Wait()
	return len(msgs), nil
}

// answer processes a claimed message and logs a failure.
func (p *Processor) answer(ctx context.Context, m sigap.InboundMessage) {
	if err := p.process(ctx, m); err != nil {
		// Left claimed: it is tried again when the lease runs out.
		p.Log.Error("cannot answer message; will retry", "office", m.Office, "wamid", m.ID, "attempt", m.Attempts, "err", err)
	}
}

func (p *Processor) process(ctx context.Context, m sigap.InboundMessage) error {
	office, ok := p.Offices(m.Office)
	if !ok {
		// The office left the offices file after the message was stored.
		p.Log.Warn("message for an unknown office dropped", "office", m.Office, "wamid", m.ID)
		return p.Store.CompleteInbound(ctx, m.ID, sigap.Conversation{Office: m.Office, User: m.From}, nil)
	}
	if p.Received != nil && m.Attempts == 1 {
		p.Received(office, m)
	}
	replies, conv, err := p.Turn(ctx, office, m)
	if err != nil {
		if m.Attempts < p.MaxAttempts {
			return err
		}
		p.Log.Error("giving up on message; apologising", "office", m.Office, "wamid", m.ID, "err", err)
		conv, cerr := p.Store.Conversation(ctx, m.Office, m.From)
		if cerr != nil {
			conv = sigap.Conversation{Office: m.Office, User: m.From}
		}
		replies = []sigap.Reply{p.Bot.Apology(conv.Lang)}
	}
	var out []sigap.OutboundMessage
	for _, r := range replies {
		for _, part := range p.Split(r) {
			out = append(out, sigap.OutboundMessage{Office: m.Office, To: m.From, InReplyTo: m.ID, Reply: part,
				WindowEndsAt: m.At.Add(sigap.CustomerServiceWindow)})
		}
	}
	if err := p.Store.CompleteInbound(ctx, m.ID, conv, out); err != nil {
		return err
	}
	if p.Answered != nil && len(out) > 0 {
		p.Answered()
	}
	p.Log.Debug("message answered", "office", m.Office, "wamid", m.ID, "kind", m.Kind, "replies", len(out))
	return nil
}

// Turn runs the bot on one message with the sender's stored conversation
// and returns the replies and the conversation to store. It stores nothing.
func (p *Processor) Turn(ctx context.Context, office sigap.Office, m sigap.InboundMessage) (replies []sigap.Reply, conv sigap.Conversation, err error) {
	conv, err = p.Store.Conversation(ctx, office.Code, m.From)
	if err != nil {
		return nil, conv, err
	}
	defer func() {
		// A bug in the bot must not take the gateway down, nor answer the
		// applicant with a stack trace.
		if r := recover(); r != nil {
			p.Log.Error("bot panicked", "office", office.Code, "wamid", m.ID, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("bot panicked: %v", r)
		}
	}()
	replies, next, err := p.Bot.Handle(ctx, office, conv, m)
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
		p.Log.Error("chat turn failed", "office", office.Code, "err", err)
		return []sigap.Reply{p.Bot.Apology(conv.Lang)}, nil
	}
	if err := p.Store.SaveConversation(ctx, conv); err != nil {
		return nil, err
	}
	return replies, nil
}
