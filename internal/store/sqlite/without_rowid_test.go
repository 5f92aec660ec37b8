package sqlite_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/store/sqlite"
)

// TestWithoutRowidUpgrade: migration 00016 rebuilds applications and
// application_stages as WITHOUT ROWID tables on a database that has rows,
// keeping every row, the stage history, the indexes and the cascade from an
// application to its stages; and its Down keeps them too.
func TestWithoutRowidUpgrade(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sigap.db")
	log := slog.New(slog.DiscardHandler)
	s, err := sqlite.Open(ctx, path, sqlite.Options{Log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db := s.DB()
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sqlite.Migrations.FS, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 15); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i, a := range []sigap.Application{
		{Number: "1061000000000001", Office: "jakpus", ApplicantName: "Siti", BirthDate: time.Date(1990, 5, 6, 0, 0, 0, 0, time.UTC),
			PassportType: sigap.PassportElectronic, Stage: sigap.StageApproved, StageAt: at, Note: "catatan"},
		{Number: "1061000000000002", Office: "mataram", ApplicantName: "Budi", BirthDate: time.Date(1985, 1, 2, 0, 0, 0, 0, time.UTC),
			PassportType: sigap.PassportOrdinary, Stage: sigap.StageCollected, StageAt: at},
	} {
		if _, err := s.UpsertApplication(ctx, a); err != nil {
			t.Fatalf("application %d: %v", i, err)
		}
		a.Stage, a.StageAt = sigap.StagePrinting, at.Add(time.Hour)
		if i == 0 {
			if _, err := s.UpsertApplication(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
	}
	check := func(when string, withoutRowid bool) {
		t.Helper()
		a, err := s.FindApplication(ctx, "jakpus", "1061000000000001")
		if err != nil || a.ApplicantName != "Siti" || a.Stage != sigap.StagePrinting || a.Note != "catatan" || !a.BirthDate.Equal(time.Date(1990, 5, 6, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("%s: application %+v, %v", when, a, err)
		}
		h, err := s.ApplicationHistory(ctx, "1061000000000001")
		if err != nil || len(h) != 2 {
			t.Fatalf("%s: history %+v, %v", when, h, err)
		}
		if _, err := s.FindApplicationAnywhere(ctx, "1061000000000002"); err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		for table, want := range map[string]bool{"applications": withoutRowid, "application_stages": withoutRowid} {
			var sql string
			if err := db.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = $1`, table).Scan(&sql); err != nil {
				t.Fatal(err)
			}
			if got := len(sql) > 13 && sql[len(sql)-13:] == "WITHOUT ROWID"; got != want {
				t.Errorf("%s: %s WITHOUT ROWID is %v, want %v: %s", when, table, got, want, sql)
			}
		}
		var indexes int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN ('applications_office', 'applications_final')`).Scan(&indexes); err != nil || indexes != 2 {
			t.Errorf("%s: %d of the 2 indexes on applications (%v)", when, indexes, err)
		}
	}
	check("before 00016", false)
	if _, err := p.UpTo(ctx, 16); err != nil {
		t.Fatal(err)
	}
	check("after 00016", true)
	if _, err := p.DownTo(ctx, 15); err != nil {
		t.Fatal(err)
	}
	check("after 00016 down", false)
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	check("up again", true)
	// The stages still follow their application out (ON DELETE CASCADE).
	if _, err := db.ExecContext(ctx, `DELETE FROM applications WHERE number = '1061000000000001'`); err != nil {
		t.Fatal(err)
	}
	var stages int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM application_stages WHERE number = '1061000000000001'`).Scan(&stages); err != nil || stages != 0 {
		t.Fatalf("%d stages left after their application was deleted (%v)", stages, err)
	}
}
