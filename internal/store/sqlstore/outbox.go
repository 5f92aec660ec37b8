package sqlstore

// Storing replies, claiming them and marking their outcome.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sigap-id/sigap"
)

// enqueue stores m, its reply encoded as payload, unclaimed, and returns its
// id.
func (s *Store) enqueue(ctx context.Context, q dbtx, m sigap.OutboundMessage, payload []byte, now time.Time) (int64, error) {
	return s.insertReply(ctx, q, insertReplyStmt(m, payload, now, 0, s.holder, s.dialect.InsertReturning))
}

// insertReplyStmt is the statement that stores r, its reply encoded as
// payload, at now, claimed until until (attempts 1) or not (until 0); with
// id, it returns the reply's id.
func insertReplyStmt(r sigap.OutboundMessage, payload []byte, now time.Time, until int64, holder string, id bool) Stmt {
	query, attempts := insertOutbox, 0
	if id {
		query = insertOutboxID
	}
	if until != 0 {
		attempts = 1
	}
	return Stmt{query, []any{r.Office, r.To, r.InReplyTo, string(payload), ms(now), ms(now), ms(r.WindowEndsAt), attempts, until, holder}}
}

// insertReply runs st, a reply's insert (insertReplyStmt, asking for the id
// where the dialect says to), and returns the reply's id.
func (s *Store) insertReply(ctx context.Context, q dbtx, st Stmt) (int64, error) {
	var id int64
	if s.dialect.InsertReturning {
		if err := s.queryRow(ctx, q, st.Query, st.Args...).Scan(&id); err != nil {
			return 0, fmt.Errorf("enqueue reply: %w", err)
		}
		return id, nil
	}
	res, err := s.exec(ctx, q, st.Query, st.Args...)
	if err == nil {
		id, err = res.LastInsertId()
	}
	if err != nil {
		return 0, fmt.Errorf("enqueue reply: %w", err)
	}
	return id, nil
}

// The columns a claim of a reply sets besides its lease and attempts,
// from the row as it was (a SET's expressions read the old row on both
// engines): whether it is in doubt and taken over, and from whom
// (migrations 00010 and 00015).
const claimOutboxColumns = `doubtful = doubtful + CASE WHEN claimed_until > 0 THEN 1 ELSE 0 END,
	takeover = CASE WHEN claimed_until > 0 THEN 1 ELSE 0 END,
	taken_from = CASE WHEN claimed_until > 0 THEN holder ELSE '' END`

// ClaimOutbound implements sigap.Outbox. Each claim counts as an attempt.
// Only a recipient's oldest pending reply can be claimed: the ones behind
// it wait until it is sent or given up on (marking it sent claims the next,
// see MarkSentClaimNext), so a retried reply is never overtaken.
// A claim whose lease ran out without an outcome belonged to a sender that
// died, perhaps mid-send: it is counted in doubtful.
func (s *Store) ClaimOutbound(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]sigap.OutboundMessage, error) {
	// Decoded once the claim has committed, outside the writer.
	type claimed struct {
		m       sigap.OutboundMessage
		payload string
	}
	holder := s.holder
	got, err := writeOne(s, ctx, func(ctx context.Context, q dbtx) ([]claimed, error) {
		rows, err := s.query(ctx, q, `UPDATE outbox SET claimed_until = $1, attempts = attempts + 1, holder = $5,
			`+claimOutboxColumns+`
		WHERE id IN (SELECT m.id FROM outbox m WHERE m.state = 'pending' AND m.next_attempt_at <= $2 AND m.claimed_until <= $3
			AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.office = m.office AND o.recipient = m.recipient
				AND o.state = 'pending' AND o.id < m.id)
			ORDER BY m.id LIMIT $4`+s.dialect.SkipLocked+`)
		RETURNING id, office, recipient, in_reply_to, payload, attempts, created_at, next_attempt_at, last_error,
			window_ends_at, doubtful, takeover, taken_from`,
			ms(now.Add(lease)), ms(now), s.doubtCutoff(now), limit, holder)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var got []claimed
		for rows.Next() {
			var (
				c                            claimed
				m                            = &c.m
				created, nextAttempt, window int64
				takeover                     int
			)
			if err := rows.Scan(&m.ID, &m.Office, &m.To, &m.InReplyTo, &c.payload, &m.Attempts, &created, &nextAttempt, &m.LastError,
				&window, &m.Doubtful, &takeover, &m.TakenFrom); err != nil {
				return nil, err
			}
			m.TakenOver = takeover == 1
			m.State, m.CreatedAt, m.NextAttemptAt = sigap.OutboundPending, fromMS(created), fromMS(nextAttempt)
			m.WindowEndsAt, m.LeaseEnds = fromMS(window), fromMS(ms(now.Add(lease)))
			got = append(got, c)
		}
		return got, rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim outbound: %w", err)
	}
	out := make([]sigap.OutboundMessage, len(got))
	for i, c := range got {
		out[i] = c.m
		if err := json.Unmarshal([]byte(c.payload), &out[i].Reply); err != nil {
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
	// The next reply claimed, if any, and its payload, decoded once the
	// claim has committed, outside the writer.
	type claimed struct {
		next    *sigap.OutboundMessage
		payload string
	}
	holder := s.holder
	got, err := writeOne(s, ctx, func(ctx context.Context, q dbtx) (claimed, error) {
		// Taken here, not before waiting for the writer: a reply stored
		// meanwhile is due at once.
		now := s.now()
		if err := s.markSent(ctx, q, m.ID, sentID, at); err != nil {
			return claimed{}, err
		}
		var (
			n                                          sigap.OutboundMessage
			payload                                    string
			created, nextAttempt, window, claimedUntil int64
			prevHolder                                 string
		)
		err := s.queryRow(ctx, q, `SELECT id, in_reply_to, payload, attempts, created_at, next_attempt_at, last_error, window_ends_at,
				doubtful, claimed_until, holder
			FROM outbox WHERE office = $1 AND recipient = $2 AND state = 'pending' ORDER BY id LIMIT 1`, m.Office, m.To).
			Scan(&n.ID, &n.InReplyTo, &payload, &n.Attempts, &created, &nextAttempt, &n.LastError, &window, &n.Doubtful, &claimedUntil, &prevHolder)
		if errors.Is(err, sql.ErrNoRows) {
			return claimed{}, nil
		}
		if err != nil {
			return claimed{}, fmt.Errorf("claim next reply: %w", err)
		}
		if claimedUntil > s.doubtCutoff(now) || nextAttempt > ms(now) {
			return claimed{}, nil // being sent, or waiting to be retried
		}
		until := ms(now.Add(lease))
		res, err := s.exec(ctx, q, `UPDATE outbox SET claimed_until = $1, attempts = attempts + 1, holder = $4,
				`+claimOutboxColumns+`
			WHERE id = $2 AND state = 'pending' AND claimed_until = $3`, until, n.ID, claimedUntil, holder)
		if err != nil {
			return claimed{}, fmt.Errorf("claim next reply: %w", err)
		}
		if k, err := res.RowsAffected(); err != nil {
			return claimed{}, fmt.Errorf("claim next reply: %w", err)
		} else if k == 0 {
			return claimed{}, nil // another replica claimed it first
		}
		n.Office, n.To, n.State = m.Office, m.To, sigap.OutboundPending
		n.Attempts++
		if claimedUntil > 0 {
			n.Doubtful++
			n.TakenOver, n.TakenFrom = true, prevHolder
		}
		n.CreatedAt, n.NextAttemptAt, n.WindowEndsAt, n.LeaseEnds = fromMS(created), fromMS(nextAttempt), fromMS(window), fromMS(until)
		return claimed{&n, payload}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("mark outbound %d sent: %w", m.ID, err)
	}
	if got.next != nil {
		if err := json.Unmarshal([]byte(got.payload), &got.next.Reply); err != nil {
			return nil, fmt.Errorf("decode outbound %d: %w", got.next.ID, err)
		}
	}
	return got.next, nil
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
	_, err := s.write(ctx, `UPDATE outbox SET next_attempt_at = $1, claimed_until = 0, last_error = $2 WHERE id = $3 AND state = 'pending'`,
		ms(retryAt), reason, id)
	if err != nil {
		return fmt.Errorf("mark outbound %d for retry: %w", id, err)
	}
	return nil
}

// MarkFailed implements sigap.Outbox.
func (s *Store) MarkFailed(ctx context.Context, id int64, reason string) error {
	_, err := s.write(ctx, `UPDATE outbox SET state = 'failed', claimed_until = 0, last_error = $1 WHERE id = $2 AND state = 'pending'`, reason, id)
	if err != nil {
		return fmt.Errorf("mark outbound %d failed: %w", id, err)
	}
	return nil
}

// Enqueue implements sigap.Outbox: messages stored in one transaction,
// none claimed (the sender's poll takes them up, in order behind what
// waits for their recipients).
func (s *Store) Enqueue(ctx context.Context, msgs []sigap.OutboundMessage) ([]int64, error) {
	payloads := make([][]byte, len(msgs))
	for i, m := range msgs {
		p, err := json.Marshal(m.Reply)
		if err != nil {
			return nil, fmt.Errorf("enqueue: encode: %w", err)
		}
		payloads[i] = p
	}
	now := s.now()
	return inTx(s, ctx, func(ctx context.Context, tx *sql.Tx) ([]int64, error) {
		ids := make([]int64, len(msgs))
		for i, m := range msgs {
			id, err := s.enqueue(ctx, tx, m, payloads[i], now)
			if err != nil {
				return nil, err
			}
			ids[i] = id
		}
		return ids, nil
	})
}
