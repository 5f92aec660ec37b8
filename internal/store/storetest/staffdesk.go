package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
)

// testHandovers: a conversation with a handover on is listed, by office,
// whichever statement stored it (a save, a message's completion); staff's
// reply is noted; handing back ends it and the bot's state stays.
func testHandovers(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	now := t0.Add(time.Hour)
	handed := func(user string, since time.Time) sigap.Conversation {
		return sigap.Conversation{Office: "jakpus", User: user, Lang: "id", HandoverSince: since,
			HandoverUntil: since.Add(24 * time.Hour), LastInboundAt: since, Numbers: []string{"1234567890123456"}}
	}
	if err := s.SaveConversation(ctx, handed("62811", t0)); err != nil {
		t.Fatal(err)
	}
	// One through a message's completion (a checked save).
	if _, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{msg("wamid.h1", "62812", "#petugas")}}); err != nil {
		t.Fatal(err)
	}
	if err := s.CompleteInbound(ctx, "wamid.h1", handed("62812", t0.Add(time.Minute)), nil); err != nil {
		t.Fatal(err)
	}
	// Not handed over, ended, another office's.
	if err := s.SaveConversation(ctx, sigap.Conversation{Office: "jakpus", User: "62813", Lang: "id"}); err != nil {
		t.Fatal(err)
	}
	old := handed("62814", t0.Add(-25*time.Hour))
	if err := s.SaveConversation(ctx, old); err != nil {
		t.Fatal(err)
	}
	other := handed("62811", t0)
	other.Office = "mataram"
	if err := s.SaveConversation(ctx, other); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListHandovers(ctx, "jakpus", now)
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]sigap.HandoverChat{}
	for _, h := range list {
		users[h.User] = h
	}
	if len(list) != 2 || users["62811"].User == "" || users["62812"].User == "" {
		t.Fatalf("ListHandovers(jakpus) = %+v; want 62811 and 62812", list)
	}
	h := users["62812"]
	if !h.Since.Equal(t0.Add(time.Minute)) || !h.Until.Equal(t0.Add(24*time.Hour+time.Minute)) || !h.LastInboundAt.Equal(t0.Add(time.Minute)) ||
		!h.LastStaffReplyAt.IsZero() || !h.Waiting() || h.Office != "jakpus" {
		t.Errorf("handover = %+v", h)
	}
	if got, err := s.HandoverChat(ctx, "jakpus", "62811", now); err != nil || !got.Since.Equal(t0) {
		t.Errorf("HandoverChat = %+v, %v", got, err)
	}
	for _, u := range []string{"62813", "62814", "62899"} {
		if _, err := s.HandoverChat(ctx, "jakpus", u, now); !errors.Is(err, sigap.ErrNotFound) {
			t.Errorf("HandoverChat(%s) = %v, want ErrNotFound", u, err)
		}
	}
	// Staff reply: noted, and the chat no longer waits until the
	// applicant writes again.
	if err := s.RecordStaffReply(ctx, "jakpus", "62811", t0.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.HandoverChat(ctx, "jakpus", "62811", now); !got.LastStaffReplyAt.Equal(t0.Add(30*time.Minute)) || got.Waiting() {
		t.Errorf("after staff's reply: %+v; want it noted, not waiting", got)
	}
	// The bot stores the conversation again (the applicant wrote): staff's
	// reply stays noted, and the chat waits again.
	again := handed("62811", t0)
	again.LastInboundAt = t0.Add(40 * time.Minute)
	if err := s.SaveConversation(ctx, again); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.HandoverChat(ctx, "jakpus", "62811", now); !got.LastStaffReplyAt.Equal(t0.Add(30*time.Minute)) || !got.Waiting() {
		t.Errorf("after the applicant wrote again: %+v; want staff's reply kept, waiting", got)
	}
	was, err := s.HandBack(ctx, "jakpus", "62811")
	if err != nil || !was.HandoverSince.Equal(t0) {
		t.Fatalf("HandBack = %+v, %v", was, err)
	}
	c, err := s.Conversation(ctx, "jakpus", "62811")
	if err != nil || !c.HandoverSince.IsZero() || !c.HandoverUntil.IsZero() || len(c.Numbers) != 1 || c.Lang != "id" {
		t.Errorf("after hand back: %+v, %v; want no handover, the rest kept", c, err)
	}
	if _, err := s.HandoverChat(ctx, "jakpus", "62811", now); !errors.Is(err, sigap.ErrNotFound) {
		t.Errorf("handed back chat still listed: %v", err)
	}
	if _, err := s.HandBack(ctx, "jakpus", "62811"); !errors.Is(err, sigap.ErrNotFound) {
		t.Errorf("hand back twice: %v, want ErrNotFound", err)
	}
	if _, err := s.HandBack(ctx, "mataram", "62899"); !errors.Is(err, sigap.ErrNotFound) {
		t.Errorf("hand back of no conversation: %v, want ErrNotFound", err)
	}
	if list, _ := s.ListHandovers(ctx, "mataram", now); len(list) != 1 {
		t.Errorf("mataram's handovers: %+v, want its one", list)
	}
}

// testChatHistory: the messages from a sender and the replies to them,
// oldest first, of that office only.
func testChatHistory(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	in1 := msg("wamid.c1", "62811", "#petugas")
	in2 := msg("wamid.c2", "62811", "<b>halo</b> min")
	in2.At = t0.Add(2 * time.Minute)
	elsewhere := msg("wamid.c3", "62811", "di kantor lain")
	elsewhere.Office = "mataram"
	if _, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{in1, in2, elsewhere}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Enqueue(ctx, []sigap.OutboundMessage{{Office: "jakpus", To: "62811", Reply: sigap.Reply{Text: "Halo, dengan Siti."}}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ChatHistory(ctx, "jakpus", "62811", 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("ChatHistory = %+v; want 3 entries", got)
	}
	var texts []string
	for _, e := range got {
		texts = append(texts, e.Text)
	}
	if got[0].Text != "#petugas" || !got[0].Inbound || got[1].Text != "<b>halo</b> min" || got[2].Inbound {
		t.Errorf("ChatHistory texts %q; want the two messages in order, then the reply", texts)
	}
	if r := got[2]; r.Text != "Halo, dengan Siti." || !r.Staff || r.State != sigap.OutboundPending {
		t.Errorf("reply entry = %+v; want staff's, pending", r)
	}
	if last, _ := s.ChatHistory(ctx, "jakpus", "62811", 1); len(last) != 1 || last[0].Inbound {
		t.Errorf("ChatHistory(limit 1) = %+v; want the newest only", last)
	}
	if none, _ := s.ChatHistory(ctx, "jakpus", "62899", 10); len(none) != 0 {
		t.Errorf("another sender's history: %+v", none)
	}
}

// testStaffTickets: staff list the open tickets, take one (state and
// assignee), add notes, reply (first answer time kept), and #tiket's
// FindTicket sees the reply; an in-progress ticket is not "done" for
// retention.
func testStaffTickets(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	var nums []string
	for i, k := range []sigap.TicketKind{sigap.TicketComplaint, sigap.TicketSuggestion, sigap.TicketAppreciation} {
		tk, err := s.CreateTicket(ctx, sigap.Ticket{Office: "jakpus", Kind: k, User: "62811", Text: "t", MessageID: "wamid.s" + string(k),
			CreatedAt: t0.Add(time.Duration(i) * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		nums = append(nums, tk.Number)
	}
	if _, err := s.CreateTicket(ctx, sigap.Ticket{Office: "mataram", Kind: sigap.TicketComplaint, User: "62811", Text: "t", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.AnswerTicket(ctx, "jakpus", nums[2], "", sigap.TicketClosed, t0); err != nil {
		t.Fatal(err)
	}
	open, err := s.OpenTickets(ctx, "jakpus")
	if err != nil || len(open) != 2 || open[0].Number != nums[1] || open[1].Number != nums[0] {
		t.Fatalf("OpenTickets = %+v, %v; want the two open ones, newest first", open, err)
	}
	tk, err := s.UpdateTicket(ctx, "jakpus", nums[0], sigap.TicketInProgress, 42, t0.Add(time.Hour))
	if err != nil || tk.State != sigap.TicketInProgress || tk.Assignee != 42 || !tk.UpdatedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("UpdateTicket = %+v, %v", tk, err)
	}
	if _, err := s.UpdateTicket(ctx, "jakpus", nums[0], "lost", 0, t0); !errors.Is(err, sigap.ErrInvalid) {
		t.Errorf("unknown state: %v, want ErrInvalid", err)
	}
	if _, err := s.UpdateTicket(ctx, "mataram", nums[0], sigap.TicketClosed, 0, t0); !errors.Is(err, sigap.ErrNotFound) {
		t.Errorf("another office's ticket: %v, want ErrNotFound", err)
	}
	if open, _ := s.OpenTickets(ctx, "jakpus"); len(open) != 2 {
		t.Errorf("an in-progress ticket left the open list: %+v", open)
	}
	for _, n := range []string{"[siti] cek CCTV\n", "[budi] sudah dicek\n"} {
		if tk, err = s.AddTicketNote(ctx, "jakpus", nums[0], n, t0.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if tk.Notes != "[siti] cek CCTV\n[budi] sudah dicek\n" {
		t.Errorf("notes = %q", tk.Notes)
	}
	if _, err := s.AddTicketNote(ctx, "jakpus", nums[0], strings.Repeat("x", 70000), t0); !errors.Is(err, sigap.ErrInvalid) {
		t.Errorf("notes past their limit: %v, want ErrInvalid", err)
	}
	if tk, err = s.ReplyTicket(ctx, "jakpus", nums[0], "Terima kasih, sudah kami perbaiki.", t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if tk.State != sigap.TicketAnswered || !tk.FirstAnsweredAt.Equal(t0.Add(3*time.Hour)) || tk.Notes == "" || tk.Assignee != 42 {
		t.Errorf("after reply: %+v", tk)
	}
	if tk, _ = s.ReplyTicket(ctx, "jakpus", nums[0], "Tambahan.", t0.Add(4*time.Hour)); !tk.FirstAnsweredAt.Equal(t0.Add(3 * time.Hour)) {
		t.Errorf("second reply moved the first answer time: %v", tk.FirstAnsweredAt)
	}
	found, err := s.FindTicket(ctx, "jakpus", nums[0])
	if err != nil || found.Reply != "Tambahan." || found.State != sigap.TicketAnswered {
		t.Errorf("FindTicket after reply = %+v, %v; want the reply", found, err)
	}
	if tk.Overdue(t0.Add(30*24*time.Hour)) || !tk.ResponseDue().Equal(t0.Add(5*24*time.Hour)) {
		t.Errorf("a complaint answered in 3 hours: due %v, overdue %v", tk.ResponseDue(), tk.Overdue(t0))
	}
	st, err := s.StaffTicket(ctx, "jakpus", nums[1])
	if err != nil || st.Overdue(t0.Add(3*24*time.Hour)) || !st.Overdue(t0.Add(4*24*time.Hour+time.Second)) {
		t.Errorf("a suggestion unanswered: due %v, %v", st.ResponseDue(), err)
	}
	if _, err := s.ReplyTicket(ctx, "mataram", nums[1], "x", t0); !errors.Is(err, sigap.ErrNotFound) {
		t.Errorf("reply to another office's ticket: %v, want ErrNotFound", err)
	}
	// A year on, the in-progress ticket stays; the answered and closed go.
	if _, err := s.UpdateTicket(ctx, "jakpus", nums[1], sigap.TicketInProgress, 0, t0); err != nil {
		t.Fatal(err)
	}
	applyRetention(t, s, t0.Add(800*24*time.Hour))
	if _, err := s.StaffTicket(ctx, "jakpus", nums[1]); err != nil {
		t.Errorf("an in-progress ticket after retention: %v, want it kept", err)
	}
	if _, err := s.StaffTicket(ctx, "jakpus", nums[0]); !errors.Is(err, sigap.ErrNotFound) {
		t.Errorf("an answered ticket after retention: %v, want it gone", err)
	}
}

// testApplicationAskers: the senders who looked an application up, at
// that office only.
func testApplicationAskers(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	for _, c := range []sigap.Conversation{
		{Office: "jakpus", User: "62811", Numbers: []string{"1234567890123456", "6543210987654321"}},
		{Office: "jakpus", User: "62812", Numbers: []string{"6543210987654321"}},
		{Office: "mataram", User: "62813", Numbers: []string{"1234567890123456"}},
		{Office: "jakpus", User: "62814", LastTicket: "K7M-3QX"},
	} {
		if err := s.SaveConversation(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.ApplicationAskers(ctx, "jakpus", "1234567890123456")
	if err != nil || len(got) != 1 || got[0] != "62811" {
		t.Errorf("ApplicationAskers = %v, %v; want [62811]", got, err)
	}
	if got, _ := s.ApplicationAskers(ctx, "jakpus", "6543210987654321"); len(got) != 2 {
		t.Errorf("ApplicationAskers(second) = %v; want both senders", got)
	}
	if _, err := s.ApplicationAskers(ctx, "jakpus", "12%"); !errors.Is(err, sigap.ErrInvalid) {
		t.Errorf("a pattern for a number: %v, want ErrInvalid", err)
	}
}
