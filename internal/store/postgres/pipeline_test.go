package postgres

import (
	"context"
	"database/sql"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/store/pgtest"
	"github.com/sigap-id/sigap/internal/store/sqlstore"
)

// TestAnswersArePipelined: on PostgreSQL a message with its answer is
// stored by its statements sent together, once (one pipelined batch, not
// the transaction that runs them one by one), and what that stored is what
// the one-by-one path stores; when an assumption of the batch fails (the
// conversation moved on), the batch is rolled back and the message is
// stored unanswered the long way.
func TestAnswersArePipelined(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("pgx", pgtest.Schema(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := Migrations.Up(ctx, db, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	var batches, committed atomic.Int64
	d := sqlstore.PostgreSQL()
	d.Ready = Migrations.Current
	d.Pipeline = func(ctx context.Context, db *sql.DB, stmts []sqlstore.Stmt, check func(rows [][][]any) bool) (bool, error) {
		batches.Add(1)
		ok, err := pipeline(ctx, db, stmts, check)
		if ok {
			committed.Add(1)
		}
		return ok, err
	}
	s := sqlstore.New(db, d, sqlstore.Options{})
	t.Cleanup(func() { s.Close() })

	now := time.Now()
	claim := sigap.Claim{Now: now, InboxLease: time.Minute, OutboxLease: time.Minute}
	msg := func(id string) sigap.InboundMessage {
		return sigap.InboundMessage{ID: id, Office: "jakpus", From: "6281", Kind: sigap.KindText, Text: "hi", At: now}
	}
	answer := func(version int64, texts ...string) *sigap.Answer {
		a := &sigap.Answer{Conv: sigap.Conversation{Office: "jakpus", User: "6281", Lang: "id", Version: version}}
		for _, text := range texts {
			a.Replies = append(a.Replies, sigap.OutboundMessage{Office: "jakpus", To: "6281", InReplyTo: "m", Reply: sigap.Reply{Text: text}})
		}
		return a
	}
	save := func(m sigap.InboundMessage, a *sigap.Answer) sigap.Saved {
		t.Helper()
		saved, err := s.SaveDeliveryClaiming(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{m}}, []*sigap.Answer{a}, claim)
		if err != nil {
			t.Fatal(err)
		}
		return saved
	}

	// New, nothing waiting: stored at once, its two replies claimed.
	saved := save(msg("m1"), answer(0, "one", "two"))
	if batches.Load() != 1 || committed.Load() != 1 {
		t.Fatalf("batches %d, committed %d; want 1, 1", batches.Load(), committed.Load())
	}
	if len(saved.Answered) != 1 || len(saved.Replies) != 2 || len(saved.Queued) != 0 {
		t.Fatalf("saved %+v; want answered, two replies claimed", saved)
	}
	if saved.Replies[0].ID == 0 || saved.Replies[1].ID <= saved.Replies[0].ID || saved.Replies[0].LeaseEnds.IsZero() {
		t.Errorf("claimed replies %+v: want their ids, in order, and a lease", saved.Replies)
	}
	c, err := s.Conversation(ctx, "jakpus", "6281")
	if err != nil || c.Version != 1 || c.Lang != "id" {
		t.Fatalf("conversation %+v, %v; want version 1 stored", c, err)
	}

	// A stale answer (read at version 0, stored is 1): the batch is rolled
	// back and the message waits, unanswered, its replies never stored.
	saved = save(msg("m2"), answer(0, "stale"))
	if batches.Load() != 2 || committed.Load() != 1 {
		t.Fatalf("batches %d, committed %d; want 2, 1", batches.Load(), committed.Load())
	}
	if saved.Added != 1 || len(saved.Answered) != 0 || len(saved.Replies) != 0 || len(saved.Queued) != 0 {
		t.Fatalf("saved %+v; want stored unanswered", saved)
	}
	got, err := s.ClaimInbound(ctx, now, time.Minute, 10)
	if err != nil || len(got) != 1 || got[0].ID != "m2" {
		t.Fatalf("claim: %v, %v; want m2 waiting", got, err)
	}
	var replies int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM outbox`).Scan(&replies); err != nil || replies != 2 {
		t.Fatalf("outbox holds %d replies (%v); want only m1's two", replies, err)
	}
}
