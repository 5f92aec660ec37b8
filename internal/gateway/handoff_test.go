package gateway_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/gateway"
	"github.com/sigap-id/sigap/internal/store/sqlite"
	"github.com/sigap-id/sigap/internal/store/sqlstore"
)

// The hand-off tests: messages claimed when stored (Processor.SaveDelivery)
// go straight to Run's workers, completing one claims the sender's next, and
// a step's replies can be claimed for the sender in the step's transaction.

// hoWait is how long an asynchronous outcome may take.
const hoWait = 5 * time.Second

// hoBot answers "ok: TEXT" (and "ok: TEXT #2", … when it says more than one
// thing), and records every message it was asked to answer.
type hoBot struct {
	replies int // replies per message; 0 means 1

	mu    sync.Mutex
	calls []sigap.InboundMessage
}

func (b *hoBot) Handle(_ context.Context, _ sigap.Office, conv sigap.Conversation, m sigap.InboundMessage) ([]sigap.Reply, sigap.Conversation, error) {
	b.mu.Lock()
	b.calls = append(b.calls, m)
	b.mu.Unlock()
	out := []sigap.Reply{{Text: "ok: " + m.Text}}
	for i := 2; i <= b.replies; i++ {
		out = append(out, sigap.Reply{Text: fmt.Sprintf("ok: %s #%d", m.Text, i)})
	}
	conv.Lang = "id"
	return out, conv, nil
}

func (b *hoBot) Apology(string) sigap.Reply { return sigap.Reply{Text: "maaf"} }

func (b *hoBot) handled() []sigap.InboundMessage {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.calls)
}

// hoStore is the real store, counting the messages ClaimInbound handed out.
type hoStore struct {
	*sqlstore.Store

	mu      sync.Mutex
	claimed []string // ids ClaimInbound returned
}

func (s *hoStore) ClaimInbound(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]sigap.InboundMessage, error) {
	msgs, err := s.Store.ClaimInbound(ctx, now, lease, limit)
	s.mu.Lock()
	for _, m := range msgs {
		s.claimed = append(s.claimed, m.ID)
	}
	s.mu.Unlock()
	return msgs, err
}

func (s *hoStore) claimedByClaimInbound() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.claimed)
}

// hoClock is a clock the test may move while workers read it.
type hoClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *hoClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *hoClock) advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// hoSetup opens a real SQLite store and a processor on it, on the real clock
// (the store stamps rows with it) that the test may move on.
func hoSetup(t *testing.T, bot gateway.Bot, opts ...func(*gateway.Options)) (*hoStore, *gateway.Processor, *hoClock) {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "sigap.db"), sqlite.Options{Migrate: true, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	store := &hoStore{Store: s}
	offices := func(code string) (sigap.Office, bool) { return sigap.Office{Code: code}, code == "jakpus" }
	clock := &hoClock{}
	o := gateway.Options{Store: store, Bot: bot, Offices: offices, Log: slog.New(slog.DiscardHandler), Now: clock.Now,
		// Only Wake, a hand-over or a finished worker can get anything
		// done within the test's wait.
		Poll: time.Minute}
	for _, opt := range opts {
		opt(&o)
	}
	return store, gateway.NewProcessor(o), clock
}

// fakeOutbox is the sender's side of the hand-over, as the test wants it;
// a nil function takes nothing, has room, sends to nobody.
type fakeOutbox struct {
	offer, queued func([]sigap.OutboundMessage)
	offerBehind   func([]sigap.OutboundMessage) // nil: as offer
	room          func() bool
	sending       func(office, to string) bool
}

func (f *fakeOutbox) Offer(m []sigap.OutboundMessage) {
	if f.offer != nil {
		f.offer(m)
	}
}

func (f *fakeOutbox) OfferBehind(m []sigap.OutboundMessage) {
	if f.offerBehind == nil {
		f.Offer(m)
		return
	}
	f.offerBehind(m)
}

func (f *fakeOutbox) Queued(m []sigap.OutboundMessage) {
	if f.queued != nil {
		f.queued(m)
	}
}

func (f *fakeOutbox) HasRoom() bool { return f.room == nil || f.room() }

func (f *fakeOutbox) Sending(office, to string) bool {
	return f.sending != nil && f.sending(office, to)
}

// readChannel is a channel that only marks messages read, by calling
// itself.
type readChannel func(sigap.InboundMessage)

func (readChannel) Split(r sigap.Reply) []sigap.Reply { return []sigap.Reply{r} }
func (readChannel) Prepare(_ sigap.Office, m sigap.OutboundMessage, _ time.Time) (sigap.OutboundMessage, error) {
	return m, nil
}
func (readChannel) Budget(sigap.Office) (string, int) { return "", 1 }
func (readChannel) Ready(sigap.Office) error          { return nil }
func (readChannel) Send(context.Context, sigap.Office, sigap.OutboundMessage) (string, error) {
	return "", errors.New("not a sending channel")
}
func (readChannel) Classify(error, int) sigap.SendFailure { return sigap.SendFailure{Permanent: true} }
func (f readChannel) MarkRead(_ context.Context, _ sigap.Office, m sigap.InboundMessage) error {
	f(m)
	return nil
}

// hoRun runs p until the returned stop is called (or the test ends); stop
// returns once Run has, its workers done.
func hoRun(t *testing.T, p *gateway.Processor) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		p.Run(ctx)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-ended:
			case <-time.After(hoWait):
				t.Error("Run did not return after its context ended")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// hoMsg is a text message.
func hoMsg(from, text string) sigap.InboundMessage {
	return sigap.InboundMessage{ID: "wamid." + text, Office: "jakpus", From: from, At: time.Now(), Kind: sigap.KindText, Text: text}
}

// hoOutbox lists the outbox, oldest first.
func hoOutbox(t *testing.T, s *hoStore) []sigap.OutboundMessage {
	t.Helper()
	out, err := s.Outbound(context.Background(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// hoByRecipient groups the texts of replies by recipient, in outbox order.
func hoByRecipient(out []sigap.OutboundMessage) map[string][]string {
	by := map[string][]string{}
	for _, m := range out {
		by[m.To] = append(by[m.To], m.Reply.Text)
	}
	return by
}

// hoWaitFor polls until cond holds, or fails the test after hoWait.
func hoWaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(hoWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: still waiting for %s", hoWait, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// hoPending counts the inbox's unanswered messages.
func hoPending(t *testing.T, s *hoStore) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRow(`SELECT COUNT(*) FROM inbound_messages WHERE state = 'pending'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSaveDeliveryHandsClaimedMessagesToRun(t *testing.T) {
	for _, workers := range []int{1, 2, 16} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			bot := &hoBot{}
			s, p, _ := hoSetup(t, bot, func(o *gateway.Options) { o.Workers = workers })
			stop := hoRun(t, p)

			d := sigap.Delivery{Messages: []sigap.InboundMessage{
				hoMsg("628111", "a1"), hoMsg("628222", "b1"), hoMsg("628111", "a2"),
				hoMsg("628333", "c1"), hoMsg("628111", "a3"),
			}}
			added, err := p.SaveDelivery(context.Background(), d)
			if err != nil || added != 5 {
				t.Fatalf("SaveDelivery = %d, %v; want 5 added", added, err)
			}
			hoWaitFor(t, "5 replies and an empty inbox", func() bool {
				return len(hoOutbox(t, s)) >= 5 && hoPending(t, s) == 0
			})
			stop() // nothing more may happen after this

			got := hoByRecipient(hoOutbox(t, s))
			want := map[string][]string{
				"628111": {"ok: a1", "ok: a2", "ok: a3"},
				"628222": {"ok: b1"},
				"628333": {"ok: c1"},
			}
			for to, texts := range want {
				if !slices.Equal(got[to], texts) {
					t.Errorf("replies to %s: %q, want %q", to, got[to], texts)
				}
			}
			if len(got) != len(want) {
				t.Errorf("replies went to %d recipients, want %d: %q", len(got), len(want), got)
			}

			// Each message answered exactly once, on its first claim: the
			// first of each sender claimed by SaveDelivery, the next ones
			// by completing the one before.
			hoAnsweredOnce(t, bot.handled(), d, 1, "claimed once")
			if ids := s.claimedByClaimInbound(); len(ids) != 0 {
				t.Errorf("ClaimInbound handed out %q; every message should have come from SaveDelivery or the completion before it", ids)
			}
		})
	}
}

func TestSaveDeliveryRedeliveredAddsNothing(t *testing.T) {
	for _, tt := range []struct {
		name string
		// answered: the redelivery comes after the first was answered;
		// otherwise both come before Run starts.
		answered bool
	}{
		{"after it was answered", true},
		{"before it was answered", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bot := &hoBot{}
			// One queue, worked through in order.
			s, p, _ := hoSetup(t, bot, func(o *gateway.Options) { o.Workers = 1 })
			ctx := context.Background()
			d := sigap.Delivery{Messages: []sigap.InboundMessage{hoMsg("628111", "halo")}}

			var stop func()
			if tt.answered {
				stop = hoRun(t, p)
			}
			if added, err := p.SaveDelivery(ctx, d); err != nil || added != 1 {
				t.Fatalf("first delivery: %d, %v; want 1 added", added, err)
			}
			if tt.answered {
				hoWaitFor(t, "the reply", func() bool { return len(hoOutbox(t, s)) >= 1 })
			}
			if added, err := p.SaveDelivery(ctx, d); err != nil || added != 0 {
				t.Fatalf("redelivery: %d, %v; want 0 added", added, err)
			}
			if !tt.answered {
				stop = hoRun(t, p)
			}
			// A later message from the same sender is answered after
			// anything the redelivery could have set going.
			if added, err := p.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{hoMsg("628111", "lagi")}}); err != nil || added != 1 {
				t.Fatalf("next delivery: %d, %v; want 1 added", added, err)
			}
			hoWaitFor(t, "the reply to the next message", func() bool {
				return slices.Contains(hoByRecipient(hoOutbox(t, s))["628111"], "ok: lagi") && hoPending(t, s) == 0
			})
			stop()

			if got, want := hoByRecipient(hoOutbox(t, s))["628111"], []string{"ok: halo", "ok: lagi"}; !slices.Equal(got, want) {
				t.Errorf("replies %q, want %q (the redelivered message answered once)", got, want)
			}
			// The redelivery is answered on arrival like any message (only
			// storing it tells it is one), and that answer thrown away.
			var ids []string
			for _, m := range bot.handled() {
				ids = append(ids, m.ID)
			}
			if want := []string{"wamid.halo", "wamid.halo", "wamid.lagi"}; !slices.Equal(ids, want) {
				t.Errorf("bot asked about %q, want %q", ids, want)
			}
		})
	}
}

func TestSaveDeliveryDropsHandedOverMessagesWhoseClaimRanOut(t *testing.T) {
	bot := &hoBot{}
	s, p, clock := hoSetup(t, bot)
	// Each sender's first message is answered on arrival; their second,
	// worked out from the state before the first, is stored unanswered and
	// claimed for Run.
	d := sigap.Delivery{Messages: []sigap.InboundMessage{
		hoMsg("628111", "a1"), hoMsg("628111", "a2"), hoMsg("628222", "b1"), hoMsg("628222", "b2"),
	}}
	if added, err := p.SaveDelivery(context.Background(), d); err != nil || added != 4 {
		t.Fatalf("SaveDelivery = %d, %v; want 4 added", added, err)
	}
	// No worker took them before their claim ran out: Run must leave them
	// to the next claim, not answer them under a claim that is over.
	clock.advance(p.Options().Lease + time.Second)
	stop := hoRun(t, p)
	p.Wake() // as after a poll
	hoWaitFor(t, "4 replies and an empty inbox", func() bool { return len(hoOutbox(t, s)) >= 4 && hoPending(t, s) == 0 })
	stop()

	handled := bot.handled()
	hoAnsweredOnce(t, handled[:2], sigap.Delivery{Messages: []sigap.InboundMessage{d.Messages[0], d.Messages[2]}}, 1, "answered on arrival")
	hoAnsweredOnce(t, handled[2:], sigap.Delivery{Messages: []sigap.InboundMessage{d.Messages[1], d.Messages[3]}}, 2, "claimed again by ClaimInbound")
	ids := s.claimedByClaimInbound()
	slices.Sort(ids)
	if want := []string{"wamid.a2", "wamid.b2"}; !slices.Equal(ids, want) {
		t.Errorf("ClaimInbound handed out %q, want %q", ids, want)
	}
}

func TestRepliesHandOff(t *testing.T) {
	const lease = time.Minute
	for _, tt := range []struct {
		name        string
		outboxLease time.Duration
		room        func() bool // ReplyRoom; nil leaves it unset
		earlier     bool        // an earlier reply to the recipient is pending
		wantClaimed bool
	}{
		{name: "claimed, ReplyRoom unset", outboxLease: lease, wantClaimed: true},
		{name: "claimed, ReplyRoom true", outboxLease: lease, room: func() bool { return true }, wantClaimed: true},
		{name: "queued, ReplyRoom false", outboxLease: lease, room: func() bool { return false }},
		{name: "queued behind an earlier reply", outboxLease: lease, earlier: true},
		{name: "queued, no OutboxLease", outboxLease: 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bot := &hoBot{replies: 2}
			ctx := context.Background()
			type handed struct {
				claimed []sigap.OutboundMessage
				queued  bool
			}
			var (
				mu   sync.Mutex
				got  []handed
				room int // calls of HasRoom
			)
			ob := &fakeOutbox{
				offer: func(claimed []sigap.OutboundMessage) {
					mu.Lock()
					got = append(got, handed{claimed: claimed})
					mu.Unlock()
				},
				queued: func([]sigap.OutboundMessage) {
					mu.Lock()
					got = append(got, handed{queued: true})
					mu.Unlock()
				},
			}
			if tt.room != nil {
				ob.room = func() bool {
					mu.Lock()
					room++
					mu.Unlock()
					return tt.room()
				}
			}
			s, p, _ := hoSetup(t, bot, func(o *gateway.Options) { o.Outbox, o.OutboxLease = ob, tt.outboxLease })
			var earlier []int64
			if tt.earlier {
				// An earlier reply to the same recipient, left for the
				// sender to claim.
				if _, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{hoMsg("628111", "dulu")}}); err != nil {
					t.Fatal(err)
				}
				if err := s.CompleteInbound(ctx, "wamid.dulu", sigap.Conversation{Office: "jakpus", User: "628111"},
					[]sigap.OutboundMessage{{Office: "jakpus", To: "628111", Reply: sigap.Reply{Text: "dulu"}}}); err != nil {
					t.Fatal(err)
				}
				for _, m := range hoOutbox(t, s) {
					earlier = append(earlier, m.ID)
				}
			}
			if _, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{hoMsg("628111", "halo")}}); err != nil {
				t.Fatal(err)
			}
			before := p.Options().Now()
			if n, err := p.ProcessBatch(ctx, 10); err != nil || n != 1 {
				t.Fatalf("ProcessBatch = %d, %v; want 1", n, err)
			}

			// The step's replies, as stored.
			var stored []sigap.OutboundMessage
			for _, m := range hoOutbox(t, s) {
				if m.InReplyTo == "wamid.halo" {
					stored = append(stored, m)
				}
			}
			if len(stored) != 2 || stored[0].Reply.Text != "ok: halo" || stored[1].Reply.Text != "ok: halo #2" {
				t.Fatalf("stored replies %+v, want ok: halo and ok: halo #2", stored)
			}

			mu.Lock()
			calls, roomCalls := slices.Clone(got), room
			mu.Unlock()
			if tt.room != nil && roomCalls == 0 {
				t.Error("ReplyRoom was not asked")
			}
			if len(calls) != 1 {
				t.Fatalf("Replies called %d times, want once: %+v", len(calls), calls)
			}
			h := calls[0]
			claimNow := time.Now()
			again, err := s.ClaimOutbound(ctx, claimNow, time.Minute, 100)
			if err != nil {
				t.Fatal(err)
			}
			var reclaimed []int64
			for _, m := range again {
				reclaimed = append(reclaimed, m.ID)
			}

			if tt.wantClaimed {
				if h.queued || len(h.claimed) != 2 {
					t.Fatalf("Replies(%d claimed, queued %v), want (2, false)", len(h.claimed), h.queued)
				}
				for i, m := range h.claimed {
					if m.ID != stored[i].ID || m.Reply.Text != stored[i].Reply.Text || m.To != "628111" || m.Office != "jakpus" || m.InReplyTo != "wamid.halo" {
						t.Errorf("claimed reply %d = %+v, want the stored %+v", i, m, stored[i])
					}
					if m.State != sigap.OutboundPending || m.Attempts != 1 || m.Doubtful != 0 {
						t.Errorf("claimed reply %d: state %s, attempts %d, doubtful %d; want pending, 1, 0", i, m.State, m.Attempts, m.Doubtful)
					}
					// The claim runs OutboxLease from the step's clock
					// (the store keeps milliseconds).
					if end := m.LeaseEnds; end.Before(before.Add(tt.outboxLease).Add(-time.Millisecond)) || end.After(p.Options().Now().Add(tt.outboxLease)) {
						t.Errorf("claimed reply %d: LeaseEnds %v, want OutboxLease after the step (%v)", i, end, before.Add(tt.outboxLease))
					}
				}
				if len(reclaimed) != 0 {
					t.Errorf("ClaimOutbound right after returned %v; the claimed replies are the sender's already", reclaimed)
				}
				return
			}
			if !h.queued || len(h.claimed) != 0 {
				t.Fatalf("Replies(%d claimed, queued %v), want (0, true)", len(h.claimed), h.queued)
			}
			// Unclaimed; and only the recipient's oldest pending reply is
			// claimable, the rest wait behind it.
			want := append(slices.Clone(earlier), stored[0].ID, stored[1].ID)[:1]
			if !slices.Equal(reclaimed, want) {
				t.Errorf("ClaimOutbound returned %v, want %v (the oldest queued reply, unclaimed)", reclaimed, want)
			}
			for _, m := range again {
				if m.Doubtful != 0 || m.Attempts != 1 {
					t.Errorf("reply %d: attempts %d, doubtful %d; want 1, 0 (never claimed before)", m.ID, m.Attempts, m.Doubtful)
				}
			}
		})
	}
}

// TestRunHandsRepliesOver runs the whole step through Run: the replies of
// a sender's three messages are handed to Replies claimed when nothing
// earlier to them waits, queued otherwise, and every reply is either handed
// over or left unclaimed, never both nor neither.
func TestRunHandsRepliesOver(t *testing.T) {
	bot := &hoBot{}
	var (
		mu      sync.Mutex
		claimed []sigap.OutboundMessage
		queued  int
	)
	ob := &fakeOutbox{
		offer: func(c []sigap.OutboundMessage) {
			mu.Lock()
			claimed = append(claimed, c...)
			mu.Unlock()
		},
		queued: func([]sigap.OutboundMessage) {
			mu.Lock()
			queued++
			mu.Unlock()
		},
	}
	s, p, _ := hoSetup(t, bot, func(o *gateway.Options) { o.Outbox, o.OutboxLease = ob, time.Minute })
	stop := hoRun(t, p)
	d := sigap.Delivery{Messages: []sigap.InboundMessage{hoMsg("628111", "a1"), hoMsg("628111", "a2"), hoMsg("628111", "a3"), hoMsg("628222", "b1")}}
	if added, err := p.SaveDelivery(context.Background(), d); err != nil || added != 4 {
		t.Fatalf("SaveDelivery = %d, %v", added, err)
	}
	hoWaitFor(t, "4 replies", func() bool { return len(hoOutbox(t, s)) >= 4 && hoPending(t, s) == 0 })
	stop()

	ctx := context.Background()
	mu.Lock()
	defer mu.Unlock()
	handed := map[int64]bool{}
	for _, m := range claimed {
		handed[m.ID] = true
		if err := s.MarkSent(ctx, m.ID, "wamid.out", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	// The queued ones are claimed one at a time per recipient (the oldest
	// pending), each after the one before it is sent.
	for range 10 {
		again, err := s.ClaimOutbound(ctx, time.Now(), time.Minute, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(again) == 0 {
			break
		}
		for _, m := range again {
			if handed[m.ID] {
				t.Errorf("reply %d (%q) was handed over claimed and claimed again", m.ID, m.Reply.Text)
			}
			handed[m.ID] = true
			if err := s.MarkSent(ctx, m.ID, "wamid.out", time.Now()); err != nil {
				t.Fatal(err)
			}
		}
	}
	var texts []string
	for _, m := range hoOutbox(t, s) {
		if !handed[m.ID] {
			t.Errorf("reply %d (%q) was neither handed over nor left to claim", m.ID, m.Reply.Text)
		}
		texts = append(texts, m.To+":"+m.Reply.Text)
	}
	// The first reply to each recipient finds nothing before it: claimed.
	// A sender's later replies find the first still pending (nobody sends
	// here): queued.
	if len(claimed) != 2 || queued != 2 {
		var c []string
		for _, m := range claimed {
			c = append(c, m.To+":"+m.Reply.Text)
		}
		t.Errorf("claimed %q and queued %d times, want 2 claimed (the first to each recipient) and 2 queued; outbox %s",
			c, queued, strings.Join(texts, ", "))
	}
}

// hoAnsweredOnce checks that each of d's messages was answered exactly once,
// on the given attempt.
func hoAnsweredOnce(t *testing.T, handled []sigap.InboundMessage, d sigap.Delivery, attempt int, why string) {
	t.Helper()
	seen := map[string]int{}
	for _, m := range handled {
		seen[m.ID]++
		if m.Attempts != attempt {
			t.Errorf("%s answered on attempt %d, want %d (%s)", m.ID, m.Attempts, attempt, why)
		}
	}
	for _, m := range d.Messages {
		if seen[m.ID] != 1 {
			t.Errorf("%s answered %d times, want once", m.ID, seen[m.ID])
		}
	}
}

// TestAnswerClaimedBehindIsOfferedBehind: a message answered on arrival
// while the sender says it is sending to its sender has its reply claimed
// behind the one on its way and handed over with OfferBehind, not Offer,
// so that the sender sends it only after that one.
func TestAnswerClaimedBehindIsOfferedBehind(t *testing.T) {
	var (
		mu                    sync.Mutex
		offered, behind, held []string
		sending               bool
	)
	texts := func(msgs []sigap.OutboundMessage) (out []string) {
		for _, m := range msgs {
			out = append(out, m.Reply.Text)
		}
		return out
	}
	ob := &fakeOutbox{
		offer:       func(c []sigap.OutboundMessage) { mu.Lock(); defer mu.Unlock(); offered = append(offered, texts(c)...) },
		offerBehind: func(c []sigap.OutboundMessage) { mu.Lock(); defer mu.Unlock(); behind = append(behind, texts(c)...) },
		queued:      func(q []sigap.OutboundMessage) { mu.Lock(); defer mu.Unlock(); held = append(held, texts(q)...) },
		sending:     func(string, string) bool { mu.Lock(); defer mu.Unlock(); return sending },
	}
	_, p, _ := hoSetup(t, &failOnceBot{}, func(o *gateway.Options) { o.Outbox, o.OutboxLease = ob, time.Minute })
	ctx := context.Background()
	save := func(text string) {
		t.Helper()
		if added, err := p.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{hoMsg("628333", text)}}); err != nil || added != 1 {
			t.Fatalf("SaveDelivery = %d, %v; want 1 added", added, err)
		}
	}
	save("satu") // claimed and offered; the fake sends nothing, so it stays claimed
	mu.Lock()
	sending = true
	mu.Unlock()
	save("dua")
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(offered, []string{"ok: satu"}) || !slices.Equal(behind, []string{"ok: dua"}) || len(held) != 0 {
		t.Errorf("offered %q, offered behind %q, queued %q; want satu offered, dua offered behind it", offered, behind, held)
	}
}

// TestSaveDeliveryAnswersOnArrival: a message whose sender has nothing
// waiting is answered within SaveDelivery, before it returns and with no
// worker running: its reply stored and handed over claimed, the sender asked
// whether it is sending to them, and the read receipt asked for once. A turn that fails on
// arrival leaves the message to a worker, and the sender's next message
// waits behind it.
func TestSaveDeliveryAnswersOnArrival(t *testing.T) {
	bot := &failOnceBot{fail: "wamid.gagal"}
	var (
		mu                        sync.Mutex
		claimed                   []sigap.OutboundMessage
		expected, received, queue []string
	)
	ob := &fakeOutbox{
		offer: func(c []sigap.OutboundMessage) {
			mu.Lock()
			defer mu.Unlock()
			claimed = append(claimed, c...)
		},
		queued: func(q []sigap.OutboundMessage) {
			mu.Lock()
			defer mu.Unlock()
			for _, m := range q {
				queue = append(queue, m.Reply.Text)
			}
		},
		sending: func(office, to string) bool {
			mu.Lock()
			defer mu.Unlock()
			expected = append(expected, office+"/"+to)
			return false
		},
	}
	s, p, _ := hoSetup(t, bot, func(o *gateway.Options) {
		o.Outbox, o.OutboxLease = ob, time.Minute
		o.MarkRead = true
		o.Channels = func(string) (sigap.Channel, bool) {
			return readChannel(func(m sigap.InboundMessage) {
				mu.Lock()
				defer mu.Unlock()
				received = append(received, m.ID)
			}), true
		}
	})
	ctx := context.Background()
	if added, err := p.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{hoMsg("628111", "halo")}}); err != nil || added != 1 {
		t.Fatalf("SaveDelivery = %d, %v; want 1 added", added, err)
	}
	// No Run: it was answered in the call.
	if n := hoPending(t, s); n != 0 {
		t.Errorf("%d messages pending after SaveDelivery; want it answered", n)
	}
	out := hoOutbox(t, s)
	mu.Lock()
	if len(out) != 1 || out[0].Reply.Text != "ok: halo" || len(claimed) != 1 || claimed[0].ID != out[0].ID || len(queue) != 0 {
		t.Errorf("outbox %+v, handed over claimed %+v, queued %q; want its one reply, claimed", out, claimed, queue)
	}
	if want := []string{"jakpus/628111"}; !slices.Equal(expected, want) {
		t.Errorf("Sending asked about %q, want %q", expected, want)
	}
	mu.Unlock()
	hoWaitFor(t, "the read receipt", func() bool { mu.Lock(); defer mu.Unlock(); return len(received) > 0 })
	mu.Lock()
	if want := []string{"wamid.halo"}; !slices.Equal(received, want) {
		t.Errorf("marked read %q, want %q", received, want)
	}
	mu.Unlock()
	if ids := s.claimedByClaimInbound(); len(ids) != 0 {
		t.Errorf("ClaimInbound handed out %q", ids)
	}

	// The bot fails on arrival: the message waits, and a worker answers it.
	if added, err := p.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{hoMsg("628222", "gagal")}}); err != nil || added != 1 {
		t.Fatalf("SaveDelivery = %d, %v; want 1 added", added, err)
	}
	if n := hoPending(t, s); n != 1 {
		t.Errorf("%d messages pending after a failed turn on arrival; want 1", n)
	}
	// The sender's next message waits behind it, not worked out on
	// arrival from the state before it.
	if added, err := p.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{hoMsg("628222", "lagi")}}); err != nil || added != 1 {
		t.Fatalf("SaveDelivery = %d, %v; want 1 added", added, err)
	}
	for _, m := range bot.handled() {
		if m.ID == "wamid.lagi" {
			t.Error("a message behind one waiting was answered on arrival")
		}
	}
	stop := hoRun(t, p)
	hoWaitFor(t, "the replies to the waiting ones", func() bool { return len(hoOutbox(t, s)) >= 3 && hoPending(t, s) == 0 })
	stop()
	if got := hoByRecipient(hoOutbox(t, s))["628222"]; !slices.Equal(got, []string{"ok: gagal", "ok: lagi"}) {
		t.Errorf("replies to 628222: %q, want the workers' two, in order", got)
	}
}

// failOnceBot is hoBot failing the first turn of one message.
type failOnceBot struct {
	hoBot
	fail   string
	failed bool
}

func (b *failOnceBot) Handle(ctx context.Context, o sigap.Office, conv sigap.Conversation, m sigap.InboundMessage) ([]sigap.Reply, sigap.Conversation, error) {
	b.mu.Lock()
	fail := m.ID == b.fail && !b.failed
	b.failed = b.failed || fail
	b.mu.Unlock()
	if fail {
		return nil, conv, errors.New("bot down for a moment")
	}
	return b.hoBot.Handle(ctx, o, conv, m)
}
