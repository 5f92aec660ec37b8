package gateway_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/gateway"
	"github.com/sigap-id/sigap/internal/store/sqlite"
	"github.com/sigap-id/sigap/internal/store/sqlstore"
)

// slowBot answers like flakyBot, but holds a message whose text is "lambat"
// until release is closed.
type slowBot struct {
	flakyBot
	release chan struct{}
	mu      sync.Mutex
	calls   map[string]int
}

func (b *slowBot) Handle(ctx context.Context, o sigap.Office, conv sigap.Conversation, m sigap.InboundMessage) ([]sigap.Reply, sigap.Conversation, error) {
	b.mu.Lock()
	b.calls[m.Text]++
	b.mu.Unlock()
	if m.Text == "lambat" {
		<-b.release
	}
	return b.flakyBot.Handle(ctx, o, conv, m)
}

func (b *slowBot) called(text string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls[text]
}

// On a clock of the test's, with two replicas (two stores on one database,
// claiming under their own names) and a 6 s lease renewed as the clock
// moves 2 s at a time: a live replica whose answer takes 20 s keeps its
// message (renewed, never taken over, answered once); the message of a
// replica that died holding it is taken over within the lease and a tick,
// and the takeover's line names the dead replica.
func TestLeasesAreRenewedWhileTheirHolderLives(t *testing.T) {
	const (
		lease = 6 * time.Second
		tick  = 2 * time.Second // the clock's step: a renewal each
	)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sigap.db")
	var clock atomic.Int64
	clock.Store(time.Now().UnixMilli())
	now := func() time.Time { return time.UnixMilli(clock.Load()) }
	open := func(holder string) *sqlstore.Store {
		s, err := sqlite.Open(ctx, path, sqlite.Options{Migrate: true, Log: slog.New(slog.DiscardHandler), Now: now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		s.SetHolder(holder)
		return s
	}
	sa, sb := open("replica-a/101"), open("replica-b/202")
	offices := func(code string) (sigap.Office, bool) { return sigap.Office{Code: code}, code == "jakpus" }
	var logB strings.Builder
	var logMu sync.Mutex
	botA := &slowBot{release: make(chan struct{}), calls: map[string]int{}}
	botB := &slowBot{release: make(chan struct{}), calls: map[string]int{}}
	close(botB.release) // B answers at once
	newProc := func(s gateway.Store, bot gateway.Bot, log *slog.Logger) *gateway.Processor {
		// Renewals and polls every few real milliseconds: each step of the
		// clock sees several.
		return gateway.NewProcessor(gateway.Options{Store: s, Bot: bot, Offices: offices, Log: log, Now: now,
			Lease: lease, Renew: 10 * time.Millisecond, Poll: 10 * time.Millisecond})
	}
	pa := newProc(sa, botA, slog.New(slog.DiscardHandler))
	pb := newProc(sb, botB, slog.New(slog.NewTextHandler(lockedWriter{&logMu, &logB}, nil)))
	run := func(p *gateway.Processor) func() {
		ctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); p.Run(ctx) }()
		return func() { cancel(); <-done }
	}
	step := func() {
		clock.Add(tick.Milliseconds())
		time.Sleep(100 * time.Millisecond)
	}
	answered := func(id string) bool {
		t.Helper()
		var state string
		if err := sa.DB().QueryRow(`SELECT state FROM inbound_messages WHERE id = $1`, id).Scan(&state); err != nil {
			t.Fatal(err)
		}
		return state == "done"
	}

	// A live replica with a slow answer.
	if _, err := sa.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{
		{ID: "wamid.slow", Office: "jakpus", From: "628111", Kind: sigap.KindText, Text: "lambat"}}}); err != nil {
		t.Fatal(err)
	}
	stopA := run(pa)
	defer stopA()
	releaseA := sync.OnceFunc(func() { close(botA.release) })
	defer releaseA() // before stopA, which waits for A's answer
	for deadline := time.Now().Add(5 * time.Second); botA.called("lambat") == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("replica A never started on the slow message")
		}
	}
	stopB := run(pb)
	defer stopB()
	for range 10 { // 20 s: over three leases
		step()
		// A renews at the new time (B polls all along).
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			var until int64
			if err := sa.DB().QueryRow(`SELECT claimed_until FROM inbound_messages WHERE id = 'wamid.slow'`).Scan(&until); err != nil {
				t.Fatal(err)
			}
			if until >= now().Add(lease-tick/2).UnixMilli() {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the slow message's claim not renewed at %v: ends at %v", now(), time.UnixMilli(until))
			}
		}
	}
	if n := botB.called("lambat"); n != 0 {
		t.Fatalf("replica B answered the slow message %d times while A, alive, held it", n)
	}
	releaseA()
	for deadline := time.Now().Add(5 * time.Second); !answered("wamid.slow"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("replica A never finished the slow message")
		}
	}
	if got := replies(t, sa); len(got) != 1 || got[0] != "ok: lambat" {
		t.Errorf("replies %q, want one answer to the slow message", got)
	}

	// A replica that dies holding a message: stored claimed (so that B
	// cannot take it first), never renewed.
	stopA()
	claimedAt := now()
	saved, err := sa.SaveDeliveryClaiming(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{
		{ID: "wamid.dead", Office: "jakpus", From: "628112", Kind: sigap.KindText, Text: "halo"}}},
		nil, sigap.Claim{Now: claimedAt, InboxLease: lease})
	if err != nil || len(saved.Claimed) != 1 {
		t.Fatalf("the dead replica's claim: %+v, %v", saved, err)
	}
	var takenAt time.Time
	for range 10 {
		step()
		for deadline := time.Now().Add(time.Second); takenAt.IsZero() && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if answered("wamid.dead") {
				takenAt = now()
			}
		}
		if !takenAt.IsZero() {
			break
		}
	}
	if takenAt.IsZero() {
		t.Fatalf("the dead replica's message not answered within %v of its claim", 10*tick)
	}
	if took := takenAt.Sub(claimedAt); took > lease+tick {
		t.Errorf("the dead replica's message answered %v after its claim, want within the lease and a tick (%v)", took, lease+tick)
	}
	logMu.Lock()
	logged := logB.String()
	logMu.Unlock()
	if !strings.Contains(logged, "took over messages") || !strings.Contains(logged, "lease=replica-a/101") {
		t.Errorf("replica B's log names no takeover of replica-a/101's lease:\n%s", logged)
	}
	t.Logf("slow message kept by its live holder for %v of the clock (lease %v); dead holder's message answered %v after its claim",
		10*tick, lease, takenAt.Sub(claimedAt))
}

// lockedWriter lets a logger write while the test reads.
type lockedWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
