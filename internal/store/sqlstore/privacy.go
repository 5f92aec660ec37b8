package sqlstore

// One person's data on request: export and erasure (sigap.Privacy).

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sigap-id/sigap"
)

// ExportSender implements sigap.Privacy. It reads in one transaction, so
// that what it returns was stored together at one moment.
func (s *Store) ExportSender(ctx context.Context, waID string) (sigap.SenderData, error) {
	d := sigap.SenderData{WAID: waID}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return d, fmt.Errorf("export: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read only
	for _, part := range []struct {
		what string
		read func() error
	}{
		{"messages", func() (err error) { d.Messages, err = s.exportMessages(ctx, tx, waID); return err }},
		{"conversations", func() (err error) { d.Conversations, err = s.exportConversations(ctx, tx, waID); return err }},
		{"tickets", func() (err error) { d.Tickets, err = s.exportTickets(ctx, tx, waID); return err }},
		{"subscriptions", func() (err error) { d.Subscriptions, err = s.exportSubscriptions(ctx, tx, waID); return err }},
		{"replies", func() (err error) { d.Replies, err = s.exportReplies(ctx, tx, waID); return err }},
		{"statuses", func() (err error) { d.Statuses, err = s.exportStatuses(ctx, tx, waID); return err }},
		{"ticket notes", func() (err error) { d.TicketNotes, err = s.exportTicketNotes(ctx, tx, waID); return err }},
		{"audit", func() (err error) { d.Audit, err = s.exportAudit(ctx, tx, waID); return err }},
	} {
		if err := part.read(); err != nil {
			return d, fmt.Errorf("export %s: %w", part.what, err)
		}
	}
	return d, nil
}

// scanAll reads every row of query with scan.
func scanAll[T any](ctx context.Context, s *Store, tx *sql.Tx, query string, scan func(*sql.Rows) (T, error), args ...any) ([]T, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func (s *Store) exportMessages(ctx context.Context, tx *sql.Tx, waID string) ([]sigap.StoredMessage, error) {
	return scanAll(ctx, s, tx, `SELECT id, office, received_at, state, payload FROM inbound_messages
		WHERE sender = $1 AND sender <> '' ORDER BY seq`, func(rows *sql.Rows) (sigap.StoredMessage, error) {
		var (
			m              sigap.StoredMessage
			received       int64
			state, payload string
		)
		if err := rows.Scan(&m.Message.ID, &m.Message.Office, &received, &state, &payload); err != nil {
			return m, err
		}
		if payload != "" {
			if err := json.Unmarshal([]byte(payload), &m.Message); err != nil {
				return m, fmt.Errorf("decode message %s: %w", m.Message.ID, err)
			}
		}
		m.ReceivedAt, m.Answered = fromMS(received), state != "pending"
		return m, nil
	}, waID)
}

func (s *Store) exportConversations(ctx context.Context, tx *sql.Tx, waID string) ([]sigap.StoredConversation, error) {
	return scanAll(ctx, s, tx, `SELECT office, state, version, updated_at FROM conversations WHERE user_id = $1 ORDER BY office`,
		func(rows *sql.Rows) (sigap.StoredConversation, error) {
			var (
				c       sigap.StoredConversation
				office  string
				state   []byte
				version int64
				updated int64
			)
			if err := rows.Scan(&office, &state, &version, &updated); err != nil {
				return c, err
			}
			conv, err := decodeConversation(office, waID, state, version)
			c.Conversation, c.UpdatedAt = conv, fromMS(updated)
			return c, err
		}, waID)
}

func (s *Store) exportTickets(ctx context.Context, tx *sql.Tx, waID string) ([]sigap.Ticket, error) {
	return scanAll(ctx, s, tx, `SELECT `+ticketColumns+` FROM tickets WHERE user_id = $1 ORDER BY created_at, office, number`,
		func(rows *sql.Rows) (sigap.Ticket, error) { return scanTicket(rows) }, waID)
}

func (s *Store) exportTicketNotes(ctx context.Context, tx *sql.Tx, waID string) ([]sigap.TicketNotes, error) {
	return scanAll(ctx, s, tx, `SELECT office, number, notes FROM tickets WHERE user_id = $1 AND notes <> ''
		ORDER BY office, number`, func(rows *sql.Rows) (sigap.TicketNotes, error) {
		var n sigap.TicketNotes
		return n, rows.Scan(&n.Office, &n.Number, &n.Notes)
	}, waID)
}

// auditAbout picks the audit entries about a sender (EraseSender blanks
// them): their chat's, named by their WhatsApp id, and their tickets'.
const auditAbout = `subject = $1 OR (action LIKE 'ticket.%' AND EXISTS (SELECT 1 FROM tickets t
	WHERE t.office = audit_log.office AND t.number = audit_log.subject AND t.user_id = $2))`

func (s *Store) exportAudit(ctx context.Context, tx *sql.Tx, waID string) ([]sigap.AuditEntry, error) {
	return scanAll(ctx, s, tx, `SELECT `+auditColumns+` FROM audit_log WHERE `+auditAbout+` ORDER BY id`, scanAudit, waID, waID)
}

func (s *Store) exportSubscriptions(ctx context.Context, tx *sql.Tx, waID string) ([]sigap.Subscription, error) {
	return scanAll(ctx, s, tx, `SELECT office, user_id, application_number, created_at FROM subscriptions
		WHERE user_id = $1 ORDER BY office, application_number`, func(rows *sql.Rows) (sigap.Subscription, error) {
		var (
			sub     sigap.Subscription
			created int64
		)
		err := rows.Scan(&sub.Office, &sub.User, &sub.Number, &created)
		sub.CreatedAt = fromMS(created)
		return sub, err
	}, waID)
}

func (s *Store) exportReplies(ctx context.Context, tx *sql.Tx, waID string) ([]sigap.OutboundMessage, error) {
	return scanAll(ctx, s, tx, `SELECT id, office, recipient, in_reply_to, payload, state, attempts, created_at,
		next_attempt_at, last_error, sent_id, window_ends_at, delivery_status, doubtful
		FROM outbox WHERE recipient = $1 ORDER BY id`, func(rows *sql.Rows) (sigap.OutboundMessage, error) {
		var (
			m                            sigap.OutboundMessage
			payload                      string
			created, nextAttempt, window int64
		)
		if err := rows.Scan(&m.ID, &m.Office, &m.To, &m.InReplyTo, &payload, &m.State, &m.Attempts, &created, &nextAttempt,
			&m.LastError, &m.SentID, &window, &m.DeliveryStatus, &m.Doubtful); err != nil {
			return m, err
		}
		if err := json.Unmarshal([]byte(payload), &m.Reply); err != nil {
			return m, fmt.Errorf("decode reply %d: %w", m.ID, err)
		}
		m.CreatedAt, m.NextAttemptAt, m.WindowEndsAt = fromMS(created), fromMS(nextAttempt), fromMS(window)
		return m, nil
	}, waID)
}

func (s *Store) exportStatuses(ctx context.Context, tx *sql.Tx, waID string) ([]sigap.StatusUpdate, error) {
	return scanAll(ctx, s, tx, `SELECT wamid, status, at, recipient, error_code, error_title FROM message_statuses
		WHERE recipient = $1 ORDER BY at, wamid, status`, func(rows *sql.Rows) (sigap.StatusUpdate, error) {
		var (
			st sigap.StatusUpdate
			at int64
		)
		err := rows.Scan(&st.MessageID, &st.Status, &at, &st.Recipient, &st.ErrorCode, &st.ErrorTitle)
		st.At = fromMS(at)
		return st, err
	}, waID)
}

// EraseSender implements sigap.Privacy.
func (s *Store) EraseSender(ctx context.Context, waID, by string, now time.Time) (sigap.Removed, error) {
	if waID == "" {
		return sigap.Removed{}, fmt.Errorf("erase: %w: empty WhatsApp id", sigap.ErrInvalid)
	}
	r, err := inTx(s, ctx, func(ctx context.Context, tx *sql.Tx) (sigap.Removed, error) {
		var r sigap.Removed
		// What the caches must forget: the conversations deleted, the
		// messages that were waiting.
		offices, err := s.queryStrings(ctx, tx, `SELECT office FROM conversations WHERE user_id = $1`, waID)
		if err != nil {
			return r, err
		}
		for _, office := range offices {
			s.changed(tx, cacheChange{kind: convDrop, key: convKey{office, waID}})
		}
		waiting, err := s.queryStrings(ctx, tx, `SELECT id FROM inbound_messages
			WHERE sender = $1 AND sender <> '' AND state = 'pending'`, waID)
		if err != nil {
			return r, err
		}
		for _, id := range waiting {
			s.changed(tx, cacheChange{kind: waitingDone, id: id})
		}
		for _, st := range []struct {
			n     *int64
			query string
			args  []any
		}{
			{&r.Conversations, `DELETE FROM conversations WHERE user_id = $1`, []any{waID}},
			{&r.Subscriptions, `DELETE FROM subscriptions WHERE user_id = $1`, []any{waID}},
			// The audit log keeps who did what, but not to whom nor the
			// words: the entries about the sender's chat and tickets lose
			// their subject (the WhatsApp id) and their before and after.
			// Before the tickets, which stop naming the sender below.
			{&r.Audit, `UPDATE audit_log SET subject = CASE WHEN subject = $3 THEN '' ELSE subject END,
				before_json = '', after_json = '' WHERE ` + auditAbout, []any{waID, waID, waID}},
			// Kept for the office's counts of feedback, naming nobody; closed,
			// as nobody can be answered.
			{&r.Tickets, `UPDATE tickets SET user_id = '', body = '', reply = '', notes = '', lang = '', state = 'closed', updated_at = $1
				WHERE user_id = $2 AND user_id <> ''`, []any{ms(now), waID}},
			{&r.Statuses, `DELETE FROM message_statuses WHERE recipient = $1 OR wamid IN (SELECT sent_id FROM outbox
				WHERE recipient = $2 AND sent_id <> '')`, []any{waID, waID}},
			// Pending replies too: nothing more is sent to an erased id.
			{&r.Replies, `DELETE FROM outbox WHERE recipient = $1`, []any{waID}},
			// The id stays as the dedupe record: a redelivery of an erased
			// message is not answered. A message waiting to be answered is
			// answered by nobody, so that no new conversation starts from it.
			{&r.MessageTexts, `UPDATE inbound_messages SET sender = '', payload = '', state = 'done', claimed_until = 0,
				processed_at = CASE WHEN state = 'pending' THEN $1 ELSE processed_at END
				WHERE sender = $2 AND sender <> ''`, []any{ms(now), waID}},
		} {
			if *st.n, err = s.execCount(ctx, tx, st.query, st.args...); err != nil {
				return r, err
			}
		}
		return r, s.recordRun(ctx, tx, sigap.RetentionRun{At: now, Holder: by, What: sigap.RunErasure,
			Subject: sigap.SubjectHash(waID), Removed: r})
	})
	if err != nil {
		return sigap.Removed{}, fmt.Errorf("erase: %w", err)
	}
	return r, nil
}

// queryStrings returns the one column of every row of query on q.
func (s *Store) queryStrings(ctx context.Context, q dbtx, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
