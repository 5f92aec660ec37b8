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
	arrivals := make([]arrival, len(d.Messages))
	for i, m := range d.Messages {
		payload, err := json.Marshal(m)
		if err != nil {
			return sigap.Saved{}, fmt.Errorf("save delivery: encode message %s: %w", m.ID, err)
		}
		arrivals[i] = arrival{m: m, payload: string(payload)}
	}
	for i, a := range answers[:min(len(answers), len(d.Messages))] {
		if a == nil {
			continue
		}
		state, replies, err := encodeStep(a.Conv, a.Replies)
		if err != nil {
			return sigap.Saved{}, fmt.Errorf("save delivery: message %s: %w", d.Messages[i].ID, err)
		}
		arrivals[i].answer = &answered{
			conv:    s.savingConversation(a.Conv, state, true),
			replies: outgoing{replies: a.Replies, payloads: replies, behind: a.Behind},
		}
	}
	claim := c.InboxLease > 0 && s.ClaimsUnanswered()
	if s.dialect.Pipeline != nil && !claim && len(d.Messages) == 1 && arrivals[0].answer != nil && len(d.Statuses) == 0 && len(d.Errors) == 0 {
		saved, ok, err := s.answerAtOnce(ctx, &arrivals[0], c)
		if err != nil {
			return sigap.Saved{}, fmt.Errorf("save delivery: %w", err)
		}
		if ok {
			return saved, nil
		}
	}
	until := ms(c.Now.Add(c.InboxLease))
	save := func(ctx context.Context, q dbtx) (sigap.Saved, error) {
		var r sigap.Saved
		now := s.now()
		for i := range arrivals {
			if err := s.storeArrival(ctx, q, &arrivals[i], now, claim, until, c, &r); err != nil {
				return r, fmt.Errorf("store message %s: %w", arrivals[i].m.ID, err)
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
	if s.w == nil && len(d.Messages) == 1 && arrivals[0].answer == nil && len(d.Statuses) == 0 && len(d.Errors) == 0 {
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
		// Not behind: claimed only if nothing earlier waits.
		if r.done.Replies, _, r.done.Queued, err = s.enqueueReplies(ctx, tx, &outgoing{replies: replies, payloads: payloads}, now, c); err != nil {
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
