package sqlstore

// How a new message is stored, with its answer when the webhook worked one
// out before storing it. The statements are built here, once, for both
// ways they run:
//
//   - one by one, in a transaction that looks at each one's outcome before
//     the next (SaveDeliveryClaiming, through storeArrival);
//   - sent together, where the engine can pipeline (answerAtOnce, on
//     PostgreSQL), assuming the outcome that holds for nearly every message
//     and checking it before the commit (answerBatch.read).
//
// In the order they run:
//
//	waiting  a row if the sender has a message waiting: then this one waits too, unanswered
//	inbound  the message, answered or waiting; no row for a redelivery
//	conv     the answer's conversation, checked: no row if it is no longer at the version the turn read
//	sending  what earlier replies to the recipient wait (only when the replies may be claimed)
//	replies  the replies, claimed if nothing earlier waits (or, behind, all that waits is being sent)
//
// A change to what an answer stores is made here: a statement's text and
// arguments in its builder below, a new statement in storeArrival and
// answerBatch, side by side.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sigap-id/sigap"
)

// The statements' texts.
const (
	senderWaitingQuery = `SELECT 1 FROM inbound_messages WHERE office = $1 AND sender = $2 AND state = 'pending' LIMIT 1`
	insertInbound      = `INSERT INTO inbound_messages (id, office, sender, received_at, payload, attempts,
		claimed_until, state, processed_at, holder) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING`
	// The answer given up: its conversation changed since the turn read it.
	unanswerInbound = `UPDATE inbound_messages SET state = 'pending', processed_at = 0, attempts = $1,
		claimed_until = $2, holder = $3 WHERE id = $4`
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

// arrival is a new message to store, encoded, with its answer if there is
// one.
type arrival struct {
	m       sigap.InboundMessage
	payload string    // m encoded
	answer  *answered // nil: none
}

// answered is a message's answer, encoded for storing.
type answered struct {
	conv    *convSave // checked
	replies outgoing
}

// outgoing is a step's replies as stored (see enqueueReplies).
type outgoing struct {
	replies  []sigap.OutboundMessage
	payloads [][]byte // each reply's, encoded
	// behind: claimed if all earlier replies waiting are being sent, not
	// only if none waits (sigap.Answer.Behind).
	behind bool
}

// inboundRow is how a new message is stored: answered, or waiting
// (claimed until claimedUntil, if claimed).
type inboundRow struct {
	state                     string
	attempts                  int
	claimedUntil, processedAt int64
}

// answeredRow is a message stored answered at now.
func answeredRow(now int64) inboundRow { return inboundRow{"done", 1, 0, now} }

// waitingRow is a message stored to be answered later: claimed until
// until by the caller if mine, otherwise by nobody.
func waitingRow(mine bool, until int64) inboundRow {
	if mine {
		return inboundRow{"pending", 1, until, 0}
	}
	return inboundRow{"pending", 0, 0, 0}
}

// waiting is the statement that finds a message of the sender's waiting.
func (a *arrival) waiting() Stmt {
	return Stmt{senderWaitingQuery, []any{a.m.Office, a.m.From}}
}

// insert is the statement that stores the message as row, received at now;
// with seq, it returns the seq of a row it stored.
func (a *arrival) insert(row inboundRow, now int64, holder string, seq bool) Stmt {
	query := insertInbound
	if seq {
		query = insertInboundSeq
	}
	return Stmt{query, []any{a.m.ID, a.m.Office, a.m.From, now, a.payload, row.attempts, row.claimedUntil, row.state, row.processedAt, holder}}
}

// unanswer is the statement that turns the message, stored answered, into
// one that waits as row.
func (a *arrival) unanswer(row inboundRow, holder string) Stmt {
	return Stmt{unanswerInbound, []any{row.attempts, row.claimedUntil, holder, a.m.ID}}
}

// sending is the statement that tells what earlier replies wait for the
// recipient of o's replies (see claimAfter).
func (o *outgoing) sending(now int64) Stmt {
	return Stmt{outboxSending, []any{now, o.replies[0].Office, o.replies[0].To}}
}

// insert is the statement that stores the ith reply at now, claimed until
// until or not (0); with id, it returns the reply's id.
func (o *outgoing) insert(i int, now time.Time, until int64, holder string, id bool) Stmt {
	return insertReplyStmt(o.replies[i], o.payloads[i], now, until, holder, id)
}

// storeArrival stores a new message, one statement at a time, following each
// one's outcome, and adds what it stored to r. With claim, the message, if
// it is not answered and its sender has nothing waiting, is claimed for the
// caller until inboxUntil; c says for how long the answer's replies are.
func (s *Store) storeArrival(ctx context.Context, q dbtx, a *arrival, now time.Time, claim bool, inboxUntil int64, c sigap.Claim, r *sigap.Saved) error {
	stamp, holder := ms(now), s.holder
	waiting := false
	if claim || a.answer != nil {
		var err error
		st := a.waiting()
		if waiting, err = s.exists(ctx, q, st.Query, st.Args...); err != nil {
			return err
		}
	}
	answer, mine := a.answer != nil && !waiting, claim && !waiting
	// How it waits, unless answered.
	wait, row := waitingRow(mine, inboxUntil), waitingRow(mine, inboxUntil)
	if answer {
		row = answeredRow(stamp)
	}
	st := a.insert(row, stamp, holder, false)
	n, err := s.execCount(ctx, q, st.Query, st.Args...)
	if err != nil {
		return err
	}
	if n == 0 {
		return nil // a redelivery
	}
	r.Added++
	m := a.m
	m.Attempts = 1
	if answer {
		_, err := a.answer.conv.save(ctx, q)
		switch {
		case errors.Is(err, sigap.ErrStale):
			// The turn read a conversation that has changed since: the
			// message waits to be answered from the new one.
			answer = false
			st := a.unanswer(wait, holder)
			if _, err := s.exec(ctx, q, st.Query, st.Args...); err != nil {
				return err
			}
		case err != nil:
			return err
		}
	}
	switch {
	case answer:
		claimed, behind, queued, err := s.enqueueReplies(ctx, q, &a.answer.replies, now, c)
		if err != nil {
			return err
		}
		r.Answered = append(r.Answered, m)
		if behind {
			r.Behind = append(r.Behind, claimed...)
		} else {
			r.Replies = append(r.Replies, claimed...)
		}
		if queued {
			r.Queued = append(r.Queued, a.answer.replies.replies...)
		}
		return nil
	case mine:
		r.Claimed = append(r.Claimed, m)
	}
	s.changed(q, cacheChange{kind: waitingAdd, id: m.ID, key: convKey{m.Office, m.From}})
	return nil
}

// enqueueReplies stores o's replies, one statement at a time, and claims
// them for c.OutboxLease if they all go to one recipient and nothing
// earlier to them waits: they must go after it. With o.behind, earlier
// replies being sent (claimed) do not stop the claim, and behind reports
// that they were claimed so. It returns those it claimed, and reports
// whether it left them queued instead.
func (s *Store) enqueueReplies(ctx context.Context, q dbtx, o *outgoing, now time.Time, c sigap.Claim) (claimed []sigap.OutboundMessage, behind, queued bool, err error) {
	claim := claimable(o.replies, c)
	after := false // claimed behind earlier ones
	if claim {
		var sending sql.NullInt64
		st := o.sending(ms(now))
		if err := s.queryRow(ctx, q, st.Query, st.Args...).Scan(&sending); err != nil {
			return nil, false, false, fmt.Errorf("enqueue reply: %w", err)
		}
		claim, after = claimAfter(sending, o.behind)
	}
	until := int64(0)
	if claim {
		until = ms(c.Now.Add(c.OutboxLease))
	}
	for i, r := range o.replies {
		id, err := s.insertReply(ctx, q, o.insert(i, now, until, s.holder, s.dialect.InsertReturning))
		if err != nil {
			return nil, false, false, err
		}
		if claim {
			claimed = append(claimed, claimedReply(r, id, now, until))
		}
	}
	return claimed, claim && after, len(o.replies) > 0 && !claim, nil
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
func claimedReply(r sigap.OutboundMessage, id int64, now time.Time, until int64) sigap.OutboundMessage {
	r.ID, r.State, r.Attempts, r.CreatedAt, r.NextAttemptAt = id, sigap.OutboundPending, 1, fromMS(ms(now)), fromMS(ms(now))
	r.LeaseEnds = fromMS(until)
	return r
}

// answerBatch is an answered message's statements to be sent together
// (see answerAtOnce), and each one's place among them: its rows are
// rows[place] of what the batch returns.
type answerBatch struct {
	stmts []Stmt
	// Where each statement's rows are; sending is -1 when the replies are
	// not claimed with the message, and so not asked about.
	waiting, inbound, conv, sending int
	replies                         []int
	// What the replies are claimed as.
	claim  bool
	behind bool
	until  int64
}

// add appends st and returns its place.
func (b *answerBatch) add(st Stmt) int {
	b.stmts = append(b.stmts, st)
	return len(b.stmts) - 1
}

// answerBatch returns the statements that store a, answered at now, with
// its replies claimed if c claims them, assuming what holds for nearly
// every message (see read).
func (s *Store) answerBatch(a *arrival, now time.Time, c sigap.Claim) *answerBatch {
	stamp, holder, o := ms(now), s.holder, &a.answer.replies
	b := &answerBatch{sending: -1, claim: claimable(o.replies, c), behind: o.behind}
	if b.claim {
		b.until = ms(c.Now.Add(c.OutboxLease))
	}
	b.waiting = b.add(a.waiting())
	b.inbound = b.add(a.insert(answeredRow(stamp), stamp, holder, true))
	b.conv = b.add(a.answer.conv.checkedStmt(stamp, true))
	if b.claim {
		b.sending = b.add(o.sending(stamp))
	}
	for i := range o.replies {
		b.replies = append(b.replies, b.add(o.insert(i, now, b.until, holder, true)))
	}
	return b
}

// answerRows is what an answer's statements sent together stored.
type answerRows struct {
	ids    []int64 // the replies'
	behind bool    // the replies were claimed behind earlier ones
}

// read reports whether the batch's statements, having returned rows, stored
// what they were sent to store: the message is new; its sender had nothing
// waiting; the conversation was still at the version the turn read; and,
// if the replies were stored claimed, they could be (nothing earlier to the
// recipient waits, or, behind, all that waits is being sent).
func (b *answerBatch) read(rows [][][]any) (answerRows, bool) {
	if len(rows[b.waiting]) != 0 || len(rows[b.inbound]) != 1 || len(rows[b.conv]) != 1 {
		return answerRows{}, false // the sender has a message waiting; a redelivery; a stale version
	}
	var r answerRows
	if b.claim {
		v := rows[b.sending][0][0]
		var claim bool
		if claim, r.behind = claimAfter(sql.NullInt64{Int64: integer(v), Valid: v != nil}, b.behind); !claim {
			return answerRows{}, false // stored claimed, it should have waited unclaimed
		}
	}
	r.ids = make([]int64, len(b.replies))
	for i, place := range b.replies {
		r.ids[i] = integer(rows[place][0][0])
	}
	return r, true
}
