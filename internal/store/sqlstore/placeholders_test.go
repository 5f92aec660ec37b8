package sqlstore

import (
	"context"
	"database/sql"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	_ "modernc.org/sqlite"

	"github.com/sigap-id/sigap/internal/store/pgtest"
)

// TestPlaceholders: a query is run as written on both engines. $N is the
// Nth argument wherever it stands and however often it appears, and a ? or
// a $1 inside a string literal or a comment is text, not a placeholder
// (nothing rewrites the query, so nothing can rewrite them).
func TestPlaceholders(t *testing.T) {
	const query = `SELECT CAST($2 AS TEXT), '?', CAST($1 AS TEXT), '$1 ?', CAST($2 AS TEXT) -- $1? ?
		WHERE CAST($1 AS TEXT) <> '?'`
	want := []string{"b", "?", "a", "$1 ?", "b"}
	check := func(t *testing.T, s *Store) {
		t.Helper()
		ctx := context.Background()
		scan := func(row *sql.Row) []string {
			got := make([]string, 5)
			if err := row.Scan(&got[0], &got[1], &got[2], &got[3], &got[4]); err != nil {
				t.Fatal(err)
			}
			return got
		}
		for i := range 2 { // the second time from the statement cache
			if got := scan(s.queryRow(ctx, s.db, query, "a", "b")); !cmp.Equal(got, want) {
				t.Errorf("run %d: got %q, want %q", i+1, got, want)
			}
		}
		_, err := inTx(s, ctx, func(ctx context.Context, tx *sql.Tx) (none, error) {
			if got := scan(s.queryRow(ctx, tx, query, "a", "b")); !cmp.Equal(got, want) {
				t.Errorf("in a transaction: got %q, want %q", got, want)
			}
			return none{}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Run("sqlite", func(t *testing.T) {
		db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "p.db"))
		if err != nil {
			t.Fatal(err)
		}
		s := New(db, SQLite(), Options{})
		defer s.Close()
		check(t, s)
	})
	t.Run("postgres", func(t *testing.T) {
		db, err := sql.Open("pgx", pgtest.Schema(t))
		if err != nil {
			t.Fatal(err)
		}
		s := New(db, PostgreSQL(), Options{})
		defer s.Close()
		check(t, s)
	})
}

// TestParams: the placeholders of statements whose number of arguments
// varies are numbered from where their arguments start.
func TestParams(t *testing.T) {
	if got := params(3, 3); got != "$3, $4, $5" {
		t.Errorf("params(3, 3) = %q", got)
	}
	q, args := markSentQuery([]*sentMark{{id: 7, sentID: "w7", at: 70}, {id: 8, sentID: "w8", at: 80}})
	wantQ := `UPDATE outbox SET state = 'sent', claimed_until = 0, last_error = '', sent_id = CASE id` +
		` WHEN $1 THEN CAST($2 AS TEXT) WHEN $4 THEN CAST($5 AS TEXT) END, sent_at = CASE id` +
		` WHEN $1 THEN CAST($3 AS BIGINT) WHEN $4 THEN CAST($6 AS BIGINT) END WHERE id IN ($1, $4)`
	if d := cmp.Diff(wantQ, q) + cmp.Diff([]any{int64(7), "w7", int64(70), int64(8), "w8", int64(80)}, args); d != "" {
		t.Error(d)
	}
	pg := &Store{dialect: PostgreSQL()}
	if got := pg.bulkInsertQuery(2); !strings.Contains(got, "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11), ($12,") ||
		!strings.HasSuffix(got, "$22) ON CONFLICT (number) DO NOTHING") {
		t.Errorf("bulkInsertQuery(2) = %q", got)
	}
	// Where the dialect binds anonymous parameters faster, the same
	// statement has one ? for each argument, in order.
	lite := &Store{dialect: SQLite()}
	if got := lite.bulkInsertQuery(2); !strings.Contains(got, "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), (?,") ||
		!strings.HasSuffix(got, "?) ON CONFLICT (number) DO NOTHING") || strings.Count(got, "?") != 22 {
		t.Errorf("SQLite bulkInsertQuery(2) = %q", got)
	}
	if got := lite.seqParams(5, 3); got != "?, ?, ?" {
		t.Errorf("SQLite seqParams(5, 3) = %q", got)
	}
}

// TestQueriesAreWrittenOnce: no string in this package's code holds a ?
// placeholder or a {marker} for something to replace at run time. A query
// uses $1, $2, … and names what differs between the engines through its
// Dialect. The one function that writes ? is seqParams, for
// Dialect.AnonymousParams.
func TestQueriesAreWrittenOnce(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	sqlText := regexp.MustCompile(`'[^']*'|--[^\n]*`) // SQL strings and comments
	marker := regexp.MustCompile(`\{[a-z_]+\}`)
	checked := 0
	for _, pkg := range pkgs {
		for name, f := range pkg.Files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if fn, ok := n.(*ast.FuncDecl); ok && fn.Name.Name == "seqParams" {
					return false
				}
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatalf("%v: %v", fset.Position(lit.Pos()), err)
				}
				checked++
				code := sqlText.ReplaceAllString(s, "")
				if strings.Contains(code, "?") || marker.MatchString(code) {
					t.Errorf("%v: %q: write placeholders $1, $2, … and engine differences through the Dialect", fset.Position(lit.Pos()), s)
				}
				return true
			})
		}
	}
	if checked < 100 {
		t.Errorf("checked %d strings; the package's queries were not found", checked)
	}
}
