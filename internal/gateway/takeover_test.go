package gateway_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/gateway"
	"github.com/sigap-id/sigap/internal/metrics"
	"github.com/sigap-id/sigap/internal/store/sqlite"
)

// Messages taken over from a processor whose claim ran out are said in one
// info line per claim and counted; a message retried after a failed step
// is not a takeover.
func TestATakeoverIsLoggedAndCounted(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "sigap.db"), sqlite.Options{Migrate: true, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var logs strings.Builder
	met := metrics.New(nil)
	now := time.Now()
	bot := &flakyBot{fail: map[string]bool{"rusak": true}}
	p := gateway.NewProcessor(gateway.Options{Store: s, Bot: bot, Metrics: met, Lease: time.Minute,
		Offices: func(code string) (sigap.Office, bool) { return sigap.Office{Code: code}, code == "jakpus" },
		Log:     slog.New(slog.NewTextHandler(&logs, nil)), Now: func() time.Time { return now }})
	msgs := []sigap.InboundMessage{
		{ID: "wamid.a", Office: "jakpus", From: "628111", Kind: sigap.KindText, Text: "halo"},
		{ID: "wamid.b", Office: "jakpus", From: "628112", Kind: sigap.KindText, Text: "halo"},
		{ID: "wamid.c", Office: "jakpus", From: "628113", Kind: sigap.KindText, Text: "rusak"},
	}
	if _, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: msgs}); err != nil {
		t.Fatal(err)
	}
	// The third fails here, and is given back to be retried.
	s.SetHolder("replica-a/101")
	if _, err := s.ClaimInbound(ctx, now, time.Minute, 2); err != nil { // a replica claims two and dies
		t.Fatal(err)
	}
	s.SetHolder("replica-b/202") // the processor's
	if n, _ := p.ProcessBatch(ctx, 10); n != 1 {
		t.Fatalf("claimed %d during the dead replica's lease, want the third alone", n)
	}
	bot.fail = nil
	now = now.Add(time.Minute + time.Second)
	if n, _ := p.ProcessBatch(ctx, 10); n != 3 {
		t.Fatalf("claimed %d after the lease, want 3", n)
	}
	var lines []string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "took over messages") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 || !strings.Contains(lines[0], "level=INFO") || !strings.Contains(lines[0], "messages=2") ||
		!strings.Contains(lines[0], `lease=replica-a/101`) {
		t.Fatalf("takeover lines %q, want one info line for 2 messages of replica-a/101's lease", lines)
	}
	t.Log(lines[0])
	rec := httptest.NewRecorder()
	met.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), `sigap_takeovers_total{kind="message"} 2`+"\n") {
		t.Errorf("metrics lack 2 messages taken over:\n%s", rec.Body.String())
	}
}
