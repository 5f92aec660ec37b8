package outbox_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/gateway"
	"github.com/sigap-id/sigap/internal/outbox"
	"github.com/sigap-id/sigap/internal/store/pgtest"
	"github.com/sigap-id/sigap/internal/store/postgres"
	"github.com/sigap-id/sigap/internal/store/sqlite"
	"github.com/sigap-id/sigap/internal/store/sqlstore"
)

// plainStore is a store that offers only what a reader expects of each
// concern: none of the fast paths (sigap.AnswerOnArrival, ClaimNextInbound,
// ClaimNextOutbound, ReleaseOutbound), which its fields' types hide.
type plainStore struct {
	sigap.Inbox
	sigap.Conversations
	sigap.Outbox
}

// recordingChannel sends whole replies and records them, by recipient.
type recordingChannel struct {
	mu   sync.Mutex
	sent map[string][]string // to: texts, in the order sent
}

func (c *recordingChannel) Split(r sigap.Reply) []sigap.Reply { return []sigap.Reply{r} }
func (c *recordingChannel) Prepare(_ sigap.Office, m sigap.OutboundMessage, _ time.Time) (sigap.OutboundMessage, error) {
	return m, nil
}
func (c *recordingChannel) Budget(o sigap.Office) (string, int) { return "rec/" + o.Code, 100000 }
func (c *recordingChannel) Ready(sigap.Office) error            { return nil }
func (c *recordingChannel) Send(_ context.Context, _ sigap.Office, m sigap.OutboundMessage) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent[m.To] = append(c.sent[m.To], m.Reply.Text)
	return fmt.Sprintf("rec.%d", m.ID), nil
}
func (c *recordingChannel) Classify(error, int) sigap.SendFailure { return sigap.SendFailure{} }
func (c *recordingChannel) MarkRead(context.Context, sigap.Office, sigap.InboundMessage) error {
	return nil
}

func (c *recordingChannel) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, texts := range c.sent {
		n += len(texts)
	}
	return n
}

// countingBot answers each message with two replies and counts the times
// it was asked to answer each message.
type countingBot struct {
	mu    sync.Mutex
	calls map[string]int
}

func (b *countingBot) Handle(_ context.Context, _ sigap.Office, conv sigap.Conversation, m sigap.InboundMessage) ([]sigap.Reply, sigap.Conversation, error) {
	b.mu.Lock()
	b.calls[m.ID]++
	b.mu.Unlock()
	return []sigap.Reply{{Text: m.Text + " a"}, {Text: m.Text + " b"}}, conv, nil
}
func (b *countingBot) Apology(string) sigap.Reply { return sigap.Reply{Text: "maaf"} }

// TestPlainStore: on a store without the fast paths, the gateway and the
// sender take the plain path (SaveDelivery, ClaimInbound and
// CompleteInbound; ClaimOutbound and MarkSent) and still answer every
// message once, in order, and send every reply once, in order, driven by
// their wakes alone (the polls are an hour). The same run on the store
// itself, fast paths and all, is the control; it polls every second as
// serve does, since on SQLite a reply stored as its recipient's last send
// ends is now and then left for the poll (seen before the plain path
// existed: 2 runs in 15).
func TestPlainStore(t *testing.T) {
	engines := map[string]func(t *testing.T) *sqlstore.Store{
		"sqlite": func(t *testing.T) *sqlstore.Store {
			s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "sigap.db"), sqlite.Options{Migrate: true, Log: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		"postgres": func(t *testing.T) *sqlstore.Store {
			s, err := postgres.Open(context.Background(), pgtest.Schema(t), postgres.Options{Migrate: true, Log: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		for _, plain := range []bool{true, false} {
			name := engine + "/fast"
			if plain {
				name = engine + "/plain"
			}
			t.Run(name, func(t *testing.T) {
				s := engines[engine](t)
				defer s.Close()
				var store interface {
					sigap.Inbox
					sigap.Conversations
					sigap.Outbox
				} = s
				if plain {
					store = plainStore{s, s, s}
					if fast := fastPaths(store); len(fast) > 0 {
						t.Fatalf("plainStore offers %v", fast)
					}
				} else if fast := fastPaths(store); len(fast) != 4 {
					t.Fatalf("the store offers only %v", fast)
				}
				poll := time.Second
				if plain {
					poll = time.Hour
				}
				runPlain(t, store, poll)
			})
		}
	}
}

// fastPaths names the fast paths v offers.
func fastPaths(v any) []string {
	var out []string
	if _, ok := v.(sigap.AnswerOnArrival); ok {
		out = append(out, "AnswerOnArrival")
	}
	if _, ok := v.(sigap.ClaimNextInbound); ok {
		out = append(out, "ClaimNextInbound")
	}
	if _, ok := v.(sigap.ClaimNextOutbound); ok {
		out = append(out, "ClaimNextOutbound")
	}
	if _, ok := v.(sigap.ReleaseOutbound); ok {
		out = append(out, "ReleaseOutbound")
	}
	return out
}

func runPlain(t *testing.T, store interface {
	sigap.Inbox
	sigap.Conversations
	sigap.Outbox
}, poll time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := &recordingChannel{sent: map[string][]string{}}
	channels := func(name string) (sigap.Channel, bool) { return ch, name == "rec" }
	offices := func(code string) (sigap.Office, bool) {
		return sigap.Office{Code: code, Channel: "rec"}, code == "jakpus"
	}
	bot := &countingBot{calls: map[string]int{}}
	snd := outbox.NewSender(outbox.Options{Outbox: store, Channels: channels, Offices: offices, Poll: poll, Workers: 4})
	p := gateway.NewProcessor(gateway.Options{Store: store, Bot: bot, Offices: offices, Channels: channels,
		Outbox: snd, OutboxLease: 30 * time.Second, Poll: poll, Workers: 4})
	var wg sync.WaitGroup
	wg.Go(func() { snd.Run(ctx) })
	wg.Go(func() { p.Run(ctx) })
	defer wg.Wait()
	defer cancel()

	// Five senders, four messages each: some alone, some two to a
	// delivery, each delivery delivered twice, side by side.
	const senders, each = 5, 4
	var deliveries []sigap.Delivery
	for i := range each / 2 {
		for k := range senders {
			from := fmt.Sprint("62811", k)
			m := func(n int) sigap.InboundMessage {
				return sigap.InboundMessage{ID: fmt.Sprintf("wamid.%s.%d", from, n), Office: "jakpus", From: from,
					At: time.Now(), Kind: sigap.KindText, Text: fmt.Sprintf("m%d", n)}
			}
			if i == 0 {
				deliveries = append(deliveries, sigap.Delivery{Messages: []sigap.InboundMessage{m(0)}},
					sigap.Delivery{Messages: []sigap.InboundMessage{m(1)}})
			} else {
				deliveries = append(deliveries, sigap.Delivery{Messages: []sigap.InboundMessage{m(2), m(3)}})
			}
		}
	}
	for _, d := range deliveries {
		var dwg sync.WaitGroup
		for range 2 {
			dwg.Go(func() {
				if _, err := p.SaveDelivery(ctx, d); err != nil {
					t.Error(err)
				}
			})
		}
		dwg.Wait()
	}
	want := senders * each * 2
	deadline := time.Now().Add(20 * time.Second)
	for ch.count() < want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // a duplicate would show by now
	if n := ch.count(); n != want {
		t.Errorf("%d replies sent, want %d", n, want)
	}
	ch.mu.Lock()
	for k := range senders {
		from := fmt.Sprint("62811", k)
		var inOrder []string
		for n := range each {
			inOrder = append(inOrder, fmt.Sprintf("m%d a", n), fmt.Sprintf("m%d b", n))
		}
		if got := ch.sent[from]; !slices.Equal(got, inOrder) {
			t.Errorf("sent to %s: %q, want %q", from, got, inOrder)
		}
	}
	ch.mu.Unlock()
	// Each message was answered (a message answered on arrival by both
	// deliveries of it is worked out twice and stored once: the replies
	// above show that).
	bot.mu.Lock()
	if len(bot.calls) != senders*each {
		t.Errorf("%d messages answered, want %d", len(bot.calls), senders*each)
	}
	bot.mu.Unlock()
}
