package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigap-id/sigap"
)

// testOutboxReport: the report's filters are applied by the store, newest
// first, so that an old failed reply is found however many replies were
// sent after it; a query no store should run is refused.
func testOutboxReport(t *testing.T, s sigap.Store) {
	report, ok := s.(sigap.OutboxReport)
	if !ok {
		t.Skip("the store has no outbox report")
	}
	ctx := context.Background()
	// answer stores replies to one inbound message of office's.
	answer := func(office, id string, replies ...sigap.OutboundMessage) {
		t.Helper()
		in := msg(id, "62800", "halo")
		in.Office = office
		deliver(t, s, in)
		if err := s.CompleteInbound(ctx, id, sigap.Conversation{Office: office, User: "62800"}, replies); err != nil {
			t.Fatal(err)
		}
	}
	out := func(office, to, text string) sigap.OutboundMessage {
		return sigap.OutboundMessage{Office: office, To: to, Reply: sigap.Reply{Text: text}}
	}
	answer("jakpus", "r1", out("jakpus", "62811", "j-failed"), out("jakpus", "62812", "j-sent"), out("jakpus", "62813", "j-pending"))
	answer("makassar", "r2", out("makassar", "62811", "m-failed"), out("makassar", "62814", "m-sent"))
	var later []sigap.OutboundMessage
	for i := range 30 {
		later = append(later, out("jakpus", fmt.Sprint("62820", i), fmt.Sprint("later-", i)))
	}
	answer("jakpus", "r3", later...)

	now := time.Now().Add(time.Second)
	claimed, err := s.ClaimOutbound(ctx, now, time.Minute, 100)
	if err != nil || len(claimed) != 35 {
		t.Fatalf("claim: %d, %v; want 35", len(claimed), err)
	}
	for _, m := range claimed {
		switch m.Reply.Text {
		case "j-pending":
			if err := giveBack(ctx, s, m); err != nil {
				t.Fatal(err)
			}
		case "j-failed", "m-failed":
			if err := s.MarkFailed(ctx, m.ID, "131026 undeliverable"); err != nil {
				t.Fatal(err)
			}
		default:
			if err := s.MarkSent(ctx, m.ID, "wamid.sent."+m.Reply.Text, now); err != nil {
				t.Fatal(err)
			}
		}
	}

	tests := []struct {
		name string
		q    sigap.OutboxQuery
		want []string // reply texts, newest first
	}{
		{"failed, below 30 sent since", sigap.OutboxQuery{State: sigap.OutboundFailed, Limit: 10}, []string{"m-failed", "j-failed"}},
		{"failed at one office", sigap.OutboxQuery{State: sigap.OutboundFailed, Office: "jakpus", Limit: 10}, []string{"j-failed"}},
		{"failed to one recipient", sigap.OutboxQuery{State: sigap.OutboundFailed, To: "62811", Limit: 10}, []string{"m-failed", "j-failed"}},
		{"every filter", sigap.OutboxQuery{State: sigap.OutboundFailed, Office: "makassar", To: "62811", Limit: 10}, []string{"m-failed"}},
		{"the newest failed", sigap.OutboxQuery{State: sigap.OutboundFailed, Limit: 1}, []string{"m-failed"}},
		{"pending", sigap.OutboxQuery{State: sigap.OutboundPending, Limit: 10}, []string{"j-pending"}},
		{"sent at one office", sigap.OutboxQuery{State: sigap.OutboundSent, Office: "makassar", Limit: 10}, []string{"m-sent"}},
		{"any state to one recipient", sigap.OutboxQuery{Office: "jakpus", To: "62812", Limit: 10}, []string{"j-sent"}},
		{"nobody", sigap.OutboxQuery{To: "62899", Limit: 10}, nil},
		{"an office with none", sigap.OutboxQuery{Office: "medan", Limit: 10}, nil},
		{"the newest of all", sigap.OutboxQuery{Limit: 3}, []string{"later-29", "later-28", "later-27"}},
	}
	for _, tt := range tests {
		got, err := report.ListOutbound(ctx, tt.q)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var texts []string
		for _, m := range got {
			texts = append(texts, m.Reply.Text)
			if m.Reply.Text == "j-failed" && (m.State != sigap.OutboundFailed || m.LastError != "131026 undeliverable" ||
				m.To != "62811" || m.Office != "jakpus" || m.CreatedAt.IsZero()) {
				t.Errorf("%s: the failed reply reads %+v", tt.name, m)
			}
		}
		if diff := cmp.Diff(tt.want, texts); diff != "" {
			t.Errorf("%s: %+v (-want +got):\n%s", tt.name, tt.q, diff)
		}
	}
	sent, err := report.ListOutbound(ctx, sigap.OutboxQuery{State: sigap.OutboundSent, Limit: 100})
	if err != nil || len(sent) != 32 {
		t.Errorf("sent: %d, %v; want 32", len(sent), err)
	}

	for _, q := range []sigap.OutboxQuery{
		{State: "faild", Limit: 10},
		{State: "all", Limit: 10},
		{Limit: 0},
		{Limit: -1},
		{Limit: sigap.MaxOutboxQueryLimit + 1},
	} {
		if got, err := report.ListOutbound(ctx, q); err == nil {
			t.Errorf("ListOutbound(%+v) = %d replies, want an error", q, len(got))
		}
	}
}
