package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// writer runs the store's write transactions with group commit.
//
// SQLite takes one writer at a time. Left to themselves, concurrent writers
// in one process find the database locked and sleep in busy_timeout's
// back-off (1, 2, 5, 10 … ms), which is most of the time a message spends in
// the gateway under load. The writer queues them instead: one transaction
// runs at a time (per lane), and everything that queued up while it ran goes
// into the next transaction together, one commit and one fsync for all of
// them. Each caller's work still happens entirely or not at all, and its
// call returns only once that work is committed, so the durability promises
// (a delivery is acknowledged only once stored; replies are stored with the
// conversation step that made them) hold exactly as with one transaction per
// caller.
//
// When one piece of work in a group fails, the group's transaction is rolled
// back and each piece runs again in a transaction of its own, so a failure
// stays with its caller. Work must therefore be safe to run twice when the
// first run was rolled back: it must set, not accumulate, what it reports.
//
// No goroutine runs in the background: the first caller to find a free lane
// leads, runs a group, and hands the lane to the next caller waiting.
type writer struct {
	db *sql.DB
	// lanes is how many groups may run at once: 1 for SQLite; more for an
	// engine with row locks, whose transactions run side by side.
	lanes int
	// maxGroup bounds the work in one transaction.
	maxGroup int
	// timeout bounds a group's transaction where the engine may wait on
	// locks or the network; zero for SQLite, whose driver starts a watcher
	// goroutine per statement for a context that can end.
	timeout time.Duration
	// pin runs every write on one connection of its own (SQLite's single
	// lane): its page cache stays warm, where a connection taken from the
	// pool would first re-read what the others' commits changed.
	pin bool
	// setup is run on a pinned connection when it is opened.
	setup []string
	conn  *sql.Conn // the pinned connection; used by the lane holder only
	// open is the transaction open on conn (atomic: a statement run in
	// another transaction compares against it); stmts, used by the lane
	// holder only, are the statements prepared on conn (see stmt).
	open  atomic.Pointer[sql.Tx]
	stmts map[string]*sql.Stmt

	mu      sync.Mutex
	pending []*writeOp
	busy    int // lanes in use
}

type writeOp struct {
	ctx context.Context
	fn  func(ctx context.Context, tx *sql.Tx) error
	// after, if set, runs once fn's work has committed, before the next
	// group begins: so in commit order.
	after func()
	done  chan error // the outcome, or errLead: lead the next group

	// Under writer.mu:
	taken   bool // in a group
	leading bool // its caller holds a lane
}

// errLead hands a waiting caller a lane: it runs the next group.
var errLead = errors.New("lead the next group")

// do runs fn in a transaction, possibly together with other callers' work,
// and returns once that transaction has committed (nil) or fn's work has
// been rolled back (the error).
func (w *writer) do(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return w.doAfter(ctx, fn, nil)
}

// doAfter is do, running after (if not nil) once fn's work has committed,
// in commit order.
func (w *writer) doAfter(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error, after func()) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	op := &writeOp{ctx: ctx, fn: fn, after: after, done: make(chan error, 1)}
	w.mu.Lock()
	w.pending = append(w.pending, op)
	if w.busy < w.lanes {
		w.busy++
		op.leading = true
	}
	lead := op.leading
	w.mu.Unlock()
	for {
		if !lead {
			// No giving up on ctx here: this caller may be handed a lane.
			if err := <-op.done; err != errLead {
				return err
			}
		}
		// This caller holds a lane: take what is waiting.
		w.mu.Lock()
		if op.taken {
			// Another lane's group holds this caller's work.
			op.leading, lead = false, false
			w.release()
			w.mu.Unlock()
			continue
		}
		n := min(len(w.pending), w.maxGroup)
		group := make([]*writeOp, n)
		copy(group, w.pending)
		for _, o := range group {
			o.taken = true
		}
		w.pending = append(w.pending[:0], w.pending[n:]...)
		w.mu.Unlock()

		results := w.run(group)
		var own error
		mine := false
		for i, o := range group {
			if o == op {
				own, mine = results[i], true
				continue
			}
			o.done <- results[i]
		}
		if mine {
			w.mu.Lock()
			op.leading = false
			w.release()
			w.mu.Unlock()
			return own
		}
		// More were waiting than one group takes: lead again.
	}
}

// release gives up a lane: to the first caller waiting for one, or back to
// the writer. w.mu is held.
func (w *writer) release() {
	for _, o := range w.pending {
		if !o.leading {
			o.leading = true
			o.done <- errLead
			return
		}
	}
	w.busy--
}

// run runs a group in one transaction, or each piece alone when the group
// cannot commit.
func (w *writer) run(group []*writeOp) []error {
	results := make([]error, len(group))
	live := 0
	for i, o := range group {
		if err := o.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		live++
	}
	if live == 0 {
		return results
	}
	if live > 1 {
		err := w.tx(func(ctx context.Context, tx *sql.Tx) error {
			for i, o := range group {
				if results[i] != nil {
					continue
				}
				if err := o.fn(o.ctxFor(ctx), tx); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil {
			for i, o := range group {
				if results[i] == nil && o.after != nil {
					o.after()
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
		results[i] = w.tx(func(ctx context.Context, tx *sql.Tx) error { return o.fn(o.ctxFor(ctx), tx) })
		if results[i] == nil && o.after != nil {
			o.after()
		}
	}
	return results
}

// ctxFor is the context for a piece's statements: the group's, carrying the
// caller's values but not its cancellation, which must not cut a
// transaction that others' work shares.
func (o *writeOp) ctxFor(group context.Context) context.Context {
	if group.Done() == nil {
		return context.WithoutCancel(o.ctx)
	}
	return group
}

func (w *writer) tx(fn func(ctx context.Context, tx *sql.Tx) error) (err error) {
	ctx := context.Background()
	if w.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, w.timeout)
		defer cancel()
	}
	var tx *sql.Tx
	if w.pin {
		if w.conn == nil {
			conn, err := w.db.Conn(ctx)
			if err != nil {
				return fmt.Errorf("begin: %w", err)
			}
			for _, q := range w.setup {
				if _, err := conn.ExecContext(ctx, q); err != nil {
					conn.Close()
					return fmt.Errorf("begin: %s: %w", q, err)
				}
			}
			w.conn = conn
		}
		tx, err = w.conn.BeginTx(ctx, nil)
		if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) {
			// Take a fresh one next time.
			w.closeConn()
		}
	} else {
		tx, err = w.db.BeginTx(ctx, nil)
	}
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if w.pin {
		w.open.Store(tx)
		defer w.open.Store(nil)
	}
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

// runTx runs fn in tx and commits, or rolls back if fn fails or panics.
func runTx(ctx context.Context, tx *sql.Tx, fn func(ctx context.Context, tx *sql.Tx) error) error {
	defer func() {
		if r := recover(); r != nil {
			_ = tx.Rollback()
			panic(r)
		}
	}()
	if err := fn(ctx, tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// close gives the pinned connection back; nothing may write after it.
func (w *writer) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.conn != nil {
		w.closeConn()
	}
}
