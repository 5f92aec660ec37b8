// Package sqlstore implements sigap.Store with one set of SQL queries for
// every engine. Where the engines differ (placeholders, row locking) the
// Dialect says how, so a query is written once.
package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sigap-id/sigap"
)

// Dialect is what differs between SQL engines.
type Dialect struct {
	Name string
	// NumberedPlaceholders turns ? into $1, $2, … (PostgreSQL).
	NumberedPlaceholders bool
	// SkipLocked is appended to the sub-selects that pick queue rows, so
	// that concurrent claimers skip each other's rows instead of waiting.
	SkipLocked string
	// Ready checks that the schema is current.
	Ready func(ctx context.Context, db *sql.DB) error
}

// Store is a sigap.Store over database/sql.
type Store struct {
	db      *sql.DB
	dialect Dialect
}

var _ sigap.Store = (*Store)(nil)

// New wraps an open, migrated database.
func New(db *sql.DB, d Dialect) *Store {
	return &Store{db: db, dialect: d}
}

// DB returns the underlying database, for tests and tools.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

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

// q rewrites a query, written with ? placeholders and a {skip_locked}
// marker, for the store's engine.
func (s *Store) q(query string) string {
	query = strings.ReplaceAll(query, "{skip_locked}", s.dialect.SkipLocked)
	if !s.dialect.NumberedPlaceholders {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
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

// inTx runs fn in a transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
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
	row := s.db.QueryRowContext(ctx, s.q(`SELECT `+applicationColumns+` FROM applications WHERE number = ? AND office = ?`), number, office)
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
func (s *Store) UpsertApplication(ctx context.Context, a sigap.Application) (sigap.UpsertResult, error) {
	result := sigap.Unchanged
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		row := tx.QueryRowContext(ctx, s.q(`SELECT `+applicationColumns+` FROM applications WHERE number = ?`), a.Number)
		old, err := scanApplication(row)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			result = sigap.Inserted
			_, err = tx.ExecContext(ctx, s.q(`INSERT INTO applications (`+applicationColumns+`, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
				a.Number, a.Office, a.ApplicantName, a.BirthDate.Format(dateLayout), a.PassportType, a.Stage,
				ms(a.StageAt), a.BillingCode, ms(a.BillingExpiresAt), a.Note, time.Now().UnixMilli())
			if err != nil {
				return fmt.Errorf("insert application: %w", err)
			}
		case err != nil:
			return fmt.Errorf("read application: %w", err)
		case a.StageAt.Before(old.StageAt):
			// An older row only fills in history below.
		case !sameApplication(old, a):
			result = sigap.Updated
			_, err = tx.ExecContext(ctx, s.q(`UPDATE applications SET office = ?, applicant_name = ?, birth_date = ?,
				passport_type = ?, stage = ?, stage_at = ?, billing_code = ?, billing_expires_at = ?, note = ?, updated_at = ?
				WHERE number = ?`),
				a.Office, a.ApplicantName, a.BirthDate.Format(dateLayout), a.PassportType, a.Stage, ms(a.StageAt),
				a.BillingCode, ms(a.BillingExpiresAt), a.Note, time.Now().UnixMilli(), a.Number)
			if err != nil {
				return fmt.Errorf("update application: %w", err)
			}
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO application_stages (number, stage, stage_at, note) VALUES (?, ?, ?, ?)
			ON CONFLICT (number, stage_at, stage) DO NOTHING`), a.Number, a.Stage, ms(a.StageAt), a.Note)
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
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT stage, stage_at, note FROM application_stages
		WHERE number = ? ORDER BY stage_at, stage`), number)
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
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM applications WHERE ? = '' OR office = ?`), office, office).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count applications: %w", err)
	}
	return n, nil
}

// ---- conversations

// Conversation implements sigap.Conversations.
func (s *Store) Conversation(ctx context.Context, office, user string) (sigap.Conversation, error) {
	c := sigap.Conversation{Office: office, User: user}
	var state string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT state FROM conversations WHERE office = ? AND user_id = ?`), office, user).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("read conversation: %w", err)
	}
	if err := json.Unmarshal([]byte(state), &c); err != nil {
		return c, fmt.Errorf("decode conversation: %w", err)
	}
	return c, nil
}

// SaveConversation implements sigap.Conversations.
func (s *Store) SaveConversation(ctx context.Context, c sigap.Conversation) error {
	return s.saveConversation(ctx, s.db, c)
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (s *Store) saveConversation(ctx context.Context, db execer, c sigap.Conversation) error {
	state, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode conversation: %w", err)
	}
	_, err = db.ExecContext(ctx, s.q(`INSERT INTO conversations (office, user_id, state, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (office, user_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`),
		c.Office, c.User, string(state), time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("save conversation: %w", err)
	}
	return nil
}

// ---- inbox

// SaveDelivery implements sigap.Inbox.
func (s *Store) SaveDelivery(ctx context.Context, d sigap.Delivery) (int, error) {
	added := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := time.Now().UnixMilli()
		for _, m := range d.Messages {
			payload, err := json.Marshal(m)
			if err != nil {
				return fmt.Errorf("encode message %s: %w", m.ID, err)
			}
			res, err := tx.ExecContext(ctx, s.q(`INSERT INTO inbound_messages (id, office, sender, received_at, payload)
				VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`), m.ID, m.Office, m.From, now, string(payload))
			if err != nil {
				return fmt.Errorf("store message %s: %w", m.ID, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("store message %s: %w", m.ID, err)
			}
			added += int(n)
		}
		for _, st := range d.Statuses {
			if err := s.saveStatus(ctx, tx, st); err != nil {
				return err
			}
		}
		for _, e := range d.Errors {
			_, err := tx.ExecContext(ctx, s.q(`INSERT INTO channel_errors (office, at, code, title, details) VALUES (?, ?, ?, ?, ?)`),
				e.Office, ms(e.At), e.Code, e.Title, e.Details)
			if err != nil {
				return fmt.Errorf("store channel error: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("save delivery: %w", err)
	}
	return added, nil
}

func (s *Store) saveStatus(ctx context.Context, tx *sql.Tx, st sigap.StatusUpdate) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO message_statuses (wamid, status, at, recipient, error_code, error_title)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (wamid, status) DO NOTHING`),
		st.MessageID, st.Status, ms(st.At), st.Recipient, st.ErrorCode, st.ErrorTitle)
	if err != nil {
		return fmt.Errorf("store status of %s: %w", st.MessageID, err)
	}
	// Statuses arrive out of order: only a higher rank moves the message on.
	rank := sigap.StatusRank(st.Status)
	_, err = tx.ExecContext(ctx, s.q(`UPDATE outbox SET delivery_status = ?, status_rank = ?
		WHERE sent_id = ? AND status_rank < ?`), st.Status, rank, st.MessageID, rank)
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
	rows, err := s.db.QueryContext(ctx, s.q(`UPDATE inbound_messages SET claimed_until = ?, attempts = attempts + 1
		WHERE seq IN (SELECT m.seq FROM inbound_messages m WHERE m.state = 'pending' AND m.claimed_until <= ?
			AND NOT EXISTS (SELECT 1 FROM inbound_messages o WHERE o.office = m.office AND o.sender = m.sender
				AND o.state = 'pending' AND o.seq < m.seq)
			ORDER BY m.seq LIMIT ? {skip_locked})
		RETURNING seq, attempts, payload`), ms(now.Add(lease)), ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("claim inbound: %w", err)
	}
	defer rows.Close()
	type claimed struct {
		seq int64
		msg sigap.InboundMessage
	}
	var got []claimed
	for rows.Next() {
		var (
			c       claimed
			payload string
		)
		if err := rows.Scan(&c.seq, &c.msg.Attempts, &payload); err != nil {
			return nil, fmt.Errorf("claim inbound: %w", err)
		}
		attempts := c.msg.Attempts
		if err := json.Unmarshal([]byte(payload), &c.msg); err != nil {
			return nil, fmt.Errorf("decode inbound %d: %w", c.seq, err)
		}
		c.msg.Attempts = attempts
		got = append(got, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim inbound: %w", err)
	}
	// RETURNING gives no order; a sender's messages must be answered in the
	// order they arrived.
	sortBy(got, func(c claimed) int64 { return c.seq })
	out := make([]sigap.InboundMessage, len(got))
	for i, c := range got {
		out[i] = c.msg
	}
	return out, nil
}

// CompleteInbound implements sigap.Inbox.
func (s *Store) CompleteInbound(ctx context.Context, id string, conv sigap.Conversation, replies []sigap.OutboundMessage) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := time.Now()
		if err := s.saveConversation(ctx, tx, conv); err != nil {
			return err
		}
		for _, r := range replies {
			if err := s.enqueue(ctx, tx, r, now); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, s.q(`UPDATE inbound_messages SET state = 'done', processed_at = ? WHERE id = ?`), ms(now), id)
		if err != nil {
			return fmt.Errorf("mark processed: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("complete inbound %s: %w", id, err)
	}
	return nil
}

// ---- outbox

func (s *Store) enqueue(ctx context.Context, tx *sql.Tx, m sigap.OutboundMessage, now time.Time) error {
	payload, err := json.Marshal(m.Reply)
	if err != nil {
		return fmt.Errorf("encode reply: %w", err)
	}
	_, err = tx.ExecContext(ctx, s.q(`INSERT INTO outbox (office, recipient, in_reply_to, payload, created_at, next_attempt_at, window_ends_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`), m.Office, m.To, m.InReplyTo, string(payload), ms(now), ms(now), ms(m.WindowEndsAt))
	if err != nil {
		return fmt.Errorf("enqueue reply: %w", err)
	}
	return nil
}

// ClaimOutbound implements sigap.Outbox. Each claim counts as an attempt.
// A claim whose lease ran out without an outcome belonged to a sender that
// died, perhaps mid-send: it is counted in doubtful.
func (s *Store) ClaimOutbound(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]sigap.OutboundMessage, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`UPDATE outbox SET claimed_until = ?, attempts = attempts + 1,
			doubtful = doubtful + CASE WHEN claimed_until > 0 THEN 1 ELSE 0 END
		WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= ? AND claimed_until <= ?
			ORDER BY id LIMIT ? {skip_locked})
		RETURNING id, office, recipient, in_reply_to, payload, attempts, created_at, next_attempt_at, last_error,
			window_ends_at, doubtful`),
		ms(now.Add(lease)), ms(now), ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("claim outbound: %w", err)
	}
	defer rows.Close()
	var out []sigap.OutboundMessage
	for rows.Next() {
		var (
			m                            sigap.OutboundMessage
			payload                      string
			created, nextAttempt, window int64
		)
		if err := rows.Scan(&m.ID, &m.Office, &m.To, &m.InReplyTo, &payload, &m.Attempts, &created, &nextAttempt, &m.LastError,
			&window, &m.Doubtful); err != nil {
			return nil, fmt.Errorf("claim outbound: %w", err)
		}
		if err := json.Unmarshal([]byte(payload), &m.Reply); err != nil {
			return nil, fmt.Errorf("decode outbound %d: %w", m.ID, err)
		}
		m.State, m.CreatedAt, m.NextAttemptAt = sigap.OutboundPending, fromMS(created), fromMS(nextAttempt)
		m.WindowEndsAt = fromMS(window)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim outbound: %w", err)
	}
	sortBy(out, func(m sigap.OutboundMessage) int64 { return m.ID })
	return out, nil
}

// MarkSent implements sigap.Outbox.
func (s *Store) MarkSent(ctx context.Context, id int64, sentID string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE outbox SET state = 'sent', sent_id = ?, sent_at = ?, claimed_until = 0, last_error = ''
		WHERE id = ?`), sentID, ms(at), id)
	if err != nil {
		return fmt.Errorf("mark outbound %d sent: %w", id, err)
	}
	return nil
}

// MarkRetry implements sigap.Outbox.
func (s *Store) MarkRetry(ctx context.Context, id int64, reason string, retryAt time.Time) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE outbox SET next_attempt_at = ?, claimed_until = 0, last_error = ? WHERE id = ?`),
		ms(retryAt), reason, id)
	if err != nil {
		return fmt.Errorf("mark outbound %d for retry: %w", id, err)
	}
	return nil
}

// MarkFailed implements sigap.Outbox.
func (s *Store) MarkFailed(ctx context.Context, id int64, reason string) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE outbox SET state = 'failed', claimed_until = 0, last_error = ? WHERE id = ?`), reason, id)
	if err != nil {
		return fmt.Errorf("mark outbound %d failed: %w", id, err)
	}
	return nil
}

// Outbound lists the outbox, newest last, for the console and tests.
func (s *Store) Outbound(ctx context.Context, office string, limit int) ([]sigap.OutboundMessage, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, office, recipient, in_reply_to, payload, state, attempts, created_at,
		next_attempt_at, last_error, sent_id, window_ends_at, delivery_status, doubtful
		FROM outbox WHERE ? = '' OR office = ? ORDER BY id DESC LIMIT ?`), office, office, limit)
	if err != nil {
		return nil, fmt.Errorf("list outbound: %w", err)
	}
	defer rows.Close()
	var out []sigap.OutboundMessage
	for rows.Next() {
		var (
			m                            sigap.OutboundMessage
			payload                      string
			created, nextAttempt, window int64
		)
		if err := rows.Scan(&m.ID, &m.Office, &m.To, &m.InReplyTo, &payload, &m.State, &m.Attempts, &created, &nextAttempt,
			&m.LastError, &m.SentID, &window, &m.DeliveryStatus, &m.Doubtful); err != nil {
			return nil, fmt.Errorf("list outbound: %w", err)
		}
		if err := json.Unmarshal([]byte(payload), &m.Reply); err != nil {
			return nil, fmt.Errorf("decode outbound %d: %w", m.ID, err)
		}
		m.CreatedAt, m.NextAttemptAt, m.WindowEndsAt = fromMS(created), fromMS(nextAttempt), fromMS(window)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list outbound: %w", err)
	}
	sortBy(out, func(m sigap.OutboundMessage) int64 { return m.ID })
	return out, nil
}
