package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
)

// doubtWaiter sets how long a reply in doubt waits for its status
// (sqlstore.Store.SetDoubtWait).
type doubtWaiter interface {
	SetDoubtWait(d time.Duration)
}

// replyInFlight stores a message answered with one reply to 62811, claims
// the reply at now for lease, and returns it: a send on the wire.
func replyInFlight(t *testing.T, s sigap.Store, now time.Time, lease time.Duration) sigap.OutboundMessage {
	t.Helper()
	ctx := context.Background()
	if _, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{msg("wamid.1", "62811", "halo")}}); err != nil {
		t.Fatal(err)
	}
	reply := sigap.OutboundMessage{Office: "jakpus", To: "62811", Reply: sigap.Reply{Text: "menu"}}
	if err := s.CompleteInbound(ctx, "wamid.1", sigap.Conversation{Office: "jakpus", User: "62811"}, []sigap.OutboundMessage{reply}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ClaimOutbound(ctx, now, lease, 10)
	if err != nil || len(got) != 1 {
		t.Fatalf("claim: %+v, %v", got, err)
	}
	return got[0]
}

// outbound returns the stored reply id.
func outbound(t *testing.T, s sigap.Store, id int64) sigap.OutboundMessage {
	t.Helper()
	all, err := s.(sigap.OutboxReport).ListOutbound(context.Background(), sigap.OutboxQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range all {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("reply %d not stored", id)
	return sigap.OutboundMessage{}
}

// A status whose callback data names a reply still pending (its send's
// answer not recorded: the sender died, or is still waiting for it) marks
// the reply sent with the status's message id, in the delivery that
// carries it, so that no claim offers it again; a status naming another
// office's reply, or none, changes nothing. The send's answer, arriving
// after its status, marks it sent again without harm.
func testStatusMarksReplySent(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	now := time.Now().Add(time.Second)
	m := replyInFlight(t, s, now, time.Minute)
	st := func(office string) sigap.StatusUpdate {
		return sigap.StatusUpdate{MessageID: "wamid.out.1", Status: "sent", At: now.Add(time.Second), Recipient: "62811",
			Reply: sigap.ReplyRef{Office: office, ID: m.ID}}
	}
	if _, err := s.SaveDelivery(ctx, sigap.Delivery{Statuses: []sigap.StatusUpdate{st("surabaya")}}); err != nil {
		t.Fatal(err)
	}
	if got := outbound(t, s, m.ID); got.State != sigap.OutboundPending {
		t.Fatalf("another office's status: reply %s, want pending", got.State)
	}
	if _, err := s.SaveDelivery(ctx, sigap.Delivery{Statuses: []sigap.StatusUpdate{st("jakpus")}}); err != nil {
		t.Fatal(err)
	}
	got := outbound(t, s, m.ID)
	if got.State != sigap.OutboundSent || got.SentID != "wamid.out.1" || got.DeliveryStatus != "sent" {
		t.Fatalf("after its status: %s %q %q; want sent wamid.out.1, status sent", got.State, got.SentID, got.DeliveryStatus)
	}
	// Long after the claim would have run out, and the doubt wait too.
	if again, err := s.ClaimOutbound(ctx, now.Add(time.Hour), time.Minute, 10); err != nil || len(again) != 0 {
		t.Errorf("claim after its status: %+v, %v; want none", again, err)
	}
	// The send's own answer, had it been an error (a timeout, a garbled
	// answer), changes nothing: its status says it went out.
	if err := s.MarkRetry(ctx, m.ID, "timeout", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFailed(ctx, m.ID, "send response without a message id"); err != nil {
		t.Fatal(err)
	}
	if got := outbound(t, s, m.ID); got.State != sigap.OutboundSent || got.LastError != "" {
		t.Errorf("after an error answer: %s %q; want sent, no error", got.State, got.LastError)
	}
	// The sender's own answer comes late.
	if _, err := s.(sigap.ClaimNextOutbound).MarkSentClaimNext(ctx, m, "wamid.out.1", now.Add(2*time.Second), time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := outbound(t, s, m.ID); got.State != sigap.OutboundSent || got.SentID != "wamid.out.1" || got.DeliveryStatus != "sent" {
		t.Errorf("after the late answer: %s %q %q", got.State, got.SentID, got.DeliveryStatus)
	}
	// A later status of the same send moves it on as any would.
	read := st("jakpus")
	read.Status = "read"
	if _, err := s.SaveDelivery(ctx, sigap.Delivery{Statuses: []sigap.StatusUpdate{read}}); err != nil {
		t.Fatal(err)
	}
	if got := outbound(t, s, m.ID); got.DeliveryStatus != "read" {
		t.Errorf("after read: %q", got.DeliveryStatus)
	}
}

// A reply whose claim ran out without an outcome is in doubt: it is not
// offered again until it has waited the doubt wait for its status, by
// then it is, once, as in doubt.
func testDoubtWait(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	const wait = 10 * time.Second
	s.(doubtWaiter).SetDoubtWait(wait)
	now := time.Now().Add(time.Second) // after the reply is stored
	m := replyInFlight(t, s, now, time.Minute)
	end := now.Add(time.Minute) // the claim runs out: in doubt since
	for _, at := range []time.Time{end.Add(time.Second), end.Add(wait - time.Second)} {
		if got, err := s.ClaimOutbound(ctx, at, time.Minute, 10); err != nil || len(got) != 0 {
			t.Fatalf("claim %v after the claim ran out: %+v, %v; want none", at.Sub(end), got, err)
		}
	}
	got, err := s.ClaimOutbound(ctx, end.Add(wait+time.Second), time.Minute, 10)
	if err != nil || len(got) != 1 || got[0].ID != m.ID || got[0].Doubtful != 1 || got[0].Attempts != 2 {
		t.Fatalf("claim after the wait: %+v, %v; want reply %d in doubt once, attempt 2", got, err, m.ID)
	}
}
