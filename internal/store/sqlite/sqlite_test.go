package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/store/sqlite"
	"github.com/sigap-id/sigap/internal/store/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) sigap.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "sigap.db"), sqlite.Options{Migrate: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestNotReadyBeforeMigrations(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "sigap.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Ready(ctx); err == nil {
		t.Fatal("Ready on an unmigrated database = nil, want an error")
	}
	if err := sqlite.Migrations.Up(ctx, s.DB(), nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Ready(ctx); err != nil {
		t.Fatalf("Ready after migrating: %v", err)
	}
}

// TestSenderWaitingAfterReopening: the messages left waiting by an earlier
// process are known to the next one, which answers SenderWaiting from
// memory.
func TestSenderWaitingAfterReopening(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sigap.db")
	s, err := sqlite.Open(ctx, path, sqlite.Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	m := sigap.InboundMessage{ID: "wamid.1", Office: "jakpus", From: "62811", Kind: sigap.KindText, Text: "halo"}
	if _, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{m}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for user, want := range map[string]bool{"62811": true, "62822": false} {
		if got, err := s.SenderWaiting(ctx, "jakpus", user); err != nil || got != want {
			t.Errorf("SenderWaiting(%s) = %v, %v; want %v", user, got, err, want)
		}
	}
	if err := s.CompleteInbound(ctx, m.ID, sigap.Conversation{Office: "jakpus", User: "62811"}, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.SenderWaiting(ctx, "jakpus", "62811"); got {
		t.Error("SenderWaiting after the message was answered = true")
	}
}
