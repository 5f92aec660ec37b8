package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
		_, err := inTx(s, ctx, func(ctx context.Context, tx *sql.Tx) (none, error) {
			if _, err := s.exec(ctx, tx, `INSERT INTO t (x) VALUES ($1)`, x); err != nil {
				return none{}, err
			}
			return none{}, fail
		})
		return err
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

// TestWriterResultsAreTheCommittedRuns: when a group cannot commit and its
// pieces run again alone, each caller gets the result of its piece's last
// run, the one that committed, and so does its after hook; nothing of the
// rolled-back run is left, in the database or in what callers are told.
func TestWriterResultsAreTheCommittedRuns(t *testing.T) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "w.db")+"?_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE t (x INTEGER, run INTEGER)`); err != nil {
		t.Fatal(err)
	}
	s := New(db, SQLite(), Options{})
	defer s.Close()
	ctx := context.Background()

	// A write that holds the writer until released, so that the others
	// gather behind it into one group.
	release, holding := make(chan struct{}), make(chan struct{})
	held := make(chan error, 1)
	go func() {
		_, err := inTx(s, ctx, func(ctx context.Context, tx *sql.Tx) (none, error) {
			close(holding)
			<-release
			return none{}, nil
		})
		held <- err
	}()
	<-holding

	// Each piece inserts x with the number of its run and reports both the
	// number and the rows it sees with x: in the committed run, 1. Piece 0
	// queues last and fails on its first run only, which fails the group
	// once, after every other piece ran in it.
	const pieces = 20
	type result struct{ run, seen int }
	var (
		runs    [pieces]atomic.Int32
		got     [pieces]result
		after   [pieces]result
		errs    [pieces]error
		wg      sync.WaitGroup
		errOnce = errors.New("first run fails")
	)
	queued := func(n int) {
		for {
			s.w.queue.mu.Lock()
			k := len(s.w.queue.pending)
			s.w.queue.mu.Unlock()
			if k == n {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
	piece := func(i int) {
		wg.Go(func() {
			got[i], errs[i] = inTxAfter(s, ctx, func(ctx context.Context, tx *sql.Tx) (result, error) {
				r := result{run: int(runs[i].Add(1))}
				if _, err := s.exec(ctx, tx, `INSERT INTO t (x, run) VALUES ($1, $2)`, i, r.run); err != nil {
					return r, err
				}
				if err := s.queryRow(ctx, tx, `SELECT count(*) FROM t WHERE x = $1`, i).Scan(&r.seen); err != nil {
					return r, err
				}
				if i == 0 && r.run == 1 {
					return r, errOnce
				}
				return r, nil
			}, func(r result) { after[i] = r })
		})
	}
	for i := 1; i < pieces; i++ {
		piece(i)
	}
	queued(pieces - 1)
	piece(0)
	queued(pieces)
	close(release)
	wg.Wait()
	if err := <-held; err != nil {
		t.Fatal(err)
	}

	for i := range pieces {
		if errs[i] != nil {
			t.Errorf("piece %d: %v", i, errs[i])
			continue
		}
		// Every piece ran in the group that failed, then alone.
		want := result{run: 2, seen: 1}
		if got[i] != want || after[i] != want {
			t.Errorf("piece %d: got %+v, after got %+v, want %+v", i, got[i], after[i], want)
		}
		var n, run int
		if err := db.QueryRow(`SELECT count(*), max(run) FROM t WHERE x = ?`, i).Scan(&n, &run); err != nil {
			t.Fatal(err)
		}
		if n != 1 || run != got[i].run {
			t.Errorf("piece %d: %d rows stored, by run %d; want 1, by run %d", i, n, run, got[i].run)
		}
	}
}
