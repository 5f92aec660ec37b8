package sqlstore

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigap-id/sigap"
)

// TestBatchChangedMeanwhile: where the batch's read comes before its
// writing transaction (Dialect.BulkWrite, PostgreSQL), another writer may
// move an application on in between. The bulk write then reports it, and
// the batch is stored row by row from what is stored by then: the late
// older row goes into the history and does not move the application back.
func TestBatchChangedMeanwhile(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "b.db")+"?_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	d := SQLite()
	if err := NewMigrations(d).Up(ctx, db, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	a := sigap.Application{Number: "1060000000000001", Office: "jakpus", ApplicantName: "Budi Santoso",
		BirthDate: time.Date(1990, 8, 17, 0, 0, 0, 0, time.UTC), PassportType: sigap.PassportElectronic,
		Stage: sigap.StageRegistered, StageAt: t0}
	b := a
	b.Number = "1060000000000002"
	awaiting, paid := a, a
	awaiting.Stage, awaiting.StageAt = sigap.StageAwaitingPayment, t0.Add(time.Hour)
	paid.Stage, paid.StageAt = sigap.StagePaid, t0.Add(2*time.Hour)

	var (
		s     *Store
		calls int
	)
	d.BulkWrite = func(ctx context.Context, db *sql.DB, w BulkWrite) (bool, error) {
		calls++
		if len(w.Updates) != 1 || len(w.Inserts) != 1 || len(w.Stages) != 2 {
			t.Errorf("bulk write: %d updates, %d inserts, %d stages; want 1, 1, 2", len(w.Updates), len(w.Inserts), len(w.Stages))
		}
		// Another writer moves a on to paid between the read and the write.
		if _, err := s.UpsertApplication(ctx, paid); err != nil {
			t.Fatal(err)
		}
		return false, nil
	}
	s = New(db, d, Options{})
	defer s.Close()
	if _, err := s.UpsertApplication(ctx, a); err != nil {
		t.Fatal(err)
	}
	got, err := s.UpsertApplications(ctx, []sigap.Application{awaiting, b})
	if err != nil {
		t.Fatal(err)
	}
	if want := []sigap.UpsertOutcome{{Result: sigap.Unchanged}, {Result: sigap.Inserted}}; !cmp.Equal(want, got) || calls != 1 {
		t.Errorf("outcomes %+v after %d bulk writes; want %+v after 1", got, calls, want)
	}
	stored, err := s.FindApplication(ctx, "jakpus", a.Number)
	if err != nil || stored.Stage != sigap.StagePaid {
		t.Errorf("stored %+v, %v; want still paid", stored, err)
	}
	hist, err := s.ApplicationHistory(ctx, a.Number)
	if err != nil || len(hist) != 3 || hist[1].Stage != sigap.StageAwaitingPayment {
		t.Errorf("history %+v, %v; want registered, awaiting_payment, paid", hist, err)
	}
	if _, err := s.FindApplication(ctx, "jakpus", b.Number); err != nil {
		t.Errorf("b: %v", err)
	}
}
