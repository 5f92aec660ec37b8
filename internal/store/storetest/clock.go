package storetest

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigap-id/sigap"
)

// RunClock runs the tests of the store's own clock: open returns a new,
// empty, migrated store whose clock is now.
func RunClock(t *testing.T, open func(t *testing.T, now func() time.Time) sigap.Store) {
	t.Run("Clock", func(t *testing.T) {
		t.Parallel()
		c := newClock(time.Date(2020, 3, 2, 8, 0, 0, 0, time.UTC))
		s := open(t, c.Now)
		testClock(t, s, c)
	})
}

// clock is a clock that moves only when told to.
type clock struct{ ms atomic.Int64 }

func newClock(at time.Time) *clock {
	c := &clock{}
	c.ms.Store(at.UnixMilli())
	return c
}

func (c *clock) Now() time.Time                  { return time.UnixMilli(c.ms.Load()).UTC() }
func (c *clock) Add(d time.Duration)             { c.ms.Add(d.Milliseconds()) }
func (c *clock) After(d time.Duration) time.Time { return c.Now().Add(d) }

// testClock: what the store stamps itself (a message's arrival and
// answer, a reply queued or claimed next, a conversation saved, a ticket)
// is stamped by its clock, and meets the times its callers pass from the
// same clock: the replies are due when the caller's clock says so, a lease
// ends a lease after the store's now, and retention finds a message a
// day old on the caller's clock. The clock is years before the machine's,
// so a time taken from the machine's shows.
func testClock(t *testing.T, s sigap.Store, c *clock) {
	ctx := context.Background()
	start := c.Now()
	wantTime := func(what string, got, want time.Time) {
		t.Helper()
		if !got.Equal(want) {
			t.Errorf("%s: %v, want %v (the store's clock)", what, got, want)
		}
	}

	// Stored, then claimed and answered two seconds later with two replies.
	m := sigap.InboundMessage{ID: "wamid.clock.1", Office: "jakpus", From: "62811", At: start, Kind: sigap.KindText, Text: "halo"}
	deliver(t, s, m)
	if got, err := s.ClaimInbound(ctx, c.Now(), time.Minute, 10); err != nil || len(got) != 1 {
		t.Fatalf("ClaimInbound at the store's now: %d, %v; want the message", len(got), err)
	}
	c.Add(2 * time.Second)
	answered := c.Now()
	replies := []sigap.OutboundMessage{reply("62811", m.ID, "satu"), reply("62811", m.ID, "dua")}
	if err := s.CompleteInbound(ctx, m.ID, conv("62811"), replies); err != nil {
		t.Fatal(err)
	}
	d := export(t, s, "62811")
	if len(d.Messages) != 1 || len(d.Conversations) != 1 {
		t.Fatalf("export: %+v; want the message and the conversation", d)
	}
	wantTime("message received", d.Messages[0].ReceivedAt, start)
	wantTime("conversation saved", d.Conversations[0].UpdatedAt, answered)

	// The replies are due at once on the caller's clock, which is the store's.
	out, err := s.ClaimOutbound(ctx, c.Now(), time.Minute, 10)
	if err != nil || len(out) != 1 {
		t.Fatalf("ClaimOutbound at the store's now: %d replies, %v; want the first", len(out), err)
	}
	wantTime("reply queued", out[0].CreatedAt, answered)
	wantTime("reply's lease", out[0].LeaseEnds, c.After(time.Minute))
	c.Add(time.Second)
	if n, ok := s.(sigap.ClaimNextOutbound); ok {
		next, err := n.MarkSentClaimNext(ctx, out[0], "wamid.clock.out.1", c.Now(), time.Minute)
		if err != nil || next == nil {
			t.Fatalf("MarkSentClaimNext: %v, %v; want the second reply claimed", next, err)
		}
		wantTime("next reply's lease", next.LeaseEnds, c.After(time.Minute))
	}

	// Answered on arrival: stored, answered and its reply claimed in one step.
	c.Add(time.Second)
	if a, ok := s.(sigap.AnswerOnArrival); ok {
		arrived := c.Now()
		m2 := sigap.InboundMessage{ID: "wamid.clock.2", Office: "jakpus", From: "62822", At: arrived, Kind: sigap.KindText, Text: "halo"}
		saved, err := a.SaveDeliveryClaiming(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{m2}},
			[]*sigap.Answer{{Conv: conv("62822"), Replies: []sigap.OutboundMessage{reply("62822", m2.ID, "halo")}}},
			sigap.Claim{Now: c.Now(), OutboxLease: time.Minute})
		if err != nil || len(saved.Answered) != 1 || len(saved.Replies) != 1 {
			t.Fatalf("SaveDeliveryClaiming: %+v, %v; want it answered and its reply claimed", saved, err)
		}
		wantTime("reply answered on arrival", saved.Replies[0].CreatedAt, arrived)
		wantTime("its lease", saved.Replies[0].LeaseEnds, c.After(time.Minute))
		if d := export(t, s, "62822"); len(d.Messages) != 1 {
			t.Errorf("export of 62822: %+v; want its message", d.Messages)
		} else {
			wantTime("message answered on arrival received", d.Messages[0].ReceivedAt, arrived)
		}
	}

	// A ticket without a time is made now.
	tk, err := s.CreateTicket(ctx, sigap.Ticket{Office: "jakpus", Kind: sigap.TicketComplaint, User: "62811", Lang: "id", Text: "antre lama"})
	if err != nil {
		t.Fatal(err)
	}
	wantTime("ticket created", tk.CreatedAt, c.Now())

	// Retention on the same clock: the first message's text goes a day
	// after it was received, not a second before; the second message's
	// (received 4 seconds later) stays.
	p := sigap.RetentionPolicy{}.OrDefaults()
	r, err := s.ApplyRetention(ctx, sigap.RetentionPolicy{}, retentionHolder, start.Add(p.MessageText-time.Second))
	if err != nil {
		t.Fatal(err)
	}
	wantRemoved(t, "a second before the first message text's period ends", sigap.Removed{}, r)
	r, err = s.ApplyRetention(ctx, sigap.RetentionPolicy{}, retentionHolder, start.Add(p.MessageText+time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sigap.Removed{MessageTexts: 1}, r); diff != "" {
		t.Errorf("a second after the first message text's period ends: removed (-want +got):\n%s", diff)
	}
}
