package bot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/content"
)

func newTestEngine(t *testing.T, deps Deps, now time.Time) *Engine {
	t.Helper()
	cat, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	return New(cat, deps, func() time.Time { return now })
}

func textMsg(s string, at time.Time) sigap.InboundMessage {
	return sigap.InboundMessage{ID: "m", Kind: sigap.KindText, Text: s, At: at}
}

// say sends messages in turn, carrying the conversation, and returns the
// replies to the last one.
func say(t *testing.T, e *Engine, office sigap.Office, conv sigap.Conversation, msgs ...string) ([]sigap.Reply, sigap.Conversation) {
	t.Helper()
	var replies []sigap.Reply
	var err error
	for _, m := range msgs {
		replies, conv, err = e.Handle(context.Background(), office, conv, textMsg(m, e.now()))
		if err != nil {
			t.Fatalf("> %s: %v", m, err)
		}
	}
	return replies, conv
}

func TestWrongBirthDateReadsLikeUnknownNumber(t *testing.T) {
	now := at("2026-01-20T10:00:00+07:00")
	e := newTestEngine(t, fixtures().deps(), now)
	// This test fails more often than a day allows.
	office := sigap.Office{Code: testOffice, Name: "Kanim", VerifyBirthDate: true, Limits: unlimited}
	for _, lang := range []string{"id", "en"} {
		conv := sigap.Conversation{Lang: lang}
		unknown, _ := say(t, e, office, conv, "9999999999999999", "17081990")
		elsewhere, _ := say(t, e, office, conv, "3100000000000099", "01011990")
		wrong, _ := say(t, e, office, conv, "3100000000000001", "15051990")
		right, _ := say(t, e, office, conv, "3100000000000001", "14051990")
		if diff := cmp.Diff(unknown, wrong); diff != "" {
			t.Errorf("%s: wrong birth date differs from unknown number (-unknown +wrong):\n%s", lang, diff)
		}
		if diff := cmp.Diff(unknown, elsewhere); diff != "" {
			t.Errorf("%s: number of another office differs from unknown number (-unknown +elsewhere):\n%s", lang, diff)
		}
		if cmp.Equal(unknown, right) {
			t.Errorf("%s: the right birth date got the not-found reply", lang)
		}
		// The question itself must not depend on whether the number exists,
		// beyond the number it repeats.
		q1, _ := say(t, e, office, conv, "9999999999999999")
		q2, _ := say(t, e, office, conv, "3100000000000001")
		if len(q1) != 1 || len(q2) != 1 {
			t.Fatalf("%s: want one reply each, got %d and %d", lang, len(q1), len(q2))
		}
		if got := q2[0].Text; got != strings.ReplaceAll(q1[0].Text, "9999999999999999", "3100000000000001") {
			t.Errorf("%s: prompts differ:\n%s\n%s", lang, q1[0].Text, got)
		}
	}
}

type failingApps struct{ *memStore }

var errDown = errors.New("database down")

func (failingApps) FindApplication(context.Context, string, string) (sigap.Application, error) {
	return sigap.Application{}, errDown
}

func TestStoreErrorIsReturned(t *testing.T) {
	now := at("2026-01-20T10:00:00+07:00")
	deps := fixtures().deps()
	deps.Applications = failingApps{newMemStore()}
	e := newTestEngine(t, deps, now)
	office := sigap.Office{Code: testOffice, VerifyBirthDate: true}
	conv := sigap.Conversation{Awaiting: awaitBirthDate, AwaitingNumber: "3100000000000001", AwaitingSince: now.Add(-time.Minute)}
	replies, got, err := e.Handle(context.Background(), office, conv, textMsg("14051990", now))
	if !errors.Is(err, errDown) {
		t.Fatalf("err = %v, want %v", err, errDown)
	}
	if replies != nil {
		t.Errorf("replies = %v, want none", replies)
	}
	if diff := cmp.Diff(conv, got); diff != "" {
		t.Errorf("conversation changed on error (-want +got):\n%s", diff)
	}
	// Without the birth date check the look-up happens at once.
	office.VerifyBirthDate = false
	if _, _, err := e.Handle(context.Background(), office, sigap.Conversation{}, textMsg("3100000000000001", now)); !errors.Is(err, errDown) {
		t.Errorf("err = %v, want %v", err, errDown)
	}
}

func TestReactionGetsNoReply(t *testing.T) {
	now := at("2026-01-20T10:00:00+07:00")
	e := newTestEngine(t, fixtures().deps(), now)
	conv := sigap.Conversation{Awaiting: awaitBirthDate, AwaitingNumber: "3100000000000001", AwaitingSince: now}
	msg := sigap.InboundMessage{ID: "r", Kind: sigap.KindReaction, Text: "👍", At: now.Add(time.Second)}
	replies, got, err := e.Handle(context.Background(), sigap.Office{Code: testOffice}, conv, msg)
	if err != nil || len(replies) != 0 {
		t.Fatalf("Handle(reaction) = %v, %v; want no replies", replies, err)
	}
	want := conv
	want.LastInboundAt = msg.At
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("conversation (-want +got):\n%s", diff)
	}
}

func TestReplyShapes(t *testing.T) {
	now := at("2026-01-20T10:00:00+07:00")
	e := newTestEngine(t, fixtures().deps(), now)
	office := sigap.Office{Code: testOffice, Name: "Kanim"}
	for _, tt := range []struct {
		msg      sigap.InboundMessage
		wantList bool
	}{
		{textMsg("halo", now), true},
		{textMsg("apa ini", now), true},
		{textMsg("#bayar", now), false},
		{textMsg("3100000000000007", now), false},
		{sigap.InboundMessage{Kind: sigap.KindInteractive, ChoiceID: "menu:syarat", Text: "Persyaratan"}, true},
		{sigap.InboundMessage{Kind: sigap.KindInteractive, ChoiceID: "menu:requirement.child", Text: "Anak"}, false},
		{sigap.InboundMessage{Kind: sigap.KindButton, ChoiceID: "menu:antrian"}, false},
		{sigap.InboundMessage{Kind: sigap.KindAudio}, false},
		{sigap.InboundMessage{Kind: "something new", Text: "halo"}, false},
	} {
		replies, _, err := e.Handle(context.Background(), office, sigap.Conversation{}, tt.msg)
		if err != nil {
			t.Fatal(err)
		}
		if len(replies) != 1 {
			t.Fatalf("%+v: %d replies, want 1", tt.msg, len(replies))
		}
		r := replies[0]
		if r.Text == "" {
			t.Errorf("%+v: no text: the text must stand alone", tt.msg)
		}
		if (r.List != nil) != tt.wantList {
			t.Errorf("%+v: list = %v, want a list: %v", tt.msg, r.List, tt.wantList)
		}
	}
}

func TestAwaitingExpiry(t *testing.T) {
	start := at("2026-01-20T10:00:00+07:00")
	office := sigap.Office{Code: testOffice, VerifyBirthDate: true}
	for _, tt := range []struct {
		after      time.Duration
		wantStatus bool
	}{
		{time.Minute, true},
		{10 * time.Minute, true},
		{10*time.Minute + time.Second, false},
		{time.Hour, false},
	} {
		e := newTestEngine(t, fixtures().deps(), start)
		_, conv := say(t, e, office, sigap.Conversation{}, "3100000000000007")
		if conv.Awaiting != awaitBirthDate || !conv.AwaitingSince.Equal(start) {
			t.Fatalf("after the number: %+v", conv)
		}
		e.now = func() time.Time { return start.Add(tt.after) }
		replies, conv := say(t, e, office, conv, "29021988")
		gotStatus := len(replies) == 1 && replies[0].List == nil
		if gotStatus != tt.wantStatus {
			t.Errorf("after %v: status = %v, want %v: %v", tt.after, gotStatus, tt.wantStatus, replies)
		}
		if conv.Awaiting != "" || conv.AwaitingNumber != "" || !conv.AwaitingSince.IsZero() {
			t.Errorf("after %v: still awaiting: %+v", tt.after, conv)
		}
	}
}

// TestFeedbackOncePerMessage: a message answered twice (the gateway retries
// after a crash) files one ticket and gives the same number both times.
func TestFeedbackOncePerMessage(t *testing.T) {
	now := at("2026-01-20T10:00:00+07:00")
	store := fixtures()
	e := newTestEngine(t, store.deps(), now)
	office := sigap.Office{Code: testOffice, Name: "Kanim"}
	msg := sigap.InboundMessage{ID: "wamid.x", From: "62811", Kind: sigap.KindText, Text: "#saran tambah kursi", At: now}
	first, _, err := e.Handle(t.Context(), office, sigap.Conversation{}, msg)
	if err != nil {
		t.Fatal(err)
	}
	again, _, err := e.Handle(t.Context(), office, sigap.Conversation{}, msg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("the retry answered differently (-first +again):\n%s", diff)
	}
	if n := len(store.ticketList()); n != 1 {
		t.Errorf("%d tickets, want 1", n)
	}
	tk := store.ticketList()[0]
	if tk.Text != "tambah kursi" || tk.User != "62811" || tk.Kind != sigap.TicketSuggestion || tk.Lang != "id" {
		t.Errorf("ticket = %+v", tk)
	}
}

type failingStore struct {
	*memStore
	err error
}

func (f failingStore) CreateTicket(context.Context, sigap.Ticket) (sigap.Ticket, error) {
	return sigap.Ticket{}, f.err
}

func (f failingStore) Subscribe(context.Context, string, string, string, time.Time) error {
	return f.err
}

// TestStoreErrorsAreReturned: when a store fails, the message is not
// answered (the gateway retries it) and the conversation is unchanged.
func TestStoreErrorsAreReturned(t *testing.T) {
	now := at("2026-01-20T10:00:00+07:00")
	fs := failingStore{fixtures(), errDown}
	deps := Deps{Applications: fs, Tickets: fs, Subscriptions: fs}
	e := newTestEngine(t, deps, now)
	office := sigap.Office{Code: testOffice}
	for _, tt := range []struct {
		conv sigap.Conversation
		text string
	}{
		{sigap.Conversation{}, "#pengaduan antrean kacau"},
		{sigap.Conversation{Awaiting: awaitFeedback, AwaitingKind: sigap.TicketComplaint, AwaitingSince: now}, "antrean kacau"},
		{sigap.Conversation{Numbers: []string{"3100000000000001"}}, "#notif on"},
	} {
		replies, got, err := e.Handle(t.Context(), office, tt.conv, textMsg(tt.text, now))
		if !errors.Is(err, errDown) || replies != nil {
			t.Errorf("%q: replies %v, err %v; want none and %v", tt.text, replies, err, errDown)
		}
		if diff := cmp.Diff(tt.conv, got); diff != "" {
			t.Errorf("%q: conversation changed on error (-want +got):\n%s", tt.text, diff)
		}
	}
}

// TestLongMessages: a long complaint, up to sigap.MaxTicketRunes, is filed
// whole (TestFeedbackTooLong has the longer ones).
func TestLongMessages(t *testing.T) {
	now := at("2026-01-20T10:00:00+07:00")
	store := fixtures()
	e := newTestEngine(t, store.deps(), now)
	long := "#pengaduan " + strings.Repeat("antrean sangat lama dan petugas tidak ada 🙏 ", 45)
	replies, _, err := e.Handle(t.Context(), sigap.Office{Code: testOffice}, sigap.Conversation{}, textMsg(long, now))
	if err != nil || len(replies) != 1 {
		t.Fatalf("replies %v, err %v", replies, err)
	}
	if got := store.ticketList()[0].Text; got != strings.TrimSpace(strings.TrimPrefix(long, "#pengaduan ")) {
		t.Errorf("the complaint was cut: %d bytes of %d", len(got), len(long))
	}
}

// TestLimitsAreKeptInTheConversation: a look-up is counted in the
// conversation the turn returns, a failed one as a failure too, and nothing
// else counts; the turn writes nothing of them, so a turn tried again from
// the same stored state counts nothing twice.
func TestLimitsAreKeptInTheConversation(t *testing.T) {
	now := at("2026-01-20T10:00:00+07:00")
	e := newTestEngine(t, fixtures().deps(), now)
	office := sigap.Office{Code: testOffice}
	hour, _ := sigap.LimitWindow(now, time.Hour)
	day, _ := sigap.LimitWindow(now, 24*time.Hour)
	for _, tt := range []struct {
		text              string
		lookups, failures sigap.Tally
	}{
		{"3100000000000001", sigap.Tally{Since: hour, N: 1}, sigap.Tally{}},
		{"9999999999999999", sigap.Tally{Since: hour, N: 1}, sigap.Tally{Since: day, N: 1}},
		{"menu", sigap.Tally{}, sigap.Tally{}},
	} {
		for range 2 { // the same turn again, from the same state
			_, next, err := e.Handle(t.Context(), office, sigap.Conversation{}, textMsg(tt.text, now))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.lookups, next.Lookups); diff != "" {
				t.Errorf("%s: look-ups (-want +got):\n%s", tt.text, diff)
			}
			if diff := cmp.Diff(tt.failures, next.Failures); diff != "" {
				t.Errorf("%s: failures (-want +got):\n%s", tt.text, diff)
			}
		}
	}
	// The next hour's look-ups start again; today's failures still count.
	_, next, _ := e.Handle(t.Context(), office, sigap.Conversation{}, textMsg("9999999999999999", now))
	later := now.Add(time.Hour)
	e.now = func() time.Time { return later }
	_, next, err := e.Handle(t.Context(), office, next, textMsg("9999999999999999", later))
	if err != nil {
		t.Fatal(err)
	}
	if next.Lookups.In(later, time.Hour) != 1 || next.Failures.In(later, 24*time.Hour) != 2 {
		t.Errorf("an hour later: %d look-ups this hour, %d failures today; want 1 and 2", next.Lookups.In(later, time.Hour), next.Failures.In(later, 24*time.Hour))
	}
}

// unlimited lifts an office's look-up limits, for tests that look up more
// than a sender may.
var unlimited = sigap.OfficeLimits{LookupsPerHour: 1 << 30, FailuresPerDay: 1 << 30, FailuresPerNumber: 1 << 30}
