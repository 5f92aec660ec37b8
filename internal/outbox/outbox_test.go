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

var office = sigap.Office{Code: "jakpus", Name: "Kanim Jakpus", PhoneNumberID: "100000000000001"}

func setup(t *testing.T) (*sqlstore.Store, *graphtest.Server, *outbox.Sender, *strings.Builder) {
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
	snd := outbox.NewSender(s, ch, offices, log)
	snd.Backoff = func(int) time.Duration { return 0 } // retry at once: no sleeping in tests
	return s, graph, snd, logs
}

func enqueue(t *testing.T, s *sqlstore.Store, texts ...string) {
	t.Helper()
	var out []sigap.OutboundMessage
	for _, text := range texts {
		out = append(out, sigap.OutboundMessage{Office: "jakpus", To: "628111", Reply: sigap.Reply{Text: text}})
	}
	ctx := context.Background()
	id := "wamid." + texts[0]
	if _, err := s.SaveInbound(ctx, []sigap.InboundMessage{{ID: id, Office: "jakpus", From: "628111", Kind: sigap.KindText}}); err != nil {
		t.Fatal(err)
	}
	if err := s.CompleteInbound(ctx, id, sigap.Conversation{Office: "jakpus", User: "628111"}, out); err != nil {
		t.Fatal(err)
	}
}

// drain sends until nothing is due, as the worker loop would.
func drain(t *testing.T, snd *outbox.Sender) {
	t.Helper()
	for range 20 {
		n, err := snd.SendBatch(context.Background(), 10)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
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
	if len(sent) != 1 || sent[0].Text() != "halo" || sent[0].To() != "628111" || sent[0].PhoneNumberID != office.PhoneNumberID {
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
	s, graph, snd, _ := setup(t)
	snd.MaxAttempts = 3
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
	for _, m := range states(t, s) {
		if m.State != sigap.OutboundPending || m.LastError == "" {
			t.Errorf("while the Graph API is down: %+v, want pending with the error", m)
		}
	}
	// Meta is back on the same address.
	back, err := graphtest.StartAt(strings.TrimPrefix(graph.URL, "http://"), "token")
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	drain(t, snd)
	if n := len(back.Sent()); n != 2 {
		t.Errorf("sent %d after the Graph API came back, want 2", n)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
