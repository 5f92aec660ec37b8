package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/store/sqlite"
)

// TestWiringBeforeWork runs sigap serve, as an operator does, on a database
// whose inbox a previous run left full, and then with deliveries arriving:
// the processor's first claim (after its first poll) answers what waits,
// and its workers hand the replies to the sender and mark messages read.
// Everything they are made of must be set before their goroutines start:
// under -race, a part wired into the processor or the sender after Run
// (as serve once did with the outbox hand-over, hidden by the first poll's
// delay) fails this test. Every message is answered, each reply sent once.
func TestWiringBeforeWork(t *testing.T) {
	const senders, each = 8, 3
	db := filepath.Join(t.TempDir(), "sigap.db")
	ctx := context.Background()
	s, err := sqlite.Open(ctx, db, sqlite.Options{Migrate: true, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	var left sigap.Delivery
	for i := range senders {
		for j := range each {
			left.Messages = append(left.Messages, sigap.InboundMessage{ID: fmt.Sprintf("wamid.left%d.%d", i, j), Office: "jakpus",
				From: fmt.Sprintf("6281100000%02d", i), Kind: sigap.KindText, Text: "halo", At: time.Now()})
		}
	}
	if _, err := s.SaveDelivery(ctx, left); err != nil {
		t.Fatal(err)
	}
	s.Close()

	offices := filepath.Join(t.TempDir(), "offices.yaml")
	if err := os.WriteFile(offices, []byte(`offices:
  - code: jakpus
    name: Kantor Imigrasi Kelas I Non TPI Jakarta Pusat
    whatsapp:
      phone_number_id: "`+jakpusPhoneID+`"
      mark_read: true
`), 0o600); err != nil {
		t.Fatal(err)
	}
	g := startServe(t, nil, map[string]string{"SIGAP_DATABASE": "sqlite:" + db, "SIGAP_OFFICES": offices})
	// The waiting messages are answered first, by the workers alone.
	waitAllSent(t, db, senders*each)
	for i := range senders {
		g.deliver(t, textDelivery(jakpusPhoneID, [3]string{fmt.Sprintf("wamid.new%d", i), fmt.Sprintf("6281100000%02d", i), "halo"}))
	}
	out := waitAllSent(t, db, senders*(each+1))
	if err := g.stop(); err != nil {
		t.Fatal(err)
	}
	if sent := g.graph.Sent(); len(sent) != len(out) {
		t.Errorf("the Graph API got %d replies; the outbox holds %d, all sent", len(sent), len(out))
	}
	reads := 0
	for _, r := range g.graph.Requests() {
		if r.ReadReceipt {
			reads++
		}
	}
	if reads == 0 {
		t.Error("no message was marked read, though the office asks for it")
	}
}

// waitAllSent waits until the database at path has n messages answered
// and every reply to them sent, and returns the replies.
func waitAllSent(t *testing.T, path string, n int) []sigap.OutboundMessage {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path, sqlite.Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := s.Outbound(ctx, "", 10_000)
		if err != nil {
			t.Fatal(err)
		}
		answered, sent := map[string]bool{}, 0
		for _, m := range out {
			answered[m.InReplyTo] = true
			if m.State == sigap.OutboundSent {
				sent++
			}
		}
		if len(answered) >= n && sent == len(out) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages answered, %d of their %d replies sent; want %d answered, all sent", len(answered), sent, len(out), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
