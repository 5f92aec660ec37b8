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
	"github.com/sigap-id/sigap/internal/graphtest"
	"github.com/sigap-id/sigap/internal/outbox"
	"github.com/sigap-id/sigap/internal/store/sqlite"
	"github.com/sigap-id/sigap/internal/store/sqlstore"
	"github.com/sigap-id/sigap/internal/whatsapp"
)

// The hand-off tests: replies claimed when they were stored are offered to
// Sender.Run, sent without another claim, and sending one claims the
// recipient's next (MarkSentClaimNext) for the same worker.

// hoOffice is the office every reply here is from.
var hoOffice = sigap.Office{Code: "jakpus", Name: "Kanim Jakpus", ChannelConfig: cloudAPI("100000000000002")}

// hoWait is how long an asynchronous outcome may take.
const hoWait = 5 * time.Second

// hoOutbox is the real store, recording what ClaimOutbound handed out.
type hoOutbox struct {
	*sqlstore.Store

	mu      sync.Mutex
	calls   int     // ClaimOutbound calls returned
	claimed []int64 // ids they returned
}

func (o *hoOutbox) ClaimOutbound(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]sigap.OutboundMessage, error) {
	msgs, err := o.Store.ClaimOutbound(ctx, now, lease, limit)
	o.mu.Lock()
	o.calls++
	for _, m := range msgs {
		o.claimed = append(o.claimed, m.ID)
	}
	o.mu.Unlock()
	return msgs, err
}

func (o *hoOutbox) claims() (calls int, ids []int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.calls, slices.Clone(o.claimed)
}

// hoLimiter blocks until its context ends or the test lets it go, and
// records the deadline of every wait.
type hoLimiter struct {
	release chan struct{} // closed: waits return at once

	mu        sync.Mutex
	deadlines []time.Time
	waiting   int // waits not yet returned
	returned  int
}

func newHoLimiter() *hoLimiter { return &hoLimiter{release: make(chan struct{})} }

func (l *hoLimiter) Wait(ctx context.Context, _ string, _ int) error {
	d, _ := ctx.Deadline()
	l.mu.Lock()
	l.deadlines = append(l.deadlines, d)
	l.waiting++
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		l.waiting--
		l.returned++
		l.mu.Unlock()
	}()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-l.release:
		return nil
	}
}

func (l *hoLimiter) state() (deadlines []time.Time, waiting, returned int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.deadlines), l.waiting, l.returned
}

// hoSetup opens a real SQLite store, the Graph API stand-in and a sender on
// the real clock (the store claims by it), polling the outbox only once a
// minute: within the test's wait only an offer or a chain gets anything
// sent.
func hoSetup(t *testing.T, opts ...func(*outbox.Options)) (*hoOutbox, *graphtest.Server, *outbox.Sender) {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "sigap.db"), sqlite.Options{Migrate: true, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	graph, err := graphtest.Start("token")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { graph.Close() })
	ob := &hoOutbox{Store: s}
	log := slog.New(slog.DiscardHandler)
	ch := &whatsapp.Channel{Client: whatsapp.NewClient(graph.URL, "v23.0"), Token: "token", Log: log}
	offices := func(code string) (sigap.Office, bool) { return hoOffice, code == hoOffice.Code }
	o := outbox.Options{Outbox: ob, Channels: func(string) (sigap.Channel, bool) { return ch, true }, Offices: offices, Log: log, Now: time.Now, Poll: time.Minute}
	for _, opt := range opts {
		opt(&o)
	}
	return ob, graph, outbox.NewSender(o)
}

// hoRun runs the sender until the returned stop is called (or the test
// ends); stop returns once Run has, its sends recorded. Before it returns,
// Run has made the claim it makes on its first turn, on an empty outbox,
// and so claims nothing more until the poll.
func hoRun(t *testing.T, ob *hoOutbox, snd *outbox.Sender) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		snd.Run(ctx)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-ended:
			case <-time.After(hoWait):
				t.Error("Run did not return after its context ended")
			}
		})
	}
	t.Cleanup(stop)
	snd.Offer(nil) // a turn of Run's loop
	hoWaitFor(t, "Run's first claim", func() bool { calls, _ := ob.claims(); return calls > 0 })
	return stop
}

// hoReplies stores a reply to each text for to, as completing an inbound
// message does, claimed at claimAt for lease (if lease is not zero and
// nothing earlier to them waits), and returns those it claimed.
func hoReplies(t *testing.T, ob *hoOutbox, to, inbound string, claimAt time.Time, lease time.Duration, texts ...string) []sigap.OutboundMessage {
	t.Helper()
	ctx := context.Background()
	if _, err := ob.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{{ID: inbound, Office: hoOffice.Code, From: to, Kind: sigap.KindText}}}); err != nil {
		t.Fatal(err)
	}
	var out []sigap.OutboundMessage
	for _, text := range texts {
		out = append(out, sigap.OutboundMessage{Office: hoOffice.Code, To: to, InReplyTo: inbound, Reply: sigap.Reply{Text: text},
			WindowEndsAt: time.Now().Add(sigap.CustomerServiceWindow)})
	}
	done, err := ob.CompleteInboundClaiming(ctx, inbound, sigap.Conversation{Office: hoOffice.Code, User: to}, out, sigap.Claim{Now: claimAt, OutboxLease: lease})
	if err != nil {
		t.Fatal(err)
	}
	if lease > 0 && !done.Queued && len(done.Replies) != len(texts) {
		t.Fatalf("claimed %d of %d replies", len(done.Replies), len(texts))
	}
	return done.Replies
}

// hoWaitFor polls until cond holds, or fails the test after hoWait.
func hoWaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(hoWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: still waiting for %s", hoWait, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// hoSentTo groups what the stand-in sent by recipient, in the order it
// received them.
func hoSentTo(graph *graphtest.Server) map[string][]string {
	by := map[string][]string{}
	for _, r := range graph.Sent() {
		by[r.To()] = append(by[r.To()], r.Text())
	}
	return by
}

// hoClaimedUntil reads a reply's claim from the database.
func hoClaimedUntil(t *testing.T, ob *hoOutbox, id int64) int64 {
	t.Helper()
	var until int64
	if err := ob.DB().QueryRow(`SELECT claimed_until FROM outbox WHERE id = ?`, id).Scan(&until); err != nil {
		t.Fatal(err)
	}
	return until
}

// hoRow returns the outbox row with that id.
func hoRow(t *testing.T, ob *hoOutbox, id int64) sigap.OutboundMessage {
	t.Helper()
	all, err := ob.Outbound(context.Background(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range all {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("outbox row %d not found", id)
	return sigap.OutboundMessage{}
}

func TestOfferedRepliesAreSentInOrderOnce(t *testing.T) {
	const lease = 30 * time.Second
	for _, tt := range []struct {
		name string
		// offered are claimed and offered, per recipient; behind are
		// stored after them unclaimed (an earlier reply to the recipient
		// waits), for the chain to claim.
		offered, behind map[string][]string
	}{
		{
			name:    "offered only",
			offered: map[string][]string{"628111": {"a1", "a2", "a3"}, "628222": {"b1"}},
		},
		{
			name:    "queued behind an offered one",
			offered: map[string][]string{"628111": {"a1"}, "628222": {"b1"}},
			behind:  map[string][]string{"628111": {"a2", "a3"}, "628222": {"b2"}},
		},
		{
			name:    "several queued steps behind offered ones",
			offered: map[string][]string{"628111": {"a1", "a2"}},
			behind:  map[string][]string{"628111": {"a3", "a4"}},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ob, graph, snd := hoSetup(t, func(o *outbox.Options) { o.Lease, o.Workers = lease, 4 })
			stop := hoRun(t, ob, snd)

			var offer []sigap.OutboundMessage
			want := map[string][]string{}
			n := 0
			for _, to := range []string{"628111", "628222"} {
				if texts := tt.offered[to]; len(texts) > 0 {
					offer = append(offer, hoReplies(t, ob, to, "wamid.first."+to, time.Now(), lease, texts...)...)
					want[to] = append(want[to], texts...)
					n += len(texts)
				}
				// Each of these is a step of its own, queued behind the
				// offered replies.
				for _, text := range tt.behind[to] {
					if got := hoReplies(t, ob, to, "wamid."+text, time.Now(), lease, text); len(got) != 0 {
						t.Fatalf("%s was claimed, though an earlier reply to %s waits", text, to)
					}
					// As the processor does for replies it left queued.
					snd.Queued([]sigap.OutboundMessage{{Office: hoOffice.Code, To: to}})
					want[to] = append(want[to], text)
					n++
				}
			}
			snd.Offer(offer)

			hoWaitFor(t, "every reply sent and recorded", func() bool {
				all, err := ob.Outbound(context.Background(), "", 1000)
				if err != nil {
					t.Fatal(err)
				}
				sent := 0
				for _, m := range all {
					if m.State == sigap.OutboundSent {
						sent++
					}
				}
				return sent == n
			})
			stop()

			got := hoSentTo(graph)
			for to, texts := range want {
				if !slices.Equal(got[to], texts) {
					t.Errorf("sent to %s: %q, want %q", to, got[to], texts)
				}
			}
			if k := len(graph.Requests()); k != n {
				t.Errorf("the stand-in got %d requests, want %d (each reply once)", k, n)
			}
			sentIDs := map[string]string{}
			for _, r := range graph.Sent() {
				sentIDs[r.Text()] = r.WAMID
			}
			all, err := ob.Outbound(context.Background(), "", 1000)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range all {
				if m.State != sigap.OutboundSent || m.SentID == "" || m.SentID != sentIDs[m.Reply.Text] {
					t.Errorf("reply %q: %s with sent id %q, want sent with %q", m.Reply.Text, m.State, m.SentID, sentIDs[m.Reply.Text])
				}
				if m.Attempts != 1 || m.Doubtful != 0 {
					t.Errorf("reply %q: attempts %d, doubtful %d; want 1, 0 (claimed once)", m.Reply.Text, m.Attempts, m.Doubtful)
				}
			}
			if calls, ids := ob.claims(); len(ids) != 0 {
				t.Errorf("ClaimOutbound (%d calls) handed out %v; the offer and the chain should have sent everything", calls, ids)
			}
		})
	}
}

// An offered reply whose claim runs out before the next renewal could keep
// it is given back unsent: another replica may take it over mid-send. One
// with more left is sent, its claim renewed meanwhile.
func TestOfferedReplyAboutToRunOutIsGivenBack(t *testing.T) {
	const lease = 30 * time.Second // renewed every 6 s
	for _, tt := range []struct {
		name string
		left time.Duration // of its claim when offered
		sent bool
	}{
		{"a second left", time.Second, false},
		{"just under a renewal left", lease/5 - time.Second, false},
		{"a quarter left", lease / 4, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ob, graph, snd := hoSetup(t, func(o *outbox.Options) { o.Lease = lease })
			stop := hoRun(t, ob, snd)
			claimAt := time.Now().Add(tt.left - lease)
			offered := hoReplies(t, ob, "628111", "wamid.halo", claimAt, lease, "halo")
			id := offered[0].ID
			if until := hoClaimedUntil(t, ob, id); until == 0 {
				t.Fatal("the reply was stored unclaimed")
			}
			snd.Offer(offered)
			if tt.sent {
				graph.WaitSent(1, hoWait)
				stop()
				if m := hoRow(t, ob, id); m.State != sigap.OutboundSent || m.Attempts != 1 || m.Doubtful != 0 {
					t.Errorf("reply: %s, attempts %d, doubtful %d; want sent once, not in doubt", m.State, m.Attempts, m.Doubtful)
				}
				return
			}
			hoWaitFor(t, "the claim given back", func() bool { return hoClaimedUntil(t, ob, id) == 0 })
			stop()

			if n := len(graph.Requests()); n != 0 {
				t.Errorf("the stand-in got %d requests, want none", n)
			}
			if m := hoRow(t, ob, id); m.State != sigap.OutboundPending || m.Doubtful != 0 {
				t.Errorf("reply after it was given back: %s, doubtful %d; want pending, 0", m.State, m.Doubtful)
			}
			// Anyone may claim it now, and it is not counted in doubt.
			again, err := ob.Store.ClaimOutbound(context.Background(), time.Now(), lease, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(again) != 1 || again[0].ID != id || again[0].Doubtful != 0 {
				t.Errorf("ClaimOutbound = %+v, want reply %d with Doubtful 0", again, id)
			}
		})
	}
}

// A reply waiting for the send budget keeps its claim, renewed, however
// long the wait: it is sent once the budget lets it go, once, never taken
// over meanwhile.
func TestReplyWaitingForTheBudgetKeepsItsClaim(t *testing.T) {
	const lease = time.Second // renewed every 200 ms
	lim := newHoLimiter()
	ob, graph, snd := hoSetup(t, func(o *outbox.Options) { o.Lease, o.Limiter = lease, lim })
	stop := hoRun(t, ob, snd)
	defer stop()

	offered := hoReplies(t, ob, "628111", "wamid.halo", time.Now(), lease, "halo")
	m := offered[0]
	snd.Offer(offered)
	time.Sleep(3 * lease)
	// Another sender, past the first lease, finds it held.
	if got, err := ob.Store.ClaimOutbound(context.Background(), time.Now(), lease, 10); err != nil || len(got) != 0 {
		t.Fatalf("ClaimOutbound past the first lease = %+v, %v; want none (the claim is renewed)", got, err)
	}
	if until := hoClaimedUntil(t, ob, m.ID); until <= m.LeaseEnds.UnixMilli() {
		t.Errorf("claim ends at %d, no later than when it was offered (%d): not renewed", until, m.LeaseEnds.UnixMilli())
	}
	close(lim.release)
	graph.WaitSent(1, hoWait)
	stop()
	if deadlines, _, _ := lim.state(); len(deadlines) < 2 {
		t.Errorf("waited for the budget %d times, want the wait to go on past the first claim's end", len(deadlines))
	}
	if row := hoRow(t, ob, m.ID); row.State != sigap.OutboundSent || row.Attempts != 1 || row.Doubtful != 0 {
		t.Errorf("reply: %s, attempts %d, doubtful %d; want sent once, not in doubt", row.State, row.Attempts, row.Doubtful)
	}
	if n := len(graph.Requests()); n != 1 {
		t.Errorf("the stand-in got %d requests, want 1", n)
	}
}

// A renewal that finds a reply's claim gone (another holder took it over
// while this sender could not renew it) has the sender drop the reply
// without sending it.
func TestReplyWhoseClaimIsTakenOverIsNotSent(t *testing.T) {
	const lease = time.Second
	lim := newHoLimiter()
	ob, graph, snd := hoSetup(t, func(o *outbox.Options) { o.Lease, o.Limiter = lease, lim })
	stop := hoRun(t, ob, snd)
	defer stop()

	offered := hoReplies(t, ob, "628111", "wamid.halo", time.Now(), lease, "halo")
	m := offered[0]
	snd.Offer(offered)
	hoWaitFor(t, "the wait for the budget", func() bool { _, waiting, _ := lim.state(); return waiting == 1 })
	// Another replica holds it now (as after a takeover).
	if _, err := ob.DB().Exec(`UPDATE outbox SET holder = 'other/1', takeover = 1 WHERE id = ?`, m.ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * lease / 2) // renewals, and the first claim's end
	close(lim.release)
	time.Sleep(lease / 2)
	stop()
	if n := len(graph.Requests()); n != 0 {
		t.Errorf("the stand-in got %d requests, want none: the claim was another's", n)
	}
	var holder string
	var until int64
	if err := ob.DB().QueryRow(`SELECT holder, claimed_until FROM outbox WHERE id = ?`, m.ID).Scan(&holder, &until); err != nil {
		t.Fatal(err)
	}
	if holder != "other/1" || until == 0 {
		t.Errorf("reply held by %q until %d; want the other holder's claim left alone", holder, until)
	}
}

func TestHasRoomWhileWorkersWaitForTheBudget(t *testing.T) {
	const lease = 30 * time.Second
	for _, tt := range []struct {
		name string
		to   []string // one reply to each, in one offer
	}{
		{"two recipients", []string{"628111", "628222"}},
		{"one recipient", []string{"628111", "628111"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			lim := newHoLimiter()
			ob, graph, snd := hoSetup(t, func(o *outbox.Options) { o.Lease, o.Workers, o.Limiter = lease, 2, lim })
			if !snd.HasRoom() {
				t.Error("HasRoom false before Run")
			}
			stop := hoRun(t, ob, snd)
			if !snd.HasRoom() {
				t.Error("HasRoom false with nothing going on")
			}

			var offer []sigap.OutboundMessage
			if tt.to[0] == tt.to[1] {
				offer = hoReplies(t, ob, tt.to[0], "wamid.1", time.Now(), lease, "satu", "dua")
			} else {
				offer = append(hoReplies(t, ob, tt.to[0], "wamid.1", time.Now(), lease, "satu"),
					hoReplies(t, ob, tt.to[1], "wamid.2", time.Now(), lease, "dua")...)
			}
			snd.Offer(offer[:1])
			if !snd.HasRoom() {
				t.Error("HasRoom false with one of two workers' worth offered")
			}
			snd.Offer(offer[1:])
			if snd.HasRoom() {
				t.Error("HasRoom true with Workers replies offered")
			}
			want := len(tt.to)
			if tt.to[0] == tt.to[1] {
				want = 1 // the second waits behind the first
			}
			hoWaitFor(t, "the workers waiting for the budget", func() bool { _, waiting, _ := lim.state(); return waiting == want })
			if snd.HasRoom() {
				t.Error("HasRoom true while Workers replies wait for the budget")
			}

			close(lim.release)
			hoWaitFor(t, "both replies sent", func() bool { return len(graph.Sent()) == 2 })
			hoWaitFor(t, "room again", snd.HasRoom)
			stop()
			if got := hoSentTo(graph); len(tt.to) == 2 && tt.to[0] == tt.to[1] && !slices.Equal(got[tt.to[0]], []string{"satu", "dua"}) {
				t.Errorf("sent %q, want satu, dua", got[tt.to[0]])
			}
		})
	}
}

// hoAnswerBehind stores a message from to answered on arrival with one
// reply, claimed behind the replies being sent to them (Answer.Behind), and
// returns the reply as claimed.
func hoAnswerBehind(t *testing.T, ob *hoOutbox, to, inbound string, lease time.Duration, text string) sigap.OutboundMessage {
	t.Helper()
	m := sigap.InboundMessage{ID: inbound, Office: hoOffice.Code, From: to, Kind: sigap.KindText}
	conv, err := ob.Conversation(context.Background(), hoOffice.Code, to)
	if err != nil {
		t.Fatal(err)
	}
	saved, err := ob.SaveDeliveryClaiming(context.Background(), sigap.Delivery{Messages: []sigap.InboundMessage{m}},
		[]*sigap.Answer{{Conv: conv, Behind: true, Replies: []sigap.OutboundMessage{{Office: hoOffice.Code, To: to, InReplyTo: inbound,
			Reply: sigap.Reply{Text: text}, WindowEndsAt: time.Now().Add(sigap.CustomerServiceWindow)}}}},
		sigap.Claim{Now: time.Now(), OutboxLease: lease})
	if err != nil {
		t.Fatal(err)
	}
	if len(saved.Answered) != 1 || len(saved.Replies) != 0 || len(saved.Behind) != 1 {
		t.Fatalf("saved %+v; want the answer's reply claimed behind the one being sent", saved)
	}
	return saved.Behind[0]
}

// TestReplyClaimedBehindOneBeingSent: a reply answered on arrival while the
// recipient's previous reply is on its way (Sending says so) is claimed
// behind it and sent right after it, with no claim of its own; if the one
// before must be retried instead, it is given back unsent, to go after it.
func TestReplyClaimedBehindOneBeingSent(t *testing.T) {
	const lease = 30 * time.Second
	for _, retry := range []bool{false, true} {
		t.Run(fmt.Sprintf("retry=%v", retry), func(t *testing.T) {
			lim := newHoLimiter()
			ob, graph, snd := hoSetup(t, func(o *outbox.Options) {
				o.Lease, o.Limiter = lease, lim
				o.Backoff = func(int) time.Duration { return time.Hour }
			})
			stop := hoRun(t, ob, snd)

			if snd.Sending(hoOffice.Code, "628111") {
				t.Error("Sending says replies to 628111 are being sent before any is")
			}
			first := hoReplies(t, ob, "628111", "wamid.1", time.Now(), lease, "satu")
			snd.Offer(first)
			hoWaitFor(t, "the first reply on its way (waiting for the budget)", func() bool { _, waiting, _ := lim.state(); return waiting == 1 })
			if !snd.Sending(hoOffice.Code, "628111") {
				t.Fatal("Sending does not say a reply to 628111 is being sent")
			}
			second := hoAnswerBehind(t, ob, "628111", "wamid.2", lease, "dua")
			if retry {
				graph.FailNext(1, graphtest.Failure{HTTPStatus: 500, Code: 131000, Message: "Something went wrong"})
				close(lim.release)
				hoWaitFor(t, "the first reply left for a retry", func() bool {
					r := hoRow(t, ob, first[0].ID)
					return r.Attempts == 1 && r.NextAttemptAt.After(time.Now().Add(time.Minute))
				})
				snd.OfferBehind([]sigap.OutboundMessage{second})
				hoWaitFor(t, "the second reply given back", func() bool { return hoClaimedUntil(t, ob, second.ID) == 0 })
				stop()
				if n := len(graph.Requests()); n != 1 {
					t.Errorf("the stand-in got %d requests, want the first reply's one (the second must wait for it)", n)
				}
				if r := hoRow(t, ob, second.ID); r.State != sigap.OutboundPending {
					t.Errorf("second reply %s, want pending behind the first", r.State)
				}
				return
			}
			snd.OfferBehind([]sigap.OutboundMessage{second})
			close(lim.release)
			hoWaitFor(t, "both replies sent", func() bool { return len(graph.Sent()) == 2 })
			stop()
			if got := hoSentTo(graph)["628111"]; !slices.Equal(got, []string{"satu", "dua"}) {
				t.Errorf("sent %q, want satu then dua", got)
			}
			if _, ids := ob.claims(); len(ids) != 0 {
				t.Errorf("ClaimOutbound handed out %v; both were claimed when stored", ids)
			}
		})
	}
}
