package postgres_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/store/pgtest"
	"github.com/sigap-id/sigap/internal/store/postgres"
	"github.com/sigap-id/sigap/internal/store/storetest"
)

// TestStore runs the shared store suite on PostgreSQL, each test in a
// schema of its own so that tests run in parallel.
func TestStore(t *testing.T) {
	pgtest.URL(t)
	storetest.Run(t, func(t *testing.T) sigap.Store {
		s, err := postgres.Open(context.Background(), pgtest.Schema(t), postgres.Options{Migrate: true, Log: slog.New(slog.DiscardHandler), MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestClock runs the store on a clock of the test's (postgres.Options.Now).
func TestClock(t *testing.T) {
	pgtest.URL(t)
	storetest.RunClock(t, func(t *testing.T, now func() time.Time) sigap.Store {
		s, err := postgres.Open(context.Background(), pgtest.Schema(t), postgres.Options{Migrate: true, Log: slog.New(slog.DiscardHandler), MaxConns: 4, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
