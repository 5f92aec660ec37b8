package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/sigap-id/sigap"
)

var _ sigap.OutboxReport = (*Store)(nil)

// ListOutbound returns the replies q selects, newest first. Only the
// conditions q sets are in the statement, so that each engine plans for
// them: failed replies are found through outbox_failed (migration 00009)
// rather than by reading every reply sent.
func (s *Store) ListOutbound(ctx context.Context, q sigap.OutboxQuery) ([]sigap.OutboundMessage, error) {
	if err := q.Check(); err != nil {
		return nil, err
	}
	var (
		where []string
		args  []any
	)
	for _, c := range []struct{ column, value string }{{"office", q.Office}, {"recipient", q.To}} {
		if c.value != "" {
			args = append(args, c.value)
			where = append(where, c.column+" = "+params(len(args), 1))
		}
	}
	state := q.State
	if q.InDoubt {
		state = sigap.OutboundPending
		args = append(args, ms(q.Now))
		where = append(where, "claimed_until > 0 AND claimed_until <= "+params(len(args), 1))
	}
	if state != "" {
		// Written out, not a parameter, so that both engines see it matches
		// the partial indexes' conditions; Check allowed only three words.
		where = append(where, "state = '"+string(state)+"'")
	}
	query := `SELECT id, office, recipient, in_reply_to, payload, state, attempts, created_at,
		next_attempt_at, last_error, sent_id, window_ends_at, delivery_status, doubtful, claimed_until FROM outbox`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, q.Limit)
	query += " ORDER BY id DESC LIMIT " + params(len(args), 1)
	rows, err := s.db.QueryContext(ctx, query, args...)
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
			claimedUntil                 int64
		)
		if err := rows.Scan(&m.ID, &m.Office, &m.To, &m.InReplyTo, &payload, &m.State, &m.Attempts, &created, &nextAttempt,
			&m.LastError, &m.SentID, &window, &m.DeliveryStatus, &m.Doubtful, &claimedUntil); err != nil {
			return nil, fmt.Errorf("list outbound: %w", err)
		}
		if err := json.Unmarshal([]byte(payload), &m.Reply); err != nil {
			return nil, fmt.Errorf("decode outbound %d: %w", m.ID, err)
		}
		m.CreatedAt, m.NextAttemptAt, m.WindowEndsAt = fromMS(created), fromMS(nextAttempt), fromMS(window)
		if claimedUntil > 0 {
			m.LeaseEnds = fromMS(claimedUntil)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list outbound: %w", err)
	}
	return out, nil
}

// Outbound lists an office's outbox ("" for every office), the newest limit
// replies, oldest first, for tests.
func (s *Store) Outbound(ctx context.Context, office string, limit int) ([]sigap.OutboundMessage, error) {
	out, err := s.ListOutbound(ctx, sigap.OutboxQuery{Office: office, Limit: limit})
	slices.Reverse(out)
	return out, err
}
