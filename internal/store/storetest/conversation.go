package storetest

// What the conversation keeps beyond the chat: tickets, limits,
// subscriptions, and applications found at any office.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigap-id/sigap"
)

func testTickets(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	in := sigap.Ticket{Office: "jakpus", Kind: sigap.TicketComplaint, User: "62811", Lang: "id",
		Text: "Antrean tidak jelas.", MessageID: "wamid.1", CreatedAt: t0, UpdatedAt: t0}
	got, err := s.CreateTicket(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := sigap.ParseTicketNumber(got.Number); !ok || n != got.Number {
		t.Errorf("ticket number %q is not in the canonical form", got.Number)
	}
	want := in
	want.Number, want.State = got.Number, sigap.TicketOpen
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("created ticket (-want +got):\n%s", diff)
	}
	found, err := s.FindTicket(ctx, "jakpus", got.Number)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, found); diff != "" {
		t.Errorf("found ticket (-want +got):\n%s", diff)
	}
	// Another office does not see it.
	if _, err := s.FindTicket(ctx, "mataram", got.Number); !errors.Is(err, sigap.ErrNotFound) {
		t.Errorf("another office's ticket: err = %v, want ErrNotFound", err)
	}
	if _, err := s.FindTicket(ctx, "jakpus", "000-000"); !errors.Is(err, sigap.ErrNotFound) {
		t.Errorf("unknown ticket: err = %v, want ErrNotFound", err)
	}
	// Staff answer, then close it.
	if err := s.AnswerTicket(ctx, "jakpus", got.Number, "Sudah kami perbaiki.", sigap.TicketAnswered, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.AnswerTicket(ctx, "jakpus", got.Number, "Sudah kami perbaiki.", sigap.TicketClosed, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	found, err = s.FindTicket(ctx, "jakpus", got.Number)
	if err != nil {
		t.Fatal(err)
	}
	want.Reply, want.State, want.UpdatedAt = "Sudah kami perbaiki.", sigap.TicketClosed, t0.Add(2*time.Hour)
	if diff := cmp.Diff(want, found); diff != "" {
		t.Errorf("answered ticket (-want +got):\n%s", diff)
	}
	if err := s.AnswerTicket(ctx, "jakpus", "000-000", "x", sigap.TicketAnswered, t0); !errors.Is(err, sigap.ErrNotFound) {
		t.Errorf("answering an unknown ticket: err = %v, want ErrNotFound", err)
	}
}

// testTicketsOncePerMessage: a message processed twice (a retry after a
// crash), even at once, makes one ticket; other messages make others.
func testTicketsOncePerMessage(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	mk := func(id string) sigap.Ticket {
		return sigap.Ticket{Office: "jakpus", Kind: sigap.TicketSuggestion, User: "62811", Text: "x", MessageID: id, CreatedAt: t0}
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		numbers = map[string]bool{}
	)
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tk, err := s.CreateTicket(ctx, mk("wamid.same"))
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			numbers[tk.Number] = true
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(numbers) != 1 {
		t.Errorf("one message made %d tickets: %v", len(numbers), numbers)
	}
	seen := map[string]bool{}
	for i := range 50 {
		tk, err := s.CreateTicket(ctx, mk(fmt.Sprint("wamid.", i)))
		if err != nil {
			t.Fatal(err)
		}
		if seen[tk.Number] || numbers[tk.Number] {
			t.Fatalf("ticket number %s given twice", tk.Number)
		}
		seen[tk.Number] = true
	}
	// Tickets made without a message id are all distinct.
	a, err := s.CreateTicket(ctx, mk(""))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.CreateTicket(ctx, mk(""))
	if err != nil {
		t.Fatal(err)
	}
	if a.Number == b.Number {
		t.Errorf("two tickets without a message id share number %s", a.Number)
	}
}

func testSubscriptions(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	const n1, n2 = "1234567890123456", "6543210987654321"
	for _, sub := range [][3]string{
		{"jakpus", "62811", n1}, {"jakpus", "62811", n1}, {"jakpus", "62811", n2},
		{"jakpus", "62822", n1}, {"mataram", "62833", n1},
	} {
		if err := s.Subscribe(ctx, sub[0], sub[1], sub[2], t0); err != nil {
			t.Fatal(err)
		}
	}
	check := func(office, number string, want []string) {
		t.Helper()
		got, err := s.Subscribers(ctx, office, number)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("subscribers of %s at %s (-want +got):\n%s", number, office, diff)
		}
	}
	check("jakpus", n1, []string{"62811", "62822"})
	check("jakpus", n2, []string{"62811"})
	check("mataram", n1, []string{"62833"})
	if err := s.Unsubscribe(ctx, "jakpus", "62811"); err != nil {
		t.Fatal(err)
	}
	check("jakpus", n1, []string{"62822"})
	check("jakpus", n2, nil)
	check("mataram", n1, []string{"62833"})
}

func testFindApplicationAnywhere(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	a := app()
	a.Office = "mataram"
	if _, err := s.UpsertApplication(ctx, a); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindApplicationAnywhere(ctx, a.Number)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, got); diff != "" {
		t.Errorf("found (-want +got):\n%s", diff)
	}
	if _, err := s.FindApplicationAnywhere(ctx, "9999999999999999"); !errors.Is(err, sigap.ErrNotFound) {
		t.Errorf("unknown number: err = %v, want ErrNotFound", err)
	}
}

// testConversationState: the conversation's newer fields (handover,
// notifications, numbers, feedback in progress) are stored with it.
func testConversationState(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	c := sigap.Conversation{Office: "jakpus", User: "62811", Lang: "en", LangChosen: true,
		Awaiting: "feedback", AwaitingKind: sigap.TicketComplaint, AwaitingSince: t0,
		HandoverSince: t0, HandoverUntil: t0.Add(24 * time.Hour), Notify: true,
		Numbers: []string{"1234567890123456", "6543210987654321"}, LastTicket: "K7M-3QX", LastInboundAt: t0}
	if err := s.SaveConversation(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := s.Conversation(ctx, "jakpus", "62811")
	if err != nil {
		t.Fatal(err)
	}
	c.Version = 1
	if diff := cmp.Diff(c, got); diff != "" {
		t.Errorf("stored conversation (-want +got):\n%s", diff)
	}
	if !slices.Equal(got.Numbers, c.Numbers) {
		t.Errorf("numbers lost their order: %v", got.Numbers)
	}
}
