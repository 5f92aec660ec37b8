package storetest

// Personal data: retention (sigap.Retention) and one person's export and
// erasure (sigap.Privacy).

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigap-id/sigap"
)

const (
	retentionHolder = "replica-1"
	erasedID        = "6281299990001"
	keptID          = "6281299990002"
)

// applyRetention runs the default policy at now and returns what went.
func applyRetention(t *testing.T, s sigap.Store, now time.Time) sigap.Removed {
	t.Helper()
	r, err := s.ApplyRetention(context.Background(), sigap.RetentionPolicy{}, retentionHolder, now)
	if err != nil {
		t.Fatalf("ApplyRetention at now%+v: %v", now.Sub(time.Now()).Round(time.Hour), err)
	}
	return r
}

func wantRemoved(t *testing.T, when string, want, got sigap.Removed) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: removed (-want +got):\n%s", when, diff)
	}
}

// testRetentionMessages: an answered message loses its text and sender
// after a day but stays the dedupe record for 8 days; a message waiting to
// be answered is never touched.
func testRetentionMessages(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	deliver(t, s, msg("wamid.birth", erasedID, "17081990"), msg("wamid.wait", keptID, "halo"))
	if err := s.CompleteInbound(ctx, "wamid.birth", conv(erasedID), nil); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	wantRemoved(t, "after an hour", sigap.Removed{}, applyRetention(t, s, now.Add(time.Hour)))
	if d := export(t, s, erasedID); len(d.Messages) != 1 || d.Messages[0].Message.Text != "17081990" || !d.Messages[0].Answered {
		t.Fatalf("export after an hour: %+v, want the answered message with its text", d.Messages)
	}

	wantRemoved(t, "after 25 hours", sigap.Removed{MessageTexts: 1}, applyRetention(t, s, now.Add(25*time.Hour)))
	if d := export(t, s, erasedID); len(d.Messages) != 0 {
		t.Errorf("export after 25 hours: %+v, want no message naming the sender", d.Messages)
	}
	if d := export(t, s, keptID); len(d.Messages) != 1 || d.Messages[0].Answered {
		t.Errorf("the waiting message: %+v, want it kept with its sender", d.Messages)
	}
	if added, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{msg("wamid.birth", erasedID, "17081990")}}); err != nil || added != 0 {
		t.Errorf("redelivery after the text went: added %d, %v; want 0 (still a duplicate)", added, err)
	}

	wantRemoved(t, "after 9 days", sigap.Removed{Messages: 1}, applyRetention(t, s, now.Add(9*24*time.Hour)))
	claimInbound(t, s, now, "wamid.wait")
	if added, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{msg("wamid.birth", erasedID, "x")}}); err != nil || added != 1 {
		t.Errorf("a message id past its period: added %d, %v; want it forgotten", added, err)
	}
}

// testRetentionReplies: replies sent or failed go after 30 days with their
// delivery statuses; a reply still waiting to be sent stays.
func testRetentionReplies(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	deliver(t, s, msg("wamid.in", erasedID, "halo"))
	if err := s.CompleteInbound(ctx, "wamid.in", conv(erasedID), []sigap.OutboundMessage{
		reply(erasedID, "wamid.in", "sent"), reply(keptID, "wamid.in", "waiting"),
	}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	claimed, err := s.ClaimOutbound(ctx, now, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range claimed {
		if m.To == erasedID {
			if err := s.MarkSent(ctx, m.ID, "wamid.out", now); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := s.SaveDelivery(ctx, sigap.Delivery{Statuses: []sigap.StatusUpdate{
		{MessageID: "wamid.out", Status: "delivered", At: now, Recipient: erasedID},
	}}); err != nil {
		t.Fatal(err)
	}
	wantRemoved(t, "after 29 days", sigap.Removed{MessageTexts: 1, Messages: 1}, applyRetention(t, s, now.Add(29*24*time.Hour)))
	if d := export(t, s, erasedID); len(d.Replies) != 1 || len(d.Statuses) != 1 {
		t.Fatalf("after 29 days: replies %+v, statuses %+v; want both kept", d.Replies, d.Statuses)
	}
	wantRemoved(t, "after 31 days", sigap.Removed{Replies: 1, Statuses: 1}, applyRetention(t, s, now.Add(31*24*time.Hour)))
	if d := export(t, s, keptID); len(d.Replies) != 1 || d.Replies[0].State != sigap.OutboundPending {
		t.Errorf("the waiting reply: %+v, want it kept", d.Replies)
	}
}

// testRetentionConversations: a conversation goes 90 days after its last
// message, unless a subscription of its sender lasts; then it is read as new.
func testRetentionConversations(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	for _, user := range []string{erasedID, keptID} {
		c := conv(user)
		c.Lang, c.Numbers = "en", []string{app().Number}
		if err := s.SaveConversation(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.UpsertApplication(ctx, app()); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := s.Subscribe(ctx, "jakpus", keptID, app().Number, now); err != nil {
		t.Fatal(err)
	}
	wantRemoved(t, "after 89 days", sigap.Removed{}, applyRetention(t, s, now.Add(89*24*time.Hour)))
	wantRemoved(t, "after 91 days", sigap.Removed{Conversations: 1}, applyRetention(t, s, now.Add(91*24*time.Hour)))
	gone, err := s.Conversation(ctx, "jakpus", erasedID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(conv(erasedID), gone); diff != "" {
		t.Errorf("an idle conversation, after retention (-want +got):\n%s", diff)
	}
	if kept, err := s.Conversation(ctx, "jakpus", keptID); err != nil || kept.Lang != "en" {
		t.Errorf("a subscriber's conversation: %+v, %v; want it kept", kept, err)
	}
}

// testRetentionTickets: a ticket goes a year after staff answered or closed
// it; an open one stays until it is handled.
func testRetentionTickets(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	now := time.Now()
	var numbers []string
	for i, text := range []string{"open", "answered", "closed"} {
		tk, err := s.CreateTicket(ctx, sigap.Ticket{Office: "jakpus", Kind: sigap.TicketComplaint, User: erasedID,
			Text: text, MessageID: "wamid.t" + text, CreatedAt: now.Add(time.Duration(i) * time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		numbers = append(numbers, tk.Number)
	}
	if err := s.AnswerTicket(ctx, "jakpus", numbers[1], "sudah", sigap.TicketAnswered, now); err != nil {
		t.Fatal(err)
	}
	if err := s.AnswerTicket(ctx, "jakpus", numbers[2], "", sigap.TicketClosed, now.Add(30*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	wantRemoved(t, "after 364 days", sigap.Removed{}, applyRetention(t, s, now.Add(364*24*time.Hour)))
	wantRemoved(t, "after 366 days", sigap.Removed{Tickets: 1}, applyRetention(t, s, now.Add(366*24*time.Hour)))
	if _, err := s.FindTicket(ctx, "jakpus", numbers[1]); !errors.Is(err, sigap.ErrNotFound) {
		t.Errorf("the answered ticket after a year: %v, want it gone", err)
	}
	for _, n := range []string{numbers[0], numbers[2]} {
		if _, err := s.FindTicket(ctx, "jakpus", n); err != nil {
			t.Errorf("ticket %s: %v, want it kept", n, err)
		}
	}
	// (The records of the runs before go too.)
	wantRemoved(t, "after 4 years", sigap.Removed{Tickets: 1, Runs: 2}, applyRetention(t, s, now.Add(4*365*24*time.Hour)))
	if _, err := s.FindTicket(ctx, "jakpus", numbers[0]); err != nil {
		t.Errorf("the open ticket after 4 years: %v, want it kept until handled", err)
	}
}

// testRetentionApplications: an application in a final stage goes a year
// after entering it, with its history; its subscriptions go too, and so
// does a subscription whose application has been a week in a final stage.
func testRetentionApplications(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	now := time.Now().Truncate(time.Millisecond)
	year := 365 * 24 * time.Hour
	apps := map[string]sigap.Application{}
	for _, a := range []struct {
		number string
		stage  sigap.Stage
		at     time.Time
	}{
		{"1000000000000001", sigap.StageCollected, now.Add(-year - time.Hour)}, // goes
		{"1000000000000002", sigap.StageCancelled, now.Add(-year - time.Hour)}, // goes
		{"1000000000000003", sigap.StageRejected, now.Add(-year + time.Hour)},  // stays: not a year yet; its subscription goes
		{"1000000000000004", sigap.StageReady, now.Add(-2 * year)},             // stays: not final
		{"1000000000000005", sigap.StageShipped, now.Add(-8 * 24 * time.Hour)}, // stays; its subscription goes
		{"1000000000000006", sigap.StageShipped, now.Add(-2 * 24 * time.Hour)}, // stays, with its subscription
	} {
		ap := with(app(), func(x *sigap.Application) {
			x.Number, x.Stage, x.StageAt = a.number, sigap.StageRegistered, a.at.Add(-time.Hour)
		})
		if _, err := s.UpsertApplication(ctx, ap); err != nil {
			t.Fatal(err)
		}
		ap.Stage, ap.StageAt = a.stage, a.at
		if _, err := s.UpsertApplication(ctx, ap); err != nil {
			t.Fatal(err)
		}
		apps[a.number] = ap
		if err := s.Subscribe(ctx, "jakpus", keptID, a.number, now.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	got := applyRetention(t, s, now)
	wantRemoved(t, "applications", sigap.Removed{Applications: 2, Stages: 4, Subscriptions: 4}, got)
	for number := range apps {
		_, err := s.FindApplication(ctx, "jakpus", number)
		gone := number == "1000000000000001" || number == "1000000000000002"
		if gone != errors.Is(err, sigap.ErrNotFound) {
			t.Errorf("application %s: err %v, want gone %v", number, err, gone)
		}
		hist, err := s.ApplicationHistory(ctx, number)
		if err != nil || gone != (len(hist) == 0) {
			t.Errorf("history of %s: %v, %v; want gone %v", number, hist, err, gone)
		}
	}
	var subscribed []string
	for _, sub := range export(t, s, keptID).Subscriptions {
		subscribed = append(subscribed, sub.Number)
	}
	if diff := cmp.Diff([]string{"1000000000000004", "1000000000000006"}, subscribed); diff != "" {
		t.Errorf("subscriptions left (-want +got):\n%s", diff)
	}
	// A year on the rest of the final ones go; a subscription lasts a
	// year at most, even to an application still under way.
	wantRemoved(t, "a year on", sigap.Removed{Applications: 3, Stages: 6, Subscriptions: 2, Runs: 1},
		applyRetention(t, s, now.Add(year+7*24*time.Hour)))
}

// testRetentionTestSenders: the simulator's test senders go a day after
// their last message, with their tickets and subscriptions; real senders
// stay.
func testRetentionTestSenders(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	now := time.Now()
	for _, user := range []string{"sim:abc", keptID} {
		if err := s.SaveConversation(ctx, conv(user)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateTicket(ctx, sigap.Ticket{Office: "jakpus", Kind: sigap.TicketSuggestion, User: user, Text: "x",
			MessageID: "wamid." + user, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
		if err := s.Subscribe(ctx, "jakpus", user, app().Number, now); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.UpsertApplication(ctx, app()); err != nil {
		t.Fatal(err)
	}
	wantRemoved(t, "after an hour", sigap.Removed{}, applyRetention(t, s, now.Add(time.Hour)))
	wantRemoved(t, "after 25 hours", sigap.Removed{Conversations: 1, Tickets: 1, Subscriptions: 1},
		applyRetention(t, s, now.Add(25*time.Hour)))
	if d := export(t, s, "sim:abc"); !d.Empty() {
		t.Errorf("test sender after a day: %+v, want nothing", d)
	}
	if d := export(t, s, keptID); len(d.Conversations) != 1 || len(d.Tickets) != 1 || len(d.Subscriptions) != 1 {
		t.Errorf("real sender: %+v, want everything kept", d)
	}
}

// testRetentionRuns: every run is recorded, erasures with a hash of the id
// only, and the records themselves go after a year.
func testRetentionRuns(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	deliver(t, s, msg("wamid.1", erasedID, "halo"))
	now := time.Now().Truncate(time.Millisecond)
	applyRetention(t, s, now)
	if _, err := s.EraseSender(ctx, erasedID, "operator", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	runs, err := s.RetentionRuns(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	for i := range runs {
		runs[i].ID = 0
	}
	want := []sigap.RetentionRun{
		{At: now.Add(time.Minute).UTC(), Holder: "operator", What: sigap.RunErasure, Subject: sigap.SubjectHash(erasedID),
			Removed: sigap.Removed{MessageTexts: 1}},
		{At: now.UTC(), Holder: retentionHolder, What: sigap.RunRetention},
	}
	if diff := cmp.Diff(want, runs); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
	for _, r := range runs {
		if b, _ := json.Marshal(r); strings.Contains(string(b), erasedID) {
			t.Errorf("a run record names the WhatsApp id: %s", b)
		}
	}
	got := applyRetention(t, s, now.Add(366*24*time.Hour))
	wantRemoved(t, "a year on", sigap.Removed{Messages: 1, Runs: 2}, got)
	if runs, _ := s.RetentionRuns(ctx, 10); len(runs) != 1 {
		t.Errorf("runs a year on: %+v, want only the last", runs)
	}
}

// export returns everything stored about waID.
func export(t *testing.T, s sigap.Store, waID string) sigap.SenderData {
	t.Helper()
	d, err := s.ExportSender(context.Background(), waID)
	if err != nil {
		t.Fatalf("ExportSender: %v", err)
	}
	return d
}

// storeSender stores one of everything about user at office: an answered
// message and one waiting, a conversation, a ticket, a subscription, a
// reply sent with its status and one waiting to be sent.
func storeSender(t *testing.T, s sigap.Store, office, user string) {
	t.Helper()
	ctx := context.Background()
	m := func(id, text string) sigap.InboundMessage {
		return sigap.InboundMessage{ID: id, Office: office, From: user, At: t0, Kind: sigap.KindText, Text: text}
	}
	done, waiting := m("wamid.done."+office+user, "17081990"), m("wamid.wait."+office+user, "#pengaduan lama")
	deliver(t, s, done, waiting)
	c := sigap.Conversation{Office: office, User: user, Lang: "id", Notify: true, Numbers: []string{app().Number}}
	sent := sigap.OutboundMessage{Office: office, To: user, InReplyTo: done.ID, Reply: sigap.Reply{Text: "B*** S******: siap diambil"}}
	unsent := sigap.OutboundMessage{Office: office, To: user, InReplyTo: done.ID, Reply: sigap.Reply{Text: "belum terkirim"}}
	if err := s.CompleteInbound(ctx, done.ID, c, []sigap.OutboundMessage{sent, unsent}); err != nil {
		t.Fatal(err)
	}
	out, err := s.ClaimOutbound(ctx, time.Now(), time.Minute, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range out {
		// The first reply only: the second waits behind it.
		if o.Office == office && o.To == user && o.Reply.Text == sent.Reply.Text {
			if err := s.MarkSent(ctx, o.ID, "wamid.out."+office+user, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := s.SaveDelivery(ctx, sigap.Delivery{Statuses: []sigap.StatusUpdate{
		{MessageID: "wamid.out." + office + user, Status: "read", At: t0, Recipient: user},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateTicket(ctx, sigap.Ticket{Office: office, Kind: sigap.TicketComplaint, User: user, Lang: "id",
		Text: "antrean lama, NIK saya 3171010101900001", MessageID: "wamid.ticket." + office + user, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.Subscribe(ctx, office, user, app().Number, t0); err != nil {
		t.Fatal(err)
	}
}

// testPrivacyExport: everything stored about one WhatsApp id, at every
// office, and nothing about anyone else.
func testPrivacyExport(t *testing.T, s sigap.Store) {
	for _, office := range []string{"jakpus", "mataram"} {
		storeSender(t, s, office, erasedID)
	}
	storeSender(t, s, "jakpus", keptID)
	d := export(t, s, erasedID)
	if d.WAID != erasedID {
		t.Errorf("WAID %q", d.WAID)
	}
	type count struct{ Messages, Conversations, Tickets, Subscriptions, Replies, Statuses int }
	got := count{len(d.Messages), len(d.Conversations), len(d.Tickets), len(d.Subscriptions), len(d.Replies), len(d.Statuses)}
	if diff := cmp.Diff(count{4, 2, 2, 2, 4, 2}, got); diff != "" {
		t.Fatalf("exported (-want +got):\n%s", diff)
	}
	var texts []string
	for _, m := range d.Messages {
		texts = append(texts, m.Message.Office+":"+m.Message.Text)
		if m.Message.From != erasedID {
			t.Errorf("message %s from %q", m.Message.ID, m.Message.From)
		}
	}
	if diff := cmp.Diff([]string{"jakpus:17081990", "jakpus:#pengaduan lama", "mataram:17081990", "mataram:#pengaduan lama"}, texts); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	for _, c := range d.Conversations {
		if c.User != erasedID || !c.Notify || c.Lang != "id" || len(c.Numbers) != 1 || c.UpdatedAt.IsZero() {
			t.Errorf("conversation %+v", c)
		}
	}
	for _, tk := range d.Tickets {
		if tk.User != erasedID || !strings.Contains(tk.Text, "NIK") {
			t.Errorf("ticket %+v", tk)
		}
	}
	for _, r := range d.Replies {
		if r.To != erasedID || r.Reply.Text == "" {
			t.Errorf("reply %+v", r)
		}
	}
	for _, st := range d.Statuses {
		if st.Recipient != erasedID || st.Status != "read" {
			t.Errorf("status %+v", st)
		}
	}
	if d := export(t, s, "6289999999999"); !d.Empty() {
		t.Errorf("export of an unknown id: %+v, want nothing", d)
	}
}

// testPrivacyErase: everything about one WhatsApp id goes in one step,
// nothing about anyone else; the id does not come back from the outbox or
// the inbox, and a redelivery of its messages is still a duplicate.
func testPrivacyErase(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	for _, office := range []string{"jakpus", "mataram"} {
		storeSender(t, s, office, erasedID)
	}
	storeSender(t, s, "jakpus", keptID)
	before := export(t, s, keptID)
	// Read now, as the gateway would before the erasure: on SQLite it is
	// also cached.
	if c, err := s.Conversation(ctx, "jakpus", erasedID); err != nil || c.Version == 0 {
		t.Fatalf("conversation before: %+v, %v", c, err)
	}
	var tickets []string
	for _, tk := range export(t, s, erasedID).Tickets {
		tickets = append(tickets, tk.Office+" "+tk.Number)
	}

	// Staff worked on the sender's chat and a ticket (a note, audited), and
	// on another sender's chat.
	office0, number0, _ := strings.Cut(tickets[0], " ")
	if _, err := s.AddTicketNote(ctx, office0, number0, "called back: lives in Bekasi", t0); err != nil {
		t.Fatal(err)
	}
	for _, e := range []sigap.AuditEntry{
		{Action: "chat.reply", Office: "jakpus", Subject: erasedID, After: []byte(`{"text":"Halo Bu Siti"}`)},
		{Action: "ticket.note", Office: office0, Subject: number0, After: []byte(`{"note":"called back: lives in Bekasi"}`)},
		{Action: "chat.reply", Office: "jakpus", Subject: keptID, After: []byte(`{"text":"Halo Pak"}`)},
	} {
		e.At, e.AccountID, e.Actor = t0, 7, "siti@kanim.go.id"
		if err := s.RecordAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	before = export(t, s, keptID) // with staff's entry about it
	if d := export(t, s, erasedID); len(d.TicketNotes) != 1 || d.TicketNotes[0].Notes == "" || len(d.Audit) != 2 {
		t.Errorf("export: notes %+v, audit %+v; want the ticket's notes and the 2 entries about the sender", d.TicketNotes, d.Audit)
	}

	now := time.Now()
	got, err := s.EraseSender(ctx, erasedID, "operator", now)
	if err != nil {
		t.Fatal(err)
	}
	want := sigap.Removed{MessageTexts: 4, Conversations: 2, Tickets: 2, Subscriptions: 2, Replies: 4, Statuses: 2, Audit: 2}
	wantRemoved(t, "erasure", want, got)
	if d := export(t, s, erasedID); !d.Empty() {
		t.Errorf("export after erasure: %+v, want nothing", d)
	}
	if diff := cmp.Diff(before, export(t, s, keptID)); diff != "" {
		t.Errorf("another sender's data changed (-before +after):\n%s", diff)
	}
	for _, office := range []string{"jakpus", "mataram"} {
		c, err := s.Conversation(ctx, office, erasedID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(sigap.Conversation{Office: office, User: erasedID}, c); diff != "" {
			t.Errorf("conversation at %s after erasure (-want +got):\n%s", office, diff)
		}
	}
	for _, tk := range tickets {
		office, number, _ := strings.Cut(tk, " ")
		got, err := s.FindTicket(ctx, office, number)
		if err != nil {
			t.Fatalf("ticket %s: %v", tk, err)
		}
		if got.User != "" || got.Text != "" || got.Reply != "" || got.State != sigap.TicketClosed || got.Kind != sigap.TicketComplaint {
			t.Errorf("ticket %s after erasure: %+v, want anonymous, closed, its kind kept", tk, got)
		}
	}
	if tk, err := s.StaffTicket(ctx, office0, number0); err != nil || tk.Notes != "" {
		t.Errorf("ticket notes after erasure: %q, %v; want none", tk.Notes, err)
	}
	audit, err := s.AuditLog(ctx, sigap.AuditQuery{})
	if err != nil || len(audit) != 3 {
		t.Fatalf("audit log after erasure: %d entries, %v; want 3", len(audit), err)
	}
	for _, e := range audit {
		kept := e.Subject == keptID
		if e.Actor != "siti@kanim.go.id" || e.Subject == erasedID || kept != (len(e.After) > 0) {
			t.Errorf("audit entry after erasure: %+v; want who did it kept, the erased sender's subject and words gone", e)
		}
	}
	// Nothing left to answer or to send to the id: only the other sender's.
	for _, m := range claimInbound(t, s, now.Add(time.Hour), "wamid.wait.jakpus"+keptID) {
		if m.From == erasedID {
			t.Errorf("an erased sender's message is still to be answered: %+v", m)
		}
	}
	err = s.CompleteInbound(ctx, "wamid.wait.jakpus"+erasedID, conv(erasedID), []sigap.OutboundMessage{reply(erasedID, "", "late")})
	if !errors.Is(err, sigap.ErrNotPending) {
		t.Errorf("a turn on an erased message finishing late: %v, want ErrNotPending", err)
	}
	out, err := s.ClaimOutbound(ctx, now.Add(time.Hour), time.Minute, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range out {
		if o.To == erasedID {
			t.Errorf("a reply to the erased id is still to be sent: %+v", o)
		}
	}
	// The message ids stay: a redelivery is not answered again.
	added, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{
		{ID: "wamid.done.jakpus" + erasedID, Office: "jakpus", From: erasedID, At: t0, Kind: sigap.KindText, Text: "17081990"},
	}})
	if err != nil || added != 0 {
		t.Errorf("redelivery of an erased message: added %d, %v; want 0", added, err)
	}
	if a, ok := s.(sigap.AnswerOnArrival); ok {
		if c, idle, err := a.ConversationIfIdle(ctx, "jakpus", erasedID); err != nil || !idle || c.Version != 0 {
			t.Errorf("ConversationIfIdle after erasure: %+v, idle %v, %v; want a new conversation", c, idle, err)
		}
	}
	// Erasing again finds nothing, and says so.
	again, err := s.EraseSender(ctx, erasedID, "operator", now)
	if err != nil || again.Total() != 0 {
		t.Errorf("second erasure: %+v, %v; want nothing", again, err)
	}
}

// testRetentionByKey: message ids go in the order they were stored, which
// is the order of their arrival times: one that arrived before the cutoff
// goes, one that arrived after it stays (the job deletes by key range, not
// through an index on the time).
func testRetentionByKey(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	// The store stamps arrival with its own clock (to the millisecond): a
	// few milliseconds apart put the cutoff between the two.
	deliver(t, s, msg("wamid.old", keptID, "halo"))
	time.Sleep(5 * time.Millisecond)
	cutoff := time.Now()
	time.Sleep(5 * time.Millisecond)
	deliver(t, s, msg("wamid.new", keptID, "halo"))
	for _, id := range []string{"wamid.old", "wamid.new"} {
		if err := s.CompleteInbound(ctx, id, conv(keptID), nil); err != nil {
			t.Fatal(err)
		}
	}
	got := applyRetention(t, s, cutoff.Add(sigap.RetentionPolicy{}.OrDefaults().Messages))
	if got.Messages != 1 {
		t.Errorf("message ids removed: %d, want 1 (the one that arrived before the cutoff)", got.Messages)
	}
	for id, kept := range map[string]bool{"wamid.old": false, "wamid.new": true} {
		added, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{msg(id, keptID, "halo")}})
		if err != nil {
			t.Fatal(err)
		}
		if dup := added == 0; dup != kept {
			t.Errorf("%s redelivered: a duplicate = %v, want %v", id, dup, kept)
		}
	}
}
