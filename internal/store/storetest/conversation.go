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

func testLimits(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	const key = "lookup:jakpus:62811"
	at := time.Date(2026, 1, 20, 3, 15, 0, 0, time.UTC)
	for i, want := range []int{1, 2, 3} {
		n, err := s.Hit(ctx, key, time.Hour, at.Add(time.Duration(i)*time.Minute))
		if err != nil || n != want {
			t.Fatalf("hit %d = %d, %v; want %d", i+1, n, err, want)
		}
	}
	for _, tt := range []struct {
		name string
		key  string
		at   time.Time
		want int
	}{
		{"same window", key, at.Add(44 * time.Minute), 3},
		{"next window", key, at.Add(45 * time.Minute), 0},
		{"other key", "lookup:jakpus:62899", at, 0},
		{"other window length", key, at, 0},
	} {
		window := time.Hour
		if tt.name == "other window length" {
			window = 24 * time.Hour
		}
		if n, err := s.Hits(ctx, tt.key, window, tt.at); err != nil || n != tt.want {
			t.Errorf("%s: Hits = %d, %v; want %d", tt.name, n, err, tt.want)
		}
	}
	// The next window starts from one again.
	if n, err := s.Hit(ctx, key, time.Hour, at.Add(time.Hour)); err != nil || n != 1 {
		t.Errorf("hit in the next window = %d, %v; want 1", n, err)
	}
	// Ended windows are removed by Prune, not by counting (which would be
	// a statement more per look-up); the current one stays.
	if _, err := s.Prune(ctx, at.Add(time.Hour), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Hits(ctx, key, time.Hour, at); n != 0 {
		t.Errorf("an ended window survives pruning with %d", n)
	}
	if n, _ := s.Hits(ctx, key, time.Hour, at.Add(time.Hour)); n != 1 {
		t.Errorf("pruning changed the current window: %d, want 1", n)
	}
	// Concurrent hits are all counted.
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Hit(ctx, "fail:jakpus:62811", 24*time.Hour, at); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n, err := s.Hits(ctx, "fail:jakpus:62811", 24*time.Hour, at); err != nil || n != 10 {
		t.Errorf("after 10 concurrent hits: %d, %v", n, err)
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

// testCountsAreStoredWithTheTurn: a turn's limit counts (Conversation.Counts)
// are added when its conversation is stored, by CompleteInbound or by
// SaveConversation, and not by a completion that fails, so a step tried
// again does not count twice. The counts are not part of the stored state.
func testCountsAreStoredWithTheTurn(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	const lookup, fail = "lookup:jakpus:62811", "fail:jakpus:62811"
	at := time.Date(2026, 1, 20, 3, 15, 0, 0, time.UTC)
	hits := func(key string, window time.Duration) int {
		t.Helper()
		n, err := s.Hits(ctx, key, window, at)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	deliver(t, s, msg("a1", "62811", "3100000000000001"))
	claimInbound(t, s, t0, "a1")
	c := conv("62811")
	c.Counts = []sigap.Count{{Key: lookup, Window: time.Hour, At: at}, {Key: fail, Window: 24 * time.Hour, At: at}}
	if err := s.CompleteInbound(ctx, "a1", c, []sigap.OutboundMessage{reply("62811", "a1", "not found")}); err != nil {
		t.Fatal(err)
	}
	if l, f := hits(lookup, time.Hour), hits(fail, 24*time.Hour); l != 1 || f != 1 {
		t.Errorf("after completing: look-ups %d, failures %d; want 1 and 1", l, f)
	}
	// Completing it again fails, and counts nothing.
	if err := s.CompleteInbound(ctx, "a1", c, nil); !errors.Is(err, sigap.ErrNotPending) {
		t.Fatalf("second completion: err = %v, want ErrNotPending", err)
	}
	if l, f := hits(lookup, time.Hour), hits(fail, 24*time.Hour); l != 1 || f != 1 {
		t.Errorf("after a failed completion: look-ups %d, failures %d; want 1 and 1", l, f)
	}
	// The simulator's path stores the conversation alone.
	c.Counts = c.Counts[:1]
	if err := s.SaveConversation(ctx, c); err != nil {
		t.Fatal(err)
	}
	if l := hits(lookup, time.Hour); l != 2 {
		t.Errorf("after SaveConversation: look-ups %d, want 2", l)
	}
	got, err := s.Conversation(ctx, "jakpus", "62811")
	if err != nil {
		t.Fatal(err)
	}
	if got.Counts != nil {
		t.Errorf("the stored conversation carries counts: %+v", got.Counts)
	}
}
