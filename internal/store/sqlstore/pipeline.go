package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"hash/maphash"
	"log/slog"
	"slices"
	"time"

	"github.com/sigap-id/sigap"
)

// Stmt is a statement, written for the engine, and its arguments.
type Stmt struct {
	Query string
	Args  []any
}

// Pipeline runs stmts in one transaction, sent to the database together,
// in one round trip. It hands check the rows each statement returned (each
// row its columns' values, as the driver gives them) and commits if check
// returns true; otherwise, or if a statement fails, it rolls back.
// committed reports which.
type Pipeline func(ctx context.Context, db *sql.DB, stmts []Stmt, check func(rows [][][]any) bool) (committed bool, err error)

// answerAtOnce stores a message with its answer in two round trips to the
// database where the engine can pipeline (PostgreSQL): the statements of
// SaveDeliveryClaiming's transaction are sent together, then the commit,
// in one transaction with the other answers that arrive meanwhile (see
// writeGroup).
// One by one they take seven, and on a machine that also runs the database
// each round trip costs both sides more than the statement itself.
//
// Sent together, the statements (answerBatch, built with the one-by-one
// path's in answer.go) cannot wait for each other's answers: they assume
// what holds for nearly every message. It is new; its sender has nothing
// waiting; the conversation is still at the version the turn read; and no
// earlier reply to the recipient is waiting (or, where the answer may go
// behind them, all are being sent). The transaction commits only if all of
// that held (answerBatch.read). Otherwise it is rolled back, nothing is
// stored, and ok is false: the caller takes the long way, which works out
// what to do.
func (s *Store) answerAtOnce(ctx context.Context, a *arrival, c sigap.Claim) (saved sigap.Saved, ok bool, err error) {
	now := s.now()
	b := s.answerBatch(a, now, c)
	var stored answerRows
	committed, err := s.pipelineGrouped(ctx, convKey{a.m.Office, a.m.From}, b.stmts, func(rows [][][]any) bool {
		var held bool
		stored, held = b.read(rows)
		return held
	})
	if err != nil {
		return sigap.Saved{}, false, fmt.Errorf("store message %s: %w", a.m.ID, err)
	}
	if !committed {
		return sigap.Saved{}, false, nil
	}
	m := a.m
	m.Attempts = 1
	saved = sigap.Saved{Added: 1, Answered: []sigap.InboundMessage{m}}
	replies := a.answer.replies.replies
	switch {
	case b.claim:
		claimed := make([]sigap.OutboundMessage, len(replies))
		for i, r := range replies {
			claimed[i] = claimedReply(r, stored.ids[i], now, b.until)
		}
		if stored.behind {
			saved.Behind = claimed
		} else {
			saved.Replies = claimed
		}
	case len(replies) > 0:
		saved.Queued = replies
	}
	return saved, true, nil
}

// integer is a whole number as a driver returns it.
func integer(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int32:
		return int64(n)
	case int16:
		return int64(n)
	case int:
		return int64(n)
	}
	return 0
}

// writeGroup gathers the pipelined answers and the sent marks that arrive
// together into one transaction (see batcher): one batch and one commit
// for all of them, where each alone costs PostgreSQL its own round trips
// and its own commit. On this machine pgbench ran the answer's statements
// for 3,350–4,950 messages a second at one message a transaction, and for
// 5,000–8,400 at 4 to 16.
//
// The group commits only if every answer's assumptions held. Otherwise, or
// if a statement failed, it is rolled back and none of its answers is
// stored: each caller takes the long way, as for an assumption of its own
// that failed. That way is correct for every answer, only slower, and
// such groups are rare. The marks are then stored by themselves.
//
// A sender's answers always go to the same queue, so two groups running
// side by side never hold the same conversation; the marks, each its own
// reply's, never hold the same reply.
type writeGroup = batcher[*groupOp]

// groupOp is one caller's work in a group: a sent mark, or an answer.
type groupOp struct {
	ctx  context.Context
	mark *sentMark
	// An answer:
	key   convKey
	stmts []Stmt
	check func(rows [][][]any) bool
	ok    bool // committed
}

// maxGroup bounds a group's work. (Its sent marks go in one statement, of
// 3 arguments a mark.)
const maxGroup = 64

// groupTimeout bounds a group's transaction, which runs under no caller's
// context: one caller giving up must not fail the others.
const groupTimeout = 30 * time.Second

var groupSeed = maphash.MakeSeed()

// pipelineGrouped runs stmts in a transaction, with other callers'
// statements when they come together, and commits only if check holds for
// its rows and every other caller's check for theirs. committed reports
// whether it did.
func (s *Store) pipelineGrouped(ctx context.Context, key convKey, stmts []Stmt, check func(rows [][][]any) bool) (committed bool, err error) {
	op := &groupOp{ctx: ctx, key: key, stmts: stmts, check: check}
	err = s.groups[queueOf(key, len(s.groups))].do(op, maxGroup, s.runGroup)
	return op.ok, err
}

// queueOf is the queue, of n, that takes a sender's work.
func queueOf(k convKey, n int) int {
	var h maphash.Hash
	h.SetSeed(groupSeed)
	h.WriteString(k.office)
	h.WriteByte(0)
	h.WriteString(k.user)
	return int(h.Sum64() % uint64(n))
}

// runGroup runs group's work in one transaction, setting each answer's ok
// if it committed, and returns each op's error. An answer alone runs under
// its caller's context, and its error is its own; answers together fail
// without an error, so that each takes the long way.
func (s *Store) runGroup(group []*groupOp) []error {
	errs := make([]error, len(group))
	var (
		answers []*groupOp
		marks   []*sentMark
	)
	for _, o := range group {
		if o.mark != nil {
			marks = append(marks, o.mark)
		} else {
			answers = append(answers, o)
		}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(group[0].ctx), groupTimeout)
	defer cancel()
	storeMarks := func() {
		if len(marks) == 0 {
			return
		}
		err := s.storeSent(ctx, marks)
		for i, o := range group {
			if o.mark != nil {
				errs[i] = o.mark.failed(err)
			}
		}
	}
	switch {
	case len(answers) == 0:
		storeMarks()
		return errs
	case len(group) == 1:
		o := group[0]
		o.ok, errs[0] = s.dialect.Pipeline(o.ctx, s.db, o.stmts, o.check)
		return errs
	}
	// The same order in every group, on every replica, so that two groups
	// take the rows they share in the same order and cannot deadlock.
	slices.SortStableFunc(answers, func(a, b *groupOp) int {
		return cmp.Or(cmp.Compare(a.key.office, b.key.office), cmp.Compare(a.key.user, b.key.user))
	})
	var all []Stmt
	for _, o := range answers {
		all = append(all, o.stmts...)
	}
	if len(marks) > 0 {
		query, args := markSentQuery(marks)
		all = append(all, Stmt{query, args})
	}
	committed, err := s.dialect.Pipeline(ctx, s.db, all, func(rows [][][]any) bool {
		for _, o := range answers {
			if !o.check(rows[:len(o.stmts)]) {
				return false
			}
			rows = rows[len(o.stmts):]
		}
		return true
	})
	if err != nil {
		slog.WarnContext(ctx, "answers stored together failed; each is stored alone", "answers", len(answers), "err", err)
	}
	committed = err == nil && committed
	for _, o := range answers {
		o.ok = committed
	}
	if !committed {
		storeMarks()
	}
	return errs
}
