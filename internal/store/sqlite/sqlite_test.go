package sqlite_test

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/store/sqlite"
	"github.com/sigap-id/sigap/internal/store/sqlstore"
	"github.com/sigap-id/sigap/internal/store/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) sigap.Store {
		s := openFile(t, filepath.Join(t.TempDir(), "sigap.db"), true)
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestClock runs the store on a clock of the test's (sqlite.Options.Now).
func TestClock(t *testing.T) {
	storetest.RunClock(t, func(t *testing.T, now func() time.Time) sigap.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "sigap.db"), sqlite.Options{Migrate: true, Log: slog.New(slog.DiscardHandler), Now: now})
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
// process are known to the next one, which answers ConversationIfIdle from
// memory.
func TestSenderWaitingAfterReopening(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sigap.db")
	s := openFile(t, path, true)
	m := sigap.InboundMessage{ID: "wamid.1", Office: "jakpus", From: "62811", Kind: sigap.KindText, Text: "halo"}
	if _, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{m}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openFile(t, path, false)
	defer s.Close()
	for user, want := range map[string]bool{"62811": true, "62822": false} {
		if _, idle, err := s.ConversationIfIdle(ctx, "jakpus", user); err != nil || idle == want {
			t.Errorf("ConversationIfIdle(%s) idle = %v, %v; want %v", user, idle, err, !want)
		}
	}
	if err := s.CompleteInbound(ctx, m.ID, sigap.Conversation{Office: "jakpus", User: "62811"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, idle, _ := s.ConversationIfIdle(ctx, "jakpus", "62811"); !idle {
		t.Error("ConversationIfIdle after the message was answered: not idle")
	}
}

// TestConversationChangedByAnotherProcess: a conversation that another
// process on the same file stored (sigap chat) is not overwritten by an
// answer worked out from this process's cached copy; the message waits, and
// the conversation is read again from the file.
func TestConversationChangedByAnotherProcess(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sigap.db")
	server := openFile(t, path, true)
	defer server.Close()
	chat := openFile(t, path, false)
	defer chat.Close()

	conv := sigap.Conversation{Office: "jakpus", User: "62811", Lang: "id"}
	if err := server.SaveConversation(ctx, conv); err != nil {
		t.Fatal(err)
	}
	cached, err := server.Conversation(ctx, "jakpus", "62811")
	if err != nil || cached.Version != 1 {
		t.Fatalf("server's conversation: %+v, %v; want version 1", cached, err)
	}
	other := cached
	other.Lang = "en"
	if err := chat.SaveConversation(ctx, other); err != nil {
		t.Fatal(err)
	}

	answer := cached
	answer.Awaiting = "birth_date"
	m := sigap.InboundMessage{ID: "wamid.1", Office: "jakpus", From: "62811", Kind: sigap.KindText, Text: "halo"}
	saved, err := server.SaveDeliveryClaiming(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{m}},
		[]*sigap.Answer{{Conv: answer}}, sigap.Claim{Now: time.Now(), InboxLease: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if saved.Added != 1 || len(saved.Answered) != 0 {
		t.Errorf("saved %+v; want the message stored unanswered", saved)
	}
	got, err := server.Conversation(ctx, "jakpus", "62811")
	if err != nil || got.Lang != "en" || got.Awaiting != "" || got.Version != 2 {
		t.Errorf("server's conversation afterwards: %+v, %v; want chat's (en, version 2)", got, err)
	}
}

// openFile opens the SQLite store at path, migrating it if migrate, as a
// process of its own would; the caller closes it.
func openFile(t *testing.T, path string, migrate bool) *sqlstore.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{Migrate: migrate})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestMmapSize: Options.MmapSize is every connection's mmap_size, and
// without it none is mapped.
func TestMmapSize(t *testing.T) {
	for _, want := range []int64{0, 64 << 20} {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "sigap.db"),
			sqlite.Options{Migrate: true, Log: slog.New(slog.DiscardHandler), MmapSize: want})
		if err != nil {
			t.Fatal(err)
		}
		db := s.DB()
		db.SetMaxIdleConns(4)
		// Two connections at once: the pragma is set on each, not once.
		c1, err := db.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		c2, err := db.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range []*sql.Conn{c1, c2} {
			var got int64
			if err := c.QueryRowContext(context.Background(), `PRAGMA mmap_size`).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("MmapSize %d: connection %d has mmap_size %d", want, i, got)
			}
		}
		c1.Close()
		c2.Close()
		s.Close()
	}
}
