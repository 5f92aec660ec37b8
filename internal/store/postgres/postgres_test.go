package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"log/slog"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/store/postgres"
	"github.com/sigap-id/sigap/internal/store/storetest"
)

// TestStore runs the shared store suite on PostgreSQL, each test in a
// schema of its own so that tests run in parallel.
func TestStore(t *testing.T) {
	base := os.Getenv("SIGAP_TEST_POSTGRES")
	if base == "" {
		t.Skip("SIGAP_TEST_POSTGRES is not set: PostgreSQL store tests skipped (e.g. SIGAP_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test)")
	}
	storetest.Run(t, func(t *testing.T) sigap.Store {
		s, err := postgres.Open(context.Background(), freshSchema(t, base), postgres.Options{Migrate: true, Log: slog.New(slog.DiscardHandler), MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// freshSchema creates an empty schema, dropped after the test, and returns
// a URL whose connections use it.
func freshSchema(t *testing.T, base string) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "sigap_test_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err == nil {
			_, _ = db.Exec("DROP SCHEMA " + schema + " CASCADE")
			db.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
