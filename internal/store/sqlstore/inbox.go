package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sigap-id/sigap"
)

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
	until, holder := ms(c.Now.Add(c.InboxLease)), s.holder
	save := func(ctx context.Context, q dbtx) (sigap.Saved, error) {
		var r sigap.Saved
		now := s.now()
		for i, m := range d.Messages {
			a, waiting := ans[i], false
			if claim || a != nil {
				var err error
				if waiting, err = s.senderWaiting(ctx, q, m.Office, m.From); err != nil {
					return r, fmt.Errorf("store message %s: %w", m.ID, err)
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
				m.ID, m.Office, m.From, ms(now), payloads[i], attempts, claimedUntil, state, processedAt, holder)
			if err != nil {
				return r, fmt.Errorf("store message %s: %w", m.ID, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return r, fmt.Errorf("store message %s: %w", m.ID, err)
			}
			if n == 0 {
				continue // a redelivery
			}
			r.Added++
			m.Attempts = 1
			if answer {
				_, err := a.conv.save(ctx, q)
				switch {
				case errors.Is(err, sigap.ErrStale):
					// The turn read a conversation that has changed since:
					// the message waits to be answered from the new one.
					answer = false
					if _, err := s.exec(ctx, q, `UPDATE inbound_messages SET state = 'pending', processed_at = 0, attempts = $1,
						claimed_until = $2, holder = $3 WHERE id = $4`, waitAttempts, waitUntil, holder, m.ID); err != nil {
						return r, fmt.Errorf("store message %s: %w", m.ID, err)
					}
				case err != nil:
					return r, fmt.Errorf("store message %s: %w", m.ID, err)
				}
			}
			if !answer {
				s.changed(q, cacheChange{kind: waitingAdd, id: m.ID, key: convKey{m.Office, m.From}})
			}
			switch {
			case answer:
				claimed, queued, err := s.enqueueReplies(ctx, q, answers[i].Replies, a.replies, now, c, answers[i].Behind)
				if err != nil {
					return r, fmt.Errorf("store message %s: %w", m.ID, err)
				}
				r.Answered = append(r.Answered, m)
				r.Replies = append(r.Replies, claimed...)
				if queued {
					r.Queued = append(r.Queued, answers[i].Replies...)
				}
			case mine:
				r.Claimed = append(r.Claimed, m)
			}
		}
		for _, st := range d.Statuses {
			if err := s.saveStatus(ctx, q, st); err != nil {
				return r, err
			}
		}
		for _, e := range d.Errors {
			_, err := s.exec(ctx, q, `INSERT INTO channel_errors (office, at, code, title, details) VALUES ($1, $2, $3, $4, $5)`,
				e.Office, ms(e.At), e.Code, e.Title, e.Details)
			if err != nil {
				return r, fmt.Errorf("store channel error: %w", err)
			}
		}
		return r, nil
	}
	var (
		r   sigap.Saved
		err error
	)
	if s.w == nil && len(d.Messages) == 1 && ans[0] == nil && len(d.Statuses) == 0 && len(d.Errors) == 0 {
		// One statement is whole on its own: no transaction around it
		// (on PostgreSQL that saves two round trips).
		r, err = writeOne(s, ctx, save)
	} else {
		r, err = inTx(s, ctx, func(ctx context.Context, tx *sql.Tx) (sigap.Saved, error) { return save(ctx, tx) })
	}
	if err != nil {
		return sigap.Saved{}, fmt.Errorf("save delivery: %w", err)
	}
	return r, nil
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
		claimed_until, state, processed_at, holder) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING`
	// NULL: no reply to the recipient waiting; 0: one not being sent;
	// 1: all being sent.
	outboxSending = `SELECT MIN(CASE WHEN claimed_until > $1 THEN 1 ELSE 0 END) FROM outbox
		WHERE office = $2 AND recipient = $3 AND state = 'pending'`
	insertOutbox = `INSERT INTO outbox (office, recipient, in_reply_to, payload, created_at, next_attempt_at, window_ends_at,
		attempts, claimed_until, holder) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`
	insertOutboxID = insertOutbox + ` RETURNING id`
	// A checked conversation save: the first one, and one over a version.
	// The handover's times are kept in step with the state (see
	// ListHandovers).
	insertConversation = `INSERT INTO conversations (office, user_id, state, updated_at, version, handover_since, handover_until)
		VALUES ($1, $2, $3, $4, 1, $5, $6) ON CONFLICT (office, user_id) DO NOTHING`
	updateConversation = `UPDATE conversations SET state = $1, updated_at = $2, version = $3, handover_since = $7, handover_until = $8
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
	if err := s.markSentByStatus(ctx, q, st); err != nil {
		return err
	}
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
		seq       int64
		attempts  int
		payload   string
		takeover  int
		takenFrom string
	}
	holder := s.holder
	got, err := writeOne(s, ctx, func(ctx context.Context, q dbtx) ([]claimed, error) {
		rows, err := s.query(ctx, q, `UPDATE inbound_messages SET claimed_until = $1, attempts = attempts + 1,
			takeover = `+takeoverInbound+`, taken_from = `+takenFromInbound+`, holder = $4
		WHERE seq IN (SELECT m.seq FROM inbound_messages m WHERE m.state = 'pending' AND m.claimed_until <= $2
			AND NOT EXISTS (SELECT 1 FROM inbound_messages o WHERE o.office = m.office AND o.sender = m.sender
				AND o.state = 'pending' AND o.seq < m.seq)
			ORDER BY m.seq LIMIT $3`+s.dialect.SkipLocked+`)
		RETURNING seq, attempts, payload, takeover, taken_from`, ms(now.Add(lease)), ms(now), limit, holder)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var got []claimed
		for rows.Next() {
			var c claimed
			if err := rows.Scan(&c.seq, &c.attempts, &c.payload, &c.takeover, &c.takenFrom); err != nil {
				return nil, err
			}
			got = append(got, c)
		}
		return got, rows.Err()
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
		out[i].Attempts, out[i].TakenOver, out[i].TakenFrom = c.attempts, c.takeover == 1, c.takenFrom
	}
	return out, nil
}

// takeoverInbound is what a claim of an inbound message sets its takeover
// column to (migration 00010), from the row as it was: 1 if it takes over a
// lease that ran out, 0 if the row was unclaimed or given back to be
// retried (takeover -1, set by RetryInbound).
const takeoverInbound = `CASE WHEN claimed_until > 0 AND takeover >= 0 THEN 1 ELSE 0 END`

// takenFromInbound is what a claim of an inbound message sets taken_from
// to (migration 00015): the holder of the lease it takes over, if any.
// (A SET's expressions read the row as it was, on both engines.)
const takenFromInbound = `CASE WHEN claimed_until > 0 AND takeover >= 0 THEN holder ELSE '' END`

// RetryInbound implements sigap.Inbox.
func (s *Store) RetryInbound(ctx context.Context, m sigap.InboundMessage, retryAt time.Time) error {
	// Each claim counts an attempt: the same count is the same claim.
	_, err := s.write(ctx, `UPDATE inbound_messages SET claimed_until = $1, takeover = -1
		WHERE id = $2 AND state = 'pending' AND attempts = $3`, ms(retryAt), m.ID, m.Attempts)
	if err != nil {
		return fmt.Errorf("retry inbound %s: %w", m.ID, err)
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
	holder := s.holder
	r, err := inTx(s, ctx, func(ctx context.Context, tx *sql.Tx) (completion, error) {
		var r completion
		now := s.now()
		res, err := s.exec(ctx, tx, `UPDATE inbound_messages SET state = 'done', processed_at = $1 WHERE id = $2 AND state = 'pending'`, ms(now), id)
		if err != nil {
			return r, fmt.Errorf("mark processed: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return r, fmt.Errorf("mark processed: %w", err)
		} else if n == 0 {
			return r, sigap.ErrNotPending
		}
		s.changed(tx, cacheChange{kind: waitingDone, id: id})
		if _, err = saving.save(ctx, tx); err != nil {
			return r, err
		}
		if r.done.Replies, r.done.Queued, err = s.enqueueReplies(ctx, tx, replies, payloads, now, c, false); err != nil {
			return r, err
		}
		if c.InboxLease > 0 {
			// The sender's next message, if it waits unclaimed at the head
			// of their queue, is this caller's to answer now.
			var (
				seq, claimedUntil  int64
				attempts, takeover int
				prevHolder         string
			)
			err := s.queryRow(ctx, tx, `SELECT seq, attempts, claimed_until, payload, takeover, holder FROM inbound_messages
				WHERE office = $1 AND sender = $2 AND state = 'pending' ORDER BY seq LIMIT 1`,
				conv.Office, conv.User).Scan(&seq, &attempts, &claimedUntil, &r.nextPayload, &takeover, &prevHolder)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				r.nextPayload = ""
			case err != nil:
				return r, fmt.Errorf("claim next message: %w", err)
			case claimedUntil > ms(c.Now):
				r.nextPayload = "" // someone else's
			default:
				// Conditional: on PostgreSQL a replica's ClaimInbound may
				// take it at the same moment.
				res, err := s.exec(ctx, tx, `UPDATE inbound_messages SET claimed_until = $1, attempts = attempts + 1,
					takeover = `+takeoverInbound+`, taken_from = `+takenFromInbound+`, holder = $4
					WHERE seq = $2 AND state = 'pending' AND claimed_until = $3`, ms(c.Now.Add(c.InboxLease)), seq, claimedUntil, holder)
				if err != nil {
					return r, fmt.Errorf("claim next message: %w", err)
				}
				if n, err := res.RowsAffected(); err != nil {
					return r, fmt.Errorf("claim next message: %w", err)
				} else if n == 1 {
					took := claimedUntil > 0 && takeover >= 0
					r.done.Next = &sigap.InboundMessage{Attempts: attempts + 1, TakenOver: took}
					if took {
						r.done.Next.TakenFrom = prevHolder
					}
				}
			}
		}
		return r, nil
	})
	if err != nil {
		return sigap.Completed{}, fmt.Errorf("complete inbound %s: %w", id, err)
	}
	done := r.done
	if done.Next != nil {
		attempts := done.Next.Attempts
		if err := json.Unmarshal([]byte(r.nextPayload), done.Next); err != nil {
			return sigap.Completed{}, fmt.Errorf("complete inbound %s: decode next message: %w", id, err)
		}
		done.Next.Attempts = attempts
	}
	return done, nil
}

// completion is what CompleteInboundClaiming stored: done, and the
// payload of the next message claimed.
type completion struct {
	done        sigap.Completed
	nextPayload string
}
