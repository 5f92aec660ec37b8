// Package pgtest gives tests a PostgreSQL schema of their own on the server
// named by SIGAP_TEST_POSTGRES, so that tests on one server run in parallel.
package pgtest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// URL returns SIGAP_TEST_POSTGRES, or skips the test with a clear message.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("SIGAP_TEST_POSTGRES")
	if base == "" {
		t.Skip("SIGAP_TEST_POSTGRES is not set: PostgreSQL test skipped (e.g. SIGAP_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test)")
	}
	return base
}

// Schema creates an empty schema, dropped when the test ends, and returns a
// URL whose connections use it.
func Schema(t testing.TB) string {
	t.Helper()
	base := URL(t)
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
		if db, err := sql.Open("pgx", base); err == nil {
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
