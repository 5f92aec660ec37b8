package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
)

// outbound lists the store's outbox, for the engines that can (both can).
type outboxLister interface {
	Outbound(ctx context.Context, office string, limit int) ([]sigap.OutboundMessage, error)
}

func testStatusesAreRanked(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	if _, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{msg("wamid.1", "62811", "halo")}}); err != nil {
		t.Fatal(err)
	}
	reply := sigap.OutboundMessage{Office: "jakpus", To: "62811", Reply: sigap.Reply{Text: "menu"}}
	if err := s.CompleteInbound(ctx, "wamid.1", sigap.Conversation{Office: "jakpus", User: "62811"}, []sigap.OutboundMessage{reply}); err != nil {
		t.Fatal(err)
	}
	out, err := s.ClaimOutbound(ctx, time.Now().Add(time.Second), time.Minute, 10)
	if err != nil || len(out) != 1 {
		t.Fatalf("claim: %v, %v", out, err)
	}
	if err := s.MarkSent(ctx, out[0].ID, "wamid.out.1", time.Now()); err != nil {
		t.Fatal(err)
	}
	// Out of order, and one of them twice: read must win over a late delivered.
	for _, st := range []string{"sent", "read", "delivered", "read"} {
		d := sigap.Delivery{Statuses: []sigap.StatusUpdate{{MessageID: "wamid.out.1", Status: st, At: t0, Recipient: "62811"}}}
		if _, err := s.SaveDelivery(ctx, d); err != nil {
			t.Fatalf("status %s: %v", st, err)
		}
	}
	// A status for a message this store never sent is kept, harmlessly.
	if _, err := s.SaveDelivery(ctx, sigap.Delivery{
		Statuses: []sigap.StatusUpdate{{MessageID: "wamid.unknown", Status: "failed", At: t0, ErrorCode: 131047, ErrorTitle: "Re-engagement message"}},
		Errors:   []sigap.ChannelError{{Office: "jakpus", At: t0, Code: 130429, Title: "Rate limit hit"}},
	}); err != nil {
		t.Fatal(err)
	}
	list, err := s.(outboxLister).Outbound(ctx, "jakpus", 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("outbound: %v, %v", list, err)
	}
	if list[0].DeliveryStatus != "read" {
		t.Errorf("delivery status %q, want read", list[0].DeliveryStatus)
	}
	d := sigap.Delivery{Statuses: []sigap.StatusUpdate{{MessageID: "wamid.out.1", Status: "failed", At: t0, ErrorCode: 131026}}}
	if _, err := s.SaveDelivery(ctx, d); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.(outboxLister).Outbound(ctx, "jakpus", 10); list[0].DeliveryStatus != "failed" {
		t.Errorf("delivery status %q after failed, want failed", list[0].DeliveryStatus)
	}
}

func testInboxIsClaimedOneMessagePerSender(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	msgs := []sigap.InboundMessage{msg("a1", "62811", "1"), msg("b1", "62822", "1"), msg("a2", "62811", "2"), msg("b2", "62822", "2")}
	if _, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: msgs}); err != nil {
		t.Fatal(err)
	}
	ids := func(ms []sigap.InboundMessage) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	first, err := s.ClaimInbound(ctx, t0, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(first); len(got) != 2 || got[0] != "a1" || got[1] != "b1" {
		t.Fatalf("first claim %v, want each sender's oldest: [a1 b1]", got)
	}
	// Another replica finds nothing: each sender has a message in progress.
	if again, _ := s.ClaimInbound(ctx, t0, time.Minute, 10); len(again) != 0 {
		t.Fatalf("second claim %v, want none while a1 and b1 are in progress", ids(again))
	}
	if err := s.CompleteInbound(ctx, "a1", sigap.Conversation{Office: "jakpus", User: "62811"}, nil); err != nil {
		t.Fatal(err)
	}
	next, _ := s.ClaimInbound(ctx, t0, time.Minute, 10)
	if got := ids(next); len(got) != 1 || got[0] != "a2" {
		t.Fatalf("after a1 is answered: %v, want [a2]", got)
	}
}

func testPruneKeepsWhatDedupeNeeds(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	if _, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{msg("old", "62811", "x"), msg("pending", "62822", "y")}}); err != nil {
		t.Fatal(err)
	}
	if err := s.CompleteInbound(ctx, "old", sigap.Conversation{Office: "jakpus", User: "62811"}, nil); err != nil {
		t.Fatal(err)
	}
	// Nothing is old enough yet.
	if n, err := s.Prune(ctx, time.Now().Add(-time.Hour), time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("prune of fresh rows: %d, %v", n, err)
	}
	if added, _ := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{msg("old", "62811", "x")}}); added != 0 {
		t.Errorf("a redelivery was stored again before pruning")
	}
	n, err := s.Prune(ctx, time.Now().Add(time.Hour), time.Now().Add(time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("prune: %d, %v; want the answered message only", n, err)
	}
	// The unanswered message is never pruned.
	if left, _ := s.ClaimInbound(ctx, time.Now(), time.Minute, 10); len(left) != 1 || left[0].ID != "pending" {
		t.Errorf("after pruning: %v, want the pending message kept", left)
	}
}

func testLeases(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	steps := []struct {
		holder string
		at     time.Duration
		want   bool
	}{
		{"a", 0, true},
		{"b", time.Minute, false},    // a holds it
		{"a", 2 * time.Minute, true}, // a renews
		{"b", 4 * time.Minute, false},
		{"b", 2*time.Minute + time.Hour, true}, // a's lease ran out
	}
	for _, st := range steps {
		now := t0.Add(st.at)
		got, err := s.TryLease(ctx, "prune", st.holder, now, now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if got != st.want {
			t.Errorf("%s at +%v: got lease %v, want %v", st.holder, st.at, got, st.want)
		}
	}
}

type slotTaker interface {
	TakeSendSlots(ctx context.Context, phoneNumberID string, perSecond int, now time.Time, n int) (int, error)
}

func testSendBudget(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	st := s.(slotTaker)
	takeOne := func(phoneNumberID string, perSecond int, now time.Time) (bool, error) {
		n, err := st.TakeSendSlots(ctx, phoneNumberID, perSecond, now, 1)
		return n == 1, err
	}
	taken := 0
	for range 5 {
		ok, err := takeOne("100000000000001", 3, t0)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			taken++
		}
	}
	if taken != 3 {
		t.Errorf("took %d slots of a 3-per-second budget in one second", taken)
	}
	if ok, _ := takeOne("100000000000001", 3, t0.Add(time.Second)); !ok {
		t.Error("no slot in the next second")
	}
	if ok, _ := takeOne("100000000000002", 3, t0); !ok {
		t.Error("another number's budget was spent too")
	}
	// In blocks: all of a block while it fits, then one at a time, never
	// past the budget.
	var got []int
	for range 6 {
		n, err := st.TakeSendSlots(ctx, "100000000000003", 10, t0, 4)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
	}
	if want := []int{4, 4, 1, 1, 0, 0}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("blocks of 4 from a budget of 10: took %v, want %v", got, want)
	}
}

type claimExpirer interface {
	ExpireClaims(ctx context.Context) (int64, error)
}

func testExpireClaimsKeepsDoubt(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	if _, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{msg("wamid.1", "62811", "halo"), msg("wamid.2", "62822", "x")}}); err != nil {
		t.Fatal(err)
	}
	reply := sigap.OutboundMessage{Office: "jakpus", To: "62811", Reply: sigap.Reply{Text: "menu"}}
	if err := s.CompleteInbound(ctx, "wamid.1", sigap.Conversation{Office: "jakpus", User: "62811"}, []sigap.OutboundMessage{reply}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Add(time.Second)
	// A run claims both queues, then dies.
	if got, _ := s.ClaimInbound(ctx, now, time.Hour, 10); len(got) != 1 {
		t.Fatalf("inbound claim: %d", len(got))
	}
	if got, _ := s.ClaimOutbound(ctx, now, time.Hour, 10); len(got) != 1 {
		t.Fatalf("outbound claim: %d", len(got))
	}
	n, err := s.(claimExpirer).ExpireClaims(ctx)
	if err != nil || n != 2 {
		t.Fatalf("ExpireClaims = %d, %v; want 2", n, err)
	}
	// The next run takes the message up at once; the reply, in doubt,
	// waits for a status naming it (the doubt wait), then is taken up and
	// known to be in doubt.
	if got, _ := s.ClaimInbound(ctx, now, time.Hour, 10); len(got) != 1 || got[0].Attempts != 2 {
		t.Errorf("inbound after restart: %+v", got)
	}
	if out, _ := s.ClaimOutbound(ctx, now, time.Hour, 10); len(out) != 0 {
		t.Errorf("outbound at restart: %+v, want none before the doubt wait", out)
	}
	out, _ := s.ClaimOutbound(ctx, now.Add(time.Minute), time.Hour, 10)
	if len(out) != 1 || out[0].Doubtful != 1 || out[0].Attempts != 2 {
		t.Errorf("outbound after restart: %+v, want doubtful 1 on attempt 2", out)
	}
}
