// Package sqlstore implements sigap.Store with one set of SQL queries and
// one set of migrations for every engine. Queries are written once, with
// $1, $2, … placeholders that both engines take as written; where the
// engines differ (row locking, types in the migrations) the Dialect says
// how (dialect.go). No query text is changed for an engine at run time.
package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sigap-id/sigap"
)

// Store is a sigap.Store over database/sql.
type Store struct {
	db      *sql.DB
	dialect Dialect
	now     func() time.Time // see Options.Now
	w       *writer          // the one writer (Dialect.OneWriter); nil for an engine that takes writers side by side
	// prepare says to prepare statements here (see Dialect.OneWriter).
	prepare bool
	stmts   sync.Map // query → *sql.Stmt, when prepare
	// convs caches conversations where this process is the only writer
	// (SQLite); nil elsewhere. waiting knows the senders with a message
	// waiting there. Both change with the statements that change what they
	// hold, once those have committed (see cacheChange).
	convs   *convCache
	waiting *waitingIndex
	// groups are the queues of the work stored together where there is no
	// writer (see writeGroup): a sender's answers taken by its key, a sent
	// mark by its reply's id. Two groups run side by side, so that one
	// mark or answer waits for at most one group before its own. (In the
	// load tool, 2 queues gave 0.25–0.30 of the reference; 1 gave 0.21–0.22,
	// 4 gave 0.23–0.27, 8 gave 0.20–0.22: fewer make larger groups, until
	// a group's wait outweighs it.)
	groups [2]writeGroup
	// doubtWait is how long a reply in doubt waits for its status (see
	// SetDoubtWait).
	doubtWait time.Duration
	// holder names this store's claims (see SetHolder).
	holder string
	// batchesNew: the last batch upsert that read found none of its
	// applications stored, so the next guesses that none of its are
	// either (see UpsertApplications). A hint only: a wrong guess costs
	// time, not correctness.
	batchesNew atomic.Bool
}

// The store offers every fast path on both engines; on PostgreSQL
// SaveDeliveryClaiming claims no unanswered message (ClaimsUnanswered).
var (
	_ sigap.Store             = (*Store)(nil)
	_ sigap.AnswerOnArrival   = (*Store)(nil)
	_ sigap.ClaimNextInbound  = (*Store)(nil)
	_ sigap.ClaimNextOutbound = (*Store)(nil)
	_ sigap.ReleaseOutbound   = (*Store)(nil)
)

// Options are a store's settings beyond its engine.
type Options struct {
	// Now is the store's clock: the time it stamps on what it stores when
	// the caller passes none (a message's arrival, a reply queued, a
	// conversation or application saved), and compares there with the
	// times its callers pass (a claim's lease, a reply's next attempt). Set
	// it to the callers' own clock, so that one clock runs through them and
	// the store; default time.Now.
	Now func() time.Time
}

// New wraps an open, migrated database.
func New(db *sql.DB, d Dialect, opt Options) *Store {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if d.IdleConns > 0 {
		db.SetMaxIdleConns(d.IdleConns)
	}
	var w *writer
	if d.OneWriter {
		// One connection writes, for everyone (see writer).
		w = &writer{db: db, setup: d.WriterSetup}
	}
	// Preparing takes a connection of its own, which a pool with a bound
	// might not have while the writer holds one.
	prepare := d.OneWriter && db.Stats().MaxOpenConnections == 0
	st := &Store{db: db, dialect: d, now: opt.Now, w: w, prepare: prepare, holder: defaultHolder()}
	if w != nil {
		st.convs, st.waiting = newConvCache(opt.Now), newWaitingIndex()
		w.apply = st.apply
	}
	return st
}

// DB returns the underlying database, for tests and tools.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *Store) Close() error {
	if s.w != nil {
		s.w.close()
	}
	s.stmts.Range(func(_, v any) bool {
		v.(*sql.Stmt).Close()
		return true
	})
	return s.db.Close()
}

// Ready pings the database and checks its schema.
func (s *Store) Ready(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("%w: database: %v", sigap.ErrUnavailable, err)
	}
	if s.dialect.Ready != nil {
		return s.dialect.Ready(ctx, s.db)
	}
	return nil
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

const dateLayout = "2006-01-02"
