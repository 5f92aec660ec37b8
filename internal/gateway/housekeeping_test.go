package gateway_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/gateway"
	"github.com/sigap-id/sigap/internal/store/sqlite"
)

// syncBuffer is a log destination safe for the race detector.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestHousekeeperRetention: one replica at a time applies retention, on
// the clock it is given, records each run and logs its counts only; when
// the replica holding the lease is gone, another takes over.
func TestHousekeeperRetention(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "sigap.db"), sqlite.Options{Migrate: true, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	const sender = "6281234567890"
	if _, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{
		{ID: "wamid.1", Office: "jakpus", From: sender, Kind: sigap.KindText, Text: "17081990"},
	}}); err != nil {
		t.Fatal(err)
	}
	if err := s.CompleteInbound(ctx, "wamid.1", sigap.Conversation{Office: "jakpus", User: sender, Lang: "en"}, nil); err != nil {
		t.Fatal(err)
	}

	now := time.Now()
	var logs syncBuffer
	keeper := func(holder string) *gateway.Housekeeper {
		return &gateway.Housekeeper{Store: s, Holder: holder, Every: time.Hour,
			Log: slog.New(slog.NewTextHandler(&logs, nil)), Now: func() time.Time { return now }}
	}
	a, b := keeper("replica-a"), keeper("replica-b")

	if !a.Once(ctx) {
		t.Fatal("the first replica did not run")
	}
	if b.Once(ctx) {
		t.Fatal("a second replica ran while the first holds the lease")
	}
	if c, _ := s.Conversation(ctx, "jakpus", sender); c.Lang != "en" {
		t.Fatalf("a fresh conversation was removed: %+v", c)
	}

	// A day and a half later: the answered message loses its text.
	now = now.Add(36 * time.Hour)
	if !a.Once(ctx) {
		t.Fatal("the holder did not run again")
	}
	// 91 days later the holder is gone; its lease has run out.
	now = now.Add(91 * 24 * time.Hour)
	if !b.Once(ctx) {
		t.Fatal("the second replica did not take over")
	}
	if c, _ := s.Conversation(ctx, "jakpus", sender); c.Lang != "" {
		t.Errorf("an idle conversation was kept: %+v", c)
	}

	runs, err := s.RetentionRuns(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	type run struct {
		Holder  string
		Removed sigap.Removed
	}
	var got []run
	for _, r := range runs {
		got = append(got, run{r.Holder, r.Removed})
	}
	want := []run{
		{"replica-b", sigap.Removed{Messages: 1, Conversations: 1}},
		{"replica-a", sigap.Removed{MessageTexts: 1}},
		{"replica-a", sigap.Removed{}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("recorded runs, newest first (-want +got):\n%s", diff)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("log: %d lines, want one a run:\n%s", len(lines), logs.String())
	}
	for _, want := range []string{"level=INFO", `msg="retention applied"`, "rows=2", "messages=1", "conversations=1", "message_texts=0"} {
		if !strings.Contains(lines[2], want) {
			t.Errorf("log line %q lacks %q", lines[2], want)
		}
	}
	if strings.Contains(logs.String(), sender) || strings.Contains(logs.String(), "17081990") {
		t.Errorf("the log names the sender or their text:\n%s", logs.String())
	}
}

// fakeKeeping is a store whose retention fails after removing some rows.
type fakeKeeping struct {
	gateway.HousekeepingStore // nil: only the methods below are called
	policy                    sigap.RetentionPolicy
	holder                    string
	at                        time.Time
	pruned                    bool
}

func (f *fakeKeeping) TryLease(context.Context, string, string, time.Time, time.Time) (bool, error) {
	return true, nil
}

func (f *fakeKeeping) ApplyRetention(_ context.Context, p sigap.RetentionPolicy, holder string, now time.Time) (sigap.Removed, error) {
	f.policy, f.holder, f.at = p, holder, now
	return sigap.Removed{Tickets: 3}, errors.New("database is locked")
}

func (f *fakeKeeping) Prune(context.Context, time.Time, time.Time) (int64, error) {
	f.pruned = true
	return 0, nil
}

// TestHousekeeperRetentionFails: the configured periods, with the
// defaults filled in, reach the store with the holder and the clock's
// time; a failed run is logged as a warning with what it did remove.
func TestHousekeeperRetentionFails(t *testing.T) {
	at := time.Date(2027, 3, 4, 5, 6, 7, 0, time.UTC)
	var logs syncBuffer
	f := &fakeKeeping{}
	h := &gateway.Housekeeper{Store: f, Holder: "replica-a", Every: time.Hour,
		Policy: sigap.RetentionPolicy{Conversations: 30 * 24 * time.Hour},
		Log:    slog.New(slog.NewTextHandler(&logs, nil)), Now: func() time.Time { return at }}
	if h.Once(context.Background()) {
		t.Error("a failed run reported success")
	}
	want := sigap.DefaultRetention()
	want.Conversations = 30 * 24 * time.Hour
	if diff := cmp.Diff(want, f.policy); diff != "" {
		t.Errorf("policy (-want +got):\n%s", diff)
	}
	if f.holder != "replica-a" || !f.at.Equal(at) {
		t.Errorf("ran as %q at %v; want replica-a at %v", f.holder, f.at, at)
	}
	if f.pruned {
		t.Error("pruned after retention failed")
	}
	for _, want := range []string{"level=WARN", "tickets=3", "rows=3", `err="database is locked"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log %q lacks %q", logs.String(), want)
		}
	}
}
