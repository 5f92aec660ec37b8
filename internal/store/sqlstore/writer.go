package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync/atomic"
)

// writer runs the store's write transactions with group commit, where the
// engine takes one writer at a time (SQLite, see Dialect.OneWriter).
//
// Left to themselves, concurrent writers in one process find the database
// locked and sleep in busy_timeout's back-off (1, 2, 5, 10 … ms), which is
// most of the time a message spends in the gateway under load. The writer
// queues them instead (see batcher): one transaction runs at a time, and
// everything that queued up while it ran goes into the next transaction
// together, one commit and one fsync for all of them. Each caller's work
// still happens entirely or not at all, and its call returns only once that
// work is committed, so the durability promises (a delivery is acknowledged
// only once stored; replies are stored with the conversation step that made
// them) hold exactly as with one transaction per caller.
//
// When one piece of work in a group fails, the group's transaction is rolled
// back and each piece runs again in a transaction of its own, so a failure
// stays with its caller. A piece's caller gets the result of its last run,
// the one that committed (see writeTx).
//
// Every write runs on one connection of its own: its page cache stays warm,
// where a connection taken from the pool would first re-read what the
// others' commits changed.
type writer struct {
	db *sql.DB
	// setup is run on the connection when it is opened.
	setup []string
	queue batcher[writeOp]
	conn  *sql.Conn // used by the batch's leader only
	// open is the transaction open on conn (atomic: a statement run in
	// another transaction compares against it); stmts, used by the batch's
	// leader only, are the statements prepared on conn (see stmt).
	open  atomic.Pointer[sql.Tx]
	stmts map[string]*sql.Stmt
	// running is the piece whose work runs in open now (leader only); it
	// records the cache changes its statements make (see record).
	running writeOp
	// apply applies a piece's cache changes once it has committed.
	apply func([]cacheChange)
}

// writerGroup bounds the work in one transaction.
const writerGroup = 256

// writeOp is a piece of work the writer runs: a write (see write).
type writeOp interface {
	// context is the caller's.
	context() context.Context
	// run runs the work in tx, keeping its result (until the next run).
	run(ctx context.Context, tx *sql.Tx) error
	// record keeps a cache change the current run made.
	record(c cacheChange)
	// committed applies the cache changes of the last run, then runs the
	// hook (if set) that takes its result, once the work has committed,
	// before the next group begins: so in commit order.
	committed(apply func([]cacheChange))
}

// write is a caller's work, fn or (one statement, see writeOne) one, and
// its result and cache changes: those of its last run, which is the one
// that committed when the writer reports no error.
type write[T any] struct {
	ctx     context.Context
	fn      func(ctx context.Context, tx *sql.Tx) (T, error)
	one     func(ctx context.Context, q dbtx) (T, error)
	after   func(T)
	out     T
	changes []cacheChange
}

func (o *write[T]) context() context.Context { return o.ctx }

func (o *write[T]) run(ctx context.Context, tx *sql.Tx) (err error) {
	o.changes = o.changes[:0]
	if o.one != nil {
		o.out, err = o.one(ctx, tx)
	} else {
		o.out, err = o.fn(ctx, tx)
	}
	return err
}

func (o *write[T]) record(c cacheChange) { o.changes = append(o.changes, c) }

func (o *write[T]) committed(apply func([]cacheChange)) {
	if len(o.changes) > 0 && apply != nil {
		apply(o.changes)
	}
	if o.after != nil {
		o.after(o.out)
	}
}

// writeTx runs fn in a transaction, possibly together with other
// callers' work, and returns once that transaction has committed (fn's
// result) or fn's work has been rolled back (the error). after (if not nil)
// is given fn's committed result once it has committed, in commit order.
// fn may run twice (see run): each run replaces the result, so the one
// returned and given to after is the committed run's.
func writeTx[T any](w *writer, ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) (T, error), after func(T)) (T, error) {
	return submit(w, &write[T]{ctx: ctx, fn: fn, after: after})
}

// submit queues o and returns its result once it has committed.
func submit[T any](w *writer, o *write[T]) (T, error) {
	if err := o.ctx.Err(); err != nil {
		var zero T
		return zero, err
	}
	if err := w.queue.do(o, writerGroup, w.run); err != nil {
		var zero T
		return zero, err
	}
	return o.out, nil
}

// run runs a group in one transaction, or each piece alone when the group
// cannot commit.
func (w *writer) run(group []writeOp) []error {
	results := make([]error, len(group))
	live := 0
	for i, o := range group {
		if err := o.context().Err(); err != nil {
			results[i] = err
			continue
		}
		live++
	}
	if live == 0 {
		return results
	}
	if live > 1 {
		_, err := w.tx(func(ctx context.Context, tx *sql.Tx) (none, error) {
			for i, o := range group {
				if results[i] != nil {
					continue
				}
				if err := w.runPiece(o, ctx, tx); err != nil {
					return none{}, err
				}
			}
			return none{}, nil
		})
		if err == nil {
			for i, o := range group {
				if results[i] == nil {
					o.committed(w.apply)
				}
			}
			return results
		}
		// Someone's work failed, or the commit did: find out whose.
	}
	for i, o := range group {
		if results[i] != nil {
			continue
		}
		_, results[i] = w.tx(func(ctx context.Context, tx *sql.Tx) (none, error) { return none{}, w.runPiece(o, ctx, tx) })
		if results[i] == nil {
			o.committed(w.apply)
		}
	}
	return results
}

// runPiece runs o's work in tx, the group's transaction or its own.
func (w *writer) runPiece(o writeOp, group context.Context, tx *sql.Tx) error {
	w.running = o
	defer func() { w.running = nil }()
	return o.run(ctxFor(o, group), tx)
}

// record records c for the piece whose work runs in tx, and reports
// whether tx is the writer's open transaction, where one does.
func (w *writer) record(tx *sql.Tx, c cacheChange) bool {
	if w.running == nil || tx != w.open.Load() {
		return false
	}
	w.running.record(c)
	return true
}

// ctxFor is the context for a piece's statements: the group's, carrying the
// caller's values but not its cancellation, which must not cut a
// transaction that others' work shares.
func ctxFor(o writeOp, group context.Context) context.Context {
	if group.Done() == nil {
		return context.WithoutCancel(o.context())
	}
	return group
}

func (w *writer) tx(fn func(ctx context.Context, tx *sql.Tx) (none, error)) (none, error) {
	ctx := context.Background()
	if w.conn == nil {
		conn, err := w.db.Conn(ctx)
		if err != nil {
			return none{}, fmt.Errorf("begin: %w", err)
		}
		for _, q := range w.setup {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				conn.Close()
				return none{}, fmt.Errorf("begin: %s: %w", q, err)
			}
		}
		w.conn = conn
	}
	tx, err := w.conn.BeginTx(ctx, nil)
	if err != nil {
		if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) {
			// Take a fresh one next time.
			w.closeConn()
		}
		return none{}, fmt.Errorf("begin: %w", err)
	}
	w.open.Store(tx)
	defer w.open.Store(nil)
	return runTx(ctx, tx, fn)
}

// stmt returns query (as the engine takes it) prepared on the pinned
// connection, for use inside tx, or nil when tx is not the transaction open
// there. A statement run on the connection is part of the transaction open
// on it, as SQLite has one transaction per connection; and a statement
// prepared there once is run without database/sql wrapping it for the
// transaction, registering it and closing it again every time (4–5% of all
// CPU under load).
func (w *writer) stmt(ctx context.Context, tx *sql.Tx, query string) *sql.Stmt {
	if tx == nil || tx != w.open.Load() {
		return nil
	}
	if st, ok := w.stmts[query]; ok {
		return st
	}
	st, err := w.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil // run unprepared; the engine reports what is wrong
	}
	if w.stmts == nil {
		w.stmts = map[string]*sql.Stmt{}
	}
	w.stmts[query] = st
	return st
}

// closeConn closes the pinned connection and what was prepared on it.
func (w *writer) closeConn() {
	for _, st := range w.stmts {
		st.Close()
	}
	w.stmts = nil
	w.conn.Close()
	w.conn = nil
}

// runTx runs fn in tx and commits, returning fn's result, or rolls back if
// fn fails or panics.
func runTx[T any](ctx context.Context, tx *sql.Tx, fn func(ctx context.Context, tx *sql.Tx) (T, error)) (T, error) {
	defer func() {
		if r := recover(); r != nil {
			_ = tx.Rollback()
			panic(r)
		}
	}()
	var zero T
	v, err := fn(ctx, tx)
	if err != nil {
		_ = tx.Rollback()
		return zero, err
	}
	if err := tx.Commit(); err != nil {
		return zero, fmt.Errorf("commit: %w", err)
	}
	return v, nil
}

// close gives the pinned connection back; nothing may write after it.
func (w *writer) close() {
	if w.conn != nil {
		w.closeConn()
	}
}
