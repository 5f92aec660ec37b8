package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
)

// A claim says whether it took a message over from a claim that ran out (a
// replica died or stalled holding it); a message given back to be retried
// after a failed step is not taken over from anyone.
func testTakeoverInbound(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	msgs := []sigap.InboundMessage{msg("wamid.1", "62811", "halo"), msg("wamid.2", "62812", "halo")}
	if _, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: msgs}); err != nil {
		t.Fatal(err)
	}
	takenOver := func(at time.Time) map[string]bool {
		t.Helper()
		got, err := s.ClaimInbound(ctx, at, time.Minute, 10)
		if err != nil || len(got) != 2 {
			t.Fatalf("claim at %v: %+v, %v; want both messages", at.Sub(t0), got, err)
		}
		m := map[string]bool{}
		for _, g := range got {
			m[g.ID] = g.TakenOver
		}
		return m
	}
	if got := takenOver(t0); got["wamid.1"] || got["wamid.2"] {
		t.Errorf("first claim: taken over %v, want neither", got)
	}
	if err := s.RetryInbound(ctx, sigap.InboundMessage{ID: "wamid.2", Attempts: 1}, t0.Add(10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := takenOver(t0.Add(2 * time.Minute)); !got["wamid.1"] || got["wamid.2"] {
		t.Errorf("after the lease: taken over %v, want wamid.1 alone (wamid.2 was given back)", got)
	}
	if got := takenOver(t0.Add(4 * time.Minute)); !got["wamid.1"] || !got["wamid.2"] {
		t.Errorf("after the second lease: taken over %v, want both", got)
	}
}

// The same for replies: a reply claimed after a claim that ran out is taken
// over (and in doubt); one given back to be retried is not.
func testTakeoverOutbound(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	const wait = 10 * time.Second
	s.(doubtWaiter).SetDoubtWait(wait)
	now := time.Now().Add(time.Second)
	m := replyInFlight(t, s, now, time.Minute)
	if m.TakenOver {
		t.Errorf("first claim taken over")
	}
	at := now.Add(time.Minute + wait + time.Second)
	got, err := s.ClaimOutbound(ctx, at, time.Minute, 10)
	if err != nil || len(got) != 1 || !got[0].TakenOver || got[0].Doubtful != 1 {
		t.Fatalf("claim after the lease and the doubt wait: %+v, %v; want the reply taken over", got, err)
	}
	if err := s.MarkRetry(ctx, m.ID, "timeout", at); err != nil {
		t.Fatal(err)
	}
	got, err = s.ClaimOutbound(ctx, at.Add(time.Second), time.Minute, 10)
	if err != nil || len(got) != 1 || got[0].TakenOver {
		t.Fatalf("claim after a retry: %+v, %v; want the reply, not taken over", got, err)
	}
}

// OutboxQuery.InDoubt lists the pending replies whose claim ran out without
// an outcome, and none other.
func testOutboxReportDoubt(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	report := s.(sigap.OutboxReport)
	storeReplies(t, s, "6281", 4)
	now := time.Now().Add(time.Second)
	got, err := s.ClaimOutbound(ctx, now, time.Minute, 10)
	if err != nil || len(got) != 4 {
		t.Fatalf("claim: %d, %v; want 4", len(got), err)
	}
	byText := map[string]sigap.OutboundMessage{}
	for _, m := range got {
		byText[m.Reply.Text] = m
	}
	// r0 sent, r1 failed, r2 given back, r3 held by a sender that dies.
	if err := s.MarkSent(ctx, byText["r0"].ID, "wamid.out.0", now); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFailed(ctx, byText["r1"].ID, "131026"); err != nil {
		t.Fatal(err)
	}
	if err := s.(sigap.ReleaseOutbound).Release(ctx, byText["r2"]); err != nil {
		t.Fatal(err)
	}
	doubt := func(q sigap.OutboxQuery) []string {
		t.Helper()
		q.InDoubt, q.Limit = true, 100
		list, err := report.ListOutbound(ctx, q)
		if err != nil {
			t.Fatalf("ListOutbound(%+v): %v", q, err)
		}
		var texts []string
		for _, m := range list {
			texts = append(texts, m.Reply.Text)
			if m.LeaseEnds.IsZero() {
				t.Errorf("reply %s in doubt without the end of its claim", m.Reply.Text)
			}
		}
		return texts
	}
	if got := doubt(sigap.OutboxQuery{Now: now.Add(30 * time.Second)}); len(got) != 0 {
		t.Errorf("in doubt while the claim holds: %v, want none", got)
	}
	later := now.Add(2 * time.Minute)
	for _, tt := range []struct {
		q    sigap.OutboxQuery
		want int
	}{
		{sigap.OutboxQuery{Now: later}, 1},
		{sigap.OutboxQuery{Now: later, State: sigap.OutboundPending, Office: "jakpus", To: "62813"}, 1},
		{sigap.OutboxQuery{Now: later, To: "62812"}, 0},
		{sigap.OutboxQuery{Now: later, Office: "other"}, 0},
	} {
		got := doubt(tt.q)
		if len(got) != tt.want || tt.want == 1 && got[0] != "r3" {
			t.Errorf("in doubt %+v: %v, want %d (r3)", tt.q, got, tt.want)
		}
	}
	for _, q := range []sigap.OutboxQuery{
		{InDoubt: true, Limit: 10},
		{InDoubt: true, Now: later, State: sigap.OutboundFailed, Limit: 10},
	} {
		if got, err := report.ListOutbound(ctx, q); err == nil {
			t.Errorf("ListOutbound(%+v) = %d replies, want an error", q, len(got))
		}
	}
}

// A release written late (RetryInbound of an earlier claim) leaves the
// claim that took the message over since alone.
func testRetryInboundOnlyItsClaim(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	if _, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{msg("wamid.1", "62811", "halo")}}); err != nil {
		t.Fatal(err)
	}
	first, err := s.ClaimInbound(ctx, t0, time.Minute, 10)
	if err != nil || len(first) != 1 {
		t.Fatalf("first claim: %+v, %v", first, err)
	}
	second, err := s.ClaimInbound(ctx, t0.Add(2*time.Minute), time.Minute, 10)
	if err != nil || len(second) != 1 || second[0].Attempts != 2 {
		t.Fatalf("claim after the lease: %+v, %v", second, err)
	}
	if err := s.RetryInbound(ctx, first[0], t0); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ClaimInbound(ctx, t0.Add(2*time.Minute+time.Second), time.Minute, 10); err != nil || len(got) != 0 {
		t.Fatalf("after the first claim's late release: %+v, %v; want the second claim to hold", got, err)
	}
	if err := s.RetryInbound(ctx, second[0], t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ClaimInbound(ctx, t0.Add(2*time.Minute+time.Second), time.Minute, 10); err != nil || len(got) != 1 {
		t.Fatalf("after the second claim's release: %+v, %v; want the message", got, err)
	}
}
