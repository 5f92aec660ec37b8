package gateway_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/gateway"
	"github.com/sigap-id/sigap/internal/store/sqlite"
	"github.com/sigap-id/sigap/internal/store/sqlstore"
)

// flakyBot answers "ok: TEXT", but fails or panics on the messages it is told to.
type flakyBot struct {
	fail, panic map[string]bool
}

func (b *flakyBot) Handle(_ context.Context, _ sigap.Office, conv sigap.Conversation, m sigap.InboundMessage) ([]sigap.Reply, sigap.Conversation, error) {
	if b.panic[m.Text] {
		panic("bug on " + m.Text)
	}
	if b.fail[m.Text] {
		return nil, conv, errors.New("applications store unavailable")
	}
	conv.Lang = "id"
	return []sigap.Reply{{Text: "ok: " + m.Text}}, conv, nil
}

func (b *flakyBot) Apology(string) sigap.Reply { return sigap.Reply{Text: "maaf"} }

func setup(t *testing.T, bot gateway.Bot) (*sqlstore.Store, *gateway.Processor, *time.Time) {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "sigap.db"), sqlite.Options{Migrate: true, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	offices := func(code string) (sigap.Office, bool) { return sigap.Office{Code: code}, code == "jakpus" }
	now := time.Now()
	p := gateway.NewProcessor(gateway.Options{Store: s, Bot: bot, Offices: offices, Log: slog.New(slog.DiscardHandler),
		Now: func() time.Time { return now }})
	return s, p, &now
}

func receive(t *testing.T, s *sqlstore.Store, office string, texts ...string) {
	t.Helper()
	var msgs []sigap.InboundMessage
	for _, text := range texts {
		msgs = append(msgs, sigap.InboundMessage{ID: "wamid." + text, Office: office, From: "628111", Kind: sigap.KindText, Text: text})
	}
	if _, err := s.SaveDelivery(context.Background(), sigap.Delivery{Messages: msgs}); err != nil {
		t.Fatal(err)
	}
}

func replies(t *testing.T, s *sqlstore.Store) []string {
	t.Helper()
	out, err := s.Outbound(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, m := range out {
		texts = append(texts, m.Reply.Text)
	}
	return texts
}

func TestAnswersInArrivalOrder(t *testing.T) {
	s, p, _ := setup(t, &flakyBot{})
	receive(t, s, "jakpus", "satu", "dua", "tiga")
	// One sender's messages are taken one at a time: only the first is
	// claimed, and completing each claims the next, answered by the same
	// worker.
	for batch, want := range []int{1, 0} {
		n, err := p.ProcessBatch(context.Background(), 10)
		if err != nil || n != want {
			t.Fatalf("batch %d: claimed %d, %v; want %d", batch, n, err, want)
		}
	}
	got := replies(t, s)
	want := []string{"ok: satu", "ok: dua", "ok: tiga"}
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("replies %q, want %q", got, want)
	}
	if conv, _ := s.Conversation(context.Background(), "jakpus", "628111"); conv.Lang != "id" {
		t.Errorf("conversation not stored with the step: %+v", conv)
	}
}

func TestFailingMessageIsRetriedThenApologisedFor(t *testing.T) {
	for _, bot := range []*flakyBot{
		{fail: map[string]bool{"rusak": true}},
		{panic: map[string]bool{"rusak": true}},
	} {
		s, p, now := setup(t, bot)
		receive(t, s, "jakpus", "rusak", "halo")
		ctx := context.Background()
		for attempt := 1; attempt <= p.Options().MaxAttempts; attempt++ {
			if _, err := p.ProcessBatch(ctx, 10); err != nil {
				t.Fatal(err)
			}
			*now = now.Add(p.Options().Lease + time.Second) // the lease runs out; the message is offered again
		}
		// The sender's next message waits its turn, then is answered.
		if _, err := p.ProcessBatch(ctx, 10); err != nil {
			t.Fatal(err)
		}
		got := replies(t, s)
		if len(got) != 2 || got[0] != "maaf" || got[1] != "ok: halo" {
			t.Errorf("replies %q, want an apology after %d attempts, then the next message answered", got, p.Options().MaxAttempts)
		}
		if n, _ := p.ProcessBatch(ctx, 10); n != 0 {
			t.Errorf("the apologised-for message was offered again")
		}
	}
}

func TestChatStoresTheConversationWithoutTheOutbox(t *testing.T) {
	s, p, _ := setup(t, &flakyBot{})
	office := sigap.Office{Code: "jakpus"}
	got, err := p.Chat(context.Background(), office, sigap.InboundMessage{ID: "sim.1", Office: "jakpus", From: "sim:1", Kind: sigap.KindText, Text: "halo"})
	if err != nil || len(got) != 1 || got[0].Text != "ok: halo" {
		t.Fatalf("Chat = %v, %v", got, err)
	}
	if conv, _ := s.Conversation(context.Background(), "jakpus", "sim:1"); conv.Lang != "id" {
		t.Errorf("conversation not stored: %+v", conv)
	}
	if r := replies(t, s); len(r) != 0 {
		t.Errorf("simulator replies went to the outbox: %q", r)
	}
}

func TestAFailedStepIsRetriedSoonNotAfterTheLease(t *testing.T) {
	bot := &flakyBot{fail: map[string]bool{"rusak": true}}
	s, p, now := setup(t, bot)
	receive(t, s, "jakpus", "rusak")
	ctx := context.Background()
	if n, _ := p.ProcessBatch(ctx, 10); n != 1 {
		t.Fatalf("first try: claimed %d, want 1", n)
	}
	// Not before its short wait...
	if n, _ := p.ProcessBatch(ctx, 10); n != 0 {
		t.Errorf("offered again at once")
	}
	// ...but well before the lease (a minute) runs out: tried twice in
	// a few seconds.
	bot.fail = nil
	*now = now.Add(2 * time.Second)
	if n, _ := p.ProcessBatch(ctx, 10); n != 1 {
		t.Fatalf("two seconds later: claimed %d, want 1 (the lease is %v)", n, p.Options().Lease)
	}
	if got := replies(t, s); len(got) != 1 || got[0] != "ok: rusak" {
		t.Errorf("replies %q, want the message answered on its second try", got)
	}
}

// countingBot is flakyBot whose every turn counts a look-up at at.
type countingBot struct {
	flakyBot
	at time.Time
}

func (b *countingBot) Handle(ctx context.Context, o sigap.Office, conv sigap.Conversation, m sigap.InboundMessage) ([]sigap.Reply, sigap.Conversation, error) {
	replies, next, err := b.flakyBot.Handle(ctx, o, conv, m)
	next.Lookups.Add(b.at, time.Hour)
	return replies, next, err
}

// TestTurnCountsAreStoredWithTheAnswer: what a turn counts (in its
// conversation) is stored when its answer is, once per message, also for a
// message whose first try failed.
func TestTurnCountsAreStoredWithTheAnswer(t *testing.T) {
	at := time.Date(2026, 1, 20, 3, 15, 0, 0, time.UTC)
	bot := &countingBot{flakyBot{fail: map[string]bool{"rusak": true}}, at}
	s, p, now := setup(t, bot)
	receive(t, s, "jakpus", "satu", "rusak")
	ctx := context.Background()
	if _, err := p.ProcessBatch(ctx, 10); err != nil {
		t.Fatal(err)
	}
	bot.fail = nil
	*now = now.Add(2 * time.Second)
	if n, _ := p.ProcessBatch(ctx, 10); n != 1 {
		t.Fatalf("retry: claimed %d, want 1", n)
	}
	if got := replies(t, s); len(got) != 2 {
		t.Fatalf("replies %q, want two", got)
	}
	conv, err := s.Conversation(ctx, "jakpus", "628111")
	if n := conv.Lookups.In(at, time.Hour); err != nil || n != 2 {
		t.Errorf("look-ups counted %d, %v; want 2", n, err)
	}
}
