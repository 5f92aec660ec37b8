package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	_ "modernc.org/sqlite"
)

// TestWriterStatementsAreInItsTransaction: statements the writer runs on
// its pinned connection, prepared there, commit and roll back with the
// transaction open on it, alone or in a group with others' work.
func TestWriterStatementsAreInItsTransaction(t *testing.T) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "w.db")+"?_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE t (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	s := New(db, SQLite(), Options{})
	defer s.Close()
	ctx := context.Background()
	insert := func(x int, fail error) error {
		return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
			if _, err := s.exec(ctx, tx, `INSERT INTO t (x) VALUES ($1)`, x); err != nil {
				return err
			}
			return fail
		})
	}
	rows := func() (n int) {
		t.Helper()
		if err := db.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	no := errors.New("no")
	if err := insert(1, no); !errors.Is(err, no) {
		t.Fatalf("err = %v", err)
	}
	if n := rows(); n != 0 {
		t.Fatalf("a rolled-back insert left %d rows", n)
	}
	if len(s.w.stmts) != 1 {
		t.Fatalf("%d statements prepared on the writer's connection, want 1", len(s.w.stmts))
	}
	if err := insert(2, nil); err != nil {
		t.Fatal(err)
	}
	if n := rows(); n != 1 {
		t.Fatalf("%d rows after a committed insert, want 1", n)
	}
	// Many at once, every third failing: groups roll back and run each
	// piece alone; exactly the others' rows remain.
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Go(func() {
			var fail error
			if i%3 == 0 {
				fail = no
			}
			if err := insert(100+i, fail); !errors.Is(err, fail) {
				t.Errorf("insert %d: err = %v, want %v", i, err, fail)
			}
		})
	}
	wg.Wait()
	if n := rows(); n != 1+20 {
		t.Errorf("%d rows, want 21", n)
	}
}
