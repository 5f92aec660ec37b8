package sqlstore_test

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sigap-id/sigap/internal/store/pgtest"
	"github.com/sigap-id/sigap/internal/store/postgres"
	"github.com/sigap-id/sigap/internal/store/sqlite"
)

var update = flag.Bool("update", false, "rewrite testdata/schema.*.txt from what the migrations make")

// TestSchema migrates a new database on each engine and compares what the
// migrations made with testdata/schema.ENGINE.txt: the tables, columns,
// types, keys and indexes, and the versions goose recorded. The files were
// first written from the two copies of every migration that the engines
// had before the migrations were written once (issue 17), so a database
// made by either is the same as one made today; a new migration adds its
// lines there (go test ./internal/store/sqlstore -run TestSchema -update,
// and read the diff).
func TestSchema(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	t.Run("sqlite", func(t *testing.T) {
		s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "sigap.db"), sqlite.Options{Migrate: true, Log: log})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		checkSchema(t, "sqlite", dump(t, s.DB(), "", []string{
			`SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name`,
			`SELECT 'version', version_id, is_applied FROM goose_db_version ORDER BY id`,
		}))
	})
	t.Run("postgres", func(t *testing.T) {
		url := pgtest.Schema(t)
		s, err := postgres.Open(ctx, url, postgres.Options{Migrate: true, Log: log, MaxConns: 2})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var schema string
		if err := s.DB().QueryRow(`SELECT current_schema()`).Scan(&schema); err != nil {
			t.Fatal(err)
		}
		checkSchema(t, "postgres", dump(t, s.DB(), schema, []string{
			`SELECT 'column', table_name, column_name, data_type, is_nullable, coalesce(column_default, ''),
				is_identity, coalesce(identity_generation, '')
			FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`,
			`SELECT 'constraint', cl.relname, co.conname, pg_get_constraintdef(co.oid)
			FROM pg_constraint co JOIN pg_class cl ON cl.oid = co.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
			WHERE n.nspname = current_schema() ORDER BY cl.relname, co.conname`,
			`SELECT 'index', tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()
			ORDER BY tablename, indexname`,
			`SELECT 'version', version_id, is_applied FROM goose_db_version ORDER BY id`,
		}))
	})
}

// dump runs the queries and returns their rows, a line each, with the
// columns separated by " | " and the test's own schema name left out.
func dump(t *testing.T, db *sql.DB, schema string, queries []string) string {
	t.Helper()
	var b strings.Builder
	for _, q := range queries {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			line := make([]string, len(vals))
			for i, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				line[i] = fmt.Sprint(v)
				if schema != "" {
					line[i] = strings.ReplaceAll(line[i], schema+".", "")
				}
			}
			b.WriteString(strings.Join(line, " | ") + "\n")
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return b.String()
}

func checkSchema(t *testing.T, engine, got string) {
	t.Helper()
	path := filepath.Join("testdata", "schema."+engine+".txt")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (write it with -update)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("the migrations make another schema than %s (-want +got):\n%s", path, d)
	}
}
