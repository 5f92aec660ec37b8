package storetest

// Answers on arrival: SaveDeliveryClaiming storing a message together with
// the answer worked out before it was stored, and the conversation version
// that keeps a turn from being stored over a newer state.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sigap-id/sigap"
)

// answered returns the answer to a message from user: the conversation at
// version with Lang set to lang and n look-ups counted, and one reply.
func answered(user string, version int64, lang string, n int, inReplyTo, text string, at time.Time) *sigap.Answer {
	c := conv(user)
	c.Lang, c.Version = lang, version
	start, _ := sigap.LimitWindow(at, time.Hour)
	c.Lookups = sigap.Tally{Since: start, N: n}
	return &sigap.Answer{Conv: c, Replies: []sigap.OutboundMessage{reply(user, inReplyTo, text)}}
}

// testAnswersOnArrival: a new message whose sender has nothing waiting is
// stored answered, with its conversation (look-ups counted) and claimed
// replies (claimed behind the recipient's replies being sent, if asked); a
// redelivery, a stale answer and a sender with a message waiting store no
// answer, and the message waits to be answered by a worker.
func testAnswersOnArrival(t *testing.T, s sigap.Store) {
	arrival := offersArrival(t, s)
	ctx := context.Background()
	now := time.Now()
	claim := sigap.Claim{Now: now, InboxLease: time.Minute, OutboxLease: time.Minute}
	save := func(m sigap.InboundMessage, a *sigap.Answer) sigap.Saved {
		t.Helper()
		saved, err := arrival.SaveDeliveryClaiming(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{m}}, []*sigap.Answer{a}, claim)
		if err != nil {
			t.Fatalf("%s: %v", m.ID, err)
		}
		return saved
	}
	stored := func(user string) sigap.Conversation {
		t.Helper()
		c, err := s.Conversation(ctx, "jakpus", user)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	hits := func(user string) int {
		t.Helper()
		return stored(user).Lookups.In(now, time.Hour)
	}

	// The sender is idle: answered, in one step.
	a1 := msg("a1", "62811", "halo")
	saved := save(a1, answered("62811", 0, "en", 1, "a1", "hello", now))
	if saved.Added != 1 || len(saved.Claimed) != 0 || len(saved.Queued) != 0 {
		t.Fatalf("a1: saved %+v; want it added and answered", saved)
	}
	if diff := cmp.Diff(attempt(1, a1), saved.Answered); diff != "" {
		t.Errorf("a1 answered (-want +got):\n%s", diff)
	}
	if len(saved.Replies) != 1 || saved.Replies[0].ID == 0 || saved.Replies[0].Reply.Text != "hello" ||
		saved.Replies[0].Attempts != 1 || saved.Replies[0].LeaseEnds.IsZero() {
		t.Fatalf("a1: replies %+v; want its one reply, stored and claimed", saved.Replies)
	}
	if c := stored("62811"); c.Lang != "en" || c.Version != 1 {
		t.Errorf("conversation after a1: lang %q, version %d; want en, 1", c.Lang, c.Version)
	}
	if n := hits("62811"); n != 1 {
		t.Errorf("look-ups counted after a1: %d, want 1", n)
	}
	claimInbound(t, s, now.Add(time.Hour))                               // answered: nothing to claim
	claimOutbound(t, s, now.Add(time.Second), 10)                        // its reply is the caller's
	claimOutbound(t, s, now.Add(2*time.Minute), 10, saved.Replies[0].ID) // until its claim runs out
	// a1Only checks that 62811's conversation is still a1's.
	a1Only := func(after string) {
		t.Helper()
		if c := stored("62811"); c.Lang != "en" || c.Version != 1 || hits("62811") != 1 {
			t.Errorf("conversation after %s: lang %q, version %d, %d look-ups; want a1's: en, 1, 1", after, c.Lang, c.Version, hits("62811"))
		}
	}

	// A redelivery stores nothing of its answer.
	if saved := save(a1, answered("62811", 1, "id", 2, "a1", "lagi", now)); saved.Added != 0 || len(saved.Answered) != 0 || len(saved.Replies) != 0 {
		t.Errorf("redelivered a1: saved %+v; want nothing", saved)
	}
	a1Only("a redelivery")

	// Worked out from the state before a1 (version 0): stored unanswered,
	// claimed where the store claims on save; nothing of its answer kept.
	a2 := msg("a2", "62811", "#bayar")
	saved = save(a2, answered("62811", 0, "id", 1, "a2", "stale", now))
	if saved.Added != 1 || len(saved.Answered) != 0 || len(saved.Replies) != 0 || len(saved.Queued) != 0 {
		t.Fatalf("stale a2: saved %+v; want it added, unanswered", saved)
	}
	if arrival.ClaimsUnanswered() {
		if diff := cmp.Diff(attempt(1, a2), saved.Claimed, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("stale a2 claimed (-want +got):\n%s", diff)
		}
	}
	a1Only("a stale answer")

	// a2 waits: a3's answer, from the current state, is not stored before it.
	a3 := msg("a3", "62811", "menu")
	saved = save(a3, answered("62811", 1, "id", 2, "a3", "too early", now))
	if saved.Added != 1 || len(saved.Answered) != 0 || len(saved.Claimed) != 0 || len(saved.Replies) != 0 {
		t.Fatalf("a3 behind a2: saved %+v; want it added, unanswered, unclaimed", saved)
	}
	if c := stored("62811"); c.Version != 1 {
		t.Errorf("conversation after a3: version %d, want 1", c.Version)
	}
	got := claimInbound(t, s, now.Add(2*time.Minute), "a2") // a3 behind it

	// Completing with a state worked out from another version fails and
	// changes nothing; from the stored one, it succeeds.
	stale := conv("62811")
	stale.Version, stale.Lang = 7, "id"
	if err := s.CompleteInbound(ctx, got[0].ID, stale, []sigap.OutboundMessage{reply("62811", "a2", "x")}); !errors.Is(err, sigap.ErrStale) {
		t.Fatalf("completing a2 from version 7: %v, want ErrStale", err)
	}
	if c := stored("62811"); c.Lang != "en" || c.Version != 1 {
		t.Errorf("conversation after a stale completion: lang %q, version %d; want en, 1", c.Lang, c.Version)
	}
	fresh := stored("62811")
	fresh.Lang = "id"
	if err := s.CompleteInbound(ctx, got[0].ID, fresh, nil); err != nil {
		t.Fatalf("completing a2 from version 1: %v", err)
	}
	if c := stored("62811"); c.Lang != "id" || c.Version != 2 {
		t.Errorf("conversation after a2: lang %q, version %d; want id, 2", c.Lang, c.Version)
	}
	claimInbound(t, s, now.Add(4*time.Minute), "a3")

	// A reply behind an earlier one to the same recipient is stored
	// unclaimed, for the sender to claim after it.
	b1 := msg("b1", "62822", "halo")
	saved = save(b1, answered("62822", 0, "en", 1, "b1", "first", now))
	if len(saved.Answered) != 1 || len(saved.Replies) != 1 {
		t.Fatalf("b1: saved %+v; want it answered, its reply claimed", saved)
	}
	b2 := msg("b2", "62822", "lagi")
	saved = save(b2, answered("62822", 1, "en", 2, "b2", "second", now))
	if len(saved.Answered) != 1 || len(saved.Replies) != 0 || len(saved.Queued) != 1 || saved.Queued[0].Reply.Text != "second" {
		t.Fatalf("b2: saved %+v; want it answered, its reply queued", saved)
	}
	if c := stored("62822"); c.Version != 2 || hits("62822") != 2 {
		t.Errorf("conversation after b2: version %d, %d look-ups; want 2, 2", c.Version, hits("62822"))
	}

	// Behind the replies being sent (claimed), a caller sending them may
	// claim the next one behind them; not behind one waiting unclaimed.
	behind := func(a *sigap.Answer) *sigap.Answer { a.Behind = true; return a }
	saved = save(msg("b3", "62822", "lagi"), behind(answered("62822", 2, "en", 3, "b3", "third", now)))
	if len(saved.Answered) != 1 || len(saved.Replies) != 0 || len(saved.Behind) != 0 || len(saved.Queued) != 1 {
		t.Fatalf("b3 behind b2's unclaimed reply: saved %+v; want it answered, its reply queued", saved)
	}
	saved = save(msg("c1", "62833", "halo"), answered("62833", 0, "en", 1, "c1", "first", now))
	if len(saved.Replies) != 1 || len(saved.Behind) != 0 {
		t.Fatalf("c1: saved %+v; want its reply claimed, not behind anything", saved)
	}
	saved = save(msg("c2", "62833", "lagi"), behind(answered("62833", 1, "en", 2, "c2", "second", now)))
	if len(saved.Answered) != 1 || len(saved.Replies) != 0 || len(saved.Behind) != 1 || saved.Behind[0].Attempts != 1 {
		t.Fatalf("c2 behind c1's reply being sent: saved %+v; want its reply claimed behind it", saved)
	}

	// Several replies are stored in their order.
	e1 := answered("62855", 0, "en", 1, "e1", "first", now)
	e1.Replies = append(e1.Replies, reply("62855", "e1", "second"), reply("62855", "e1", "third"))
	saved = save(msg("e1", "62855", "halo"), e1)
	var texts []string
	for i, r := range saved.Replies {
		texts = append(texts, r.Reply.Text)
		if i > 0 && r.ID <= saved.Replies[i-1].ID {
			t.Errorf("e1's replies stored out of order: %+v", saved.Replies)
		}
	}
	if diff := cmp.Diff([]string{"first", "second", "third"}, texts); diff != "" {
		t.Errorf("e1's replies (-want +got):\n%s", diff)
	}
}

// testSenderWaiting: ConversationIfIdle tells whether a sender has a
// message stored and not yet answered, through every way a message is
// stored and answered, and returns the conversation of a sender who has
// not.
func testSenderWaiting(t *testing.T, s sigap.Store) {
	arrival := offersArrival(t, s)
	ctx := context.Background()
	now := time.Now()
	claim := sigap.Claim{Now: now, InboxLease: time.Minute, OutboxLease: time.Minute}
	want := func(step string, waiting map[string]bool) {
		t.Helper()
		for user, w := range waiting {
			c, idle, err := arrival.ConversationIfIdle(ctx, "jakpus", user)
			if err != nil {
				t.Fatal(err)
			}
			if idle == w {
				t.Errorf("%s: ConversationIfIdle(%s) idle = %v, want %v", step, user, idle, !w)
			}
			stored, err := s.Conversation(ctx, "jakpus", user)
			if err != nil {
				t.Fatal(err)
			}
			if !idle {
				stored = sigap.Conversation{}
			}
			if diff := cmp.Diff(stored, c, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s: ConversationIfIdle(%s) (-want +got):\n%s", step, user, diff)
			}
		}
	}
	want("empty", map[string]bool{"62811": false})
	deliver(t, s, msg("a1", "62811", "halo"), msg("a2", "62811", "lagi"))
	want("two stored", map[string]bool{"62811": true, "62822": false})
	got := claimInbound(t, s, now, "a1")
	if err := s.CompleteInbound(ctx, got[0].ID, conv("62811"), nil); err != nil {
		t.Fatal(err)
	}
	want("one answered", map[string]bool{"62811": true})
	got = claimInbound(t, s, now.Add(time.Hour), "a2")
	if err := s.CompleteInbound(ctx, got[0].ID, conv("62811"), nil); err != nil {
		t.Fatal(err)
	}
	want("both answered", map[string]bool{"62811": false})
	// Answered on arrival: nothing waits; a stale answer: it waits.
	if _, err := arrival.SaveDeliveryClaiming(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{msg("b1", "62822", "halo")}},
		[]*sigap.Answer{answered("62822", 0, "en", 1, "b1", "hello", now)}, claim); err != nil {
		t.Fatal(err)
	}
	want("answered on arrival", map[string]bool{"62822": false})
	if _, err := arrival.SaveDeliveryClaiming(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{msg("b2", "62822", "lagi")}},
		[]*sigap.Answer{answered("62822", 0, "en", 1, "b2", "stale", now)}, claim); err != nil {
		t.Fatal(err)
	}
	want("a stale answer", map[string]bool{"62822": true, "62811": false})
}

// testAnswersUnclaimed: with nothing claimed (so no earlier reply being
// sent tells on it), a redelivery, a stale answer and an answer behind a
// waiting message still store nothing of their answer; an answer from the
// current state is stored with its reply queued.
func testAnswersUnclaimed(t *testing.T, s sigap.Store) {
	arrival := offersArrival(t, s)
	ctx := context.Background()
	now := time.Now()
	save := func(m sigap.InboundMessage, a *sigap.Answer) sigap.Saved {
		t.Helper()
		saved, err := arrival.SaveDeliveryClaiming(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{m}}, []*sigap.Answer{a}, sigap.Claim{Now: now})
		if err != nil {
			t.Fatalf("%s: %v", m.ID, err)
		}
		return saved
	}
	want := func(step string, version int64, lang string) {
		t.Helper()
		c, err := s.Conversation(ctx, "jakpus", "62844")
		if err != nil {
			t.Fatal(err)
		}
		if c.Version != version || c.Lang != lang {
			t.Errorf("after %s: conversation at version %d (%q); want %d (%q)", step, c.Version, c.Lang, version, lang)
		}
	}

	d1 := msg("d1", "62844", "halo")
	saved := save(d1, answered("62844", 0, "en", 1, "d1", "hello", now))
	if saved.Added != 1 || len(saved.Answered) != 1 || len(saved.Replies) != 0 || len(saved.Queued) != 1 {
		t.Fatalf("d1: saved %+v; want it answered, its reply queued", saved)
	}
	want("d1", 1, "en")

	if saved := save(d1, answered("62844", 1, "id", 2, "d1", "lagi", now)); saved.Added != 0 || len(saved.Answered) != 0 || len(saved.Queued) != 0 {
		t.Errorf("redelivered d1: saved %+v; want nothing", saved)
	}
	want("a redelivery", 1, "en")

	saved = save(msg("d2", "62844", "#bayar"), answered("62844", 0, "id", 1, "d2", "stale", now))
	if saved.Added != 1 || len(saved.Answered) != 0 || len(saved.Queued) != 0 {
		t.Errorf("stale d2: saved %+v; want it added, unanswered", saved)
	}
	want("a stale answer", 1, "en")

	saved = save(msg("d3", "62844", "menu"), answered("62844", 1, "id", 2, "d3", "too early", now))
	if saved.Added != 1 || len(saved.Answered) != 0 || len(saved.Queued) != 0 {
		t.Errorf("d3 behind d2: saved %+v; want it added, unanswered", saved)
	}
	want("an answer behind a waiting message", 1, "en")

	// d1's reply is the only one stored.
	out, err := s.ClaimOutbound(ctx, now.Add(time.Second), time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].Reply.Text != "hello" {
		t.Fatalf("replies stored: %+v, want d1's", out)
	}
	if err := s.MarkSent(ctx, out[0].ID, "wamid.d1", now); err != nil {
		t.Fatal(err)
	}
	claimOutbound(t, s, now.Add(2*time.Second), 10)
}

// testAnswersTogether: answers stored at the same moment, by many senders
// at once, while replies are marked sent: first all of them answerable,
// then with a few that cannot be stored answered (a stale conversation, a
// redelivery). Where the store gathers these into one transaction, the few
// must not take the others down with them, nor slip in with them, and
// every mark is stored.
func testAnswersTogether(t *testing.T, s sigap.Store) {
	arrival := offersArrival(t, s)
	lister := outboxListerOf(t, s)
	ctx := context.Background()
	const n = 40 // senders a round
	storeReplies(t, s, "6285", 2*n)
	// After storing: on a loaded machine storing can take seconds, and the
	// claim below must find every reply due.
	now := time.Now()
	sent, err := s.ClaimOutbound(ctx, now.Add(time.Second), time.Minute, 2*n)
	if err != nil || len(sent) != 2*n {
		t.Fatalf("claim: %d, %v; want %d", len(sent), err, 2*n)
	}
	sender := func(i int) string { return fmt.Sprint("62870", i) }
	// The first round's senders can all be answered.
	stale := func(i int) bool { return i >= n && i%5 == 1 }
	redelivered := func(i int) bool { return i >= n && i%7 == 3 }
	save := func(i int, id string, version int64, lang, text string) (sigap.Saved, error) {
		return arrival.SaveDeliveryClaiming(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{msg(id, sender(i), "halo")}},
			[]*sigap.Answer{answered(sender(i), version, lang, 1, id, text, now)}, sigap.Claim{Now: now})
	}
	staleN := 0
	for i := range 2 * n {
		switch {
		case stale(i):
			// Answered once already: the answer below, made from no
			// conversation, is stale.
			staleN++
			if _, err := save(i, fmt.Sprint("wamid.before.", i), 0, "en", "before"); err != nil {
				t.Fatal(err)
			}
		case redelivered(i):
			if _, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{msg(fmt.Sprint("wamid.together.", i), sender(i), "halo")}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	saved := make([]sigap.Saved, 2*n)
	for round := range 2 {
		start := make(chan struct{})
		errs := make([]error, 2*n)
		var wg sync.WaitGroup
		for j := range n {
			i := round*n + j
			wg.Go(func() {
				<-start
				saved[i], errs[j] = save(i, fmt.Sprint("wamid.together.", i), 0, "id", "together")
			})
			wg.Go(func() {
				<-start
				errs[n+j] = s.MarkSent(ctx, sent[i].ID, fmt.Sprint("wamid.sent.", sent[i].Reply.Text), now)
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, call %d: %v", round, i, err)
			}
		}
	}

	wantMarked(t, lister, "6285", 2*n)
	answers := 0
	for i := range 2 * n {
		got := saved[i]
		switch {
		case stale(i):
			if got.Added != 1 || len(got.Answered) != 0 || len(got.Queued) != 0 {
				t.Errorf("sender %d, stale: saved %+v; want the message added, unanswered", i, got)
			}
		case redelivered(i):
			if got.Added != 0 || len(got.Answered) != 0 || len(got.Queued) != 0 {
				t.Errorf("sender %d, redelivered: saved %+v; want nothing", i, got)
			}
		default:
			answers++
			if got.Added != 1 || len(got.Answered) != 1 || len(got.Queued) != 1 {
				t.Errorf("sender %d: saved %+v; want it answered, its reply queued", i, got)
			}
		}
		c, err := s.Conversation(ctx, "jakpus", sender(i))
		if err != nil {
			t.Fatal(err)
		}
		want := sigap.Conversation{Version: 1, Lang: "id"}
		switch {
		case stale(i):
			want.Lang = "en"
		case redelivered(i):
			want = sigap.Conversation{}
		}
		if c.Version != want.Version || c.Lang != want.Lang {
			t.Errorf("sender %d: conversation at version %d (%q); want %d (%q)", i, c.Version, c.Lang, want.Version, want.Lang)
		}
	}
	due, err := s.ClaimOutbound(ctx, now.Add(time.Second), time.Minute, 4*n)
	if err != nil {
		t.Fatal(err)
	}
	texts := map[string]int{}
	for _, m := range due {
		texts[m.Reply.Text]++
	}
	if want := map[string]int{"before": staleN, "together": answers}; !cmp.Equal(texts, want) {
		t.Errorf("replies stored: %v; want %v", texts, want)
	}
}
