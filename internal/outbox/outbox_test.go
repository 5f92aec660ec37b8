package outbox_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/graphtest"
	"github.com/sigap-id/sigap/internal/outbox"
	"github.com/sigap-id/sigap/internal/store/sqlite"
	"github.com/sigap-id/sigap/internal/store/sqlstore"
	"github.com/sigap-id/sigap/internal/whatsapp"
)

var office = sigap.Office{Code: "jakpus", Name: "Kanim Jakpus", ChannelConfig: cloudAPI("100000000000001")}

// cloudAPI is an office's Cloud API settings for its number alone, with
// no send budget (the limiter's tests set one).
func cloudAPI(phoneNumberID string) *whatsapp.Config {
	return &whatsapp.Config{PhoneNumberID: phoneNumberID}
}

func setup(t *testing.T, opts ...func(*outbox.Options)) (*sqlstore.Store, *graphtest.Server, *outbox.Sender, *strings.Builder) {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "sigap.db"), sqlite.Options{Migrate: true, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	graph, err := graphtest.Start("token")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { graph.Close() })
	logs := &strings.Builder{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	ch := &whatsapp.Channel{Client: whatsapp.NewClient(graph.URL, "v23.0"), Token: "token", Log: log}
	offices := func(code string) (sigap.Office, bool) { return office, code == office.Code }
	// A clock that drain moves on, so retries come due without sleeping.
	// It starts a minute ahead, so that what the store enqueues now is due.
	clock := time.Now().Add(time.Minute)
	o := outbox.Options{Outbox: s, Channels: func(string) (sigap.Channel, bool) { return ch, true }, Offices: offices, Log: log,
		Now: func() time.Time { return clock }, Backoff: func(int) time.Duration { return time.Second }}
	for _, opt := range opts {
		opt(&o)
	}
	advance = func(d time.Duration) { clock = clock.Add(d) }
	return s, graph, outbox.NewSender(o), logs
}

func enqueue(t *testing.T, s *sqlstore.Store, texts ...string) {
	t.Helper()
	enqueueTo(t, s, "628111", texts...)
}

// enqueueTo stores replies to one recipient, as answering a message does.
func enqueueTo(t *testing.T, s *sqlstore.Store, to string, texts ...string) {
	t.Helper()
	var out []sigap.OutboundMessage
	for _, text := range texts {
		out = append(out, sigap.OutboundMessage{Office: "jakpus", To: to, Reply: sigap.Reply{Text: text}})
	}
	ctx := context.Background()
	id := "wamid." + texts[0]
	if _, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{{ID: id, Office: "jakpus", From: to, Kind: sigap.KindText}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.CompleteInbound(ctx, id, sigap.Conversation{Office: "jakpus", User: to}, out); err != nil {
		t.Fatal(err)
	}
}

// advance moves the sender's clock (set by setup).
var advance func(time.Duration)

// drain sends until nothing is due, an hour apart, as the worker loop would.
func drain(t *testing.T, snd *outbox.Sender) {
	t.Helper()
	// One recipient's replies are claimed one at a time (the oldest
	// pending only), so a batch may hold a single reply.
	for range 200 {
		n, err := snd.SendBatch(context.Background(), 10)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		advance(time.Hour)
	}
	t.Fatal("outbox never emptied")
}

func states(t *testing.T, s *sqlstore.Store) map[string]sigap.OutboundMessage {
	t.Helper()
	all, err := s.Outbound(context.Background(), "jakpus", 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]sigap.OutboundMessage{}
	for _, m := range all {
		out[m.Reply.Text] = m
	}
	return out
}

func TestSendsAndRecordsTheWamid(t *testing.T) {
	s, graph, snd, _ := setup(t)
	enqueue(t, s, "halo")
	drain(t, snd)
	sent := graph.Sent()
	if len(sent) != 1 || sent[0].Text() != "halo" || sent[0].To() != "628111" || sent[0].PhoneNumberID != "100000000000001" {
		t.Fatalf("stand-in got %+v", sent)
	}
	m := states(t, s)["halo"]
	if m.State != sigap.OutboundSent || m.SentID != sent[0].WAMID || m.Attempts != 1 {
		t.Errorf("outbox row = %+v", m)
	}
}

func TestRetriesWhatMaySucceedLater(t *testing.T) {
	for _, f := range []graphtest.Failure{
		{HTTPStatus: 500, Code: 131000, Message: "Something went wrong"},
		{HTTPStatus: 503, Code: 0, Message: "Service unavailable"},
		{HTTPStatus: 400, Code: 130429, Message: "Rate limit hit"},
		{HTTPStatus: 400, Code: 131056, Message: "Pair rate limit hit"},
	} {
		s, graph, snd, _ := setup(t)
		graph.FailNext(3, f)
		enqueue(t, s, "halo")
		drain(t, snd)
		m := states(t, s)["halo"]
		if m.State != sigap.OutboundSent || m.Attempts != 4 {
			t.Errorf("after 3 × code %d: %s on attempt %d, want sent on attempt 4", f.Code, m.State, m.Attempts)
		}
		if n := len(graph.Sent()); n != 1 {
			t.Errorf("code %d: sent %d times, want 1", f.Code, n)
		}
	}
}

func TestGivesUpOnWhatNeverSucceeds(t *testing.T) {
	for _, tt := range []struct {
		f     graphtest.Failure
		alert bool
	}{
		{graphtest.Failure{HTTPStatus: 400, Code: 131047, Message: "Re-engagement message"}, false},
		{graphtest.Failure{HTTPStatus: 400, Code: 131026, Message: "Message undeliverable"}, false},
		{graphtest.Failure{HTTPStatus: 400, Code: 100, Message: "Invalid parameter"}, false},
		{graphtest.Failure{HTTPStatus: 401, Code: 190, Message: "Access token has expired"}, true},
		{graphtest.Failure{HTTPStatus: 403, Code: 368, Message: "Temporarily blocked for policies violations"}, true},
	} {
		s, graph, snd, logs := setup(t)
		graph.FailNext(1, tt.f)
		enqueue(t, s, "halo")
		drain(t, snd)
		m := states(t, s)["halo"]
		if m.State != sigap.OutboundFailed || m.Attempts != 1 || !strings.Contains(m.LastError, "code "+itoa(tt.f.Code)) {
			t.Errorf("code %d: %s on attempt %d (%q), want failed on attempt 1", tt.f.Code, m.State, m.Attempts, m.LastError)
		}
		if got := strings.Contains(logs.String(), "ALERT"); got != tt.alert {
			t.Errorf("code %d: alert logged = %v, want %v", tt.f.Code, got, tt.alert)
		}
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	s, graph, snd, _ := setup(t, func(o *outbox.Options) { o.MaxAttempts = 3 })
	graph.FailNext(10, graphtest.Failure{HTTPStatus: 500, Code: 131000, Message: "Something went wrong"})
	enqueue(t, s, "halo")
	drain(t, snd)
	if m := states(t, s)["halo"]; m.State != sigap.OutboundFailed || m.Attempts != 3 {
		t.Errorf("%s on attempt %d, want failed after 3", m.State, m.Attempts)
	}
}

func TestGraphDownThenBack(t *testing.T) {
	s, graph, snd, _ := setup(t)
	enqueue(t, s, "satu", "dua")
	graph.Close() // Meta unreachable: connection refused
	if _, err := snd.SendBatch(context.Background(), 10); err != nil {
		t.Fatal(err)
	}
	// The first is pending with the error; the second waits behind it,
	// untried, so that it cannot overtake it.
	down := states(t, s)
	if m := down["satu"]; m.State != sigap.OutboundPending || m.LastError == "" {
		t.Errorf("while the Graph API is down: %+v, want pending with the error", m)
	}
	if m := down["dua"]; m.State != sigap.OutboundPending || m.Attempts != 0 {
		t.Errorf("while the Graph API is down: %+v, want pending and untried behind the first", m)
	}
	// Meta is back on the same address.
	back, err := graphtest.StartAt(strings.TrimPrefix(graph.URL, "http://"), "token")
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	advance(time.Hour)
	drain(t, snd)
	if n := len(back.Sent()); n != 2 {
		t.Errorf("sent %d after the Graph API came back, want 2", n)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestPairLimitWaitsFourToThePowerOfAttempts(t *testing.T) {
	s, graph, snd, _ := setup(t)
	graph.FailNext(2, graphtest.Failure{HTTPStatus: 400, Code: 131056, Message: "(Business Account, Consumer Account) pair rate limit hit"})
	enqueue(t, s, "halo")
	now := snd.Options().Now()
	for _, want := range []time.Duration{4 * time.Second, 16 * time.Second} {
		if _, err := snd.SendBatch(context.Background(), 10); err != nil {
			t.Fatal(err)
		}
		m := states(t, s)["halo"]
		// The store keeps milliseconds.
		if got := m.NextAttemptAt.Sub(now); got < want-time.Millisecond || got > want+time.Second {
			t.Errorf("retry after %v, want %v", got, want)
		}
		advance(want)
		now = snd.Options().Now()
	}
	drain(t, snd)
	if m := states(t, s)["halo"]; m.State != sigap.OutboundSent {
		t.Errorf("%s, want sent", m.State)
	}
}

func TestOutsideTheWindow(t *testing.T) {
	s, graph, snd, _ := setup(t)
	ctx := context.Background()
	old := sigap.OutboundMessage{Office: "jakpus", To: "628111", Reply: sigap.Reply{Text: "late"}, WindowEndsAt: snd.Options().Now().Add(-time.Minute)}
	fresh := sigap.OutboundMessage{Office: "jakpus", To: "628222", Reply: sigap.Reply{Text: "fresh"}, WindowEndsAt: snd.Options().Now().Add(time.Hour)}
	if _, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{{ID: "w1", Office: "jakpus", From: "628111"}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.CompleteInbound(ctx, "w1", sigap.Conversation{Office: "jakpus", User: "628111"}, []sigap.OutboundMessage{old, fresh}); err != nil {
		t.Fatal(err)
	}
	drain(t, snd)
	got := states(t, s)
	if got["late"].State != sigap.OutboundFailed || !strings.Contains(got["late"].LastError, "24-hour") {
		t.Errorf("reply outside the window without a template: %+v, want failed, not sent", got["late"])
	}
	if got["fresh"].State != sigap.OutboundSent {
		t.Errorf("reply inside the window: %s", got["fresh"].State)
	}
	for _, r := range graph.Requests() {
		if r.Text() == "late" {
			t.Error("a free-form message was sent outside the window")
		}
	}
}

func TestOutsideTheWindowWithATemplate(t *testing.T) {
	withTemplate := office
	cfg := *office.ChannelConfig.(*whatsapp.Config)
	cfg.ReplyTemplate = sigap.Template{Name: "sigap_reply_waiting", Language: "id"}
	withTemplate.ChannelConfig = &cfg
	s, graph, snd, _ := setup(t, func(o *outbox.Options) {
		o.Offices = func(string) (sigap.Office, bool) { return withTemplate, true }
	})
	ctx := context.Background()
	if _, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{{ID: "w1", Office: "jakpus", From: "628111"}}}); err != nil {
		t.Fatal(err)
	}
	late := sigap.OutboundMessage{Office: "jakpus", To: "628111", Reply: sigap.Reply{Text: "late"}, WindowEndsAt: snd.Options().Now().Add(-time.Minute)}
	if err := s.CompleteInbound(ctx, "w1", sigap.Conversation{Office: "jakpus", User: "628111"}, []sigap.OutboundMessage{late}); err != nil {
		t.Fatal(err)
	}
	drain(t, snd)
	sent := graph.Sent()
	if len(sent) != 1 || sent[0].Body["type"] != "template" {
		t.Fatalf("sent %+v, want one template message", sent)
	}
	tpl := sent[0].Body["template"].(map[string]any)
	if tpl["name"] != "sigap_reply_waiting" || tpl["language"].(map[string]any)["code"] != "id" {
		t.Errorf("template = %v", tpl)
	}
}

func TestASendInDoubtIsRetriedAtMostOnce(t *testing.T) {
	s, graph, snd, _ := setup(t)
	enqueue(t, s, "halo")
	ctx := context.Background()
	// Two senders claim the reply and die before recording an outcome; each
	// time it waits for a status naming it (there is none) after the lease.
	for range 2 {
		if got, err := s.ClaimOutbound(ctx, snd.Options().Now(), snd.Options().Lease, 10); err != nil || len(got) != 1 {
			t.Fatalf("claim: %v, %v", got, err)
		}
		advance(snd.Options().Lease + sqlstore.DefaultDoubtWait + time.Second)
	}
	drain(t, snd)
	m := states(t, s)["halo"]
	if m.State != sigap.OutboundFailed || m.Doubtful != 2 || !strings.Contains(m.LastError, "in doubt") {
		t.Errorf("after two dead senders: %+v, want failed in doubt", m)
	}
	if n := len(graph.Requests()); n != 0 {
		t.Errorf("sent %d times, want 0 (the two dead senders may each have sent it)", n)
	}

	// One dead sender: the reply is sent once more.
	s2, graph2, snd2, _ := setup(t)
	enqueue(t, s2, "halo")
	if _, err := s2.ClaimOutbound(ctx, snd2.Options().Now(), snd2.Options().Lease, 10); err != nil {
		t.Fatal(err)
	}
	advance(snd2.Options().Lease + sqlstore.DefaultDoubtWait + time.Second)
	drain(t, snd2)
	if m := states(t, s2)["halo"]; m.State != sigap.OutboundSent || m.Doubtful != 1 || len(graph2.Sent()) != 1 {
		t.Errorf("after one dead sender: %+v, sent %d; want sent once", m, len(graph2.Sent()))
	}
}

func TestRepliesToOneRecipientKeepTheirOrder(t *testing.T) {
	s, graph, snd, _ := setup(t, func(o *outbox.Options) { o.Workers = 4 })
	texts := []string{"1", "2", "3", "4", "5", "6"}
	enqueue(t, s, texts...)
	drain(t, snd)
	var got []string
	for _, r := range graph.Sent() {
		got = append(got, r.Text())
	}
	if strings.Join(got, ",") != strings.Join(texts, ",") {
		t.Errorf("sent in order %v, want %v", got, texts)
	}
}

func TestABurstOfThrottlingIsRiddenOut(t *testing.T) {
	s, graph, snd, _ := setup(t)
	// Throughput errors are the number's, not a recipient's: twenty
	// applicants, one reply each.
	var texts []string
	for i := range 20 {
		texts = append(texts, "m"+strconv.Itoa(i))
		enqueueTo(t, s, "62811"+strconv.Itoa(100+i), texts[i])
	}
	graph.FailNext(45, graphtest.Failure{HTTPStatus: 400, Code: 130429, Message: "(#130429) Rate limit hit"})
	drain(t, snd)
	got := states(t, s)
	for _, text := range texts {
		if got[text].State != sigap.OutboundSent {
			t.Errorf("%s: %s after a burst of 130429 (attempt %d)", text, got[text].State, got[text].Attempts)
		}
	}
	if n := len(graph.Sent()); n != 20 {
		t.Errorf("sent %d, want 20 (each once)", n)
	}
}

func TestARetriedReplyIsNotOvertaken(t *testing.T) {
	for _, run := range []string{"SendBatch", "Run"} {
		t.Run(run, func(t *testing.T) {
			s, graph, snd, _ := setup(t, func(o *outbox.Options) {
				if run == "Run" {
					o.Backoff = func(int) time.Duration { return 0 }
					o.Poll = 10 * time.Millisecond
				}
			})
			enqueue(t, s, "satu", "dua", "tiga")
			graph.FailNext(1, graphtest.Failure{HTTPStatus: 500, Code: 131000, Message: "Something went wrong"})
			if run == "SendBatch" {
				drain(t, snd)
			} else {
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{})
				go func() { defer close(done); snd.Run(ctx) }()
				deadline := time.Now().Add(5 * time.Second)
				for len(graph.Sent()) < 3 && time.Now().Before(deadline) {
					time.Sleep(5 * time.Millisecond)
				}
				cancel()
				<-done
			}
			var got []string
			for _, r := range graph.Sent() {
				got = append(got, r.Text())
			}
			if strings.Join(got, ",") != "satu,dua,tiga" {
				t.Errorf("sent %q, want satu, dua, tiga: a retried reply must not be overtaken", got)
			}
		})
	}
}
