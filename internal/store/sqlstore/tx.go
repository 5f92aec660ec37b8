package sqlstore

// Running statements: in a transaction (through the writer where there is
// one), on their own, prepared where that helps.

import (
	"context"
	"database/sql"
	"fmt"
)

// A write is a function that runs statements and returns what they
// stored (T; none where there is nothing to report). The helpers below
// return that value once the write has committed. On SQLite a write may run
// more than once (see writer: a group that cannot commit runs each piece
// again on its own), so a write reports through its result, never by
// setting variables outside it: the helpers keep the result of its last,
// committed run, and a rolled-back run leaves nothing behind.

// none is the result of a write that reports nothing.
type none = struct{}

// inTx runs fn in a transaction and returns its result once the
// transaction has committed. On SQLite the transaction may be shared with
// other callers' work (see writer): fn must use the ctx it is given.
func inTx[T any](s *Store, ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) (T, error)) (T, error) {
	return inTxAfter(s, ctx, fn, nil)
}

// inTxAfter is inTx, giving after (if not nil) fn's committed result once
// the transaction has committed; on SQLite in commit order (see writer).
func inTxAfter[T any](s *Store, ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) (T, error), after func(T)) (T, error) {
	if s.w != nil {
		return writeTx(s.w, ctx, fn, after)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("begin: %w", err)
	}
	v, err := runTx(ctx, tx, fn)
	if err != nil {
		return v, err
	}
	if after != nil {
		after(v)
	}
	return v, nil
}

// dbtx runs statements: the database, each statement committing on its
// own, or a transaction.
type dbtx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// writeOne runs fn, which writes with one statement, and returns its
// result: on SQLite through the writer (see inTx), elsewhere on its own,
// without a transaction around it.
func writeOne[T any](s *Store, ctx context.Context, fn func(ctx context.Context, q dbtx) (T, error)) (T, error) {
	if s.w != nil {
		return submit(s.w, &write[T]{ctx: ctx, one: fn})
	}
	return fn(ctx, s.db)
}

// write runs one statement (see writeOne) and returns the rows it affected.
func (s *Store) write(ctx context.Context, query string, args ...any) (int64, error) {
	return writeOne(s, ctx, func(ctx context.Context, q dbtx) (int64, error) {
		return s.execCount(ctx, q, query, args...)
	})
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
