package sqlstore

// Running statements: in a transaction (through the writer where there is
// one), on their own, prepared where that helps.

import (
	"context"
	"database/sql"
	"fmt"
)

// inTx runs fn in a transaction, committing when it returns nil. On SQLite
// the transaction may be shared with other callers' work (see writer): fn
// must use the ctx it is given, and set rather than accumulate what it
// reports, as it runs again on its own if the shared transaction cannot
// commit.
func (s *Store) inTx(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return s.inTxAfter(ctx, fn, nil)
}

// inTxAfter is inTx, running after (if not nil) once the transaction has
// committed; on SQLite in commit order (see writer).
func (s *Store) inTxAfter(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error, after func()) error {
	if s.w != nil {
		return s.w.do(ctx, fn, after)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := runTx(ctx, tx, fn); err != nil {
		return err
	}
	if after != nil {
		after()
	}
	return nil
}

// dbtx runs statements: the database, each statement committing on its
// own, or a transaction.
type dbtx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// writeOne runs fn, which writes with one statement: on SQLite through the
// writer (see inTx), elsewhere on its own, without a transaction around it.
func (s *Store) writeOne(ctx context.Context, fn func(ctx context.Context, q dbtx) error) error {
	if s.w != nil {
		return s.w.do(ctx, func(ctx context.Context, tx *sql.Tx) error { return fn(ctx, tx) }, nil)
	}
	return fn(ctx, s.db)
}

// write runs one statement (see writeOne) and returns the rows it affected.
func (s *Store) write(ctx context.Context, query string, args ...any) (int64, error) {
	var n int64
	err := s.writeOne(ctx, func(ctx context.Context, q dbtx) error {
		res, err := s.exec(ctx, q, query, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// prepared returns query prepared once for the store's life: the engine parses and plans it once per connection
// instead of once per call.
func (s *Store) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := s.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if old, loaded := s.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return old.(*sql.Stmt), nil
	}
	return st, nil
}

// stmt returns query prepared for q, or nil where it is not prepared (see
// Store.prepare) or cannot be (the engine then reports why when it is run).
func (s *Store) stmt(ctx context.Context, q dbtx, query string) *sql.Stmt {
	if !s.prepare {
		return nil
	}
	tx, inTx := q.(*sql.Tx)
	if inTx && s.w != nil {
		if st := s.w.stmt(ctx, tx, query); st != nil {
			return st
		}
	}
	st, err := s.prepared(ctx, query)
	if err != nil {
		return nil
	}
	if inTx {
		return tx.StmtContext(ctx, st)
	}
	return st
}

// exec runs a statement on q, prepared where that helps.
func (s *Store) exec(ctx context.Context, q dbtx, query string, args ...any) (sql.Result, error) {
	if st := s.stmt(ctx, q, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return q.ExecContext(ctx, query, args...)
}

// queryRow runs a query on q, prepared where that helps.
func (s *Store) queryRow(ctx context.Context, q dbtx, query string, args ...any) *sql.Row {
	if st := s.stmt(ctx, q, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.QueryRowContext(ctx, query, args...)
}

// query runs a query on q, prepared where that helps.
func (s *Store) query(ctx context.Context, q dbtx, query string, args ...any) (*sql.Rows, error) {
	if st := s.stmt(ctx, q, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return q.QueryContext(ctx, query, args...)
}
