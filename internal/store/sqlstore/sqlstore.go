// Package sqlstore implements sigap.Store with one set of SQL queries and
// one set of migrations for every engine. Queries are written once, with
// $1, $2, … placeholders that both engines take as written; where the
// engines differ (row locking, types in the migrations) the Dialect says
// how (dialect.go). No query text is changed for an engine at run time.
package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
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
	// (SQLite); nil elsewhere. Everything that writes a conversation must
	// put it there once committed (see convSave.after).
	convs *convCache
	// waiting knows the senders with a message waiting, where this
	// process is the only writer (SQLite); nil elsewhere. Everything that
	// stores a message unanswered, or answers one, must tell it once
	// committed.
	waiting *waitingIndex
	// groups are the queues of the work stored together where there is no
	// writer (see writeGroup): a sender's answers taken by its key, a sent
	// mark by its reply's id. Two groups run side by side, so that one
	// mark or answer waits for at most one group before its own. (In the
	// load tool, 2 queues gave 0.25–0.30 of the reference; 1 gave 0.21–0.22,
	// 4 gave 0.23–0.27, 8 gave 0.20–0.22: fewer make larger groups, until
	// a group's wait outweighs it.)
	groups [2]writeGroup
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
		w = &writer{db: db, lanes: 1, maxGroup: 256, pin: true, setup: d.WriterSetup}
	}
	// Preparing takes a connection of its own, which a pool with a bound
	// might not have while the writer holds one.
	prepare := d.OneWriter && db.Stats().MaxOpenConnections == 0
	st := &Store{db: db, dialect: d, now: opt.Now, w: w, prepare: prepare}
	if w != nil {
		st.convs, st.waiting = newConvCache(opt.Now), newWaitingIndex()
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
		return s.w.doAfter(ctx, fn, after)
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
		return s.w.do(ctx, func(ctx context.Context, tx *sql.Tx) error { return fn(ctx, tx) })
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

// ---- applications

const applicationColumns = `number, office, applicant_name, birth_date, passport_type, stage, stage_at,
	billing_code, billing_expires_at, note`

func scanApplication(row interface{ Scan(...any) error }) (sigap.Application, error) {
	var (
		a                   sigap.Application
		birth               string
		stageAt, billingExp int64
	)
	err := row.Scan(&a.Number, &a.Office, &a.ApplicantName, &birth, &a.PassportType, &a.Stage, &stageAt,
		&a.BillingCode, &billingExp, &a.Note)
	if err != nil {
		return a, err
	}
	a.BirthDate, err = time.Parse(dateLayout, birth)
	if err != nil {
		return a, fmt.Errorf("stored birth date of %s: %w", a.Number, err)
	}
	a.StageAt, a.BillingExpiresAt = fromMS(stageAt), fromMS(billingExp)
	return a, nil
}

// FindApplication implements sigap.Applications.
func (s *Store) FindApplication(ctx context.Context, office, number string) (sigap.Application, error) {
	row := s.queryRow(ctx, s.db, `SELECT `+applicationColumns+` FROM applications WHERE number = $1 AND office = $2`, number, office)
	a, err := scanApplication(row)
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("application at %s: %w", office, sigap.ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("find application: %w", err)
	}
	return a, nil
}

// UpsertApplication implements sigap.Applications.
func (s *Store) UpsertApplication(ctx context.Context, a sigap.Application, opts ...sigap.UpsertOption) (sigap.UpsertResult, error) {
	if err := a.Validate(); err != nil {
		return sigap.Unchanged, fmt.Errorf("upsert application: %w", err)
	}
	result := sigap.Unchanged
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		result = sigap.Unchanged
		row := tx.QueryRowContext(ctx, `SELECT `+applicationColumns+` FROM applications WHERE number = $1`, a.Number)
		old, err := scanApplication(row)
		if err == nil {
			if err := sigap.CheckOfficeMove(old, a, opts); err != nil {
				return err
			}
		}
		switch {
		case errors.Is(err, sql.ErrNoRows):
			result = sigap.Inserted
			_, err = tx.ExecContext(ctx, `INSERT INTO applications (`+applicationColumns+`, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
				a.Number, a.Office, a.ApplicantName, a.BirthDate.Format(dateLayout), a.PassportType, a.Stage,
				ms(a.StageAt), a.BillingCode, ms(a.BillingExpiresAt), a.Note, s.now().UnixMilli())
			if err != nil {
				return fmt.Errorf("insert application: %w", err)
			}
		case err != nil:
			return fmt.Errorf("read application: %w", err)
		case a.StageAt.Before(old.StageAt):
			// An older row only fills in history below.
		case !sameApplication(old, a):
			result = sigap.Updated
			// The office and stage_at read above are in the WHERE, so that a
			// concurrent writer (PostgreSQL) cannot slip a move or a newer
			// stage in between the checks and this write.
			res, err := tx.ExecContext(ctx, `UPDATE applications SET office = $1, applicant_name = $2, birth_date = $3,
				passport_type = $4, stage = $5, stage_at = $6, billing_code = $7, billing_expires_at = $8, note = $9, updated_at = $10
				WHERE number = $11 AND office = $12 AND stage_at = $13`,
				a.Office, a.ApplicantName, a.BirthDate.Format(dateLayout), a.PassportType, a.Stage, ms(a.StageAt),
				a.BillingCode, ms(a.BillingExpiresAt), a.Note, s.now().UnixMilli(), a.Number, old.Office, ms(old.StageAt))
			if err != nil {
				return fmt.Errorf("update application: %w", err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return fmt.Errorf("update application: %w", err)
			} else if n != 1 {
				return fmt.Errorf("update application: %w: changed by another writer meanwhile", sigap.ErrUnavailable)
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO application_stages (number, stage, stage_at, note) VALUES ($1, $2, $3, $4)
			ON CONFLICT (number, stage_at, stage) DO NOTHING`, a.Number, a.Stage, ms(a.StageAt), a.Note)
		if err != nil {
			return fmt.Errorf("record stage: %w", err)
		}
		return nil
	})
	if err != nil {
		return sigap.Unchanged, fmt.Errorf("upsert application %s: %w", a.Number, err)
	}
	return result, nil
}

func sameApplication(x, y sigap.Application) bool {
	return x.Number == y.Number && x.Office == y.Office && x.ApplicantName == y.ApplicantName &&
		x.BirthDate.Format(dateLayout) == y.BirthDate.Format(dateLayout) && x.PassportType == y.PassportType &&
		x.Stage == y.Stage && ms(x.StageAt) == ms(y.StageAt) && x.BillingCode == y.BillingCode &&
		ms(x.BillingExpiresAt) == ms(y.BillingExpiresAt) && x.Note == y.Note
}

// ApplicationHistory implements sigap.Applications.
func (s *Store) ApplicationHistory(ctx context.Context, number string) ([]sigap.StageChange, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT stage, stage_at, note FROM application_stages
		WHERE number = $1 ORDER BY stage_at, stage`, number)
	if err != nil {
		return nil, fmt.Errorf("application history: %w", err)
	}
	defer rows.Close()
	var out []sigap.StageChange
	for rows.Next() {
		var (
			c  sigap.StageChange
			at int64
		)
		if err := rows.Scan(&c.Stage, &at, &c.Note); err != nil {
			return nil, fmt.Errorf("application history: %w", err)
		}
		c.At = fromMS(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// CountApplications implements sigap.Applications; an empty office counts all.
func (s *Store) CountApplications(ctx context.Context, office string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM applications WHERE $1 = '' OR office = $2`, office, office).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count applications: %w", err)
	}
	return n, nil
}

// ---- conversations

// Conversation implements sigap.Conversations.
func (s *Store) Conversation(ctx context.Context, office, user string) (sigap.Conversation, error) {
	c := sigap.Conversation{Office: office, User: user}
	state, version, cached := s.convs.get(office, user)
	if !cached {
		err := s.queryRow(ctx, s.db, `SELECT state, version FROM conversations WHERE office = $1 AND user_id = $2`,
			office, user).Scan(&state, &version)
		if errors.Is(err, sql.ErrNoRows) {
			return c, nil
		}
		if err != nil {
			return c, fmt.Errorf("read conversation: %w", err)
		}
	}
	return decodeConversation(office, user, state, version)
}

// decodeConversation returns the conversation stored as state at version;
// no state is a conversation not yet stored.
func decodeConversation(office, user string, state []byte, version int64) (sigap.Conversation, error) {
	c := sigap.Conversation{Office: office, User: user}
	if state == nil {
		return c, nil
	}
	if err := json.Unmarshal(state, &c); err != nil {
		return c, fmt.Errorf("decode conversation: %w", err)
	}
	c.Version = version
	return c, nil
}

// SaveConversation implements sigap.Conversations. It stores c whatever
// version is stored.
func (s *Store) SaveConversation(ctx context.Context, c sigap.Conversation) error {
	state, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode conversation: %w", err)
	}
	saved := s.savingConversation(c, state, false)
	if s.w == nil {
		// One statement is whole on its own: no transaction around it.
		return saved.save(ctx, s.db)
	}
	return s.inTxAfter(ctx, func(ctx context.Context, tx *sql.Tx) error { return saved.save(ctx, tx) }, saved.after())
}

// convSave stores one conversation: see savingConversation.
type convSave struct {
	s       *Store
	c       sigap.Conversation
	state   []byte // c encoded
	checked bool   // only over c.Version
	version int64  // stored, once saved
}

// savingConversation returns the save of c, encoded as state. A checked
// save fails with ErrStale, changing nothing, when the stored conversation
// is not at c.Version (0: none stored); an unchecked one stores c whatever
// is there.
func (s *Store) savingConversation(c sigap.Conversation, state []byte, checked bool) *convSave {
	return &convSave{s: s, c: c, state: state, checked: checked}
}

// save stores the conversation.
func (cs *convSave) save(ctx context.Context, q dbtx) error {
	s, c, now := cs.s, cs.c, cs.s.now().UnixMilli()
	cs.version = 0
	var (
		version int64
		res     sql.Result
		err     error
	)
	switch {
	case !cs.checked:
		err = s.queryRow(ctx, q, `INSERT INTO conversations (office, user_id, state, updated_at, version) VALUES ($1, $2, $3, $4, 1)
			ON CONFLICT (office, user_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at,
				version = conversations.version + 1
			RETURNING version`, c.Office, c.User, string(cs.state), now).Scan(&version)
	default:
		var (
			query string
			args  []any
		)
		query, args, version = cs.checkedSave(now)
		res, err = s.exec(ctx, q, query, args...)
	}
	if err == nil && res != nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n == 0 {
			// Whoever stored it since knows better than this cache.
			s.convs.drop(c.Office, c.User)
			return fmt.Errorf("save conversation: %w", sigap.ErrStale)
		}
	}
	if err != nil {
		return fmt.Errorf("save conversation: %w", err)
	}
	cs.version = version
	return nil
}

// checkedSave returns the statement of a checked save, its arguments and
// the version it stores.
func (cs *convSave) checkedSave(now int64) (query string, args []any, version int64) {
	c := cs.c
	if c.Version == 0 {
		return insertConversation, []any{c.Office, c.User, string(cs.state), now}, 1
	}
	return updateConversation, []any{string(cs.state), now, c.Version + 1, c.Office, c.User, c.Version}, c.Version + 1
}

// after returns what to do once the transaction that saved the
// conversation has been committed: keep it in the cache, where there is one.
func (cs *convSave) after() func() {
	if cs.s.convs == nil {
		return nil
	}
	return cs.cache
}

func (cs *convSave) cache() {
	if cs.version > 0 { // saved
		cs.s.convs.put(cs.c.Office, cs.c.User, cs.state, cs.version)
	}
}

// ---- inbox

// SaveDelivery implements sigap.Inbox.
func (s *Store) SaveDelivery(ctx context.Context, d sigap.Delivery) (int, error) {
	saved, err := s.SaveDeliveryClaiming(ctx, d, nil, sigap.Claim{})
	return saved.Added, err
}

// ClaimsUnanswered implements sigap.AnswerOnArrival. Unanswered messages
// are claimed only where this process is the database's one writer
// (SQLite): there the check that the sender has no earlier message waiting
// and the insert cannot interleave with another replica's. Elsewhere they
// are left for ClaimInbound.
func (s *Store) ClaimsUnanswered() bool { return s.w != nil }

// SaveDeliveryClaiming implements sigap.AnswerOnArrival. Unanswered
// messages are claimed only if ClaimsUnanswered. Answers are stored on
// both engines: their conversation's version check keeps a replica from
// storing a turn over another's.
func (s *Store) SaveDeliveryClaiming(ctx context.Context, d sigap.Delivery, answers []*sigap.Answer, c sigap.Claim) (sigap.Saved, error) {
	// Encoded before the transaction, which others' work may be waiting on.
	payloads := make([]string, len(d.Messages))
	for i, m := range d.Messages {
		payload, err := json.Marshal(m)
		if err != nil {
			return sigap.Saved{}, fmt.Errorf("save delivery: encode message %s: %w", m.ID, err)
		}
		payloads[i] = string(payload)
	}
	type encoded struct {
		conv    *convSave
		replies [][]byte
	}
	ans := make([]*encoded, len(d.Messages))
	for i, a := range answers[:min(len(answers), len(d.Messages))] {
		if a == nil {
			continue
		}
		state, replies, err := encodeStep(a.Conv, a.Replies)
		if err != nil {
			return sigap.Saved{}, fmt.Errorf("save delivery: message %s: %w", d.Messages[i].ID, err)
		}
		ans[i] = &encoded{conv: s.savingConversation(a.Conv, state, true), replies: replies}
	}
	claim := c.InboxLease > 0 && s.ClaimsUnanswered()
	if s.dialect.Pipeline != nil && !claim && len(d.Messages) == 1 && ans[0] != nil && len(d.Statuses) == 0 && len(d.Errors) == 0 {
		saved, ok, err := s.answerAtOnce(ctx, d.Messages[0], payloads[0], answers[0], ans[0].conv, ans[0].replies, c)
		if err != nil {
			return sigap.Saved{}, fmt.Errorf("save delivery: %w", err)
		}
		if ok {
			return saved, nil
		}
	}
	until := ms(c.Now.Add(c.InboxLease))
	var (
		saved      sigap.Saved
		unanswered []waitingMsg // for s.waiting
	)
	save := func(ctx context.Context, q dbtx) error {
		saved, unanswered = sigap.Saved{}, unanswered[:0]
		now := s.now()
		for i, m := range d.Messages {
			a, waiting := ans[i], false
			if claim || a != nil {
				var err error
				if waiting, err = s.senderWaiting(ctx, q, m.Office, m.From); err != nil {
					return fmt.Errorf("store message %s: %w", m.ID, err)
				}
			}
			answer, mine := a != nil && !waiting, claim && !waiting
			// How it waits, unless answered: claimed if it is mine.
			waitAttempts, waitUntil := 0, int64(0)
			if mine {
				waitAttempts, waitUntil = 1, until
			}
			state, attempts, claimedUntil, processedAt := "pending", waitAttempts, waitUntil, int64(0)
			if answer {
				state, attempts, claimedUntil, processedAt = "done", 1, 0, ms(now)
			}
			res, err := s.exec(ctx, q, insertInbound,
				m.ID, m.Office, m.From, ms(now), payloads[i], attempts, claimedUntil, state, processedAt)
			if err != nil {
				return fmt.Errorf("store message %s: %w", m.ID, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("store message %s: %w", m.ID, err)
			}
			if n == 0 {
				continue // a redelivery
			}
			saved.Added++
			m.Attempts = 1
			if answer {
				err := a.conv.save(ctx, q)
				switch {
				case errors.Is(err, sigap.ErrStale):
					// The turn read a conversation that has changed since:
					// the message waits to be answered from the new one.
					answer = false
					if _, err := s.exec(ctx, q, `UPDATE inbound_messages SET state = 'pending', processed_at = 0, attempts = $1,
						claimed_until = $2 WHERE id = $3`, waitAttempts, waitUntil, m.ID); err != nil {
						return fmt.Errorf("store message %s: %w", m.ID, err)
					}
				case err != nil:
					return fmt.Errorf("store message %s: %w", m.ID, err)
				}
			}
			if !answer {
				unanswered = append(unanswered, waitingMsg{m.ID, convKey{m.Office, m.From}})
			}
			switch {
			case answer:
				claimed, queued, err := s.enqueueReplies(ctx, q, answers[i].Replies, a.replies, now, c, answers[i].Behind)
				if err != nil {
					return fmt.Errorf("store message %s: %w", m.ID, err)
				}
				saved.Answered = append(saved.Answered, m)
				saved.Replies = append(saved.Replies, claimed...)
				if queued {
					saved.Queued = append(saved.Queued, answers[i].Replies...)
				}
			case mine:
				saved.Claimed = append(saved.Claimed, m)
			}
		}
		for _, st := range d.Statuses {
			if err := s.saveStatus(ctx, q, st); err != nil {
				return err
			}
		}
		for _, e := range d.Errors {
			_, err := s.exec(ctx, q, `INSERT INTO channel_errors (office, at, code, title, details) VALUES ($1, $2, $3, $4, $5)`,
				e.Office, ms(e.At), e.Code, e.Title, e.Details)
			if err != nil {
				return fmt.Errorf("store channel error: %w", err)
			}
		}
		return nil
	}
	var err error
	if s.w == nil && len(d.Messages) == 1 && ans[0] == nil && len(d.Statuses) == 0 && len(d.Errors) == 0 {
		// One statement is whole on its own: no transaction around it
		// (on PostgreSQL that saves two round trips).
		err = s.writeOne(ctx, save)
	} else {
		var after func()
		if s.w != nil {
			after = func() {
				for _, a := range ans {
					if a != nil {
						a.conv.cache()
					}
				}
				s.waiting.stored(unanswered)
			}
		}
		err = s.inTxAfter(ctx, func(ctx context.Context, tx *sql.Tx) error { return save(ctx, tx) }, after)
	}
	if err != nil {
		return sigap.Saved{}, fmt.Errorf("save delivery: %w", err)
	}
	return saved, nil
}

// encodeStep encodes a step's conversation and its replies for storing.
func encodeStep(conv sigap.Conversation, replies []sigap.OutboundMessage) (state []byte, payloads [][]byte, err error) {
	if state, err = json.Marshal(conv); err != nil {
		return nil, nil, fmt.Errorf("encode conversation: %w", err)
	}
	payloads = make([][]byte, len(replies))
	for i, r := range replies {
		if payloads[i], err = json.Marshal(r.Reply); err != nil {
			return nil, nil, fmt.Errorf("encode reply: %w", err)
		}
	}
	return state, payloads, nil
}

// senderWaiting reports whether a sender has a message waiting to be
// answered (claimed or not).
func (s *Store) senderWaiting(ctx context.Context, q dbtx, office, sender string) (bool, error) {
	return s.exists(ctx, q, senderWaitingQuery, office, sender)
}

// The statements that store a message with its answer, shared by the
// transaction that runs them one by one and the one that sends them
// together (see answerAtOnce).
const (
	senderWaitingQuery = `SELECT 1 FROM inbound_messages WHERE office = $1 AND sender = $2 AND state = 'pending' LIMIT 1`
	insertInbound      = `INSERT INTO inbound_messages (id, office, sender, received_at, payload, attempts,
		claimed_until, state, processed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`
	// NULL: no reply to the recipient waiting; 0: one not being sent;
	// 1: all being sent.
	outboxSending = `SELECT MIN(CASE WHEN claimed_until > $1 THEN 1 ELSE 0 END) FROM outbox
		WHERE office = $2 AND recipient = $3 AND state = 'pending'`
	insertOutbox = `INSERT INTO outbox (office, recipient, in_reply_to, payload, created_at, next_attempt_at, window_ends_at,
		attempts, claimed_until) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`
	insertOutboxID = insertOutbox + ` RETURNING id`
	// A checked conversation save: the first one, and one over a version.
	insertConversation = `INSERT INTO conversations (office, user_id, state, updated_at, version) VALUES ($1, $2, $3, $4, 1)
		ON CONFLICT (office, user_id) DO NOTHING`
	updateConversation = `UPDATE conversations SET state = $1, updated_at = $2, version = $3
		WHERE office = $4 AND user_id = $5 AND version = $6`
	// The same, reporting what they stored, for the statements sent
	// together, which cannot be asked how many rows they changed.
	insertInboundSeq          = insertInbound + ` RETURNING seq`
	insertConversationVersion = insertConversation + ` RETURNING version`
	updateConversationVersion = updateConversation + ` RETURNING version`
)

// exists reports whether query (a SELECT 1 … LIMIT 1) finds a row.
func (s *Store) exists(ctx context.Context, q dbtx, query string, args ...any) (bool, error) {
	var one int
	err := s.queryRow(ctx, q, query, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

func (s *Store) saveStatus(ctx context.Context, q dbtx, st sigap.StatusUpdate) error {
	_, err := s.exec(ctx, q, `INSERT INTO message_statuses (wamid, status, at, recipient, error_code, error_title)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (wamid, status) DO NOTHING`,
		st.MessageID, st.Status, ms(st.At), st.Recipient, st.ErrorCode, st.ErrorTitle)
	if err != nil {
		return fmt.Errorf("store status of %s: %w", st.MessageID, err)
	}
	// Statuses arrive out of order: only a higher rank moves the message on.
	rank := sigap.StatusRank(st.Status)
	_, err = s.exec(ctx, q, `UPDATE outbox SET delivery_status = $1, status_rank = $2
		WHERE sent_id = $3 AND status_rank < $4`, st.Status, rank, st.MessageID, rank)
	if err != nil {
		return fmt.Errorf("record status of %s: %w", st.MessageID, err)
	}
	return nil
}

// ClaimInbound implements sigap.Inbox.
func (s *Store) ClaimInbound(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]sigap.InboundMessage, error) {
	// Only the oldest pending message of each sender can be claimed, and it
	// stays pending until answered: one sender's messages are answered one
	// at a time, in order, whichever replica takes them.
	type claimed struct {
		seq      int64
		attempts int
		payload  string
	}
	var got []claimed
	err := s.writeOne(ctx, func(ctx context.Context, q dbtx) error {
		got = got[:0]
		rows, err := s.query(ctx, q, `UPDATE inbound_messages SET claimed_until = $1, attempts = attempts + 1
		WHERE seq IN (SELECT m.seq FROM inbound_messages m WHERE m.state = 'pending' AND m.claimed_until <= $2
			AND NOT EXISTS (SELECT 1 FROM inbound_messages o WHERE o.office = m.office AND o.sender = m.sender
				AND o.state = 'pending' AND o.seq < m.seq)
			ORDER BY m.seq LIMIT $3`+s.dialect.SkipLocked+`)
		RETURNING seq, attempts, payload`, ms(now.Add(lease)), ms(now), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c claimed
			if err := rows.Scan(&c.seq, &c.attempts, &c.payload); err != nil {
				return err
			}
			got = append(got, c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim inbound: %w", err)
	}
	// RETURNING gives no order; a sender's messages must be answered in the
	// order they arrived.
	sortBy(got, func(c claimed) int64 { return c.seq })
	out := make([]sigap.InboundMessage, len(got))
	for i, c := range got {
		if err := json.Unmarshal([]byte(c.payload), &out[i]); err != nil {
			return nil, fmt.Errorf("decode inbound %d: %w", c.seq, err)
		}
		out[i].Attempts = c.attempts
	}
	return out, nil
}

// RetryInbound implements sigap.Inbox.
func (s *Store) RetryInbound(ctx context.Context, id string, retryAt time.Time) error {
	_, err := s.write(ctx, `UPDATE inbound_messages SET claimed_until = $1 WHERE id = $2 AND state = 'pending'`, ms(retryAt), id)
	if err != nil {
		return fmt.Errorf("retry inbound %s: %w", id, err)
	}
	return nil
}

// CompleteInbound implements sigap.Inbox.
func (s *Store) CompleteInbound(ctx context.Context, id string, conv sigap.Conversation, replies []sigap.OutboundMessage) error {
	_, err := s.CompleteInboundClaiming(ctx, id, conv, replies, sigap.Claim{})
	return err
}

// CompleteInboundClaiming implements sigap.ClaimNextInbound.
func (s *Store) CompleteInboundClaiming(ctx context.Context, id string, conv sigap.Conversation, replies []sigap.OutboundMessage, c sigap.Claim) (sigap.Completed, error) {
	// Encoded before the transaction, which others' work may be waiting on.
	state, payloads, err := encodeStep(conv, replies)
	if err != nil {
		return sigap.Completed{}, fmt.Errorf("complete inbound %s: %w", id, err)
	}
	saving := s.savingConversation(conv, state, conv.Version > 0)
	var (
		done        sigap.Completed
		nextPayload string
	)
	err = s.inTxAfter(ctx, func(ctx context.Context, tx *sql.Tx) error {
		done, nextPayload = sigap.Completed{}, ""
		now := s.now()
		res, err := s.exec(ctx, tx, `UPDATE inbound_messages SET state = 'done', processed_at = $1 WHERE id = $2 AND state = 'pending'`, ms(now), id)
		if err != nil {
			return fmt.Errorf("mark processed: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("mark processed: %w", err)
		} else if n == 0 {
			return sigap.ErrNotPending
		}
		if err := saving.save(ctx, tx); err != nil {
			return err
		}
		if done.Replies, done.Queued, err = s.enqueueReplies(ctx, tx, replies, payloads, now, c, false); err != nil {
			return err
		}
		if c.InboxLease > 0 {
			// The sender's next message, if it waits unclaimed at the head
			// of their queue, is this caller's to answer now.
			var (
				seq, claimedUntil int64
				attempts          int
			)
			err := s.queryRow(ctx, tx, `SELECT seq, attempts, claimed_until, payload FROM inbound_messages
				WHERE office = $1 AND sender = $2 AND state = 'pending' ORDER BY seq LIMIT 1`,
				conv.Office, conv.User).Scan(&seq, &attempts, &claimedUntil, &nextPayload)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				nextPayload = ""
			case err != nil:
				return fmt.Errorf("claim next message: %w", err)
			case claimedUntil > ms(c.Now):
				nextPayload = "" // someone else's
			default:
				// Conditional: on PostgreSQL a replica's ClaimInbound may
				// take it at the same moment.
				res, err := s.exec(ctx, tx, `UPDATE inbound_messages SET claimed_until = $1, attempts = attempts + 1
					WHERE seq = $2 AND state = 'pending' AND claimed_until = $3`, ms(c.Now.Add(c.InboxLease)), seq, claimedUntil)
				if err != nil {
					return fmt.Errorf("claim next message: %w", err)
				}
				if n, err := res.RowsAffected(); err != nil {
					return fmt.Errorf("claim next message: %w", err)
				} else if n == 1 {
					done.Next = &sigap.InboundMessage{Attempts: attempts + 1}
				}
			}
		}
		return nil
	}, s.completed(id, saving))
	if err != nil {
		return sigap.Completed{}, fmt.Errorf("complete inbound %s: %w", id, err)
	}
	if done.Next != nil {
		attempts := done.Next.Attempts
		if err := json.Unmarshal([]byte(nextPayload), done.Next); err != nil {
			return sigap.Completed{}, fmt.Errorf("complete inbound %s: decode next message: %w", id, err)
		}
		done.Next.Attempts = attempts
	}
	return done, nil
}

// completed returns what to do once message id has been answered, with
// the conversation saving stored: tell the caches.
func (s *Store) completed(id string, saving *convSave) func() {
	if s.w == nil {
		return nil
	}
	return func() {
		saving.cache()
		s.waiting.answered(id)
	}
}

// enqueueReplies stores a step's replies, encoded as payloads, and claims
// them for c.OutboxLease if they all go to one recipient and nothing earlier
// to them waits: they must go after it. With behind, earlier replies being
// sent (claimed) do not stop the claim; those claimed so are marked Behind.
// It returns those it claimed, and reports whether it left them queued
// instead.
func (s *Store) enqueueReplies(ctx context.Context, q dbtx, replies []sigap.OutboundMessage, payloads [][]byte, now time.Time, c sigap.Claim, behind bool) (claimed []sigap.OutboundMessage, queued bool, err error) {
	claim := claimable(replies, c)
	after := false // claimed behind earlier ones
	if claim {
		// NULL: none earlier; 0: one not being sent; 1: all being sent.
		var sending sql.NullInt64
		err := s.queryRow(ctx, q, outboxSending, ms(now), replies[0].Office, replies[0].To).Scan(&sending)
		if err != nil {
			return nil, false, fmt.Errorf("enqueue reply: %w", err)
		}
		claim, after = claimAfter(sending, behind)
	}
	for i, r := range replies {
		attempts, until := 0, int64(0)
		if claim {
			attempts, until = 1, ms(c.Now.Add(c.OutboxLease))
		}
		outID, err := s.enqueue(ctx, q, r, payloads[i], now, attempts, until)
		if err != nil {
			return nil, false, err
		}
		if claim {
			claimed = append(claimed, claimedReply(r, outID, now, until, after))
		}
	}
	return claimed, len(replies) > 0 && !claim, nil
}

// claimable reports whether a step's replies can be claimed with it: c
// claims, and they go to one recipient.
func claimable(replies []sigap.OutboundMessage, c sigap.Claim) bool {
	claim := c.OutboxLease > 0 && len(replies) > 0
	for _, r := range replies[min(1, len(replies)):] {
		claim = claim && r.Office == replies[0].Office && r.To == replies[0].To
	}
	return claim
}

// claimAfter decides, from outboxSending's answer, whether a step's
// replies are claimed with it, and whether they go after earlier ones:
// claimed if none waits, or, where they may go behind (behind), if all
// that wait are being sent.
func claimAfter(sending sql.NullInt64, behind bool) (claim, after bool) {
	after = sending.Valid
	return !after || behind && sending.Int64 == 1, after
}

// claimedReply is r as stored with id at now, claimed until until.
func claimedReply(r sigap.OutboundMessage, id int64, now time.Time, until int64, behind bool) sigap.OutboundMessage {
	r.ID, r.State, r.Attempts, r.CreatedAt, r.NextAttemptAt = id, sigap.OutboundPending, 1, fromMS(ms(now)), fromMS(ms(now))
	r.LeaseEnds, r.Behind = fromMS(until), behind
	return r
}

// ---- outbox

// enqueue stores m, its reply encoded as payload, claimed until until if
// that is not zero, and returns its id.
func (s *Store) enqueue(ctx context.Context, q dbtx, m sigap.OutboundMessage, payload []byte, now time.Time, attempts int, until int64) (int64, error) {
	args := outboxArgs(m, payload, now, attempts, until)
	var id int64
	if s.dialect.InsertReturning {
		if err := s.queryRow(ctx, q, insertOutboxID, args...).Scan(&id); err != nil {
			return 0, fmt.Errorf("enqueue reply: %w", err)
		}
		return id, nil
	}
	res, err := s.exec(ctx, q, insertOutbox, args...)
	if err == nil {
		id, err = res.LastInsertId()
	}
	if err != nil {
		return 0, fmt.Errorf("enqueue reply: %w", err)
	}
	return id, nil
}

// outboxArgs returns insertOutbox's arguments.
func outboxArgs(m sigap.OutboundMessage, payload []byte, now time.Time, attempts int, until int64) []any {
	return []any{m.Office, m.To, m.InReplyTo, string(payload), ms(now), ms(now), ms(m.WindowEndsAt), attempts, until}
}

// ClaimOutbound implements sigap.Outbox. Each claim counts as an attempt.
// Only a recipient's oldest pending reply can be claimed: the ones behind
// it wait until it is sent or given up on (marking it sent claims the next,
// see MarkSentClaimNext), so a retried reply is never overtaken.
// A claim whose lease ran out without an outcome belonged to a sender that
// died, perhaps mid-send: it is counted in doubtful.
func (s *Store) ClaimOutbound(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]sigap.OutboundMessage, error) {
	var out []sigap.OutboundMessage
	payloads := map[int64]string{}
	err := s.writeOne(ctx, func(ctx context.Context, q dbtx) error {
		out = out[:0]
		clear(payloads)
		rows, err := s.query(ctx, q, `UPDATE outbox SET claimed_until = $1, attempts = attempts + 1,
			doubtful = doubtful + CASE WHEN claimed_until > 0 THEN 1 ELSE 0 END
		WHERE id IN (SELECT m.id FROM outbox m WHERE m.state = 'pending' AND m.next_attempt_at <= $2 AND m.claimed_until <= $3
			AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.office = m.office AND o.recipient = m.recipient
				AND o.state = 'pending' AND o.id < m.id)
			ORDER BY m.id LIMIT $4`+s.dialect.SkipLocked+`)
		RETURNING id, office, recipient, in_reply_to, payload, attempts, created_at, next_attempt_at, last_error,
			window_ends_at, doubtful`,
			ms(now.Add(lease)), ms(now), ms(now), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				m                            sigap.OutboundMessage
				payload                      string
				created, nextAttempt, window int64
			)
			if err := rows.Scan(&m.ID, &m.Office, &m.To, &m.InReplyTo, &payload, &m.Attempts, &created, &nextAttempt, &m.LastError,
				&window, &m.Doubtful); err != nil {
				return err
			}
			m.State, m.CreatedAt, m.NextAttemptAt = sigap.OutboundPending, fromMS(created), fromMS(nextAttempt)
			m.WindowEndsAt, m.LeaseEnds = fromMS(window), fromMS(ms(now.Add(lease)))
			payloads[m.ID] = payload
			out = append(out, m)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim outbound: %w", err)
	}
	for i := range out {
		if err := json.Unmarshal([]byte(payloads[out[i].ID]), &out[i].Reply); err != nil {
			return nil, fmt.Errorf("decode outbound %d: %w", out[i].ID, err)
		}
	}
	sortBy(out, func(m sigap.OutboundMessage) int64 { return m.ID })
	return out, nil
}

func (s *Store) markSent(ctx context.Context, q dbtx, id int64, sentID string, at time.Time) error {
	query, args := markSentQuery([]*sentMark{{id: id, sentID: sentID, at: ms(at)}})
	_, err := s.exec(ctx, q, query, args...)
	return err
}

// MarkSentClaimNext implements sigap.ClaimNextOutbound. The next reply is claimed
// only if it is at the head of the recipient's queue, due and unclaimed; the
// claim is a conditional update, so it is safe without a transaction around
// the statements (PostgreSQL runs them one by one; SQLite's writer in one
// transaction anyway).
func (s *Store) MarkSentClaimNext(ctx context.Context, m sigap.OutboundMessage, sentID string, at time.Time, lease time.Duration) (*sigap.OutboundMessage, error) {
	var (
		next    *sigap.OutboundMessage
		payload string
	)
	err := s.writeOne(ctx, func(ctx context.Context, q dbtx) error {
		// Taken here, not before waiting for the writer: a reply stored
		// meanwhile is due at once.
		now := s.now()
		next = nil
		if err := s.markSent(ctx, q, m.ID, sentID, at); err != nil {
			return err
		}
		var (
			n                                          sigap.OutboundMessage
			created, nextAttempt, window, claimedUntil int64
		)
		err := s.queryRow(ctx, q, `SELECT id, in_reply_to, payload, attempts, created_at, next_attempt_at, last_error, window_ends_at,
				doubtful, claimed_until
			FROM outbox WHERE office = $1 AND recipient = $2 AND state = 'pending' ORDER BY id LIMIT 1`, m.Office, m.To).
			Scan(&n.ID, &n.InReplyTo, &payload, &n.Attempts, &created, &nextAttempt, &n.LastError, &window, &n.Doubtful, &claimedUntil)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("claim next reply: %w", err)
		}
		if claimedUntil > ms(now) || nextAttempt > ms(now) {
			return nil // being sent, or waiting to be retried
		}
		until := ms(now.Add(lease))
		res, err := s.exec(ctx, q, `UPDATE outbox SET claimed_until = $1, attempts = attempts + 1,
				doubtful = doubtful + CASE WHEN claimed_until > 0 THEN 1 ELSE 0 END
			WHERE id = $2 AND state = 'pending' AND claimed_until = $3`, until, n.ID, claimedUntil)
		if err != nil {
			return fmt.Errorf("claim next reply: %w", err)
		}
		if k, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("claim next reply: %w", err)
		} else if k == 0 {
			return nil // another replica claimed it first
		}
		n.Office, n.To, n.State = m.Office, m.To, sigap.OutboundPending
		n.Attempts++
		if claimedUntil > 0 {
			n.Doubtful++
		}
		n.CreatedAt, n.NextAttemptAt, n.WindowEndsAt, n.LeaseEnds = fromMS(created), fromMS(nextAttempt), fromMS(window), fromMS(until)
		next = &n
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("mark outbound %d sent: %w", m.ID, err)
	}
	if next != nil {
		if err := json.Unmarshal([]byte(payload), &next.Reply); err != nil {
			return nil, fmt.Errorf("decode outbound %d: %w", next.ID, err)
		}
	}
	return next, nil
}

// Release implements sigap.ReleaseOutbound.
func (s *Store) Release(ctx context.Context, m sigap.OutboundMessage) error {
	_, err := s.write(ctx, `UPDATE outbox SET claimed_until = 0 WHERE id = $1 AND state = 'pending' AND claimed_until = $2`,
		m.ID, ms(m.LeaseEnds))
	if err != nil {
		return fmt.Errorf("release outbound %d: %w", m.ID, err)
	}
	return nil
}

// MarkRetry implements sigap.Outbox.
func (s *Store) MarkRetry(ctx context.Context, id int64, reason string, retryAt time.Time) error {
	_, err := s.write(ctx, `UPDATE outbox SET next_attempt_at = $1, claimed_until = 0, last_error = $2 WHERE id = $3`,
		ms(retryAt), reason, id)
	if err != nil {
		return fmt.Errorf("mark outbound %d for retry: %w", id, err)
	}
	return nil
}

// MarkFailed implements sigap.Outbox.
func (s *Store) MarkFailed(ctx context.Context, id int64, reason string) error {
	_, err := s.write(ctx, `UPDATE outbox SET state = 'failed', claimed_until = 0, last_error = $1 WHERE id = $2`, reason, id)
	if err != nil {
		return fmt.Errorf("mark outbound %d failed: %w", id, err)
	}
	return nil
}
