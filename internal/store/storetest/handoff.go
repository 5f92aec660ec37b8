package storetest

// Claim on write: the fast paths that store work and claim it in the same
// transaction, so that the process that stored it goes straight on with it
// (sigap.AnswerOnArrival, ClaimNextInbound, ClaimNextOutbound), and what
// the plain claimers (ClaimInbound, ClaimOutbound) see of it.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sigap-id/sigap"
)

// The fast paths are optional (see sigap.AnswerOnArrival): a test of one
// asks the store whether it offers it, and is skipped where it does not.

func offersArrival(t *testing.T, s sigap.Store) sigap.AnswerOnArrival {
	t.Helper()
	a, ok := s.(sigap.AnswerOnArrival)
	if !ok {
		t.Skip("the store does not answer on arrival (sigap.AnswerOnArrival)")
	}
	return a
}

func offersNextInbound(t *testing.T, s sigap.Store) sigap.ClaimNextInbound {
	t.Helper()
	c, ok := s.(sigap.ClaimNextInbound)
	if !ok {
		t.Skip("the store does not claim on completing (sigap.ClaimNextInbound)")
	}
	return c
}

func offersNextOutbound(t *testing.T, s sigap.Store) sigap.ClaimNextOutbound {
	t.Helper()
	c, ok := s.(sigap.ClaimNextOutbound)
	if !ok {
		t.Skip("the store does not claim on marking sent (sigap.ClaimNextOutbound)")
	}
	return c
}

// giveBack returns a claimed reply to the outbox unsent: with Release where
// the store offers it, with MarkRetry otherwise.
func giveBack(ctx context.Context, s sigap.Store, m sigap.OutboundMessage) error {
	if r, ok := s.(sigap.ReleaseOutbound); ok {
		return r.Release(ctx, m)
	}
	return s.MarkRetry(ctx, m.ID, "", time.Now())
}

func inboundIDs(ms []sigap.InboundMessage) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

func outboundIDs(ms []sigap.OutboundMessage) []int64 {
	out := []int64{}
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

// attempt returns ms, each on attempt n.
func attempt(n int, ms ...sigap.InboundMessage) []sigap.InboundMessage {
	out := make([]sigap.InboundMessage, len(ms))
	for i, m := range ms {
		m.Attempts = n
		out[i] = m
	}
	return out
}

func reply(to, inReplyTo, text string) sigap.OutboundMessage {
	return sigap.OutboundMessage{Office: "jakpus", To: to, InReplyTo: inReplyTo, Reply: sigap.Reply{Text: text}}
}

func conv(user string) sigap.Conversation {
	return sigap.Conversation{Office: "jakpus", User: user}
}

// deliver stores messages with SaveDelivery, claiming nothing.
func deliver(t *testing.T, s sigap.Store, ms ...sigap.InboundMessage) {
	t.Helper()
	if _, err := s.SaveDelivery(context.Background(), sigap.Delivery{Messages: ms}); err != nil {
		t.Fatal(err)
	}
}

// claimInbound claims at now for a minute and checks that exactly want
// (by ID) was claimed.
func claimInbound(t *testing.T, s sigap.Store, now time.Time, want ...string) []sigap.InboundMessage {
	t.Helper()
	got, err := s.ClaimInbound(context.Background(), now, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if want == nil {
		want = []string{}
	}
	if diff := cmp.Diff(want, inboundIDs(got)); diff != "" {
		t.Fatalf("ClaimInbound at %v (-want +got):\n%s", now.Sub(t0), diff)
	}
	return got
}

// claimOutbound claims at now for a minute and checks that exactly want
// (by ID) was claimed.
func claimOutbound(t *testing.T, s sigap.Store, now time.Time, limit int, want ...int64) []sigap.OutboundMessage {
	t.Helper()
	got, err := s.ClaimOutbound(context.Background(), now, time.Minute, limit)
	if err != nil {
		t.Fatal(err)
	}
	if want == nil {
		want = []int64{}
	}
	if diff := cmp.Diff(want, outboundIDs(got)); diff != "" {
		t.Fatalf("ClaimOutbound (-want +got):\n%s", diff)
	}
	return got
}

// testSaveDeliveryClaiming: a delivery claims each new message whose sender
// has nothing earlier waiting, and only those; ClaimInbound leaves them be
// until their lease runs out.
func testSaveDeliveryClaiming(t *testing.T, s sigap.Store) {
	arrival := offersArrival(t, s)
	ctx := context.Background()
	claims := arrival.ClaimsUnanswered()
	lease := sigap.Claim{Now: t0, InboxLease: time.Minute}
	a1, b1, a2 := msg("a1", "62811", "halo"), msg("b1", "62822", "menu"), msg("a2", "62811", "#bayar")
	c1, a3, d1 := msg("c1", "62833", "x"), msg("a3", "62811", "y"), msg("d1", "62844", "z")
	steps := []struct {
		name  string
		msgs  []sigap.InboundMessage
		claim sigap.Claim
		added int
		// want is what a store that ClaimsUnanswered claims.
		want []sigap.InboundMessage
	}{
		{"two senders, one twice", []sigap.InboundMessage{a1, b1, a2}, lease, 3, attempt(1, a1, b1)},
		{"redelivery", []sigap.InboundMessage{a1, b1, a2}, lease, 0, nil},
		{"one message, sender idle", []sigap.InboundMessage{c1}, lease, 1, attempt(1, c1)},
		{"one message, sender waiting", []sigap.InboundMessage{a3}, lease, 1, nil},
		{"redelivery of a claimed one with a new one", []sigap.InboundMessage{c1, a3}, lease, 0, nil},
		{"zero lease", []sigap.InboundMessage{d1}, sigap.Claim{Now: t0}, 1, nil},
	}
	var claimed []sigap.InboundMessage
	for _, st := range steps {
		saved, err := arrival.SaveDeliveryClaiming(ctx, sigap.Delivery{Messages: st.msgs}, nil, st.claim)
		added, got := saved.Added, saved.Claimed
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if added != st.added {
			t.Errorf("%s: added %d, want %d", st.name, added, st.added)
		}
		// A store that does not say it claims unanswered messages claims
		// none; one that does claims exactly these.
		if !claims {
			st.want = nil
		}
		if diff := cmp.Diff(st.want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: claimed (-want +got):\n%s", st.name, diff)
		}
		claimed = append(claimed, got...)
	}
	// Each sender's oldest message is offered, except those claimed above.
	taken := map[string]bool{}
	for _, m := range claimed {
		taken[m.ID] = true
	}
	var want []string
	for _, id := range []string{"a1", "b1", "c1", "d1"} {
		if !taken[id] {
			want = append(want, id)
		}
	}
	claimInbound(t, s, t0, want...)
	claimInbound(t, s, t0.Add(30*time.Second))
	// The claimers died: every claim ran out, and each message is offered
	// again, on its second attempt.
	again := claimInbound(t, s, t0.Add(2*time.Minute), "a1", "b1", "c1", "d1")
	takenOver := attempt(2, a1, b1, c1, d1)
	for i := range takenOver {
		takenOver[i].TakenOver, takenOver[i].TakenFrom = true, holderOf(s)
	}
	if diff := cmp.Diff(takenOver, again); diff != "" {
		t.Errorf("after the leases (-want +got):\n%s", diff)
	}
}

// testCompleteInboundOnce: a message is completed once; a second completion,
// say by a worker whose lease ran out, fails with ErrNotPending and stores
// nothing.
func testCompleteInboundOnce(t *testing.T, s sigap.Store) {
	inbound := offersNextInbound(t, s)
	ctx := context.Background()
	deliver(t, s, msg("a1", "62811", "halo"), msg("a2", "62811", "menu"))
	claimInbound(t, s, t0, "a1")
	// Worker A stalls; its lease runs out and B takes a1 over.
	claimInbound(t, s, t0.Add(2*time.Minute), "a1")
	c := conv("62811")
	c.Lang = "id"
	done, err := inbound.CompleteInboundClaiming(ctx, "a1", c, []sigap.OutboundMessage{reply("62811", "a1", "first")},
		sigap.Claim{Now: t0.Add(2 * time.Minute), InboxLease: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if done.Next == nil || done.Next.ID != "a2" {
		t.Fatalf("B's completion: next %+v, want a2", done.Next)
	}
	// A comes back, with other replies and another conversation.
	c.Lang = "en"
	err = s.CompleteInbound(ctx, "a1", c, []sigap.OutboundMessage{reply("62811", "a1", "second"), reply("62811", "a1", "third")})
	if !errors.Is(err, sigap.ErrNotPending) {
		t.Errorf("second CompleteInbound: err = %v, want ErrNotPending", err)
	}
	got, err := inbound.CompleteInboundClaiming(ctx, "a1", c, []sigap.OutboundMessage{reply("62811", "a1", "fourth")},
		sigap.Claim{Now: t0.Add(150 * time.Second), InboxLease: time.Minute, OutboxLease: time.Minute})
	if !errors.Is(err, sigap.ErrNotPending) {
		t.Errorf("third completion, claiming: err = %v, want ErrNotPending", err)
	}
	if diff := cmp.Diff(sigap.Completed{}, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("failed completion claimed (-want +got):\n%s", diff)
	}
	list, err := s.(outboxLister).Outbound(ctx, "jakpus", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Reply.Text != "first" {
		t.Errorf("outbox after completing twice: %+v, want the first completion's reply only", list)
	}
	if stored, _ := s.Conversation(ctx, "jakpus", "62811"); stored.Lang != "id" {
		t.Errorf("a failed completion saved its conversation: lang %q, want id", stored.Lang)
	}
	// a2 is still B's: the failed completion did not take it.
	claimInbound(t, s, t0.Add(150*time.Second))

	// Completed at once by many: one wins, the rest are told.
	deliver(t, s, msg("b1", "62822", "x"))
	claimInbound(t, s, t0.Add(4*time.Minute), "a2", "b1")
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		ok, lost int
	)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.CompleteInbound(ctx, "b1", conv("62822"), []sigap.OutboundMessage{reply("62822", "b1", fmt.Sprint("r", i))})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, sigap.ErrNotPending):
				lost++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok != 1 || lost != 7 {
		t.Errorf("8 concurrent completions: %d succeeded, %d not pending; want 1 and 7", ok, lost)
	}
	list, err = s.(outboxLister).Outbound(ctx, "jakpus", 20)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range list {
		if m.To == "62822" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("8 concurrent completions stored %d replies, want 1", n)
	}
}

// testCompleteInboundClaimsReplies: replies to a recipient with nothing
// waiting are claimed with the completion, and not offered to ClaimOutbound
// until their lease runs out.
func testCompleteInboundClaimsReplies(t *testing.T, s sigap.Store) {
	inbound := offersNextInbound(t, s)
	ctx := context.Background()
	deliver(t, s, msg("a1", "62811", "halo"), msg("b1", "62822", "x"))
	claimInbound(t, s, t0, "a1", "b1")
	replies := []sigap.OutboundMessage{reply("62811", "a1", "one"), reply("62811", "a1", "two")}
	replies[1].WindowEndsAt = t0.Add(sigap.CustomerServiceWindow)
	now := time.Now()
	before := now.Add(-time.Second)
	done, err := inbound.CompleteInboundClaiming(ctx, "a1", conv("62811"), replies, sigap.Claim{Now: now, OutboxLease: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if done.Queued || done.Next != nil || len(done.Replies) != 2 {
		t.Fatalf("completed = %+v; want 2 replies claimed", done)
	}
	leaseEnds := time.UnixMilli(now.Add(time.Minute).UnixMilli()).UTC()
	for i, got := range done.Replies {
		want := replies[i]
		want.ID, want.State, want.Attempts, want.LeaseEnds = got.ID, sigap.OutboundPending, 1, leaseEnds
		want.CreatedAt, want.NextAttemptAt = got.CreatedAt, got.NextAttemptAt
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("reply %d (-want +got):\n%s", i, diff)
		}
		if got.ID == 0 || (i > 0 && got.ID <= done.Replies[i-1].ID) {
			t.Errorf("reply %d: id %d, want ids given in order", i, got.ID)
		}
		if got.CreatedAt.Before(before) || got.CreatedAt.After(time.Now().Add(time.Second)) {
			t.Errorf("reply %d: created at %v, want about %v", i, got.CreatedAt, now)
		}
	}
	// A message without replies claims none, and queues none.
	got, err := inbound.CompleteInboundClaiming(ctx, "b1", conv("62822"), nil, sigap.Claim{Now: now, OutboxLease: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sigap.Completed{}, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("completing without replies (-want +got):\n%s", diff)
	}
	claimOutbound(t, s, time.Now().Add(time.Second), 10)
	// The sender died: once the lease is over, they are offered again, in
	// doubt.
	again := claimOutbound(t, s, now.Add(2*time.Minute), 10, done.Replies[0].ID) // the second waits behind it
	for _, m := range again {
		if m.Attempts != 2 || m.Doubtful != 1 {
			t.Errorf("reply %d after the lease: attempt %d, doubtful %d; want 2 and 1", m.ID, m.Attempts, m.Doubtful)
		}
	}
}

// testCompleteInboundQueuesReplies: replies wait, unclaimed, behind an
// earlier reply to the same recipient, or when no lease is asked for.
func testCompleteInboundQueuesReplies(t *testing.T, s sigap.Store) {
	inbound := offersNextInbound(t, s)
	ctx := context.Background()
	deliver(t, s, msg("a1", "62811", "halo"), msg("b1", "62822", "x"), msg("c1", "62833", "y"))
	claimInbound(t, s, t0, "a1", "b1", "c1")
	if err := s.CompleteInbound(ctx, "a1", conv("62811"), []sigap.OutboundMessage{reply("62811", "a1", "one")}); err != nil {
		t.Fatal(err)
	}
	deliver(t, s, msg("a2", "62811", "menu"))
	claimInbound(t, s, t0, "a2")
	lease := sigap.Claim{Now: time.Now(), OutboxLease: time.Minute}
	steps := []struct {
		name    string
		id      string
		replies []sigap.OutboundMessage
		claim   sigap.Claim
		queued  bool
		claimed int
	}{
		{"behind an earlier reply", "a2", []sigap.OutboundMessage{reply("62811", "a2", "two")}, lease, true, 0},
		{"no lease", "b1", []sigap.OutboundMessage{reply("62822", "b1", "three")},
			sigap.Claim{Now: time.Now(), InboxLease: time.Minute}, true, 0},
		{"others' replies waiting", "c1", []sigap.OutboundMessage{reply("62833", "c1", "four")}, lease, false, 1},
	}
	for _, st := range steps {
		got, err := inbound.CompleteInboundClaiming(ctx, st.id, conv(st.replies[0].To), st.replies, st.claim)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got.Queued != st.queued || len(got.Replies) != st.claimed {
			t.Errorf("%s: queued %v with %d replies claimed, want %v with %d", st.name, got.Queued, len(got.Replies), st.queued, st.claimed)
		}
	}
	// Claimed oldest first per recipient: "two" only once "one" is sent.
	var texts []string
	for range 3 {
		out, err := s.ClaimOutbound(ctx, time.Now().Add(time.Second), time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		var round []string
		for _, m := range out {
			round = append(round, m.Reply.Text)
			if m.Attempts != 1 {
				t.Errorf("queued reply %q on attempt %d, want 1", m.Reply.Text, m.Attempts)
			}
			if err := s.MarkSent(ctx, m.ID, fmt.Sprint("wamid.out.", m.ID), time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		texts = append(texts, strings.Join(round, "+"))
	}
	if diff := cmp.Diff([]string{"one+three", "two", ""}, texts); diff != "" {
		t.Errorf("queued replies claimed in rounds (-want +got):\n%s", diff)
	}
	// Once the earlier replies are sent, the recipient's next ones are
	// claimed with their completion.
	deliver(t, s, msg("a3", "62811", "lagi"))
	claimInbound(t, s, t0, "a3")
	got, err := inbound.CompleteInboundClaiming(ctx, "a3", conv("62811"), []sigap.OutboundMessage{reply("62811", "a3", "five")},
		sigap.Claim{Now: time.Now(), OutboxLease: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if got.Queued || len(got.Replies) != 1 || got.Replies[0].Reply.Text != "five" {
		t.Errorf("after the earlier replies were sent: %+v, want five claimed", got)
	}
}

// testCompleteInboundClaimsNext: completing a message claims the sender's
// next one, which ClaimInbound then leaves be.
func testCompleteInboundClaimsNext(t *testing.T, s sigap.Store) {
	inbound := offersNextInbound(t, s)
	ctx := context.Background()
	a1, a2, b1, b2 := msg("a1", "62811", "halo"), msg("a2", "62811", "menu"), msg("b1", "62822", "x"), msg("b2", "62822", "y")
	deliver(t, s, a1, b1, a2, b2)
	claimInbound(t, s, t0, "a1", "b1")
	lease := sigap.Claim{Now: t0, InboxLease: time.Minute}
	done, err := inbound.CompleteInboundClaiming(ctx, "a1", conv("62811"), nil, lease)
	if err != nil {
		t.Fatal(err)
	}
	want := attempt(1, a2)[0]
	if diff := cmp.Diff(sigap.Completed{Next: &want}, done, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("completing a1 (-want +got):\n%s", diff)
	}
	claimInbound(t, s, t0.Add(30*time.Second))
	// No message of theirs is left; b2 is another sender's.
	if done, err := inbound.CompleteInboundClaiming(ctx, "a2", conv("62811"), nil, lease); err != nil || done.Next != nil {
		t.Errorf("completing a2: next %+v, %v; want none", done.Next, err)
	}
	// A zero lease claims nothing: b2 is left for ClaimInbound.
	if done, err := inbound.CompleteInboundClaiming(ctx, "b1", conv("62822"), nil, sigap.Claim{Now: t0, OutboxLease: time.Minute}); err != nil || done.Next != nil {
		t.Errorf("completing b1 without an inbox lease: next %+v, %v; want none", done.Next, err)
	}
	claimInbound(t, s, t0.Add(30*time.Second), "b2")
}

// testCompleteInboundLeavesClaimedNext: the sender's next message, when
// someone else holds it, is not taken; once their lease ran out, it is.
//
// The queue only ever claims a sender's oldest waiting message, so without
// a race between replicas the next message is someone else's only when
// messages are completed out of order, as here: a2 is claimed by another
// worker while a3 and a4 are completed.
func testCompleteInboundLeavesClaimedNext(t *testing.T, s sigap.Store) {
	inbound := offersNextInbound(t, s)
	ctx := context.Background()
	a2 := msg("a2", "62811", "2")
	deliver(t, s, msg("a1", "62811", "1"), a2, msg("a3", "62811", "3"), msg("a4", "62811", "4"))
	claimInbound(t, s, t0, "a1")
	if err := s.CompleteInbound(ctx, "a1", conv("62811"), nil); err != nil {
		t.Fatal(err)
	}
	claimInbound(t, s, t0, "a2") // until t0+1m
	done, err := inbound.CompleteInboundClaiming(ctx, "a3", conv("62811"), nil, sigap.Claim{Now: t0.Add(30 * time.Second), InboxLease: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if done.Next != nil {
		t.Errorf("next %+v while another worker holds a2, want none", done.Next)
	}
	done, err = inbound.CompleteInboundClaiming(ctx, "a4", conv("62811"), nil, sigap.Claim{Now: t0.Add(2 * time.Minute), InboxLease: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	want := attempt(2, a2)[0]
	want.TakenOver, want.TakenFrom = true, holderOf(s) // from the other worker, whose lease ran out
	if diff := cmp.Diff(&want, done.Next); diff != "" {
		t.Errorf("next after the other worker's lease ran out (-want +got):\n%s", diff)
	}
	claimInbound(t, s, t0.Add(2*time.Minute))
}

// queueReplies stores replies as the outcome of one message, unclaimed,
// and returns them with their IDs (from the outbox, oldest first).
func queueReplies(t *testing.T, s sigap.Store, replies ...sigap.OutboundMessage) []sigap.OutboundMessage {
	t.Helper()
	ctx := context.Background()
	deliver(t, s, msg("a1", "62811", "halo"))
	claimInbound(t, s, t0, "a1")
	if err := s.CompleteInbound(ctx, "a1", conv("62811"), replies); err != nil {
		t.Fatal(err)
	}
	list, err := s.(outboxLister).Outbound(ctx, "", 10)
	if err != nil || len(list) != len(replies) {
		t.Fatalf("outbox: %+v, %v; want %d replies", list, err, len(replies))
	}
	return list
}

// testMarkSentClaimNext: sending a reply claims the recipient's next one.
func testMarkSentClaimNext(t *testing.T, s sigap.Store) {
	outbound := offersNextOutbound(t, s)
	ctx := context.Background()
	queued := queueReplies(t, s, reply("62811", "a1", "one"), reply("62811", "a1", "two"))
	first := claimOutbound(t, s, time.Now().Add(time.Second), 1, queued[0].ID)[0]
	next, err := outbound.MarkSentClaimNext(ctx, first, "wamid.out.1", time.Now(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if next == nil {
		t.Fatal("MarkSentClaimNext: no next reply, want two")
	}
	if next.ID != queued[1].ID || next.Reply.Text != "two" || next.To != "62811" || next.Office != "jakpus" ||
		next.State != sigap.OutboundPending || next.Attempts != 1 || next.Doubtful != 0 || next.InReplyTo != "a1" {
		t.Errorf("next = %+v, want reply two on attempt 1", next)
	}
	if d := time.Until(next.LeaseEnds); d < 50*time.Second || d > time.Minute {
		t.Errorf("next lease ends in %v, want about a minute", d)
	}
	claimOutbound(t, s, time.Now().Add(time.Second), 10)
	last, err := outbound.MarkSentClaimNext(ctx, *next, "wamid.out.2", time.Now(), time.Minute)
	if err != nil || last != nil {
		t.Errorf("marking the last reply sent: next %+v, %v; want none", last, err)
	}
	list, err := s.(outboxLister).Outbound(ctx, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list {
		if m.State != sigap.OutboundSent || m.SentID == "" {
			t.Errorf("reply %d: state %s, sent id %q; want sent", m.ID, m.State, m.SentID)
		}
	}
}

// testMarkSentClaimNextSameRecipient: the next reply is the same
// recipient's, at the same office; others' replies are not taken.
func testMarkSentClaimNextSameRecipient(t *testing.T, s sigap.Store) {
	outbound := offersNextOutbound(t, s)
	ctx := context.Background()
	other := reply("62811", "a1", "elsewhere")
	other.Office = "mataram"
	queued := queueReplies(t, s, reply("62811", "a1", "one"), other, reply("62822", "a1", "someone else"))
	first := claimOutbound(t, s, time.Now().Add(time.Second), 1, queued[0].ID)[0]
	next, err := outbound.MarkSentClaimNext(ctx, first, "wamid.out.1", time.Now(), time.Minute)
	if err != nil || next != nil {
		t.Errorf("next %+v, %v; want none: the replies waiting are others'", next, err)
	}
	claimOutbound(t, s, time.Now().Add(time.Second), 10, queued[1].ID, queued[2].ID)
}

// testMarkSentClaimNextHeldElsewhere: only a recipient's oldest pending
// reply can be claimed, so the next one waits, unclaimed, while the first
// is held (by a sender that may have died), and goes to whoever marks the
// first sent.
func testMarkSentClaimNextHeldElsewhere(t *testing.T, s sigap.Store) {
	outbound := offersNextOutbound(t, s)
	ctx := context.Background()
	queued := queueReplies(t, s, reply("62811", "a1", "one"), reply("62811", "a1", "two"))
	claimOutbound(t, s, time.Now().Add(time.Second), 10, queued[0].ID)
	claimOutbound(t, s, time.Now().Add(time.Second), 10)
	// The first sender died: after its lease the first reply is offered
	// again, in doubt; the second still waits behind it.
	again := claimOutbound(t, s, time.Now().Add(2*time.Minute), 10, queued[0].ID)
	if again[0].Attempts != 2 || again[0].Doubtful != 1 {
		t.Errorf("after the lease: attempt %d, doubtful %d; want 2, 1", again[0].Attempts, again[0].Doubtful)
	}
	next, err := outbound.MarkSentClaimNext(ctx, again[0], "wamid.out.1", time.Now(), time.Minute)
	if err != nil || next == nil || next.ID != queued[1].ID || next.Attempts != 1 {
		t.Errorf("next %+v, %v; want two, on its first attempt", next, err)
	}
}

// testMarkSentClaimNextNotDue: a next reply waiting to be retried is not
// taken before its time.
func testMarkSentClaimNextNotDue(t *testing.T, s sigap.Store) {
	outbound := offersNextOutbound(t, s)
	ctx := context.Background()
	queued := queueReplies(t, s, reply("62811", "a1", "one"), reply("62811", "a1", "two"))
	got := claimOutbound(t, s, time.Now().Add(time.Second), 10, queued[0].ID)
	// Two is to be retried in an hour (say, its send failed on another
	// replica before one was sent).
	if err := s.MarkRetry(ctx, queued[1].ID, "HTTP 500", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	next, err := outbound.MarkSentClaimNext(ctx, got[0], "wamid.out.1", time.Now(), time.Minute)
	if err != nil || next != nil {
		t.Errorf("next %+v, %v; want none: it is not due", next, err)
	}
	claimOutbound(t, s, time.Now().Add(time.Second), 10)
	claimOutbound(t, s, time.Now().Add(2*time.Hour), 10, queued[1].ID)
}
